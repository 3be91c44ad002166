"""The real Claude Code CLI, driven by ClaudeCodeRunner against a scripted model, in a real git repo."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from claude_model_server import ScriptedModel, stall, text, tool, unauthorized
from conftest import ALLOW, BUGGY_CALC, RecordingSink, own_descendants

from adapters.agents.claude.process import is_alive
from adapters.agents.claude.runner import ClaudeCodeRunner
from bot.domain.agent import AgentRunSpec, Permission, PermissionBehavior

pytestmark = pytest.mark.agent

DENY = Permission(behavior=PermissionBehavior.DENY, message="policy: writing files outside the fix is denied")
STOP = Permission(behavior=PermissionBehavior.STOP, message="Stopped from chat")
FIXED_CALC = "def add(a, b):\n    return a + b\n"

SpecFactory = Callable[..., AgentRunSpec]


async def test_edit_lands_in_worktree_and_is_reported(
    model: ScriptedModel, runner: ClaudeCodeRunner, repo: Path, make_spec: SpecFactory
) -> None:
    model.script(
        tool("Read", {"file_path": str(repo / "calc.py")}, say="Let me look at calc.py."),
        tool("Edit", {"file_path": str(repo / "calc.py"), "old_string": "return a - b",
                      "new_string": "return a + b"}),
        text("Fixed add(). Verify: run python check_calc.py"),
    )
    sink = RecordingSink()
    outcome = await runner.run(make_spec(), sink)

    assert outcome.ok and outcome.kind == "completed"
    assert (repo / "calc.py").read_text() == FIXED_CALC
    assert [request.tool for request in sink.requests] == ["Edit"]
    assert sink.requests[0].kind == "write" and sink.requests[0].paths == (str(repo / "calc.py"),)
    assert sink.of_kind("files_changed")[0].paths == (str(repo / "calc.py"),)
    assert sink.kinds()[0] == "started" and sink.kinds()[-1] == "finished"
    assert "Let me look at calc.py." in [event.text for event in sink.of_kind("said")]
    assert outcome.final_text == "Fixed add(). Verify: run python check_calc.py"
    assert outcome.session_id and outcome.session_id == sink.events[0].session_id
    assert outcome.cost_usd is not None and sink.of_kind("cost")[-1].cost_usd == outcome.cost_usd
