"""SQL repositories behind the core's HotfixRepository and FreezeRepository ports."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain.deadline import Deadline
from bot.domain.errors import ConcurrencyError
from bot.domain.hotfix import Hotfix
from bot.domain.queue import Freeze
from bot.domain.values import State
from storage.mapping import approval_row, audit_row, freeze_from_row, hotfix_from_rows, hotfix_row, utc
from storage.tables import ApprovalRow, AuditRow, DeadlineRow, FreezeRow, HotfixRow

__all__ = ["SqlDeadlineRepository", "SqlFreezeRepository", "SqlHotfixRepository"]


class SqlHotfixRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # number -> (aggregate, version loaded, audit entries already stored); None version: new
        self.seen: dict[int, tuple[Hotfix, int | None, int]] = {}

    def add(self, hotfix: Hotfix) -> None:
        self.seen[hotfix.number] = (hotfix, None, 0)

    def get(self, number: int) -> Hotfix | None:
        if number in self.seen:
            return self.seen[number][0]
        row = self.session.get(HotfixRow, number)
        return self._load(row) if row is not None else None

    def by_token(self, token: str) -> Hotfix | None:
        row = self.session.exec(select(HotfixRow).where(HotfixRow.card_token == token)).first()
        if row is None:
            approval = self.session.get(ApprovalRow, token)
            if approval is None:
                return None
            return self.get(approval.hotfix_number)
        return self.get(row.number)

    def list(self, *, states: Collection[State] | None = None, repo: str | None = None) -> list[Hotfix]:
        query = select(HotfixRow).order_by(col(HotfixRow.number))
        if states is not None:
            query = query.where(col(HotfixRow.state).in_([s.value for s in states]))
        if repo is not None:
            query = query.where(HotfixRow.repo == repo)
        return [self.seen[r.number][0] if r.number in self.seen else self._load(r)
                for r in self.session.exec(query).all()]

    def next_number(self) -> int:
        current = self.session.exec(select(func.max(HotfixRow.number))).one()
        pending = max(self.seen, default=0)
        return max(current or 0, pending) + 1

    def _load(self, row: HotfixRow) -> Hotfix:
        approvals = list(self.session.exec(select(ApprovalRow).where(ApprovalRow.hotfix_number == row.number)))
        audit = list(self.session.exec(select(AuditRow).where(AuditRow.hotfix_number == row.number)))
        hotfix = hotfix_from_rows(row, approvals, audit)
        self.session.expunge(row)
        self.seen[row.number] = (hotfix, row.version, len(audit))
        return hotfix

    def flush(self) -> None:
        """Write every aggregate this unit of work touched, checking versions."""
        for number, (hotfix, version, stored_audit) in sorted(self.seen.items()):
            row = hotfix_row(hotfix)
            if version is None:
                row.version = 1
                self.session.add(row)
            else:
                values = row.model_dump(exclude={"number", "version"})
                result = self.session.execute(
                    update(HotfixRow).where(col(HotfixRow.number) == number, col(HotfixRow.version) == version)
                    .values(**values, version=version + 1))
                if getattr(result, "rowcount", 1) != 1:
                    raise ConcurrencyError(f"HF-{number} was changed by someone else; try again")
                row.version = version + 1
            try:
                self.session.flush()
            except IntegrityError:
                raise ConcurrencyError(f"HF-{number} was filed concurrently; try again") from None
            for seq, approval in enumerate(hotfix.approvals):
                self.session.merge(approval_row(number, seq, approval))
            for seq, entry in enumerate(hotfix.audit[stored_audit:], start=stored_audit):
                self.session.add(audit_row(number, seq, entry))
            hotfix.version = row.version
            self.seen[number] = (hotfix, row.version, len(hotfix.audit))


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
