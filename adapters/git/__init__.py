"""Git adapter: hotfix worktrees, exact diffs, commits and pushes (gitpython running the git binary).

Errors: ``adapters.git.errors`` (``WorkspaceError`` and its subclasses), one line each, safe to show.
"""

from adapters.git.diffparse import parse_unified_diff
from adapters.git.errors import (
    AlreadyExistsError,
    BaseBranchNotFoundError,
    DiffChangedError,
    GitCommandError,
    InvalidNameError,
    NotARepositoryError,
    NothingToCommitError,
    PushError,
    WorkspaceError,
)
from adapters.git.workspace import GitWorkspace
from adapters.git.worktree import GitWorktreeInfo

__all__ = [
    "AlreadyExistsError",
    "BaseBranchNotFoundError",
    "DiffChangedError",
    "GitCommandError",
    "GitWorkspace",
    "GitWorktreeInfo",
    "InvalidNameError",
    "NotARepositoryError",
    "NothingToCommitError",
    "PushError",
    "WorkspaceError",
    "parse_unified_diff",
]
