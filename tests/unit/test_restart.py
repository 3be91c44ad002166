"""A bot that dies mid-run (the process is gone, the database stays) and a new one that starts on it."""

from __future__ import annotations

import asyncio

from bot.bootstrap import build_core
from bot.domain.agent import PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.domain.values import AgentKind, ApprovalState, State
from bot.services.commands import FireDeadline
from tests.fakes.agent import FakeAgentRunner
from tests.fakes.scheduler import FakeScheduler
from tests.unit.conftest import CHAT, World


def cmd(line: str) -> ToolRequest:
    return ToolRequest(kind="command", tool="Bash", command=line, raw={"command": line})


async def crash(world: World) -> None:
    """The process dies: its tasks vanish without writing anything."""
    for task in list(world.core.runs.tasks.values()):
        task.cancel()
    await asyncio.gather(*world.core.runs.tasks.values(), return_exceptions=True)
    await world.core.bus.stop()


async def restart(world: World, agent: FakeAgentRunner) -> World:
    notifier, scheduler = world.notifier, FakeScheduler()  # the chat platform outlives the bot
    core = build_core(config=world.core.bus.deps.config, uow=world.uow, clock=world.clock, workspace=world.workspace,
                      verifier=world.verifier, runners={AgentKind.CLAUDE: agent}, scheduler=scheduler)
    scheduler.fire = lambda key: core.bus.handle(FireDeadline(actor="bot", conversation=CHAT, key=key))
    core.router.register("telegram", notifier)
    await core.start()
    new = World(core=core, notifier=notifier, agent=agent, workspace=world.workspace, verifier=world.verifier,
                clock=world.clock, uow=world.uow, scheduler=scheduler)
    await new.settle()
    return new


async def test_a_pending_approval_survives_and_the_session_resumes(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    before = world.hotfix()
    assert before.state is State.AWAITING_APPROVAL
    old_token = before.approvals[0].id
    await crash(world)

    agent = FakeAgentRunner(scripts=[[cmd("make build")]])
    world2 = await restart(world, agent)
    h = world2.hotfix()
    # the session resumed, and the agent's identical request is bound to the old, still pending approval
    assert agent.specs[0].session_id == "session-1" and "restarted" in agent.specs[0].prompt
    assert len(h.approvals) == 1 and h.approvals[0].pending and h.state is State.AWAITING_APPROVAL
    # the old button (from before the restart) still works
    from bot.services.commands import ButtonAction, PressButton

    reply = await world2.send(PressButton(actor="telegram:222", conversation=CHAT, action=ButtonAction.APPROVE,
                                          token=old_token))
    assert reply.ok, reply.text
    assert agent.answers == [("make build", PermissionBehavior.ALLOW)]
    assert world2.hotfix().approvals[0].state is ApprovalState.APPROVED
    # the cards were re-drawn by the new process
    assert world2.notifier.latest("status:1")


async def test_no_session_means_interrupted_with_resume_and_reset(world: World) -> None:
    world.agent.scripts = [["hang"]]
    await world.say("/hotfix checkout returns 502 for all users")
    world.uow.store.hotfixes[1].session_id = None  # died before the agent said hello
    await crash(world)
    world2 = await restart(world, FakeAgentRunner(scripts=[[]]))
    assert world2.hotfix().state is State.INTERRUPTED
    card = world2.notifier.latest("status:1")
    assert [b.label for b in card.buttons] == ["Resume", "Reset"]
    assert (await world2.press("Resume", "telegram:111")).ok
    assert world2.hotfix().state is State.REVIEW


async def test_nothing_committed_is_lost(world: World) -> None:
    await world.say("/hotfix checkout returns 502 for all users")
    await world.say("/hotfix refactor everything please")
    await world.say("/hotfix freeze incident 42", actor="telegram:444")
    await crash(world)
    world2 = await restart(world, FakeAgentRunner())
    with world2.uow() as uow:
        assert [h.number for h in uow.hotfixes.list()] == [1, 2]
        assert "*" in uow.freezes.all()
    assert world2.hotfix(2).state is State.REJECTED


async def test_orphaned_worktrees_are_found_at_start(world: World) -> None:
    world.agent.scripts = [[]]
    await world.say("/hotfix checkout returns 502 for all users")
    # a worktree that no hotfix owns (a crash between creating it and committing the hotfix)
    await world.workspace.create(repo_path="/srv/shop", base_branch="main", number=9, slug="x",
                                 root="/state/worktrees/shop")
    await crash(world)
    world2 = await restart(world, FakeAgentRunner())
    assert world2.core.runs.orphans == ["/state/worktrees/shop/HF-9"]


async def test_an_approval_the_resumed_agent_does_not_ask_for_again_is_cancelled(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    await crash(world)
    world2 = await restart(world, FakeAgentRunner(scripts=[[cmd("ls")]]))
    h = world2.hotfix()
    assert h.state is State.REVIEW
    assert h.approvals[0].state is ApprovalState.CANCELLED and "did not ask" in h.approvals[0].note
    assert not world2.notifier.latest("approval:").buttons
