"""One codex app-server conversation for one run: handshake, thread, turn, approvals, progress, outcome.

Translation only: every decision about a tool request is the sink's (the core's); this module turns the
answer into the wire decision (``accept`` / ``decline`` / ``cancel``) and codex's messages into AgentEvents.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from dataclasses import dataclass
from datetime import timedelta

from adapters.agents.codex.client import AppServerClient, CodexConnectionLost, CodexRpcError, ProtocolFault
from adapters.agents.codex.process import AppServerProcess
from adapters.agents.codex.protocol import (
    COMMAND_APPROVAL,
    FILE_CHANGE_APPROVAL,
    LEGACY_COMMAND_APPROVAL,
    LEGACY_PATCH_APPROVAL,
    CodexProtocolError,
    JsonObject,
    Notification,
    ServerRequest,
    TurnEnd,
    approval_result,
    events_from_notification,
    tool_request_from_approval,
    turn_end_from_notification,
)
from adapters.agents.symlink import command_symlink_escapes
from bot.domain.agent import AgentEvent, AgentOutcome, AgentRunSpec, Permission, PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.ports import AgentEventSink

__all__ = ["CodexSession", "RunFailed", "SessionSettings", "describe_idle", "one_line", "with_resolved_paths"]

APPROVAL_POLICY = "untrusted"  # asks for every command and every patch on 0.163 (see runner.py)
SANDBOX = "workspace-write"
_APPROVALS = frozenset({COMMAND_APPROVAL, FILE_CHANGE_APPROVAL, LEGACY_COMMAND_APPROVAL, LEGACY_PATCH_APPROVAL})
_PERMISSIONS = "item/permissions/requestApproval"
_FIXED_REPLIES: dict[str, JsonObject] = {  # requests nobody in a chat can answer: refuse, so the turn goes on
    "item/tool/requestUserInput": {"answers": {}},
    "mcpServer/elicitation/request": {"action": "decline"},
    "item/tool/call": {"contentItems": [], "success": False},
}
_CLIENT_INFO = {"name": "hotfix_bot", "title": "hotfix-bot", "version": "0.1"}


class RunFailed(Exception):
    """Ends the run as failed with a one-line reason for people."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSettings:
    idle_timeout: timedelta
    model: str | None = None


