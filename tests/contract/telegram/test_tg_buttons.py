"""Button presses, refusals, decisions, the Revise prompt and file replies, through real PTB and the fake."""

from __future__ import annotations

import asyncio

from tg_cards import every_button, status_card, stop_button
from tg_fake_api import FakeBotApi
from tg_fake_sink import FakeCommandSink
from tg_people import ALICE, BOB, GROUP, AdapterFactory

from adapters.telegram.handlers import NO_LONGER_VALID
from bot.domain.values import ConversationRef
from bot.services.commands import Attachment, ButtonAction, Command, PressButton, Reply, ReviseHotfix

OPS = ConversationRef(platform="telegram", key=str(GROUP))


async def test_every_button_type_becomes_a_press(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=every_button()))
    message_id = int(ref.key)
    keyboard = fake_api.messages[(GROUP, message_id)]["reply_markup"]["inline_keyboard"]
    assert sorted(b["callback_data"] for row in keyboard for b in row) == sorted(
        f"{a.value}:tok-{a.value}" for a in ButtonAction
    )
    query_ids = [await fake_api.press(GROUP, message_id, BOB, f"{a.value}:tok-{a.value}") for a in ButtonAction]
    commands = await sink.wait_for_commands(len(ButtonAction))
    assert {(c.action, c.token) for c in commands if isinstance(c, PressButton)} == {
        (a, f"tok-{a.value}") for a in ButtonAction
    }
    assert all(c.actor == "telegram:222" and c.conversation == OPS for c in commands)
    assert all(c.source is not None and c.source.key == ref.key for c in commands)
    await fake_api.wait_for(lambda: all(q in fake_api.answers for q in query_ids))
    assert all(fake_api.answers[q]["text"] == "got PressButton" for q in query_ids)


async def test_a_refused_press_is_answered_with_the_reason_and_changes_nothing(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    sink.answer(Reply(text="Only approvers may approve HF-7 (shop).", ok=False, hotfix_id=7))
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))
    before = dict(fake_api.messages[(GROUP, int(ref.key))])
    query_id = await fake_api.press(GROUP, int(ref.key), ALICE, "st:7")
    await fake_api.wait_for(lambda: query_id in fake_api.answers)
    assert fake_api.answers[query_id]["text"] == "Only approvers may approve HF-7 (shop)."
    assert fake_api.answers[query_id]["show_alert"] in (True, "true", "True")
    await adapter.notifier.flush()
    assert fake_api.messages[(GROUP, int(ref.key))] == before
    assert len(fake_api.calls_to("sendMessage")) == 1  # only the card itself


async def test_a_malformed_payload_is_answered_directly(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))
    queries = [await fake_api.press(GROUP, int(ref.key), ALICE, data) for data in ("zz:7", "no-colon", "st:")]
    await fake_api.wait_for(lambda: all(q in fake_api.answers for q in queries))
    assert {fake_api.answers[q]["text"] for q in queries} == {NO_LONGER_VALID}
    assert sink.commands == []


async def test_a_decision_replaces_the_buttons(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))

    async def decide(command: Command) -> Reply:
        await adapter.notifier.edit(ref, status_card("stopped", decided="Stopped by telegram:222"))
        return Reply(text="Stopped HF-7 (shop).")

    sink.script = decide
    query_id = await fake_api.press(GROUP, int(ref.key), BOB, "st:7")
    await fake_api.wait_for(lambda: query_id in fake_api.answers)
    await adapter.notifier.flush()
    message = fake_api.messages[(GROUP, int(ref.key))]
    assert "reply_markup" not in message
    assert message["text"].endswith("Stopped by telegram:222")
    assert fake_api.answers[query_id]["text"] == "Stopped HF-7 (shop)."


async def test_revise_asks_for_feedback_and_the_reply_becomes_revise(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    sink.answer(Reply(text="Revise HF-7 (shop)", prompt="What should change in HF-7 (shop)?", hotfix_id=7))
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))
    await fake_api.press(GROUP, int(ref.key), ALICE, "rv:7")
    await fake_api.wait_for(lambda: len(fake_api.calls_to("sendMessage", ok_only=True)) == 2)
    prompt_call = fake_api.calls_to("sendMessage")[1]
    assert prompt_call.params["reply_markup"]["force_reply"] is True
    assert '<a href="tg://user?id=111">Alice</a>, ' in prompt_call.params["text"]  # selective: it reaches Alice
    prompt = fake_api.bot_messages(GROUP)[-1]
    assert prompt["text"].startswith("Alice, What should change in HF-7 (shop)?")
    await fake_api.push_reply(GROUP, BOB, "chatter about something else", to=int(ref.key))
    await fake_api.push_reply(GROUP, ALICE, "  keep the retry, drop the sleep  ", to=prompt["message_id"])
    commands = await sink.wait_for_commands(2)
    revise = commands[1]
    assert isinstance(revise, ReviseHotfix)
    assert (revise.hotfix_id, revise.feedback, revise.actor) == (7, "keep the retry, drop the sleep", "telegram:111")
    await asyncio.sleep(0.2)
    assert len(sink.commands) == 2  # the reply to the card itself was ignored


async def test_full_diff_is_sent_as_a_document(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    diff = b"--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print('<a>')\n+print('<b>')\n"
    sink.answer(Reply(text="Full diff of HF-7 (shop)", attachment=Attachment(filename="HF-7.diff", content=diff)))
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))
    await fake_api.press(GROUP, int(ref.key), ALICE, "fd:7")
    await fake_api.wait_for(lambda: bool(fake_api.calls_to("sendDocument", ok_only=True)))
    (upload,) = fake_api.calls_to("sendDocument")
    assert upload.files["document"] == ("HF-7.diff", diff)


async def test_a_slow_core_still_gets_the_press_answered(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    release = asyncio.Event()

    async def slow(command: Command) -> Reply:
        await release.wait()
        return Reply(text="Approved HF-7 (shop).")

    sink.script = slow
    adapter = await start_adapter(answer_within=0.05)
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))
    query_id = await fake_api.press(GROUP, int(ref.key), BOB, "ap:7")
    await fake_api.wait_for(lambda: query_id in fake_api.answers)
    assert fake_api.answers[query_id]["text"] == "Working on it…"
    release.set()
    await fake_api.wait_for(lambda: len(fake_api.calls_to("sendMessage", ok_only=True)) == 2)
    assert fake_api.bot_messages(GROUP)[-1]["text"] == "Approved HF-7 (shop)."


async def test_a_long_answer_is_shortened_and_posted_in_full(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    long_text = "Cannot approve HF-7 (shop): " + "the diff changed since it was posted; " * 10
    sink.answer(Reply(text=long_text, ok=False))
    adapter = await start_adapter()
    ref = await adapter.notifier.post(OPS, status_card(buttons=stop_button()))
    query_id = await fake_api.press(GROUP, int(ref.key), BOB, "ap:7")
    await fake_api.wait_for(lambda: len(fake_api.calls_to("sendMessage", ok_only=True)) == 2)
    answer = fake_api.answers[query_id]["text"]
    assert len(answer) <= 200 and answer.endswith("…")
    assert fake_api.bot_messages(GROUP)[-1]["text"] == long_text
