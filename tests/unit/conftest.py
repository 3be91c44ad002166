"""Fixtures that boot the whole core with in-memory fakes (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.bootstrap import Core, build_core
from bot.domain.config import BotConfig, RepoConfig
from bot.domain.people import People
from bot.domain.values import AgentKind, ConversationRef
from bot.services.commands import Command, FireDeadline, PressButton, Reply
from bot.services.grammar import parse
from tests.fakes.agent import FakeAgentRunner
from tests.fakes.clock import FakeClock
from tests.fakes.notifier import FakeNotifier
from tests.fakes.scheduler import FakeScheduler
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.verifier import FakeVerifier
from tests.fakes.workspace import FakeWorkspace

REPO_PATH = "/srv/shop"
CHAT = ConversationRef(platform="telegram", key="-100")
PEOPLE = People(
    requesters=frozenset({"telegram:111"}),
    approvers=frozenset({"telegram:222"}),
    escalation=frozenset({"telegram:333", "telegram:111"}),
    triage_owner="telegram:444",
)
BASE_FILES = {
    "shop/webhook.py": "def handle(body):\n    return 200\n",
    ".hotfix.toml": 'test_command = "pytest -q"\nmax_files = 3\n',
    "package.json": "{}\n",
}


@dataclass
class World:
    core: Core
    notifier: FakeNotifier
    agent: FakeAgentRunner
    workspace: FakeWorkspace
    verifier: FakeVerifier
    clock: FakeClock
    uow: FakeUnitOfWorkFactory
    scheduler: FakeScheduler

    async def advance(self, minutes: float) -> None:
        """Move the clock and fire whatever timers became due."""
        from datetime import timedelta

        self.clock.advance(timedelta(minutes=minutes))
        await self.scheduler.run_due(self.clock.now())
        await self.settle()

    async def say(self, text: str, actor: str = "telegram:111") -> Reply:
        reply = await self.send(parse(text, actor=actor, conversation=CHAT))
        return reply

    async def send(self, command: Command) -> Reply:
        reply = await self.core.bus.handle(command)
        await self.settle()
        return reply

    async def press(self, label: str, actor: str, *, card_prefix: str | None = None) -> Reply:
        cards = [p.card for p in self.notifier.messages.values()
                 if card_prefix is None or p.card.key.startswith(card_prefix)]
        for card in reversed(cards):
            for b in card.buttons:
                if b.label == label:
                    return await self.send(PressButton(actor=actor, conversation=CHAT, action=b.action,
                                                       token=b.token))
        raise AssertionError(f"no live {label!r} button")

    async def settle(self) -> None:
        """Let background work (events, agent tasks) run until nothing moves."""
        import asyncio

        for _ in range(200):
            await self.core.bus.drain()
            busy = [t for t in self.core.runs.tasks.values() if not t.done()]
            waiting = any(not f.done() for _n, f in self.core.runs.waiters.values())
            await asyncio.sleep(0)
            if self.core.bus._queue.empty() and (not busy or waiting):
                await asyncio.sleep(0)
                if self.core.bus._queue.empty():
                    return

    def hotfix(self, number: int = 1):  # type: ignore[no-untyped-def]
        return self.core.bus.read(number)


@pytest.fixture
async def world() -> World:
    notifier = FakeNotifier()
    agent = FakeAgentRunner()
    workspace = FakeWorkspace({REPO_PATH: BASE_FILES})
    verifier = FakeVerifier()
    clock = FakeClock()
    uow = FakeUnitOfWorkFactory()
    config = BotConfig(repos=(RepoConfig(name="shop", path=REPO_PATH, channels=(str(CHAT),)),), people=PEOPLE,
                       state_dir="/state")
    scheduler = FakeScheduler()
    core = build_core(config=config, uow=uow, clock=clock, workspace=workspace, verifier=verifier,
                      runners={AgentKind.CLAUDE: agent}, scheduler=scheduler)
    scheduler.fire = lambda key: core.bus.handle(FireDeadline(actor="bot", conversation=CHAT, key=key))
    core.router.register("telegram", notifier)
    await core.start()
    yield World(core=core, notifier=notifier, agent=agent, workspace=workspace, verifier=verifier, clock=clock,
                uow=uow, scheduler=scheduler)
    await core.stop()
