"""Issue 3 "Done when": from the console a person files a hotfix against a sample repository with a real bug,
watches the real agent work on a hotfix/… branch, answers an approval, gets a review card with the diff and the
verification, approves, and finds exactly that diff committed on the branch. Once per agent."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.cli import main as hotfix_bot
from bot.domain.values import ApprovalKind, ApprovalState, State

from .conftest import (
    FINAL_REPORT,
    FIXED_CALC,
    GIT_DIFF,
    REPRO,
    TEST_COMMAND,
    AgentDriver,
    Bot,
    Checkout,
    git,
)

pytestmark = pytest.mark.agent

BUG = "add(2, 3) returns -1 instead of 5 in calc, checkout totals are wrong for every order"


async def test_file_approve_review_ship_exact_diff(bot: Bot, agent: AgentDriver,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = Checkout.of(bot.repo)
    agent.command(REPRO)  # unknown to the policy: a person is asked
    agent.edit(bot.worktree, "calc.py", "    return a - b", "    return a + b")
    agent.finish(FINAL_REPORT)

    filed = await bot.type(f"/hotfix {agent.prefix}{BUG}")
    assert "HF-1 (shop)" in filed, filed

    asked = await bot.console.wait_for(r"approval needed")
    assert "python3 -c" in asked and "[" in asked
    assert "hotfix/1-" in bot.console.text  # the status card names the branch the agent works on
    approved = await bot.type(bot.button(asked, "Approve"))  # typed as the number shown next to Approve
    assert "✗" not in approved, approved

    review = await bot.console.wait_for(r"review.*\n(.*\n)*.*\[\d+\] Approve")
    assert "-    return a - b" in review and "+    return a + b" in review, review
    assert f"Verify: ✅ {TEST_COMMAND}: 1 passed" in review, review
    assert review.count("Manual verification:") == 1 and "add(2, 3) == 5" in review, review

    hotfix = bot.hotfix()
    assert hotfix.state is State.REVIEW and hotfix.diff is not None
    assert hotfix.branch and hotfix.branch.startswith("hotfix/1-")
    (command,) = [a for a in hotfix.approvals if a.kind is ApprovalKind.COMMAND]
    assert (command.state, command.decided_by) == (ApprovalState.APPROVED, "console:operator")
    assert agent.was_told("-1")  # the approved command really ran in the worktree: the model saw its output

    shipped = await bot.type("approve")  # typed as the label
    assert "HF-1 (shop) shipped: committed" in shipped, shipped

    # exactly the approved diff is committed on the hotfix branch, naming HF-1
    tip = git(bot.repo, "rev-parse", hotfix.branch).strip()
    assert git(bot.repo, "rev-parse", f"{tip}^").strip() == hotfix.base_sha
    committed = git(bot.repo, *GIT_DIFF, hotfix.base_sha or "", tip)
    assert hashlib.sha256(committed.encode()).hexdigest() == hotfix.diff.sha256
    assert git(bot.repo, "show", f"{tip}:calc.py") == FIXED_CALC
    message = git(bot.repo, "log", "-1", "--format=%B", tip)
    assert message.startswith("HF-1: ") and "Approved-by: console:operator" in message

    assert str(bot.worktree) not in bot.console.text  # paths as people know them: calc.py
    assert bot.hotfix().files_touched == ("calc.py",)
    # the configured checkout is untouched: same branch, same commit, clean tree, still buggy
    assert Checkout.of(bot.repo) == before

    await bot.console.wait_for(r"State: ✅ shipped")
    capsys.readouterr()
    assert hotfix_bot(["show", "HF-1", "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["state"] == "shipped" and exported["agent"] == agent.kind.value
    assert exported["diff"]["sha256"] == hotfix.diff.sha256
    assert exported["verification"]["exit_code"] == 0

