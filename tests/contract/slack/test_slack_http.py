"""End to end over real HTTP: signed Slack requests -> real bolt parsing and verification -> the adapter ->
FakeCommandSink; answers through the ack, response_url and the fake Web API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_fake_api import BOT_TOKEN, FakeSlackApi
from slack_fake_sink import FakeCommandSink
from slack_requests import SIGNING_SECRET, SlackSender, block_actions, event_callback, view_submission

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from adapters.slack.outbound import action_id_for
from bot.domain.values import ConversationRef, Priority
from bot.services.commands import (
    Attachment,
    ButtonAction,
    Command,
    FileHotfix,
    PressButton,
    Reply,
    ReviseHotfix,
    ShowDiff,
    ShowStatus,
    StopHotfix,
)

OPS = ConversationRef(platform="slack", key="C0OPS")

# (what Slack sends as `text` after escaping, what the person typed)
INCIDENTS = [
    (
        'checkout returns 500 when the "payload" token is null :fire:',
        'checkout returns 500 when the "payload" token is null :fire:',
    ),
    (
        "`POST /api/v2/orders` → 502 since 14:03 &amp; retries pile up 😱",
        "`POST /api/v2/orders` → 502 since 14:03 & retries pile up 😱",
    ),
    (
        "webhook json &lt;payload&gt; rejected, see <https://sentry.example/issues/42?x=1&amp;y=2|sentry>",
        "webhook json <payload> rejected, see sentry (https://sentry.example/issues/42?x=1&y=2)",
    ),
    ("stop sending duplicate emails to customers", "stop sending duplicate emails to customers"),
    (
        "command `rake db:migrate` hangs; token='abc' and \"quoted\" args\nsecond line &gt;&gt; log",
        "command `rake db:migrate` hangs; token='abc' and \"quoted\" args\nsecond line >> log",
    ),
    (
        "<@U999|carol> says login is broken for SSO users ¯\\_(ツ)_/¯",
        "@carol says login is broken for SSO users ¯\\_(ツ)_/¯",
    ),
]


@pytest.mark.parametrize(("sent", "typed"), INCIDENTS)
async def test_realistic_incidents_are_filed_as_typed(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi, sent: str, typed: str
) -> None:
    status, content_type, body = await sender.slash(sent, response_url=fake_slack.response_url())
    assert status == 200
    [command] = sink.commands
    assert isinstance(command, FileHotfix)
    assert command.description == typed
    assert command.actor == "slack:U111" and command.conversation == OPS and not command.actor_is_bot
    assert content_type.startswith("application/json")
    assert '"response_type": "in_channel"' in body and "Filed HF-7" in body


async def test_options_and_sub_commands_go_through_the_grammar(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    await sender.slash("repo:shop p0 token refresh loops forever", response_url=fake_slack.response_url())
    await sender.slash("status HF-7", response_url=fake_slack.response_url())
    await sender.slash("stop 7", response_url=fake_slack.response_url())
    filed, status, stop = sink.commands
    assert isinstance(filed, FileHotfix) and filed.repo == "shop" and filed.priority is Priority.P0
    assert filed.description == "token refresh loops forever"
    assert isinstance(status, ShowStatus) and status.hotfix_id == 7
    assert isinstance(stop, StopHotfix) and stop.hotfix_id == 7


async def test_private_and_refused_replies_are_ephemeral_and_escaped(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    sink.script = lambda c: Reply(text="HF-7 (shop): not allowed for <@U111> & friends", ok=False, private=False)
    status, _, body = await sender.slash("approve 7", response_url=fake_slack.response_url())
    assert status == 200
    assert '"response_type": "ephemeral"' in body
    assert "&lt;@U111&gt; &amp; friends" in body and "<@U111>" not in body
    assert fake_slack.calls_of("chat.postMessage") == []  # a refusal changes nothing visible to others


@pytest.mark.parametrize(
    "forgery",
    ["wrong_secret", "stale", "future", "missing", "tampered"],
)
async def test_forged_or_replayed_requests_get_401_and_do_nothing(
    adapter: SlackAdapter, sink: FakeCommandSink, fake_slack: FakeSlackApi, forgery: str
) -> None:
    from slack_requests import signed_headers, slash_form

    body = slash_form("drop table users", response_url=fake_slack.response_url())
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
    if forgery == "wrong_secret":
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded", secret="not-the-secret")
    elif forgery == "stale":
        headers = signed_headers(
            body, content_type="application/x-www-form-urlencoded", timestamp=int(time.time()) - 301
        )
    elif forgery == "future":
        headers = signed_headers(
            body, content_type="application/x-www-form-urlencoded", timestamp=int(time.time()) + 301
        )
    elif forgery == "missing":
        del headers["X-Slack-Signature"]
    elif forgery == "tampered":
        body = body.replace("drop+table+users", "approve+7")
    url = f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        assert response.status == 401
    assert sink.commands == []
    assert fake_slack.responses == [] and fake_slack.calls_of("chat.postMessage") == []


async def test_a_forged_button_press_gets_401_and_does_nothing(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    payload = block_actions(value="ap:appr-1", action_id="hotfix_approve", response_url=fake_slack.response_url())
    status, _, _ = await sender.interaction(payload, secret="guessed")
    assert status == 401
    status, _, _ = await sender.interaction(payload, timestamp=int(time.time()) - 600)
    assert status == 401
    assert sink.commands == [] and fake_slack.responses == []


@pytest.mark.parametrize("action", list(ButtonAction))
async def test_every_button_becomes_press_button_and_is_answered_privately(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi, action: ButtonAction
) -> None:
    sink.script = lambda c: Reply(text=f"HF-7 (shop): {action.name.lower()} noted", hotfix_id=7)
    payload = block_actions(
        value=f"{action.value}:tok-{action.value}",
        action_id=action_id_for(action).value,
        response_url=fake_slack.response_url("press"),
        thread_ts="1700000000.000050",
    )
    status, _, body = await sender.interaction(payload)
    assert status == 200 and body == ""
    await fake_slack.wait_for(lambda: fake_slack.responses)
    [press] = sink.commands
    assert isinstance(press, PressButton)
    assert press.action is action and press.token == f"tok-{action.value}"
    assert press.actor == "slack:U222" and press.conversation == OPS
    assert press.source is not None and press.source.key == "1700000000.000100"
    assert press.source.thread == "1700000000.000050"
    [answer] = fake_slack.responses
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["text"] == f"HF-7 (shop): {action.name.lower()} noted"


async def test_a_public_button_reply_goes_into_the_cards_thread(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    sink.script = lambda c: Reply(text="HF-7 (shop): approved by slack:U222", private=False)
    payload = block_actions(value="ap:appr-1", action_id="hotfix_approve", response_url=fake_slack.response_url())
    await sender.interaction(payload)
    await fake_slack.wait_for(lambda: fake_slack.messages)
    [message] = fake_slack.messages.values()
    assert message.thread_ts == "1700000000.000100" and message.text == "HF-7 (shop): approved by <@U222>"


@pytest.mark.parametrize("value", ["garbage", "zz:tok", "ap:", ""])
async def test_a_malformed_button_is_answered_and_changes_nothing(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi, value: str
) -> None:
    payload = block_actions(value=value, action_id="hotfix_approve", response_url=fake_slack.response_url())
    status, _, _ = await sender.interaction(payload)
    assert status == 200
    await fake_slack.wait_for(lambda: fake_slack.responses)
    assert fake_slack.responses[0]["text"] == "This button is no longer valid."
    assert sink.commands == []


async def test_revise_opens_a_modal_whose_submission_becomes_revise_hotfix(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    def script(command: Command) -> Reply:
        if isinstance(command, PressButton):
            return Reply(text="HF-7 (shop): what should change?", prompt="What should change in HF-7?", hotfix_id=7)
        return Reply(text="HF-7 (shop): feedback sent to the agent", hotfix_id=7)

    sink.script = script
    payload = block_actions(
        value="rv:review-7",
        action_id="hotfix_revise",
        response_url=fake_slack.response_url(),
        message_ts="1700000000.000300",
    )
    await sender.interaction(payload)
    await fake_slack.wait_for(lambda: fake_slack.views)
    [view] = fake_slack.views
    assert fake_slack.calls_of("views.open")[0].params["trigger_id"] == payload["trigger_id"]
    feedback = 'keep the retry, but log the "payload" <json> & cap it at 3'
    status, _, body = await sender.interaction(view_submission(view, feedback=feedback))
    assert status == 200 and body == ""
    await fake_slack.wait_for(lambda: fake_slack.ephemerals)
    revise = sink.commands[-1]
    assert isinstance(revise, ReviseHotfix)
    assert revise.hotfix_id == 7 and revise.feedback == feedback
    assert revise.actor == "slack:U111" and revise.conversation == OPS
    [answer] = fake_slack.ephemerals
    assert answer["user"] == "U111" and answer["thread_ts"] == "1700000000.000300"


async def test_a_typed_command_that_needs_free_text_opens_the_modal_too(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    sink.script = lambda c: Reply(text="HF-7 (shop): what should change?", prompt="What should change?", hotfix_id=7)
    await sender.slash("status 7", response_url=fake_slack.response_url(), trigger="9.9.slash-trigger")
    await fake_slack.wait_for(lambda: fake_slack.views)
    assert fake_slack.calls_of("views.open")[0].params["trigger_id"] == "9.9.slash-trigger"
    assert '"c": "C0OPS"' in fake_slack.views[0]["private_metadata"]


async def test_an_expired_trigger_falls_back_to_asking_in_text(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    sink.script = lambda c: Reply(text="HF-7 (shop)", prompt="What should change in HF-7?", hotfix_id=7)
    payload = block_actions(value="rv:review-7", action_id="hotfix_revise", response_url=fake_slack.response_url())
    fake_slack.expired_triggers.add(payload["trigger_id"])
    await sender.interaction(payload)
    await fake_slack.wait_for(lambda: fake_slack.ephemerals)
    assert "/hotfix revise HF-7" in fake_slack.ephemerals[0]["text"]
    assert fake_slack.views == []


async def test_full_diff_is_uploaded_as_a_snippet(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    diff = b"--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    sink.script = lambda c: Reply(
        text="HF-7 (shop): full diff attached", attachment=Attachment(filename="HF-7.diff", content=diff)
    )
    status, _, _ = await sender.slash("diff HF-7", response_url=fake_slack.response_url())
    assert status == 200
    assert isinstance(sink.commands[0], ShowDiff)
    await fake_slack.wait_for(lambda: fake_slack.files)
    assert list(fake_slack.uploads.values()) == [diff]
    [completed] = fake_slack.files
    assert completed["channel_id"] == "C0OPS" and completed["files"][0]["title"] == "HF-7.diff"
    assert fake_slack.calls_of("files.getUploadURLExternal")[0].params["snippet_type"] == "diff"


@pytest.fixture
async def slow_adapter(fake_slack: FakeSlackApi, sink: FakeCommandSink) -> AsyncIterator[SlackSender]:
    slack = SlackAdapter(
        bot_token=BOT_TOKEN,
        sink=sink,
        signing_secret=SIGNING_SECRET,
        http_port=0,
        http_host="127.0.0.1",
        api_base_url=fake_slack.base_url,
        ack_budget=0.05,
    )
    await slack.start()
    async with aiohttp.ClientSession() as session:
        yield SlackSender(f"http://127.0.0.1:{slack.bound_port}{EVENTS_PATH}", session)
    await slack.stop()


async def test_a_slow_core_gets_a_holding_ack_and_the_reply_follows(
    slow_adapter: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    sink.gate = asyncio.Event()
    status, _, body = await slow_adapter.slash("cart is empty after login", response_url=fake_slack.response_url())
    assert status == 200 and "Got it" in body
    assert fake_slack.responses == []
    sink.gate.set()
    await fake_slack.wait_for(lambda: fake_slack.responses)
    [follow_up] = fake_slack.responses
    assert follow_up["text"] == "Filed HF-7 (repo shop): cart is empty after login"
    assert follow_up["response_type"] == "in_channel"


async def test_a_slow_command_does_not_hold_up_the_next_one(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    sink.gate = asyncio.Event()
    sink.held = lambda command: isinstance(command, FileHotfix) and "first" in command.description
    first = asyncio.ensure_future(sender.slash("first: orders stuck", response_url=fake_slack.response_url("a")))
    await sink.wait_for(1)  # the first command is in the core and stays there
    _, _, body = await sender.slash("second: refunds fail", response_url=fake_slack.response_url("b"))
    # the second was persisted and its own reply rides in its ack: it did not queue behind the first
    assert "second: refunds fail" in body and "Got it" not in body
    sink.gate.set()
    status, _, first_body = await first
    assert status == 200 and "first: orders stuck" in first_body


async def test_a_crash_in_the_core_is_answered_with_a_reference_not_a_trace(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(command: Command) -> Reply:
        raise RuntimeError(f"db down while using {BOT_TOKEN}")

    sink.script = explode
    with caplog.at_level(logging.ERROR, logger="adapters.slack"):
        status, _, body = await sender.slash("checkout 500", response_url=fake_slack.response_url())
    assert status == 200
    assert "ref " in body and "Traceback" not in body and "RuntimeError" not in body and "db down" not in body
    ref = body.split("ref ")[1].split(")")[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ref in logged and "RuntimeError" in logged
    assert BOT_TOKEN not in logged


async def test_a_crash_after_the_holding_ack_is_answered_through_respond(
    slow_adapter: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    def explode(command: Command) -> Reply:
        raise KeyError("nope")

    sink.script = explode
    sink.gate = asyncio.Event()
    _, _, body = await slow_adapter.slash("checkout 500", response_url=fake_slack.response_url())
    assert "Got it" in body
    sink.gate.set()
    await fake_slack.wait_for(lambda: fake_slack.responses)
    assert "ref " in fake_slack.responses[0]["text"] and "KeyError" not in fake_slack.responses[0]["text"]


async def test_events_api_retries_are_deduplicated(
    sender: SlackSender, sink: FakeCommandSink, fake_slack: FakeSlackApi
) -> None:
    event = event_callback(event_id="Ev0001", text="<@U0BOT> p0 payments &amp; refunds time out")
    first = await sender.event(event)
    retry = await sender.event(event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first[0] == 200 and retry[0] == 200
    await fake_slack.wait_for(lambda: fake_slack.messages)
    [command] = sink.commands
    assert isinstance(command, FileHotfix) and command.description == "payments & refunds time out"
    assert command.source is not None and command.source.thread == "1700000001.000200"
    [reply] = fake_slack.messages.values()
    assert reply.thread_ts == "1700000001.000200"


async def test_a_mention_from_a_bot_is_flagged(sender: SlackSender, sink: FakeCommandSink) -> None:
    await sender.event(event_callback(event_id="Ev0002", text="<@U0BOT> restart everything", bot_id="B0OTHER"))
    await sink.wait_for(1)
    assert sink.commands[0].actor_is_bot


async def test_url_verification_still_works(sender: SlackSender) -> None:
    status, _, body = await sender.event({"token": "x", "challenge": "3eZbrw1aBm2", "type": "url_verification"})
    assert status == 200 and "3eZbrw1aBm2" in body


async def test_no_secret_reaches_a_log_or_a_repr(
    adapter: SlackAdapter,
    sender: SlackSender,
    sink: FakeCommandSink,
    fake_slack: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink.script = lambda c: Reply(text="HF-7 (shop): diff", attachment=Attachment(filename="HF-7.diff", content=b"+x"))
    with caplog.at_level(logging.DEBUG):
        await sender.slash("diff 7", response_url=fake_slack.response_url())
        await sender.interaction(
            block_actions(value="ap:a1", action_id="hotfix_approve", response_url=fake_slack.response_url())
        )
        await fake_slack.wait_for(lambda: fake_slack.files and fake_slack.responses)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "chat.postMessage" in logged or "files.completeUploadExternal" in logged  # debug logging was on
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in logged
        assert secret not in repr(adapter) and secret not in repr(adapter.notifier)
