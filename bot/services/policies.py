"""The repository policy in force for a run: ``.hotfix.toml`` at the tip of the base branch of the configured
checkout, merged with the built-in defaults. The copy inside a hotfix worktree is never read, so an agent that
edits it cannot relax the policy of the run that made the edit."""

from __future__ import annotations

from bot.domain.config import RepoConfig
from bot.domain.policy import Policy, load_policy
from bot.ports import Workspace

__all__ = ["POLICY_FILE", "repo_policy"]

POLICY_FILE = ".hotfix.toml"


async def repo_policy(workspace: Workspace, repo: RepoConfig) -> Policy:
    """Raises ``bot.domain.policy.PolicyError`` (naming the file and key) when the file is malformed."""
    text = await workspace.read_base_file(repo_path=repo.path, base_branch=repo.base_branch, path=POLICY_FILE)
    return load_policy(text, source=f"{repo.name}/{POLICY_FILE}")
