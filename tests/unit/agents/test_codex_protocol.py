"""Pure parsing of codex app-server traffic, over the real 0.163 captures, plus the JSON-RPC client's framing.

No processes, no sockets: the client is fed through an in-memory StreamReader and a recording writer.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from adapters.agents.codex.client import AppServerClient, CodexConnectionLost, CodexRpcError
from adapters.agents.codex.protocol import (
    COMMAND_APPROVAL,
    FILE_CHANGE_APPROVAL,
    CodexProtocolError,
    Notification,
    Response,
    ServerRequest,
    approval_result,
    events_from_notification,
    parse_line,
    shell_inner_command,
    tool_request_from_approval,
    turn_end_from_notification,
)
from bot.domain.agent import AgentEvent, PermissionBehavior

# real codex app-server 0.163 traffic (copied from the shared reference captures): ">> " client, "<< " server
CAPTURES = Path(__file__).resolve().parents[2] / "contract" / "agents" / "codex" / "captures"
APP_SERVER_CAPTURES = sorted(CAPTURES.glob("appserver-*.jsonl"))


def _server_lines(path: Path) -> list[str]:
    return [line[3:] for line in path.read_text().splitlines() if line.startswith("<< ")]


def _replay(name: str) -> tuple[list[AgentEvent], list[ServerRequest], list[str], dict[str, dict]]:
    """Feed one capture through the parser the way the session does: events, requests, turn statuses."""
    events: list[AgentEvent] = []
    requests: list[ServerRequest] = []
    statuses: list[str] = []
    started: dict[str, dict] = {}
    for line in _server_lines(CAPTURES / name):
        message = parse_line(line)
        if isinstance(message, ServerRequest):
            requests.append(message)
        elif isinstance(message, Notification):
            item = message.params.get("item")
            if message.method == "item/started" and isinstance(item, dict):
                started[item["id"]] = item
            events.extend(events_from_notification(message))
            end = turn_end_from_notification(message)
            if end is not None:
                statuses.append(end.status)
    return events, requests, statuses, started



def test_the_six_app_server_captures_are_there() -> None:
    assert len(APP_SERVER_CAPTURES) == 6


@pytest.mark.parametrize("capture", APP_SERVER_CAPTURES, ids=lambda path: path.name)
def test_every_captured_line_parses(capture: Path) -> None:
    for raw in capture.read_text().splitlines():
        message = parse_line(raw[3:])
        assert isinstance(message, Response | ServerRequest | Notification)


def test_accepted_command_capture() -> None:
    events, requests, statuses, started = _replay("appserver-cmd-untrusted-accept.jsonl")

    assert [(e.kind, e.text) for e in events if e.kind != "said"] == [
        ("tool_requested", "touch created_by_codex.txt"),
        ("tool_ran", "touch created_by_codex.txt"),
    ]
    assert [e.text for e in events if e.kind == "said"] == ["All done."]
    assert statuses == ["completed"]
    request = tool_request_from_approval(requests[0], started)
    assert (request.kind, request.tool, request.command, request.cwd) == (
        "command", "commandExecution", "touch created_by_codex.txt", "/home/dev/cxwork",
    )
    assert request.raw["command"] == "/bin/bash -lc 'touch created_by_codex.txt'"


def test_cancelled_command_capture_is_declined_and_interrupted() -> None:
    events, _, statuses, _ = _replay("appserver-cmd-untrusted-cancel.jsonl")

    assert ("tool_failed", "declined: touch created_by_codex.txt") in [(e.kind, e.text) for e in events]
    assert statuses == ["interrupted"]


def test_turn_interrupt_capture_ends_interrupted() -> None:
    _, requests, statuses, _ = _replay("appserver-cmd-untrusted-turn-interrupt.jsonl")

    assert [request.method for request in requests] == [COMMAND_APPROVAL]
    assert statuses == ["interrupted"]


def test_patch_capture_gives_write_request_and_files_changed() -> None:
    events, requests, statuses, started = _replay("appserver-patch-untrusted-accept.jsonl")

    request = tool_request_from_approval(requests[0], started)
    assert (request.kind, request.tool, request.paths) == ("write", "fileChange", ("/home/dev/cxwork/hello_patch.txt",))
    assert request.raw["changes"] == [{"path": "/home/dev/cxwork/hello_patch.txt", "diff": "hello from patch\n"}]
    assert [e.paths for e in events if e.kind == "files_changed"] == [("/home/dev/cxwork/hello_patch.txt",)]
    assert statuses == ["completed"]


def test_escalation_capture_carries_the_reason() -> None:
    _, requests, _, started = _replay("appserver-escalation-onrequest-decline.jsonl")

    request = tool_request_from_approval(requests[0], started)
    assert request.command == "touch /scratch/outside_ws.txt"
    assert request.raw["reason"] == "Need to write outside the workspace"


def test_file_change_approval_without_its_started_item_has_no_paths_but_binds_the_item() -> None:
    request = ServerRequest(id=3, method=FILE_CHANGE_APPROVAL, params={"itemId": "call_x", "threadId": "t"})

    tool_request = tool_request_from_approval(request, {})

    assert tool_request.paths == () and tool_request.raw["itemId"] == "call_x"


def test_the_digest_names_what_is_asked_not_the_call() -> None:
    """A resumed session asks again with a new item id: the same command or change must bind to the approval
    that is still pending from before a restart."""
    def command(item_id: str, cmd: str) -> ServerRequest:
        return ServerRequest(id=1, method=COMMAND_APPROVAL, params={
            "itemId": item_id, "threadId": "t", "command": f"/bin/bash -lc '{cmd}'", "cwd": "/w"})

    def change(item_id: str, diff: str) -> tuple[ServerRequest, dict[str, dict[str, object]]]:
        started = {item_id: {"type": "fileChange", "id": item_id,
                             "changes": [{"path": "/w/calc.py", "kind": {"type": "update"}, "diff": diff}]}}
        return ServerRequest(id=2, method=FILE_CHANGE_APPROVAL, params={"itemId": item_id, "threadId": "t"}), started

    def digest(request: ServerRequest, started: dict[str, dict[str, object]] | None = None) -> str:
        return tool_request_from_approval(request, started or {}).digest()

    assert digest(command("call_1", "touch a")) == digest(command("call_2", "touch a"))
    assert digest(command("call_1", "touch a")) != digest(command("call_1", "touch b"))
    assert digest(*change("call_1", "-a\n+b\n")) == digest(*change("call_2", "-a\n+b\n"))
    assert digest(*change("call_1", "-a\n+b\n")) != digest(*change("call_1", "-a\n+c\n"))


def test_unknown_methods_and_item_types_are_skipped() -> None:
    unknown = parse_line('{"method":"thread/sparkles/changed","params":{"glitter":true}}')
    new_item = parse_line('{"method":"item/completed","params":{"item":{"type":"hologram","id":"h1"}}}')
    request = parse_line('{"method":"item/teleport/requestApproval","id":9,"params":{}}')

    assert isinstance(unknown, Notification) and events_from_notification(unknown) == ()
    assert isinstance(new_item, Notification) and events_from_notification(new_item) == ()
    assert isinstance(new_item, Notification) and turn_end_from_notification(new_item) is None
    assert isinstance(request, ServerRequest) and request.method == "item/teleport/requestApproval"


@pytest.mark.parametrize(
    "line",
    [
        '{"method":"item/completed","params":{"item":{"type":"commandExecution","id":"c","status":"completed"}}}',
        '{"method":"item/completed","params":{"item":{"type":"agentMessage","id":"m"}}}',
        '{"method":"turn/completed","params":{"turn":{"status":"completed"}}}',
        '{"method":"item/started","params":{"item":{"type":"fileChange","id":"f","changes":[{"kind":"add"}]}}}',
    ],
)
def test_missing_required_fields_raise_the_protocol_error(line: str) -> None:
    message = parse_line(line)
    assert isinstance(message, Notification)

    with pytest.raises(CodexProtocolError):
        events_from_notification(message)
        turn_end_from_notification(message)


def test_approval_without_item_id_raises_the_protocol_error() -> None:
    request = ServerRequest(id=0, method=COMMAND_APPROVAL, params={"command": "ls"})

    with pytest.raises(CodexProtocolError):
        tool_request_from_approval(request, {})


@pytest.mark.parametrize("line", ["not json", "[1, 2]", '{"params": {}}', '{"id": 1.5, "result": {}}'])
def test_malformed_lines_raise_the_protocol_error(line: str) -> None:
    with pytest.raises(CodexProtocolError):
        parse_line(line)


def test_blank_line_is_nothing() -> None:
    assert parse_line("  \n") is None


def test_line_over_one_mebibyte_parses() -> None:
    output = "x" * (2 * 1024 * 1024)
    item = {"type": "commandExecution", "id": "c1", "command": "/bin/bash -lc 'yes x'", "status": "completed",
            "exitCode": 0, "aggregatedOutput": output}
    line = json.dumps({"method": "item/completed", "params": {"item": item}})

    message = parse_line(line.encode())

    assert isinstance(message, Notification)
    assert [(e.kind, e.text) for e in events_from_notification(message)] == [("tool_ran", "yes x")]


def test_failed_command_reports_exit_code() -> None:
    item = {"type": "commandExecution", "id": "c", "command": "pytest -q", "status": "failed", "exitCode": 1}
    message = Notification(method="item/completed", params={"item": item})

    assert [(e.kind, e.text) for e in events_from_notification(message)] == [("tool_failed", "exit 1: pytest -q")]


def test_error_response_parses_code_and_message() -> None:
    message = parse_line('{"id":4,"error":{"code":-32001,"message":"Server overloaded; retry later."}}')

    assert isinstance(message, Response) and message.error is not None
    assert (message.error.code, message.error.message) == (-32001, "Server overloaded; retry later.")


def test_decisions_map_to_the_wire() -> None:
    assert approval_result(COMMAND_APPROVAL, PermissionBehavior.ALLOW) == {"decision": "accept"}
    assert approval_result(FILE_CHANGE_APPROVAL, PermissionBehavior.DENY) == {"decision": "decline"}
    assert approval_result(COMMAND_APPROVAL, PermissionBehavior.STOP) == {"decision": "cancel"}
    assert approval_result("execCommandApproval", PermissionBehavior.STOP) == {"decision": "abort"}
    assert approval_result("applyPatchApproval", PermissionBehavior.ALLOW) == {"decision": "approved"}


def test_legacy_approvals_become_tool_requests() -> None:
    command = ServerRequest(id=1, method="execCommandApproval", params={
        "callId": "c", "conversationId": "t", "cwd": "/w", "parsedCmd": [], "command": ["bash", "-lc", "rm -rf build"]})
    patch = ServerRequest(id=2, method="applyPatchApproval", params={
        "callId": "p", "conversationId": "t", "fileChanges": {"/w/a.py": {"type": "update"}}})

    assert tool_request_from_approval(command, {}).command == "rm -rf build"
    assert tool_request_from_approval(patch, {}).paths == ("/w/a.py",)


@pytest.mark.parametrize(
    ("wrapped", "inner"),
    [
        ("/bin/bash -lc 'touch a.txt'", "touch a.txt"),
        ("bash -c 'pytest -q && echo ok'", "pytest -q && echo ok"),
        ("/usr/bin/zsh -lc ls", "ls"),
        ("git status", "git status"),
        ("/bin/bash -lc 'unterminated", "/bin/bash -lc 'unterminated"),
    ],
)
def test_shell_wrapper_is_unwrapped_for_the_policy(wrapped: str, inner: str) -> None:
    assert shell_inner_command(wrapped) == inner


class RecordingWriter:
    """Stands in for the app-server's stdin: records what the client writes."""

    def __init__(self) -> None:
        self.lines: list[dict] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.lines.extend(json.loads(line) for line in data.decode().splitlines())

    async def drain(self) -> None:
        return None

    def is_closing(self) -> bool:
        return self.closed


