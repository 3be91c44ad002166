"""The real core (in-memory fakes for storage, git, agent, verifier) behind the real Telegram adapter: a person in
a group files a hotfix, follows one card, approves an action and ships the fix, only through Bot API updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from tg_fake_api import FakeBotApi
from tg_people import ALICE, BOB, GROUP

from adapters.telegram.app import TelegramAdapter
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
    requesters=frozenset({"telegram:111"}),
    approvers=frozenset({"telegram:222"}),
    escalation=frozenset({"telegram:333"}),
    triage_owner="telegram:222",
)


@dataclass
class TelegramWorld:
    core: Core
    agent: FakeAgentRunner
    workspace: FakeWorkspace
    fake: FakeBotApi
    adapter: TelegramAdapter

    def buttons(self, message: dict[str, Any]) -> dict[str, str]:
        keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
        return {button["text"]: button["callback_data"] for row in keyboard for button in row}

    def message_with(self, *labels: str) -> dict[str, Any]:
        found = [m for m in self.fake.bot_messages(GROUP) if set(labels) <= set(self.buttons(m))]
        assert found, [m.get("text") for m in self.fake.bot_messages(GROUP)]
        return found[-1]

    async def press(self, message: dict[str, Any], label: str, user: dict[str, Any]) -> dict[str, Any]:
        query_id = await self.fake.press(GROUP, message["message_id"], user, self.buttons(message)[label])
        await self.fake.wait_for(lambda: query_id in self.fake.answers)
        return self.fake.answers[query_id]

    async def settle(self) -> None:
        for _ in range(25):
            await self.core.bus.drain()
            await asyncio.sleep(0.02)
        await self.adapter.notifier.flush()


@pytest.fixture
async def world(fake_api: FakeBotApi) -> AsyncIterator[TelegramWorld]:
    workspace = FakeWorkspace({REPO_PATH: {FIX: "def handle(body):\n    return 200\n", ".hotfix.toml": ""}})
    agent = FakeAgentRunner()
    config = BotConfig(
        repos=(RepoConfig(name="shop", path=REPO_PATH, channels=(f"telegram:{GROUP}",)),),
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
    adapter = TelegramAdapter(
        token=fake_api.token, sink=core.bus, base_url=fake_api.base_url, poll_timeout=1, read_timeout=3.0
    )
    core.router.register("telegram", adapter.notifier)
    await core.start()
    await adapter.start()
    yield TelegramWorld(core=core, agent=agent, workspace=workspace, fake=fake_api, adapter=adapter)
    await adapter.stop()
    await core.stop()


async def test_file_follow_approve_and_ship_from_a_telegram_group(world: TelegramWorld) -> None:
    def apply(request: ToolRequest, spec: AgentRunSpec) -> None:
        for path in request.paths:
            world.workspace.write(spec.worktree, path, FIXED)

    world.agent.on_allow = apply
    world.agent.scripts = [
        [
            ToolRequest(kind="command", tool="Bash", command="make build", raw={"command": "make build"}),
            ToolRequest(kind="write", tool="Edit", paths=(FIX,), raw={"file_path": FIX}),
            AgentEvent(kind="files_changed", paths=(FIX,)),
        ]
    ]
    await world.fake.push_command(GROUP, ALICE, "/hotfix@hotfix_bot the checkout webhook returns 500 on <empty> body")
    await world.fake.wait_for(lambda: any("HF-1" in m.get("text", "") for m in world.fake.bot_messages(GROUP)))
    await world.settle()
    assert world.core.bus.read(1).state is State.AWAITING_APPROVAL

    approval = world.message_with("Approve", "Deny", "Stop")
    assert "make build" in approval["text"]
    refused = await world.press(approval, "Approve", ALICE)  # the requester is not an approver
    assert refused["show_alert"] in (True, "true", "True") and refused["text"]
    assert world.core.bus.read(1).state is State.AWAITING_APPROVAL
    await world.press(approval, "Approve", BOB)
    await world.settle()
    assert world.core.bus.read(1).state is State.REVIEW
    assert "Approve" not in world.buttons(world.fake.messages[(GROUP, approval["message_id"])])

    review = world.message_with("Approve", "Revise", "Reset", "Full diff")
    assert "hotfix/1-" in review["text"]
    await world.press(review, "Full diff", ALICE)
    await world.fake.wait_for(lambda: bool(world.fake.calls_to("sendDocument", ok_only=True)))
    (upload,) = world.fake.calls_to("sendDocument")
    assert b"return 400" in upload.files["document"][1]

    await world.press(review, "Approve", BOB)
    await world.settle()
    assert world.core.bus.read(1).state is State.SHIPPED
    shipped = world.fake.messages[(GROUP, review["message_id"])]
    assert "Approve" not in world.buttons(shipped) and "telegram:222" in shipped["text"]
    assert not [c for c in world.fake.calls if c.error and c.method != "getUpdates"]
