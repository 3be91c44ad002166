"""Who may do what (CONTRACT §2), as a table."""

from __future__ import annotations

import pytest

from bot.domain.people import Action, People

P = People(requesters=frozenset({"r"}), approvers=frozenset({"a"}), escalation=frozenset({"e", "r2"}),
           triage_owner="t")
A = Action

TABLE = {
    # actor: actions allowed on a hotfix whose requester is "r2"
    "unknown": set(),
    "r": {A.FILE, A.READ},
    "a": {A.FILE, A.READ, A.APPROVE, A.STOP, A.REVISE, A.RESET},
    "e": {A.FILE, A.READ, A.APPROVE_ESCALATION, A.STOP, A.TRIAGE},
    "t": {A.READ, A.STOP, A.TRIAGE},
    "r2": {A.FILE, A.READ, A.STOP, A.REVISE, A.RESET, A.TRIAGE},  # the requester: never its own escalation
}


@pytest.mark.parametrize("actor", sorted(TABLE))
@pytest.mark.parametrize("action", list(Action))
def test_matrix(actor: str, action: Action) -> None:
    assert P.may(actor, action, requester="r2") == (action in TABLE[actor])


def test_who_may_approve_an_escalation_excludes_the_requester() -> None:
    from bot.domain.values import ApprovalKind

    assert P.who_may_approve(ApprovalKind.ESCALATION, requester="r2") == ("e",)
