"""GitWorkspace: the Workspace port on real git (gitpython running the git binary).

Every blocking call runs in ``asyncio.to_thread``. Operations on one repository's refs and worktree list
(create, remove, fetches) are serialised per repository, and diff / commit / append per worktree, so
concurrent callers never race on git's lock files.
Errors are ``adapters.git.errors.WorkspaceError`` subclasses with one-line, person-safe messages.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from adapters.git import base, change, forge
from adapters.git import worktree as worktrees
from adapters.git.cli import GitCli
from adapters.git.worktree import GitWorktreeInfo
from bot.domain.diff import Diff

__all__ = ["GitWorkspace"]

T = TypeVar("T")


class GitWorkspace:
    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    async def create(
        self, *, repo_path: str, base_branch: str, number: int, slug: str, root: str
    ) -> GitWorktreeInfo:
        """A worktree at ``<root>/HF-<number>`` on the new branch ``hotfix/<number>-<slug>``, started from the
        freshest base (fetched first when there is a remote; offline falls back to the local base and says so
        in ``fetch_error``)."""
        return await self._locked(
            repo_path,
            lambda: worktrees.create_worktree(
                repo_path=repo_path, base_branch=base_branch, number=number, slug=slug, root=root
            ),
        )

    async def diff(self, *, worktree: str, base_sha: str) -> Diff:
        """Everything in the worktree vs ``base_sha``, staged in a scratch copy of the worktree's index."""
        return await self._locked(worktree, lambda: change.diff_worktree(worktree=worktree, base_sha=base_sha))

    async def commit(self, *, worktree: str, expected_sha256: str, base_sha: str, message: str) -> str:
        """Commit exactly the diff whose sha256 is ``expected_sha256``; DiffChangedError if it changed."""
        return await self._locked(
            worktree,
            lambda: change.commit_exact(
                worktree=worktree, expected_sha256=expected_sha256, base_sha=base_sha, message=message
            ),
        )

    async def push(self, *, worktree: str, branch: str) -> None:
        await asyncio.to_thread(change.push_branch, worktree=worktree, branch=branch)

    async def open_pull_request(self, *, worktree: str, branch: str, base_branch: str, title: str, body: str
                                ) -> str | None:
        return await asyncio.to_thread(forge.open_pull_request, worktree=worktree, branch=branch,
                                       base_branch=base_branch, title=title, body=body)

    async def remove(self, *, repo_path: str, worktree: str, branch: str) -> None:
        await self._locked(
            repo_path,
            lambda: worktrees.remove_worktree(repo_path=repo_path, worktree=worktree, branch=branch),
        )

    async def read_base_file(self, *, repo_path: str, base_branch: str, path: str) -> str | None:
        """The file at the freshest known tip of the base branch (local or remote-tracking; no fetch)."""

        def read() -> str | None:
            cli = GitCli(repo_path)
            tip = base.base_tip(cli, base_branch, fetch=False)
            return base.read_file_at(cli, tip.sha, path)

        return await asyncio.to_thread(read)

    async def list_worktrees(self, *, repo_path: str) -> list[str]:
        return await asyncio.to_thread(worktrees.list_worktrees, repo_path=repo_path)

    async def find_orphans(self, *, repo_path: str, root: str, known: Iterable[str]) -> list[str]:
        """Worktree directories under ``root`` that no live hotfix owns (``known``: paths or ``HF-<n>``)."""
        known = frozenset(known)
        return await asyncio.to_thread(worktrees.find_orphans, repo_path=repo_path, root=root, known=known)

    async def list_base_files(
        self, *, repo_path: str, base_branch: str, folder: str, pattern: str
    ) -> dict[str, str]:
        """``{path: text}`` of the files in ``folder`` matching ``pattern`` at the base tip, after fetching
        when there is a remote (e.g. folder ``tasks/hotfix``, pattern ``HOTFIX-*.md``)."""

        def read() -> dict[str, str]:
            cli = GitCli(repo_path)
            tip = base.base_tip(cli, base_branch, fetch=True)
            return base.list_files_at(cli, tip.sha, folder, pattern)

        return await self._locked(repo_path, read)

    async def append_file(self, *, worktree: str, path: str, text: str) -> None:
        """Append ``text`` to a file inside the worktree (created if missing), e.g. the file lane's outcome
        notes. Refuses paths that leave the worktree, symlinks included."""
        await self._locked(worktree, lambda: change.append_to_file(worktree=worktree, path=path, text=text))

    async def _locked(self, path: str, work: Callable[[], T]) -> T:
        """Run ``work`` in a thread, one at a time per repository or worktree ``path`` (git's index.lock and
        ref locks would otherwise make concurrent calls fail)."""
        lock = self._lock_for(path)

        def run() -> T:
            with lock:
                return work()

        return await asyncio.to_thread(run)

    def _lock_for(self, path: str) -> threading.Lock:
        key = os.path.realpath(path)
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())
