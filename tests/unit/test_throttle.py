"""The platform-free rate limiter/coalescer, on a fake clock (no real waiting, no I/O)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest

from adapters.common.throttle import RateLimit, RetryLater, RetryPolicy, Throttle, TransientError

PER_CHAT = RateLimit(count=1, per=1.0)
PER_GROUP = RateLimit(count=20, per=60.0)


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def make_throttle(time: FakeTime, *limits: RateLimit, **kwargs: object) -> Throttle:
    return Throttle(
        limits_for=lambda lane: limits or (PER_CHAT,),
        clock=time.clock,
        sleep=time.sleep,
        jitter=lambda: 0.5,
        **kwargs,  # type: ignore[arg-type]
    )


class Recorder:
    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.calls: list[tuple[float, str]] = []

    def op(self, label: str, *, failures: list[Exception] | None = None) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            self.calls.append((self.time.now, label))
            if failures:
                raise failures.pop(0)
            return label

        return run


async def test_one_call_per_second_per_lane_in_order() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    results = await asyncio.gather(*(throttle.send("chat", rec.op(str(i))) for i in range(5)))
    assert results == ["0", "1", "2", "3", "4"]
    times = [t for t, _ in rec.calls]
    assert [label for _, label in rec.calls] == ["0", "1", "2", "3", "4"]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))


async def test_twenty_per_minute_in_a_group() -> None:
    time = FakeTime()
    throttle = make_throttle(time, PER_CHAT, PER_GROUP)
    rec = Recorder(time)
    await asyncio.gather(*(throttle.send("group", rec.op(str(i))) for i in range(45)))
    times = [t for t, _ in rec.calls]
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t < start + 60.0]
        assert len(in_window) <= 20
    assert times[20] >= times[0] + 60.0


async def test_lanes_do_not_wait_for_each_other() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    await asyncio.gather(throttle.send("a", rec.op("a")), throttle.send("b", rec.op("b")))
    assert rec.calls[0][0] == rec.calls[1][0]


async def test_global_limit_spans_lanes() -> None:
    time = FakeTime()
    throttle = make_throttle(time, global_limits=(RateLimit(count=2, per=1.0),))
    rec = Recorder(time)
    await asyncio.gather(*(throttle.send(f"lane{i}", rec.op(str(i))) for i in range(6)))
    times = sorted(t for t, _ in rec.calls)
    for i, start in enumerate(times):
        assert len([t for t in times[i:] if t < start + 1.0]) <= 2


async def test_coalesced_burst_delivers_the_latest_state() -> None:
    time = FakeTime()
    throttle = make_throttle(time, PER_CHAT, PER_GROUP)
    rec = Recorder(time)
    await throttle.send("group", rec.op("post"))
    for i in range(100):  # a burst of agent events, all within one tick of the loop
        throttle.coalesce("group", "card", rec.op(f"edit {i}"))
        if i == 50:
            await asyncio.sleep(0)  # the worker starts on an early state mid-burst
    await throttle.drain()
    labels = [label for _, label in rec.calls]
    assert labels[-1] == "edit 99"
    assert len(labels) <= 4
    assert throttle.pending_count() == 0


async def test_coalescing_keeps_other_keys() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    throttle.coalesce("chat", "card-1", rec.op("one"))
    throttle.coalesce("chat", "card-2", rec.op("two"))
    throttle.coalesce("chat", "card-1", rec.op("one again"))
    await throttle.drain()
    assert sorted(label for _, label in rec.calls) == ["one again", "two"]


async def test_retry_later_pauses_the_lane() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    first = throttle.send("chat", rec.op("first", failures=[RetryLater(7)]))
    second = throttle.send("chat", rec.op("second"))
    assert await asyncio.gather(first, second) == ["first", "second"]
    (t_fail, _), (t_retry, _), (t_second, _) = rec.calls
    assert t_retry >= t_fail + 7.0
    assert t_second >= t_retry + 1.0


async def test_transient_errors_are_retried_with_growing_backoff() -> None:
    time = FakeTime()
    throttle = make_throttle(time, RateLimit(count=100, per=1.0))
    rec = Recorder(time)
    failures: list[Exception] = [TransientError("timeout"), TransientError("502"), TransientError("reset")]
    assert await throttle.send("chat", rec.op("x", failures=failures)) == "x"
    assert len(rec.calls) == 4
    backoffs = [s for s in time.sleeps if s > 0]
    assert backoffs == sorted(backoffs) and len(backoffs) == 3


async def test_send_gives_up_after_the_attempts() -> None:
    time = FakeTime()
    throttle = make_throttle(time, retry=RetryPolicy(attempts=3))
    rec = Recorder(time)
    with pytest.raises(TransientError):
        await throttle.send("chat", rec.op("x", failures=[TransientError("down")] * 10))
    assert len(rec.calls) == 3


async def test_retry_later_is_honoured_more_often_than_failures_are_retried() -> None:
    time = FakeTime()
    throttle = make_throttle(time, retry=RetryPolicy(attempts=2, waits=6))
    rec = Recorder(time)
    assert await throttle.send("chat", rec.op("x", failures=[RetryLater(1)] * 5)) == "x"
    with pytest.raises(RetryLater):
        await throttle.send("chat", rec.op("y", failures=[RetryLater(1)] * 10))
    assert [label for _, label in rec.calls].count("y") == 6


async def test_permanent_error_is_not_retried() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    with pytest.raises(ValueError):
        await throttle.send("chat", rec.op("x", failures=[ValueError("bad request")]))
    assert len(rec.calls) == 1


async def test_coalesced_state_survives_a_long_outage() -> None:
    time = FakeTime()
    throttle = make_throttle(time, retry=RetryPolicy(attempts=2))
    rec = Recorder(time)
    throttle.coalesce("chat", "card", rec.op("final", failures=[TransientError("down")] * 12))
    await throttle.drain()
    assert len(rec.calls) == 13
    assert rec.calls[-1][1] == "final"


async def test_a_failing_state_gives_way_to_a_newer_one() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    throttle.coalesce("chat", "card", rec.op("old", failures=[TransientError("down")] * 50))
    await asyncio.sleep(0)
    throttle.coalesce("chat", "card", rec.op("new"))
    await throttle.drain()
    labels = [label for _, label in rec.calls]
    assert labels[-1] == "new"
    assert labels.count("old") < 50


async def test_permanent_failure_of_one_state_does_not_block_the_next() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    throttle.coalesce("chat", "card", rec.op("broken", failures=[ValueError("bad")]))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    throttle.coalesce("chat", "card", rec.op("fixed"))
    await throttle.drain()
    assert [label for _, label in rec.calls] == ["broken", "fixed"]


async def test_close_cancels_what_cannot_be_delivered() -> None:
    throttle = Throttle(limits_for=lambda lane: (PER_CHAT,))
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    throttle.coalesce("chat", "card", hang)
    await started.wait()
    await throttle.close(timeout=0.01)
    await throttle.drain()  # returns: nothing is left running


async def test_a_send_goes_ahead_while_a_coalesced_edit_backs_off() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    throttle.coalesce("chat", "card", rec.op("edit", failures=[TransientError("502")] * 3))
    await asyncio.sleep(0)  # the edit's first try fails and it starts backing off
    assert await throttle.send("chat", rec.op("post")) == "post"
    await throttle.drain()
    labels = [label for _, label in rec.calls]
    assert labels[:2] == ["edit", "post"] and labels[-1] == "edit"
    times = [t for t, _ in rec.calls]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))


async def test_nothing_is_queued_after_close() -> None:
    time = FakeTime()
    throttle = make_throttle(time)
    rec = Recorder(time)
    throttle.coalesce("chat", "card", rec.op("before"))
    await throttle.close()
    throttle.coalesce("chat", "card", rec.op("after"))
    await throttle.drain()
    assert [label for _, label in rec.calls] == ["before"]
    assert throttle.pending_count() == 0
