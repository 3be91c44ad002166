"""FakeWorkspace: an in-memory Workspace with the same contract as GitWorkspace (and the same errors).

Repositories are dicts of files at the base tip; worktrees are copies that tests edit with ``write`` /
``delete`` to play the agent. ``diff`` writes git-style unified text with difflib (so its sha256 is stable)
and parses it with the real ``parse_unified_diff``. Commits, pushes and removals are recorded.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from adapters.git.diffparse import diff_sha256, parse_unified_diff
from adapters.git.errors import (
    AlreadyExistsError,
    BaseBranchNotFoundError,
    DiffChangedError,
    InvalidNameError,
    NotARepositoryError,
    NothingToCommitError,
    PushError,
)
from adapters.git.names import check_number, check_repo_relative_path, check_sha, check_slug
from adapters.git.worktree import GitWorktreeInfo
from bot.domain.diff import Diff

__all__ = ["FakeCommit", "FakeWorkspace"]

Files = dict[str, bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeCommit:
    worktree: str
    branch: str
    sha: str
    message: str
    diff_sha256: str
    files: Mapping[str, bytes]  # the whole tree as committed


@dataclass(slots=True, kw_only=True)
class _Worktree:
    repo_path: str
    path: str
    branch: str
    base_sha: str
    base: Files
    files: Files = field(default_factory=dict)


class FakeWorkspace:
    def __init__(self, repos: Mapping[str, Mapping[str, str | bytes]] | None = None, *, base_behind: int = 0,
                 fetch_error: str | None = None) -> None:
        self._bases: dict[tuple[str, str], Files] = {}
        self._branches: dict[str, set[str]] = {}
        self._worktrees: dict[str, _Worktree] = {}
        self.base_behind = base_behind  # reported by create (as if the local base was behind its remote)
        self.fetch_error = fetch_error  # reported by create (as if offline)
        self.fail_push: str | None = None  # when set, push raises PushError with this message
        self.created: list[GitWorktreeInfo] = []
        self.commits: list[FakeCommit] = []
        self.pushes: list[tuple[str, str]] = []  # (worktree, branch)
        self.removals: list[tuple[str, str, str]] = []  # (repo_path, worktree, branch)
        self.forge_url: str | None = None  # set: a forge CLI "is installed" and returns this pull request URL
        self.pull_requests: list[tuple[str, str, str]] = []  # (branch, base, title)
        for repo_path, files in (repos or {}).items():
            self.set_base(repo_path, files)

    # --- test controls -----------------------------------------------------------------------------------
    def set_base(self, repo_path: str, files: Mapping[str, str | bytes], *, branch: str = "main") -> str:
        """Make ``files`` the tip of ``branch`` in the repository at ``repo_path``; returns the tip's sha."""
        self._bases[(repo_path, branch)] = {path: _bytes(content) for path, content in files.items()}
        self._branches.setdefault(repo_path, set()).add(branch)
        return _tree_sha(self._bases[(repo_path, branch)])

    def write(self, worktree: str, path: str, content: str | bytes) -> None:
        self._worktree(worktree).files[check_repo_relative_path(path)] = _bytes(content)

    def delete(self, worktree: str, path: str) -> None:
        self._worktree(worktree).files.pop(check_repo_relative_path(path), None)

    def read(self, worktree: str, path: str) -> bytes | None:
        return self._worktree(worktree).files.get(path)

    # --- the Workspace port --------------------------------------------------------------------------------
    async def create(self, *, repo_path: str, base_branch: str, number: int, slug: str, root: str
                     ) -> GitWorktreeInfo:
        branches = self._branches.get(repo_path)
        if branches is None:
            raise NotARepositoryError("not a git repository")
        branch = f"hotfix/{check_number(number)}-{check_slug(slug)}"
        path = posixpath.join(root, f"HF-{number}")
        if branch in branches:
            raise AlreadyExistsError(f"the branch {branch} already exists")
        if path in self._worktrees:
            raise AlreadyExistsError(f"the worktree HF-{number} already exists")
        base = self._bases.get((repo_path, base_branch))
        if base is None:
            raise BaseBranchNotFoundError(f"the base branch {base_branch!r} was not found")
        base_sha = _tree_sha(base)
        self._worktrees[path] = _Worktree(repo_path=repo_path, path=path, branch=branch, base_sha=base_sha,
                                          base=dict(base), files=dict(base))
        branches.add(branch)
        info = GitWorktreeInfo(path=path, branch=branch, base_sha=base_sha, base_behind=self.base_behind,
                               fetched=self.fetch_error is None, fetch_error=self.fetch_error)
        self.created.append(info)
        return info

    async def diff(self, *, worktree: str, base_sha: str) -> Diff:
        return parse_unified_diff(self._diff_text(worktree, base_sha))

    async def commit(self, *, worktree: str, expected_sha256: str, base_sha: str, message: str) -> str:
        tree = self._worktree(worktree)
        actual = diff_sha256(self._diff_text(worktree, base_sha))
        if actual != expected_sha256:
            raise DiffChangedError(expected_sha256=expected_sha256, actual_sha256=actual)
        if tree.files == tree.base:
            raise NothingToCommitError("there is nothing to commit: the diff is empty")
        sha = hashlib.sha1(f"{message}\0{actual}\0{len(self.commits)}".encode()).hexdigest()
        self.commits.append(FakeCommit(worktree=worktree, branch=tree.branch, sha=sha, message=message,
                                       diff_sha256=actual, files=dict(tree.files)))
        return sha

    async def push(self, *, worktree: str, branch: str) -> None:
        self._worktree(worktree)
        if self.fail_push is not None:
            raise PushError(self.fail_push)
        self.pushes.append((worktree, branch))

    async def open_pull_request(self, *, worktree: str, branch: str, base_branch: str, title: str, body: str
                                ) -> str | None:
        self._worktree(worktree)
        if self.forge_url is None:
            return None
        self.pull_requests.append((branch, base_branch, title))
        return self.forge_url

    async def remove(self, *, repo_path: str, worktree: str, branch: str) -> None:
        self.removals.append((repo_path, worktree, branch))
        tree = self._worktrees.get(worktree)
        if tree is not None and tree.repo_path == repo_path:
            del self._worktrees[worktree]
        if (repo_path, branch) not in self._bases:  # never a base branch
            self._branches.get(repo_path, set()).discard(branch)

    async def read_base_file(self, *, repo_path: str, base_branch: str, path: str) -> str | None:
        content = self._base(repo_path, base_branch).get(check_repo_relative_path(path))
        return None if content is None else content.decode("utf-8", errors="replace")

    async def list_worktrees(self, *, repo_path: str) -> list[str]:
        return sorted(path for path, tree in self._worktrees.items() if tree.repo_path == repo_path)

    # --- extras GitWorkspace also offers ---------------------------------------------------------------------
    async def find_orphans(self, *, repo_path: str, root: str, known: Iterable[str]) -> list[str]:
        live = set(known)
        return sorted(path for path, tree in self._worktrees.items()
                      if tree.repo_path == repo_path and posixpath.dirname(path) == root.rstrip("/")
                      and path not in live and posixpath.basename(path) not in live)

    async def list_base_files(self, *, repo_path: str, base_branch: str, folder: str, pattern: str
                              ) -> dict[str, str]:
        folder = check_repo_relative_path(folder)
        return {path: content.decode("utf-8", errors="replace")
                for path, content in sorted(self._base(repo_path, base_branch).items())
                if posixpath.dirname(path) == folder and fnmatch.fnmatchcase(posixpath.basename(path), pattern)}

    async def append_file(self, *, worktree: str, path: str, text: str) -> None:
        files = self._worktree(worktree).files
        path = check_repo_relative_path(path)
        files[path] = files.get(path, b"") + text.encode("utf-8")

    # --- internals -----------------------------------------------------------------------------------------
    def _worktree(self, worktree: str) -> _Worktree:
        tree = self._worktrees.get(worktree)
        if tree is None:
            raise NotARepositoryError("not a hotfix worktree")
        return tree

    def _base(self, repo_path: str, base_branch: str) -> Files:
        if repo_path not in self._branches:
            raise NotARepositoryError("not a git repository")
        base = self._bases.get((repo_path, base_branch))
        if base is None:
            raise BaseBranchNotFoundError(f"the base branch {base_branch!r} was not found")
        return base

    def _diff_text(self, worktree: str, base_sha: str) -> str:
        tree = self._worktree(worktree)
        if check_sha(base_sha) != tree.base_sha:
            raise InvalidNameError("not the worktree's base commit")
        return unified_text(tree.base, tree.files)


