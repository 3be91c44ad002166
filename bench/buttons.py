"""Figure 3: button press to effect, through the real Slack adapter (signed ``block_actions`` over HTTP) and
the real core on SQLite.

* Approve -> the agent resumes: a FakeAgentRunner asks to run ``make build`` (the policy asks a person),
  the approval card reaches the fake Slack API, an approver presses Approve; measured from sending the press
  until the agent's next step runs.
* Stop -> the agent process is gone: the real Claude Code CLI (bundled with claude-agent-sdk) runs in a real
  git worktree against the scripted model server of tests/contract/agents/claude, which stalls; measured from
  sending the press on the status card's Stop button until every process the CLI left is gone.

No floor: p50 and p99 (and max) are reported. Each hotfix gets its own channel, so Slack's per-channel pace
(one write per second) delays card delivery but never the press or its effect.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from adapters.agents.claude.runner import ClaudeCodeRunner, bundled_cli_path
from adapters.agents.process import descendants, is_alive
from adapters.git import GitWorkspace
from adapters.slack.app import EVENTS_PATH, SlackAdapter
from bench.figure import Figure, percentile
from bench.testbed import use_contract_folder
from bench.world import BenchCore, open_core, people
from bot.domain.agent import AgentRunSpec
from bot.domain.tool import ToolRequest
from bot.domain.values import State
from tests.fakes.agent import FakeAgentRunner

use_contract_folder("slack")
use_contract_folder("agents/claude")
from claude_model_server import ScriptedModel, stall  # noqa: E402
from claude_runner_support import agent_env  # noqa: E402
from slack_fake_api import BOT_TOKEN, FakeSlackApi  # noqa: E402
from slack_requests import SIGNING_SECRET, SlackSender, block_actions  # noqa: E402

__all__ = ["run"]

CREW = people(["slack:U111"], ["slack:U222"])
MAKE_BUILD = ToolRequest(kind="command", tool="Bash", command="make build", raw={"command": "make build"})


class AskingAgent(FakeAgentRunner):
    """Asks to run ``make build``; records when it resumes after the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.resumed: dict[int, float] = {}
        self.changed = asyncio.Event()

    async def run(self, spec: AgentRunSpec, sink: Any) -> Any:
        def resumed(spec: AgentRunSpec) -> None:
            self.resumed[spec.hotfix_id] = time.perf_counter()
            self.changed.set()

        self.scripts = [[MAKE_BUILD, resumed]]
        return await super().run(spec, sink)


class SlackDesk:
    """The fake Slack API, the real adapter wired to ``bench``'s core, and a signed sender."""

    def __init__(self, fake: FakeSlackApi, adapter: SlackAdapter, sender: SlackSender) -> None:
        self.fake, self.adapter, self.sender = fake, adapter, sender

    async def file(self, channel: str, text: str) -> None:
        status, _, body = await self.sender.slash(text, user="U111", channel=channel,
                                                  response_url=self.fake.response_url(channel))
        if status != 200:  # the ack carries the reply, or "Got it — filing…" when filing took over 2 s
            raise RuntimeError(f"filing failed: {status} {body[:120]}")

    def button(self, channel: str, label: str) -> tuple[str, dict[str, Any], str | None] | None:
        for message in reversed(self.fake.channel_messages(channel)):
            for block in message.blocks:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element["text"]["text"] == label:
                        return message.ts, element, message.thread_ts
        return None

    async def wait_for_button(self, channel: str, label: str) -> tuple[str, dict[str, Any], str | None]:
        await self.fake.wait_for(lambda: self.button(channel, label) is not None, timeout=60)
        found = self.button(channel, label)
        assert found is not None
        return found

    async def press(self, channel: str, found: tuple[str, dict[str, Any], str | None]) -> None:
        ts, element, thread_ts = found
        payload = block_actions(value=element["value"], action_id=element["action_id"], user="U222",
                                channel=channel, message_ts=ts, thread_ts=thread_ts,
                                response_url=self.fake.response_url(f"press-{channel}"))
        status, _, _ = await self.sender.interaction(payload)
        if status != 200:
            raise RuntimeError(f"press answered {status}")


