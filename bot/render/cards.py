"""Pure functions from a hotfix (and what surrounds it) to platform-neutral cards. Everything is redacted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.approval import Approval
from bot.domain.hotfix import Hotfix
from bot.domain.values import ApprovalKind, Mode, State
from bot.render.card import Button, Card, Field
from bot.render.redact import redact
from bot.render.text import one_line, truncate, truncate_lines
from bot.services.commands import ButtonAction

__all__ = ["CardContext", "approval_card", "format_elapsed", "review_card", "status_card"]

STATE_LABELS = {
    State.TRIAGE: "🟡 held for triage",
    State.REJECTED: "⛔ rejected",
    State.QUEUED: "⏳ queued",
    State.RUNNING: "🟢 running",
    State.AWAITING_APPROVAL: "✋ waiting for approval",
    State.VERIFYING: "🧪 verifying",
    State.REVIEW: "👀 review",
    State.SHIPPED: "✅ shipped",
    State.STOPPED: "⏹ stopped",
    State.DISCARDED: "🗑 discarded",
    State.FAILED: "❌ failed",
    State.INTERRUPTED: "⚠️ interrupted",
}
RUN_STATES = frozenset({State.RUNNING, State.AWAITING_APPROVAL, State.VERIFYING})


@dataclass(frozen=True, slots=True, kw_only=True)
class CardContext:
    """What a card needs besides the hotfix: the time, queue position, freeze, and who may approve."""

    now: datetime
    queue_position: int | None = None
    frozen: str | None = None  # the freeze reason, when the repository is frozen
    approvers: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    triage_owner: str | None = None


def format_elapsed(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m"


def _title(h: Hotfix, suffix: str | None = None) -> str:
    base = f"{h.hid} · {h.repo} · {one_line(redact(h.title), 80)}"
    return f"{base} — {suffix}" if suffix else base


def _names(people: tuple[str, ...]) -> str:
    if not people:
        return "nobody configured"
    return ", ".join(people[:4]) + (f" +{len(people) - 4}" if len(people) > 4 else "")


def _badges(h: Hotfix, ctx: CardContext) -> tuple[str, ...]:
    badges: list[str] = [h.priority.value.upper()]
    if h.mode is not Mode.PATCH:
        badges.append(h.mode.value)
    if any(a.kind is ApprovalKind.ESCALATION for a in h.approvals) or (h.diff and h.diff.findings):
        badges.append("⚠️ shared state")
    if ctx.frozen and not h.is_terminal:
        badges.append("❄️ frozen")
    if h.base_note:
        badges.append("base was behind")
    return tuple(badges)


def _blocker(h: Hotfix, ctx: CardContext) -> str | None:
    approval = h.current_approval()
    if approval is not None:
        if approval.kind is ApprovalKind.ESCALATION:
            return f"Waiting for an escalation approver: {_names(ctx.escalation)} (not the requester)"
        if approval.escalated_at is not None:
            return f"Escalated to on-call: waiting for {_names(ctx.approvers + ctx.escalation)}"
        reminded = " (reminded)" if approval.reminded_at is not None else ""
        return f"Waiting for an approver{reminded}: {_names(ctx.approvers)}"
    match h.state:
        case State.TRIAGE:
            return f"Waiting for the triage owner ({ctx.triage_owner or 'unset'}): {one_line(h.triage_reason, 160)}"
        case State.QUEUED if ctx.frozen:
            return f"Queue frozen: {one_line(redact(ctx.frozen), 160)}"
        case State.REVIEW:
            return "Waiting for a decision on the review"
        case State.INTERRUPTED:
            return "The bot restarted mid-run: Resume or Reset"
    return None


def status_card(h: Hotfix, ctx: CardContext) -> Card:
    fields = [Field(label="State", value=STATE_LABELS[h.state])]
    if h.state is State.QUEUED and ctx.queue_position:
        fields.append(Field(label="Queue", value=f"#{ctx.queue_position}"))
    start = h.started_at or h.created_at
    end = ctx.now if not h.is_terminal else (h.updated_at or ctx.now)
    fields.append(Field(label="Elapsed", value=format_elapsed((end - start).total_seconds())))
    fields.append(Field(label="Agent", value=h.agent.value))
    if h.last_action:
        fields.append(Field(label="Last", value=one_line(redact(h.last_action), 120)))
    if h.diff:
        fields.append(Field(label="Files", value=f"{h.diff.files} (+{h.diff.added} −{h.diff.removed})"))
    elif h.files_touched:
        fields.append(Field(label="Files", value=f"{len(h.files_touched)} touched"))
    if h.cost_usd is not None:
        fields.append(Field(label="Cost", value=f"${h.cost_usd:.2f}"))
    if h.branch:
        fields.append(Field(label="Branch", value=h.branch))
    body: list[str] = []
    if h.state in (State.FAILED, State.INTERRUPTED) and h.failure_reason:
        body.append(f"Reason: {one_line(redact(h.failure_reason), 300)}")
    if h.state is State.REJECTED and h.triage_reason:
        body.append(f"Reason: {one_line(redact(h.triage_reason), 300)}")
    if h.base_note:
        body.append(one_line(h.base_note, 200))
    buttons: list[Button] = []
    if h.state in RUN_STATES:
        buttons.append(Button(label="Stop", action=ButtonAction.STOP, token=h.card_token, style="danger"))
    elif h.state is State.INTERRUPTED:
        buttons += [Button(label="Resume", action=ButtonAction.RESUME, token=h.card_token, style="primary"),
                    Button(label="Reset", action=ButtonAction.RESET, token=h.card_token, style="danger")]
    return Card(key=f"status:{h.number}", kind="status", title=_title(h), hotfix_id=h.number,
                badges=_badges(h, ctx), fields=tuple(fields), blocker=_blocker(h, ctx), body=tuple(body),
                buttons=tuple(buttons))


def approval_card(h: Hotfix, a: Approval, ctx: CardContext) -> Card:
    """A command / escalation / scope approval request (a reply to the status card)."""
    if a.kind is ApprovalKind.SCOPE:
        title, intro = _title(h, "scope grew"), "budget crossed"
        approve = Button(label="Continue", action=ButtonAction.CONTINUE, token=a.id, style="primary")
        buttons: tuple[Button, ...] = (approve, Button(label="Stop", action=ButtonAction.STOP, token=a.id,
                                                       style="danger"))
    else:
        escalation = a.kind is ApprovalKind.ESCALATION
        title = _title(h, "⚠️ escalation: shared state" if escalation else "approval needed")
        intro = "the agent wants to run" if not a.subject.startswith(("Edit ", "Write ", "MultiEdit ", "fileChange ",
                                                                        "NotebookEdit ")) else "the agent wants to edit"
        buttons = (Button(label="Approve", action=ButtonAction.APPROVE, token=a.id, style="primary"),
                   Button(label="Deny", action=ButtonAction.DENY, token=a.id),
                   Button(label="Stop", action=ButtonAction.STOP, token=a.id, style="danger"))
    who = ctx.escalation if a.kind is ApprovalKind.ESCALATION else ctx.approvers
    body = [f"Why a human: {one_line(redact(r), 200)}" for r in a.reasons[:3]]
    if a.kind is ApprovalKind.ESCALATION:
        body.append(f"Only an escalation approver may approve ({_names(who)}), never the requester.")
    else:
        body.append(f"Who may approve: {_names(who)}")
    decided = a.decided_line() if not a.pending else None
    return Card(key=f"approval:{a.id}", kind="approval", title=title, hotfix_id=h.number,
                body=tuple(body), code=truncate(redact(a.subject), 1500), code_label=intro,
                buttons=() if decided else buttons, decided=decided, blocker=None)


def review_card(h: Hotfix, ctx: CardContext, *, excerpt: str, stat: str) -> Card:
    """The review: branch, diffstat, verification, manual steps, diff excerpt and the ship decision."""
    a = next((x for x in reversed(h.approvals) if x.kind in (ApprovalKind.SHIP, ApprovalKind.ESCALATION)
              and x.subject == (h.diff.sha256 if h.diff else None)), None)
    fields = [Field(label="Branch", value=h.branch or "—")]
    if h.mode is Mode.PATCH:
        fields.append(Field(label="Diff", value=stat))
    if h.verification:
        v = h.verification
        mark = "✅" if v.exit_code == 0 else "❌"
        summary = one_line(redact(v.summary), 100)
        fields.append(Field(label="Verify", value=f"{mark} {one_line(v.command, 60)}: {summary}"))
    body: list[str] = []
    if h.report:
        heading = {Mode.PATCH: "Manual verification:", Mode.DIAGNOSE: "Findings:", Mode.PLAN: "Plan:"}[h.mode]
        if heading.lower() not in h.report.lower():  # agents told to end with these steps often name them
            body.append(heading)
        body.append(truncate_lines(truncate(redact(h.report), 1200), 20))
    if h.verification and h.verification.exit_code != 0 and h.verification.output_tail:
        body.append("Test output (tail):\n" + truncate_lines(redact(h.verification.output_tail), 8))
    blocker = None
    buttons: list[Button] = []
    decided = None
    if h.mode is Mode.PATCH:
        if a is not None and a.pending:
            buttons.append(Button(label="Approve", action=ButtonAction.APPROVE, token=a.id, style="primary"))
            if a.kind is ApprovalKind.ESCALATION:
                blocker = f"Shipping touches shared state: needs an escalation approver ({_names(ctx.escalation)})"
        elif a is not None:
            decided = a.decided_line()
        if h.state is State.REVIEW:
            buttons += [Button(label="Revise", action=ButtonAction.REVISE, token=h.card_token),
                        Button(label="Reset", action=ButtonAction.RESET, token=h.card_token, style="danger")]
            if h.diff and h.diff.files:
                buttons.append(Button(label="Full diff", action=ButtonAction.FULL_DIFF, token=h.card_token))
    elif h.state is State.REVIEW:
        buttons = [Button(label="Patch", action=ButtonAction.PATCH, token=h.card_token, style="primary"),
                   Button(label="Close", action=ButtonAction.CLOSE, token=h.card_token)]
    if h.state is not State.REVIEW and decided is None:
        decided = STATE_LABELS[h.state]
    findings = tuple(f"⚠️ {one_line(f, 160)}" for f in (h.diff.findings if h.diff else ()))
    return Card(key=f"review:{h.number}", kind="review", title=_title(h, "review"), hotfix_id=h.number,
                fields=tuple(fields), body=findings + tuple(body), blocker=blocker,
                code=excerpt if h.mode is Mode.PATCH and excerpt else None, code_label="diff",
                buttons=tuple(buttons) if h.state is State.REVIEW else (), decided=decided)
