"""Rate limits under a burst of agent events, measured on what the fake Bot API received."""

from __future__ import annotations

import itertools

from tg_cards import status_card, stop_button
from tg_fake_api import Call, FakeBotApi
from tg_people import ALICE, GROUP, AdapterFactory

from bot.domain.values import ConversationRef

OPS = ConversationRef(platform="telegram", key=str(GROUP))
# The adapter spaces calls 1 s apart on its own clock; what the server sees also carries the client's and the
# loop's latency (a loaded CI machine). Without the throttle the calls would arrive milliseconds apart.
SPACING = 0.75
WINDOW = 60.0 - 0.25


def assert_within_telegram_limits(calls: list[Call], *, group: bool) -> None:
    times = [call.at for call in calls]
    assert all(b - a >= SPACING for a, b in itertools.pairwise(times)), "more than one message per second"
    if group:
        for i, start in enumerate(times):
            assert len([t for t in times[i:] if t < start + WINDOW]) <= 20, "more than 20 per minute"


async def test_a_burst_of_100_card_edits_is_coalesced_and_the_last_state_lands(
    fake_api: FakeBotApi, start_adapter: AdapterFactory
) -> None:
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card("starting", buttons=stop_button()))
    for step in range(100):
        await adapter.notifier.edit(ref, status_card(f"step {step}", buttons=stop_button()))
    await adapter.notifier.flush()
    message = fake_api.messages[(GROUP, int(ref.key))]
    assert "State: step 99" in message["text"]
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "st:7"
    edits = fake_api.calls_to("editMessageText")
    assert 1 <= len(edits) <= 3
    assert_within_telegram_limits(fake_api.chat_calls(GROUP), group=True)


async def test_cards_in_one_chat_keep_their_own_latest_state(
    fake_api: FakeBotApi, start_adapter: AdapterFactory
) -> None:
    adapter = await start_adapter()
    first = await adapter.notifier.post(OPS, status_card("one: start"))
    second = await adapter.notifier.post(OPS, status_card("two: start"))
    for step in range(30):
        await adapter.notifier.edit(first, status_card(f"one: {step}"))
        await adapter.notifier.edit(second, status_card(f"two: {step}"))
    await adapter.notifier.reply(OPS, "a reply in between")
    await adapter.notifier.flush()
    assert "State: one: 29" in fake_api.messages[(GROUP, int(first.key))]["text"]
    assert "State: two: 29" in fake_api.messages[(GROUP, int(second.key))]["text"]
    assert_within_telegram_limits(fake_api.chat_calls(GROUP), group=True)


async def test_different_chats_are_limited_separately(fake_api: FakeBotApi, start_adapter: AdapterFactory) -> None:
    adapter = await start_adapter()
    dm = ConversationRef(platform="telegram", key=str(ALICE["id"]))
    for n in range(3):
        await adapter.notifier.reply(OPS, f"group {n}")
        await adapter.notifier.reply(dm, f"dm {n}")
    assert_within_telegram_limits(fake_api.chat_calls(GROUP), group=True)
    assert_within_telegram_limits(fake_api.chat_calls(ALICE["id"]), group=False)
    assert len(fake_api.chat_calls(GROUP)) == len(fake_api.chat_calls(ALICE["id"])) == 3
