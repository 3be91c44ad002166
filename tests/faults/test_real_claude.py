"""The same kill with the REAL Claude Code (bundled with claude-agent-sdk) against the scripted model server:
SIGKILL the bot while the agent waits for an approval; the new bot reaps the old CLI, resumes the session
(``--resume``: the model sees the earlier conversation and the bot's "continue" prompt), the agent's repeated
request binds to the still-pending approval, and the old Approve button finishes the flow."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.agents.claude.runner import bundled_cli_path
from bot.services.instructions import RESUME_PROMPT
from tests.faults.conftest import FaultWorld
from tests.faults.fake_claude import FINAL, REPRO
from tests.faults.flow_check import assert_flow_complete, eventually
from tests.faults.oncall import OnCall

MODEL_SERVER = Path(__file__).resolve().parents[1] / "contract" / "agents" / "claude"
if str(MODEL_SERVER) not in sys.path:
    sys.path.insert(0, str(MODEL_SERVER))

from claude_model_server import Reply, ScriptedModel, text, tool  # noqa: E402

pytestmark = [pytest.mark.agent, pytest.mark.timeout(300),
              pytest.mark.skipif(bundled_cli_path() is None, reason="claude-agent-sdk wheel without the bundled CLI")]

DESCRIPTION = "the checkout total is wrong: add() subtracts"


@pytest.fixture
async def model() -> AsyncIterator[ScriptedModel]:
    server = ScriptedModel()
    await server.start()
    yield server
    await server.stop()


def use_real_claude(world: FaultWorld, model: ScriptedModel) -> None:
    world.bot.env.pop("CLAUDE_CLI_PATH")
    world.bot.env.update({"ANTHROPIC_BASE_URL": model.base_url, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-secret"})
    world.watch.marker = b"_bundled/claude"


class ConversationScript:
    """The model's replies, chosen from the conversation so far (not by order): the CLI orphaned by the kill
    keeps talking to the model until the new bot reaps it, and must not use up the resumed session's replies.
    Reproduce, then read, edit, and report once the file is fixed on disk. Stands in for ``ScriptedModel.replies``
    (the server appends each request to ``agent_requests`` before it takes a reply)."""

    def __init__(self, model: ScriptedModel, calc: Path) -> None:
        self.model, self.calc = model, calc

    def __bool__(self) -> bool:
        return True

    def popleft(self) -> Reply:
        if "return a + b" in self.calc.read_text():
            return text(FINAL)
        last = _last_tool_result(self.model.agent_requests[-1])
        if last == "Read":
            return tool("Edit", {"file_path": str(self.calc), "old_string": "return a - b",
                                 "new_string": "return a + b"})
        if last == "Bash":
            return tool("Read", {"file_path": str(self.calc)})
        return tool("Bash", {"command": REPRO, "description": "Reproduce the bug"})


def _last_tool_result(body: dict[str, Any]) -> str | None:
    """The tool whose successful result ends the conversation, if one does."""
    names = {block["id"]: block["name"] for message in body["messages"] if message["role"] == "assistant"
             for block in _blocks(message) if block.get("type") == "tool_use"}
    results = [b for b in _blocks(body["messages"][-1]) if b.get("type") == "tool_result" and not b.get("is_error")]
    return names.get(results[-1]["tool_use_id"]) if results else None


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


async def test_the_real_claude_resumes_its_session_after_a_kill(world: FaultWorld, model: ScriptedModel) -> None:
    use_real_claude(world, model)
    model.replies = ConversationScript(model, world.state / "worktrees" / "shop" / "HF-1" / "calc.py")
    people = OnCall(world.api)
    await world.bot.start()
    await people.file(DESCRIPTION)
    await eventually(people, lambda: bool(people.approvals()), "no approval card", timeout=90)
    await asyncio.sleep(0.3)  # the card's message id is recorded (a kill within those ms posts it again)
    world.bot.kill("approval requested")
    await world.bot.start()

    def resumed() -> bool:
        return any(RESUME_PROMPT in json.dumps(r["messages"]) and DESCRIPTION in json.dumps(r["messages"])
                   for r in model.agent_requests)  # the old conversation, then "continue"

    await eventually(people, resumed, "the session was not resumed", timeout=90)
    await people.carry_on(lambda: people.shows("✅ shipped"), timeout=110)
    await assert_flow_complete(world, people, description=DESCRIPTION)
    (shown,) = world.bot.cli("list")
    assert [a["kind"] for a in shown["approvals"]] == ["command", "ship"]  # the repeated request was bound to
    assert len(people.approvals()) == 1  # the old, still pending approval: not asked again, no second card
