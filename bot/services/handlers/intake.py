"""Filing a hotfix and the triage owner's accept / reject."""

from __future__ import annotations

from bot.domain.config import RepoConfig
from bot.domain.errors import Conflict, NotFound
from bot.domain.hotfix import Hotfix
from bot.domain.naming import derive_title
from bot.domain.people import Action
from bot.domain.policy import PolicyError
from bot.domain.queue import queue_position
from bot.domain.triage import triage
from bot.domain.values import State
from bot.ports import UnitOfWork
from bot.services.bus import MessageBus
from bot.services.commands import AcceptHotfix, Command, FileHotfix, RejectHotfix, Reply
from bot.services.grammar import USAGE
from bot.services.handlers.guard import require
from bot.services.policies import repo_policy

__all__ = ["accept_hotfix", "file_hotfix", "reject_hotfix", "resolve_repo"]


def resolve_repo(bus: MessageBus, name: str | None, cmd: Command) -> RepoConfig:
    config = bus.deps.config
    known = ", ".join(r.name for r in config.repos) or "none configured"
    if name:
        repo = config.repo(name)
        if repo is None:
            raise NotFound(f"Unknown repository '{name[:64]}' (known: {known}). {USAGE}")
        return repo
    repo = config.default_repo(str(cmd.conversation))
    if repo is None:
        raise NotFound(f"Which repository? Add repo:<name> (known: {known}). {USAGE}")
    return repo


async def file_hotfix(cmd: FileHotfix, bus: MessageBus) -> Reply:
    if cmd.lane != "file":  # the file lane is the bot's own intake; its requester comes from the config
        await require(bus, cmd, Action.FILE)
    repo = resolve_repo(bus, cmd.repo, cmd)
    result = triage(description=cmd.description, priority=cmd.priority, mode=cmd.mode)
    outcome, reason = result.outcome, result.reason
    try:
        await repo_policy(bus.deps.workspace, repo)
    except PolicyError as e:
        if outcome == "accept":
            outcome, reason = "hold", f"the repository policy is broken ({e}); fix it, then accept"
    now = bus.deps.clock.now()
    with bus.deps.uow() as uow:
        hotfix = Hotfix(
            number=uow.hotfixes.next_number(), repo=repo.name, title=cmd.title or derive_title(cmd.description),
            description=cmd.description, requester=cmd.actor, conversation=cmd.conversation, created_at=now,
            mode=cmd.mode, agent=cmd.agent or repo.agent, priority=cmd.priority, lane=cmd.lane,
            lane_path=cmd.lane_path,
        )
        hotfix.filed(at=now, outcome=outcome, reason=reason)
        uow.hotfixes.add(hotfix)
        uow.commit()
        bus.publish(uow.collect_new_events())
        position = queue_position(hotfix, uow.hotfixes.queue())
    return Reply(text=_filed_text(hotfix, position), ok=hotfix.state is not State.REJECTED, private=False,
                 hotfix_id=hotfix.number)


def _filed_text(h: Hotfix, position: int | None) -> str:
    if h.state is State.QUEUED:
        where = f"#{position} in the queue" if position else "queued"
        return f"{h.label} filed: {h.title} — {where}, agent {h.agent.value}, mode {h.mode.value}."
    if h.state is State.REJECTED:
        return f"{h.label} not taken: {h.triage_reason}"
    return f"{h.label} is held for the triage owner: {h.triage_reason}"


async def accept_hotfix(cmd: AcceptHotfix, bus: MessageBus) -> Reply:
    hotfix = bus.read(cmd.hotfix_id)
    await require(bus, cmd, Action.TRIAGE, hotfix)

    def accept(h: Hotfix, _uow: UnitOfWork) -> None:
        if h.state is not State.TRIAGE:
            raise Conflict(f"{h.label} is {h.state.value}, not waiting for triage")
        h.accept(actor=cmd.actor, at=bus.deps.clock.now())

    await bus.mutate(hotfix.number, accept)
    return Reply(text=f"{hotfix.label} accepted and queued.", private=False, hotfix_id=hotfix.number)


async def reject_hotfix(cmd: RejectHotfix, bus: MessageBus) -> Reply:
    hotfix = bus.read(cmd.hotfix_id)
    await require(bus, cmd, Action.TRIAGE, hotfix)

    def reject(h: Hotfix, _uow: UnitOfWork) -> None:
        if h.state is not State.TRIAGE:
            raise Conflict(f"{h.label} is {h.state.value}, not waiting for triage")
        h.reject(actor=cmd.actor, at=bus.deps.clock.now(), reason=cmd.reason)

    await bus.mutate(hotfix.number, reject)
    return Reply(text=f"{hotfix.label} rejected: {cmd.reason}", private=False, hotfix_id=hotfix.number)
