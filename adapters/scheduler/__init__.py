"""apscheduler 3.x behind the Scheduler port: deadlines come back to the bus as FireDeadline commands."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.values import ConversationRef
from bot.ports import CommandSink
from bot.services.commands import Command, FireDeadline

__all__ = ["TIMER", "ApschedulerScheduler"]

log = logging.getLogger(__name__)
TIMER = ConversationRef(platform="internal", key="timer")


class ApschedulerScheduler:
    """Implements ``bot.ports.Scheduler``; also an adapter with start/stop on the shared event loop."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"misfire_grace_time": None,
                                                                         "coalesce": True})
        self._sink: CommandSink | None = None

    def bind(self, sink: CommandSink) -> None:
        self._sink = sink

    def schedule(self, *, key: str, at: datetime, payload: dict[str, str]) -> None:
        self._scheduler.add_job(self._fire, "date", run_date=at, id=key, replace_existing=True, args=[key])

    def cancel(self, *, key: str) -> None:
        job = self._scheduler.get_job(key)
        if job is not None:
            job.remove()

    def pending(self) -> Iterator[str]:
        return iter(job.id for job in self._scheduler.get_jobs())

    def every(self, *, seconds: float, key: str, command: Command) -> None:
        """Send ``command`` to the bus every ``seconds`` (first run right after start)."""
        self._scheduler.add_job(self._send, "interval", seconds=seconds, id=key, replace_existing=True,
                                args=[command], next_run_time=datetime.now(UTC))

    async def _send(self, command: Command) -> None:
        if self._sink is None:
            return
        try:
            await self._sink.handle(command)
        except Exception:
            log.exception("periodic %s failed", type(command).__name__)

    async def _fire(self, key: str) -> None:
        if self._sink is None:
            return
        try:
            await self._sink.handle(FireDeadline(actor="bot", conversation=TIMER, key=key))
        except Exception:
            log.exception("timer %s failed", key)

    async def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
