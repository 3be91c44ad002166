"""Who and where in the Telegram contract tests, and the adapter-factory fixture's type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.telegram.app import TelegramAdapter

ALICE = {"id": 111, "is_bot": False, "first_name": "Alice", "username": "alice"}
BOB = {"id": 222, "is_bot": False, "first_name": "Bob", "username": "bob"}
ROBOT = {"id": 999, "is_bot": True, "first_name": "Other Bot", "username": "other_bot"}
GROUP = -1001234567890

AdapterFactory = Callable[..., Awaitable[TelegramAdapter]]
