"""Pure parsing of ``codex app-server`` JSON-RPC lines (0.163 wire format; no ``"jsonrpc"`` key).

No I/O here: the transport (``client.py``) hands lines in, the runner acts on what comes out.
Forward-compatible by design: unknown methods and item types are skipped, and a message that lacks a field
this module needs raises :class:`CodexProtocolError` (the only exception type raised here).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.agent import AgentEvent, PermissionBehavior
from bot.domain.tool import ToolRequest

__all__ = [
    "COMMAND_APPROVAL",
    "FILE_CHANGE_APPROVAL",
    "LEGACY_COMMAND_APPROVAL",
    "LEGACY_PATCH_APPROVAL",
    "CodexProtocolError",
    "JsonObject",
    "Notification",
    "Response",
    "RpcError",
    "ServerRequest",
    "TurnEnd",
    "approval_result",
    "events_from_notification",
    "parse_line",
    "shell_inner_command",
    "tool_request_from_approval",
    "turn_end_from_notification",
]

COMMAND_APPROVAL = "item/commandExecution/requestApproval"
FILE_CHANGE_APPROVAL = "item/fileChange/requestApproval"
LEGACY_COMMAND_APPROVAL = "execCommandApproval"
LEGACY_PATCH_APPROVAL = "applyPatchApproval"

_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_SHELL_FLAGS = frozenset({"-c", "-lc", "-ic", "-lic", "-cl"})


class CodexProtocolError(Exception):
    """A line from codex that is not valid JSON-RPC, or lacks a field this client needs."""


JsonObject = dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class RpcError:
    code: int
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """The answer to one of our requests."""

    id: int | str
    result: JsonObject = field(default_factory=dict)
    error: RpcError | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerRequest:
    """A request from codex that must be answered (approvals, user input, …)."""

    id: int | str
    method: str
    params: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    method: str
    params: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnEnd:
    """``turn/completed``: status is ``completed`` | ``interrupted`` | ``failed`` (or a future value)."""

    turn_id: str
    status: str
    error: str | None = None


Message = Response | ServerRequest | Notification


def parse_line(line: str | bytes) -> Message | None:
    """One JSONL line -> a message; ``None`` for a blank line. Raises :class:`CodexProtocolError`."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    if not line.strip():
        return None
    try:
        body = json.loads(line)
    except ValueError as exc:
        raise CodexProtocolError(f"not JSON: {exc.__class__.__name__}") from None
    if not isinstance(body, dict):
        raise CodexProtocolError("message is not a JSON object")
    method = body.get("method")
    if method is not None and not isinstance(method, str):
        raise CodexProtocolError("method is not a string")
    params = _object(body.get("params", {}), "params")
    if method is not None and "id" in body:
        return ServerRequest(id=_request_id(body["id"]), method=method, params=params)
    if method is not None:
        return Notification(method=method, params=params)
    if "id" in body:
        return _response(body)
    raise CodexProtocolError("message has neither method nor id")


def _response(body: Mapping[str, object]) -> Response:
    request_id = _request_id(body["id"])
    error = body.get("error")
    if error is not None:
        error_body = _object(error, "error")
        code = error_body.get("code")
        return Response(
            id=request_id,
            error=RpcError(code=code if isinstance(code, int) else 0, message=str(error_body.get("message", ""))),
        )
    return Response(id=request_id, result=_object(body.get("result", {}), "result"))


