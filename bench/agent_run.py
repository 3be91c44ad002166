"""Figure 7: one scripted agent run end to end through the bot, against the same run driven directly with
claude-agent-sdk.

Both use the real Claude Code CLI bundled with claude-agent-sdk against the scripted Anthropic model server of
tests/contract/agents/claude, with the same script: read ``calc.py``, edit it (``a - b`` -> ``a + b``), say
it is fixed. The bot: ``/hotfix`` into the real core (SQLite, real git worktree via ``GitWorkspace``,
``ClaudeCodeRunner``, an in-memory chat) until the review card is posted. The floor: ``ClaudeSDKClient`` with
an allow-everything ``can_use_tool`` in a clone of the same repository, from connect to disconnect. Pairs
alternate their order; the median of each is compared.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, PermissionResultAllow

from adapters.agents.claude.runner import ClaudeCodeRunner, bundled_cli_path
from adapters.git import GitWorkspace
from bench.buttons import git_repo
from bench.figure import Figure
from bench.testbed import use_contract_folder
from bench.world import open_core, people
from bot.domain.audit import StateChanged
from bot.domain.values import ConversationRef, State
from bot.services.commands import FileHotfix
from tests.fakes.notifier import FakeNotifier

use_contract_folder("agents/claude")
from claude_model_server import ScriptedModel, text, tool  # noqa: E402
from claude_runner_support import agent_env  # noqa: E402

__all__ = ["run"]

CHAT = ConversationRef(platform="console", key="ops")
DESCRIPTION = "add() subtracts instead of adding, so every cart total is wrong"
INSTRUCTIONS = "Make the smallest fix for the reported problem. Do not commit."


def script(model: ScriptedModel, worktree: Path) -> None:
    calc = str(worktree / "calc.py")
    model.script(
        tool("Read", {"file_path": calc}, say="Let me look at calc.py."),
        tool("Edit", {"file_path": calc, "old_string": "return a - b", "new_string": "return a + b"}),
        text("Fixed add(). Manual verification: add(2, 3) returns 5."),
    )


async def through_the_bot(model: ScriptedModel, root: Path) -> float:
    repo = git_repo(root)
    (root / "home").mkdir()
    state_dir = root / "state"
    runner = ClaudeCodeRunner(env=agent_env(model, root / "home"))
    bench = await open_core(people=people(["console:operator"], ["console:approver"]), channels=(),
                            notifiers={"console": FakeNotifier()}, runner=runner, workspace=GitWorkspace(),
                            repo_path=str(repo), state_dir=str(state_dir))
    reviewed = asyncio.Event()

    async def on_event(event: object) -> None:
        if isinstance(event, StateChanged) and event.new is not State.RUNNING and event.new is not State.QUEUED:
            reviewed.set()

    bench.core.bus.subscribe(on_event)
    script(model, state_dir / "worktrees" / "shop" / "HF-1")
    try:
        started = time.perf_counter()
        await bench.core.bus.handle(FileHotfix(actor="console:operator", conversation=CHAT, description=DESCRIPTION))
        await asyncio.wait_for(reviewed.wait(), timeout=120)
        await bench.core.bus.drain()  # the review card is posted
        elapsed = time.perf_counter() - started
        hotfix = bench.core.bus.read(1)
        if hotfix.state is not State.REVIEW or not hotfix.diff or hotfix.diff.files != 1:
            raise RuntimeError(f"the bot's run ended {hotfix.state.value}: {hotfix.last_action}")
        return elapsed
    finally:
        await bench.close()


async def directly(model: ScriptedModel, root: Path) -> float:
    repo = git_repo(root)
    (root / "home").mkdir()

    async def allow(tool_name: str, tool_input: dict[str, Any], context: Any) -> PermissionResultAllow:
        return PermissionResultAllow()

    options = ClaudeAgentOptions(
        cwd=str(repo), cli_path=bundled_cli_path(), permission_mode="default", can_use_tool=allow,
        system_prompt={"type": "preset", "preset": "claude_code", "append": INSTRUCTIONS}, setting_sources=[],
        strict_mcp_config=True, env=agent_env(model, root / "home"))
    script(model, repo)
    started = time.perf_counter()
    async with ClaudeSDKClient(options) as client:
        await client.query(f"Fix this: {DESCRIPTION}")
        async for _message in client.receive_response():
            pass
    elapsed = time.perf_counter() - started
    if "a + b" not in (repo / "calc.py").read_text():
        raise RuntimeError("the direct run did not edit calc.py")
    return elapsed


async def run(*, smoke: bool) -> list[Figure]:
    if bundled_cli_path() is None:
        return [Figure(benchmark="agent run", name="end to end", value=0, unit="s",
                       note="skipped: claude-agent-sdk without its bundled CLI")]
    pairs = 1 if smoke else 4
    bot: list[float] = []
    sdk: list[float] = []
    model = ScriptedModel()
    await model.start()
    try:
        for number in range(pairs):
            for first in ((True, False) if number % 2 == 0 else (False, True)):
                with tempfile.TemporaryDirectory(prefix="hotfix-bench-agent-") as tmp:
                    if first:
                        bot.append(await through_the_bot(model, Path(tmp)))
                    else:
                        sdk.append(await directly(model, Path(tmp)))
    finally:
        await model.stop()
    value, floor = statistics.median(bot), statistics.median(sdk)
    return [Figure(benchmark="agent run", name="scripted Claude run, end to end", value=value, floor=floor,
                   unit="s", target="ratio ≤ 1.10", met=value <= 1.10 * floor,
                   note=f"bot {', '.join(f'{s:.2f}' for s in bot)} s; sdk {', '.join(f'{s:.2f}' for s in sdk)} s",
                   extra={"bot_s": bot, "sdk_s": sdk})]


