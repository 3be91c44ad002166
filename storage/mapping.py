"""Rows <-> domain objects. Pure translation: no decisions."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bot.domain.approval import Approval
from bot.domain.audit import AuditEntry
from bot.domain.hotfix import DiffSummary, Hotfix, Verification
from bot.domain.queue import Freeze
from bot.domain.values import (
    AgentKind,
    ApprovalKind,
    ApprovalState,
    ConversationRef,
    MessageRef,
    Mode,
    Priority,
    State,
)
from storage.tables import ApprovalRow, AuditRow, FreezeRow, HotfixRow

__all__ = ["approval_row", "audit_row", "freeze_from_row", "hotfix_from_rows", "hotfix_row"]

_PLAIN = ("title", "description", "triage_reason", "branch", "worktree", "base_sha", "base_note", "session_id",
          "next_prompt", "last_action", "cost_usd", "report", "failure_reason", "lane", "lane_path")


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ref(ref: MessageRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"conversation": str(ref.conversation), "key": ref.key, "thread": ref.thread}


def _unref(data: dict[str, Any] | None) -> MessageRef | None:
    if not data:
        return None
    return MessageRef(conversation=ConversationRef.parse(data["conversation"]), key=data["key"],
                      thread=data.get("thread"))


def _time(value: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if value else None


def hotfix_row(h: Hotfix) -> HotfixRow:
    data: dict[str, Any] = {k: getattr(h, k) for k in _PLAIN}
    data.update(
        mode=h.mode.value, agent=h.agent.value, conversation=str(h.conversation),
        files_touched=list(h.files_touched), card=_ref(h.card), review_message=_ref(h.review_message),
        started_at=h.started_at.isoformat() if h.started_at else None,
        diff=asdict(h.diff) if h.diff else None,
        verification=asdict(h.verification) if h.verification else None,
    )
    return HotfixRow(number=h.number, repo=h.repo, state=h.state.value, priority=h.priority.value,
                     requester=h.requester, card_token=h.card_token, version=h.version, created_at=h.created_at,
                     updated_at=h.updated_at or h.created_at, data=json.dumps(data, separators=(",", ":")))


def hotfix_from_rows(row: HotfixRow, approvals: list[ApprovalRow], audit: list[AuditRow]) -> Hotfix:
    data = json.loads(row.data)
    diff = data.get("diff")
    verification = data.get("verification")
    return Hotfix(
        number=row.number, repo=row.repo, requester=row.requester, state=State(row.state),
        priority=Priority(row.priority), card_token=row.card_token, version=row.version,
        created_at=utc(row.created_at), updated_at=utc(row.updated_at),
        conversation=ConversationRef.parse(data["conversation"]), mode=Mode(data["mode"]),
        agent=AgentKind(data["agent"]), files_touched=tuple(data.get("files_touched") or ()),
        card=_unref(data.get("card")), review_message=_unref(data.get("review_message")),
        started_at=_time(data.get("started_at")),
        diff=DiffSummary(**{**diff, "paths": tuple(diff["paths"]), "findings": tuple(diff["findings"])})
        if diff else None,
        verification=Verification(**verification) if verification else None,
        approvals=[approval_from_row(a) for a in sorted(approvals, key=lambda a: a.seq)],
        audit=[AuditEntry(at=utc(a.at), kind=a.kind, actor=a.actor, detail=a.detail)
               for a in sorted(audit, key=lambda a: a.seq)],
        **{k: data.get(k) for k in _PLAIN if k in data},
    )


def approval_row(number: int, seq: int, a: Approval) -> ApprovalRow:
    data = {"reasons": list(a.reasons), "note": a.note, "message": _ref(a.message), "extra": a.extra,
            "reminded_at": a.reminded_at.isoformat() if a.reminded_at else None,
            "escalated_at": a.escalated_at.isoformat() if a.escalated_at else None}
    return ApprovalRow(id=a.id, hotfix_number=number, seq=seq, kind=a.kind.value, state=a.state.value,
                       subject=a.subject, digest=a.digest, requested_at=a.requested_at, decided_by=a.decided_by,
                       decided_at=a.decided_at, data=json.dumps(data, separators=(",", ":")))


def approval_from_row(row: ApprovalRow) -> Approval:
    data = json.loads(row.data)
    return Approval(id=row.id, kind=ApprovalKind(row.kind), state=ApprovalState(row.state), subject=row.subject,
                    digest=row.digest, requested_at=utc(row.requested_at), decided_by=row.decided_by,
                    decided_at=utc(row.decided_at) if row.decided_at else None,
                    reasons=tuple(data.get("reasons") or ()), note=data.get("note") or "",
                    message=_unref(data.get("message")), extra=dict(data.get("extra") or {}),
                    reminded_at=_time(data.get("reminded_at")), escalated_at=_time(data.get("escalated_at")))


def audit_row(number: int, seq: int, e: AuditEntry) -> AuditRow:
    return AuditRow(hotfix_number=number, seq=seq, at=e.at, kind=e.kind, actor=e.actor, detail=e.detail)


def freeze_from_row(row: FreezeRow) -> Freeze:
    return Freeze(scope=row.scope, reason=row.reason, actor=row.actor, at=utc(row.at))