def _client(reader: asyncio.StreamReader, writer: RecordingWriter) -> AppServerClient:
    return AppServerClient(reader, writer)  # type: ignore[arg-type]


async def test_client_matches_responses_and_queues_server_messages_across_a_huge_line() -> None:
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    writer = RecordingWriter()
    client = _client(reader, writer)

    pending = asyncio.create_task(client.request("thread/start", {"cwd": "/w"}))
    await asyncio.sleep(0)
    assert writer.lines == [{"id": 1, "method": "thread/start", "params": {"cwd": "/w"}}]
    huge = json.dumps({"method": "item/agentMessage/delta", "params": {"delta": "y" * (3 * 1024 * 1024)}})
    reader.feed_data(huge.encode() + b"\n")
    reader.feed_data(b'{"method":"item/commandExecution/requestApproval","id":0,"params":{"itemId":"c"}}\n')
    reader.feed_data(b'{"id":1,"result":{"thread":{"id":"t1"}}}\n')

    assert await pending == {"thread": {"id": "t1"}}
    first, second = await client.incoming.get(), await client.incoming.get()
    assert isinstance(first, Notification) and len(str(first.params["delta"])) == 3 * 1024 * 1024
    assert isinstance(second, ServerRequest) and second.id == 0
    await client.respond(second.id, {"decision": "accept"})
    assert writer.lines[-1] == {"id": 0, "result": {"decision": "accept"}}
    await client.close()


async def test_client_error_response_raises_and_eof_fails_pending_requests() -> None:
    reader = asyncio.StreamReader()
    client = _client(reader, RecordingWriter())

    failing = asyncio.create_task(client.request("thread/resume", {"threadId": "nope"}))
    await asyncio.sleep(0)
    reader.feed_data(b'{"id":1,"error":{"code":-32600,"message":"thread not found"}}\n')
    with pytest.raises(CodexRpcError, match="thread not found"):
        await failing

    hanging = asyncio.create_task(client.request("turn/start", {}))
    await asyncio.sleep(0)
    reader.feed_eof()
    with pytest.raises(CodexConnectionLost):
        await hanging
    assert await client.incoming.get() is None
    await client.close()
