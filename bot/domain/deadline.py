"""Deadlines: timers that live in the database and are re-armed at start (house rule 6).

The approval ladder: a pending approval reminds its approvers after N minutes, is escalated to the escalation
group after M minutes and, when the repository sets a hard deadline, expires as "timed out". A run budget
deadline fires when a run has gone on for the policy's ``max_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain.approval import Approval
from bot.domain.values import ApprovalKind

__all__ = ["Deadline", "DeadlineKind", "approval_deadlines", "budget_deadline"]

DeadlineKind = Literal["remind", "escalate", "expire", "budget"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    key: str  # unique: "<kind>:<number>:<ref>"
    at: datetime
    kind: DeadlineKind
    number: int
    ref: str = ""  # the approval id for ladder steps


def approval_deadlines(number: int, approval: Approval, *, remind_after: int, escalate_after: int,
                       hard_deadline: int | None) -> list[Deadline]:
    start = approval.requested_at
    steps: list[tuple[DeadlineKind, int]] = [("remind", remind_after)]
    if approval.kind is not ApprovalKind.ESCALATION:
        steps.append(("escalate", escalate_after))
    if hard_deadline is not None and approval.kind is not ApprovalKind.SHIP:
        steps.append(("expire", hard_deadline))
    return [Deadline(key=f"{kind}:{number}:{approval.id}", at=start + timedelta(minutes=minutes), kind=kind,
                     number=number, ref=approval.id) for kind, minutes in steps if minutes > 0]


def budget_deadline(number: int, started_at: datetime, max_minutes: int) -> Deadline:
    return Deadline(key=f"budget:{number}:", at=started_at + timedelta(minutes=max_minutes), kind="budget",
                    number=number)
