"""Queue rules: one active run per repository, a global limit, FIFO within priority, freezes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from bot.domain.hotfix import Hotfix
from bot.domain.lifecycle import ACTIVE_STATES
from bot.domain.values import Priority, State

__all__ = ["ALL_REPOS", "Freeze", "QueueEntry", "frozen_reason", "next_runnable", "queue_order", "queue_position"]

ALL_REPOS = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class Freeze:
    scope: str  # a repository name, or ALL_REPOS
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntry:
    """What the queue rules need of a hotfix (a repository can list these without loading whole aggregates)."""

    number: int
    repo: str
    priority: Priority
    created_at: datetime
    state: State

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


Queued = TypeVar("Queued", Hotfix, QueueEntry)


def frozen_reason(freezes: Mapping[str, Freeze], repo: str) -> Freeze | None:
    """The freeze that holds ``repo``, if any (a global freeze wins)."""
    return freezes.get(ALL_REPOS) or freezes.get(repo)


def queue_order(hotfixes: Iterable[Queued]) -> list[Queued]:
    """Queued hotfixes in the order they will run: priority first, then first in, first out."""
    queued = [h for h in hotfixes if h.state is State.QUEUED]
    return sorted(queued, key=lambda h: (h.priority.rank, h.created_at, h.number))


def queue_position(hotfix: Hotfix | QueueEntry, hotfixes: Iterable[Hotfix | QueueEntry]) -> int | None:
    """1-based position among queued hotfixes, or None when not queued."""
    for i, h in enumerate(queue_order(list(hotfixes)), start=1):  # type: ignore[type-var]
        if h.number == hotfix.number:
            return i
    return None


def next_runnable(hotfixes: Iterable[Queued], *, freezes: Mapping[str, Freeze], limit: int) -> list[Queued]:
    """The queued hotfixes that may start now, in order."""
    items = list(hotfixes)
    busy_repos = {h.repo for h in items if h.is_active}
    free_slots = limit - sum(1 for h in items if h.is_active)
    chosen: list[Queued] = []
    for h in queue_order(items):
        if free_slots <= 0:
            break
        if h.repo in busy_repos or frozen_reason(freezes, h.repo):
            continue
        chosen.append(h)
        busy_repos.add(h.repo)
        free_slots -= 1
    return chosen
