"""What Slack sends to a bot in HTTP mode, built and signed like Slack does (v0 HMAC-SHA256 signatures).

Payload shapes follow Slack's documented slash-command form fields and ``block_actions`` /
``view_submission`` interaction payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_triggers = itertools.count(1)


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, *, content_type: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, body),
    }


def trigger_id() -> str:
    return f"{next(_triggers)}.4744562.803a0bc887a14d10d2c447fce8b6703c"


def slash_form(
    text: str, *, user: str = "U111", channel: str = "C0OPS", response_url: str, trigger: str | None = None
) -> str:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": "T0FAKE",
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "ops",
            "user_id": user,
            "user_name": "someone",
            "command": "/hotfix",
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger or trigger_id(),
        }
    )


def block_actions(
    *,
    value: str,
    action_id: str,
    user: str = "U222",
    channel: str = "C0OPS",
    message_ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    response_url: str | None,
    is_bot: bool = False,
    trigger: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "text": "card", "ts": message_ts, "bot_id": "B0BOT"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "bob", "name": "bob", "team_id": "T0FAKE", "is_bot": is_bot},
        "api_app_id": "A0APP",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": trigger or trigger_id(),
        "team": {"id": "T0FAKE", "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "ops"},
        "message": message,
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "hotfix_actions_0",
                "text": {"type": "plain_text", "text": "Press", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": "1700000123.456789",
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def view_submission(view: dict[str, Any], *, feedback: str, user: str = "U111") -> dict[str, Any]:
    submitted = {
        **view,
        "id": "V1",
        "team_id": "T0FAKE",
        "state": {"values": {"feedback": {"feedback_text": {"type": "plain_text_input", "value": feedback}}}},
    }
    return {
        "type": "view_submission",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "user": {"id": user, "username": "alice", "name": "alice", "team_id": "T0FAKE"},
        "api_app_id": "A0APP",
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
    }


def event_callback(
    *,
    event_id: str,
    text: str,
    user: str = "U111",
    channel: str = "C0OPS",
    ts: str = "1700000001.000200",
    bot_id: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if bot_id:
        event["bot_id"] = bot_id
    return {
        "token": "x",
        "team_id": "T0FAKE",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "authorizations": [{"team_id": "T0FAKE", "user_id": "U0BOT", "is_bot": True}],
        "event": event,
    }


def interaction_form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


class SlackSender:
    """Posts signed requests to the adapter's HTTP endpoint, like Slack's servers do."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
    ) -> tuple[int, str, str]:
        all_headers = signed_headers(body, content_type=content_type, secret=secret, timestamp=timestamp)
        all_headers.update(headers or {})
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.text()

    async def slash(self, text: str, **kwargs: Any) -> tuple[int, str, str]:
        post_kwargs = {k: kwargs.pop(k) for k in ("secret", "timestamp", "headers") if k in kwargs}
        return await self.post(
            slash_form(text, **kwargs), content_type="application/x-www-form-urlencoded", **post_kwargs
        )

    async def interaction(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, str, str]:
        return await self.post(interaction_form(payload), content_type="application/x-www-form-urlencoded", **kwargs)

    async def event(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, str, str]:
        return await self.post(json.dumps(payload), content_type="application/json", **kwargs)
