"""``TelegramAdapter``: python-telegram-bot 22 wired to the core, on the caller's event loop.

Nothing connects at construction; ``start()`` initialises the bot (``getMe``), registers the command menu
(``setMyCommands``: hotfix, help, start) and starts long polling, or the webhook server when ``webhook_url``
is given (then ``webhook_secret`` is required and a request with a wrong or missing
``X-Telegram-Bot-Api-Secret-Token`` is answered 403 by PTB's server and changes nothing). ``stop()`` stops
taking updates, delivers queued card edits (bounded), and shuts PTB down. The token never appears in a repr
or in a log line of httpx or PTB (a filter on their loggers redacts it until ``stop()``).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from adapters.common.throttle import Throttle
from adapters.telegram.handlers import TelegramHandlers
from adapters.telegram.notifier import TelegramNotifier
from bot.ports import CommandSink

__all__ = ["BOT_COMMANDS", "TelegramAdapter", "build_application"]

log = logging.getLogger(__name__)

BOT_COMMANDS = (
    BotCommand("hotfix", "File a hotfix or manage one: /hotfix <what is broken>"),
    BotCommand("help", "How to use the hotfix bot"),
    BotCommand("start", "Introduction and help"),
)
ALLOWED_UPDATES = ("message", "callback_query")
# Loggers that may print a request URL (and so the token): httpx at INFO, PTB at DEBUG.
URL_LOGGERS = (
    "httpx",
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.ext.Application",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.request",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
)
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def build_application(*, token: str, base_url: str, read_timeout: float) -> Application:
    """A PTB Application that talks to ``base_url`` (the token is appended) and runs handlers concurrently."""
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .read_timeout(read_timeout)
        .write_timeout(read_timeout)
        .connect_timeout(read_timeout)
        .get_updates_read_timeout(read_timeout)
        .concurrent_updates(True)
        .build()
    )


class _TokenRedactor(logging.Filter):
    """httpx logs every request URL, and Telegram URLs carry the token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        return True


class TelegramAdapter:
    def __init__(
        self,
        *,
        token: str,
        sink: CommandSink,
        base_url: str = "https://api.telegram.org/bot",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_port: int = 8443,
        webhook_listen: str = "127.0.0.1",
        poll_timeout: int = 10,
        read_timeout: float = 10.0,
        throttle: Throttle | None = None,
        answer_within: float = 5.0,
    ) -> None:
        if webhook_url and not _SECRET_RE.match(webhook_secret or ""):
            raise ValueError("webhook mode needs a webhook secret of 1-256 characters A-Z a-z 0-9 _ -")
        self._redactor = _TokenRedactor(token)
        for name in URL_LOGGERS:  # before PTB is built: its Bot logs the API URL when created
            logging.getLogger(name).addFilter(self._redactor)
        self._application = build_application(token=token, base_url=base_url, read_timeout=read_timeout)
        self.notifier = TelegramNotifier(bot=self._application.bot, throttle=throttle)
        TelegramHandlers(sink=sink, notifier=self.notifier, answer_within=answer_within).register(self._application)
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        self._webhook_port = webhook_port
        self._webhook_listen = webhook_listen
        self._poll_timeout = poll_timeout

    def __repr__(self) -> str:
        return f"TelegramAdapter(mode={'webhook' if self._webhook_url else 'polling'})"

    @property
    def bot_username(self) -> str | None:
        """``@username`` without the ``@`` once started (from ``getMe``)."""
        try:
            return self._application.bot.username
        except RuntimeError:  # not initialised yet
            return None

    async def start(self) -> None:
        await self._application.initialize()
        await self._set_commands()
        updater = self._application.updater
        assert updater is not None
        if self._webhook_url:
            await updater.start_webhook(
                listen=self._webhook_listen,
                port=self._webhook_port,
                url_path=urlsplit(self._webhook_url).path,
                webhook_url=self._webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await updater.start_polling(timeout=self._poll_timeout, allowed_updates=list(ALLOWED_UPDATES))
        await self._application.start()
        log.info("telegram adapter started (%r)", self)

    async def stop(self) -> None:
        updater = self._application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._application.running:
            await self._application.stop()
        await self.notifier.close()
        await self._application.shutdown()
        for name in URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._redactor)

    async def _set_commands(self) -> None:
        try:
            await self._application.bot.set_my_commands(list(BOT_COMMANDS))
        except TelegramError as error:  # the menu is a convenience; the bot works without it
            log.warning("setMyCommands failed: %s", type(error).__name__)
