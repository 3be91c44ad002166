"""The first thing a person tries: ``hotfix-bot console`` with no hotfix.toml runs the demo repository
(adapters/console/demo.py). Its real bug (an empty webhook body crashes with a 500) is fixed by the real agent,
verified by the bot with the demo's own test command, and shipped — with nothing but the fix in the diff."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from bot.cli import bot_config
from bot.config import Settings
from bot.domain.values import State

from .conftest import GIT_DIFF, AgentDriver, Bot, Checkout, booted, git

pytestmark = pytest.mark.agent

REPRO = "python3 -c \"from shop.webhook import handle_checkout_webhook as handle; print(handle(''))\""
GUARD = '    if not body.strip():\n        return 400, {"error": "empty payload"}\n'


@pytest.fixture
async def demo_bot(settings: Settings, agent: AgentDriver, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    monkeypatch.delenv("HOTFIX_CONFIG")  # and no ./hotfix.toml: the CLI falls back to the demo
    fresh = Settings()
    config = bot_config(fresh, allow_demo=True)
    assert config.repos[0].path.startswith(str(fresh.state_dir))
    async with booted(fresh, config, agent) as running:
        yield running


async def test_demo_bug_fixed_verified_and_shipped(demo_bot: Bot, agent: AgentDriver) -> None:
    bot = demo_bot
    before = Checkout.of(bot.repo, "shop/webhook.py")
    agent.command(REPRO)
    agent.edit(bot.worktree, "shop/webhook.py", "    payload = json.loads(body)\n",
               GUARD + "    payload = json.loads(body)\n")
    agent.finish("Empty bodies get a 400 now instead of crashing.\n"
                 "Manual verification: POST an empty body to the checkout webhook and expect a 400.")

    await bot.type(f"/hotfix {agent.prefix}the checkout webhook returns 500 on an empty payload")
    asked = await bot.console.wait_for(r"approval needed")
    await bot.type(bot.button(asked, "Approve"))
    review = await bot.console.wait_for(r"— review\n(.*\n)*.*\[\d+\] Approve")
    assert "Verify: ✅ python -m pytest -q: 2 passed" in review, review
    assert "+    if not body.strip():" in review and "Diff: 1 file, +2 −0" in review, review
    assert agent.was_told("JSONDecodeError")  # the approved reproduction ran and failed as reported

    shipped = await bot.type("approve")
    assert "HF-1 (shop) shipped: committed" in shipped, shipped
    hotfix = bot.hotfix()
    assert hotfix.state is State.SHIPPED and hotfix.diff is not None
    assert hotfix.diff.paths == ("shop/webhook.py",)  # no bytecode or caches from the test runs
    tip = git(bot.repo, "rev-parse", hotfix.branch or "").strip()
    committed = git(bot.repo, *GIT_DIFF, hotfix.base_sha or "", tip)
    assert hashlib.sha256(committed.encode()).hexdigest() == hotfix.diff.sha256
    assert GUARD in git(bot.repo, "show", f"{tip}:shop/webhook.py")
    assert Checkout.of(bot.repo, "shop/webhook.py") == before
