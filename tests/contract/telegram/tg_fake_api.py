"""A fake Telegram Bot API server (aiohttp, 127.0.0.1:0) that behaves like Telegram for what the bot uses.

Serves ``POST|GET /bot<token>/<method>`` with Telegram's envelope (``{"ok":true,"result":…}`` or
``{"ok":false,"error_code":…,"description":…}``): getMe, getUpdates (long poll with offset/timeout; 409 while a
webhook is set), setMyCommands, sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
sendDocument (multipart), deleteWebhook, setWebhook. It checks what Telegram checks: the 4096-character
text and 1024-character caption limits after HTML parsing, HTML parse errors, ``callback_data`` of 1-64 bytes
(``BUTTON_DATA_INVALID``), "message is not modified", unknown or already-answered callback queries. Faults are
injected per method (:meth:`FakeBotApi.inject`: 429 with ``retry_after``, 5xx, a stalled response). Every call
is recorded (:attr:`FakeBotApi.calls`) with its arrival time.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from tg_fake_html import utf16_length
from tg_fake_wire import ApiError, chat_of, checked_markup, checked_text, read_params

TOKEN = "7000000001:AAFakeTokenForTests-0123456789abcdef"
BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Hotfix Bot",
    "username": "hotfix_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
CHAT_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    error: str | None = None  # the description when the fake refused it


@dataclass
class Fault:
    kind: str  # "429" | "500" | "502" | "stall"
    retry_after: int = 1
    stall_seconds: float = 3.0


class FakeBotApi:
    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.unknown_methods: list[str] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat id, message id) -> Message
        self.html: dict[tuple[int, int], str] = {}  # the HTML each bot message was last sent with
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.answers: dict[str, dict[str, Any]] = {}
        self._open_queries: set[str] = set()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite
        self.port = 0
        self.offline = False
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        self.port = int(self._runner.addresses[0][1])
        self.url = f"http://127.0.0.1:{self.port}"

    async def go_offline(self) -> None:
        """Stop listening (connections are refused; open ones are cut) until :meth:`come_back`."""
        self.offline = True
        await self._site.stop()

    async def come_back(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        self.offline = False

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what tests drive ------------------------------------------------------------------------
    def inject(self, method: str, kind: str, *, times: int = 1, retry_after: int = 1, stall: float = 3.0) -> None:
        """The next ``times`` calls of ``method`` fail with ``kind`` (429, 500, 502 or stall)."""
        self._faults.setdefault(method, []).extend(
            Fault(kind=kind, retry_after=retry_after, stall_seconds=stall) for _ in range(times)
        )

    async def push_update(self, update: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        await self._notify()
        return int(update["update_id"])

    def new_message(self, chat_id: int, sender: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
        """A message from a person, stored so that bot messages can reply to it."""
        message_id = self._next_message_id(chat_id)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat_of(chat_id),
            "from": sender,
            "text": text,
            **extra,
        }
        self.messages[(chat_id, message_id)] = message
        return message

    async def push_command(self, chat_id: int, sender: dict[str, Any], text: str) -> dict[str, Any]:
        command = text.split(maxsplit=1)[0] if text.strip() else ""
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]
        message = self.new_message(chat_id, sender, text, entities=entities)
        await self.push_update({"message": message})
        return message

    async def push_reply(self, chat_id: int, sender: dict[str, Any], text: str, *, to: int) -> dict[str, Any]:
        message = self.new_message(chat_id, sender, text, reply_to_message=self.messages[(chat_id, to)])
        await self.push_update({"message": message})
        return message

    async def press(self, chat_id: int, message_id: int, sender: dict[str, Any], data: str) -> str:
        query_id = f"q{next(self._update_ids)}"
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": sender,
            "chat_instance": "-8839393823377",
            "data": data,
            "message": self.messages[(chat_id, message_id)],
        }
        await self.push_update({"callback_query": query})
        return query_id

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and not (ok_only and c.error)]

    def chat_calls(self, chat_id: int) -> list[Call]:
        """Accepted message-producing calls to one chat (what Telegram's flood limits count)."""
        return [
            c
            for c in self.calls
            if c.method in CHAT_METHODS and not c.error and int(c.params.get("chat_id", 0)) == chat_id
        ]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [
            m for (chat, _), m in sorted(self.messages.items()) if chat == chat_id and m["from"]["id"] == BOT_USER["id"]
        ]

    async def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 30.0) -> None:
        """Until ``predicate()`` holds (checked after every call the fake receives)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- the wire --------------------------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.Response:
        if self.offline and request.transport is not None:  # a kept-alive connection: cut it, answer nothing
            request.transport.abort()
            raise web.HTTPServiceUnavailable()
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params, files = await read_params(request)
        call = Call(method=method, params=params, at=time.monotonic(), files=files)
        self.calls.append(call)
        try:
            await self._maybe_fault(method)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                self.unknown_methods.append(method)
                raise ApiError(404, "Not Found")
            result = await handler(params, files)
        except ApiError as error:
            call.error = error.description
            await self._notify()
            body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            return web.json_response(body, status=error.code)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _maybe_fault(self, method: str) -> None:
        queue = self._faults.get(method)
        if not queue:
            return
        fault = queue.pop(0)
        if fault.kind == "429":
            raise ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", {"retry_after": fault.retry_after}
            )
        if fault.kind == "stall":
            await asyncio.sleep(fault.stall_seconds)
            raise ApiError(504, "Gateway Timeout")
        raise ApiError(int(fault.kind), "Internal Server Error" if fault.kind == "500" else "Bad Gateway")

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(10)))

    # ---- methods ---------------------------------------------------------------------------------
    async def _api_getMe(self, params: dict[str, Any], files: Any) -> Any:
        return BOT_USER

    async def _api_setMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        self.commands = list(params.get("commands") or [])
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    async def _api_getUpdates(self, params: dict[str, Any], files: Any) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset, timeout = int(params.get("offset") or 0), float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones go
        if not self._updates and timeout > 0:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)), timeout)
                except TimeoutError:
                    pass
        return self._updates[:100]

    async def _api_sendMessage(self, params: dict[str, Any], files: Any) -> Any:
        chat_id = int(params["chat_id"])
        text = checked_text(params.get("text", ""), params.get("parse_mode"), limit=4096)
        markup = checked_markup(params.get("reply_markup"))
        self._check_reply_target(chat_id, params.get("reply_parameters"))
        return self._store(chat_id, self._next_message_id(chat_id), text, params, markup)

    async def _api_editMessageText(self, params: dict[str, Any], files: Any) -> Any:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        current = self._bot_message(chat_id, message_id)
        text = checked_text(params.get("text", ""), params.get("parse_mode"), limit=4096)
        markup = checked_markup(params.get("reply_markup"))
        if (self.html[(chat_id, message_id)], current.get("reply_markup")) == (params.get("text"), markup):
            raise ApiError(400, NOT_MODIFIED)
        return self._store(chat_id, message_id, text, params, markup, date=current["date"])

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> Any:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        current = self._bot_message(chat_id, message_id)
        markup = checked_markup(params.get("reply_markup"))
        if current.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        current.pop("reply_markup", None)
        if markup:
            current["reply_markup"] = markup
        return current

    async def _api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> Any:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if utf16_length(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.answers[query_id] = params
        return True

    async def _api_sendDocument(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Any:
        chat_id = int(params["chat_id"])
        if "document" not in files:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = params.get("caption")
        if caption:
            visible = checked_text(caption, params.get("parse_mode"), limit=None)
            if utf16_length(visible) > 1024:
                raise ApiError(400, "Bad Request: message caption is too long")
        filename, content = files["document"]
        message = self._store(chat_id, self._next_message_id(chat_id), None, params, None)
        message["document"] = {
            "file_id": f"doc{len(self.calls)}",
            "file_unique_id": f"u{len(self.calls)}",
            "file_name": filename,
            "mime_type": "text/x-diff",
            "file_size": len(content),
        }
        return message

    # ---- checks and storage ----------------------------------------------------------------------
    def _bot_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        message = self.messages.get((chat_id, message_id))
        if message is None or message["from"]["id"] != BOT_USER["id"]:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _check_reply_target(self, chat_id: int, reply_parameters: dict[str, Any] | None) -> None:
        if not reply_parameters:
            return
        target = int(reply_parameters["message_id"])
        if (chat_id, target) not in self.messages and not reply_parameters.get("allow_sending_without_reply"):
            raise ApiError(400, "Bad Request: message to be replied not found")

    def _store(
        self,
        chat_id: int,
        message_id: int,
        text: str | None,
        params: dict[str, Any],
        markup: dict[str, Any] | None,
        date: int | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": date or int(time.time()),
            "chat": chat_of(chat_id),
            "from": BOT_USER,
        }
        if text is not None:
            message["text"] = text
            self.html[(chat_id, message_id)] = params.get("text", "")
        if markup:
            message["reply_markup"] = markup
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        if reply_to is not None and (chat_id, int(reply_to)) in self.messages:
            message["reply_to_message"] = self.messages[(chat_id, int(reply_to))]
        self.messages[(chat_id, message_id)] = message
        return message
