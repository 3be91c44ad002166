"""Agent-neutral values: what a run is asked to do, what it reports, and how a tool request is answered."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.domain.values import AgentKind, Mode

__all__ = [
    "AgentEvent",
    "AgentEventKind",
    "AgentOutcome",
    "AgentRunSpec",
    "Permission",
    "PermissionBehavior",
]

AgentEventKind = Literal[
    "started",  # session_id set
    "said",  # text: assistant prose
    "tool_requested",  # tool, text: subject
    "tool_ran",  # tool, text: short summary
    "tool_failed",  # tool, text: error summary
    "files_changed",  # paths
    "cost",  # cost_usd: cumulative
    "finished",  # text: final message
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEvent:
    kind: AgentEventKind
    text: str = ""
    tool: str | None = None
    session_id: str | None = None
    paths: tuple[str, ...] = ()
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRunSpec:
    """One turn of an agent session in a worktree.

    ``session_id`` set means: continue that session (revise, patch after plan, resume after restart).
    ``instructions`` is appended to the agent's own system prompt (hotfix rules for the mode).
    """

    hotfix_id: int
    agent: AgentKind
    mode: Mode
    worktree: str
    prompt: str
    instructions: str
    session_id: str | None = None
    idle_timeout: timedelta = timedelta(minutes=10)


class PermissionBehavior(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"  # the agent is told ``message`` and goes on
    STOP = "stop"  # deny and interrupt the run


@dataclass(frozen=True, slots=True, kw_only=True)
class Permission:
    behavior: PermissionBehavior
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentOutcome:
    """How a turn ended. ``error`` is a one-line reason for people when ``ok`` is False."""

    ok: bool
    session_id: str | None = None
    final_text: str = ""
    error: str | None = None
    interrupted: bool = False
    cost_usd: float | None = None
    kind: Literal["completed", "interrupted", "failed"] = "completed"
