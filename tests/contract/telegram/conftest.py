"""Fixtures: a fake Bot API server on 127.0.0.1:0, a FakeCommandSink, and real TelegramAdapters pointed at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tg_fake_api import FakeBotApi
from tg_fake_sink import FakeCommandSink
from tg_people import AdapterFactory

from adapters.telegram.app import TelegramAdapter

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
def sink() -> FakeCommandSink:
    return FakeCommandSink()


@pytest.fixture
async def start_adapter(fake_api: FakeBotApi, sink: FakeCommandSink) -> AsyncIterator[AdapterFactory]:
    """Start a TelegramAdapter against the fake (polling unless told otherwise); all stopped at the end."""
    started: list[TelegramAdapter] = []

    async def start(**overrides: Any) -> TelegramAdapter:
        options: dict[str, Any] = {
            "token": fake_api.token,
            "sink": sink,
            "base_url": fake_api.base_url,
            "poll_timeout": 1,
            "read_timeout": 3.0,
        }
        options.update(overrides)
        adapter = TelegramAdapter(**options)
        await adapter.start()
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        await adapter.stop()
