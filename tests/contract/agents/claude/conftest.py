"""Fixtures for driving the real Claude Code CLI (bundled with claude-agent-sdk) against a scripted model.

``model`` is the scripted Anthropic API, ``repo`` a tiny git repository with a real bug (``add`` subtracts)
and a failing check, ``runner`` a ``ClaudeCodeRunner`` pointed at the model with an isolated ``HOME``, and
``RecordingSink`` the core's side: it records events and answers permission requests from a script.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from claude_model_server import ScriptedModel

from adapters.agents.claude.process import descendants
from adapters.agents.claude.runner import ClaudeCodeRunner, bundled_cli_path
from bot.domain.agent import AgentEvent, AgentRunSpec, Permission, PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.domain.values import AgentKind, Mode

ALLOW = Permission(behavior=PermissionBehavior.ALLOW)

BUGGY_CALC = "def add(a, b):\n    return a - b\n"
CHECK = "from calc import add\n\nassert add(2, 3) == 5, 'add is wrong'\nprint('check passed')\n"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if bundled_cli_path() is None:
        skip = pytest.mark.skip(reason="claude-agent-sdk wheel without the bundled claude CLI")
        for item in items:
            if "agent" in item.keywords:
                item.add_marker(skip)


class RecordingSink:
    """The core's side of a run. ``answers`` are handed out in order (then ALLOW); with ``gate`` set, each
    request waits for it. ``asked`` is set when a request arrives."""

    def __init__(self, *answers: Permission, gate: asyncio.Event | None = None) -> None:
        self.events: list[AgentEvent] = []
        self.requests: list[ToolRequest] = []
        self.answers: deque[Permission] = deque(answers)
        self.gate = gate
        self.asked = asyncio.Event()
        self.cancelled_while_waiting = False
        self.processes: set[int] = set()  # every process seen below this test while events arrived

    async def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)
        self.processes |= own_descendants()

    async def request_permission(self, request: ToolRequest) -> Permission:
        self.requests.append(request)
        self.processes |= own_descendants()
        self.asked.set()
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled_while_waiting = True
                raise
        return self.answers.popleft() if self.answers else ALLOW

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def of_kind(self, kind: str) -> list[AgentEvent]:
        return [event for event in self.events if event.kind == kind]


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


def agent_env(model: ScriptedModel, home: Path) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": model.base_url, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-secret",
            "HOME": str(home)}


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


def own_descendants() -> set[int]:
    """Every live process below this test process (the CLI and whatever it started)."""
    return set(descendants(os.getpid()))
