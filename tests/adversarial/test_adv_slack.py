"""A representative slice of the authorization matrix and of forged/replayed presses, through the real Slack adapter
(slack-bolt in HTTP mode on 127.0.0.1:0, signed requests, the fake Web API) and the real core behind it."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from adapters.slack.outbound import action_id_for
from bot.domain.agent import PermissionBehavior
from bot.domain.people import People
from bot.domain.values import State
from bot.services.commands import ButtonAction
from tests.adversarial.conftest import URGENT, boot_world, cmd
from tests.unit.conftest import World

sys.path.insert(0, str(Path(__file__).parents[1] / "contract" / "slack"))
from slack_fake_api import BOT_TOKEN, FakeSlackApi
from slack_requests import SIGNING_SECRET, SlackSender, block_actions, event_callback

CHANNEL = "C0OPS"
APPROVE_ID = action_id_for(ButtonAction.APPROVE).value
PEOPLE = People(requesters=frozenset({"slack:U111", "slack:U110"}), approvers=frozenset({"slack:U222"}),
                escalation=frozenset({"slack:U333", "slack:U334"}), triage_owner="slack:U444")
_hooks = itertools.count()


@dataclass
class SlackWorld:
    core: World
    fake: FakeSlackApi
    sender: SlackSender
    adapter: SlackAdapter

    def buttons(self, ts: str) -> dict[str, dict[str, Any]]:
        message = self.fake.messages[(CHANNEL, ts)]
        return {e["text"]["text"]: e for b in message.blocks if b["type"] == "actions" for e in b["elements"]}

    def card_with_button(self, label: str) -> str:
        found = [m.ts for m in self.fake.channel_messages(CHANNEL) if label in self.buttons(m.ts)]
        assert found, [m.text for m in self.fake.channel_messages(CHANNEL)]
        return found[-1]

    async def press_value(self, ts: str, value: str, user: str, *, is_bot: bool = False,
                          action_id: str = APPROVE_ID) -> str:
        """Press with ``value`` (a real button's, or a forged one); returns what the presser was told."""
        hook = f"h{next(_hooks)}"
        payload = block_actions(value=value, action_id=action_id, user=user, message_ts=ts,
                                response_url=self.fake.response_url(hook), is_bot=is_bot)
        status, _, _ = await self.sender.interaction(payload)
        assert status == 200
        await self.settle()
        answers = [r for r in self.fake.responses if r["_hook"] == hook]
        return " ".join(str(r.get("text", "")) for r in answers)

    async def press(self, ts: str, label: str, user: str, *, is_bot: bool = False) -> str:
        button = self.buttons(ts)[label]
        return await self.press_value(ts, button["value"], user, is_bot=is_bot, action_id=button["action_id"])

    async def slash(self, text: str, user: str) -> str:
        hook = f"h{next(_hooks)}"
        status, _, body = await self.sender.slash(text, user=user, response_url=self.fake.response_url(hook))
        assert status == 200
        await self.settle()
        return body + " ".join(str(r.get("text", "")) for r in self.fake.responses if r["_hook"] == hook)

    async def settle(self) -> None:
        for _ in range(10):
            await self.core.settle()
            await asyncio.sleep(0.02)
        await self.adapter.notifier.drain()


@pytest.fixture
async def slack() -> AsyncIterator[SlackWorld]:
    fake = FakeSlackApi()
    await fake.start()
    world = boot_world(people=PEOPLE, channel=f"slack:{CHANNEL}")
    adapter = SlackAdapter(bot_token=BOT_TOKEN, sink=world.core.bus, signing_secret=SIGNING_SECRET, http_port=0,
                           http_host="127.0.0.1", api_base_url=fake.base_url)
    world.core.router.register("slack", adapter.notifier)
    await world.core.start()
    await adapter.start()
    async with aiohttp.ClientSession() as session:
        sender = SlackSender(f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}", session)
        yield SlackWorld(core=world, fake=fake, sender=sender, adapter=adapter)
    await adapter.stop()
    await world.core.stop()
    await fake.stop()


def hotfixes(world: SlackWorld) -> list[Any]:
    with world.core.uow() as uow:
        return uow.hotfixes.list()


async def test_unsigned_or_replayed_requests_are_rejected(slack: SlackWorld) -> None:
    """An outsider who knows the URL but not the signing secret, or replays an old signed request: 401."""
    for kwargs in ({"secret": "not-the-secret"}, {"timestamp": int(time.time()) - 3600}):
        status, _, _ = await slack.sender.slash(URGENT, user="U222", response_url=slack.fake.response_url("x"),
                                                **kwargs)
        assert status == 401, kwargs
    assert hotfixes(slack) == []


async def test_strangers_and_bots_cannot_file(slack: SlackWorld) -> None:
    assert "Not allowed" in await slack.slash(URGENT, "U999")
    status, _, _ = await slack.sender.event(event_callback(event_id="Ev1", text=f"<@U0BOT> {URGENT}", user="U111",
                                                           bot_id="B0THER"))
    assert status == 200
    await slack.settle()
    assert hotfixes(slack) == []


async def test_command_approval_slice_through_slack(slack: SlackWorld) -> None:
    slack.core.agent.scripts = [[cmd("make build")]]
    await slack.slash(URGENT, "U111")
    ts = slack.card_with_button("Deny")
    for user in ("U999", "U111", "U110", "U333", "U444"):
        told = await slack.press(ts, "Approve", user)
        assert "Not allowed" in told, (user, told)
    assert "bot accounts" in await slack.press(ts, "Approve", "U222", is_bot=True)
    assert "Not allowed" in await slack.press(ts, "Stop", "U110")
    h = slack.core.hotfix()
    assert h.state is State.AWAITING_APPROVAL and h.approvals[0].pending and not slack.core.agent.answers
    assert sum(e.kind == "refused" for e in h.audit) == 7
    value = slack.buttons(ts)["Approve"]["value"]
    await slack.press(ts, "Approve", "U222")
    assert slack.core.agent.answers == [("make build", PermissionBehavior.ALLOW)]
    assert "already" in await slack.press_value(ts, value, "U222")  # a replay of the old button's value
    assert len(slack.core.agent.answers) == 1


async def test_forged_button_values_change_nothing(slack: SlackWorld) -> None:
    slack.core.agent.scripts = [[cmd("make build")]]
    await slack.slash(URGENT, "U111")
    ts = slack.card_with_button("Deny")
    h = slack.core.hotfix()
    for value in ("ap:forged-token", "zz:" + h.approvals[0].id, f"ap:{h.card_token}", f"rs:{h.approvals[0].id}",
                  "ap:", "ap", "ap:" + "x" * 3000, "ap:\x00\n", f"co:{h.card_token}"):
        await slack.press_value(ts, value, "U222")
    h = slack.core.hotfix()
    assert h.state is State.AWAITING_APPROVAL and h.approvals[0].pending and not slack.core.agent.answers


async def test_escalation_and_triage_slice_through_slack(slack: SlackWorld) -> None:
    slack.core.agent.scripts = [[cmd("npm install left-pad")]]
    await slack.slash(URGENT, "U333")
    ts = slack.card_with_button("Deny")
    assert "other than the requester" in await slack.press(ts, "Approve", "U333")
    assert "Not allowed" in await slack.press(ts, "Approve", "U222")
    assert slack.core.hotfix().approvals[0].pending
    await slack.press(ts, "Approve", "U334")
    assert slack.core.agent.answers == [("npm install left-pad", PermissionBehavior.ALLOW)]
    for user in ("U111", "U222", "U999"):
        assert "Not allowed" in await slack.slash("freeze deploy in progress", user), user
    assert "frozen" in (await slack.slash("freeze deploy in progress", "U444")).lower()
