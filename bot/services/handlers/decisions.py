"""Approve / deny: runtime approvals (command, escalation, scope) and the ship decision on a review."""

from __future__ import annotations

import contextlib

from bot.domain.agent import Permission, PermissionBehavior
from bot.domain.approval import Approval
from bot.domain.errors import Conflict
from bot.domain.hotfix import Hotfix
from bot.domain.values import ApprovalKind, ApprovalState, State
from bot.ports import UnitOfWork
from bot.render.redact import redact
from bot.render.text import one_line
from bot.services.bus import MessageBus
from bot.services.commands import ApproveHotfix, Command, DenyAction, Reply
from bot.services.handlers.guard import require
from bot.services.policies import repo_policy

__all__ = ["approve_hotfix", "decide", "deny_action", "land_approved_ship"]


async def approve_hotfix(cmd: ApproveHotfix, bus: MessageBus) -> Reply:
    hotfix = bus.read(cmd.hotfix_id)
    approval = hotfix.current_approval()
    if approval is None:
        raise Conflict(f"{hotfix.label} is {hotfix.state.value}: nothing waits for an approval")
    return await decide(bus, cmd, hotfix, approval, approve=True)


async def deny_action(cmd: DenyAction, bus: MessageBus) -> Reply:
    hotfix = bus.read(cmd.hotfix_id)
    approval = hotfix.current_approval()
    if approval is None:
        raise Conflict(f"{hotfix.label} is {hotfix.state.value}: nothing waits for an approval")
    return await decide(bus, cmd, hotfix, approval, approve=False, note=cmd.reason)


async def decide(bus: MessageBus, cmd: Command, hotfix: Hotfix, approval: Approval, *, approve: bool,
                 note: str = "") -> Reply:
    if not approval.pending:
        raise Conflict(f"{hotfix.label}: this request was already {approval.decided_line().lower()}")
    await require(bus, cmd, bus.deps.config.people.approval_action(approval.kind), hotfix)
    note = one_line(note, 300)
    if approval.kind in (ApprovalKind.SHIP, ApprovalKind.ESCALATION) and approval.digest == _diff_sha(hotfix):
        return await _decide_ship(bus, cmd, hotfix, approval, approve=approve, note=note)
    await _apply(bus, hotfix, approval, approve=approve, actor=cmd.actor, note=note)
    verb = "approved" if approve else "denied"
    return Reply(text=f"{hotfix.label}: {verb} — {one_line(approval.subject, 80)}", private=False,
                 hotfix_id=hotfix.number)


def _diff_sha(h: Hotfix) -> str | None:
    return h.diff.sha256 if h.diff and h.state is State.REVIEW else None


async def _apply(bus: MessageBus, hotfix: Hotfix, approval: Approval, *, approve: bool, actor: str,
                 note: str) -> None:
    def change(h: Hotfix, _uow: UnitOfWork) -> None:
        h.decide(approval.id, approve=approve, actor=actor, at=bus.deps.clock.now(), note=note)

    await bus.mutate(hotfix.number, change)
    if approve:
        permission = Permission(behavior=PermissionBehavior.ALLOW)
    else:
        why = note or "no reason given"
        permission = Permission(behavior=PermissionBehavior.DENY,
                                message=f"A human reviewer ({actor}) denied this request: {why}. Do not retry it; "
                                        "find another way or stop and explain.")
    bus.runs.answer(approval.id, permission)