@asynccontextmanager
async def slack_desk(bench: BenchCore) -> AsyncIterator[SlackDesk]:
    fake = FakeSlackApi()
    await fake.start()
    adapter = SlackAdapter(bot_token=BOT_TOKEN, sink=bench.core.bus, signing_secret=SIGNING_SECRET, http_port=0,
                           http_host="127.0.0.1", api_base_url=fake.base_url)
    bench.core.router.register("slack", adapter.notifier)
    await adapter.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield SlackDesk(fake, adapter, SlackSender(f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}",
                                                       session))
    finally:
        await bench.close(drain=0)
        await adapter.stop()
        await fake.stop()


async def approve_to_resume(iterations: int) -> list[float]:
    agent = AskingAgent()
    bench = await open_core(people=CREW, channels=(), notifiers={}, runner=agent)
    samples: list[float] = []
    async with slack_desk(bench) as desk:
        for n in range(iterations):
            channel = f"CA{n:04d}"
            await desk.file(channel, f"checkout returns 500 on an empty cart, case {n}")
            found = await desk.wait_for_button(channel, "Approve")
            number = max(agent.resumed, default=0) + 1
            agent.changed.clear()
            pressed = time.perf_counter()
            await desk.press(channel, found)
            while number not in agent.resumed:
                await asyncio.wait_for(agent.changed.wait(), timeout=30)
                agent.changed.clear()
            samples.append(agent.resumed[number] - pressed)
    return samples


def git_repo(root: Path) -> Path:
    repo = root / "shop"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "buggy add"], cwd=repo, check=True)
    return repo


async def stop_to_gone(iterations: int) -> list[float]:
    model = ScriptedModel()
    await model.start()
    samples: list[float] = []
    with tempfile.TemporaryDirectory(prefix="hotfix-bench-stop-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        runner = ClaudeCodeRunner(env=agent_env(model, root / "home"))
        bench = await open_core(people=CREW, channels=(), notifiers={}, runner=runner, workspace=GitWorkspace(),
                                repo_path=str(git_repo(root)), state_dir=str(root / "state"))
        async with slack_desk(bench) as desk:
            for n in range(iterations):
                channel = f"CS{n:04d}"
                model.stalled.clear()
                model.script(stall())
                await desk.file(channel, f"checkout returns 500 on an empty cart, case {n}")
                await asyncio.wait_for(model.stalled.wait(), timeout=90)
                found = await desk.wait_for_button(channel, "Stop")
                agent_processes = set(descendants(os.getpid()))
                pressed = time.perf_counter()
                await desk.press(channel, found)
                while any(is_alive(pid) for pid in agent_processes):
                    await asyncio.sleep(0.005)
                    if time.perf_counter() - pressed > 30:
                        raise RuntimeError("the agent outlived Stop by 30 s")
                samples.append(time.perf_counter() - pressed)
                await desk.fake.wait_for(lambda n=n: bench.core.bus.read(n + 1).state is State.STOPPED)
    await model.stop()
    return samples


def _figures(what: str, samples: list[float], note: str) -> list[Figure]:
    ms = [s * 1000 for s in samples]
    return [
        Figure(benchmark="buttons", name=f"{what} p50", value=statistics.median(ms), unit="ms",
               target="reported", extra={"samples": len(ms)}),
        Figure(benchmark="buttons", name=f"{what} p99", value=percentile(ms, 0.99), unit="ms", target="reported",
               note=f"{note}; max {max(ms):.0f} ms over {len(ms)} presses"),
    ]


async def run(*, smoke: bool) -> list[Figure]:
    figures = _figures("Approve → agent resumes", await approve_to_resume(2 if smoke else 20),
                       "FakeAgentRunner behind the real Slack adapter and core (SQLite)")
    if bundled_cli_path() is None:
        return [*figures, Figure(benchmark="buttons", name="Stop → agent gone", value=0, unit="ms",
                                 note="skipped: claude-agent-sdk without its bundled CLI")]
    return figures + _figures("Stop → agent process gone", await stop_to_gone(1 if smoke else 5),
                              "the real Claude Code CLI, stalled on the scripted model")
