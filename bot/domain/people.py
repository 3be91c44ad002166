"""Who may do what (CONTRACT §2). The only place permissions are decided."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.domain.values import ApprovalKind

__all__ = ["Action", "People"]


class Action(enum.StrEnum):
    FILE = "file"
    READ = "read"  # help, queue, status, diff, log
    APPROVE = "approve"  # command, scope and ship approvals (and their denial)
    APPROVE_ESCALATION = "approve escalation"
    STOP = "stop"
    REVISE = "revise"
    RESET = "reset"
    TRIAGE = "triage"  # accept, reject, freeze, unfreeze


@dataclass(frozen=True, slots=True, kw_only=True)
class People:
    requesters: frozenset[str] = frozenset()
    approvers: frozenset[str] = frozenset()
    escalation: frozenset[str] = frozenset()
    triage_owner: str | None = None

    @property
    def everyone(self) -> frozenset[str]:
        owner = {self.triage_owner} if self.triage_owner else set()
        return self.requesters | self.approvers | self.escalation | owner

    def is_known(self, actor: str) -> bool:
        return actor in self.everyone

    def may(self, actor: str, action: Action, *, requester: str | None = None) -> bool:
        """Whether ``actor`` may do ``action``; ``requester`` is the requester of the hotfix concerned."""
        owner = {self.triage_owner} if self.triage_owner else set()
        is_requester = requester is not None and actor == requester
        match action:
            case Action.FILE:
                return actor in self.requesters | self.approvers | self.escalation
            case Action.READ:
                return self.is_known(actor)
            case Action.APPROVE:
                return actor in self.approvers
            case Action.APPROVE_ESCALATION:
                return actor in self.escalation and not is_requester
            case Action.STOP:
                return is_requester or actor in self.approvers | self.escalation | owner
            case Action.REVISE | Action.RESET:
                return is_requester or actor in self.approvers
            case Action.TRIAGE:
                return actor in self.escalation | owner
        return False

    def approval_action(self, kind: ApprovalKind) -> Action:
        return Action.APPROVE_ESCALATION if kind is ApprovalKind.ESCALATION else Action.APPROVE

    def who_may_approve(self, kind: ApprovalKind, *, requester: str) -> tuple[str, ...]:
        pool = self.escalation if kind is ApprovalKind.ESCALATION else self.approvers
        return tuple(sorted(p for p in pool if kind is not ApprovalKind.ESCALATION or p != requester))
