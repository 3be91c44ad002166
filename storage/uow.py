"""The SQL unit of work: one session, one transaction; events handed out only after commit."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain.audit import DomainEvent
from storage.repository import SqlDeadlineRepository, SqlFreezeRepository, SqlHotfixRepository

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
    """Implements ``bot.ports.UnitOfWork``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._events: list[DomainEvent] = []

    def __enter__(self) -> SqlUnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        self.hotfixes = SqlHotfixRepository(self.session)
        self.freezes = SqlFreezeRepository(self.session)
        self.deadlines = SqlDeadlineRepository(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        try:
            self.hotfixes.flush()
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        for tracked in self.hotfixes.seen.values():
            self._events.extend(tracked.hotfix.events)
            tracked.hotfix.events.clear()

    def rollback(self) -> None:
        self.session.rollback()

    def collect_new_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
