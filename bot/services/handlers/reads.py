"""Help, queue, status, full diff and audit log: reading changes nothing."""

from __future__ import annotations

from bot.domain.errors import Conflict, NotFound
from bot.domain.hotfix import Hotfix
from bot.domain.people import Action
from bot.render.plain import card_as_text, log_text, queue_text
from bot.render.redact import redact
from bot.render.text import truncate
from bot.services.bus import MessageBus
from bot.services.commands import (
    Attachment,
    Command,
    Help,
    Reply,
    ShowDiff,
    ShowLog,
    ShowQueue,
    ShowStatus,
    UsageError,
)
from bot.services.grammar import HELP, USAGE
from bot.services.handlers.guard import require
from bot.services.publisher import status_card_for

__all__ = ["full_diff", "show_diff", "show_help", "show_log", "show_queue", "show_status", "usage_error"]

MAX_LOG_CHARS = 3000


async def show_help(cmd: Help, bus: MessageBus) -> Reply:
    return Reply(text=HELP)


async def usage_error(cmd: UsageError, bus: MessageBus) -> Reply:
    return Reply(text=f"{cmd.reason}\n{USAGE}", ok=False)


async def show_queue(cmd: ShowQueue, bus: MessageBus) -> Reply:
    await require(bus, cmd, Action.READ)
    with bus.deps.uow() as uow:
        hotfixes = uow.hotfixes.list()
        freezes = uow.freezes.all()
    return Reply(text=queue_text(hotfixes, freezes))


async def _readable(bus: MessageBus, cmd: Command, number: int) -> Hotfix:
    """The hotfix, once ``cmd.actor`` may read it; a refusal lands on that hotfix's audit trail too."""
    try:
        hotfix = bus.read(number)
    except NotFound:
        await require(bus, cmd, Action.READ)
        raise
    await require(bus, cmd, Action.READ, hotfix)
    return hotfix


async def show_status(cmd: ShowStatus, bus: MessageBus) -> Reply:
    hotfix = await _readable(bus, cmd, cmd.hotfix_id)
    card = status_card_for(bus, hotfix)
    return Reply(text=card_as_text(card, with_buttons=False), hotfix_id=hotfix.number)


async def show_diff(cmd: ShowDiff, bus: MessageBus) -> Reply:
    return await full_diff(bus, cmd, bus.read(cmd.hotfix_id))


async def full_diff(bus: MessageBus, cmd: Command, hotfix: Hotfix) -> Reply:
    await require(bus, cmd, Action.READ, hotfix)
    if not hotfix.worktree or not hotfix.base_sha:
        raise Conflict(f"{hotfix.label} has no diff yet")
    diff = await bus.deps.workspace.diff(worktree=hotfix.worktree, base_sha=hotfix.base_sha)
    if diff.is_empty:
        return Reply(text=f"{hotfix.label}: the diff is empty.", hotfix_id=hotfix.number)
    content = redact(diff.text).encode()
    return Reply(text=f"{hotfix.label}: full diff ({len(diff.files)} files, +{diff.added} −{diff.removed}).",
                 hotfix_id=hotfix.number, attachment=Attachment(filename=f"{hotfix.hid}.diff", content=content))


async def show_log(cmd: ShowLog, bus: MessageBus) -> Reply:
    hotfix = await _readable(bus, cmd, cmd.hotfix_id)
    text = log_text(hotfix)
    if len(text) <= MAX_LOG_CHARS:
        return Reply(text=text, hotfix_id=hotfix.number)
    return Reply(text=truncate(text, MAX_LOG_CHARS), hotfix_id=hotfix.number,
                 attachment=Attachment(filename=f"{hotfix.hid}-log.txt", content=text.encode()))
