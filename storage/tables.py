"""SQLModel tables. Scalar fields a query needs are columns; the rest of a hotfix is one JSON document."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel

__all__ = ["ApprovalRow", "AuditRow", "DeadlineRow", "FreezeRow", "HotfixRow", "metadata"]

metadata = SQLModel.metadata


def _ts() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


class HotfixRow(SQLModel, table=True):
    __tablename__ = "hotfix"

    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    repo: str = Field(index=True, max_length=128)
    state: str = Field(index=True, max_length=32)
    priority: str = Field(max_length=4)
    requester: str = Field(max_length=128)
    card_token: str = Field(unique=True, index=True, max_length=64)
    version: int = Field(default=1)
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    data: str = Field(sa_column=Column(Text, nullable=False))


class ApprovalRow(SQLModel, table=True):
    __tablename__ = "approval"

    id: str = Field(primary_key=True, max_length=64)
    hotfix_number: int = Field(foreign_key="hotfix.number", index=True)
    seq: int = Field(default=0)
    kind: str = Field(max_length=16)
    state: str = Field(index=True, max_length=16)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=128)
    requested_at: datetime = Field(sa_column=_ts())
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    data: str = Field(sa_column=Column(Text, nullable=False))


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    hotfix_number: int = Field(foreign_key="hotfix.number", index=True)
    seq: int
    at: datetime = Field(sa_column=_ts())
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=128)
    detail: str = Field(sa_column=Column(Text, nullable=False))


class FreezeRow(SQLModel, table=True):
    __tablename__ = "freeze"

    scope: str = Field(primary_key=True, max_length=128)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=128)
    at: datetime = Field(sa_column=_ts())


class DeadlineRow(SQLModel, table=True):
    __tablename__ = "deadline"

    key: str = Field(primary_key=True, max_length=160)
    at: datetime = Field(sa_column=_ts())
    kind: str = Field(max_length=16)
    hotfix_number: int = Field(index=True)
    ref: str = Field(default="", max_length=64)
