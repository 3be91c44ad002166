"""Timers as delayed commands: deadlines are written to the database, armed on the Scheduler port, re-armed
at start, and come back as ``FireDeadline`` commands. The approval ladder and the run budget live here."""

from __future__ import annotations

import logging

from bot.domain.agent import Permission, PermissionBehavior
from bot.domain.audit import ApprovalDecided, ApprovalNudged, ApprovalRequested, DomainEvent, StateChanged
from bot.domain.deadline import Deadline, approval_deadlines, budget_deadline
from bot.domain.hotfix import Hotfix
from bot.domain.lifecycle import ACTIVE_STATES
from bot.domain.policy import Policy, PolicyError
from bot.domain.values import ApprovalState, State
from bot.ports import Scheduler, UnitOfWork
from bot.services.bus import MessageBus
from bot.services.commands import FireDeadline, Reply
from bot.services.policies import repo_policy

__all__ = ["TimerService", "fire_deadline"]

log = logging.getLogger(__name__)


class TimerService:
    def __init__(self, bus: MessageBus, scheduler: Scheduler) -> None:
        self.bus = bus
        self.scheduler = scheduler
        bus.subscribe(self.on_event)

    def rearm(self) -> int:
        """At start: arm every stored deadline again (past-due ones fire at once)."""
        with self.bus.deps.uow() as uow:
            deadlines = uow.deadlines.all()
        for d in deadlines:
            self.scheduler.schedule(key=d.key, at=d.at, payload={"key": d.key})
        return len(deadlines)

    async def on_event(self, event: DomainEvent) -> None:
        match event:
            case ApprovalRequested():
                await self._arm_approval(event.number, event.approval_id)
            case ApprovalDecided():
                self._disarm(lambda d: d.ref == event.approval_id)
            case StateChanged(new=State.RUNNING, old=State.QUEUED):
                await self._arm_budget(event.number)
            case StateChanged() if event.new not in ACTIVE_STATES:
                self._disarm(lambda d: d.kind == "budget" and d.number == event.number)

    async def _policy(self, hotfix: Hotfix) -> Policy | None:
        repo = self.bus.deps.config.repo(hotfix.repo)
        if repo is None:
            return None
        try:
            return await repo_policy(self.bus.deps.workspace, repo)
        except PolicyError:
            return None

    async def _arm_approval(self, number: int, approval_id: str) -> None:
        hotfix = self.bus.read(number)
        policy = await self._policy(hotfix)
        if policy is None:
            return
        approval = hotfix.approval(approval_id)
        if not approval.pending:
            return
        self._arm(approval_deadlines(number, approval, remind_after=policy.remind_after_minutes,
                                     escalate_after=policy.escalate_after_minutes,
                                     hard_deadline=policy.approval_deadline_minutes))

    async def _arm_budget(self, number: int) -> None:
        hotfix = self.bus.read(number)
        policy = await self._policy(hotfix)
        if policy is None or hotfix.started_at is None or not policy.max_minutes:
            return
        self._arm([budget_deadline(number, hotfix.started_at, policy.max_minutes)])

    def _arm(self, deadlines: list[Deadline]) -> None:
        with self.bus.deps.uow() as uow:
            for d in deadlines:
                uow.deadlines.put(d)
            uow.commit()
        for d in deadlines:
            self.scheduler.schedule(key=d.key, at=d.at, payload={"key": d.key})

    def _disarm(self, match: object) -> None:
        with self.bus.deps.uow() as uow:
            gone = [d for d in uow.deadlines.all() if match(d)]  # type: ignore[operator]
            for d in gone:
                uow.deadlines.remove(d.key)
            uow.commit()
        for d in gone:
            self.scheduler.cancel(key=d.key)


async def fire_deadline(cmd: FireDeadline, bus: MessageBus) -> Reply:
    with bus.deps.uow() as uow:
        deadline = uow.deadlines.get(cmd.key)
    if deadline is None:
        return Reply(text="", ok=True)  # already handled or disarmed
    now = bus.deps.clock.now()
    minutes = 0

    def apply(h: Hotfix, uow: UnitOfWork) -> str | None:
        nonlocal minutes
        uow.deadlines.remove(deadline.key)
        if deadline.kind == "budget":
            return "budget" if h.state in ACTIVE_STATES else None
        approval = h.approval(deadline.ref)
        if not approval.pending:
            return None
        minutes = int((now - approval.requested_at).total_seconds() // 60)
        if deadline.kind == "expire":
            h.decide(approval.id, approve=False, actor="bot", at=now, state=ApprovalState.EXPIRED,
                     note=f"timed out after {minutes} min")
            return "expire"
        if deadline.kind == "remind":
            approval.reminded_at = now
        else:
            approval.escalated_at = now
        h.note(at=now, kind=deadline.kind, actor="bot", detail=f"{approval.kind.value}: waited {minutes} min")
        h.events.append(ApprovalNudged(number=h.number, approval_id=approval.id, step=deadline.kind))
        h.changed()
        return deadline.kind

    done = await bus.mutate(deadline.number, apply)
    if done == "expire":
        bus.runs.answer(deadline.ref, Permission(
            behavior=PermissionBehavior.DENY,
            message=f"No human answered within {minutes} minutes, so this request timed out (nobody refused it). "
                    "Do not retry it; finish without it, or stop and explain what you need."))
    elif done == "budget":
        await bus.runs.budget_elapsed(deadline.number)
    return Reply(text=done or "", ok=True)
