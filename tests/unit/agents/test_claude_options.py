"""The SDK options the Claude runner builds for a run (no process is started)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from claude_agent_sdk import PermissionResultAllow, PermissionResultDeny, ToolPermissionContext

from adapters.agents.claude.runner import agent_options
from bot.domain.agent import AgentRunSpec
from bot.domain.values import AgentKind, Mode

SPEC = AgentRunSpec(
    hotfix_id=7, agent=AgentKind.CLAUDE, mode=Mode.PATCH, worktree="/srv/worktrees/hotfix-7", prompt="Fix add().",
    instructions="Make the smallest fix.", idle_timeout=timedelta(minutes=2), session_id="session-1",
)


async def _deny(
    tool_name: str, tool_input: dict[str, Any], context: ToolPermissionContext
) -> PermissionResultAllow | PermissionResultDeny:
    return PermissionResultDeny(message="no")


def _options() -> Any:
    return agent_options(SPEC, cli_path="/opt/claude", env={"HOME": "/home/bot"}, model="claude-test",
                         can_use_tool=_deny, stderr=lambda line: None)


def test_ask_user_question_is_disallowed() -> None:
    assert "AskUserQuestion" in _options().disallowed_tools


def test_no_other_tool_is_taken_away() -> None:
    assert _options().disallowed_tools == ["AskUserQuestion"]


def test_the_bots_policy_stays_the_only_one_that_allows_tools() -> None:
    options = _options()

    assert options.can_use_tool is _deny
    assert (options.permission_mode, options.setting_sources, options.strict_mcp_config) == ("default", [], True)
    assert options.allowed_tools == []


def test_the_run_is_bound_to_its_worktree_session_and_instructions() -> None:
    options = _options()

    assert (options.cwd, options.resume, options.model, options.cli_path) == (
        "/srv/worktrees/hotfix-7", "session-1", "claude-test", "/opt/claude")
    assert options.system_prompt == {"type": "preset", "preset": "claude_code", "append": "Make the smallest fix."}
    assert options.env == {"HOME": "/home/bot"}
