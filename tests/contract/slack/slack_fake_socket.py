"""A fake Slack Socket Mode server: an aiohttp WebSocket on 127.0.0.1:0.

``apps.connections.open`` on the fake Web API answers with this server's ``ws://`` URL. On connect the
server sends ``hello``; ``send_envelope`` pushes an envelope (slash_commands, interactive, events_api) and
waits for the client's ack carrying the same ``envelope_id``, returning the ack's payload.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.url = ""
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.connected = asyncio.Event()
        self.unexpected: list[Any] = []
        self._socket: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}/link?ticket=fake-ticket&app_id=A0APP"

    async def stop(self) -> None:
        if self._socket is not None and not self._socket.closed:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
        """Push one envelope and return the payload of the client's ack (``{}`` for an empty ack)."""
        await asyncio.wait_for(self.connected.wait(), timeout)
        assert self._socket is not None
        envelope_id = str(uuid.uuid4())
        self.acks[envelope_id] = asyncio.get_running_loop().create_future()
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update({"retry_attempt": 0, "retry_reason": ""})
        await self._socket.send_str(json.dumps(envelope))
        return await asyncio.wait_for(self.acks[envelope_id], timeout)

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=None)
        await socket.prepare(request)
        self._socket = socket
        await socket.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A0APP"},
                }
            )
        )
        self.connected.set()
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self.acks.get(data.get("envelope_id", ""))
            if future is None or future.done():
                self.unexpected.append(data)
                continue
            future.set_result(data.get("payload") or {})
        return socket
