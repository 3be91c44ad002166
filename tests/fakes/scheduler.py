"""A Scheduler that fires due jobs when the test says so (with a FakeClock)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime


class FakeScheduler:
    def __init__(self, fire: Callable[[str], Awaitable[object]] | None = None) -> None:
        self.jobs: dict[str, datetime] = {}
        self.fire: Callable[[str], Awaitable[object]] | None = fire

    def schedule(self, *, key: str, at: datetime, payload: dict[str, str]) -> None:
        self.jobs[key] = at

    def cancel(self, *, key: str) -> None:
        self.jobs.pop(key, None)

    def pending(self) -> Iterator[str]:
        return iter(sorted(self.jobs, key=lambda k: self.jobs[k]))

    async def run_due(self, now: datetime) -> list[str]:
        assert self.fire is not None
        due = [k for k in self.pending() if self.jobs[k] <= now]
        for key in due:
            self.jobs.pop(key, None)
            await self.fire(key)
        return due
