"""The git adapter's exception tree. Every message is one line that is safe to show a person: no stack
trace, no credential, no long path.

    WorkspaceError (bot.domain.errors.HotfixError)
    ├── NotARepositoryError    repo_path / worktree is not a git checkout
    ├── InvalidNameError       branch, slug, sha or path rejected before reaching git
    ├── BaseBranchNotFoundError the base branch exists neither locally nor on the remote
    ├── AlreadyExistsError     the hotfix branch or worktree is already there (nothing was created)
    ├── DiffChangedError       the diff no longer has the approved sha256 (also a Conflict)
    ├── NothingToCommitError   the diff is empty
    ├── PushError              the push failed or was rejected (never forced)
    └── GitCommandError        any other git failure
"""

from __future__ import annotations

from bot.domain.errors import Conflict, HotfixError

__all__ = [
    "AlreadyExistsError",
    "BaseBranchNotFoundError",
    "DiffChangedError",
    "GitCommandError",
    "InvalidNameError",
    "NotARepositoryError",
    "NothingToCommitError",
    "PushError",
    "WorkspaceError",
]


class WorkspaceError(HotfixError):
    """Base of the git adapter's errors; ``str(e)`` is one line a person may read."""


class NotARepositoryError(WorkspaceError):
    pass


class InvalidNameError(WorkspaceError):
    pass


class BaseBranchNotFoundError(WorkspaceError):
    pass


class AlreadyExistsError(WorkspaceError):
    pass


class DiffChangedError(WorkspaceError, Conflict):
    def __init__(self, *, expected_sha256: str, actual_sha256: str) -> None:
        super().__init__(
            f"the diff changed since it was approved ({expected_sha256[:12]} -> {actual_sha256[:12]}); "
            "nothing was committed"
        )
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256


class NothingToCommitError(WorkspaceError):
    pass


class PushError(WorkspaceError):
    pass


class GitCommandError(WorkspaceError):
    pass
