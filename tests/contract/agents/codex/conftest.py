"""Fixtures for driving the real codex binary against the scripted model server in a real git worktree."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from adapters.agents.codex import CodexRunner
from bot.domain.agent import AgentEvent, AgentRunSpec, Permission, PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.domain.values import AgentKind, Mode

from .model_server import ScriptedModelServer

BUGGY_CALC = "def add(a, b):\n    return a - b\n"
FIXED_CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
FIX_PATCH = (
    "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n-    return a - b\n+    return a + b\n"
    "*** End Patch\n"
)


def _codex_binary() -> str:
    try:
        import codex_cli_bin
    except ImportError:
        pytest.skip("codex binary not installed: pip install openai-codex-cli-bin (the 'codex' extra)")
    path = str(codex_cli_bin.bundled_codex_path())
    if not os.access(path, os.X_OK):
        pytest.skip("openai-codex-cli-bin has no codex binary for this platform")
    return path


@pytest.fixture
def codex_cli() -> str:
    return _codex_binary()


@pytest.fixture
async def model() -> AsyncIterator[ScriptedModelServer]:
    server = ScriptedModelServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def agent_home(tmp_path: Path, model: ScriptedModelServer) -> dict[str, str]:
    """CODEX_HOME with a config naming the scripted server as the model provider, and an isolated HOME."""
    home = tmp_path / "home"
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True)
    (codex_home / "config.toml").write_text(
        'model = "gpt-5.5"\n'
        'model_provider = "scripted"\n'
        "[model_providers.scripted]\n"
        'name = "scripted"\n'
        f'base_url = "{model.base_url}"\n'
        'wire_api = "responses"\n'
        'env_key = "SCRIPTED_MODEL_KEY"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
    )
    return {"CODEX_HOME": str(codex_home), "HOME": str(home), "SCRIPTED_MODEL_KEY": "test-key"}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    """A tiny repository with a real bug (add() subtracts) and a failing test, checked out as a worktree."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "calc.py").write_text(BUGGY_CALC)
    (repo / "test_calc.py").write_text(TEST_CALC)
    _git("init", "-q", "-b", "main", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "init", cwd=repo)
    tree = tmp_path / "worktrees" / "HF-1"
    _git("worktree", "add", "-q", "-b", "hotfix/1-add", str(tree), cwd=repo)
    return tree


@pytest.fixture
def runner(codex_cli: str, agent_home: dict[str, str]) -> CodexRunner:
    return CodexRunner(cli_path=codex_cli, env=agent_home)


def run_spec(worktree: Path, prompt: str = "Fix add(); the test fails.", **overrides: object) -> AgentRunSpec:
    values: dict[str, object] = {
        "hotfix_id": 1,
        "agent": AgentKind.CODEX,
        "mode": Mode.PATCH,
        "worktree": str(worktree),
        "prompt": prompt,
        "instructions": "HOTFIX RULES: make the smallest fix.",
    }
    values.update(overrides)
    return AgentRunSpec(**values)  # type: ignore[arg-type]


@dataclass
class ScriptedSink:
    """An AgentEventSink that records everything and answers permission requests from a script.

    ``answers`` are used in order (ALLOW when it runs out). ``hold`` makes request_permission wait until it
    is set, like a person who has not pressed a button yet.
    """

    answers: list[Permission] = field(default_factory=list)
    hold: asyncio.Event | None = None
    events: list[AgentEvent] = field(default_factory=list)
    requests: list[ToolRequest] = field(default_factory=list)
    asked: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)

    async def request_permission(self, request: ToolRequest) -> Permission:
        self.requests.append(request)
        self.asked.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.answers:
            return self.answers.pop(0)
        return Permission(behavior=PermissionBehavior.ALLOW)

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def of_kind(self, kind: str) -> list[AgentEvent]:
        return [event for event in self.events if event.kind == kind]


ALLOW = Permission(behavior=PermissionBehavior.ALLOW)
STOP = Permission(behavior=PermissionBehavior.STOP, message="stopped from chat")


def deny(message: str) -> Permission:
    return Permission(behavior=PermissionBehavior.DENY, message=message)
