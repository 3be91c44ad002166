"""The message bus: routes commands to handlers, and domain events (after commit) to event handlers.

Commands come from chat adapters, the console, timers and the file lane. A handler works inside a unit of
work; only after it commits are the recorded domain events queued for the event handlers (cards, runs,
timers), which run one at a time in a background worker so a command's reply is never held up by them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.domain.agent import Permission
from bot.domain.audit import DomainEvent
from bot.domain.errors import ConcurrencyError, HotfixError, NotFound
from bot.domain.hotfix import Hotfix
from bot.ports import UnitOfWork
from bot.services.commands import Command, Reply
from bot.services.deps import Deps

__all__ = ["CommandHandler", "EventHandler", "MessageBus", "RunControl"]

log = logging.getLogger(__name__)
T = TypeVar("T")
EventHandler = Callable[[DomainEvent], Awaitable[None]]
CommandHandler = Callable[[Any, "MessageBus"], Awaitable[Reply]]


class RunControl(Protocol):
    """What handlers need from the run orchestration (bot.services.runs.RunManager)."""

    def answer(self, approval_id: str, permission: Permission) -> bool:
        """Hand a decided approval's answer to the waiting agent; False if nothing was waiting."""
        ...

    async def cancel(self, number: int) -> None:
        """Stop the agent of hotfix ``number`` (its process tree is gone when this returns)."""
        ...

    async def rereview(self, number: int) -> None:
        """The diff changed since the review card was posted: re-diff, re-verify and post a new review."""
        ...

    async def dispatch(self) -> None:
        """Start whatever queued work may start now (after an unfreeze, say)."""
        ...

    async def budget_elapsed(self, number: int) -> None:
        """The run went past its time budget: pause it on a scope approval."""
        ...


class _NoRuns:
    def answer(self, approval_id: str, permission: Permission) -> bool:
        return False

    async def cancel(self, number: int) -> None:
        return None

    async def rereview(self, number: int) -> None:
        return None

    async def dispatch(self) -> None:
        return None

    async def budget_elapsed(self, number: int) -> None:
        return None


class MessageBus:
    """Implements ``bot.ports.CommandSink``."""

    def __init__(self, deps: Deps, handlers: dict[type, CommandHandler]) -> None:
        self.deps = deps
        self._handlers = handlers
        self._event_handlers: list[EventHandler] = []
        self._queue: asyncio.Queue[DomainEvent] = asyncio.Queue()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._worker: asyncio.Task[None] | None = None
        self.runs: RunControl = _NoRuns()
        self.recent_refusals: dict[tuple[str, int, str], datetime] = {}  # see handlers.guard

    # ----- wiring
    def subscribe(self, handler: EventHandler) -> None:
        self._event_handlers.append(handler)

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="event-worker")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests, shutdown)."""
        await self._queue.join()

    # ----- commands
    async def handle(self, command: Command) -> Reply:
        handler = self._handlers.get(type(command))
        if handler is None:
            return Reply(text=f"Unsupported command: {type(command).__name__}", ok=False)
        try:
            return await handler(command, self)
        except HotfixError as e:
            return Reply(text=str(e), ok=False)
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("command %s failed (ref %s)", type(command).__name__, ref)
            return Reply(text=f"Something went wrong on our side (ref {ref}); nothing was changed.", ok=False)

    # ----- units of work
    def lock(self, number: int) -> asyncio.Lock:
        """One lock per hotfix while anyone holds or waits for it (then it is forgotten)."""
        lock = self._locks.get(number)
        if lock is None:
            lock = self._locks[number] = asyncio.Lock()
        return lock

    async def mutate(self, number: int, change: Callable[[Hotfix, UnitOfWork], T]) -> T:
        """Load hotfix ``number``, apply ``change``, commit, then queue its events. Serialised per hotfix in
        this process; a concurrent writer elsewhere is caught by the version check and retried once."""
        async with self.lock(number):
            for attempt in (1, 2):
                try:
                    return self._apply(number, change)
                except ConcurrencyError:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _apply(self, number: int, change: Callable[[Hotfix, UnitOfWork], T]) -> T:
        with self.deps.uow() as uow:
            hotfix = uow.hotfixes.get(number)
            if hotfix is None:
                raise NotFound(f"no hotfix HF-{number}")
            result = change(hotfix, uow)
            uow.commit()
            self.publish(uow.collect_new_events())
        return result

    def publish(self, events: list[DomainEvent]) -> None:
        for event in events:
            self._queue.put_nowait(event)

    def read(self, number: int) -> Hotfix:
        with self.deps.uow() as uow:
            hotfix = uow.hotfixes.get(number)
        if hotfix is None:
            raise NotFound(f"no hotfix HF-{number}")
        return hotfix

    # ----- events
    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                for handler in self._event_handlers:
                    try:
                        await handler(event)
                    except Exception:
                        log.exception("event handler failed for %s", type(event).__name__)
            finally:
                self._queue.task_done()
