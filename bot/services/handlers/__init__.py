"""Command handlers, routed by command type. A typed sub-command and a button press reach the same code."""

from __future__ import annotations

from bot.services.bus import CommandHandler
from bot.services.commands import (
    AcceptHotfix,
    ApproveHotfix,
    DenyAction,
    FileHotfix,
    FireDeadline,
    FreezeQueue,
    Help,
    PressButton,
    RejectHotfix,
    ResetHotfix,
    ReviseHotfix,
    ScanFileLane,
    ShowDiff,
    ShowLog,
    ShowQueue,
    ShowStatus,
    StopHotfix,
    UnfreezeQueue,
    UsageError,
)
from bot.services.filelane import scan_file_lane
from bot.services.handlers import buttons, control, decisions, intake, reads
from bot.services.timers import fire_deadline

__all__ = ["COMMAND_HANDLERS"]

COMMAND_HANDLERS: dict[type, CommandHandler] = {
    FileHotfix: intake.file_hotfix,
    AcceptHotfix: intake.accept_hotfix,
    RejectHotfix: intake.reject_hotfix,
    ApproveHotfix: decisions.approve_hotfix,
    DenyAction: decisions.deny_action,
    StopHotfix: control.stop_hotfix,
    ResetHotfix: control.reset_hotfix,
    ReviseHotfix: control.revise_hotfix,
    FreezeQueue: control.freeze_queue,
    UnfreezeQueue: control.unfreeze_queue,
    Help: reads.show_help,
    ShowQueue: reads.show_queue,
    ShowStatus: reads.show_status,
    ShowDiff: reads.show_diff,
    ShowLog: reads.show_log,
    UsageError: reads.usage_error,
    PressButton: buttons.press_button,
    FireDeadline: fire_deadline,
    ScanFileLane: scan_file_lane,
}
