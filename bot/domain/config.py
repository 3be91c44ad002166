"""Configuration values the core works with (loaded and validated outside the core)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.people import People
from bot.domain.values import AgentKind

__all__ = ["BotConfig", "RepoConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoConfig:
    name: str
    path: str
    base_branch: str = "main"
    agent: AgentKind = AgentKind.CLAUDE
    channels: tuple[str, ...] = ()  # "<platform>:<conversation id>"
    file_lane_requester: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BotConfig:
    repos: tuple[RepoConfig, ...]
    people: People
    state_dir: str
    max_concurrent_runs: int = 2
    extra: dict[str, str] = field(default_factory=dict)

    def repo(self, name: str) -> RepoConfig | None:
        for repo in self.repos:
            if repo.name.lower() == name.lower():
                return repo
        return None

    def default_repo(self, conversation: str) -> RepoConfig | None:
        """The repo whose ``channels`` name this conversation, else the only repo if there is one."""
        for repo in self.repos:
            if conversation in repo.channels:
                return repo
        return self.repos[0] if len(self.repos) == 1 else None

    def worktree_root(self, repo: str) -> str:
        return f"{self.state_dir.rstrip('/')}/worktrees/{repo}"
