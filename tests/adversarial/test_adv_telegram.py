"""A representative slice of the authorization matrix and of stale/forged presses, through the real Telegram adapter
(python-telegram-bot against the fake Bot API on 127.0.0.1:0) and the real core (in-memory fakes behind it)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.app import TelegramAdapter
from bot.domain.agent import PermissionBehavior
from bot.domain.values import ApprovalState, State
from tests.adversarial.conftest import FIX, URGENT, boot_world, cmd, edit, writes
from tests.fakes.notifier import FakeNotifier
from tests.unit.conftest import World

sys.path.insert(0, str(Path(__file__).parents[1] / "contract" / "telegram"))
from tg_fake_api import FakeBotApi

GROUP = -100  # the conversation the adversarial world's repo is bound to (telegram:-100)


def person(user_id: int, *, bot: bool = False) -> dict[str, Any]:
    return {"id": user_id, "is_bot": bot, "first_name": f"p{user_id}"}


FILER, REQUESTER, APPROVER, ESCALATION, TRIAGE, STRANGER = (person(i) for i in (111, 110, 222, 333, 444, 999))
APPROVER_BOT = person(222, bot=True)  # a bot account claiming a person's id


@dataclass
class TgWorld:
    core: World
    fake: FakeBotApi
    adapter: TelegramAdapter

    def buttons(self, message: dict[str, Any]) -> dict[str, str]:
        keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
        return {b["text"]: b["callback_data"] for row in keyboard for b in row}

    def message_with(self, *labels: str) -> dict[str, Any]:
        found = [m for m in self.fake.bot_messages(GROUP) if set(labels) <= set(self.buttons(m))]
        assert found, [m.get("text") for m in self.fake.bot_messages(GROUP)]
        return found[-1]

    async def press_data(self, message: dict[str, Any], data: str, user: dict[str, Any]) -> dict[str, Any]:
        query_id = await self.fake.press(GROUP, message["message_id"], user, data)
        await self.fake.wait_for(lambda: query_id in self.fake.answers)
        await self.settle()
        return self.fake.answers[query_id]

    async def press(self, message: dict[str, Any], label: str, user: dict[str, Any]) -> dict[str, Any]:
        return await self.press_data(message, self.buttons(message)[label], user)

    async def say(self, user: dict[str, Any], text: str) -> None:
        before = len(self.fake.bot_messages(GROUP))
        await self.fake.push_command(GROUP, user, text)
        await self.fake.wait_for(lambda: len(self.fake.bot_messages(GROUP)) > before)
        await self.settle()

    async def settle(self) -> None:
        for _ in range(10):
            await self.core.settle()
            await asyncio.sleep(0.02)
        await self.adapter.notifier.flush()

    def last_text(self) -> str:
        return str(self.fake.bot_messages(GROUP)[-1].get("text", ""))


@pytest.fixture
async def tg() -> AsyncIterator[TgWorld]:
    fake = FakeBotApi()
    await fake.start()
    world = boot_world(FakeNotifier())
    adapter = TelegramAdapter(token=fake.token, sink=world.core.bus, base_url=fake.base_url, poll_timeout=1,
                              read_timeout=3.0)
    world.core.router.register("telegram", adapter.notifier)
    await world.core.start()
    await adapter.start()
    yield TgWorld(core=world, fake=fake, adapter=adapter)
    await adapter.stop()
    await world.core.stop()
    await fake.close()


def refused(answer: dict[str, Any]) -> bool:
    return answer.get("show_alert") in (True, "true", "True") and bool(answer.get("text"))


async def test_strangers_and_bots_cannot_file(tg: TgWorld) -> None:
    await tg.say(STRANGER, f"{URGENT}")
    assert "Not allowed" in tg.last_text()
    await tg.say(person(111, bot=True), f"{URGENT}")
    assert "bot accounts never count" in tg.last_text()
    with tg.core.uow() as uow:
        assert uow.hotfixes.list() == []


async def test_command_approval_matrix_through_telegram(tg: TgWorld) -> None:
    tg.core.agent.scripts = [[cmd("make build")]]
    await tg.say(FILER, URGENT)
    approval = tg.message_with("Approve", "Deny", "Stop")
    for who in (STRANGER, FILER, REQUESTER, ESCALATION, TRIAGE, APPROVER_BOT):
        for label in ("Approve", "Deny"):
            answer = await tg.press(approval, label, who)
            assert refused(answer) and "Not allowed" in answer["text"], (who, label, answer)
    for who in (STRANGER, REQUESTER, APPROVER_BOT):
        assert refused(await tg.press(approval, "Stop", who)), who
    h = tg.core.hotfix()
    assert h.state is State.AWAITING_APPROVAL and h.approvals[0].pending and not tg.core.agent.answers
    # 16 refusals; the stranger's Approve and Deny are one refusal within a minute and recorded once
    assert sum(e.kind == "refused" for e in h.audit) == 14
    await tg.press(approval, "Approve", APPROVER)
    assert tg.core.agent.answers == [("make build", PermissionBehavior.ALLOW)]
    replay = await tg.press_data(approval, tg.buttons(approval)["Approve"], APPROVER)  # the old keyboard
    assert refused(replay) and "already" in replay["text"]
    assert "Approve" not in tg.buttons(tg.fake.messages[(GROUP, approval["message_id"])])


async def test_escalation_never_by_its_requester_through_telegram(tg: TgWorld) -> None:
    tg.core.agent.scripts = [[cmd("npm install left-pad")]]
    await tg.say(ESCALATION, URGENT)
    approval = tg.message_with("Approve", "Deny", "Stop")
    answer = await tg.press(approval, "Approve", ESCALATION)
    assert refused(answer) and "other than the requester" in answer["text"]
    assert refused(await tg.press(approval, "Approve", APPROVER))
    assert tg.core.hotfix().approvals[0].pending
    assert (await tg.press(approval, "Approve", person(334))).get("show_alert") not in (True, "true")
    assert tg.core.hotfix().approvals[0].state is ApprovalState.APPROVED


FORGED = ["ap:AAAAAAAAAAAA", "ap:", ":", "zz:whatever", "ap", "", "st:../../1", "ap:" + "A" * 60, "fd:💥",
          "ap:%s%n{0}"]


async def test_forged_callback_data_changes_nothing(tg: TgWorld) -> None:
    tg.core.agent.on_allow = writes(tg.core, {FIX: "x = 1\n"})
    tg.core.agent.scripts = [[edit(FIX)]]
    await tg.say(FILER, URGENT)
    review = tg.message_with("Approve", "Revise", "Reset")
    h = tg.core.hotfix()
    card = h.card_token
    forged = [*FORGED, f"ap:{card}", f"co:{card}", f"rv:{h.approvals[-1].id}", f"rs:{h.approvals[-1].id}"]
    for data in forged:
        answer = await tg.press_data(review, data, APPROVER)
        assert "no longer valid" in str(answer.get("text")), (data, answer)
    h = tg.core.hotfix()
    assert h.state is State.REVIEW and h.approvals[-1].pending and not tg.core.workspace.commits


async def test_triage_only_by_the_owner_and_escalation_through_telegram(tg: TgWorld) -> None:
    await tg.say(FILER, "/hotfix add support for apple pay in checkout")
    assert tg.core.hotfix().state is State.TRIAGE
    for who in (FILER, APPROVER, STRANGER, person(444, bot=True)):
        await tg.say(who, "/hotfix accept 1")
        assert "Not allowed" in tg.last_text(), who
    assert tg.core.hotfix().state is State.TRIAGE
    await tg.say(TRIAGE, "/hotfix reject 1 not a hotfix")
    assert tg.core.hotfix().state is State.REJECTED
