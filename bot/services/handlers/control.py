"""Stop, reset, revise (and Patch / Close / Resume), freeze and unfreeze."""

from __future__ import annotations

from bot.domain.errors import Conflict
from bot.domain.hotfix import Hotfix
from bot.domain.people import Action
from bot.domain.queue import ALL_REPOS, Freeze
from bot.domain.values import Mode, State
from bot.ports import UnitOfWork
from bot.render.text import one_line
from bot.services.bus import MessageBus
from bot.services.commands import Command, FreezeQueue, Reply, ResetHotfix, ReviseHotfix, StopHotfix, UnfreezeQueue
from bot.services.handlers.guard import require
from bot.services.handlers.intake import resolve_repo
from bot.services.instructions import RESUME_PROMPT

__all__ = [
    "close_review",
    "freeze_queue",
    "patch_after_review",
    "reset_hotfix",
    "resume_hotfix",
    "revise_hotfix",
    "stop_hotfix",
    "unfreeze_queue",
]

PATCH_PROMPT = ("The reviewer asks you to go ahead: implement the smallest fix you proposed, then finish with the "
                "manual verification steps.")


async def stop_hotfix(cmd: StopHotfix, bus: MessageBus) -> Reply:
    return await stop(bus, cmd, bus.read(cmd.hotfix_id))


async def stop(bus: MessageBus, cmd: Command, hotfix: Hotfix) -> Reply:
    await require(bus, cmd, Action.STOP, hotfix)
    if hotfix.is_terminal or hotfix.state is State.TRIAGE:
        raise Conflict(f"{hotfix.label} is {hotfix.state.value}: nothing to stop")
    await bus.mutate(hotfix.number, lambda h, _u: _ensure_open(h).stop(at=bus.deps.clock.now(), actor=cmd.actor))
    await bus.runs.cancel(hotfix.number)
    return Reply(text=f"{hotfix.label} stopped by {cmd.actor}; the worktree and branch are kept for inspection.",
                 private=False, hotfix_id=hotfix.number)


def _ensure_open(h: Hotfix) -> Hotfix:
    h.ensure_open()
    return h


async def reset_hotfix(cmd: ResetHotfix, bus: MessageBus) -> Reply:
    return await reset(bus, cmd, bus.read(cmd.hotfix_id))


async def reset(bus: MessageBus, cmd: Command, hotfix: Hotfix) -> Reply:
    await require(bus, cmd, Action.RESET, hotfix)
    now = bus.deps.clock.now()

    def discard(h: Hotfix, _uow: UnitOfWork) -> None:
        if h.is_terminal:
            h.note(at=now, kind="reset", actor=cmd.actor, detail="worktree and branch removed")
            h.changed()
        else:
            h.discard(at=now, actor=cmd.actor, detail="reset: worktree and branch removed")

    if hotfix.state is State.REJECTED or (hotfix.is_terminal and not hotfix.worktree):
        raise Conflict(f"{hotfix.label} is {hotfix.state.value}: nothing to reset")
    if hotfix.state is State.SHIPPED:  # deleting the branch would throw away the approved commit
        raise Conflict(f"{hotfix.label} is shipped: its branch {hotfix.branch} holds the approved change; "
                       "remove it with git once it is merged")
    await bus.mutate(hotfix.number, discard)
    await bus.runs.cancel(hotfix.number)
    repo = bus.deps.config.repo(hotfix.repo)
    if hotfix.worktree and hotfix.branch and repo is not None:
        await bus.deps.workspace.remove(repo_path=repo.path, worktree=hotfix.worktree, branch=hotfix.branch)
    return Reply(text=f"{hotfix.label} reset: worktree and branch removed.", private=False, hotfix_id=hotfix.number)


async def revise_hotfix(cmd: ReviseHotfix, bus: MessageBus) -> Reply:
    hotfix = bus.read(cmd.hotfix_id)
    await require(bus, cmd, Action.REVISE, hotfix)
    feedback = cmd.feedback.strip()
    if not feedback:
        raise Conflict(f"{hotfix.label}: revise needs feedback — revise {hotfix.number} <what to change>")
    return await _requeue(bus, cmd, hotfix, prompt=f"Reviewer feedback on your fix: {feedback}",
                          detail=f"revise: {one_line(feedback, 200)}", verb="revision queued")


