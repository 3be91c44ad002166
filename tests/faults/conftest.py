"""The real bot as a subprocess (``python -m bot run``) against a fake Telegram Bot API, with a fake ``claude``.

``world`` gives a test: a sample repository ``shop`` with a real bug (``add`` subtracts; its test fails), a
``hotfix.toml`` that names it and people with Telegram ids, the fake Bot API server (tests/contract/telegram)
on 127.0.0.1:0, and a :class:`BotProcess` to start, SIGKILL and restart the bot on one state directory. A
:class:`AgentWatch` thread polls /proc for agent processes whose cwd is inside a hotfix worktree.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TELEGRAM_FAKE = Path(__file__).resolve().parents[1] / "contract" / "telegram"
if str(TELEGRAM_FAKE) not in sys.path:
    sys.path.insert(0, str(TELEGRAM_FAKE))

from tg_fake_api import FakeBotApi  # noqa: E402

HERE = Path(__file__).resolve().parent
FAKE_CLAUDE = HERE / "fake_claude.py"
PROJECT = HERE.parents[1]
# the bot under test: this checkout, or another one (e.g. an older commit, to see these tests fail on it)
BOT_SOURCE = os.environ.get("HOTFIX_FAULTS_BOT_SOURCE", str(PROJECT))
GROUP = -1001234567890
ALICE = {"id": 111, "is_bot": False, "first_name": "Alice", "username": "alice"}  # requester
BOB = {"id": 222, "is_bot": False, "first_name": "Bob", "username": "bob"}  # approver
CAROL = {"id": 333, "is_bot": False, "first_name": "Carol", "username": "carol"}  # on-call, triage owner

BUGGY_CALC = 'def add(a, b):\n    """The sum of a and b."""\n    return a - b\n'
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
HOTFIX_TOML = f"""\
[[repo]]
name = "shop"
path = "shop"
base_branch = "main"
agent = "claude"
channels = ["telegram:{GROUP}"]

[people]
requesters = ["telegram:111"]
approvers = ["telegram:222"]
escalation = ["telegram:333"]
triage_owner = "telegram:333"
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_shop(root: Path) -> Path:
    repo = root / "shop"
    repo.mkdir(parents=True)
    files = {"calc.py": BUGGY_CALC, "test_calc.py": TEST_CALC, ".gitignore": "__pycache__/\n.pytest_cache/\n",
             ".hotfix.toml": 'test_command = "python -m pytest -q -p no:cacheprovider"\n'}
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=Shop Dev", "-c", "user.email=dev@shop.invalid", "commit", "-q", "-m", "add()")
    return repo


