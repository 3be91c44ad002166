"""Cards and replies drawn in a terminal. Buttons are numbered; the console remembers them for typing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.values import ConversationRef, MessageRef
from bot.render.card import Card
from bot.render.plain import card_as_text

__all__ = ["ConsoleNotifier", "TypedButton"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TypedButton:
    number: int
    label: str
    payload: str
    card_title: str


class ConsoleNotifier:
    """Implements ``bot.ports.Notifier`` for the terminal. ``write`` receives whole blocks of text."""

    def __init__(self, write: Callable[[str], None], files_dir: str | None = None) -> None:
        self._write = write
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._shown: dict[str, str] = {}  # message key -> last text drawn (identical edits are skipped)
        self._buttons: dict[str, list[TypedButton]] = {}  # message key -> its live buttons
        self.files_dir = files_dir
        self.uploads: list[tuple[str, bytes]] = []

    # ----- typed buttons
    def find_button(self, text: str) -> TypedButton | None:
        """A typed ``3``, ``[3]`` or a label like ``approve`` (the newest card offering it)."""
        wanted = text.strip().strip("[]").lower()
        live = [b for buttons in self._buttons.values() for b in buttons]
        if wanted.isdigit():
            return next((b for b in live if b.number == int(wanted)), None)
        matches = [b for b in live if b.label.lower() == wanted]
        return max(matches, key=lambda b: b.number) if matches else None

    def _draw(self, key: str, card: Card, *, edited: bool) -> None:
        buttons = [TypedButton(number=next(self._numbers), label=b.label, payload=b.payload, card_title=card.title)
                   for b in card.buttons]
        self._buttons[key] = buttons
        text = card_as_text(card, with_buttons=False)
        if buttons:
            text += "\n" + "  ".join(f"[{b.number}] {b.label}" for b in buttons)
        if self._shown.get(key) == card_as_text(card):
            return
        self._shown[key] = card_as_text(card)
        marker = "↻ " if edited else ""
        self._write(f"┌─ {marker}{text.replace(chr(10), chr(10) + '│ ')}\n└─")

    # ----- Notifier
    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None) -> MessageRef:
        key = str(next(self._ids))
        self._draw(key, card, edited=False)
        return MessageRef(conversation=conversation, key=key, thread=thread.key if thread else None)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        self._draw(ref.key, card, edited=True)

    async def reply(self, conversation: ConversationRef, text: str, *, thread: MessageRef | None = None,
                    ephemeral_to: str | None = None) -> None:
        who = f" (to {conversation})" if conversation.platform != "console" else ""
        self._write(f"» {text}{who}")

    async def upload(self, conversation: ConversationRef, filename: str, content: bytes, *,
                     thread: MessageRef | None = None, comment: str = "") -> None:
        self.uploads.append((filename, content))
        self._write(f"» {comment or filename}\n{content.decode(errors='replace')}")
