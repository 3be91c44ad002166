"""The Slack adapter's exceptions and its one error boundary.

Exception tree::

    SlackAdapterError            anything this adapter raises on purpose
    └── SlackDeliveryError       a Web API call failed for good (after slack_sdk's retries); no token inside

``ErrorBoundary.guard`` wraps every listener body: an exception is caught once, logged redacted with a short
correlation id, and the person gets one line naming that id, never a stack trace.
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Awaitable, Callable

__all__ = ["ErrorBoundary", "SlackAdapterError", "SlackDeliveryError", "redact"]

_SECRET_PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)(v0=)[0-9a-f]{16,}"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?bearer\s+)\S+"),
)


class SlackAdapterError(Exception):
    pass


class SlackDeliveryError(SlackAdapterError):
    pass


def redact(text: str, *extra_secrets: str) -> str:
    """Mask Slack tokens, signatures, bearer headers and any given secret values."""
    for secret in extra_secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


def new_correlation_id() -> str:
    return secrets.token_hex(4)


class ErrorBoundary:
    """Catches what escapes a listener: logs it redacted and answers the person with a correlation id."""

    def __init__(self, *, logger: logging.Logger, secrets_to_mask: tuple[str, ...] = ()) -> None:
        self._logger = logger
        self._secrets = secrets_to_mask

    def record(self, error: BaseException, *, where: str) -> str:
        """Log ``error`` once, redacted, and return its correlation id."""
        ref = new_correlation_id()
        trace = "".join(traceback.format_exception(error))
        self._logger.error("slack %s failed [ref %s]: %s", where, ref, redact(trace, *self._secrets))
        return ref

    @staticmethod
    def apology(ref: str) -> str:
        return f"Sorry, something went wrong on our side (ref {ref}). Please try again in a moment."

    async def guard(
        self,
        work: Callable[[], Awaitable[object]],
        *,
        where: str,
        answer: Callable[[str], Awaitable[object]] | None = None,
    ) -> bool:
        """Run ``work``; True when it finished, False when it failed (and was logged and apologised for)."""
        try:
            await work()
        except Exception as error:
            ref = self.record(error, where=where)
            if answer is not None:
                try:
                    await answer(self.apology(ref))
                except Exception as second:
                    self.record(second, where=f"{where} (apology)")
            return False
        return True
