"""Audit entries and domain events.

Audit entries are persisted with the hotfix (who, when, what) for every filing, decision, state change and
refusal. Domain events are handed to the message bus after the unit of work commits (never before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.values import State

__all__ = [
    "ApprovalDecided",
    "ApprovalNudged",
    "ApprovalRequested",
    "AuditEntry",
    "DomainEvent",
    "HotfixChanged",
    "HotfixFiled",
    "ReviewReady",
    "StateChanged",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    at: datetime
    kind: str  # filed, state, approval_requested, approved, denied, refused, stop, note, agent, …
    actor: str  # "<platform>:<id>", or "bot"
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    number: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HotfixFiled(DomainEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(DomainEvent):
    old: State
    new: State


@dataclass(frozen=True, slots=True, kw_only=True)
class HotfixChanged(DomainEvent):
    """Something on the status card changed (progress, badges)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRequested(DomainEvent):
    approval_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalDecided(DomainEvent):
    approval_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewReady(DomainEvent):
    """A (new) review is ready: post its card; an older review card of the hotfix is superseded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalNudged(DomainEvent):
    """The approval ladder moved: ``step`` is "remind" (tell the approvers again) or "escalate" (tell on-call)."""

    approval_id: str
    step: str
