"""The whole bot, end to end: the console chat, SQLite storage, git worktrees, the bot's own verification and
the REAL agent binaries (Claude Code bundled with claude-agent-sdk, codex from openai-codex-cli-bin), each
driven by a scripted model server on 127.0.0.1:0.

``bot`` boots ``build_app`` (the composition root) from a ``hotfix.toml`` next to a sample repository with a
real bug, and lets a test type into the console as a person would (``ConsoleAdapter.handle_line``; the stdin
loop itself is not started). ``AgentDriver`` hides how each agent's model is scripted, so one test body drives
both agents.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.agents.process import descendants
from adapters.console.app import ConsoleAdapter
from bot.bootstrap import App, build_app
from bot.config import Settings, load_bot_config
from bot.domain.config import BotConfig
from bot.domain.hotfix import Hotfix
from bot.domain.values import AgentKind

BUGGY_CALC = 'def add(a, b):\n    """The sum of a and b."""\n    return a - b\n'
FIXED_CALC = 'def add(a, b):\n    """The sum of a and b."""\n    return a + b\n'
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
TEST_COMMAND = "python -m pytest -q"
REPRO = "python3 -c 'from calc import add; print(add(2, 3))'"
FINAL_REPORT = "Fixed add(): it subtracted.\nManual verification: run `python -m pytest -q` and check add(2, 3) == 5."
# the same options the git adapter diffs with, so a commit's diff hashes like the approved one
GIT_DIFF = ("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index", "--find-renames",
            "--src-prefix=a/", "--dst-prefix=b/", "--unified=3", "--inter-hunk-context=0", "--no-relative",
            "--diff-algorithm=myers", "--indent-heuristic", "--ignore-submodules=none")
HOTFIX_TOML = """\
max_concurrent_runs = 1

[[repo]]
name = "shop"
path = "shop"
base_branch = "main"
channels = ["console:local"]

[people]
requesters = ["console:operator"]
approvers = ["console:operator"]
escalation = ["console:oncall"]
triage_owner = "console:oncall"
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return done.stdout.decode()


# ----- the sample repository and the bot's configuration


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """``shop``: add() subtracts, its test fails; the policy file names the test command."""
    repo = tmp_path / "config" / "shop"
    repo.mkdir(parents=True)
    files = {
        "calc.py": BUGGY_CALC,
        "test_calc.py": TEST_CALC,
        ".hotfix.toml": f'test_command = "{TEST_COMMAND}"\nmax_files = 5\n',
        ".gitignore": "__pycache__/\n",
        "requirements.txt": "requests==2.31.0\n",
    }
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=Shop Dev", "-c", "user.email=dev@shop.invalid", "commit", "-q", "-m", "add()")
    return repo


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    """What the configured checkout looked like before the bot ran (it must look the same after)."""

    head: str
    branch: str
    status: str
    buggy: str  # the file the hotfix changes, as the checkout has it

    @classmethod
    def of(cls, repo: Path, buggy: str = "calc.py") -> Checkout:
        return cls(head=git(repo, "rev-parse", "HEAD").strip(), branch=git(repo, "symbolic-ref", "HEAD").strip(),
                   status=git(repo, "status", "--porcelain", "--untracked-files=all"),
                   buggy=(repo / buggy).read_text())


