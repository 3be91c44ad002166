"""Permission checks shared by the handlers: refuse, audit the refusal, change nothing else."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain.errors import NotAllowed
from bot.domain.hotfix import Hotfix
from bot.domain.people import Action
from bot.services.bus import MessageBus
from bot.services.commands import Command

__all__ = ["require"]

log = logging.getLogger("hotfix.audit")

_WHO = {
    Action.FILE: "requesters, approvers and escalation members",
    Action.READ: "configured people",
    Action.APPROVE: "approvers",
    Action.APPROVE_ESCALATION: "escalation approvers other than the requester",
    Action.STOP: "the requester, approvers, escalation members and the triage owner",
    Action.REVISE: "the requester and approvers",
    Action.RESET: "the requester and approvers",
    Action.TRIAGE: "the triage owner and escalation members",
}


REPEAT_WINDOW = timedelta(minutes=1)


def _worth_recording(bus: MessageBus, actor: str, number: int, action: Action) -> bool:
    """Refusals of configured people are always on the hotfix's audit trail. The same refusal of an outsider
    on the same hotfix is written there once a minute (every one is still logged), so a stranger pressing a
    button in a loop cannot grow the database without bound."""
    if bus.deps.config.people.is_known(actor):
        return True
    now = bus.deps.clock.now()
    recent = bus.recent_refusals
    key = (actor, number, action.value)
    last = recent.get(key)
    if last is not None and now - last < REPEAT_WINDOW:
        return False
    if len(recent) > 10_000:
        recent.clear()
    recent[key] = now
    return True


async def require(bus: MessageBus, cmd: Command, action: Action, hotfix: Hotfix | None = None) -> None:
    """Raise NotAllowed (a one-line reason) unless ``cmd.actor`` may do ``action``; audit the refusal."""
    people = bus.deps.config.people
    requester = hotfix.requester if hotfix else None
    if not cmd.actor_is_bot and people.may(cmd.actor, action, requester=requester):
        return
    who = "bot accounts never count as people" if cmd.actor_is_bot else f"only {_WHO[action]} may {action.value}"
    where = f" {hotfix.label}" if hotfix else ""
    reason = f"Not allowed{where}: {who}."
    log.info("refused %s for %s%s", action.value, cmd.actor, where)
    if hotfix is not None and _worth_recording(bus, cmd.actor, hotfix.number, action):
        detail = f"{action.value} refused for {cmd.actor}"

        def record(h: Hotfix, _uow: object) -> None:
            h.note(at=bus.deps.clock.now(), kind="refused", actor=cmd.actor, detail=detail)

        await bus.mutate(hotfix.number, record)
    raise NotAllowed(reason)
