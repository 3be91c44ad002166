"""Figure 4: 20,000 agent stream events through parse -> domain events -> card renders, against
json-decoding the same lines; and chat calls per card per second through the real throttle.

The lines are Claude Code stream-json (system/init, assistant text and tool_use, user tool_result, result)
replayed by an AgentRunner that does what ``ClaudeCodeRunner`` does with each stdout line: ``parse_line``,
``ClaudeStream.feed``, ``sink.on_event``. The sink is the real core's (``build_core``): every event is a
committed progress change whose status card the publisher renders; the notifier renders it for Telegram
(``render_card``) and hands it to the real ``Throttle`` with Telegram's limits and a fake send that records when
each card was edited. Measured: from the first line to the last card handed over (bus drained). Storage is
the in-memory fake and, as a second figure, SQLite (every event is a committed transaction there).
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict
from typing import Any

from adapters.agents.claude.stream import ClaudeStream, parse_line
from adapters.common.throttle import Throttle
from adapters.telegram.notifier import telegram_throttle
from adapters.telegram.outbound import render_card
from bench.figure import Figure
from bench.world import open_core, people
from bot.domain.agent import AgentOutcome, AgentRunSpec
from bot.domain.values import ConversationRef, MessageRef, State
from bot.ports import AgentEventSink
from bot.render.card import Card
from bot.services.commands import FileHotfix

__all__ = ["claude_lines", "run"]

CHAT = ConversationRef(platform="telegram", key="-100200")
SESSION = "5d6c0d1e-bench-session"


def _assistant(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "assistant", "session_id": SESSION, "parent_tool_use_id": None,
            "message": {"id": "msg_x", "type": "message", "role": "assistant", "model": "claude-bench",
                        "content": blocks, "stop_reason": None, "usage": {"input_tokens": 10, "output_tokens": 5}}}


def _result_of(tool_id: str, text: str) -> dict[str, Any]:
    return {"type": "user", "session_id": SESSION, "parent_tool_use_id": None,
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id,
                                                     "content": text, "is_error": False}]}}


def _round(n: int, worktree: str) -> list[dict[str, Any]]:
    """One agent step: a remark, a read, an edit and a test run with their results (7 events)."""
    path = f"{worktree}/shop/module_{n % 7}.py"
    return [
        _assistant([{"type": "text", "text": f"Step {n}: the payload handler returns 500 on an empty body; "
                                             "checking the webhook and its tests."}]),
        _assistant([{"type": "tool_use", "id": f"toolu_r{n}", "name": "Read", "input": {"file_path": path}}]),
        _result_of(f"toolu_r{n}", "def handle(body):\n    return 200\n" * 20),
        _assistant([{"type": "tool_use", "id": f"toolu_e{n}", "name": "Edit",
                     "input": {"file_path": path, "old_string": "return 200", "new_string": "return 400"}}]),
        _result_of(f"toolu_e{n}", f"The file {path} has been updated."),
        _assistant([{"type": "tool_use", "id": f"toolu_b{n}", "name": "Bash",
                     "input": {"command": "pytest -q tests/test_webhook.py", "description": "run the tests"}}]),
        _result_of(f"toolu_b{n}", "....... 7 passed in 0.12s"),
    ]


def claude_lines(events: int, worktree: str) -> list[str]:
    """About ``events`` agent events as Claude Code stdout lines (7 events per 7 lines, plus start and end)."""
    init = {"type": "system", "subtype": "init", "session_id": SESSION, "cwd": worktree, "tools": ["Read"],
            "model": "claude-bench", "permissionMode": "default"}
    result = {"type": "result", "subtype": "success", "is_error": False, "duration_ms": 1000, "num_turns": 3,
              "result": "Fixed.\nManual verification:\n1. POST an empty payload, expect 400.",
              "session_id": SESSION, "total_cost_usd": 0.42}
    body = [line for n in range(max(1, events // 8)) for line in _round(n, worktree)]
    return [json.dumps(m) for m in (init, *body, result)]


class ReplayRunner:
    """An AgentRunner replaying stdout lines the way ClaudeCodeRunner maps them (parse, feed, on_event)."""

    def __init__(self, make_lines: Any) -> None:
        self._make_lines = make_lines
        self.lines: list[str] = []
        self.events = 0
        self.started_at = 0.0
        self.replayed_at = 0.0

    async def run(self, spec: AgentRunSpec, sink: AgentEventSink) -> AgentOutcome:
        self.lines = self._make_lines(spec.worktree)
        stream = ClaudeStream(session_id=spec.session_id)
        self.started_at = time.perf_counter()
        for line in self.lines:
            message = parse_line(line)
            if message is None:
                continue
            for event in stream.feed(message):
                self.events += 1
                await sink.on_event(event)
        self.replayed_at = time.perf_counter()
        assert stream.result is not None
        return AgentOutcome(ok=True, final_text=stream.result.text, session_id=stream.session_id,
                            cost_usd=stream.result.cost_usd)


class ThrottledRecorder:
    """A Notifier shaped like TelegramNotifier (render, then send or coalesce through the throttle) whose
    wire is a fake that records when each message was sent or edited."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle
        self._ids = itertools.count(1)
        self.renders = 0
        self.calls: dict[str, list[float]] = defaultdict(list)  # message key -> send/edit times

    def _record(self, key: str) -> Any:
        async def send() -> None:
            self.calls[key].append(time.monotonic())

        return send

    async def post(self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None
                   ) -> MessageRef:
        render_card(card)
        self.renders += 1
        key = str(next(self._ids))
        await self.throttle.send(conversation.key, self._record(key))
        return MessageRef(conversation=conversation, key=key)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        render_card(card)
        self.renders += 1
        self.throttle.coalesce(ref.conversation.key, f"edit:{ref.key}", self._record(ref.key))

    async def reply(self, conversation: ConversationRef, text: str, *, thread: MessageRef | None = None,
                    ephemeral_to: str | None = None) -> None:
        await self.throttle.send(conversation.key, self._record(f"reply-{next(self._ids)}"))

    async def upload(self, conversation: ConversationRef, filename: str, content: bytes, *,
                     thread: MessageRef | None = None, comment: str = "") -> None:
        return None