@pytest.fixture
def settings(tmp_path: Path, sample_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the CLI would read them from the environment; the virtualenv's python comes first on PATH
    (the bot's verification runs ``python -m pytest``), as for a person who activated it."""
    config = tmp_path / "config" / "hotfix.toml"
    config.write_text(HOTFIX_TOML)
    state = tmp_path / "state"
    env = {"HOTFIX_CONFIG": str(config), "HOTFIX_STATE_DIR": str(state),
           "HOTFIX_DATABASE_URL": f"sqlite:///{state / 'hotfix.db'}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PYTHONDONTWRITEBYTECODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.chdir(tmp_path)  # no stray .env from the project
    state.mkdir()
    return Settings()


# ----- scripted agents


class AgentDriver:
    """One real agent binary plus its scripted model. Steps are agent-neutral; each driver turns them into
    what its model API sends."""

    kind: AgentKind
    prefix: str  # what a person adds to /hotfix to pick this agent
    runner: Any

    def command(self, cmd: str) -> None:
        raise NotImplementedError

    def edit(self, worktree: Path, path: str, old: str, new: str) -> None:
        raise NotImplementedError

    def finish(self, text: str) -> None:
        raise NotImplementedError

    def was_told(self, text: str) -> bool:
        """Whether ``text`` reached the model in anything the agent sent (tool results, denials)."""
        raise NotImplementedError


class CodexDriver(AgentDriver):
    kind = AgentKind.CODEX
    prefix = "agent:codex "

    def __init__(self, model: Any, runner: Any) -> None:
        self.model, self.runner = model, runner

    def command(self, cmd: str) -> None:
        from tests.contract.agents.codex.model_server import exec_call

        self.model.script([exec_call(cmd)])

    def edit(self, worktree: Path, path: str, old: str, new: str) -> None:
        from tests.contract.agents.codex.model_server import patch_call

        removed = "".join(f"-{line}\n" for line in old.splitlines())
        added = "".join(f"+{line}\n" for line in new.splitlines())
        patch = f"*** Begin Patch\n*** Update File: {path}\n@@\n{removed}{added}*** End Patch\n"
        self.model.script([patch_call(patch)])

    def finish(self, text: str) -> None:
        from tests.contract.agents.codex.model_server import message

        self.model.script([message(text)])

    def was_told(self, text: str) -> bool:
        return any(text in json.dumps(body.get("input")) for body in self.model.requests)


class ClaudeDriver(AgentDriver):
    kind = AgentKind.CLAUDE
    prefix = ""  # the repository's default agent

    def __init__(self, model: Any, runner: Any) -> None:
        self.model, self.runner = model, runner

    def command(self, cmd: str) -> None:
        from tests.contract.agents.claude.claude_model_server import tool

        self.model.script(tool("Bash", {"command": cmd, "description": "Run a command"}))

    def edit(self, worktree: Path, path: str, old: str, new: str) -> None:
        from tests.contract.agents.claude.claude_model_server import tool

        file_path = str(worktree / path)  # Claude Code edits only files it has read
        self.model.script(tool("Read", {"file_path": file_path}),
                          tool("Edit", {"file_path": file_path, "old_string": old, "new_string": new}))

    def finish(self, text: str) -> None:
        from tests.contract.agents.claude.claude_model_server import text as say

        self.model.script(say(text))

    def was_told(self, text: str) -> bool:
        return any(text in json.dumps(body.get("messages")) for body in self.model.agent_requests)


async def _codex_driver(tmp_path: Path) -> AsyncIterator[AgentDriver]:
    try:
        import codex_cli_bin
    except ImportError:
        pytest.skip("codex binary not installed: pip install openai-codex-cli-bin (the 'codex' extra)")
    binary = str(codex_cli_bin.bundled_codex_path())
    if not os.access(binary, os.X_OK):
        pytest.skip("openai-codex-cli-bin has no codex binary for this platform")
    from adapters.agents.codex import CodexRunner
    from tests.contract.agents.codex.model_server import ScriptedModelServer

    model = ScriptedModelServer()
    await model.start()
    codex_home = tmp_path / "agent-home" / ".codex"
    codex_home.mkdir(parents=True)
    (codex_home / "config.toml").write_text(
        'model = "gpt-5.5"\nmodel_provider = "scripted"\n[model_providers.scripted]\nname = "scripted"\n'
        f'base_url = "{model.base_url}"\nwire_api = "responses"\nenv_key = "SCRIPTED_MODEL_KEY"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n")
    env = {"CODEX_HOME": str(codex_home), "HOME": str(codex_home.parent), "SCRIPTED_MODEL_KEY": "test-key"}
    try:
        yield CodexDriver(model, CodexRunner(cli_path=binary, env=env))
    finally:
        await model.stop()


async def _claude_driver(tmp_path: Path) -> AsyncIterator[AgentDriver]:
    from adapters.agents.claude.runner import ClaudeCodeRunner, bundled_cli_path

    if bundled_cli_path() is None:
        pytest.skip("claude-agent-sdk wheel without the bundled claude CLI")
    from tests.contract.agents.claude.claude_model_server import ScriptedModel

    model = ScriptedModel()
    await model.start()
    home = tmp_path / "agent-home"
    home.mkdir()
    env = {"ANTHROPIC_BASE_URL": model.base_url, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-secret", "HOME": str(home)}
    try:
        yield ClaudeDriver(model, ClaudeCodeRunner(env=env))
    finally:
        await model.stop()


@pytest.fixture(params=[AgentKind.CLAUDE, AgentKind.CODEX], ids=["claude", "codex"])
async def agent(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AgentDriver]:
    drivers = {AgentKind.CLAUDE: _claude_driver, AgentKind.CODEX: _codex_driver}
    async for driver in drivers[request.param](tmp_path):
        yield driver


# ----- the console, as a person sees it


class Console:
    """Everything the console wrote, and a way to wait until something shows up."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._grew = asyncio.Event()

    def write(self, text: str) -> None:
        self.blocks.append(text)
        self._grew.set()

    @property
    def text(self) -> str:
        return "\n".join(self.blocks)

    async def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 45) -> str:
        """The first block from index ``after`` on that matches the regex ``pattern``."""
        regex = re.compile(pattern)

        async def seen() -> str:
            while True:
                self._grew.clear()
                for block in self.blocks[after:]:
                    if regex.search(block):
                        return block
                await self._grew.wait()

        try:
            return await asyncio.wait_for(seen(), timeout)
        except TimeoutError:
            raise AssertionError(f"the console never showed /{pattern}/; it showed:\n{self.text[-4000:]}") from None


@dataclass(kw_only=True)
class Bot:
    app: App
    console: Console
    adapter: Any
    repo: Path
    worktree: Path  # where HF-1's worktree will be

    async def type(self, line: str) -> str:
        """Type one line as the person at the console; the bot's reply (the lines it wrote meanwhile)."""
        mark = len(self.console.blocks)
        assert await self.adapter.handle_line(line)
        return "\n".join(self.console.blocks[mark:])

    def button(self, card: str, label: str) -> str:
        """The number the console printed next to ``label`` on ``card`` (a person types that number)."""
        found = re.findall(rf"\[(\d+)\] {re.escape(label)}\b", card)
        assert found, f"no [n] {label} on:\n{card}"
        return found[-1]

    def hotfix(self, number: int = 1) -> Hotfix:
        return self.app.core.bus.read(number)

    def agent_processes(self) -> dict[int, str]:
        """Live processes below this test process, with their command lines."""
        out: dict[int, str] = {}
        for pid in descendants(os.getpid()):
            try:
                out[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
        return out


@contextlib.asynccontextmanager
async def booted(settings: Settings, config: BotConfig, agent: AgentDriver) -> AsyncIterator[Bot]:
    """``build_app`` as ``hotfix-bot console`` builds it, with the test's agent runner and console output."""
    console = Console()
    app = build_app(settings, config, console=True, runners={agent.kind: agent.runner}, write=console.write)
    # the console's stdin loop is left out: the test types through the same handle_line it calls
    (lifecycle,) = [a for a in app.adapters if isinstance(getattr(a, "adapter", None), ConsoleAdapter)]
    app.adapters.remove(lifecycle)
    adapter: ConsoleAdapter = lifecycle.adapter  # type: ignore[attr-defined]
    await app.start()
    (repo,) = config.repos
    worktree = Path(config.worktree_root(repo.name)) / "HF-1"
    try:
        yield Bot(app=app, console=console, adapter=adapter, repo=Path(repo.path), worktree=worktree)
    finally:
        await app.stop()
    for unsafe in ("Traceback", "sk-ant-test-not-a-secret", "SCRIPTED_MODEL_KEY", str(Path(config.state_dir))):
        assert unsafe not in console.text, f"a person saw {unsafe!r}"


@pytest.fixture
async def bot(settings: Settings, agent: AgentDriver) -> AsyncIterator[Bot]:
    """The bot configured by a hotfix.toml naming the sample repository."""
    async with booted(settings, load_bot_config(settings.hotfix_config, settings.state_dir), agent) as running:
        yield running


def wait_until(check: Callable[[], bool], *, timeout: float = 30) -> Any:
    """An awaitable that polls ``check`` (cheap, local state) until it holds, or fails after ``timeout``."""

    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.05)

    async def bounded() -> None:
        try:
            await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            raise AssertionError("gave up waiting") from None

    return bounded()