async def _decide_ship(bus: MessageBus, cmd: Command, hotfix: Hotfix, approval: Approval, *, approve: bool,
                       note: str) -> Reply:
    deps = bus.deps
    if not approve:
        await _apply(bus, hotfix, approval, approve=False, actor=cmd.actor, note=note)
        return Reply(text=f"{hotfix.label}: ship denied. Revise or Reset it.", private=False, hotfix_id=hotfix.number)
    assert hotfix.worktree is not None and hotfix.base_sha is not None
    current = await deps.workspace.diff(worktree=hotfix.worktree, base_sha=hotfix.base_sha)
    if current.sha256 != approval.digest:
        await bus.runs.rereview(hotfix.number)
        raise Conflict(f"{hotfix.label}: the diff changed since it was shown; a new review card was posted.")
    await _apply(bus, hotfix, approval, approve=True, actor=cmd.actor, note=note)
    try:
        detail = await _land_and_ship(bus, hotfix, approval, cmd.actor)
    except Exception as e:  # the decision stands; the hotfix fails with a short reason
        raise Conflict(f"{hotfix.label}: {e}") from None
    return Reply(text=f"{hotfix.label} shipped: {detail}", private=False, hotfix_id=hotfix.number)


async def land_approved_ship(bus: MessageBus, number: int) -> bool:
    """At start: a ship decision that was recorded but never landed (the bot died between recording the
    approval and marking the hotfix shipped) is landed now, as the approver asked. False when none waits."""
    hotfix = bus.read(number)
    approval = next((a for a in reversed(hotfix.approvals) if a.kind in (ApprovalKind.SHIP, ApprovalKind.ESCALATION)
                     and a.state is ApprovalState.APPROVED and a.digest == _diff_sha(hotfix)), None)
    if approval is None or not approval.decided_by:
        return False
    with contextlib.suppress(RuntimeError):  # the hotfix failed, with the reason on its card
        await _land_and_ship(bus, hotfix, approval, approval.decided_by)
    return True


async def _land_and_ship(bus: MessageBus, hotfix: Hotfix, approval: Approval, actor: str) -> str:
    """Commit (and push) the approved diff, then mark the hotfix shipped; on failure the hotfix fails with a
    short reason, which is raised as ``RuntimeError``."""
    deps = bus.deps
    repo = deps.config.repo(hotfix.repo)
    assert repo is not None
    try:
        policy = await repo_policy(deps.workspace, repo)
        detail = await _land(bus, hotfix, approval, actor, policy.on_approve)
    except Exception as e:
        reason = f"shipping failed: {one_line(str(e), 160)}"
        await bus.mutate(hotfix.number, lambda h, _u: h.fail(at=deps.clock.now(), reason=reason))
        raise RuntimeError(reason) from None
    await bus.mutate(hotfix.number, lambda h, _u: h.ship(at=deps.clock.now(), actor=actor, detail=detail))
    return detail


async def _land(bus: MessageBus, hotfix: Hotfix, approval: Approval, actor: str, on_approve: str) -> str:
    ws = bus.deps.workspace
    assert hotfix.worktree and hotfix.base_sha and hotfix.branch
    if on_approve == "leave":
        return f"left uncommitted in the worktree on {hotfix.branch} for a human"
    approvers = sorted({a.decided_by for a in hotfix.approvals
                        if a.state is ApprovalState.APPROVED and a.decided_by} | {actor})
    message = (f"{hotfix.hid}: {hotfix.title}\n\nHotfix: {hotfix.hid} ({hotfix.repo})\n"
               f"Requested-by: {hotfix.requester}\n" + "".join(f"Approved-by: {a}\n" for a in approvers))
    sha = await ws.commit(worktree=hotfix.worktree, expected_sha256=approval.digest, base_sha=hotfix.base_sha,
                          message=message)
    detail = f"committed {sha[:10]} on {hotfix.branch}"
    if on_approve in ("push", "pr"):
        await ws.push(worktree=hotfix.worktree, branch=hotfix.branch)
        detail += " and pushed"
    if on_approve == "pr":
        repo = bus.deps.config.repo(hotfix.repo)
        body = f"{message}\n{redact(hotfix.report)}" if hotfix.report else message
        url = await ws.open_pull_request(worktree=hotfix.worktree, branch=hotfix.branch,
                                         base_branch=repo.base_branch if repo else "main",
                                         title=f"{hotfix.hid}: {hotfix.title}", body=body)
        detail += f"; pull request: {url}" if url else " (no forge CLI installed: open the pull request by hand)"
    return detail