def _request_id(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CodexProtocolError("id is not an integer or string")
    return value


def _object(value: object, name: str) -> JsonObject:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CodexProtocolError(f"{name} is not an object")
    return value


def _required_str(params: Mapping[str, object], key: str, where: str) -> str:
    value = params.get(key)
    if not isinstance(value, str):
        raise CodexProtocolError(f"{where}: missing {key}")
    return value


def shell_inner_command(command: str) -> str:
    """``/bin/bash -lc 'touch x'`` -> ``touch x``; anything else is returned unchanged."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return command
    if len(argv) == 3 and os.path.basename(argv[0]) in _SHELLS and argv[1] in _SHELL_FLAGS:
        return argv[2]
    return command


def tool_request_from_approval(
    request: ServerRequest, started_items: Mapping[str, Mapping[str, object]]
) -> ToolRequest:
    """An approval request -> the agent-neutral :class:`ToolRequest` the policy judges. ``raw`` holds what is
    asked, never the call's id, so the digest names the request's content: an identical request from a resumed
    session binds to the approval still pending from before a restart.

    ``started_items`` maps item id -> the ``item/started`` item (a file change's paths and diff live only
    there). Only the two approval methods are accepted.
    """
    if request.method in (LEGACY_COMMAND_APPROVAL, LEGACY_PATCH_APPROVAL):
        return _legacy_tool_request(request)
    params = request.params
    item_id = _required_str(params, "itemId", request.method)
    if request.method == COMMAND_APPROVAL:
        command = _required_str(params, "command", request.method)
        cwd = params.get("cwd")
        return ToolRequest(
            kind="command",
            tool="commandExecution",
            command=shell_inner_command(command),
            cwd=cwd if isinstance(cwd, str) else None,
            raw={"command": command, "cwd": cwd, "reason": params.get("reason")},
        )
    if request.method == FILE_CHANGE_APPROVAL:
        changes = _changes(started_items.get(item_id, {}))
        paths = _with_grant_root(tuple(path for path, _ in changes), params.get("grantRoot"))
        raw: dict[str, object] = {
            "changes": [{"path": path, "diff": diff} for path, diff in changes],
            "reason": params.get("reason"),
            "grantRoot": params.get("grantRoot"),
        }
        if not changes:  # what it changes is unknown: bind the approval to this one call
            raw["itemId"] = item_id
        return ToolRequest(kind="write", tool="fileChange", paths=paths, raw=raw)
    raise CodexProtocolError(f"not an approval request: {request.method}")


_V2_DECISIONS = {
    PermissionBehavior.ALLOW: "accept",
    PermissionBehavior.DENY: "decline",  # the agent continues the turn
    PermissionBehavior.STOP: "cancel",  # the turn is interrupted at once
}
_LEGACY_DECISIONS = {
    PermissionBehavior.ALLOW: "approved",
    PermissionBehavior.DENY: "denied",
    PermissionBehavior.STOP: "abort",
}


def approval_result(method: str, behavior: PermissionBehavior) -> JsonObject:
    """The JSON-RPC ``result`` answering an approval request ``method`` with ``behavior``."""
    if method in (LEGACY_COMMAND_APPROVAL, LEGACY_PATCH_APPROVAL):
        return {"decision": _LEGACY_DECISIONS[behavior]}
    return {"decision": _V2_DECISIONS[behavior]}


def _legacy_tool_request(request: ServerRequest) -> ToolRequest:
    """The pre-v2 ``execCommandApproval`` / ``applyPatchApproval`` requests (argv list / path map)."""
    params = request.params
    _required_str(params, "callId", request.method)
    if request.method == LEGACY_COMMAND_APPROVAL:
        argv = params.get("command")
        if not isinstance(argv, list) or not all(isinstance(arg, str) for arg in argv):
            raise CodexProtocolError(f"{request.method}: missing command")
        cwd = params.get("cwd")
        return ToolRequest(
            kind="command",
            tool="commandExecution",
            command=shell_inner_command(shlex.join(argv)),
            cwd=cwd if isinstance(cwd, str) else None,
            raw={"command": argv, "cwd": cwd, "reason": params.get("reason")},
        )
    changes = _object(params.get("fileChanges"), "fileChanges")
    return ToolRequest(
        kind="write",
        tool="fileChange",
        paths=_with_grant_root(tuple(changes), params.get("grantRoot")),
        raw={"fileChanges": changes, "grantRoot": params.get("grantRoot")},
    )


def _with_grant_root(paths: tuple[str, ...], grant_root: object) -> tuple[str, ...]:
    """A patch that also asks for write access under ``grantRoot`` is judged as a write there too, so the
    policy sees (and refuses) a root outside the worktree."""
    if isinstance(grant_root, str) and grant_root and grant_root not in paths:
        return (*paths, grant_root)
    return paths


def _changes(item: Mapping[str, object]) -> list[tuple[str, str]]:
    raw_changes = item.get("changes", [])
    if not isinstance(raw_changes, list):
        raise CodexProtocolError("fileChange: changes is not a list")
    changes = []
    for change in raw_changes:
        if not isinstance(change, dict) or not isinstance(change.get("path"), str):
            raise CodexProtocolError("fileChange: change without path")
        diff = change.get("diff")
        changes.append((change["path"], diff if isinstance(diff, str) else ""))
    return changes


def turn_end_from_notification(note: Notification) -> TurnEnd | None:
    """``turn/completed`` -> :class:`TurnEnd`; ``None`` for any other notification."""
    if note.method != "turn/completed":
        return None
    turn = _object(note.params.get("turn"), "turn")
    turn_id = _required_str(turn, "id", note.method)
    status = _required_str(turn, "status", note.method)
    error = turn.get("error")
    message = None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        message = error["message"]
    return TurnEnd(turn_id=turn_id, status=status, error=message)


def events_from_notification(note: Notification) -> tuple[AgentEvent, ...]:
    """Progress a person can follow, from ``item/started`` and ``item/completed``. Others: ``()``."""
    if note.method not in ("item/started", "item/completed"):
        return ()
    item = _object(note.params.get("item"), "item")
    item_type = item.get("type")
    if note.method == "item/started":
        return _started_events(item, item_type)
    return _completed_events(item, item_type)


def _started_events(item: Mapping[str, object], item_type: object) -> tuple[AgentEvent, ...]:
    if item_type == "commandExecution":
        command = _required_str(item, "command", "commandExecution")
        return (AgentEvent(kind="tool_requested", tool="commandExecution", text=shell_inner_command(command)),)
    if item_type == "fileChange":
        paths = tuple(path for path, _ in _changes(item))
        return (AgentEvent(kind="tool_requested", tool="fileChange", text=", ".join(paths), paths=paths),)
    return ()


def _completed_events(item: Mapping[str, object], item_type: object) -> tuple[AgentEvent, ...]:
    status = item.get("status")
    if item_type == "agentMessage":
        text = _required_str(item, "text", "agentMessage")
        return (AgentEvent(kind="said", text=text),) if text else ()
    if item_type == "commandExecution":
        command = shell_inner_command(_required_str(item, "command", "commandExecution"))
        exit_code = item.get("exitCode")
        if status == "completed" and exit_code in (0, None):
            return (AgentEvent(kind="tool_ran", tool="commandExecution", text=command),)
        reason = f"exit {exit_code}" if isinstance(exit_code, int) else str(status)
        return (AgentEvent(kind="tool_failed", tool="commandExecution", text=f"{reason}: {command}"),)
    if item_type == "fileChange":
        paths = tuple(path for path, _ in _changes(item))
        if status == "completed":
            return (
                AgentEvent(kind="tool_ran", tool="fileChange", text=", ".join(paths), paths=paths),
                AgentEvent(kind="files_changed", paths=paths),
            )
        return (AgentEvent(kind="tool_failed", tool="fileChange", text=f"{status}: {', '.join(paths)}"),)
    return ()
