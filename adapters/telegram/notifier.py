"""``TelegramNotifier``: the core's ``Notifier`` port over a python-telegram-bot ``Bot``.

Every call goes through one :class:`adapters.common.throttle.Throttle` (a lane per chat): at most one message
or edit per second per chat and 20 per minute per group, 30 per second overall. Card edits are coalesced per
message, so the latest state of every card lands. Telegram errors are translated for the throttle:
``RetryAfter`` -> wait as told; timeouts, network errors and 5xx -> retry with backoff and jitter;
"message is not modified" -> done.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from adapters.common.throttle import RateLimit, RetryLater, RetryPolicy, Throttle, TransientError
from adapters.telegram.outbound import (
    force_reply,
    render_caption,
    render_card,
    render_prompt,
    render_text,
)
from bot.domain.values import ConversationRef, MessageRef
from bot.render.card import Card

__all__ = ["TelegramNotifier", "telegram_throttle"]

T = TypeVar("T")
log = logging.getLogger(__name__)

PER_CHAT = RateLimit(count=1, per=1.0)
PER_GROUP = RateLimit(count=20, per=60.0)
OVERALL = RateLimit(count=30, per=1.0)


def _limits_for(chat_key: str) -> tuple[RateLimit, ...]:
    """Telegram gives groups, supergroups and channels negative ids; private chats positive ones."""
    return (PER_CHAT, PER_GROUP) if chat_key.startswith("-") else (PER_CHAT,)


def telegram_throttle(*, retry: RetryPolicy | None = None) -> Throttle:
    """A throttle with Telegram's documented flood limits."""
    return Throttle(limits_for=_limits_for, global_limits=(OVERALL,), retry=retry)


def _retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int becomes a timedelta
        warnings.simplefilter("ignore")
        value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _translated(call: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T | None]]:
    """Wrap one Bot API call so its errors speak the throttle's language."""

    async def attempt() -> T | None:
        try:
            return await call()
        except RetryAfter as error:
            raise RetryLater(_retry_after_seconds(error)) from error
        except BadRequest as error:
            if "message is not modified" in error.message.lower():
                return None
            raise
        except NetworkError as error:  # TimedOut, connection errors, 5xx (BadRequest is handled above)
            raise TransientError(type(error).__name__) from error

    return attempt


def _chat_id(conversation: ConversationRef) -> int | str:
    key = conversation.key
    return int(key) if key.lstrip("-").isdigit() else key


def _reply_to(thread: MessageRef | None) -> ReplyParameters | None:
    if thread is None or not thread.key.isdigit():
        return None
    return ReplyParameters(message_id=int(thread.key), allow_sending_without_reply=True)


def _topic(thread: MessageRef | None) -> int | None:
    return int(thread.thread) if thread and thread.thread and thread.thread.isdigit() else None


class TelegramNotifier:
    """Implements ``bot.ports.Notifier`` for Telegram (plus ``prompt`` for the Revise flow)."""

    def __init__(self, *, bot: Bot, throttle: Throttle | None = None) -> None:
        self._bot = bot
        self._throttle = throttle or telegram_throttle()

    @property
    def throttle(self) -> Throttle:
        return self._throttle

    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None) -> MessageRef:
        rendered = render_card(card)
        message = await self._send(
            conversation,
            lambda: self._bot.send_message(
                chat_id=_chat_id(conversation),
                text=rendered.html,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.keyboard,
                reply_parameters=_reply_to(thread),
                message_thread_id=_topic(thread),
            ),
        )
        return MessageRef(conversation=conversation, key=str(message.message_id), thread=_topic_key(thread))

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Queue the card's new state; returns at once. The latest state of every card is delivered."""
        rendered = render_card(card)
        edit = _translated(
            lambda: self._bot.edit_message_text(
                chat_id=_chat_id(ref.conversation),
                message_id=int(ref.key),
                text=rendered.html,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.keyboard,
            )
        )
        self._throttle.coalesce(ref.conversation.key, f"edit:{ref.key}", edit)

    async def reply(
        self,
        conversation: ConversationRef,
        text: str,
        *,
        thread: MessageRef | None = None,
        ephemeral_to: str | None = None,  # Telegram has no ephemeral messages: the chat sees it
    ) -> None:
        await self._send(
            conversation,
            lambda: self._bot.send_message(
                chat_id=_chat_id(conversation),
                text=render_text(text),
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply_to(thread),
                message_thread_id=_topic(thread),
            ),
        )

    async def upload(
        self,
        conversation: ConversationRef,
        filename: str,
        content: bytes,
        *,
        thread: MessageRef | None = None,
        comment: str = "",
    ) -> None:
        await self._send(
            conversation,
            lambda: self._bot.send_document(
                chat_id=_chat_id(conversation),
                document=InputFile(content, filename=filename),
                caption=render_caption(comment) if comment else None,
                parse_mode=ParseMode.HTML if comment else None,
                reply_parameters=_reply_to(thread),
                message_thread_id=_topic(thread),
            ),
        )

    async def prompt(
        self,
        conversation: ConversationRef,
        prompt: str,
        *,
        hotfix_id: int,
        thread: MessageRef | None = None,
        person_id: int | None = None,
        person_name: str = "",
    ) -> MessageRef:
        """Ask ``person`` for free text: a message with ForceReply whose reply becomes ``ReviseHotfix``."""
        message = await self._send(
            conversation,
            lambda: self._bot.send_message(
                chat_id=_chat_id(conversation),
                text=render_prompt(prompt, hotfix_id, person_id=person_id, person_name=person_name),
                parse_mode=ParseMode.HTML,
                reply_markup=force_reply(hotfix_id),
                reply_parameters=_reply_to(thread),
                message_thread_id=_topic(thread),
            ),
        )
        return MessageRef(conversation=conversation, key=str(message.message_id), thread=_topic_key(thread))

    async def flush(self) -> None:
        """Wait until every queued card edit has been delivered (or dropped as undeliverable)."""
        await self._throttle.drain()

    async def close(self, *, timeout: float = 10.0) -> None:
        await self._throttle.close(timeout=timeout)

    async def _send(self, conversation: ConversationRef, call: Callable[[], Awaitable[Message]]) -> Message:
        message = await self._throttle.send(conversation.key, _translated(call))
        if message is None:  # only an edit can be "not modified"; a send always returns its message
            raise TelegramError("Telegram returned no message")
        return message


def _topic_key(thread: MessageRef | None) -> str | None:
    topic = _topic(thread)
    return str(topic) if topic is not None else None
