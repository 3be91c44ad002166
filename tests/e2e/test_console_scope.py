"""The scope watch end to end, once per real agent: a run that edits more files than the repository's
budget pauses on a scope approval (Continue / Stop) before it goes on; Continue lets it finish and ship."""

from __future__ import annotations

import pytest

from bot.domain.values import ApprovalKind, ApprovalState, State

from .conftest import TEST_COMMAND, AgentDriver, Bot, git

pytestmark = pytest.mark.agent

BUG = "checkout totals are wrong for every order: add(2, 3) returns -1 instead of 5"


async def test_a_run_past_its_file_budget_waits_for_continue(bot: Bot, agent: AgentDriver) -> None:
    (bot.repo / ".hotfix.toml").write_text(f'test_command = "{TEST_COMMAND}"\nmax_files = 1\n')
    git(bot.repo, "-c", "user.name=Shop Dev", "-c", "user.email=dev@shop.invalid", "commit", "-q", "-am",
        "tighter budget")
    agent.edit(bot.worktree, "calc.py", "    return a - b", "    return a + b")
    agent.edit(bot.worktree, "test_calc.py", "from calc import add", "from calc import add  # the checkout total")
    agent.command("python -m pytest -q")
    agent.finish("Fixed add(). Manual verification: run the checkout flow.")

    await bot.type(f"/hotfix {agent.prefix}{BUG}")
    asked = await bot.console.wait_for(r"scope grew(.*\n)*.*\[\d+\] Continue")
    assert "2 files > 1" in asked, asked
    assert "✗" not in await bot.type("continue")
    review = await bot.console.wait_for(r"— review\n(.*\n)*.*\[\d+\] Approve")
    assert "Verify: ✅" in review, review
    hotfix = bot.hotfix()
    scope = [a for a in hotfix.approvals if a.kind is ApprovalKind.SCOPE]
    assert scope and scope[0].state is ApprovalState.APPROVED and scope[0].decided_by == "console:operator"
    shipped = await bot.type("approve")
    assert "HF-1 (shop) shipped" in shipped, shipped
    assert bot.hotfix().state is State.SHIPPED
