"""The Hotfix aggregate. Every state change goes through ``_move`` and the transition table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.approval import Approval, new_token
from bot.domain.audit import (
    ApprovalDecided,
    ApprovalRequested,
    AuditEntry,
    DomainEvent,
    HotfixChanged,
    HotfixFiled,
    ReviewReady,
    StateChanged,
)
from bot.domain.errors import Conflict, NotFound
from bot.domain.lifecycle import ACTIVE_STATES, check_transition
from bot.domain.values import (
    TERMINAL_STATES,
    AgentKind,
    ApprovalKind,
    ApprovalState,
    ConversationRef,
    MessageRef,
    Mode,
    Priority,
    State,
    format_hotfix_id,
)

__all__ = ["DiffSummary", "Hotfix", "Verification"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffSummary:
    sha256: str
    files: int
    added: int
    removed: int
    paths: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()  # shared-state findings, one line each


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    command: str
    exit_code: int | None
    summary: str
    output_tail: str = ""


@dataclass(kw_only=True)
class Hotfix:
    number: int
    repo: str
    title: str
    description: str
    requester: str
    conversation: ConversationRef
    created_at: datetime
    mode: Mode = Mode.PATCH
    agent: AgentKind = AgentKind.CLAUDE
    priority: Priority = Priority.P1
    state: State = State.TRIAGE
    updated_at: datetime | None = None
    triage_reason: str = ""
    branch: str | None = None
    worktree: str | None = None
    base_sha: str | None = None
    base_note: str = ""  # e.g. "local main was 3 commits behind origin"
    session_id: str | None = None
    next_prompt: str | None = None  # feedback or continuation for the next agent turn
    last_action: str = ""
    files_touched: tuple[str, ...] = ()
    cost_usd: float | None = None
    started_at: datetime | None = None
    report: str = ""  # the agent's final message: findings, plan, manual verification steps
    failure_reason: str = ""
    diff: DiffSummary | None = None
    verification: Verification | None = None
    card: MessageRef | None = None  # the status card
    review_message: MessageRef | None = None  # the latest review card
    card_token: str = field(default_factory=new_token)
    lane: str = "chat"
    lane_path: str | None = None
    version: int = 0
    approvals: list[Approval] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    # ----- reading
    @property
    def hid(self) -> str:
        return format_hotfix_id(self.number)

    @property
    def label(self) -> str:
        """How every reply names the hotfix: ``HF-7 (shop)``."""
        return f"{self.hid} ({self.repo})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def approval(self, approval_id: str) -> Approval:
        for a in self.approvals:
            if a.id == approval_id:
                return a
        raise NotFound(f"no such approval on {self.hid}")

    def pending_approvals(self) -> list[Approval]:
        return [a for a in self.approvals if a.pending]

    def current_approval(self) -> Approval | None:
        pending = self.pending_approvals()
        return pending[0] if pending else None

    # ----- recording
    def note(self, *, at: datetime, kind: str, actor: str, detail: str) -> None:
        self.audit.append(AuditEntry(at=at, kind=kind, actor=actor, detail=detail))
        self.updated_at = at

    def _move(self, target: State, *, at: datetime, actor: str, detail: str = "") -> None:
        check_transition(self.state, target)
        old, self.state = self.state, target
        self.note(at=at, kind="state", actor=actor, detail=f"{old.value} → {target.value}" + (
            f": {detail}" if detail else ""))
        self.events.append(StateChanged(number=self.number, old=old, new=target))

    def changed(self) -> None:
        self.events.append(HotfixChanged(number=self.number))

    # ----- intake
    def filed(self, *, at: datetime, outcome: str, reason: str) -> None:
        """Record the filing and place the hotfix according to triage (accept/hold/reject)."""
        self.updated_at = at
        self.triage_reason = reason
        self.note(at=at, kind="filed", actor=self.requester, detail=f"{self.mode.value}: {self.title}")
        self.events.append(HotfixFiled(number=self.number))
        if outcome == "accept":
            self._move(State.QUEUED, at=at, actor="bot", detail="triage accepted")
        elif outcome == "reject":
            self._move(State.REJECTED, at=at, actor="bot", detail=reason)
        else:
            self.note(at=at, kind="triage", actor="bot", detail=f"held for the triage owner: {reason}")

    def accept(self, *, actor: str, at: datetime) -> None:
        self._move(State.QUEUED, at=at, actor=actor, detail="accepted by the triage owner")

    def reject(self, *, actor: str, at: datetime, reason: str) -> None:
        self.triage_reason = reason
        self._move(State.REJECTED, at=at, actor=actor, detail=reason)

    # ----- runs
    def start(self, *, at: datetime, branch: str, worktree: str, base_sha: str, base_note: str = "") -> None:
        self.branch, self.worktree, self.base_sha, self.base_note = branch, worktree, base_sha, base_note
        self.started_at = self.started_at or at
        self.last_action = "agent starting"
        self.next_prompt = None
        self._move(State.RUNNING, at=at, actor="bot", detail=f"{self.agent.value} on {branch}")

    def resume_turn(self, *, at: datetime) -> None:
        """A queued follow-up turn (revise, patch after plan, resume) starts in the existing worktree."""
        self.last_action = "agent continuing"
        self.next_prompt = None
        self._move(State.RUNNING, at=at, actor="bot", detail="next agent turn")

    def progress(self, *, at: datetime, action: str | None = None, files: tuple[str, ...] = (),
                 cost_usd: float | None = None, session_id: str | None = None) -> None:
        if action:
            self.last_action = action
        if files:
            self.files_touched = tuple(dict.fromkeys(self.files_touched + files))
        if cost_usd is not None:
            self.cost_usd = cost_usd
        if session_id:
            self.session_id = session_id
        self.updated_at = at
        self.changed()

    def request_approval(self, *, at: datetime, kind: ApprovalKind, subject: str, digest: str,
                         reasons: tuple[str, ...]) -> Approval:
        approval = Approval(id=new_token(), kind=kind, subject=subject, digest=digest, reasons=reasons,
                            requested_at=at)
        self.approvals.append(approval)
        self.note(at=at, kind="approval_requested", actor="bot",
                  detail=f"{kind.value}: {subject} ({'; '.join(reasons)})")
        if self.state is State.RUNNING:
            self._move(State.AWAITING_APPROVAL, at=at, actor="bot", detail=f"{kind.value} approval")
        self.events.append(ApprovalRequested(number=self.number, approval_id=approval.id))
        return approval

    def wait_again(self, approval_id: str, *, at: datetime) -> None:
        """A resumed agent made the same request again: the run waits on that (still pending) approval."""
        if self.approval(approval_id).pending and self.state is State.RUNNING:
            self._move(State.AWAITING_APPROVAL, at=at, actor="bot", detail="approval still pending")

    def decide(self, approval_id: str, *, approve: bool, actor: str, at: datetime, note: str = "",
               state: ApprovalState | None = None) -> Approval:
        approval = self.approval(approval_id)
        final = state or (ApprovalState.APPROVED if approve else ApprovalState.DENIED)
        approval.decide(state=final, actor=actor, at=at, note=note)
        self.note(at=at, kind=final.value, actor=actor,
                  detail=f"{approval.kind.value}: {approval.subject}" + (f" ({note})" if note else ""))
        self.events.append(ApprovalDecided(number=self.number, approval_id=approval.id))
        if self.state is State.AWAITING_APPROVAL and not self.pending_approvals():
            self._move(State.RUNNING, at=at, actor="bot", detail="approval answered")
        return approval

    def cancel_pending(self, *, at: datetime, actor: str, note: str, keep_run: str | None = None) -> None:
        """Cancel pending approvals (``keep_run``: except those bound to that agent run)."""
        for approval in self.pending_approvals():
            if keep_run is not None and approval.extra.get("run") == keep_run:
                continue
            approval.decide(state=ApprovalState.CANCELLED, actor=actor, at=at, note=note)
            self.events.append(ApprovalDecided(number=self.number, approval_id=approval.id))

    def begin_verify(self, *, at: datetime, command: str) -> None:
        self.last_action = f"verifying: {command}"
        self._move(State.VERIFYING, at=at, actor="bot", detail=command)

    def enter_review(self, *, at: datetime, report: str, diff: DiffSummary | None,
                     verification: Verification | None, approval_kind: ApprovalKind | None) -> None:
        self.report = report
        self.last_action = "waiting for review"
        self._move(State.REVIEW, at=at, actor="bot")
        self._review(at=at, diff=diff, verification=verification, approval_kind=approval_kind)

    def refresh_review(self, *, at: datetime, diff: DiffSummary | None, verification: Verification | None,
                       approval_kind: ApprovalKind | None) -> None:
        """The diff changed after the review card was posted: supersede it with a new review."""
        if self.state is not State.REVIEW:
            raise Conflict(f"{self.label} is {self.state.value}, not in review")
        self.cancel_pending(at=at, actor="bot", note="superseded: the diff changed")
        self._review(at=at, diff=diff, verification=verification, approval_kind=approval_kind)

    def _review(self, *, at: datetime, diff: DiffSummary | None, verification: Verification | None,
                approval_kind: ApprovalKind | None) -> None:
        self.diff, self.verification = diff, verification
        if approval_kind is not None and diff is not None and diff.files:
            reasons = diff.findings or ("ship the reviewed diff",)
            self.request_approval(at=at, kind=approval_kind, subject=diff.sha256, digest=diff.sha256,
                                  reasons=reasons)
        self.events.append(ReviewReady(number=self.number))

    def ship(self, *, at: datetime, actor: str, detail: str) -> None:
        self.last_action = f"shipped: {detail}"
        self._move(State.SHIPPED, at=at, actor=actor, detail=detail)

    def requeue(self, *, at: datetime, actor: str, prompt: str, detail: str, mode: Mode | None = None,
                keep_pending: bool = False) -> None:
        """Revise / Patch / Resume: the next agent turn waits for its repository's run slot. A resume keeps
        pending approvals pressable: the resumed agent's identical request is bound to them again."""
        if not keep_pending:
            self.cancel_pending(at=at, actor=actor, note="superseded")
        self.next_prompt = prompt
        if mode is not None:
            self.mode = mode
        self._move(State.QUEUED, at=at, actor=actor, detail=detail)

    def stop(self, *, at: datetime, actor: str) -> None:
        self.cancel_pending(at=at, actor=actor, note="stopped")
        self.last_action = f"stopped by {actor}"
        self._move(State.STOPPED, at=at, actor=actor, detail="stopped")

    def discard(self, *, at: datetime, actor: str, detail: str) -> None:
        self.cancel_pending(at=at, actor=actor, note="discarded")
        self.last_action = detail
        self._move(State.DISCARDED, at=at, actor=actor, detail=detail)

    def fail(self, *, at: datetime, reason: str) -> None:
        self.failure_reason = reason
        self.last_action = "failed"
        self.cancel_pending(at=at, actor="bot", note="run failed")
        self._move(State.FAILED, at=at, actor="bot", detail=reason)

    def interrupt(self, *, at: datetime, reason: str) -> None:
        self.failure_reason = reason
        self._move(State.INTERRUPTED, at=at, actor="bot", detail=reason)

    def ensure_open(self) -> None:
        if self.is_terminal:
            raise Conflict(f"{self.label} is already {self.state.value}")
