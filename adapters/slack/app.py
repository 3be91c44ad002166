"""``SlackAdapter``: the bolt ``AsyncApp`` on the shared event loop, in Socket Mode or HTTP mode.

Socket Mode when an app token (``xapp-…``) is given; otherwise an aiohttp server on ``http_host:http_port``
whose requests bolt verifies against the signing secret (bad, missing or stale signatures: 401, nothing
happens). Nothing connects before ``start()``; tokens never appear in reprs or logs.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import ErrorBoundary
from adapters.slack.listeners import SlackListeners, register_listeners
from adapters.slack.notifier import SlackNotifier, slack_throttle
from bot.ports import CommandSink

__all__ = ["EVENTS_PATH", "SlackAdapter", "build_bolt_app", "build_web_client"]

EVENTS_PATH = "/slack/events"
_log = logging.getLogger("adapters.slack")


def build_web_client(*, bot_token: str, api_base_url: str) -> AsyncWebClient:
    """The Web API client: retries 429 (after ``Retry-After``), connection errors and 500/503."""
    return AsyncWebClient(
        token=bot_token,
        base_url=api_base_url,
        timeout=15,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_bolt_app(
    *, client: AsyncWebClient, listeners: SlackListeners, signing_secret: str | None, boundary: ErrorBoundary
) -> AsyncApp:
    """A bolt app with the hotfix listeners. ``signing_secret`` None means Socket Mode (no HTTP requests)."""
    app = AsyncApp(
        name="hotfix-bot",
        client=client,
        signing_secret=signing_secret or "socket-mode",
        request_verification_enabled=signing_secret is not None,
        process_before_response=True,  # listeners ack themselves and move the rest to background tasks
        logger=_log,
    )

    async def on_unhandled(error: Exception) -> None:
        boundary.record(error, where="bolt")

    app.error(on_unhandled)
    register_listeners(app, listeners)
    return app


class SlackAdapter:
    def __init__(
        self,
        *,
        bot_token: str,
        sink: CommandSink,
        app_token: str | None = None,
        signing_secret: str | None = None,
        http_port: int = 3000,
        http_host: str = "0.0.0.0",
        api_base_url: str = "https://slack.com/api/",
        ack_budget: float = 2.0,
        min_interval: float = 1.0,
    ) -> None:
        if app_token is None and not signing_secret:
            raise ValueError("Slack HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        self._app_token = app_token
        self._http_port = http_port
        self._http_host = http_host
        self._boundary = ErrorBoundary(
            logger=_log, secrets_to_mask=tuple(s for s in (bot_token, app_token, signing_secret) if s)
        )
        self._client = build_web_client(bot_token=bot_token, api_base_url=api_base_url)
        self.notifier = SlackNotifier(client=self._client, throttle=slack_throttle(min_interval=min_interval))
        self._listeners = listeners = SlackListeners(
            sink=sink, notifier=self.notifier, client=self._client, boundary=self._boundary, ack_budget=ack_budget
        )
        self._app = build_bolt_app(
            client=self._client,
            listeners=listeners,
            signing_secret=None if app_token else signing_secret,
            boundary=self._boundary,
        )
        self.bound_port: int | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None

    def __repr__(self) -> str:
        mode = "socket" if self._app_token else "http"
        return f"SlackAdapter(mode={mode}, port={self.bound_port})"

    async def start(self) -> None:
        if self._app_token:
            self._socket = AsyncSocketModeHandler(self._app, app_token=self._app_token, logger=_log)
            await self._socket.connect_async()
            _log.info("Slack adapter connected in Socket Mode")
            return
        server = web.Application()
        server.add_routes([web.post(EVENTS_PATH, self._handle_http)])
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._http_host, self._http_port)
        await site.start()
        self.bound_port = _port_of(self._runner)
        _log.info("Slack adapter listening on port %s", self.bound_port)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._listeners.close()
        await self.notifier.close()

    async def _handle_http(self, request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        _repair_form_body(bolt_request)
        bolt_response = await self._app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)


def _repair_form_body(request: AsyncBoltRequest) -> None:
    """Work around slack_bolt 1.30 ``parse_body``: a form body that merely *contains* the word "payload"
    (``/hotfix the payload is empty``) is parsed as ``{}`` and answered 404. Parse such a slash command's
    form ourselves; the raw body (what the signature covers) is left untouched."""
    if request.body or "payload" not in request.raw_body or request.raw_body.startswith("{"):
        return
    form = dict(parse_qsl(request.raw_body, keep_blank_values=True))
    if "payload" in form or "command" not in form:
        return
    request.body = form
    request.context = build_async_context(AsyncBoltContext({}), form)


def _port_of(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
