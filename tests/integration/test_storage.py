"""The SQL unit of work on SQLite and on a real PostgreSQL server: round trips, versions, durability."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.domain.errors import ConcurrencyError
from bot.domain.hotfix import DiffSummary, Hotfix, Verification
from bot.domain.queue import ALL_REPOS, Freeze
from bot.domain.values import ApprovalKind, ApprovalState, ConversationRef, MessageRef, State
from storage.engine import make_engine, migrate
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
CHAT = ConversationRef(platform="slack", key="C123")


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'hotfix.db'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url")
    eng = make_engine(url)
    migrate(eng)
    migrate(eng)  # idempotent
    yield eng
    eng.dispose()


def filed(uow: SqlUnitOfWork) -> Hotfix:
    h = Hotfix(number=uow.hotfixes.next_number(), repo="shop", title="Checkout 500", description="empty payload",
               requester="slack:U1", conversation=CHAT, created_at=NOW)
    h.filed(at=NOW, outcome="accept", reason="user-visible error")
    uow.hotfixes.add(h)
    uow.commit()
    return h


def test_round_trip_of_a_whole_hotfix(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        h = filed(uow)
        h.start(at=NOW, branch="hotfix/1-checkout-500", worktree="/w/HF-1", base_sha="a" * 40, base_note="behind")
        a = h.request_approval(at=NOW, kind=ApprovalKind.ESCALATION, subject="npm install x", digest="d" * 64,
                               reasons=("built-in: package install",))
        a.message = MessageRef(conversation=CHAT, key="1700000000.000100", thread="1700000000.000001")
        h.card = MessageRef(conversation=CHAT, key="1700000000.000001")
        h.decide(a.id, approve=True, actor="slack:U3", at=NOW, note="ok")
        h.begin_verify(at=NOW, command="pytest -q")
        h.enter_review(at=NOW, report="steps", diff=DiffSummary(sha256="s" * 64, files=2, added=14, removed=3,
                                                                 paths=("a.py", "b.py"), findings=("x",)),
                       verification=Verification(command="pytest -q", exit_code=0, summary="3 passed"),
                       approval_kind=ApprovalKind.ESCALATION)
        uow.commit()
        events = uow.collect_new_events()
        assert events
    with SqlUnitOfWork(engine) as uow:
        back = uow.hotfixes.get(1)
        assert back is not None
        assert back.state is State.REVIEW and back.branch == "hotfix/1-checkout-500"
        assert back.card == h.card and back.approvals[0].message == a.message
        assert back.approvals[0].state is ApprovalState.APPROVED and back.approvals[0].decided_by == "slack:U3"
        assert back.diff == h.diff and back.verification == h.verification
        assert [e.kind for e in back.audit] == [e.kind for e in h.audit]
        assert back.created_at == NOW and back.created_at.tzinfo is not None
        assert uow.hotfixes.by_token(back.approvals[1].id) is not None
        assert uow.hotfixes.by_token(back.card_token) is not None
        assert uow.hotfixes.by_token("nope") is None
        assert [x.number for x in uow.hotfixes.list(states=[State.REVIEW])] == [1]


def test_two_writers_cannot_both_win(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        h = filed(uow)
        h.start(at=NOW, branch="b", worktree="/w", base_sha="a" * 40)
        a = h.request_approval(at=NOW, kind=ApprovalKind.COMMAND, subject="make", digest="d", reasons=())
        uow.commit()
    with SqlUnitOfWork(engine) as one, SqlUnitOfWork(engine) as two:
        first, second = one.hotfixes.get(1), two.hotfixes.get(1)
        assert first is not None and second is not None
        first.decide(a.id, approve=True, actor="slack:U2", at=NOW)
        second.decide(a.id, approve=False, actor="slack:U9", at=NOW)
        one.commit()
        with pytest.raises(ConcurrencyError):
            two.commit()
    with SqlUnitOfWork(engine) as uow:
        back = uow.hotfixes.get(1)
        assert back is not None and back.approvals[0].decided_by == "slack:U2"


def test_uncommitted_changes_are_lost(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        filed(uow)
    with SqlUnitOfWork(engine) as uow:
        h = uow.hotfixes.get(1)
        assert h is not None
        h.reject(actor="slack:U2", at=NOW, reason="x") if h.state is State.TRIAGE else h.stop(at=NOW, actor="x")
    with SqlUnitOfWork(engine) as uow:
        assert uow.hotfixes.get(1).state is State.QUEUED  # type: ignore[union-attr]


def test_freezes(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.freezes.put(Freeze(scope=ALL_REPOS, reason="incident", actor="slack:U2", at=NOW))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.freezes.all()[ALL_REPOS].reason == "incident"
        assert uow.freezes.remove(ALL_REPOS) and not uow.freezes.remove("shop")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.freezes.all() == {}


def test_lists_are_for_reading(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        filed(uow)
    with SqlUnitOfWork(engine) as uow:
        (listed,) = uow.hotfixes.list()
        assert listed.audit == [] and listed.state is State.QUEUED
        listed.note(at=NOW, kind="note", actor="slack:U2", detail="changed after a list")
        with pytest.raises(RuntimeError, match="get"):
            uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.hotfixes.list()[0].number == 1
        got = uow.hotfixes.get(1)  # a get after a list loads the whole aggregate
        assert got is not None and [e.kind for e in got.audit] == ["filed", "state"]
        got.note(at=NOW, kind="note", actor="slack:U2", detail="appended")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        back = uow.hotfixes.get(1)
        assert back is not None and [e.kind for e in back.audit] == ["filed", "state", "note"]


def test_an_unchanged_aggregate_is_not_written(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        filed(uow)
    with SqlUnitOfWork(engine) as one, SqlUnitOfWork(engine) as two:
        assert one.hotfixes.list() and two.hotfixes.get(1) is not None
        one.commit()  # read only: no version bump
        h = two.hotfixes.get(1)
        assert h is not None
        h.note(at=NOW, kind="note", actor="x", detail="y")
        two.commit()  # would conflict if the read-only unit had written
