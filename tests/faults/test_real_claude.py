"""The same kill with the REAL Claude Code (bundled with claude-agent-sdk) against the scripted model server:
SIGKILL the bot while the agent waits for an approval; the new bot reaps the old CLI, resumes the session
(``--resume``: the model sees the earlier conversation and the bot's "continue" prompt), the agent's repeated
request binds to the still-pending approval, and the old Approve button finishes the flow."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

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

from claude_model_server import ScriptedModel, text, tool  # noqa: E402

pytestmark = [pytest.mark.agent,
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


async def test_the_real_claude_resumes_its_session_after_a_kill(world: FaultWorld, model: ScriptedModel) -> None:
    use_real_claude(world, model)
    calc = str(world.state / "worktrees" / "shop" / "HF-1" / "calc.py")
    repro = tool("Bash", {"command": REPRO, "description": "Reproduce the bug"})
    model.script(repro, repro,  # asked before the kill, and again by the resumed session
                 tool("Read", {"file_path": calc}),
                 tool("Edit", {"file_path": calc, "old_string": "return a - b", "new_string": "return a + b"}),
                 text(FINAL))
    people = OnCall(world.api)
    await world.bot.start()
    await people.file(DESCRIPTION)
    await eventually(people, lambda: bool(people.approvals()), "no approval card", timeout=90)
    world.bot.kill("approval requested")
    await world.bot.start()

    await eventually(people, lambda: len(model.agent_requests) >= 2, "the session was not resumed", timeout=90)
    resumed = json.dumps(model.agent_requests[1]["messages"])
    assert RESUME_PROMPT in resumed and DESCRIPTION in resumed  # the old conversation, then "continue"
    await people.carry_on(lambda: people.shows("✅ shipped"), timeout=110)
    assert len(people.approvals()) == 1  # the repeated request was bound to the old approval, not asked again
    await assert_flow_complete(world, people, description=DESCRIPTION)
