"""A Notifier that records what a person would see."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.domain.values import ConversationRef, MessageRef
from bot.render.card import Card


@dataclass
class Posted:
    ref: MessageRef
    cards: list[Card] = field(default_factory=list)

    @property
    def card(self) -> Card:
        return self.cards[-1]


class FakeNotifier:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.messages: dict[str, Posted] = {}
        self.replies: list[tuple[ConversationRef, str]] = []
        self.uploads: list[tuple[ConversationRef, str, bytes]] = []

    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None) -> MessageRef:
        ref = MessageRef(conversation=conversation, key=str(next(self._ids)), thread=thread.key if thread else None)
        self.messages[ref.key] = Posted(ref=ref, cards=[card])
        return ref

    async def edit(self, ref: MessageRef, card: Card) -> None:
        self.messages[ref.key].cards.append(card)

    async def reply(self, conversation: ConversationRef, text: str, *, thread: MessageRef | None = None,
                    ephemeral_to: str | None = None) -> None:
        self.replies.append((conversation, text))

    async def upload(self, conversation: ConversationRef, filename: str, content: bytes, *,
                     thread: MessageRef | None = None, comment: str = "") -> None:
        self.uploads.append((conversation, filename, content))

    # ----- assertions
    def cards(self, kind: str) -> list[Card]:
        return [p.card for p in self.messages.values() if p.card.kind == kind]

    def latest(self, key_prefix: str) -> Card:
        found = [p.card for p in self.messages.values() if p.card.key.startswith(key_prefix)]
        assert found, f"no card {key_prefix!r}; have {[p.card.key for p in self.messages.values()]}"
        return found[-1]
