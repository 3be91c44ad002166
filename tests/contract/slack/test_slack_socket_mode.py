"""One full flow over Socket Mode: file, approve a command, revise, ship; with a 429 and a 503 on the way.

The real bolt ``AsyncSocketModeHandler`` connects through ``apps.connections.open`` on the fake Web API to the
fake Socket Mode server, which pushes envelopes and checks the acks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from slack_fake_api import APP_TOKEN, BOT_TOKEN, FakeSlackApi
from slack_fake_sink import FakeCommandSink
from slack_fake_socket import FakeSocketModeServer
from slack_requests import block_actions, view_submission

from adapters.slack.app import SlackAdapter
from bot.domain.values import ConversationRef
from bot.render.card import Button, Card
from bot.services.commands import (
    ButtonAction,
    Command,
    FileHotfix,
    PressButton,
    Reply,
    ReviseHotfix,
)

OPS = ConversationRef(platform="slack", key="C0OPS")


@pytest.fixture
async def socket_server(fake_slack: FakeSlackApi) -> AsyncIterator[FakeSocketModeServer]:
    server = FakeSocketModeServer()
    await server.start()
    fake_slack.socket_url = server.url
    yield server
    await server.stop()


@pytest.fixture
async def socket_adapter(
    fake_slack: FakeSlackApi, socket_server: FakeSocketModeServer, sink: FakeCommandSink
) -> AsyncIterator[SlackAdapter]:
    slack = SlackAdapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN, sink=sink, api_base_url=fake_slack.base_url)
    await slack.start()
    yield slack
    await slack.stop()


def script(command: Command) -> Reply:
    if isinstance(command, FileHotfix):
        return Reply(text=f"Filed HF-7 (repo shop): {command.description}", private=False, hotfix_id=7)
    if isinstance(command, PressButton) and command.action is ButtonAction.REVISE:
        return Reply(text="HF-7 (shop)", prompt="What should change in HF-7?", hotfix_id=7)
    return Reply(text=f"HF-7 (shop): {type(command).__name__} done", hotfix_id=7)


def slash_payload(text: str) -> dict:
    return {
        "token": "x",
        "team_id": "T0FAKE",
        "team_domain": "fake",
        "channel_id": "C0OPS",
        "channel_name": "ops",
        "user_id": "U111",
        "user_name": "alice",
        "command": "/hotfix",
        "text": text,
        "api_app_id": "A0APP",
        "is_enterprise_install": "false",
        "response_url": "",
        "trigger_id": "1.2.3",
    }


def button_of(fake: FakeSlackApi, ts: str, action_id: str) -> dict:
    message = fake.messages[("C0OPS", ts)]
    return next(
        e for b in message.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )


async def test_a_hotfix_from_filing_to_ship_over_socket_mode(
    socket_adapter: SlackAdapter,
    socket_server: FakeSocketModeServer,
    fake_slack: FakeSlackApi,
    sink: FakeCommandSink,
) -> None:
    sink.script = script
    [connect] = fake_slack.calls_of("apps.connections.open")
    assert connect.token == APP_TOKEN

    # 1. file: the ack over the socket carries the reply
    ack = await socket_server.send_envelope("slash_commands", slash_payload("p0 the json payload is cut at 4kb"))
    assert ack == {"text": "Filed HF-7 (repo shop): the json payload is cut at 4kb", "response_type": "in_channel"}
    assert isinstance(sink.commands[0], FileHotfix)

    # 2. the core posts its status card and an approval in the card's thread (Slack says 429 once)
    notifier = socket_adapter.notifier
    card = await notifier.post(
        OPS,
        Card(
            key="status:7",
            kind="status",
            title="HF-7 shop: running",
            hotfix_id=7,
            buttons=(Button(label="Stop", action=ButtonAction.STOP, token="c7"),),
        ),
    )
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)
    approval_card = Card(
        key="approval:a1",
        kind="approval",
        title="HF-7 wants to run `npm install`",
        buttons=(
            Button(label="Approve", action=ButtonAction.APPROVE, token="a1", style="primary"),
            Button(label="Deny", action=ButtonAction.DENY, token="a1", style="danger"),
        ),
    )
    approval = await notifier.post(OPS, approval_card, thread=card)
    assert approval.thread == card.key

    # 3. an approver presses Approve on what was actually posted
    approve = button_of(fake_slack, approval.key, "hotfix_approve")
    press = block_actions(
        value=approve["value"],
        action_id=approve["action_id"],
        message_ts=approval.key,
        thread_ts=card.key,
        response_url=fake_slack.response_url("approve"),
    )
    assert await socket_server.send_envelope("interactive", press) == {}
    await fake_slack.wait_for(lambda: fake_slack.responses)
    pressed = sink.commands[-1]
    assert isinstance(pressed, PressButton) and pressed.action is ButtonAction.APPROVE and pressed.token == "a1"
    assert pressed.actor == "slack:U222"

    # 4. the core replaces the buttons with who decided (a 503 on the way)
    fake_slack.fail("chat.update", status=503)
    await notifier.edit(
        approval, Card(key="approval:a1", kind="approval", title=approval_card.title, decided="Approved by slack:U222")
    )
    await notifier.drain()
    decided = fake_slack.messages[("C0OPS", approval.key)]
    assert not [b for b in decided.blocks if b["type"] == "actions"] and "Approved by <@U222>" in str(decided.blocks)

    # 5. review: Revise opens a modal; its submission becomes ReviseHotfix
    review = await notifier.post(
        OPS,
        Card(
            key="review:7",
            kind="review",
            title="HF-7 ready",
            hotfix_id=7,
            code="-a\n+b",
            buttons=(
                Button(label="Approve", action=ButtonAction.APPROVE, token="s7"),
                Button(label="Revise", action=ButtonAction.REVISE, token="r7"),
            ),
        ),
        thread=card,
    )
    revise = button_of(fake_slack, review.key, "hotfix_revise")
    press = block_actions(
        value=revise["value"],
        action_id=revise["action_id"],
        user="U111",
        message_ts=review.key,
        thread_ts=card.key,
        response_url=fake_slack.response_url("revise"),
    )
    await socket_server.send_envelope("interactive", press)
    await fake_slack.wait_for(lambda: fake_slack.views)
    assert (
        await socket_server.send_envelope(
            "interactive", view_submission(fake_slack.views[0], feedback="also handle the empty `token` case")
        )
        == {}
    )
    await sink.wait_for(4)
    revised = sink.commands[3]
    assert isinstance(revised, ReviseHotfix) and revised.hotfix_id == 7
    assert revised.feedback == "also handle the empty `token` case"

    # 6. ship: Approve on the review card
    ship = button_of(fake_slack, review.key, "hotfix_approve")
    press = block_actions(
        value=ship["value"],
        action_id=ship["action_id"],
        message_ts=review.key,
        response_url=fake_slack.response_url("ship"),
    )
    await socket_server.send_envelope("interactive", press)
    await sink.wait_for(5)
    shipped = sink.commands[4]
    assert isinstance(shipped, PressButton) and shipped.token == "s7"
    assert socket_server.unexpected == [] and fake_slack.rejected == [] and fake_slack.unknown == []


async def test_socket_mode_logs_no_token(
    fake_slack: FakeSlackApi,
    socket_server: FakeSocketModeServer,
    sink: FakeCommandSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    slack = SlackAdapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN, sink=sink, api_base_url=fake_slack.base_url)
    await slack.start()
    try:
        ack = await socket_server.send_envelope("slash_commands", slash_payload("queue"))
    finally:
        await slack.stop()
    assert ack["text"] == "Done: ShowQueue"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "apps.connections.open" in logged  # debug logging was on
    assert APP_TOKEN not in logged and BOT_TOKEN not in logged
    assert APP_TOKEN not in repr(slack)