def worst_rate(times: list[float]) -> int:
    """The most calls for one message inside any one-second window."""
    ordered = sorted(times)
    return max((len([t for t in ordered[i:] if t < start + 1.0]) for i, start in enumerate(ordered)), default=0)


async def ingest(events: int, *, sqlite: bool) -> dict[str, Any]:
    runner = ReplayRunner(lambda worktree: claude_lines(events, worktree))
    notifier = ThrottledRecorder(telegram_throttle())
    crew = people(["telegram:111"], ["telegram:222"])
    bench = await open_core(people=crew, channels=(str(CHAT),), notifiers={"telegram": notifier}, runner=runner,
                            sqlite=sqlite)
    try:
        await bench.core.bus.handle(FileHotfix(actor="telegram:111", conversation=CHAT,
                                               description="the checkout webhook returns 500 on an empty payload"))
        while runner.replayed_at == 0.0 or bench.core.runs.tasks:
            await bench.core.bus.drain()
            await _yield()
        await bench.core.bus.drain()
        handed_over = time.perf_counter()
        state = bench.core.bus.read(1).state
        lines = runner.lines
        floor_started = time.perf_counter()
        for line in lines:
            json.loads(line)
        floor = time.perf_counter() - floor_started
        await notifier.throttle.drain()
    finally:
        await bench.close()
    return {"seconds": handed_over - runner.started_at, "floor": floor, "events": runner.events,
            "lines": len(lines), "renders": notifier.renders, "state": state,
            "worst_rate": max(worst_rate(times) for times in notifier.calls.values()),
            "card_calls": sum(len(times) for times in notifier.calls.values())}


async def _yield() -> None:
    import asyncio

    await asyncio.sleep(0.001)


async def run(*, smoke: bool) -> list[Figure]:
    figures: list[Figure] = []
    for sqlite in (False, True):
        # SQLite commits every event durably (fsync): 2,000 events there show the rate without ten minutes
        events = 150 if smoke else (2_000 if sqlite else 20_000)
        got = await ingest(events, sqlite=sqlite)
        storage = "SQLite" if sqlite else "in-memory"
        ok = got["state"] is State.REVIEW
        figures.append(Figure(
            benchmark="stream ingestion", name=f"{got['events']:,} events ({storage})", value=got["seconds"] * 1000,
            floor=got["floor"] * 1000, unit="ms", target="ratio reported",
            note=f"{got['events'] / got['seconds']:,.0f} events/s; {got['renders']:,} card renders, "
                 f"{got['card_calls']} chat calls; run ended in {got['state'].value}" + ("" if ok else " (!)"),
            extra={k: v for k, v in got.items() if k != "state"}))
        figures.append(Figure(
            benchmark="stream ingestion", name=f"chat calls per card per s ({storage})", value=got["worst_rate"],
            unit="calls/s", target="≤ 1", met=got["worst_rate"] <= 1))
    return figures
