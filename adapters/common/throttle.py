"""A platform-free rate limiter and coalescer for chat adapters (Telegram, Slack, …).

Every outgoing call to a chat platform goes through one :class:`Throttle`, sorted into *lanes* (one lane per
conversation: a Telegram chat id, a Slack channel id). The throttle guarantees, per lane, the limits that
``limits_for(lane)`` returns, plus ``global_limits`` across all lanes, and runs the calls of one lane one at a
time, in order.

API::

    throttle = Throttle(limits_for=lambda lane: (RateLimit(count=1, per=1.0), RateLimit(count=20, per=60.0)),
                        global_limits=(RateLimit(count=30, per=1.0),), retry=RetryPolicy())
    ref = await throttle.send(lane, lambda: post_message(...))   # awaited; returns the operation's result
    throttle.coalesce(lane, key, lambda: edit_message(...))       # not awaited: latest operation per key wins
    await throttle.drain()                                        # until every coalesced operation is delivered
    await throttle.close(timeout=5.0)                             # drain (bounded), then cancel the workers

Operations are zero-argument callables returning an awaitable; they are called once per attempt. They report
trouble by raising:

- :class:`RetryLater` (``delay`` seconds): the platform said "too many requests" (Telegram ``RetryAfter``,
  Slack 429). The whole lane pauses for ``delay`` and the operation is tried again.
- :class:`TransientError`: a timeout, a network error or a 5xx. Retried with exponential backoff and jitter.
- anything else: permanent. ``send`` re-raises it; a coalesced operation is logged and dropped (a newer state
  for the same key is still delivered).

``send`` holds its lane until done (calls in one lane keep their order), gives up after ``retry.attempts``
transient failures or ``retry.waits`` RetryLater answers, and raises the last error. A coalesced operation
takes the lane for one try at a time (sends go ahead while it backs off) and is retried until it is
delivered, fails permanently, or is superseded by a newer operation for the same key: the latest state of
every card always lands, intermediate states may be skipped.

Every attempt counts against the limits. Time and sleeping are injectable (``clock``, ``sleep``) so tests
need no real waiting; ``jitter`` returns a float in [0, 1).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

__all__ = ["RateLimit", "RetryLater", "RetryPolicy", "Throttle", "TransientError"]

T = TypeVar("T")
Operation = Callable[[], Awaitable[T]]

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The platform asked to wait ``delay`` seconds before the next call (HTTP 429, flood control)."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"retry after {delay:g} s")
        self.delay = max(0.0, float(delay))


class TransientError(Exception):
    """A failure worth retrying: timeout, connection error, 5xx."""


class _Superseded(Exception):
    """A coalesced operation gave way to a newer one for the same key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """At most ``count`` calls in any window of ``per`` seconds."""

    count: int
    per: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int = 5  # for ``send``: failed attempts (timeouts, 5xx) before giving up
    waits: int = 20  # for ``send``: RetryLater answers honoured before giving up (they are not failures)
    base_delay: float = 0.5  # first backoff, doubled per attempt
    max_delay: float = 30.0
    max_retry_after: float = 300.0  # a RetryLater longer than this is capped


@dataclass(slots=True)
class _Lane:
    limits: tuple[RateLimit, ...]
    sent_at: deque[float] = field(default_factory=deque)
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: dict[str, Operation[object]] = field(default_factory=dict)
    worker: asyncio.Task[None] | None = None


def _wait_for(limits: Iterable[RateLimit], sent_at: deque[float], now: float) -> float:
    """Seconds until one more call fits every limit, given the (ascending) times of earlier calls."""
    wait = 0.0
    for limit in limits:
        recent = [t for t in sent_at if t > now - limit.per]
        if len(recent) >= limit.count:
            wait = max(wait, recent[-limit.count] + limit.per - now)
    return wait


def _prune(sent_at: deque[float], limits: Iterable[RateLimit], now: float) -> None:
    horizon = max((limit.per for limit in limits), default=0.0)
    while sent_at and sent_at[0] <= now - horizon:
        sent_at.popleft()


