"""The real core for benchmarks: ``build_core`` with SQLite (or in-memory) storage and fakes for git, agents,
verification, clock and timers, plus the agent scripts and notifiers the benchmarks share."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.bootstrap import Core, build_core
from bot.domain.agent import AgentEvent, AgentRunSpec
from bot.domain.config import BotConfig, RepoConfig
from bot.domain.people import People
from bot.domain.tool import ToolRequest
from bot.domain.values import AgentKind, ConversationRef, MessageRef
from bot.ports import AgentRunner, Notifier
from bot.render.card import Card
from bot.services.commands import FireDeadline
from tests.fakes.agent import FakeAgentRunner
from tests.fakes.clock import FakeClock
from tests.fakes.scheduler import FakeScheduler
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.verifier import FakeVerifier
from tests.fakes.workspace import FakeWorkspace

__all__ = [
    "FIX",
    "REPO_PATH",
    "BenchCore",
    "ForgetfulWorkspace",
    "NullNotifier",
    "edit_and_finish",
    "open_core",
    "sqlite_storage",
]

REPO_PATH = "/srv/shop"
FIX = "shop/webhook.py"
FIXED = "def handle(body):\n    if not body:\n        return 400\n    return 200\n"
BASE_FILES = {FIX: "def handle(body):\n    return 200\n", ".hotfix.toml": 'test_command = "pytest -q"\n'}


class ForgetfulWorkspace(FakeWorkspace):
    """A FakeWorkspace that does not keep its own records (commits, worktrees) forever, so a long benchmark
    measures the bot's memory rather than the fake's."""

    async def commit(self, *, worktree: str, expected_sha256: str, base_sha: str, message: str) -> str:
        sha = await super().commit(worktree=worktree, expected_sha256=expected_sha256, base_sha=base_sha,
                                   message=message)
        self.commits.clear()
        self.created.clear()
        return sha


def edit_and_finish(workspace: FakeWorkspace) -> Callable[[ToolRequest, AgentRunSpec], None]:
    """``on_allow`` for FakeAgentRunner: an allowed Edit writes the fix into the worktree."""

    def apply(request: ToolRequest, spec: AgentRunSpec) -> None:
        for path in request.paths:
            workspace.write(spec.worktree, path, FIXED)

    return apply


EDIT = ToolRequest(kind="write", tool="Edit", paths=(FIX,), raw={"file_path": FIX})
FIX_SCRIPT = [EDIT, AgentEvent(kind="files_changed", paths=(FIX,))]


class LoopingAgent(FakeAgentRunner):
    """A FakeAgentRunner that plays ``script`` for every run and keeps no records."""

    def __init__(self, script: list[Any]) -> None:
        super().__init__()
        self._script = script

    async def run(self, spec: AgentRunSpec, sink: Any) -> Any:
        self.scripts = [list(self._script)]
        try:
            return await super().run(spec, sink)
        finally:
            self.specs.clear()
            self.answers.clear()


class NullNotifier:
    """A Notifier that delivers nowhere (counts what it was given)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.posts = 0
        self.edits = 0
        self.replies = 0

    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None
                   ) -> MessageRef:
        self.posts += 1
        return MessageRef(conversation=conversation, key=str(next(self._ids)), thread=thread.key if thread else None)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        self.edits += 1

    async def reply(self, conversation: ConversationRef, text: str, *, thread: MessageRef | None = None,
                    ephemeral_to: str | None = None) -> None:
        self.replies += 1

    async def upload(self, conversation: ConversationRef, filename: str, content: bytes, *,
                     thread: MessageRef | None = None, comment: str = "") -> None:
        return None


@dataclass
class BenchCore:
    core: Core
    workspace: Any
    engine: Any = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    notifiers: dict[str, Notifier] = field(default_factory=dict)

    async def close(self, *, drain: float = 10.0) -> None:
        """Stop like ``Core.stop`` but give pending card deliveries at most ``drain`` seconds (a benchmark
        that leaves a throttled backlog behind should not wait for it)."""
        await self.core.runs.shutdown()
        try:
            await asyncio.wait_for(self.core.bus.drain(), timeout=drain)
        except TimeoutError:
            pass
        await self.core.bus.stop()
        if self.engine is not None:
            self.engine.dispose()
        if self.tmp is not None:
            self.tmp.cleanup()


def sqlite_storage(where: str | None = None) -> tuple[Any, Any, tempfile.TemporaryDirectory[str]]:
    """(engine, unit-of-work factory, temporary directory) for a migrated SQLite database in a temporary
    directory under ``where`` (default: the system's temporary directory, on disk)."""
    from storage.engine import make_engine, migrate
    from storage.uow import SqlUnitOfWorkFactory

    tmp = tempfile.TemporaryDirectory(prefix="hotfix-bench-", dir=where)
    engine = make_engine(f"sqlite:///{Path(tmp.name) / 'hotfix.db'}")
    migrate(engine)
    return engine, SqlUnitOfWorkFactory(engine), tmp


def people(requesters: Iterable[str], approvers: Iterable[str]) -> People:
    approvers = frozenset(approvers)
    return People(requesters=frozenset(requesters), approvers=approvers, escalation=frozenset(),
                  triage_owner=min(approvers))


async def open_core(*, people: People, channels: tuple[str, ...], notifiers: Mapping[str, Notifier],
                    runner: AgentRunner | None = None, sqlite: bool = True, workspace: Any = None,
                    repo_path: str = REPO_PATH, state_dir: str = "/state", max_concurrent_runs: int = 2,
                    verifier: Any = None, database_dir: str | None = None) -> BenchCore:
    """Build and start the real core (``build_core``); storage is SQLite in a temporary directory unless
    ``sqlite`` is False (the in-memory fake). ``workspace`` defaults to a FakeWorkspace of ``BASE_FILES``."""
    workspace = workspace or ForgetfulWorkspace({REPO_PATH: BASE_FILES})
    engine = tmp = None
    if sqlite:
        engine, uow, tmp = sqlite_storage(database_dir)
    else:
        uow = FakeUnitOfWorkFactory()
    config = BotConfig(repos=(RepoConfig(name="shop", path=repo_path, channels=channels),), people=people,
                       state_dir=state_dir, max_concurrent_runs=max_concurrent_runs)
    scheduler = FakeScheduler()
    agent = runner or LoopingAgent(FIX_SCRIPT)
    if isinstance(agent, FakeAgentRunner) and agent.on_allow is None and isinstance(workspace, FakeWorkspace):
        agent.on_allow = edit_and_finish(workspace)
    core = build_core(config=config, uow=uow, clock=FakeClock(), workspace=workspace,
                      verifier=verifier or FakeVerifier(),
                      runners={AgentKind.CLAUDE: agent}, scheduler=scheduler)
    scheduler.fire = lambda key: core.bus.handle(FireDeadline(actor="bot", conversation=ConversationRef(
        platform="bench", key="timers"), key=key))
    for platform, notifier in notifiers.items():
        core.router.register(platform, notifier)
    await core.start()
    return BenchCore(core=core, workspace=workspace, engine=engine, tmp=tmp, notifiers=dict(notifiers))
