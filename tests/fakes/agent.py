"""A scripted AgentRunner: a list of steps (events, tool requests, edits) played against the real sink."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.domain.agent import AgentEvent, AgentOutcome, AgentRunSpec, PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.ports import AgentEventSink

Step = AgentEvent | ToolRequest | Callable[[AgentRunSpec], Awaitable[None] | None] | str


@dataclass
class FakeAgentRunner:
    """Each ``run`` plays the next script. A ToolRequest step asks the sink; ALLOW runs ``on_allow`` (if any).
    A str step ``"hang"`` waits until cancelled. The outcome is ``outcome`` unless a STOP answer ends it."""

    scripts: list[list[Step]] = field(default_factory=list)
    outcome_text: str = "Fixed.\nManual verification:\n1. POST an empty payload, expect 400."
    on_allow: Callable[[ToolRequest, AgentRunSpec], None] | None = None
    specs: list[AgentRunSpec] = field(default_factory=list)
    answers: list[tuple[str, PermissionBehavior]] = field(default_factory=list)
    cancelled: int = 0
    fail_with: str | None = None

    async def run(self, spec: AgentRunSpec, sink: AgentEventSink) -> AgentOutcome:
        self.specs.append(spec)
        script = self.scripts.pop(0) if self.scripts else []
        session = spec.session_id or f"session-{spec.hotfix_id}"
        try:
            await sink.on_event(AgentEvent(kind="started", session_id=session))
            for step in script:
                if isinstance(step, AgentEvent):
                    await sink.on_event(step)
                elif isinstance(step, ToolRequest):
                    answer = await sink.request_permission(step)
                    self.answers.append((step.subject, answer.behavior))
                    if answer.behavior is PermissionBehavior.STOP:
                        return AgentOutcome(ok=False, kind="interrupted", interrupted=True, session_id=session,
                                            error="stopped")
                    if answer.behavior is PermissionBehavior.ALLOW and self.on_allow:
                        self.on_allow(step, spec)
                elif step == "hang":
                    await asyncio.Event().wait()
                else:
                    result = step(spec)  # type: ignore[operator]
                    if asyncio.iscoroutine(result):
                        await result
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        if self.fail_with:
            return AgentOutcome(ok=False, kind="failed", error=self.fail_with, session_id=session)
        return AgentOutcome(ok=True, final_text=self.outcome_text, session_id=session, cost_usd=0.12)
