"""The core's side of a running agent: progress into the hotfix, every tool request through the policy and,
when the policy asks for a human, through an approval that waits for as long as it takes."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import TYPE_CHECKING

from bot.domain.agent import AgentEvent, AgentRunSpec, Permission, PermissionBehavior
from bot.domain.approval import Approval
from bot.domain.hotfix import Hotfix
from bot.domain.lifecycle import ACTIVE_STATES
from bot.domain.policy import Policy, budget_breaches, classify
from bot.domain.tool import ToolRequest, Verdict
from bot.domain.values import ApprovalKind, ApprovalState
from bot.ports import UnitOfWork
from bot.render.redact import redact
from bot.render.text import one_line

if TYPE_CHECKING:
    from bot.services.runs import RunManager

__all__ = ["RunSink"]

ALLOW = Permission(behavior=PermissionBehavior.ALLOW)
PROGRESS_SECONDS = 1.0  # chatter reaches the card at most this often (chat platforms allow ~1 edit/s anyway)
STOP = Permission(behavior=PermissionBehavior.STOP, message="The hotfix was stopped.")
APPROVAL_SUBJECT_CHARS = 1500  # the approval card's code block holds this much (bot/render/cards.py)


class RunSink:
    """Implements ``bot.ports.AgentEventSink`` for one agent turn of one hotfix."""

    def __init__(self, manager: RunManager, number: int, spec: AgentRunSpec, policy: Policy) -> None:
        self.manager = manager
        self.bus = manager.bus
        self.number = number
        self.spec = spec
        self.policy = policy
        self._accepted_breaches: set[str] = set()
        self.run_id = uuid.uuid4().hex[:12]
        self._scope_gate: asyncio.Future[Permission] | None = None
        self._action: str | None = None
        self._files: tuple[str, ...] = ()
        self._cost: float | None = None
        self._session: str | None = None
        self._flush_task: asyncio.Task[None] | None = None

    # ----- progress
    async def on_event(self, event: AgentEvent) -> None:
        """Progress reaches the hotfix (and so its card). Chatter (prose, tool starts) is coalesced into at most
        one write per ``PROGRESS_SECONDS``; a session id, edited files and cost are written at once."""
        action = _describe(event, self.spec.worktree)
        files = tuple(_in_repo(p, self.spec.worktree) for p in event.paths) if event.kind == "files_changed" else ()
        if action:
            self._action = action
        self._files += files
        self._cost = event.cost_usd if event.cost_usd is not None else self._cost
        self._session = event.session_id or self._session
        if event.kind in ("said", "tool_requested", "tool_ran", "tool_failed"):
            if self._flush_task is None or self._flush_task.done():
                self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())
            return
        hotfix = await self.flush()
        if event.kind in ("files_changed", "cost") and hotfix.state in ACTIVE_STATES:
            await self.watch_scope()

    async def _flush_later(self) -> None:
        await asyncio.sleep(PROGRESS_SECONDS)
        await self.flush()

    async def flush(self) -> Hotfix:
        """Write the progress gathered since the last write."""
        action, files, cost, session = self._action, self._files, self._cost, self._session
        self._action, self._files, self._cost, self._session = None, (), None, None
        now = self.bus.deps.clock.now()

        def change(h: Hotfix, _uow: UnitOfWork) -> Hotfix:
            if h.state in ACTIVE_STATES and (action or files or cost is not None or session):
                h.progress(at=now, action=action, files=files, cost_usd=cost, session_id=session)
            return h

        return await self.bus.mutate(self.number, change)

    async def watch_scope(self) -> None:
        """Compare the run with its budgets; a new breach pauses it on a scope approval (Continue / Stop)."""
        if self._scope_gate is not None and not self._scope_gate.done():
            return
        hotfix = self.bus.read(self.number)
        if hotfix.state not in ACTIVE_STATES:
            return
        changed = 0
        if hotfix.worktree and hotfix.base_sha:
            diff = await self.bus.deps.workspace.diff(worktree=hotfix.worktree, base_sha=hotfix.base_sha)
            files, changed = len(diff.files), diff.added + diff.removed
        else:
            files = len(hotfix.files_touched)
        start = hotfix.started_at or hotfix.created_at
        minutes = (self.bus.deps.clock.now() - start).total_seconds() / 60
        breaches = [b for b in budget_breaches(self.policy, files=files, changed_lines=changed, minutes=minutes,
                                               cost_usd=hotfix.cost_usd) if _kind(b) not in self._accepted_breaches]
        if not breaches:
            return
        subject = "; ".join(breaches)
        approval = await self.bus.mutate(self.number, lambda h, _u: h.request_approval(
            at=self.bus.deps.clock.now(), kind=ApprovalKind.SCOPE, subject=subject,
            digest=hashlib.sha256(subject.encode()).hexdigest(), reasons=("budget from the repository policy",)))
        self._accepted_breaches.update(_kind(b) for b in breaches)
        self._scope_gate = self.manager.waiter(self.number, approval.id)

    async def pass_scope_gate(self) -> bool:
        """Wait for a pending scope approval; False when the answer was Stop."""
        if self._scope_gate is None:
            return True
        answer = await self._scope_gate
        return answer.behavior is not PermissionBehavior.STOP

    # ----- permissions
    async def request_permission(self, request: ToolRequest) -> Permission:
        if not await self.pass_scope_gate():
            return STOP
        hotfix = self.bus.read(self.number)
        if hotfix.state not in ACTIVE_STATES:
            return STOP
        decision = classify(self.policy, request, worktree=self.spec.worktree, mode=self.spec.mode)
        subject = one_line(redact(_in_repo(request.subject, self.spec.worktree)), 300)
        now = self.bus.deps.clock.now
        if decision.verdict is Verdict.ALLOW:
            await self.bus.mutate(self.number, lambda h, _u: h.progress(at=now(), action=f"ran: {subject}"))
            return ALLOW
        if decision.verdict is Verdict.DENY:
            await self.bus.mutate(self.number, lambda h, _u: h.note(
                at=now(), kind="refused", actor="policy", detail=f"{subject} ({decision.rule})"))
            return Permission(behavior=PermissionBehavior.DENY,
                              message=f"Refused by the hotfix policy ({decision.rule}). Do not retry this; "
                                      "find a smaller way or stop and explain why.")
        kind = ApprovalKind.ESCALATION if decision.verdict is Verdict.ESCALATE else ApprovalKind.COMMAND
        digest = request.digest()
        earlier = await self.bus.mutate(self.number, lambda h, _u: self._rebind(h, kind, digest))
        if isinstance(earlier, Permission):
            return earlier
        if earlier is None:
            reasons = tuple(_in_repo(r, self.spec.worktree) for r in (decision.rule, *decision.reasons))
            # what a person approves is shown whole (up to what a card holds), not cut like a progress line
            shown = one_line(redact(_in_repo(request.subject, self.spec.worktree)), APPROVAL_SUBJECT_CHARS)
            approval = await self.bus.mutate(self.number, lambda h, _u: self._request(
                h, kind=kind, subject=shown, digest=digest, reasons=reasons))
            earlier = (approval.id, self.manager.waiter(self.number, approval.id))
        approval_id, waiter = earlier
        answer = await waiter
        await self.bus.mutate(self.number, lambda h, _u: h.approval(approval_id).extra.update(answered=self.run_id))
        return answer

    def _request(self, h: Hotfix, *, kind: ApprovalKind, subject: str, digest: str, reasons: tuple[str, ...]
                 ) -> Approval:
        approval = h.request_approval(at=self.bus.deps.clock.now(), kind=kind, subject=subject, digest=digest,
                                      reasons=reasons)
        approval.extra["run"] = self.run_id
        return approval

    def _rebind(self, h: Hotfix, kind: ApprovalKind, digest: str
                ) -> tuple[str, asyncio.Future[Permission]] | Permission | None:
        """An identical request from before a restart: wait on its still-pending approval, or use the answer a
        person gave while the agent was gone (once)."""
        for a in h.approvals:
            if a.kind is not kind or a.digest != digest or a.extra.get("run") == self.run_id:
                continue
            if a.pending:
                a.extra["run"] = self.run_id
                h.wait_again(a.id, at=self.bus.deps.clock.now())
                return a.id, self.manager.waiter(self.number, a.id)
            if a.state in (ApprovalState.APPROVED, ApprovalState.DENIED) and not a.extra.get("answered"):
                a.extra["answered"] = self.run_id
                if a.state is ApprovalState.APPROVED:
                    return ALLOW
                return Permission(behavior=PermissionBehavior.DENY, message=f"A human reviewer denied this: {a.note}")
        return None


def _kind(breach: str) -> str:
    """'scope grew: 7 files > 5' -> 'files' (one approval per budget kind)."""
    for word in ("files", "lines", "minutes", "cost"):
        if word in breach:
            return word
    return breach


def _in_repo(text: str, worktree: str) -> str:
    """Paths inside the worktree as people know them, relative to the repository root (agents report
    absolute ones; the worktree's own location is noise on a phone and differs per hotfix)."""
    root = worktree.rstrip("/") + "/"
    return text.replace(root, "") if worktree else text


def _gist(text: str) -> str:
    """A command's output for a one-line status: a Python traceback becomes its last line (the error)."""
    head, marker, trace = text.partition("Traceback (most recent call last):")
    if not marker:
        return text
    lines = [line for line in trace.splitlines() if line.strip()]
    return f"{head.strip()} {lines[-1].strip() if lines else ''}".strip()


_TOOL_WORDS = {"Bash": "command", "commandExecution": "command", "fileChange": "edit", "Edit": "edit",
               "MultiEdit": "edit", "Write": "write", "Read": "read", "Grep": "search", "Glob": "search"}


def _describe(event: AgentEvent, worktree: str) -> str | None:
    text = one_line(redact(_gist(_in_repo(event.text, worktree))), 140) if event.text else ""
    tool = _TOOL_WORDS.get(event.tool or "", event.tool or "tool")
    match event.kind:
        case "started":
            return "agent started"
        case "said":
            return f"said: {text}" if text else None
        case "tool_requested":
            return f"wants {tool}: {text}" if text else f"wants {tool}"
        case "tool_ran":
            return f"{tool} done" + (f": {text}" if text else "")
        case "tool_failed":
            return f"{tool} failed" + (f": {text}" if text else "")
        case "files_changed":
            paths = [_in_repo(p, worktree) for p in event.paths]
            return "edited " + ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
        case "finished":
            return "agent finished"
    return None
