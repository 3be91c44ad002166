"""The real core (in-memory fakes for storage, git, agent, verifier) behind the real Slack adapter in HTTP mode:
a person files, follows the card, gets the full diff and ships, only through signed Slack requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from slack_fake_api import BOT_TOKEN, FakeSlackApi
from slack_requests import SIGNING_SECRET, SlackSender, block_actions

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from bot.bootstrap import Core, build_core
from bot.domain.agent import AgentEvent, AgentRunSpec
from bot.domain.config import BotConfig, RepoConfig
from bot.domain.people import People
from bot.domain.tool import ToolRequest
from bot.domain.values import AgentKind, State
from tests.fakes.agent import FakeAgentRunner
from tests.fakes.clock import FakeClock
from tests.fakes.scheduler import FakeScheduler
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.verifier import FakeVerifier
from tests.fakes.workspace import FakeWorkspace

REPO_PATH = "/srv/shop"
FIX = "shop/webhook.py"
FIXED = "def handle(body):\n    if not body:\n        return 400\n    return 200\n"
PEOPLE = People(
    requesters=frozenset({"slack:U111"}),
    approvers=frozenset({"slack:U222"}),
    escalation=frozenset({"slack:U333"}),
    triage_owner="slack:U222",
)


@dataclass
class SlackWorld:
    core: Core
    agent: FakeAgentRunner
    workspace: FakeWorkspace
    fake: FakeSlackApi
    sender: SlackSender

    def buttons(self, ts: str) -> dict[str, dict]:
        message = self.fake.messages[("C0OPS", ts)]
        return {e["text"]["text"]: e for b in message.blocks if b["type"] == "actions" for e in b["elements"]}

    def card_with_button(self, label: str) -> str:
        found = [m.ts for m in self.fake.channel_messages("C0OPS") if label in self.buttons(m.ts)]
        assert found, [m.text for m in self.fake.channel_messages("C0OPS")]
        return found[-1]

    async def press(self, ts: str, label: str, user: str) -> None:
        button = self.buttons(ts)[label]
        message = self.fake.messages[("C0OPS", ts)]
        payload = block_actions(
            value=button["value"],
            action_id=button["action_id"],
            user=user,
            message_ts=ts,
            thread_ts=message.thread_ts,
            response_url=self.fake.response_url(f"{label}-{user}"),
        )
        status, _, _ = await self.sender.interaction(payload)
        assert status == 200

    async def settle(self, adapter: SlackAdapter) -> None:
        for _ in range(50):
            await self.core.bus.drain()
            await asyncio.sleep(0.02)
        await adapter.notifier.drain()


@pytest.fixture
async def slack_world(fake_slack: FakeSlackApi) -> AsyncIterator[tuple[SlackWorld, SlackAdapter]]:
    workspace = FakeWorkspace({REPO_PATH: {FIX: "def handle(body):\n    return 200\n", ".hotfix.toml": ""}})
    agent = FakeAgentRunner()
    config = BotConfig(
        repos=(RepoConfig(name="shop", path=REPO_PATH, channels=("slack:C0OPS",)),),
        people=PEOPLE,
        state_dir="/state",
    )
    core = build_core(
        config=config,
        uow=FakeUnitOfWorkFactory(),
        clock=FakeClock(),
        workspace=workspace,
        verifier=FakeVerifier(),
        runners={AgentKind.CLAUDE: agent},
        scheduler=FakeScheduler(),  # no deadline fires in this flow
    )
    adapter = SlackAdapter(
        bot_token=BOT_TOKEN,
        sink=core.bus,
        signing_secret=SIGNING_SECRET,
        http_port=0,
        http_host="127.0.0.1",
        api_base_url=fake_slack.base_url,
    )
    core.router.register("slack", adapter.notifier)
    await core.start()
    await adapter.start()
    async with aiohttp.ClientSession() as session:
        sender = SlackSender(f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}", session)
        yield SlackWorld(core=core, agent=agent, workspace=workspace, fake=fake_slack, sender=sender), adapter
    await adapter.stop()
    await core.stop()


async def test_file_follow_get_the_diff_and_ship_from_slack(slack_world: tuple[SlackWorld, SlackAdapter]) -> None:
    world, adapter = slack_world

    def apply(request: ToolRequest, spec: AgentRunSpec) -> None:
        for path in request.paths:
            world.workspace.write(spec.worktree, path, FIXED)

    world.agent.on_allow = apply
    world.agent.scripts = [
        [
            ToolRequest(kind="write", tool="Edit", paths=(FIX,), raw={"file_path": FIX}),
            AgentEvent(kind="files_changed", paths=(FIX,)),
        ]
    ]
    status, _, body = await world.sender.slash(
        'the checkout webhook returns 500 when the "payload" is empty &amp; the token is fine',
        response_url=world.fake.response_url("file"),
    )
    assert status == 200 and "HF-1" in body
    await world.settle(adapter)
    assert world.core.bus.read(1).state is State.REVIEW

    review_ts = world.card_with_button("Revise")
    assert {"Approve", "Revise", "Reset", "Full diff"} <= set(world.buttons(review_ts))
    status_ts = world.fake.channel_messages("C0OPS")[0].ts
    assert world.fake.messages[("C0OPS", review_ts)].thread_ts == status_ts  # the review is in the card's thread
    assert world.fake.rejected == []

    await world.press(review_ts, "Full diff", "U111")
    await world.fake.wait_for(lambda: world.fake.files)
    assert b"return 400" in next(iter(world.fake.uploads.values()))

    await world.press(review_ts, "Approve", "U111")  # the requester may not ship their own fix
    await world.fake.wait_for(lambda: any(r["_hook"] == "Approve-U111" for r in world.fake.responses))
    refusal = next(r for r in world.fake.responses if r["_hook"] == "Approve-U111")
    assert refusal["response_type"] == "ephemeral"
    assert world.core.bus.read(1).state is State.REVIEW

    await world.press(review_ts, "Approve", "U222")
    await world.settle(adapter)
    assert world.core.bus.read(1).state is State.SHIPPED
    assert "Approve" not in world.buttons(review_ts)  # the buttons were replaced by who decided
    assert "<@U222>" in str(world.fake.messages[("C0OPS", review_ts)].blocks)
