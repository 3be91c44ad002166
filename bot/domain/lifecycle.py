"""The hotfix lifecycle: one explicit transition table (CONTRACT §3 states)."""

from __future__ import annotations

from types import MappingProxyType

from bot.domain.errors import IllegalTransition
from bot.domain.values import TERMINAL_STATES, State

__all__ = ["ACTIVE_STATES", "OPEN_STATES", "TRANSITIONS", "check_transition"]

S = State

TRANSITIONS = MappingProxyType(
    {
        S.TRIAGE: frozenset({S.QUEUED, S.REJECTED, S.DISCARDED}),
        S.QUEUED: frozenset({S.RUNNING, S.STOPPED, S.DISCARDED, S.FAILED}),
        S.RUNNING: frozenset(
            {S.AWAITING_APPROVAL, S.VERIFYING, S.REVIEW, S.FAILED, S.STOPPED, S.INTERRUPTED, S.DISCARDED}
        ),
        S.AWAITING_APPROVAL: frozenset({S.RUNNING, S.FAILED, S.STOPPED, S.INTERRUPTED, S.DISCARDED}),
        S.VERIFYING: frozenset({S.REVIEW, S.FAILED, S.STOPPED, S.INTERRUPTED, S.DISCARDED}),
        S.REVIEW: frozenset({S.SHIPPED, S.QUEUED, S.DISCARDED, S.STOPPED, S.FAILED}),
        S.INTERRUPTED: frozenset({S.QUEUED, S.DISCARDED, S.STOPPED}),
        S.REJECTED: frozenset(),
        S.SHIPPED: frozenset(),
        S.STOPPED: frozenset(),
        S.DISCARDED: frozenset(),
        S.FAILED: frozenset(),
    }
)

# A hotfix in one of these holds its repository's single run slot.
ACTIVE_STATES = frozenset({S.RUNNING, S.AWAITING_APPROVAL, S.VERIFYING})
# Not yet ended.
OPEN_STATES = frozenset(State) - TERMINAL_STATES


def check_transition(current: State, target: State) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"cannot go from {current.value} to {target.value}")
