"""Helpers for the Claude Code contract tests: the recording sink and process snapshots."""

from __future__ import annotations

import asyncio
import os
from collections import deque
from pathlib import Path

from claude_model_server import ScriptedModel

from adapters.agents.process import descendants
from bot.domain.agent import AgentEvent, Permission, PermissionBehavior
from bot.domain.tool import ToolRequest

ALLOW = Permission(behavior=PermissionBehavior.ALLOW)


class RecordingSink:
    """The core's side of a run. ``answers`` are handed out in order (then ALLOW); with ``gate`` set, each
    request waits for it. ``asked`` is set when a request arrives."""

    def __init__(self, *answers: Permission, gate: asyncio.Event | None = None) -> None:
        self.events: list[AgentEvent] = []
        self.requests: list[ToolRequest] = []
        self.answers: deque[Permission] = deque(answers)
        self.gate = gate
        self.asked = asyncio.Event()
        self.cancelled_while_waiting = False
        self.processes: set[int] = set()  # every process seen below this test while events arrived

    async def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)
        self.processes |= own_descendants()

    async def request_permission(self, request: ToolRequest) -> Permission:
        self.requests.append(request)
        self.processes |= own_descendants()
        self.asked.set()
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled_while_waiting = True
                raise
        return self.answers.popleft() if self.answers else ALLOW

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def of_kind(self, kind: str) -> list[AgentEvent]:
        return [event for event in self.events if event.kind == kind]


def agent_env(model: ScriptedModel, home: Path) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": model.base_url, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-secret",
            "HOME": str(home)}


def own_descendants() -> set[int]:
    """Every live process below this test process (the CLI and whatever it started)."""
    return set(descendants(os.getpid()))
