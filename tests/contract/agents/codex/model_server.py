"""A scripted OpenAI Responses API (``POST /v1/responses``, SSE streaming) for driving the real codex binary.

Each request to ``/v1/responses`` consumes the next step of the script: a list of output items (tool calls,
messages) streamed back as ``response.output_item.done`` events, ``STALL`` (never answer), or an
``HttpError``. When the script runs out, the model says "done." and ends its turn. Every request body is
recorded, so tests can check what codex told the model (tool outputs, denial reasons, history).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

STALL = "stall"


@dataclass(frozen=True)
class HttpError:
    status: int
    body: str


Step = list[dict[str, Any]] | str | HttpError
_ids = itertools.count(1)


def exec_call(cmd: str, **extra: Any) -> dict[str, Any]:
    """The model runs a shell command through codex's ``exec_command`` tool."""
    return {
        "type": "function_call",
        "call_id": f"call_exec_{next(_ids)}",
        "name": "exec_command",
        "arguments": json.dumps({"cmd": cmd, **extra}),
    }


def patch_call(patch: str) -> dict[str, Any]:
    """The model edits files through codex's ``apply_patch`` (freeform/custom) tool."""
    return {"type": "custom_tool_call", "call_id": f"call_patch_{next(_ids)}", "name": "apply_patch", "input": patch}


def message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "id": f"msg_{next(_ids)}",
        "content": [{"type": "output_text", "text": text}],
    }


def _sse(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


class ScriptedModelServer:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.request_arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self.port = 0

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_route("*", "/{tail:.*}", self._other)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def texts_sent(self, request_index: int) -> str:
        """Everything codex put into one request's ``input``, as one string (for substring checks)."""
        return json.dumps(self.requests[request_index]["input"])

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.request_arrived.set()
        step: Step = self.steps.pop(0) if self.steps else [message("done.")]
        if step == STALL:
            await self._release.wait()
            return web.Response(status=503)
        if isinstance(step, HttpError):
            return web.Response(status=step.status, text=step.body, content_type="application/json")
        assert isinstance(step, list)
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        response_id = f"resp_{next(_ids)}"
        await response.write(_sse({"type": "response.created", "response": {"id": response_id}}))
        for item in step:
            await response.write(_sse({"type": "response.output_item.done", "item": item}))
        usage = {"input_tokens": 100, "input_tokens_details": None, "output_tokens": 10,
                 "output_tokens_details": None, "total_tokens": 110}
        await response.write(_sse({"type": "response.completed", "response": {"id": response_id, "usage": usage}}))
        await response.write_eof()
        return response

    async def _other(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [], "models": []})
