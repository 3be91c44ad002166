"""A Notifier that routes each call to the adapter of the conversation's platform."""

from __future__ import annotations

import logging

from bot.domain.values import ConversationRef, MessageRef
from bot.ports import Notifier
from bot.render.card import Card

__all__ = ["NotifierRouter", "UnknownPlatform"]

log = logging.getLogger(__name__)


class UnknownPlatform(LookupError):
    pass


class NotifierRouter:
    def __init__(self, notifiers: dict[str, Notifier] | None = None) -> None:
        self._by_platform: dict[str, Notifier] = dict(notifiers or {})

    def register(self, platform: str, notifier: Notifier) -> None:
        self._by_platform[platform] = notifier

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self._by_platform)

    def _for(self, conversation: ConversationRef) -> Notifier:
        try:
            return self._by_platform[conversation.platform]
        except KeyError:
            raise UnknownPlatform(f"no adapter for {conversation.platform}") from None

    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None) -> MessageRef:
        return await self._for(conversation).post(conversation, card, thread=thread)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        await self._for(ref.conversation).edit(ref, card)

    async def reply(self, conversation: ConversationRef, text: str, *, thread: MessageRef | None = None,
                    ephemeral_to: str | None = None) -> None:
        await self._for(conversation).reply(conversation, text, thread=thread, ephemeral_to=ephemeral_to)

    async def upload(self, conversation: ConversationRef, filename: str, content: bytes, *,
                     thread: MessageRef | None = None, comment: str = "") -> None:
        await self._for(conversation).upload(conversation, filename, content, thread=thread, comment=comment)
