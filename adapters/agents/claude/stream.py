"""Pure mapping of Claude Code's stream-json messages to agent-neutral ``AgentEvent`` values.

No I/O and no SDK imports: ``parse_line`` turns one stdout line into a dict, ``ClaudeStream.feed`` turns one
dict into events and remembers what a turn needs (session id, tool calls in flight, the result). It is
forward-compatible: unknown message types, subtypes and content blocks are skipped; a known message missing a
field it needs raises ``ClaudeProtocolError`` (the only exception raised here). Control-protocol frames
(``control_request``/``control_response``…) belong to the SDK and are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from adapters.agents.claude.mapping import tool_kind, tool_paths, tool_subject
from bot.domain.agent import AgentEvent

__all__ = ["ClaudeProtocolError", "ClaudeStream", "TurnResult", "parse_line"]

SUMMARY_CHARS = 300  # tool results
TEXT_CHARS = 4000  # prose in events; the outcome keeps the whole final text


class ClaudeProtocolError(Exception):
    """Claude Code sent something this adapter cannot read (bad JSON, a known message missing a field)."""


def parse_line(line: str | bytes) -> dict[str, Any] | None:
    """One NDJSON line -> dict. Blank and non-JSON lines (debug noise) give None; broken JSON raises."""
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ClaudeProtocolError(f"unreadable JSON line at column {error.colno}") from None
    if not isinstance(data, dict):
        raise ClaudeProtocolError("a stream line is not a JSON object")
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnResult:
    """The ``result`` message that ends a turn."""

    subtype: str
    is_error: bool
    text: str
    session_id: str | None
    cost_usd: float | None
    terminal_reason: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _ToolCall:
    name: str
    paths: tuple[str, ...]


@dataclass(slots=True)
class ClaudeStream:
    """State of one turn's stream. ``feed`` each message in order; read ``session_id`` and ``result``."""

    session_id: str | None = None
    result: TurnResult | None = None
    _calls: dict[str, _ToolCall] = field(default_factory=dict)
    _announced: bool = False

    def feed(self, message: dict[str, Any]) -> list[AgentEvent]:
        handler = _HANDLERS.get(str(message.get("type")))
        return handler(self, message) if handler is not None else []

    def _on_system(self, message: dict[str, Any]) -> list[AgentEvent]:
        if message.get("subtype") != "init":
            return []
        session_id = _required_str(message, "session_id", "system/init")
        if self._announced and session_id == self.session_id:
            return []  # every turn repeats init
        self.session_id = session_id
        self._announced = True
        return [AgentEvent(kind="started", session_id=session_id)]

    def _on_assistant(self, message: dict[str, Any]) -> list[AgentEvent]:
        events: list[AgentEvent] = []
        for block in _content_blocks(message, "assistant"):
            block_type = block.get("type")
            if block_type == "text":
                text = str(block.get("text") or "").strip()
                if text:
                    events.append(AgentEvent(kind="said", text=_shortened(text, TEXT_CHARS)))
            elif block_type == "tool_use":
                events.append(self._tool_use(block))
        return events

    def _tool_use(self, block: dict[str, Any]) -> AgentEvent:
        tool_id = _required_str(block, "id", "tool_use")
        name = _required_str(block, "name", "tool_use")
        tool_input = block.get("input")
        tool_input = tool_input if isinstance(tool_input, dict) else {}
        self._calls[tool_id] = _ToolCall(name=name, paths=tool_paths(name, tool_input))
        return AgentEvent(kind="tool_requested", tool=name, text=tool_subject(name, tool_input))

    def _on_user(self, message: dict[str, Any]) -> list[AgentEvent]:
        body = message.get("message")
        if isinstance(body, dict) and isinstance(body.get("content"), str):
            return []  # a replayed prompt
        events: list[AgentEvent] = []
        for block in _content_blocks(message, "user"):
            if block.get("type") == "tool_result":
                events.extend(self._tool_result(block))
        return events

    def _tool_result(self, block: dict[str, Any]) -> list[AgentEvent]:
        tool_id = _required_str(block, "tool_use_id", "tool_result")
        call = self._calls.pop(tool_id, None)
        name = call.name if call is not None else None
        summary = _summary(block.get("content"))
        if block.get("is_error") is True:
            return [AgentEvent(kind="tool_failed", tool=name, text=summary)]
        events = [AgentEvent(kind="tool_ran", tool=name, text=summary)]
        if call is not None and call.paths and tool_kind(call.name) == "write":
            events.append(AgentEvent(kind="files_changed", tool=name, paths=call.paths))
        return events

    def _on_result(self, message: dict[str, Any]) -> list[AgentEvent]:
        subtype = _required_str(message, "subtype", "result")
        is_error = message.get("is_error")
        if not isinstance(is_error, bool):
            raise ClaudeProtocolError("result without is_error")
        cost = message.get("total_cost_usd")
        cost_usd = float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None
        session_id = message.get("session_id")
        self.session_id = session_id if isinstance(session_id, str) and session_id else self.session_id
        self.result = TurnResult(
            subtype=subtype,
            is_error=is_error,
            text=_result_text(message),
            session_id=self.session_id,
            cost_usd=cost_usd,
            terminal_reason=_optional_str(message.get("terminal_reason")),
        )
        events: list[AgentEvent] = []
        if cost_usd is not None:
            events.append(AgentEvent(kind="cost", cost_usd=cost_usd))
        if not is_error:
            events.append(AgentEvent(kind="finished", text=_shortened(self.result.text, TEXT_CHARS)))
        return events


_HANDLERS = {
    "system": ClaudeStream._on_system,
    "assistant": ClaudeStream._on_assistant,
    "user": ClaudeStream._on_user,
    "result": ClaudeStream._on_result,
}


def _required_str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ClaudeProtocolError(f"{where} without {key}")
    return value


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _content_blocks(message: dict[str, Any], where: str) -> list[dict[str, Any]]:
    body = message.get("message")
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise ClaudeProtocolError(f"{where} message without content")
    return [block for block in body["content"] if isinstance(block, dict)]


def _summary(content: object) -> str:
    """A tool result's content (a string or a list of text blocks) as one short line."""
    if isinstance(content, list):
        parts = [str(part.get("text", "")) for part in content if isinstance(part, dict)]
        content = " ".join(part for part in parts if part)
    return _shortened(" ".join(str(content or "").split()), SUMMARY_CHARS)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _result_text(message: dict[str, Any]) -> str:
    text = message.get("result")
    if isinstance(text, str) and text:
        return text
    errors = message.get("errors")
    if isinstance(errors, list):
        return "; ".join(str(error) for error in errors if error)
    return ""
