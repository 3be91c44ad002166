from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.hotfix import Hotfix
from bot.domain.queue import ALL_REPOS, Freeze, next_runnable, queue_order, queue_position
from bot.domain.values import ConversationRef, Priority, State

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def h(n: int, repo: str, state: State = State.QUEUED, prio: Priority = Priority.P1) -> Hotfix:
    return Hotfix(number=n, repo=repo, title="t", description="d", requester="x:1", state=state, priority=prio,
                  conversation=ConversationRef(platform="x", key="1"), created_at=T0 + timedelta(minutes=n))


def test_priority_then_fifo() -> None:
    items = [h(1, "a"), h(2, "b", prio=Priority.P0), h(3, "c"), h(4, "d", prio=Priority.P0)]
    assert [x.number for x in queue_order(items)] == [2, 4, 1, 3]
    assert queue_position(items[2], items) == 4


def test_one_active_run_per_repo_and_a_global_limit() -> None:
    items = [h(1, "a", State.RUNNING), h(2, "a"), h(3, "b"), h(4, "c"), h(5, "b")]
    assert [x.number for x in next_runnable(items, freezes={}, limit=2)] == [3]
    assert [x.number for x in next_runnable(items, freezes={}, limit=3)] == [3, 4]


def test_freezes_hold_queued_work() -> None:
    items = [h(1, "a"), h(2, "b")]
    one = {"a": Freeze(scope="a", reason="deploy", actor="t", at=T0)}
    assert [x.number for x in next_runnable(items, freezes=one, limit=5)] == [2]
    everything = {ALL_REPOS: Freeze(scope=ALL_REPOS, reason="incident", actor="t", at=T0)}
    assert next_runnable(items, freezes=everything, limit=5) == []
