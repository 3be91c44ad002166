"""A bot restarted (a deploy, /quit, SIGTERM) while its agent waits on a person: nothing is lost. The new bot on
the same state directory resumes the same agent session, the pending approval stays pressable, and the hotfix
ships as usual."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_bot_config
from bot.domain.values import ApprovalState, State

from .conftest import FINAL_REPORT, FIXED_CALC, AgentDriver, Bot, booted, git, wait_until

pytestmark = pytest.mark.agent

BUG = "checkout totals are wrong for every order: add(2, 3) returns -1 instead of 5"
ASKED = "touch reproduced.txt"


async def test_restart_while_an_approval_is_pending(settings: Settings, agent: AgentDriver) -> None:
    config = load_bot_config(settings.hotfix_config, settings.state_dir)
    async with booted(settings, config, agent) as bot:
        await _file_and_leave_waiting(bot, agent)
    await wait_until(lambda: not bot.agent_processes())
    left = bot.hotfix()
    assert left.state is State.AWAITING_APPROVAL and left.approvals[0].pending, left.failure_reason
    assert "stopped by a person" not in bot.console.text
    session = left.session_id
    assert session

    async with booted(settings, config, agent) as again:
        await again.console.wait_for(r"Last: wants \w+: touch reproduced.txt")
        await wait_until(lambda: again.hotfix().state is State.AWAITING_APPROVAL)
        # a fresh console has not drawn the old approval card: the person approves by id, as in any chat
        approved = await again.type("/hotfix approve HF-1")
        assert "✗" not in approved, approved
        await again.console.wait_for(r"— review\n(.*\n)*.*\[\d+\] Approve")
        hotfix = again.hotfix()
        assert hotfix.session_id == session  # resumed, not started over
        (approval,) = hotfix.approvals[:1]
        assert (approval.state, approval.decided_by) == (ApprovalState.APPROVED, "console:operator")
        assert (again.worktree / "reproduced.txt").exists()
        shipped = await again.type("approve")
        assert "HF-1 (shop) shipped: committed" in shipped, shipped
        assert git(again.repo, "show", f"{hotfix.branch}:calc.py") == FIXED_CALC


async def _file_and_leave_waiting(bot: Bot, agent: AgentDriver) -> None:
    agent.command(ASKED)
    agent.command(ASKED)  # the resumed agent asks again: the same request binds to the pending approval
    agent.edit(bot.worktree, "calc.py", "    return a - b", "    return a + b")
    agent.finish(FINAL_REPORT)
    await bot.type(f"/hotfix {agent.prefix}{BUG}")
    await bot.console.wait_for(r"approval needed")