class Throttle:
    """Per-lane rate limits, ordering, retries and edit coalescing. See the module docstring."""

    def __init__(
        self,
        *,
        limits_for: Callable[[str], tuple[RateLimit, ...]],
        global_limits: tuple[RateLimit, ...] = (),
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._limits_for = limits_for
        self._global_limits = global_limits
        self._global_sent: deque[float] = deque()
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._lanes: dict[str, _Lane] = {}
        self._closed = False

    def _lane(self, name: str) -> _Lane:
        lane = self._lanes.get(name)
        if lane is None:
            lane = self._lanes[name] = _Lane(limits=self._limits_for(name))
        return lane

    async def send(self, lane: str, operation: Operation[T]) -> T:
        """Run ``operation`` in ``lane`` when the limits allow; retry per the policy; return its result."""
        the_lane = self._lane(lane)
        async with the_lane.lock:
            return await self._attempt(the_lane, operation, superseded=None)

    def coalesce(self, lane: str, key: str, operation: Operation[object]) -> None:
        """Queue ``operation`` as the latest state of ``key`` (e.g. one card); replaces an undelivered one."""
        if self._closed:  # shutting down: no new background work
            log.warning("dropped an update queued after the throttle was closed")
            return
        the_lane = self._lane(lane)
        the_lane.pending.pop(key, None)
        the_lane.pending[key] = operation
        if the_lane.worker is None or the_lane.worker.done():
            the_lane.worker = asyncio.get_running_loop().create_task(self._work(the_lane))

    def pending_count(self) -> int:
        """Coalesced operations not yet started."""
        return sum(len(lane.pending) for lane in self._lanes.values())

    async def drain(self) -> None:
        """Wait until every coalesced operation queued so far (and since) has been delivered or dropped."""
        while True:
            workers = [lane.worker for lane in self._lanes.values() if lane.worker and not lane.worker.done()]
            if not workers:
                return
            await asyncio.gather(*workers, return_exceptions=True)

    async def close(self, *, timeout: float = 5.0) -> None:
        """Deliver what is pending for at most ``timeout`` seconds, then cancel the workers. Later coalesced
        operations are dropped (with a warning); ``send`` still works."""
        self._closed = True
        try:
            await asyncio.wait_for(self.drain(), timeout)
        except TimeoutError:
            log.warning("throttle closed with %d undelivered operations", self.pending_count())
        for lane in self._lanes.values():
            if lane.worker and not lane.worker.done():
                lane.worker.cancel()
                await asyncio.gather(lane.worker, return_exceptions=True)

    async def _work(self, lane: _Lane) -> None:
        while lane.pending:
            key = next(iter(lane.pending))
            operation = lane.pending.pop(key)
            try:
                await self._attempt(lane, operation, superseded=partial(dict.__contains__, lane.pending, key))
            except _Superseded:
                continue
            except Exception as error:  # permanent: nothing more to do for this state
                log.warning("dropped an undeliverable update (%s)", type(error).__name__)

    async def _attempt(self, lane: _Lane, operation: Operation[T], *, superseded: Callable[[], bool] | None) -> T:
        """Call ``operation`` until it succeeds.

        ``superseded`` None: a ``send`` (the caller holds the lane; gives up after ``retry.attempts``).
        Otherwise a coalesced call: it takes the lane for each try only, so sends go ahead while it backs off,
        and it is retried without limit until delivered or superseded.
        """
        failures = waits = 0
        while True:
            turn: AbstractAsyncContextManager[object] = lane.lock if superseded else nullcontext()
            try:
                async with turn:
                    if superseded is not None and superseded():
                        raise _Superseded
                    await self._wait_for_slot(lane)
                    return await operation()
            except RetryLater as error:
                lane.paused_until = self._clock() + min(error.delay, self._retry.max_retry_after)
                waits += 1
                if superseded is None and waits >= self._retry.waits:
                    raise
            except TransientError:
                await self._sleep(self._backoff(failures))
                failures += 1
                if superseded is None and failures >= self._retry.attempts:
                    raise

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._retry.max_delay, self._retry.base_delay * (2**failures))
        return ceiling / 2 + ceiling / 2 * self._jitter()

    async def _wait_for_slot(self, lane: _Lane) -> None:
        while True:
            now = self._clock()
            _prune(lane.sent_at, lane.limits, now)
            _prune(self._global_sent, self._global_limits, now)
            wait = max(
                lane.paused_until - now,
                _wait_for(lane.limits, lane.sent_at, now),
                _wait_for(self._global_limits, self._global_sent, now),
            )
            if wait <= 0:
                lane.sent_at.append(now)
                self._global_sent.append(now)
                return
            await self._sleep(wait)
