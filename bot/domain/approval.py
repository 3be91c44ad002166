"""Approvals: a decision a person must make, bound to its exact subject."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.errors import Conflict
from bot.domain.values import ApprovalKind, ApprovalState, MessageRef

__all__ = ["Approval", "new_token"]


def new_token() -> str:
    """An opaque, unguessable id for buttons (fits Telegram's 64-byte callback_data with room to spare)."""
    return secrets.token_urlsafe(9)


@dataclass(kw_only=True)
class Approval:
    """One pending or decided approval.

    ``subject`` is what a person sees (the command line, tool + path, or the diff sha256); ``digest`` binds the
    approval to exactly that request (sha256 of the tool request, or the diff sha256).
    """

    id: str
    kind: ApprovalKind
    subject: str
    digest: str
    reasons: tuple[str, ...]
    requested_at: datetime
    state: ApprovalState = ApprovalState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    message: MessageRef | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.state is ApprovalState.PENDING

    def decide(self, *, state: ApprovalState, actor: str, at: datetime, note: str = "") -> None:
        if not self.pending:
            raise Conflict(f"already {self.state.value}" + (f" by {self.decided_by}" if self.decided_by else ""))
        self.state = state
        self.decided_by = actor
        self.decided_at = at
        self.note = note

    def decided_line(self) -> str:
        verb = {
            ApprovalState.APPROVED: "Approved",
            ApprovalState.DENIED: "Denied",
            ApprovalState.EXPIRED: "Timed out",
            ApprovalState.CANCELLED: "Cancelled",
        }.get(self.state, "Pending")
        who = f" by {self.decided_by}" if self.decided_by and self.decided_by != "bot" else ""
        why = f": {self.note}" if self.note else ""
        return f"{verb}{who}{why}"
