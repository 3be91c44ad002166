"""SQL repositories behind the core's HotfixRepository and FreezeRepository ports."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain.deadline import Deadline
from bot.domain.errors import ConcurrencyError
from bot.domain.hotfix import Hotfix
from bot.domain.queue import Freeze, QueueEntry
from bot.domain.values import TERMINAL_STATES, Priority, State
from storage.mapping import approval_row, audit_row, freeze_from_row, hotfix_from_rows, hotfix_row, utc
from storage.tables import ApprovalRow, AuditRow, DeadlineRow, FreezeRow, HotfixRow

__all__ = ["SqlDeadlineRepository", "SqlFreezeRepository", "SqlHotfixRepository"]


@dataclass(slots=True)
class _Tracked:
    """What a unit of work knows about an aggregate it handed out."""

    hotfix: Hotfix
    version: int | None  # None: new
    snapshot: object  # the rows as loaded; an unchanged aggregate is not written back
    audit_base: int  # audit rows in the database that are not in hotfix.audit (lists skip the audit trail)
    audit_stored: int  # entries of hotfix.audit already in the database


class SqlHotfixRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[int, _Tracked] = {}

    def add(self, hotfix: Hotfix) -> None:
        self.seen[hotfix.number] = _Tracked(hotfix, None, None, 0, 0)

    def get(self, number: int) -> Hotfix | None:
        tracked = self.seen.get(number)
        if tracked is not None and tracked.snapshot is not _READ_ONLY:
            return tracked.hotfix
        row = self.session.get(HotfixRow, number)
        if row is None:
            return None
        approvals = list(self.session.exec(select(ApprovalRow).where(ApprovalRow.hotfix_number == number)))
        audit = list(self.session.exec(select(AuditRow).where(AuditRow.hotfix_number == number)))
        return self._track(row, approvals, audit, audit_count=len(audit))

    def by_token(self, token: str) -> Hotfix | None:
        row = self.session.exec(select(HotfixRow).where(HotfixRow.card_token == token)).first()
        if row is None:
            approval = self.session.get(ApprovalRow, token)
            if approval is None:
                return None
            return self.get(approval.hotfix_number)
        return self.get(row.number)

    def queue(self) -> builtins.list[QueueEntry]:
        open_states = [s.value for s in State if s not in TERMINAL_STATES]
        query = sa_select(col(HotfixRow.number), col(HotfixRow.repo), col(HotfixRow.priority),
                          col(HotfixRow.created_at), col(HotfixRow.state)).where(col(HotfixRow.state).in_(open_states))
        return [QueueEntry(number=n, repo=r, priority=Priority(p), created_at=utc(c), state=State(s))
                for n, r, p, c, s in self.session.execute(query).all()]

    def list(self, *, states: Collection[State] | None = None, repo: str | None = None,
             since: datetime | None = None) -> builtins.list[Hotfix]:
        """Hotfixes with their approvals, in three queries, for reading: their audit trails are not loaded and
        they are never written back (change a hotfix through ``get``)."""
        filters = []
        if since is not None:
            filters.append(col(HotfixRow.created_at) >= since)
        if states is not None:
            filters.append(col(HotfixRow.state).in_(sorted(s.value for s in states)))
        if repo is not None:
            filters.append(col(HotfixRow.repo) == repo)
        found = self.session.exec(select(HotfixRow).where(*filters).order_by(col(HotfixRow.number))).all()
        rows = [r for r in found if r.number not in self.seen]
        approvals: dict[int, list[ApprovalRow]] = {}
        counts: dict[int, int] = {}
        if rows:
            # a sub-select of the same filters, not IN (?, ?, …): one cached statement whatever the count
            numbers = sa_select(col(HotfixRow.number)).where(*filters).scalar_subquery()
            for a in self.session.exec(select(ApprovalRow).where(col(ApprovalRow.hotfix_number).in_(numbers))):
                approvals.setdefault(a.hotfix_number, []).append(a)
            counted = sa_select(col(AuditRow.hotfix_number), func.count()).where(
                col(AuditRow.hotfix_number).in_(numbers)).group_by(col(AuditRow.hotfix_number))
            counts = {number: count for number, count in self.session.execute(counted).all()}
        for row in rows:
            self._track(row, approvals.get(row.number, []), [], audit_count=counts.get(row.number, 0),
                        read_only=True)
        return [self.seen[r.number].hotfix for r in found]

    def next_number(self) -> int:
        current = self.session.exec(select(func.max(HotfixRow.number))).one()
        pending = max(self.seen, default=0)
        return max(current or 0, pending) + 1

    def _track(self, row: HotfixRow, approvals: builtins.list[ApprovalRow], audit: builtins.list[AuditRow], *,
               audit_count: int, read_only: bool = False) -> Hotfix:
        hotfix = hotfix_from_rows(row, approvals, audit)
        self.session.expunge(row)
        snapshot = _READ_ONLY if read_only else _snapshot(hotfix)
        self.seen[row.number] = _Tracked(hotfix, row.version, snapshot, audit_count - len(audit), len(audit))
        return hotfix

    def flush(self) -> None:
        """Write every aggregate this unit of work changed, checking versions."""
        for number, t in sorted(self.seen.items()):
            hotfix = t.hotfix
            if t.snapshot is _READ_ONLY:
                if hotfix.events or hotfix.audit:
                    raise RuntimeError(f"HF-{number} was changed after list(); change hotfixes loaded with get()")
                continue
            if t.version is not None and t.snapshot == _snapshot(hotfix) and len(hotfix.audit) == t.audit_stored:
                continue
            row = hotfix_row(hotfix)
            if t.version is None:
                row.version = 1
                self.session.add(row)
            else:
                values = row.model_dump(exclude={"number", "version"})
                result = self.session.execute(
                    update(HotfixRow).where(col(HotfixRow.number) == number, col(HotfixRow.version) == t.version)
                    .values(**values, version=t.version + 1))
                if getattr(result, "rowcount", 1) != 1:
                    raise ConcurrencyError(f"HF-{number} was changed by someone else; try again")
                row.version = t.version + 1
            try:
                self.session.flush()
            except IntegrityError:
                raise ConcurrencyError(f"HF-{number} was filed concurrently; try again") from None
            for seq, approval in enumerate(hotfix.approvals):
                self.session.merge(approval_row(number, seq, approval))
            for i, entry in enumerate(hotfix.audit[t.audit_stored:], start=t.audit_stored):
                self.session.add(audit_row(number, t.audit_base + i, entry))
            hotfix.version = row.version
            self.seen[number] = _Tracked(hotfix, row.version, _snapshot(hotfix), t.audit_base, len(hotfix.audit))


_READ_ONLY = object()


def _snapshot(hotfix: Hotfix) -> object:
    row = hotfix_row(hotfix).model_dump(exclude={"version"})
    return row, tuple(approval_row(hotfix.number, i, a).model_dump() for i, a in enumerate(hotfix.approvals))


class SqlFreezeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, Freeze]:
        return {r.scope: freeze_from_row(r) for r in self.session.exec(select(FreezeRow))}

    def put(self, freeze: Freeze) -> None:
        self.session.merge(FreezeRow(scope=freeze.scope, reason=freeze.reason, actor=freeze.actor, at=freeze.at))

    def remove(self, scope: str) -> bool:
        row = self.session.get(FreezeRow, scope)
        if row is None:
            return False
        self.session.delete(row)
        return True


class SqlDeadlineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[Deadline]:
        rows = self.session.exec(select(DeadlineRow).order_by(col(DeadlineRow.at)))
        return [Deadline(key=r.key, at=utc(r.at), kind=r.kind, number=r.hotfix_number, ref=r.ref)  # type: ignore[arg-type]
                for r in rows]

    def get(self, key: str) -> Deadline | None:
        r = self.session.get(DeadlineRow, key)
        if r is None:
            return None
        return Deadline(key=r.key, at=utc(r.at), kind=r.kind, number=r.hotfix_number, ref=r.ref)  # type: ignore[arg-type]

    def put(self, deadline: Deadline) -> None:
        self.session.merge(DeadlineRow(key=deadline.key, at=deadline.at, kind=deadline.kind,
                                       hotfix_number=deadline.number, ref=deadline.ref))

    def remove(self, key: str) -> bool:
        row = self.session.get(DeadlineRow, key)
        if row is None:
            return False
        self.session.delete(row)
        return True
