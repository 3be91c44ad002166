"""``SlackNotifier``: bot.ports.Notifier over the Slack Web API.

Every write goes through the shared ``Throttle`` (adapters/common/throttle.py) in the channel's lane: at most
one per second and 20 per minute per channel; card edits are coalesced per message so the latest state always
lands. 429 (``Retry-After``), connection errors and 500/503 are first retried inside slack_sdk by the
client's retry handlers; what is still failing after that is handed to the throttle as ``RetryLater`` or
``TransientError``, and anything else is permanent (``SlackDeliveryError``; a card edit is then dropped).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.throttle import RateLimit, RetryLater, Throttle, TransientError
from adapters.slack.errors import SlackDeliveryError
from adapters.slack.inbound import user_id_of
from adapters.slack.outbound import fit_mrkdwn, render_card, render_text
from bot.domain.values import ConversationRef, MessageRef
from bot.render.card import Card

__all__ = ["SlackNotifier", "slack_throttle"]

T = TypeVar("T")
_log = logging.getLogger(__name__)
_SNIPPET_TYPES = {".diff": "diff", ".patch": "diff", ".py": "python", ".json": "json", ".log": "text"}
_TRANSIENT_STATUS = frozenset({408, 500, 502, 503, 504})


def slack_throttle(*, min_interval: float = 1.0, per_minute: int = 20) -> Throttle:
    """Slack's pace per channel: one write per ``min_interval`` seconds and ``per_minute`` per minute."""
    limits = (RateLimit(count=1, per=min_interval), RateLimit(count=per_minute, per=60.0))
    return Throttle(limits_for=lambda _channel: limits)


def _thread_ts(thread: MessageRef | None) -> str | None:
    """Replies go under the thread's root: the card's own thread, or the card itself."""
    if thread is None:
        return None
    return thread.thread or thread.key


def _snippet_type(filename: str) -> str | None:
    dot = filename.rfind(".")
    return _SNIPPET_TYPES.get(filename[dot:].lower()) if dot != -1 else None


def _describe(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.status_code} {error.response.get('error', '')}".strip()
    return type(error).__name__


def _retry_after(error: SlackApiError) -> float:
    headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
    value = headers.get("retry-after", "1")
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return 1.0


async def _classified(method: str, call: Callable[[], Awaitable[T]]) -> T:
    """Run one Web API call; sort its failure into the throttle's retry later / transient / permanent."""
    try:
        return await call()
    except SlackApiError as error:
        status = error.response.status_code
        if status == 429:
            raise RetryLater(_retry_after(error)) from error
        if status in _TRANSIENT_STATUS:
            raise TransientError(f"{method}: {_describe(error)}") from error
        raise SlackDeliveryError(f"{method}: {_describe(error)}") from error
    except (OSError, TimeoutError) as error:
        raise TransientError(f"{method}: {_describe(error)}") from error
    except SlackClientError as error:
        raise SlackDeliveryError(f"{method}: {_describe(error)}") from error


class SlackNotifier:
    def __init__(self, *, client: AsyncWebClient, throttle: Throttle | None = None) -> None:
        self._client = client
        self._throttle = throttle or slack_throttle()

    def __repr__(self) -> str:
        return "SlackNotifier()"

    async def _send(self, lane: str, method: str, **kwargs: Any) -> dict[str, Any]:
        async def call() -> dict[str, Any]:
            response = await self._client.api_call(method, json=kwargs)
            return dict(response.data) if isinstance(response.data, dict) else {}

        return await self._throttle.send(lane, lambda: _classified(method, call))

    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None) -> MessageRef:
        message = render_card(card)
        thread_ts = _thread_ts(thread)
        params: dict[str, Any] = {"channel": conversation.key, "text": message.text, "blocks": list(message.blocks)}
        if thread_ts:
            params["thread_ts"] = thread_ts
        answer = await self._send(conversation.key, "chat.postMessage", **params)
        return MessageRef(conversation=conversation, key=str(answer["ts"]), thread=thread_ts)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Queue the card's new state and return; the newest queued state of each message is what lands."""
        message = render_card(card)
        channel = ref.conversation.key

        async def call() -> object:
            return await self._client.chat_update(
                channel=channel, ts=ref.key, text=message.text, blocks=list(message.blocks)
            )

        self._throttle.coalesce(channel, f"card:{ref.key}", lambda: _classified("chat.update", call))

    async def reply(
        self,
        conversation: ConversationRef,
        text: str,
        *,
        thread: MessageRef | None = None,
        ephemeral_to: str | None = None,
    ) -> None:
        params: dict[str, Any] = {"channel": conversation.key, "text": render_text(text)}
        thread_ts = _thread_ts(thread)
        if thread_ts:
            params["thread_ts"] = thread_ts
        if ephemeral_to is None:
            await self._send(conversation.key, "chat.postMessage", **params)
            return
        user_id = user_id_of(ephemeral_to)
        if user_id is None:  # never turn a private answer into a public one
            _log.warning("private reply to a non-Slack person dropped")
            return
        await self._send(conversation.key, "chat.postEphemeral", user=user_id, **params)

    async def upload(
        self,
        conversation: ConversationRef,
        filename: str,
        content: bytes,
        *,
        thread: MessageRef | None = None,
        comment: str = "",
    ) -> None:
        async def call() -> object:
            return await self._client.files_upload_v2(
                channel=conversation.key,
                filename=filename,
                title=filename,
                content=content,
                snippet_type=_snippet_type(filename),
                thread_ts=_thread_ts(thread),
                initial_comment=fit_mrkdwn(comment) if comment else None,
            )

        await self._throttle.send(conversation.key, lambda: _classified("files_upload_v2", call))

    async def drain(self) -> None:
        """Wait until every queued card state has been delivered (or dropped as undeliverable)."""
        await self._throttle.drain()

    async def close(self, *, timeout: float = 5.0) -> None:
        await self._throttle.close(timeout=timeout)
