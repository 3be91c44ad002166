"""Review paths end to end, once per real agent: a shared-state edit that only an escalation member other than
the requester may approve (and ship), with a failing verification on the card; and Revise, which continues the
same agent session with the person's feedback before shipping."""

from __future__ import annotations

import pytest

from bot.domain.values import ApprovalKind, ApprovalState, State

from .conftest import FIXED_CALC, AgentDriver, Bot, git

pytestmark = pytest.mark.agent

BUG = "checkout totals are wrong for every order: add(2, 3) returns -1 instead of 5"


async def test_shared_state_needs_an_escalation_member_to_edit_and_to_ship(bot: Bot, agent: AgentDriver) -> None:
    agent.edit(bot.worktree, "requirements.txt", "requests==2.31.0", "requests==2.32.3")
    agent.finish("Bumped requests. Manual verification: run the checkout flow.")

    await bot.type(f"/hotfix {agent.prefix}{BUG}")
    asked = await bot.console.wait_for(r"escalation: shared state")
    assert "requirements.txt" in asked and "never the requester" in asked, asked
    refused = await bot.type("approve")  # the requester (an approver, not an escalation member)
    assert "✗ Not allowed HF-1" in refused, refused
    assert "you are now console:oncall" in await bot.type("/as oncall")
    assert "✗" not in await bot.type("approve")

    review = await bot.console.wait_for(r"— review\n(.*\n)*.*\[\d+\] Approve")
    assert "needs an escalation approver" in review and "shared state: requirements.txt" in review, review
    assert "Verify: ❌ python -m pytest -q: 1 failed" in review and "Test output (tail):" in review, review
    assert "+requests==2.32.3" in review
    hotfix = bot.hotfix()
    assert [a.kind for a in hotfix.approvals] == [ApprovalKind.ESCALATION, ApprovalKind.ESCALATION]
    assert hotfix.approvals[0].decided_by == "console:oncall"

    await bot.type("/as operator")
    assert "✗ Not allowed HF-1" in await bot.type("approve")  # an approver, but this ship needs escalation
    await bot.type("/as oncall")
    shipped = await bot.type("approve")
    assert "HF-1 (shop) shipped: committed" in shipped, shipped
    message = git(bot.repo, "log", "-1", "--format=%B", bot.hotfix().branch or "")
    assert "Requested-by: console:operator" in message and "Approved-by: console:oncall" in message
    assert "Approved-by: console:operator" not in message
    refusals = [e for e in bot.hotfix().audit if e.kind == "refused" and e.actor == "console:operator"]
    assert len(refusals) == 2


async def test_revise_continues_the_same_session_then_ships(bot: Bot, agent: AgentDriver) -> None:
    agent.edit(bot.worktree, "calc.py", "    return a - b", "    return b - a")  # a wrong first attempt
    agent.finish("First attempt: swapped the operands. Manual verification: run the tests.")
    agent.edit(bot.worktree, "calc.py", "    return b - a", "    return a + b")
    agent.finish("Second attempt: add() adds now. Manual verification: run the tests.")

    await bot.type(f"/hotfix {agent.prefix}{BUG}")
    first = await bot.console.wait_for(r"— review\n(.*\n)*.*\[\d+\] Revise")
    assert "Verify: ❌" in first, first
    session = bot.hotfix().session_id
    assert session

    prompted = await bot.type("revise")
    assert "type your feedback" in prompted, prompted
    mark = len(bot.console.blocks)
    revised = await bot.type("still failing: add(2, 3) must be 5, please fix the operator")
    assert "✗" not in revised, revised
    second = await bot.console.wait_for(r"Second attempt(.*\n)*.*\[\d+\] Approve", after=mark)
    assert "Verify: ✅ python -m pytest -q: 1 passed" in second, second

    hotfix = bot.hotfix()
    assert hotfix.session_id == session  # the same agent session, resumed
    assert agent.was_told("please fix the operator")
    assert agent.was_told("First attempt: swapped the operands")  # the revision's model call carries the history
    shipped = await bot.type("approve")
    assert "HF-1 (shop) shipped: committed" in shipped, shipped
    assert git(bot.repo, "show", f"{bot.hotfix().branch}:calc.py") == FIXED_CALC
    assert bot.hotfix().state is State.SHIPPED
    assert all(a.state is not ApprovalState.PENDING for a in bot.hotfix().approvals)