def unified_text(old: Files, new: Files) -> str:
    """A git-style unified diff of two file maps: exact renames detected, binary files flagged."""
    deleted = {path: old[path] for path in old.keys() - new.keys()}
    added = {path: new[path] for path in new.keys() - old.keys()}
    renames: dict[str, str] = {}  # new path -> old path
    for new_path, content in sorted(added.items()):
        source = next((p for p, c in sorted(deleted.items()) if c == content and p not in renames.values()), None)
        if source is not None:
            renames[new_path] = source
    sections: dict[str, str] = {}
    for path in sorted(old.keys() & new.keys()):
        if old[path] != new[path]:
            sections[path] = _section(path, path, old[path], new[path])
    for path in added:
        sections[path] = (_rename_section(renames[path], path) if path in renames
                          else _section(path, path, None, added[path]))
    for path in deleted:
        if path not in renames.values():
            sections[path] = _section(path, path, deleted[path], None)
    return "".join(sections[path] for path in sorted(sections))


def _rename_section(old_path: str, new_path: str) -> str:
    return (f"diff --git a/{old_path} b/{new_path}\nsimilarity index 100%\n"
            f"rename from {old_path}\nrename to {new_path}\n")


def _section(old_path: str, new_path: str, old: bytes | None, new: bytes | None) -> str:
    head = f"diff --git a/{old_path} b/{new_path}\n"
    if old is None:
        head += "new file mode 100644\n"
    elif new is None:
        head += "deleted file mode 100644\n"
    source = "/dev/null" if old is None else f"a/{old_path}"
    target = "/dev/null" if new is None else f"b/{new_path}"
    old_text, new_text = _text(old), _text(new)
    if old_text is None or new_text is None:
        return head + f"Binary files {source} and {target} differ\n"
    if not old_text and not new_text:
        return head
    body = difflib.unified_diff(_lines(old_text), _lines(new_text), n=3)
    lines = list(body)[2:]  # drop difflib's own ---/+++ lines
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    return head + f"--- {source}\n+++ {target}\n" + text


def _lines(text: str) -> list[str]:
    """Lines split on "\\n" only (as git does), each keeping its newline; the last may lack one."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _text(content: bytes | None) -> str | None:
    if content is None:
        return ""
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _tree_sha(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha1()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path] + b"\0")
    return digest.hexdigest()
