"""Checks on every name that reaches a git command line: branch names, slugs, shas, repository paths.
A rejected name raises InvalidNameError before git runs, so nothing is half-created."""

from __future__ import annotations

import re

from adapters.git.cli import GitCli
from adapters.git.errors import InvalidNameError

__all__ = [
    "check_branch",
    "check_number",
    "check_repo_relative_path",
    "check_sha",
    "check_slug",
    "hotfix_branch",
    "worktree_dirname",
]

_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_SHA = re.compile(r"[0-9a-f]{4,64}")
_MAX_BRANCH = 200


def hotfix_branch(cli: GitCli, *, number: int, slug: str) -> str:
    """``hotfix/<number>-<slug>``, after checking the slug and git's own ref-name rules."""
    branch = f"hotfix/{check_number(number)}-{check_slug(slug)}"
    check_branch(cli, branch)
    return branch


def check_number(number: int) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise InvalidNameError("the hotfix number must be a positive integer")
    return number


def check_slug(slug: str) -> str:
    """Letters, digits, ``.``, ``_``, ``-``; starts with a letter or digit; at most 80 characters; and no
    sequence git's ref-name rules refuse (``..``, a trailing ``.`` or ``.lock``)."""
    if not _SLUG.fullmatch(slug or "") or ".." in slug or slug.endswith((".", ".lock")):
        raise InvalidNameError(
            "the branch slug may only hold letters, digits, '.', '_' and '-' (at most 80, no leading symbol)"
        )
    return slug


def worktree_dirname(number: int) -> str:
    return f"HF-{number}"


def check_branch(cli: GitCli, branch: str) -> None:
    """Git's ``check-ref-format`` semantics, plus no option-looking or overlong names."""
    printable = branch.isprintable() and not any(ch.isspace() for ch in branch)
    if not branch or branch.startswith("-") or len(branch) > _MAX_BRANCH or not printable:
        raise InvalidNameError("not a usable branch name")
    if not cli.ok("check-ref-format", f"refs/heads/{branch}"):
        raise InvalidNameError("not a valid git branch name (git check-ref-format refused it)")


def check_sha(sha: str) -> str:
    if not _SHA.fullmatch(sha or ""):
        raise InvalidNameError("not a commit sha")
    return sha


def check_repo_relative_path(path: str) -> str:
    """A path inside the repository: relative, no ``..``, no control characters."""
    parts = path.replace("\\", "/").split("/")
    if not path or path.startswith("/") or ".." in parts or not path.isprintable() or path.startswith("-"):
        raise InvalidNameError("not a path inside the repository")
    return "/".join(part for part in parts if part not in ("", "."))
