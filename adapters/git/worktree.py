"""Hotfix worktrees: create, list, remove, find orphans. The configured checkout's working tree, index,
HEAD and current branch are never touched: only refs, ``.git/worktrees/*`` and the new directory change.
Blocking; run inside ``asyncio.to_thread``."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from adapters.git.base import BaseTip, base_tip, require_repository
from adapters.git.cli import GitCli, one_line_reason
from adapters.git.errors import AlreadyExistsError, GitCommandError, InvalidNameError, WorkspaceError
from adapters.git.names import check_branch, hotfix_branch, worktree_dirname
from bot.ports import WorktreeInfo

__all__ = ["GitWorktreeInfo", "create_worktree", "find_orphans", "list_worktrees", "remove_worktree"]

_HOTFIX_DIR = re.compile(r"HF-\d+")


@dataclass(frozen=True, slots=True, kw_only=True)
class GitWorktreeInfo(WorktreeInfo):
    fetch_error: str | None = None  # one line, when a remote existed but could not be fetched (offline)


def create_worktree(*, repo_path: str, base_branch: str, number: int, slug: str, root: str) -> GitWorktreeInfo:
    cli = GitCli(repo_path)
    require_repository(cli)
    branch = hotfix_branch(cli, number=number, slug=slug)
    check_branch(cli, base_branch)
    path = os.path.join(os.path.realpath(root), worktree_dirname(number))
    _refuse_root_inside_checkout(cli, path)
    _refuse_existing(cli, path, branch)
    tip = base_tip(cli, base_branch, fetch=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    status, _, err = cli.run_status("worktree", "add", "--quiet", "-b", branch, path, tip.sha)
    if status != 0:
        _undo_create(cli, path, branch)
        raise GitCommandError(f"could not create the worktree: {one_line_reason(err)}")
    return _info(path, branch, tip)


def _info(path: str, branch: str, tip: BaseTip) -> GitWorktreeInfo:
    return GitWorktreeInfo(
        path=path,
        branch=branch,
        base_sha=tip.sha,
        base_behind=tip.behind,
        fetched=tip.fetched,
        fetch_error=tip.fetch_error,
    )


def _refuse_root_inside_checkout(cli: GitCli, path: str) -> None:
    """A worktree inside the configured checkout would show up there as an untracked directory."""
    status, out, _ = cli.run_status("rev-parse", "--show-toplevel")
    toplevel = os.path.realpath(out.decode("utf-8", errors="replace").strip()) if status == 0 else None
    if toplevel and os.path.commonpath([toplevel, path]) == toplevel:
        raise InvalidNameError("the worktree folder is inside the repository's checkout; use a folder outside it")


def _refuse_existing(cli: GitCli, path: str, branch: str) -> None:
    if _branch_exists(cli, branch):
        raise AlreadyExistsError(f"the branch {branch} already exists")
    name = os.path.basename(path)
    if os.path.lexists(path):
        raise AlreadyExistsError(f"the worktree {name} already exists")
    if path in _registered(cli):
        raise AlreadyExistsError(f"the worktree {name} is still registered; reset it first")


def _undo_create(cli: GitCli, path: str, branch: str) -> None:
    if path in _registered(cli):
        cli.run_status("worktree", "remove", "--force", "--force", path)
    cli.run_status("worktree", "prune")
    if _branch_exists(cli, branch):
        cli.run_status("branch", "-D", branch)


def _branch_exists(cli: GitCli, branch: str) -> bool:
    return cli.ok("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")


def list_worktrees(*, repo_path: str) -> list[str]:
    """Paths of the repository's linked worktrees (the main checkout excluded), as git records them."""
    cli = GitCli(repo_path)
    require_repository(cli)
    return _worktree_paths(cli)[1:]


def _worktree_paths(cli: GitCli) -> list[str]:
    out = cli.run("worktree", "list", "--porcelain", "-z", strip=False, what="git worktree list")
    return [field[len("worktree ") :] for field in out.split("\0") if field.startswith("worktree ")]


def _registered(cli: GitCli) -> set[str]:
    return {os.path.realpath(path) for path in _worktree_paths(cli)[1:]}


def remove_worktree(*, repo_path: str, worktree: str, branch: str) -> None:
    """Remove the worktree (even with changes in it) and delete its branch. Doing it twice is fine."""
    cli = GitCli(repo_path)
    require_repository(cli)
    check_branch(cli, branch)
    path = os.path.realpath(worktree)
    if path in _registered(cli):
        status, _, err = cli.run_status("worktree", "remove", "--force", "--force", path)
        if status != 0 and os.path.lexists(path):
            raise GitCommandError(f"could not remove the worktree: {one_line_reason(err)}")
    elif os.path.lexists(path):
        if not _is_stale_worktree_of(cli, path):
            raise WorkspaceError(f"{os.path.basename(path)} is not a worktree of this repository; left in place")
        shutil.rmtree(path)
    cli.run_status("worktree", "prune")
    if _branch_exists(cli, branch):
        status, _, err = cli.run_status("branch", "-D", branch)
        if status != 0:
            raise GitCommandError(f"could not delete the branch {branch}: {one_line_reason(err)}")


def _is_stale_worktree_of(cli: GitCli, path: str) -> bool:
    """A directory whose ``.git`` file points into this repository's ``worktrees/`` (git forgot it)."""
    marker = os.path.join(path, ".git")
    if not os.path.isfile(marker) or os.path.islink(path):
        return False
    with open(marker, encoding="utf-8", errors="replace") as handle:
        content = handle.read(4096).strip()
    if not content.startswith("gitdir: "):
        return False
    common = cli.run("rev-parse", "--path-format=absolute", "--git-common-dir", what="git rev-parse")
    gitdir = os.path.realpath(os.path.join(path, content[len("gitdir: ") :]))
    return os.path.dirname(gitdir) == os.path.join(os.path.realpath(common), "worktrees")


def find_orphans(*, repo_path: str, root: str, known: Iterable[str]) -> list[str]:
    """Worktree directories under ``root`` (``HF-<n>``, or registered with git there) that no live hotfix
    owns. ``known`` holds the live worktree paths or their directory names (``HF-7``)."""
    cli = GitCli(repo_path)
    require_repository(cli)
    root = os.path.realpath(root)
    candidates = {path for path in _registered(cli) if os.path.dirname(path) == root}
    if os.path.isdir(root):
        for entry in os.scandir(root):
            if _HOTFIX_DIR.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                candidates.add(os.path.join(root, entry.name))
    live = {os.path.realpath(k) if os.sep in k else k for k in known}
    return sorted(p for p in candidates if p not in live and os.path.basename(p) not in live)
