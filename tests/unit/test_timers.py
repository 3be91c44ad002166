"""The approval ladder and the run budget, with a clock the test controls."""

from __future__ import annotations

from bot.domain.agent import PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.domain.values import ApprovalKind, ApprovalState, State
from tests.unit.conftest import BASE_FILES, REPO_PATH, World


def cmd(line: str) -> ToolRequest:
    return ToolRequest(kind="command", tool="Bash", command=line, raw={"command": line})


async def test_ladder_reminds_then_escalates_and_stays_visible(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    assert world.hotfix().state is State.AWAITING_APPROVAL
    await world.advance(9)
    assert not world.notifier.replies
    await world.advance(2)
    assert any("still waits for an approval" in text for _c, text in world.notifier.replies)
    assert "(reminded)" in (world.notifier.latest("status:1").blocker or "")
    await world.advance(20)
    texts = [text for _c, text in world.notifier.replies]
    assert any("escalated to on-call" in t for t in texts)
    dm = [c for c, t in world.notifier.replies if "escalated" in t and c.key in ("333", "111")]
    assert [c.key for c in dm] == ["333"]  # the requester (also on-call) is not asked about its own hotfix
    assert "Escalated to on-call" in (world.notifier.latest("status:1").blocker or "")
    # no approval silently disappears: it is still pending and pressable
    assert world.hotfix().approvals[0].pending
    first = world.hotfix().approvals[0].id
    assert (await world.press("Approve", "telegram:222")).ok
    assert not [k for k in world.scheduler.jobs if first in k]  # its timers are disarmed


async def test_hard_deadline_times_out_and_tells_the_agent(world: World) -> None:
    world.workspace.set_base(REPO_PATH, {**BASE_FILES, ".hotfix.toml": "approval_deadline_minutes = 15\n"})
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    await world.advance(16)
    h = world.hotfix()
    assert h.approvals[0].state is ApprovalState.EXPIRED and "timed out" in h.approvals[0].note
    assert world.agent.answers == [("make build", PermissionBehavior.DENY)]
    card = world.notifier.latest("approval:")
    assert card.decided and card.decided.startswith("Timed out") and not card.buttons
    assert h.state is State.REVIEW


async def test_deadlines_are_stored_and_rearmed(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    with world.uow() as uow:
        stored = {d.kind for d in uow.deadlines.all()}
    assert {"remind", "escalate", "budget"} <= stored
    world.scheduler.jobs.clear()
    assert world.core.timers.rearm() == len(stored)
    assert len(world.scheduler.jobs) == len(stored)


async def test_run_budget_pauses_on_a_scope_approval(world: World) -> None:
    world.agent.scripts = [["hang"]]
    await world.say("/hotfix checkout returns 502 for all users")
    await world.advance(31)
    h = world.hotfix()
    scope = [a for a in h.approvals if a.kind is ApprovalKind.SCOPE]
    assert scope and "minutes" in scope[0].subject
    assert [b.label for b in world.notifier.latest("approval:").buttons] == ["Continue", "Stop"]
