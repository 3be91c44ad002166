"""In-memory UnitOfWork: copies on load and on commit, so uncommitted changes are lost like in a database."""

from __future__ import annotations

import copy
from collections.abc import Collection
from datetime import datetime

from bot.domain.audit import DomainEvent
from bot.domain.deadline import Deadline
from bot.domain.errors import ConcurrencyError
from bot.domain.hotfix import Hotfix
from bot.domain.queue import Freeze, QueueEntry
from bot.domain.values import State


class FakeStore:
    def __init__(self) -> None:
        self.hotfixes: dict[int, Hotfix] = {}
        self.freezes: dict[str, Freeze] = {}
        self.deadlines: dict[str, Deadline] = {}
        self.commits = 0


class FakeDeadlineRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.pending: dict[str, Deadline | None] = {}

    def _merged(self) -> dict[str, Deadline]:
        merged = dict(self.store.deadlines)
        for key, d in self.pending.items():
            if d is None:
                merged.pop(key, None)
            else:
                merged[key] = d
        return merged

    def all(self) -> list[Deadline]:
        return sorted(self._merged().values(), key=lambda d: d.at)

    def get(self, key: str) -> Deadline | None:
        return self._merged().get(key)

    def put(self, deadline: Deadline) -> None:
        self.pending[deadline.key] = deadline

    def remove(self, key: str) -> bool:
        existed = key in self._merged()
        self.pending[key] = None
        return existed

    def apply(self) -> None:
        for key, d in self.pending.items():
            if d is None:
                self.store.deadlines.pop(key, None)
            else:
                self.store.deadlines[key] = d
        self.pending.clear()


class FakeHotfixRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.seen: dict[int, tuple[Hotfix, int | None]] = {}

    def add(self, hotfix: Hotfix) -> None:
        self.seen[hotfix.number] = (hotfix, None)

    def get(self, number: int) -> Hotfix | None:
        if number in self.seen:
            return self.seen[number][0]
        stored = self.store.hotfixes.get(number)
        if stored is None:
            return None
        loaded = copy.deepcopy(stored)
        self.seen[number] = (loaded, stored.version)
        return loaded

    def by_token(self, token: str) -> Hotfix | None:
        for h in self.store.hotfixes.values():
            if h.card_token == token or any(a.id == token for a in h.approvals):
                return self.get(h.number)
        return None

    def list(self, *, states: Collection[State] | None = None, repo: str | None = None,
             since: datetime | None = None) -> list[Hotfix]:
        out = []
        for number in sorted(self.store.hotfixes):
            h = self.get(number)
            assert h is not None
            if ((states is None or h.state in states) and (repo is None or h.repo == repo)
                    and (since is None or h.created_at >= since)):
                out.append(h)
        return out

    def queue(self) -> list[QueueEntry]:
        return [QueueEntry(number=h.number, repo=h.repo, priority=h.priority, created_at=h.created_at,
                           state=h.state) for h in self.store.hotfixes.values() if not h.is_terminal]

    def next_number(self) -> int:
        return max([*self.store.hotfixes, *self.seen, 0]) + 1


class FakeFreezeRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.pending: dict[str, Freeze | None] = {}

    def all(self) -> dict[str, Freeze]:
        merged = dict(self.store.freezes)
        for scope, f in self.pending.items():
            if f is None:
                merged.pop(scope, None)
            else:
                merged[scope] = f
        return merged

    def put(self, freeze: Freeze) -> None:
        self.pending[freeze.scope] = freeze

    def remove(self, scope: str) -> bool:
        existed = scope in self.all()
        self.pending[scope] = None
        return existed


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self._events: list[DomainEvent] = []

    def __enter__(self) -> FakeUnitOfWork:
        self.hotfixes = FakeHotfixRepository(self.store)
        self.freezes = FakeFreezeRepository(self.store)
        self.deadlines = FakeDeadlineRepository(self.store)
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        for number, (_h, version) in self.hotfixes.seen.items():
            current = self.store.hotfixes.get(number)
            if (version is None and current is not None) or (version is not None and current is not None
                                                             and current.version != version):
                raise ConcurrencyError(f"HF-{number} was changed by someone else; try again")
        for number, (h, _version) in list(self.hotfixes.seen.items()):
            h.version += 1
            self._events.extend(h.events)
            h.events.clear()
            self.store.hotfixes[number] = copy.deepcopy(h)
            self.hotfixes.seen[number] = (h, h.version)
        for scope, f in self.freezes.pending.items():
            if f is None:
                self.store.freezes.pop(scope, None)
            else:
                self.store.freezes[scope] = f
        self.freezes.pending.clear()
        self.deadlines.apply()
        self.store.commits += 1

    def rollback(self) -> None:
        if hasattr(self, "freezes"):
            self.freezes.pending.clear()
            self.deadlines.pending.clear()

    def collect_new_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


class FakeUnitOfWorkFactory:
    def __init__(self) -> None:
        self.store = FakeStore()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)
