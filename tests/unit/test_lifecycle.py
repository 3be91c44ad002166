"""The transition table, exhaustively: every (state, target) pair is either allowed or raises."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from bot.domain.errors import IllegalTransition
from bot.domain.hotfix import Hotfix
from bot.domain.lifecycle import TRANSITIONS, check_transition
from bot.domain.values import TERMINAL_STATES, ApprovalKind, ConversationRef, State

NOW = datetime(2026, 11, 21, tzinfo=UTC)
ALLOWED = {(s, t) for s, targets in TRANSITIONS.items() for t in targets}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(State, State)))
def test_every_pair(current: State, target: State) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(current, target)


def test_terminal_states_are_terminal() -> None:
    assert {s for s in State if not TRANSITIONS[s]} == set(TERMINAL_STATES)


def test_every_state_is_reachable_from_triage() -> None:
    seen, todo = {State.TRIAGE}, [State.TRIAGE]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(State)


def hotfix() -> Hotfix:
    return Hotfix(number=7, repo="shop", title="t", description="d", requester="slack:U1",
                  conversation=ConversationRef(platform="slack", key="C1"), created_at=NOW)


def test_aggregate_moves_record_audit_and_events() -> None:
    h = hotfix()
    h.filed(at=NOW, outcome="accept", reason="ok")
    h.start(at=NOW, branch="hotfix/7-x", worktree="/w", base_sha="abc")
    a = h.request_approval(at=NOW, kind=ApprovalKind.COMMAND, subject="make", digest="d", reasons=("r",))
    assert h.state is State.AWAITING_APPROVAL
    h.decide(a.id, approve=True, actor="slack:U2", at=NOW)
    assert h.state is State.RUNNING
    kinds = [e.kind for e in h.audit]
    assert kinds == ["filed", "state", "state", "approval_requested", "state", "approved", "state"]
    assert h.label == "HF-7 (shop)"


def test_illegal_move_raises_and_changes_nothing() -> None:
    h = hotfix()
    h.filed(at=NOW, outcome="reject", reason="refactor")
    with pytest.raises(IllegalTransition):
        h.start(at=NOW, branch="b", worktree="/w", base_sha="abc")
    assert h.state is State.REJECTED


def test_a_decided_approval_cannot_be_decided_again() -> None:
    from bot.domain.errors import Conflict

    h = hotfix()
    h.filed(at=NOW, outcome="accept", reason="ok")
    h.start(at=NOW, branch="b", worktree="/w", base_sha="abc")
    a = h.request_approval(at=NOW, kind=ApprovalKind.COMMAND, subject="make", digest="d", reasons=())
    h.decide(a.id, approve=False, actor="slack:U2", at=NOW)
    with pytest.raises(Conflict):
        h.decide(a.id, approve=True, actor="slack:U3", at=NOW)
