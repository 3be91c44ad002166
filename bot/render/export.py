"""The JSON shape of ``hotfix-bot show --json`` / ``list --json`` (CONTRACT §3). Redacted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.hotfix import Hotfix
from bot.render.redact import redact

__all__ = ["hotfix_json"]


def _t(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def hotfix_json(h: Hotfix, *, events: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": h.hid, "state": h.state.value, "repo": h.repo, "title": redact(h.title), "mode": h.mode.value,
        "agent": h.agent.value, "priority": h.priority.value, "requester": h.requester, "branch": h.branch,
        "worktree": h.worktree, "created_at": _t(h.created_at), "updated_at": _t(h.updated_at or h.created_at),
        "approvals": [
            {"id": a.id, "kind": a.kind.value, "state": a.state.value, "subject": redact(a.subject),
             "reasons": [redact(r) for r in a.reasons], "decided_by": a.decided_by, "decided_at": _t(a.decided_at)}
            for a in h.approvals
        ],
        "diff": {"sha256": h.diff.sha256, "files": h.diff.files, "added": h.diff.added, "removed": h.diff.removed}
        if h.diff else None,
        "verification": {"command": h.verification.command, "exit_code": h.verification.exit_code,
                         "summary": redact(h.verification.summary)} if h.verification else None,
    }
    if events:
        out["events"] = [{"at": _t(e.at), "kind": e.kind, "actor": e.actor, "detail": redact(e.detail)}
                         for e in h.audit]
    return out
