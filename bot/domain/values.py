"""Small value types shared across the core. Standard library only."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = [
    "TERMINAL_STATES",
    "AgentKind",
    "ApprovalKind",
    "ApprovalState",
    "ConversationRef",
    "MessageRef",
    "Mode",
    "Priority",
    "State",
    "format_hotfix_id",
    "parse_hotfix_id",
]


class State(enum.StrEnum):
    TRIAGE = "triage"
    REJECTED = "rejected"
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    VERIFYING = "verifying"
    REVIEW = "review"
    SHIPPED = "shipped"
    STOPPED = "stopped"
    DISCARDED = "discarded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


TERMINAL_STATES = frozenset(
    {State.REJECTED, State.SHIPPED, State.STOPPED, State.DISCARDED, State.FAILED}
)


class Priority(enum.StrEnum):
    P0 = "p0"
    P1 = "p1"
    P2 = "p2"

    @property
    def rank(self) -> int:
        return int(self.value[1])


class Mode(enum.StrEnum):
    PATCH = "patch"
    DIAGNOSE = "diagnose"
    PLAN = "plan"


class AgentKind(enum.StrEnum):
    CLAUDE = "claude"
    CODEX = "codex"


class ApprovalKind(enum.StrEnum):
    COMMAND = "command"
    ESCALATION = "escalation"
    SCOPE = "scope"
    SHIP = "ship"


class ApprovalState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


_ID_RE = re.compile(r"^(?:HF-?)?([1-9][0-9]{0,8})$", re.IGNORECASE)


def parse_hotfix_id(text: str) -> int | None:
    """``HF-7``, ``hf7`` or ``7`` -> 7; anything else -> None."""
    m = _ID_RE.match(text.strip())
    return int(m.group(1)) if m else None


def format_hotfix_id(number: int) -> str:
    return f"HF-{number}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationRef:
    """Where a message lives: ``platform`` (telegram|slack|console) and its opaque conversation key."""

    platform: str
    key: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.key}"

    @classmethod
    def parse(cls, text: str) -> ConversationRef:
        platform, sep, key = text.partition(":")
        if not sep or not platform or not key:
            raise ValueError(f"not a conversation reference: {text!r}")
        return cls(platform=platform, key=key)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRef:
    """A posted message: its conversation and the platform's opaque message key (and thread, if any)."""

    conversation: ConversationRef
    key: str
    thread: str | None = None
