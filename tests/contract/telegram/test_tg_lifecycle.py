"""Webhook mode (secret header checked by PTB's server) and a restart with buttons still pending."""

from __future__ import annotations

import json
import logging
import socket

import aiohttp
import pytest
from tg_cards import status_card, stop_button
from tg_fake_api import FakeBotApi
from tg_fake_sink import FakeCommandSink
from tg_people import ALICE, BOB, GROUP, AdapterFactory

from adapters.telegram.app import TelegramAdapter
from bot.domain.values import ConversationRef
from bot.services.commands import ButtonAction, FileHotfix, PressButton

OPS = ConversationRef(platform="telegram", key=str(GROUP))
SECRET = "s3cret-Token_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hotfix_update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 50 + update_id,
            "date": 1700000000,
            "text": text,
            "chat": {"id": GROUP, "type": "supergroup", "title": "ops"},
            "from": ALICE,
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }


async def test_webhook_refuses_a_wrong_or_missing_secret(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    port = free_port()
    await start_adapter(webhook_url="https://bot.example.com/telegram/hook", webhook_secret=SECRET, webhook_port=port)
    assert fake_api.webhook == {"url": "https://bot.example.com/telegram/hook", "secret_token": SECRET}
    assert not fake_api.calls_to("getUpdates")
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with aiohttp.ClientSession() as http:
        for update_id, headers in (
            (1, {}),
            (2, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}),
            (3, {"X-Telegram-Bot-Api-Secret-Token": SECRET}),
        ):
            body = json.dumps(hotfix_update(update_id, f"/hotfix attempt {update_id}"))
            headers["Content-Type"] = "application/json"
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == (200 if update_id == 3 else 403)
    (command,) = await sink.wait_for_commands(1)
    assert isinstance(command, FileHotfix) and command.description == "attempt 3"
    await fake_api.wait_for(lambda: bool(fake_api.calls_to("sendMessage", ok_only=True)))
    assert len(sink.commands) == 1


def test_webhook_mode_needs_a_secret(fake_api: FakeBotApi, sink: FakeCommandSink) -> None:
    for secret in (None, "", "has spaces", "x" * 257):
        with pytest.raises(ValueError, match="secret"):
            TelegramAdapter(
                token=fake_api.token, sink=sink, webhook_url="https://bot.example.com/hook", webhook_secret=secret
            )


async def test_a_restart_keeps_pending_buttons_pressable_and_delivers_queued_edits(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    first = await start_adapter()
    ref = await first.notifier.post(OPS, status_card("waiting", buttons=stop_button()))
    await first.notifier.edit(ref, status_card("waiting for approval", buttons=stop_button()))
    await first.stop()
    assert "State: waiting for approval" in fake_api.messages[(GROUP, int(ref.key))]["text"]

    await start_adapter()  # a new process: nothing carried over but what Telegram holds
    query_id = await fake_api.press(GROUP, int(ref.key), BOB, "st:7")
    (command,) = await sink.wait_for_commands(1)
    assert isinstance(command, PressButton)
    assert (command.action, command.token, command.actor) == (ButtonAction.STOP, "7", "telegram:222")
    await fake_api.wait_for(lambda: query_id in fake_api.answers)


async def test_stop_without_start_is_harmless(fake_api: FakeBotApi, sink: FakeCommandSink) -> None:
    adapter = TelegramAdapter(token=fake_api.token, sink=sink, base_url=fake_api.base_url)
    await adapter.stop()
    assert fake_api.calls == []  # nothing connects before start()


async def test_the_token_never_reaches_the_logs(
    fake_api: FakeBotApi, start_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = await start_adapter()
    await adapter.notifier.reply(OPS, "hello")
    assert any("sendMessage" in record.getMessage() for record in caplog.records)  # httpx did log the call
    assert not [record for record in caplog.records if fake_api.token in record.getMessage()]
