"""A fake Slack Web API (aiohttp on 127.0.0.1:0) for contract tests.

Serves what the adapter and bolt call: auth.test, chat.postMessage, chat.update, chat.postEphemeral,
views.open, files.getUploadURLExternal + the upload URL + files.completeUploadExternal, apps.connections.open,
and response_url endpoints (what ``respond()`` posts to). It checks tokens, validates Block Kit limits like
Slack does (``{"ok": false, "error": "invalid_blocks"}``), can answer 429 with Retry-After or 5xx on demand,
and records every call with its arrival time (``loop.time()``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_TOKEN = "xoxb-1111-2222-fake"
APP_TOKEN = "xapp-1-A0APP-3333-fake"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TEAM_ID = "T0FAKE"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    token: str | None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edits: int = 0


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    times: int = 1


@dataclass
class FakeSlackApi:
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies posted to response_url
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (method, why) for invalid_blocks
    unknown: list[str] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    socket_url: str | None = None
    expired_triggers: set[str] = field(default_factory=set)
    url: str = ""
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{hook}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, hook: str = "hook") -> str:
        return f"{self.url}/response/{hook}"

    # --- test controls -----------------------------------------------------------------------------------------

    def fail(self, method: str, *, status: int, retry_after: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` (429 carries ``Retry-After``)."""
        self.failures.setdefault(method, []).append(Failure(status=status, retry_after=retry_after, times=times))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def ok_calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls_of(method) if c.params.get("_answered") == 200]

    def channel_messages(self, channel: str) -> list[Message]:
        return sorted((m for m in self.messages.values() if m.channel == channel), key=lambda m: m.ts)

    async def wait_for(self, predicate: Any, *, timeout: float = 20.0) -> None:
        """Poll until ``predicate()`` is true (a correctness wait, not a timing assertion)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError("the fake Slack never saw what the test waited for")
            await asyncio.sleep(0.02)

    # --- HTTP handlers -----------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = _bearer(request) or params.get("token")
        call = Call(method=method, params=params, at=asyncio.get_running_loop().time(), token=token)
        self.calls.append(call)
        injected = self._injected_failure(method)
        if injected is not None:
            params["_answered"] = injected.status
            return injected
        params["_answered"] = 200
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self.unknown.append(method)
            return _ok_false("unknown_method")
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return _ok_false("invalid_auth")
        result: web.Response = await handler(params)
        return result

    def _injected_failure(self, method: str) -> web.Response | None:
        queue = self.failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        if failure.status == 429:
            headers = {"Retry-After": str(failure.retry_after or 1)}
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        return web.Response(status=failure.status, text="upstream trouble", content_type="text/html")

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_hook"] = request.match_info["hook"]
        self.responses.append(body)
        return web.Response(text="ok")

    # --- Web API methods ---------------------------------------------------------------------------------------

    async def _m_auth_test(self, params: dict[str, Any]) -> web.Response:
        return web.json_response(
            {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "hotfix-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            },
            headers={"x-oauth-scopes": "chat:write,commands,files:write,app_mentions:read"},
        )

    async def _m_apps_connections_open(self, params: dict[str, Any]) -> web.Response:
        if self.socket_url is None:
            return _ok_false("not_allowed")
        return web.json_response({"ok": True, "url": self.socket_url})

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    async def _m_chat_postMessage(self, params: dict[str, Any]) -> web.Response:
        problem = _message_problem(params)
        if problem:
            self.rejected.append(("chat.postMessage", problem))
            return _ok_false(problem if problem in {"no_text", "channel_not_found"} else "invalid_blocks")
        message = Message(
            channel=params["channel"],
            ts=self._next_ts(),
            text=params.get("text", ""),
            blocks=list(params.get("blocks") or []),
            thread_ts=params.get("thread_ts"),
        )
        self.messages[(message.channel, message.ts)] = message
        return web.json_response(
            {
                "ok": True,
                "channel": message.channel,
                "ts": message.ts,
                "message": {
                    "type": "message",
                    "text": message.text,
                    "ts": message.ts,
                    "bot_id": BOT_ID,
                    "blocks": message.blocks,
                },
            }
        )

    async def _m_chat_update(self, params: dict[str, Any]) -> web.Response:
        message = self.messages.get((params.get("channel", ""), params.get("ts", "")))
        if message is None:
            return _ok_false("message_not_found")
        problem = _message_problem(params)
        if problem:
            self.rejected.append(("chat.update", problem))
            return _ok_false("invalid_blocks")
        message.text = params.get("text", "")
        message.blocks = list(params.get("blocks") or [])
        message.edits += 1
        return web.json_response({"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text})

    async def _m_chat_postEphemeral(self, params: dict[str, Any]) -> web.Response:
        problem = _message_problem(params)
        if problem or not params.get("user"):
            self.rejected.append(("chat.postEphemeral", problem or "no user"))
            return _ok_false("invalid_blocks" if problem else "user_not_in_channel")
        self.ephemerals.append(params)
        return web.json_response({"ok": True, "message_ts": self._next_ts()})

    async def _m_views_open(self, params: dict[str, Any]) -> web.Response:
        trigger = params.get("trigger_id")
        if not trigger or trigger in self.expired_triggers:
            return _ok_false("expired_trigger_id")
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        problem = _view_problem(view)
        if problem or not isinstance(view, dict):
            self.rejected.append(("views.open", problem or "no view"))
            return _ok_false("invalid_arguments")
        self.views.append(view)
        return web.json_response({"ok": True, "view": {**view, "id": f"V{len(self.views)}"}})

    async def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> web.Response:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return _ok_false("invalid_arguments")
        file_id = f"F{next(self._file_ids):04d}"
        return web.json_response({"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"})

    async def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> web.Response:
        files = json.loads(params.get("files", "[]"))
        if any(f.get("id") not in self.uploads for f in files):
            return _ok_false("file_not_found")
        self.files.append({**params, "files": files})
        return web.json_response({"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]})


# --- request parsing and Block Kit validation --------------------------------------------------------------------


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


async def _params(request: web.Request) -> dict[str, Any]:
    """Query string, then the JSON or form body (slack_sdk sends some methods' arguments as a query)."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    form = await request.post()
    params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _ok_false(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


def _message_problem(params: dict[str, Any]) -> str | None:
    if not params.get("channel"):
        return "channel_not_found"
    blocks = params.get("blocks")
    if not str(params.get("text") or "").strip():
        return "no_text" if not blocks else "missing text fallback"
    if blocks is None:
        return None
    return _blocks_problem(blocks, max_blocks=50)


def _view_problem(view: Any) -> str | None:
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "not a modal"
    if len(view.get("title", {}).get("text", "")) > 24:
        return "title longer than 24"
    if len(view.get("private_metadata", "")) > 3000:
        return "private_metadata longer than 3000"
    return _blocks_problem(view.get("blocks") or [], max_blocks=100)


def _blocks_problem(blocks: Any, *, max_blocks: int) -> str | None:
    if not isinstance(blocks, list) or not blocks:
        return "blocks must be a non-empty list"
    if len(blocks) > max_blocks:
        return f"{len(blocks)} blocks (max {max_blocks})"
    for block in blocks:
        problem = _block_problem(block)
        if problem:
            return problem
    return None


def _text_problem(text: Any, limit: int, what: str) -> str | None:
    if not isinstance(text, dict) or text.get("type") not in {"mrkdwn", "plain_text"}:
        return f"{what}: not a text object"
    value = text.get("text")
    if not isinstance(value, str) or not value:
        return f"{what}: empty text"
    if len(value) > limit:
        return f"{what}: {len(value)} characters (max {limit})"
    return None


def _block_problem(block: Any) -> str | None:
    kind = block.get("type") if isinstance(block, dict) else None
    if len(str(block.get("block_id", ""))) > 255:
        return "block_id longer than 255"
    if kind == "section":
        return _text_problem(block.get("text"), 3000, "section text")
    if kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > 10:
            return "context needs 1..10 elements"
        return next((p for e in elements if (p := _text_problem(e, 3000, "context"))), None)
    if kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > 25:
            return "actions needs 1..25 elements"
        return next((p for e in elements if (p := _button_problem(e))), None)
    if kind == "input":
        return _text_problem(block.get("label"), 2000, "input label")
    if kind in {"divider", "header"}:
        return None
    return f"unknown block type {kind!r}"


def _button_problem(button: Any) -> str | None:
    if not isinstance(button, dict) or button.get("type") != "button":
        return "actions element is not a button"
    problem = _text_problem(button.get("text"), 75, "button text")
    if problem:
        return problem
    if button.get("text", {}).get("type") != "plain_text":
        return "button text must be plain_text"
    if len(str(button.get("value", ""))) > 2000:
        return "button value longer than 2000"
    if not button.get("action_id") or len(button["action_id"]) > 255:
        return "button action_id missing or longer than 255"
    if "style" in button and button["style"] not in {"primary", "danger"}:
        return "button style must be primary or danger"
    return None
