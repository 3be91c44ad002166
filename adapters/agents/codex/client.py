"""A small asyncio JSON-RPC client for ``codex app-server --listen stdio://`` (JSONL, no ``"jsonrpc"`` key).

It only moves messages: our requests get their responses matched by id; server requests and notifications
are queued on :attr:`AppServerClient.incoming` (``None`` marks end of stream) for the runner to act on, so a
server request that waits hours for a person never blocks the reading of later lines.

Exceptions: :class:`CodexRpcError` (the server answered with an error), :class:`CodexConnectionLost` (the
stream ended or broke), :class:`~adapters.agents.codex.protocol.CodexProtocolError` (a malformed line; also
delivered through ``incoming`` as a :class:`ProtocolFault`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time

from adapters.agents.codex.protocol import (
    CodexProtocolError,
    JsonObject,
    Notification,
    Response,
    ServerRequest,
    parse_line,
)

__all__ = ["AppServerClient", "CodexConnectionLost", "CodexRpcError", "Incoming", "ProtocolFault"]


class CodexRpcError(Exception):
    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {message} ({code})")
        self.method = method
        self.code = code
        self.message = message


class CodexConnectionLost(Exception):
    """The app-server's stdout ended (it exited or crashed) or its stdin broke."""


class ProtocolFault:
    """A line that could not be understood; the runner decides what to do with it."""

    __slots__ = ("error",)

    def __init__(self, error: CodexProtocolError) -> None:
        self.error = error


Incoming = ServerRequest | Notification | ProtocolFault | None


class AppServerClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int | str, tuple[str, asyncio.Future[JsonObject]]] = {}
        self._write_lock = asyncio.Lock()
        self._closed = False
        self.incoming: asyncio.Queue[Incoming] = asyncio.Queue()
        self.last_output_at = time.monotonic()
        self._reader_task = asyncio.create_task(self._read_loop())

    async def request(self, method: str, params: JsonObject | None = None) -> JsonObject:
        """Send a request and wait for its result. Raises CodexRpcError / CodexConnectionLost."""
        if self._closed:
            raise CodexConnectionLost(method)
        request_id = next(self._ids)
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (method, future)
        try:
            await self._send({"id": request_id, "method": method, "params": params or {}})
            return await future
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: JsonObject | None = None) -> None:
        body: JsonObject = {"method": method}
        if params is not None:
            body["params"] = params
        await self._send(body)

    async def respond(self, request_id: int | str, result: JsonObject) -> None:
        await self._send({"id": request_id, "result": result})

    async def respond_error(self, request_id: int | str, code: int, message: str) -> None:
        await self._send({"id": request_id, "error": {"code": code, "message": message}})

    async def close(self) -> None:
        """Stop reading; pending requests fail with CodexConnectionLost."""
        self._reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader_task
        self._finish()

    async def _send(self, body: JsonObject) -> None:
        line = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
        async with self._write_lock:
            if self._writer.is_closing():
                raise CodexConnectionLost(str(body.get("method", "response")))
            try:
                self._writer.write(line.encode())
                await self._writer.drain()
            except (ConnectionError, RuntimeError) as exc:
                raise CodexConnectionLost(str(body.get("method", "response"))) from exc

    async def _read_loop(self) -> None:
        try:
            while True:
                try:
                    line = await self._reader.readline()
                except ValueError:  # over STREAM_LIMIT: the reader dropped it
                    self.last_output_at = time.monotonic()
                    continue
                if not line:
                    break
                self.last_output_at = time.monotonic()
                self._dispatch(line)
        except ConnectionError:
            pass
        finally:
            self._finish()

    def _dispatch(self, line: bytes) -> None:
        try:
            message = parse_line(line)
        except CodexProtocolError as exc:
            self.incoming.put_nowait(ProtocolFault(exc))
            return
        if isinstance(message, Response):
            self._resolve(message)
        elif message is not None:
            self.incoming.put_nowait(message)

    def _resolve(self, response: Response) -> None:
        entry = self._pending.get(response.id)
        if entry is None or entry[1].done():
            return
        method, future = entry
        if response.error is not None:
            future.set_exception(CodexRpcError(method, response.error.code, response.error.message))
        else:
            future.set_result(response.result)

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        for method, future in self._pending.values():
            if not future.done():
                future.set_exception(CodexConnectionLost(method))
        self.incoming.put_nowait(None)
