"""Verification: the repository's focused test command, run by the bot itself in the hotfix worktree."""

from adapters.verification.runner import SubprocessVerifier

__all__ = ["SubprocessVerifier"]
