"""The platform-neutral card model. Adapters turn a Card into Telegram HTML, Block Kit or terminal text.

All text in a Card is plain and already redacted; adapters escape it for their platform and enforce their
own size limits (always with a visible truncation marker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.services.commands import ButtonAction

__all__ = ["Button", "Card", "CardKind", "Field"]

CardKind = Literal["status", "approval", "review", "notice"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    label: str  # "Approve", "Deny", "Stop", …
    action: ButtonAction
    token: str  # opaque; the payload a platform carries is f"{action.value}:{token}" (≤ 64 bytes)
    style: Literal["primary", "danger", "default"] = "default"

    @property
    def payload(self) -> str:
        return f"{self.action.value}:{self.token}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """One chat message the bot owns.

    ``key`` identifies the card across edits (``status:7``, ``approval:<id>``, ``review:7``).
    ``title`` is the headline; ``badges`` short risk/queue tags; ``fields`` label/value rows; ``blocker`` a
    plain "waiting for …" line; ``body`` paragraphs; ``code`` a monospace block (command line, diff excerpt,
    output tail); ``buttons`` the actions still open; ``decided`` replaces buttons after a decision
    ("Approved by slack:U222").
    """

    key: str
    kind: CardKind
    title: str
    hotfix_id: int | None = None
    badges: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    blocker: str | None = None
    body: tuple[str, ...] = ()
    code: str | None = None
    code_label: str | None = None
    buttons: tuple[Button, ...] = ()
    decided: str | None = None

    def fallback_text(self) -> str:
        """One plain line for notifications and screen readers."""
        parts = [self.title]
        if self.blocker:
            parts.append(self.blocker)
        elif self.decided:
            parts.append(self.decided)
        return " — ".join(parts)