class AgentWatch:
    """Polls /proc: every agent process (``marker`` in its command line) whose cwd is inside ``root``, and the
    most that were alive at once for one worktree."""

    def __init__(self, root: Path, marker: bytes = b"fake_claude") -> None:
        self.root = str(root)
        self.marker = marker  # in the command line of an agent process
        self.most_at_once = 0
        self.seen: set[int] = set()
        self.overlaps: list[tuple[str, list[int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def agents(self) -> dict[str, list[int]]:
        """Worktree -> the agents in it: processes whose parent is not itself one of them (an agent's own
        children, such as a forked helper of the CLI, are part of that agent)."""
        found: dict[int, tuple[str, int]] = {}  # pid -> (worktree, parent pid)
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cwd = os.readlink(f"/proc/{entry.name}/cwd")
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                stat = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] == "Z" or self.marker not in cmdline or not cwd.startswith(self.root + os.sep):
                continue
            worktree = os.sep.join(cwd[len(self.root) + 1:].split(os.sep)[:2])  # <repo>/<hotfix dir>
            found[int(entry.name)] = (worktree, int(stat[1]))
        by_worktree: dict[str, list[int]] = {}
        for pid, (worktree, parent) in found.items():
            if parent not in found:
                by_worktree.setdefault(worktree, []).append(pid)
        return by_worktree

    def _loop(self) -> None:
        while not self._stop.is_set():
            for worktree, pids in self.agents().items():
                self.seen.update(pids)
                self.most_at_once = max(self.most_at_once, len(pids))
                if len(pids) > 1:
                    self.overlaps.append((worktree, pids))
            time.sleep(0.01)


@dataclass
class BotProcess:
    """``python -m bot run`` on one state directory; started, SIGKILLed and restarted by the test."""

    env: dict[str, str]
    cwd: Path
    log: Path
    api: FakeBotApi
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: list[str] = field(default_factory=list)

    async def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        seen = len(self.api.calls_to("getUpdates"))
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts + 1}\n".encode())
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.cwd, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + 60
        while len(self.api.calls_to("getUpdates")) <= seen:  # a call is recorded when it arrives
            assert not self._died(), f"the bot exited at start:\n{self.tail()}"
            assert time.monotonic() < deadline, f"the bot did not start polling:\n{self.tail()}"
            await asyncio.sleep(0.05)

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def kill(self, where: str) -> None:
        """SIGKILL the bot process only (its agent child is left to fend for itself, as after a crash)."""
        assert self.process is not None
        self.kills.append(where)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def end(self) -> None:
        """At the end of a test: the bot goes (a graceful stop would sit out a long poll)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def cli(self, *args: str) -> Any:
        """``hotfix-bot <args> --json`` on the same state directory, parsed."""
        done = subprocess.run([sys.executable, "-m", "bot", *args, "--json"], cwd=self.cwd, env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@dataclass
class FaultWorld:
    api: FakeBotApi
    bot: BotProcess
    shop: Path
    state: Path
    watch: AgentWatch


def bot_env(tmp_path: Path, api: FakeBotApi, state: Path, config: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    wrapper = tmp_path / "bin" / "claude"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_CLAUDE}" "$@"\n')
    wrapper.chmod(0o755)
    keep = ("LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "PYTHONPATH": BOT_SOURCE,
        "NO_PROXY": "127.0.0.1,localhost",
        "HOTFIX_STATE_DIR": str(state),
        "HOTFIX_CONFIG": str(config),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "CLAUDE_CLI_PATH": str(wrapper),
        "FAKE_CLAUDE_PACE": "0.2",
        "FAKE_CLAUDE_LINGER": "12",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


WorldFactory = Callable[[str], Awaitable[FaultWorld]]


@pytest.fixture
async def make_world(tmp_path: Path) -> AsyncIterator[WorldFactory]:
    """``await make_world(name)``: one more independent world (own fake API, repository and state dir)."""
    made: list[tuple[FaultWorld, Path]] = []

    async def make(name: str) -> FaultWorld:
        root = tmp_path / name
        root.mkdir()
        api = FakeBotApi()
        await api.start()
        shop = make_shop(root / "config")
        config = root / "config" / "hotfix.toml"
        config.write_text(HOTFIX_TOML)
        state = root / "state"
        bot = BotProcess(env=bot_env(root, api, state, config), cwd=root, log=root / "bot.log", api=api)
        watch = AgentWatch(state / "worktrees")
        watch.start()
        world = FaultWorld(api=api, bot=bot, shop=shop, state=state, watch=watch)
        made.append((world, root))
        return world

    try:
        yield make
    finally:
        for world, root in made:
            world.bot.end()
            world.watch.stop()
            _write_wire_log(world.api, root / "wire.log")
            _kill_leftover_agents(world.watch)
        # side by side: each close waits for the dead bots' long polls to time out
        await asyncio.gather(*(world.api.close() for world, _root in made))


@pytest.fixture
async def world(make_world: WorldFactory) -> FaultWorld:
    return await make_world("bot")


def _write_wire_log(api: FakeBotApi, path: Path) -> None:
    """Every Bot API call the fake saw (for reading a failure), getUpdates left out."""
    start = api.calls[0].at if api.calls else 0.0
    with path.open("w") as out:
        for call in api.calls:
            if call.method == "getUpdates":
                out.write(f"{call.at - start:8.2f} getUpdates {call.params}\n")
            else:
                text = str(call.params.get("text", ""))[:90].replace("\n", " | ")
                out.write(f"{call.at - start:8.2f} {call.method} {call.error or 'ok'} {text}\n")


def _kill_leftover_agents(watch: AgentWatch) -> None:
    for pids in watch.agents().values():
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
