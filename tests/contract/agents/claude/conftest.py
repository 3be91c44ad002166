"""Fixtures for driving the real Claude Code CLI (bundled with claude-agent-sdk) against a scripted model.

``model`` is the scripted Anthropic API, ``repo`` a tiny git repository with a real bug (``add`` subtracts)
and a failing check, ``runner`` a ``ClaudeCodeRunner`` pointed at the model with an isolated ``HOME``, and
``make_spec`` builds run specs (the recording sink lives in ``claude_runner_support``).
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from claude_model_server import ScriptedModel
from claude_runner_support import agent_env

from adapters.agents.claude.runner import ClaudeCodeRunner, bundled_cli_path
from bot.domain.agent import AgentRunSpec
from bot.domain.values import AgentKind, Mode

BUGGY_CALC = "def add(a, b):\n    return a - b\n"
CHECK = "from calc import add\n\nassert add(2, 3) == 5, 'add is wrong'\nprint('check passed')\n"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if bundled_cli_path() is None:
        skip = pytest.mark.skip(reason="claude-agent-sdk wheel without the bundled claude CLI")
        for item in items:
            if "agent" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
async def model() -> AsyncIterator[ScriptedModel]:
    server = ScriptedModel()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    worktree = tmp_path / "shop"
    worktree.mkdir()
    (worktree / "calc.py").write_text(BUGGY_CALC)
    (worktree / "check_calc.py").write_text(CHECK)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=worktree, check=True)
    subprocess.run([*git, "add", "."], cwd=worktree, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "buggy add"], cwd=worktree, check=True)
    return worktree


@pytest.fixture
def agent_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def runner(model: ScriptedModel, agent_home: Path) -> ClaudeCodeRunner:
    return ClaudeCodeRunner(env=agent_env(model, agent_home))


@pytest.fixture
def make_spec(repo: Path) -> Callable[..., AgentRunSpec]:
    def make(prompt: str = "Fix add() so check_calc.py passes.", **overrides: object) -> AgentRunSpec:
        fields: dict[str, object] = {
            "hotfix_id": 7, "agent": AgentKind.CLAUDE, "mode": Mode.PATCH, "worktree": str(repo),
            "prompt": prompt, "instructions": "Make the smallest fix.", "idle_timeout": timedelta(minutes=2),
        }
        fields.update(overrides)
        return AgentRunSpec(**fields)  # type: ignore[arg-type]

    return make
