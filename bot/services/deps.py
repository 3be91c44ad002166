"""What the services need from the outside world, gathered in one place by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.domain.config import BotConfig
from bot.domain.values import AgentKind
from bot.ports import AgentRunner, Clock, Notifier, UnitOfWork, Verifier, Workspace

__all__ = ["Deps"]


@dataclass(kw_only=True)
class Deps:
    config: BotConfig
    uow: Callable[[], UnitOfWork]
    clock: Clock
    notifier: Notifier
    workspace: Workspace
    verifier: Verifier
    runners: Mapping[AgentKind, AgentRunner] = field(default_factory=dict)
    # Why an agent kind has no runner (e.g. "claude-agent-sdk is not installed"), shown when a run fails.
    missing_runner_reasons: Mapping[AgentKind, str] = field(default_factory=dict)