async def patch_after_review(bus: MessageBus, cmd: Command, hotfix: Hotfix) -> Reply:
    await require(bus, cmd, Action.REVISE, hotfix)
    if hotfix.mode is Mode.PATCH:
        raise Conflict(f"{hotfix.label} is already a patch run")
    return await _requeue(bus, cmd, hotfix, prompt=PATCH_PROMPT, detail="continue in patch mode",
                          verb="continuing in patch mode", mode=Mode.PATCH)


async def resume_hotfix(bus: MessageBus, cmd: Command, hotfix: Hotfix) -> Reply:
    await require(bus, cmd, Action.REVISE, hotfix)
    if hotfix.state is not State.INTERRUPTED:
        raise Conflict(f"{hotfix.label} is {hotfix.state.value}, not interrupted")
    return await _requeue(bus, cmd, hotfix, prompt=RESUME_PROMPT, detail="resume", verb="resuming",
                          allowed=(State.INTERRUPTED,))


async def _requeue(bus: MessageBus, cmd: Command, hotfix: Hotfix, *, prompt: str, detail: str, verb: str,
                   mode: Mode | None = None, allowed: tuple[State, ...] = (State.REVIEW,)) -> Reply:
    resume = allowed == (State.INTERRUPTED,)

    def change(h: Hotfix, _uow: UnitOfWork) -> None:
        if h.state not in allowed:
            what = "interrupted" if resume else "in review"
            raise Conflict(f"{h.label} is {h.state.value}: only a hotfix {what} can do that")
        h.requeue(at=bus.deps.clock.now(), actor=cmd.actor, prompt=prompt, detail=detail, mode=mode,
                  keep_pending=resume)

    await bus.mutate(hotfix.number, change)
    return Reply(text=f"{hotfix.label}: {verb}; the agent continues the same session.", private=False,
                 hotfix_id=hotfix.number)


async def close_review(bus: MessageBus, cmd: Command, hotfix: Hotfix) -> Reply:
    await require(bus, cmd, Action.REVISE, hotfix)

    def change(h: Hotfix, _uow: UnitOfWork) -> None:
        if h.state is not State.REVIEW:
            raise Conflict(f"{h.label} is {h.state.value}, not in review")
        if h.mode is Mode.PATCH:  # Close is offered on diagnose/plan reports only; a patch review has Reset
            raise Conflict(f"{h.label} is a patch review: Approve, Revise or Reset it")
        h.discard(at=bus.deps.clock.now(), actor=cmd.actor, detail="closed; the report stays in the audit trail")

    await bus.mutate(hotfix.number, change)
    return Reply(text=f"{hotfix.label} closed.", private=False, hotfix_id=hotfix.number)


async def freeze_queue(cmd: FreezeQueue, bus: MessageBus) -> Reply:
    await require(bus, cmd, Action.TRIAGE)
    scope = resolve_repo(bus, cmd.repo, cmd).name if cmd.repo else ALL_REPOS
    freeze = Freeze(scope=scope, reason=one_line(cmd.reason, 300), actor=cmd.actor, at=bus.deps.clock.now())
    with bus.deps.uow() as uow:
        uow.freezes.put(freeze)
        open_ones = [h for h in uow.hotfixes.list() if not h.is_terminal and scope in (ALL_REPOS, h.repo)]
        uow.commit()
    await _touch(bus, open_ones)
    where = "every repository" if scope == ALL_REPOS else scope
    return Reply(text=f"Queue frozen for {where}: {freeze.reason}. Running hotfixes keep going; new runs wait.",
                 private=False)


async def unfreeze_queue(cmd: UnfreezeQueue, bus: MessageBus) -> Reply:
    await require(bus, cmd, Action.TRIAGE)
    scope = resolve_repo(bus, cmd.repo, cmd).name if cmd.repo else ALL_REPOS
    with bus.deps.uow() as uow:
        removed = uow.freezes.remove(scope)
        open_ones = [h for h in uow.hotfixes.list() if not h.is_terminal and scope in (ALL_REPOS, h.repo)]
        uow.commit()
    where = "every repository" if scope == ALL_REPOS else scope
    if not removed:
        return Reply(text=f"The queue for {where} was not frozen.", ok=False)
    await _touch(bus, open_ones)
    await bus.runs.dispatch()
    return Reply(text=f"Queue unfrozen for {where}.", private=False)


async def _touch(bus: MessageBus, hotfixes: list[Hotfix]) -> None:
    """Re-render the cards of hotfixes whose freeze badge changed (and let the dispatcher look again)."""
    for h in hotfixes:
        await bus.mutate(h.number, lambda x, _u: x.changed())
