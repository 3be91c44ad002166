"""The chat platform misbehaves during a flow: 5xx, 429 with retry_after, stalled responses (timeouts), failed
button answers, and a stretch where the Bot API cannot be reached at all, longer than any single request's
retries. The flow still completes and the cards the chat holds end in the final state."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.conftest import FaultWorld
from tests.faults.flow_check import assert_flow_complete, eventually
from tests.faults.oncall import OnCall

pytestmark = [pytest.mark.agent, pytest.mark.timeout(300)]

DESCRIPTION = "the checkout total is wrong: add() subtracts"
OFFLINE_SECONDS = 20  # longer than a post's retry budget (5 tries, backoff from 0.5 s doubling)


async def test_errors_and_an_unreachable_api_during_a_flow_end_with_the_final_cards(world: FaultWorld) -> None:
    api, people = world.api, OnCall(world.api)
    await world.bot.start()
    api.inject("sendMessage", "502", times=2)
    api.inject("sendMessage", "429", retry_after=2)
    await people.file(DESCRIPTION)
    await eventually(people, lambda: bool(people.approvals()), "no approval card", timeout=60)

    api.inject("editMessageText", "500", times=3)
    api.inject("editMessageText", "stall", stall=3.0)
    api.inject("editMessageText", "429", retry_after=1)
    api.inject("answerCallbackQuery", "502")
    api.inject("sendMessage", "stall", stall=3.0)
    await people.carry_on(lambda: any(p.card == "approval" for p in people.presses))

    await api.go_offline()  # the agent edits, the bot verifies and posts the review while nobody can be reached
    await asyncio.sleep(OFFLINE_SECONDS)
    await api.come_back()

    await people.carry_on(lambda: people.shows("✅ shipped"), timeout=120)
    assert world.bot.starts == 1  # no restart helped
    await assert_flow_complete(world, people, description=DESCRIPTION)
    refused = [c for c in api.calls if c.error]
    assert {c.method for c in refused} >= {"sendMessage", "editMessageText"}  # the faults were met
