"""The pure Claude Code stream mapping, over real captured CLI output plus unknown and malformed input.

Captures come from /work/shared/reference/captures/claude (real claude 2.1.329 <-> claude-agent-sdk 0.2.186).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.agents.claude.errors import describe_result, idle_error, one_line
from adapters.agents.claude.mapping import tool_kind, tool_request
from adapters.agents.claude.stream import ClaudeProtocolError, ClaudeStream, TurnResult, parse_line
from bot.domain.agent import AgentEvent

CAPTURES = Path(__file__).parent / "claude_captures"
SESSION = "59b57405-a66a-42fd-9281-69d850204637"


def replay(name: str) -> tuple[ClaudeStream, list[AgentEvent]]:
    stream = ClaudeStream()
    events: list[AgentEvent] = []
    for line in (CAPTURES / name).read_text().splitlines():
        message = parse_line(line)
        if message is not None:
            events.extend(stream.feed(message))
    return stream, events


def kinds(events: list[AgentEvent]) -> list[str]:
    return [event.kind for event in events]


def test_allowed_command_capture() -> None:
    stream, events = replay("sdk-can_use_tool-allow.cli-to-sdk.jsonl")

    assert kinds(events) == ["started", "said", "tool_requested", "tool_ran", "said", "cost", "finished"]
    assert events[0].session_id == SESSION == stream.session_id
    assert (events[2].tool, events[2].text) == ("Bash", "echo hi > hello.txt")
    assert (events[3].tool, events[3].text) == ("Bash", "(Bash completed with no output)")
    assert events[5].cost_usd == pytest.approx(0.000564)
    assert events[6].text == "done"
    assert stream.result is not None and stream.result.cost_usd == pytest.approx(0.000564)
    assert stream.result == TurnResult(subtype="success", is_error=False, text="done", session_id=SESSION,
                                       cost_usd=stream.result.cost_usd, terminal_reason="completed")


def test_denied_command_capture_reports_the_failure_and_goes_on() -> None:
    stream, events = replay("sdk-can_use_tool-deny.cli-to-sdk.jsonl")

    assert kinds(events) == ["started", "said", "tool_requested", "tool_failed", "said", "cost", "finished"]
    assert events[3].tool == "Bash" and events[3].text == "User denied this action"
    assert stream.result is not None and not stream.result.is_error


@pytest.mark.parametrize("name", [
    "sdk-can_use_tool-deny-interrupt.cli-to-sdk.jsonl",
    "sdk-interrupt-while-approval-pending.cli-to-sdk.jsonl",
])
def test_stopped_turn_captures_end_in_an_error_result(name: str) -> None:
    stream, events = replay(name)

    assert "finished" not in kinds(events)
    assert kinds(events)[-1] == "cost"
    assert stream.result is not None and stream.result.is_error
    assert (stream.result.subtype, stream.result.terminal_reason) == ("error_during_execution", "aborted_tools")


def test_interrupt_during_tool_then_next_turn_capture() -> None:
    stream, events = replay("sdk-interrupt-during-tool.cli-to-sdk.jsonl")

    assert kinds(events).count("started") == 1  # the second turn's init repeats the same session
    assert "tool_failed" in kinds(events)
    assert kinds(events)[-2:] == ["cost", "finished"]
    assert stream.result is not None and not stream.result.is_error


def test_hook_ask_capture_and_print_mode_capture() -> None:
    _, hooked = replay("sdk-hook-ask-then-can_use_tool.cli-to-sdk.jsonl")
    stream, printed = replay("print-mode-default-autodeny.cli-stdout.jsonl")

    assert "tool_ran" in kinds(hooked)
    assert kinds(printed) == ["started", "said", "tool_requested", "tool_failed", "said", "cost", "finished"]
    assert "needs approval" in printed[3].text
    assert stream.result is not None and stream.result.text == "done"


def test_a_resumed_session_is_announced_once_per_run() -> None:
    stream = ClaudeStream(session_id=SESSION)
    init = {"type": "system", "subtype": "init", "session_id": SESSION}

    assert stream.feed(init) == [AgentEvent(kind="started", session_id=SESSION)]
    assert stream.feed(init) == []


def test_long_prose_is_shortened_in_events() -> None:
    stream = ClaudeStream()
    [said] = stream.feed({"type": "assistant", "message": {"content": [{"type": "text", "text": "y" * 10_000}]}})
    assert len(said.text) == 4000 and said.text.endswith("…")


def test_unknown_types_subtypes_and_blocks_are_skipped() -> None:
    stream = ClaudeStream()

    assert stream.feed({"type": "brand_new_event", "payload": {"x": 1}}) == []
    assert stream.feed({"type": "system", "subtype": "future_subtype"}) == []
    assert stream.feed({"type": "tool_progress", "tool_name": "Bash", "heartbeat": True}) == []
    assert stream.feed({"type": "control_request", "request_id": "r", "request": {"subtype": "x"}}) == []
    assert stream.feed({"no_type": True}) == []
    blocks = {"type": "assistant", "message": {"content": [{"type": "hologram", "data": "?"},
                                                          {"type": "text", "text": "still here"}]}}
    assert stream.feed(blocks) == [AgentEvent(kind="said", text="still here")]


@pytest.mark.parametrize("message", [
    {"type": "system", "subtype": "init"},
    {"type": "assistant"},
    {"type": "assistant", "message": {"content": "not a list"}},
    {"type": "assistant", "message": {"content": [{"type": "tool_use", "name": "Bash", "input": {}}]}},
    {"type": "assistant", "message": {"content": [{"type": "tool_use", "id": "t1", "input": {}}]}},
    {"type": "user", "message": {"content": [{"type": "tool_result", "content": "x"}]}},
    {"type": "result", "is_error": False},
    {"type": "result", "subtype": "success"},
])
def test_known_messages_missing_fields_raise_one_protocol_error(message: dict[str, Any]) -> None:
    with pytest.raises(ClaudeProtocolError):
        ClaudeStream().feed(message)


def test_a_line_over_one_mebibyte_is_parsed_and_summarised() -> None:
    stream = ClaudeStream()
    stream.feed({"type": "assistant", "message": {"content": [
        {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "big.log"}}]}})
    huge = "x" * (2 * 1024 * 1024)
    line = json.dumps({"type": "user", "message": {"content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": huge}]}]}})
    assert len(line) > 1024 * 1024

    message = parse_line(line.encode())
    assert message is not None
    [ran] = stream.feed(message)
    assert ran.kind == "tool_ran" and ran.tool == "Read" and len(ran.text) <= 300


def test_parse_line_skips_noise_and_rejects_broken_json() -> None:
    assert parse_line("") is None
    assert parse_line("[SandboxDebug] something\n") is None
    assert parse_line(b'{"type": "result"}\r\n') == {"type": "result"}
    with pytest.raises(ClaudeProtocolError):
        parse_line('{"type": "assist')


def test_successful_writes_are_files_changed_failed_ones_are_not() -> None:
    stream = ClaudeStream()
    for tool_id, name, path in [("e1", "Edit", "calc.py"), ("w1", "Write", "new.py"), ("e2", "Edit", "x.py"),
                                ("r1", "Read", "calc.py")]:
        stream.feed({"type": "assistant", "message": {"content": [
            {"type": "tool_use", "id": tool_id, "name": name, "input": {"file_path": path}}]}})

    def result(tool_id: str, is_error: bool) -> list[AgentEvent]:
        return stream.feed({"type": "user", "message": {"content": [
            {"type": "tool_result", "tool_use_id": tool_id, "content": "ok", "is_error": is_error}]}})

    assert kinds(result("e1", False)) == ["tool_ran", "files_changed"]
    assert result("w1", False)[1].paths == ("new.py",)
    assert kinds(result("e2", True)) == ["tool_failed"]
    assert kinds(result("r1", False)) == ["tool_ran"]


@pytest.mark.parametrize(("name", "kind"), [
    ("Bash", "command"), ("Edit", "write"), ("Write", "write"), ("MultiEdit", "write"),
    ("NotebookEdit", "write"), ("Read", "read"), ("Grep", "read"), ("Glob", "read"), ("LS", "read"),
    ("WebFetch", "other"), ("mcp__db__query", "other"), ("Task", "other"),
])
def test_tool_kinds(name: str, kind: str) -> None:
    assert tool_kind(name) == kind


def test_tool_requests_keep_paths_as_given() -> None:
    def no_links(path: str) -> str:
        return path

    bash = tool_request("Bash", {"command": "pytest -q", "description": "run"}, cwd="/wt", resolve=no_links)
    edit = tool_request("Edit", {"file_path": "src/a.py", "old_string": "a", "new_string": "b"}, cwd="/wt",
                        resolve=no_links)
    notebook = tool_request("NotebookEdit", {"notebook_path": "/wt/n.ipynb"}, cwd="/wt", resolve=no_links)
    grep = tool_request("Grep", {"pattern": "TODO"}, cwd="/wt", resolve=no_links)
    fetch = tool_request("WebFetch", {"url": "https://example.com"}, cwd="/wt", resolve=no_links)

    assert (bash.kind, bash.command, bash.paths, bash.subject) == ("command", "pytest -q", (), "pytest -q")
    assert (edit.kind, edit.paths, edit.cwd) == ("write", ("src/a.py",), "/wt")
    assert edit.raw == {"file_path": "src/a.py", "old_string": "a", "new_string": "b"}
    assert notebook.paths == ("/wt/n.ipynb",)
    assert (grep.kind, grep.paths, grep.subject) == ("read", (), "Grep")
    assert (fetch.kind, fetch.command, fetch.paths) == ("other", None, ())


def test_a_path_through_a_symlink_also_carries_its_real_path() -> None:
    links = {"/wt/config/app.env": "/etc/secret/app.env"}

    request = tool_request("Write", {"file_path": "config/app.env", "content": "x"}, cwd="/wt",
                           resolve=lambda path: links.get(path, path))

    assert request.paths == ("config/app.env", "/etc/secret/app.env")


def test_reasons_for_people_are_one_short_line() -> None:
    assert idle_error(timedelta(minutes=10)) == "no output for 10 minutes"
    assert idle_error(timedelta(minutes=1)) == "no output for 1 minute"
    assert idle_error(timedelta(seconds=1.5)) == "no output for 1.5 seconds"
    failed = TurnResult(subtype="success", is_error=True, text="Invalid API key · Fix external API key\nmore",
                        session_id=None, cost_usd=None, terminal_reason=None)
    assert describe_result(failed) == "Claude Code: Invalid API key · Fix external API key"
    turns = TurnResult(subtype="error_max_turns", is_error=True, text="", session_id=None, cost_usd=None,
                       terminal_reason="max_turns")
    assert describe_result(turns) == "Claude Code reached its turn limit"
    assert len(one_line("x" * 500)) == 200
