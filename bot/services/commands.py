"""Commands: what people (or timers) ask the bot to do. Frozen, keyword-only, no SDK objects.

Adapters build these from platform input (a typed sub-command and a button press become the same command)
and hand them to the bus. ``actor`` is "<platform>:<user id>"; ``conversation`` is where to answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.domain.values import AgentKind, ConversationRef, MessageRef, Mode, Priority

__all__ = [
    "AcceptHotfix",
    "ApproveHotfix",
    "Attachment",
    "ButtonAction",
    "Command",
    "DenyAction",
    "FileHotfix",
    "FireDeadline",
    "FreezeQueue",
    "Help",
    "PressButton",
    "RejectHotfix",
    "Reply",
    "ResetHotfix",
    "ReviseHotfix",
    "ScanFileLane",
    "ShowDiff",
    "ShowLog",
    "ShowQueue",
    "ShowStatus",
    "StopHotfix",
    "UnfreezeQueue",
    "UsageError",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    actor: str
    conversation: ConversationRef
    # The message the command came from, when the platform gives one (for threading replies).
    source: MessageRef | None = None
    # True when the platform says the sender is a bot account: never counts as a person.
    actor_is_bot: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FileHotfix(Command):
    description: str
    repo: str | None = None
    mode: Mode = Mode.PATCH
    agent: AgentKind | None = None
    priority: Priority = Priority.P1
    title: str | None = None  # the file lane gives one; otherwise derived from the description
    lane: str = "chat"  # "chat" | "file"
    lane_path: str | None = None  # for the file lane: the task file's path inside the repository


@dataclass(frozen=True, slots=True, kw_only=True)
class Help(Command):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowQueue(Command):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowStatus(Command):
    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StopHotfix(Command):
    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproveHotfix(Command):
    """``approve ID``: approve whatever the hotfix currently waits on (its oldest pending approval)."""

    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DenyAction(Command):
    """``deny ID [reason]``: deny what the hotfix currently waits on."""

    hotfix_id: int
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviseHotfix(Command):
    hotfix_id: int
    feedback: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetHotfix(Command):
    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowDiff(Command):
    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowLog(Command):
    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptHotfix(Command):
    hotfix_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectHotfix(Command):
    hotfix_id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FreezeQueue(Command):
    reason: str
    repo: str | None = None  # None: every repository


@dataclass(frozen=True, slots=True, kw_only=True)
class UnfreezeQueue(Command):
    repo: str | None = None


class ButtonAction(enum.StrEnum):
    """What a button does. Button payloads carry ``<action>:<token>``; the server checks the token."""

    APPROVE = "ap"
    DENY = "dn"
    STOP = "st"
    REVISE = "rv"
    RESET = "rs"
    FULL_DIFF = "fd"
    CONTINUE = "co"  # scope approval: continue
    PATCH = "pa"  # diagnose/plan review: continue in patch mode
    CLOSE = "cl"  # diagnose/plan review: close (-> discarded)
    RESUME = "ru"  # interrupted hotfix: resume


@dataclass(frozen=True, slots=True, kw_only=True)
class PressButton(Command):
    """A button press. ``token`` is the opaque id from the payload: an approval id or a hotfix card token."""

    action: ButtonAction
    token: str
    # For REVISE pressed through a form/modal: the feedback typed there.
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FireDeadline(Command):
    """A timer went off (sent by the scheduler adapter with actor "bot")."""

    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanFileLane(Command):
    """Look for new ``tasks/hotfix/HOTFIX-*.md`` files on every base branch (sent by a timer)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageError(Command):
    """Input that did not parse: the reply is ``reason`` plus the usage line. Changes nothing."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """The bus's answer to one command, for the adapter to deliver to the person who sent it.

    ``text`` is plain (adapters escape it) and names the hotfix id and repo where there is one.
    ``ok`` False means refused or bad input (Telegram: the callback answer; Slack: an ephemeral message).
    ``private`` True: only the sender needs it (Slack ephemeral, Telegram reply in the same chat).
    ``prompt`` set: ask the sender for free text with this prompt (Slack: a modal; Telegram: a reply to a
    ForceReply message naming the hotfix id) and send the answer as ``ReviseHotfix(hotfix_id, feedback)``.
    """

    text: str
    ok: bool = True
    private: bool = True
    hotfix_id: int | None = None
    attachment: Attachment | None = None
    prompt: str | None = None
