"""Fixtures for the Slack adapter's contract tests: the fake Web API, a FakeCommandSink, the adapter in
HTTP mode on 127.0.0.1:0 and a sender that signs requests like Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_fake_api import BOT_TOKEN, FakeSlackApi
from slack_fake_sink import FakeCommandSink
from slack_requests import SIGNING_SECRET, SlackSender

from adapters.slack.app import EVENTS_PATH, SlackAdapter


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def sink() -> FakeCommandSink:
    return FakeCommandSink()


@pytest.fixture
async def adapter(fake_slack: FakeSlackApi, sink: FakeCommandSink) -> AsyncIterator[SlackAdapter]:
    slack = SlackAdapter(
        bot_token=BOT_TOKEN,
        sink=sink,
        signing_secret=SIGNING_SECRET,
        http_port=0,
        http_host="127.0.0.1",
        api_base_url=fake_slack.base_url,
    )
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def sender(adapter: SlackAdapter) -> AsyncIterator[SlackSender]:
    async with aiohttp.ClientSession() as session:
        yield SlackSender(f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}", session)