def one_line(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_idle(timeout: timedelta) -> str:
    seconds = timeout.total_seconds()
    if seconds >= 60:
        minutes = seconds / 60
        return f"no output for {minutes:g} minute{'' if minutes == 1 else 's'}"
    return f"no output for {seconds:g} second{'' if seconds == 1 else 's'}"


def with_resolved_paths(request: ToolRequest, base: str) -> ToolRequest:
    """Add ``os.path.realpath`` of each path that resolves (through a symlink) somewhere else, and for a command
    the real places outside the worktree its words reach through symlinks."""
    extra: list[str] = []
    if request.kind == "command" and request.command:  # where its words lead through symlinks, if outside
        extra.extend(command_symlink_escapes(request.command, request.cwd or base))
    for path in request.paths:
        absolute = os.path.normpath(os.path.join(request.cwd or base, path))
        real = os.path.realpath(absolute)
        if real != absolute and real not in request.paths and real not in extra:
            extra.append(real)
    return dataclasses.replace(request, paths=request.paths + tuple(extra)) if extra else request


class CodexSession:
    def __init__(
        self, server: AppServerProcess, spec: AgentRunSpec, sink: AgentEventSink, settings: SessionSettings
    ) -> None:
        assert server.process.stdout is not None and server.process.stdin is not None
        self._server = server
        self._client = AppServerClient(server.process.stdout, server.process.stdin)
        self._spec = spec
        self._sink = sink
        self._settings = settings
        self.thread_id: str | None = spec.session_id
        self.turn_id: str | None = None
        self._final_text = ""
        self._last_error: str | None = None
        self._started_items: dict[str, JsonObject] = {}
        self._answers: set[asyncio.Task[None]] = set()
        self._waiting_on_person = 0
        self._person_answered_at = time.monotonic()
        self._stopped_by_person = False

    async def run(self) -> AgentOutcome:
        try:
            await self._call("initialize", {"clientInfo": _CLIENT_INFO, "capabilities": {"experimentalApi": True}})
            await self._client.notify("initialized")
            self.thread_id = await self._open_thread()
            await self._sink.on_event(AgentEvent(kind="started", session_id=self.thread_id))
            turn = await self._call("turn/start", self._turn_params())
            self.turn_id = _nested_id(turn, "turn")
            end = await self._pump()
            if end.status == "completed":
                await self._sink.on_event(AgentEvent(kind="finished", text=self._final_text))
            return self._outcome(end)
        except RunFailed as failure:
            return self._failed(str(failure))

    async def interrupt(self) -> None:
        """Ask codex to stop the current turn (Stop while running)."""
        self._server.tree.remember()  # codex may end the command's sandbox session orphaned: know it first
        if self.thread_id and self.turn_id:
            await self._client.request("turn/interrupt", {"threadId": self.thread_id, "turnId": self.turn_id})

    async def failed_outcome(self, error: CodexConnectionLost | CodexRpcError) -> AgentOutcome:
        """The app-server refused a request, or went away: say so in one line."""
        if isinstance(error, CodexRpcError):
            return self._failed(f"codex refused {error.method}: {error.message}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.process.wait(), timeout=1.0)
        code = self._server.process.returncode
        if code is None:
            return self._failed("codex stopped answering")
        return self._failed(f"codex exited unexpectedly (exit code {code})")

    async def close(self) -> None:
        # tool commands run in sessions of their own: once the app-server exits they are orphans, no longer
        # below it, so note them while they still are
        self._server.tree.remember()
        for task in self._answers:
            task.cancel()
        if self._answers:  # a sink that ignores cancellation must not delay the kill
            await asyncio.wait(self._answers, timeout=0.5)
        await self._client.close()
        await self._server.terminate_tree(grace=1.0, term_wait=1.5)

    async def _call(self, method: str, params: JsonObject) -> JsonObject:
        try:
            return await asyncio.wait_for(self._client.request(method, params), self._idle_seconds())
        except TimeoutError:
            raise RunFailed(describe_idle(self._settings.idle_timeout)) from None

    async def _open_thread(self) -> str:
        params: JsonObject = {
            "cwd": self._spec.worktree,
            "approvalPolicy": APPROVAL_POLICY,
            "approvalsReviewer": "user",  # requests come to us, never to a model-based reviewer
            "sandbox": SANDBOX,
            "developerInstructions": self._spec.instructions,
        }
        if self._settings.model:
            params["model"] = self._settings.model
        try:
            if self._spec.session_id:
                result = await self._call("thread/resume", {"threadId": self._spec.session_id, **params})
            else:
                result = await self._call("thread/start", params)
        except CodexRpcError as exc:
            verb = "resume the codex session" if self._spec.session_id else "start a codex thread"
            raise RunFailed(one_line(f"could not {verb}: {exc.message}")) from None
        return _nested_id(result, "thread")

    def _turn_params(self) -> JsonObject:
        return {"threadId": self.thread_id, "input": [{"type": "text", "text": self._spec.prompt}]}

    def _idle_seconds(self) -> float:
        return max(self._settings.idle_timeout.total_seconds(), 0.001)

    async def _pump(self) -> TurnEnd:
        while True:
            message = await self._next_message()
            if message is None:
                raise CodexConnectionLost("stdout closed")
            if isinstance(message, ProtocolFault):
                raise RunFailed(one_line(f"codex protocol error: {message.error}"))
            if isinstance(message, ServerRequest):
                task = asyncio.create_task(self._answer(message))
                self._answers.add(task)
                task.add_done_callback(self._answers.discard)
                continue
            end = await self._on_notification(message)
            if end is not None:
                return end

    async def _next_message(self) -> ServerRequest | Notification | ProtocolFault | None:
        """The next incoming message; RunFailed when codex is silent for idle_timeout while nobody is asked."""
        poll = min(0.5, self._idle_seconds() / 4)
        while True:
            try:
                return await asyncio.wait_for(self._client.incoming.get(), timeout=poll)
            except TimeoutError:
                if self._waiting_on_person:
                    continue
                quiet_since = max(self._client.last_output_at, self._person_answered_at)
                if time.monotonic() - quiet_since >= self._idle_seconds():
                    raise RunFailed(describe_idle(self._settings.idle_timeout)) from None

    async def _on_notification(self, note: Notification) -> TurnEnd | None:
        try:
            self._remember(note)
            for event in events_from_notification(note):
                await self._sink.on_event(event)
            end = turn_end_from_notification(note)
        except CodexProtocolError as exc:
            raise RunFailed(one_line(f"codex protocol error: {exc}")) from None
        if end is not None and end.turn_id == self.turn_id:
            return end
        return None

    def _remember(self, note: Notification) -> None:
        item = note.params.get("item")
        if note.method == "error":
            error = note.params.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                self._last_error = error["message"]
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            if note.method == "item/started":
                self._started_items[item["id"]] = item
            elif note.method == "item/completed" and item.get("type") == "agentMessage":
                self._final_text = str(item.get("text") or self._final_text)

    async def _answer(self, request: ServerRequest) -> None:
        try:
            if request.method in _APPROVALS:
                await self._client.respond(request.id, await self._approve(request))
            elif request.method == _PERMISSIONS:
                await self._client.respond(request.id, await self._grant_permissions(request))
            elif request.method in _FIXED_REPLIES:
                await self._client.respond(request.id, _FIXED_REPLIES[request.method])
            else:
                await self._client.respond_error(request.id, -32601, "not supported by this client")
        except CodexConnectionLost:
            pass
        except CodexProtocolError as exc:
            with contextlib.suppress(CodexConnectionLost):
                await self._client.respond(request.id, approval_result(request.method, PermissionBehavior.STOP))
            self._client.incoming.put_nowait(ProtocolFault(exc))

    async def _approve(self, request: ServerRequest) -> JsonObject:
        tool_request = with_resolved_paths(
            tool_request_from_approval(request, self._started_items), self._spec.worktree
        )
        permission = await self._ask(tool_request)
        if permission.behavior is PermissionBehavior.DENY and permission.message:
            await self._tell_agent(f"The reviewer denied this action: {permission.message}")
        if permission.behavior is PermissionBehavior.STOP:
            self._stopped_by_person = True
        return approval_result(request.method, permission.behavior)

    async def _grant_permissions(self, request: ServerRequest) -> JsonObject:
        asked = ToolRequest(kind="other", tool="permissions", raw=dict(request.params))
        permission = await self._ask(asked)
        if permission.behavior is PermissionBehavior.ALLOW:
            return {"permissions": request.params.get("permissions") or {}, "scope": "turn"}
        if permission.behavior is PermissionBehavior.STOP:
            self._stopped_by_person = True
            await self.interrupt()
        return {"permissions": {}, "scope": "turn"}

    async def _ask(self, request: ToolRequest) -> Permission:
        self._waiting_on_person += 1
        try:
            return await self._sink.request_permission(request)
        finally:
            self._waiting_on_person -= 1
            self._person_answered_at = time.monotonic()

    async def _tell_agent(self, text: str) -> None:
        """Queue ``text`` as input for the model's next step of this turn (``turn/steer``)."""
        if not (self.thread_id and self.turn_id):
            return
        params: JsonObject = {
            "threadId": self.thread_id,
            "expectedTurnId": self.turn_id,
            "input": [{"type": "text", "text": text}],
        }
        with contextlib.suppress(CodexRpcError):
            await self._client.request("turn/steer", params)

    def _outcome(self, end: TurnEnd) -> AgentOutcome:
        if end.status == "completed":
            return AgentOutcome(ok=True, session_id=self.thread_id, final_text=self._final_text)
        if end.status == "interrupted":
            reason = "stopped by a person" if self._stopped_by_person else "codex interrupted the turn"
            return AgentOutcome(
                ok=False, kind="interrupted", interrupted=True, error=reason,
                session_id=self.thread_id, final_text=self._final_text,
            )
        return self._failed(one_line(end.error or self._last_error or f"codex turn ended: {end.status}"))

    def _failed(self, reason: str) -> AgentOutcome:
        return AgentOutcome(
            ok=False, kind="failed", error=one_line(reason), session_id=self.thread_id, final_text=self._final_text
        )


def _nested_id(result: JsonObject, key: str) -> str:
    inner = result.get(key)
    if not isinstance(inner, dict) or not isinstance(inner.get("id"), str):
        raise RunFailed(f"codex protocol error: {key} without id")
    return inner["id"]
