"""A scripted Anthropic Messages API (SSE streaming) on 127.0.0.1:0 for the real Claude Code CLI.

The agent's own requests (those that offer tools) get the scripted replies in order; side requests (session
titles, quota probes) get a short text. Every agent request body is recorded, so tests can read what the
agent was told (tool results, denial messages).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Reply", "ScriptedModel", "stall", "text", "tool", "unauthorized"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    kind: str  # text | tool | stall | status
    text: str = ""
    tool_name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    status: int = 200


def text(message: str) -> Reply:
    return Reply(kind="text", text=message)


def tool(name: str, tool_input: dict[str, Any], *, say: str = "") -> Reply:
    return Reply(kind="tool", tool_name=name, tool_input=tool_input, text=say)


def stall() -> Reply:
    """Accept the request and send nothing until the server stops."""
    return Reply(kind="stall")


def unauthorized() -> Reply:
    """Answer this and every later agent request with 401 (a bad API key)."""
    return Reply(kind="status", status=401)


def _sse(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in events).encode()


def _message_events(message_id: str, blocks: list[dict[str, Any]], stop_reason: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{
        "type": "message_start",
        "message": {"id": message_id, "type": "message", "role": "assistant", "model": "claude-scripted",
                    "content": [], "stop_reason": None, "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 1}},
    }]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            events.append({"type": "content_block_start", "index": index,
                           "content_block": {"type": "text", "text": ""}})
            events.append({"type": "content_block_delta", "index": index,
                           "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            events.append({"type": "content_block_start", "index": index,
                           "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"],
                                             "input": {}}})
            events.append({"type": "content_block_delta", "index": index,
                           "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                   "usage": {"output_tokens": 5}})
    events.append({"type": "message_stop"})
    return events


class ScriptedModel:
    """The model server. ``replies`` answer the agent's requests in order; after them it says "done"."""

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies: deque[Reply] = deque(replies or [])
        self.agent_requests: list[dict[str, Any]] = []
        self.stalled = asyncio.Event()
        self._stopping = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def tool_results(self) -> list[dict[str, Any]]:
        """Every tool_result block the agent sent back, in order (deduplicated by tool_use_id)."""
        seen: dict[str, dict[str, Any]] = {}
        for body in self.agent_requests:
            for message in body.get("messages", []):
                content = message.get("content")
                if isinstance(content, list):
                    for block in content:
                        if isinstance(block, dict) and block.get("type") == "tool_result":
                            seen.setdefault(block["tool_use_id"], block)
        return list(seen.values())

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST" or not request.path.endswith("/messages"):
            return web.json_response({})
        body = await request.json()
        if not body.get("tools"):
            return await self._respond(request, body, [{"type": "text", "text": "Scripted title"}], "end_turn")
        self.agent_requests.append(body)
        reply = self.replies.popleft() if self.replies else text("done")
        if reply.kind == "status":
            self.replies.appendleft(reply)  # keeps refusing, as a bad key would
            return web.json_response(
                {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
                status=reply.status,
            )
        if reply.kind == "stall":
            return await self._stall(request)
        if reply.kind == "text":
            return await self._respond(request, body, [{"type": "text", "text": reply.text}], "end_turn")
        blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
        blocks.append({"type": "tool_use", "id": f"toolu_{next(self._ids):04d}", "name": reply.tool_name,
                       "input": reply.tool_input})
        return await self._respond(request, body, blocks, "tool_use")

    async def _respond(
        self, request: web.Request, body: dict[str, Any], blocks: list[dict[str, Any]], stop_reason: str
    ) -> web.StreamResponse:
        message_id = f"msg_{next(self._ids):04d}"
        if not body.get("stream"):
            return web.json_response({
                "id": message_id, "type": "message", "role": "assistant", "model": "claude-scripted",
                "content": blocks, "stop_reason": stop_reason, "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 5},
            })
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(_sse(_message_events(message_id, blocks, stop_reason)))
        await response.write_eof()
        return response

    async def _stall(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.stalled.set()
        await self._stopping.wait()
        return response
