"""One Workspace contract, passed by the real GitWorkspace and by the in-memory FakeWorkspace."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from adapters.git import (
    AlreadyExistsError,
    DiffChangedError,
    GitWorkspace,
    InvalidNameError,
    PushError,
    WorkspaceError,
)
from bot.ports import Workspace, WorktreeInfo
from tests.fakes.workspace import FakeWorkspace
from tests.integration.git.gitrepo import Repos, isolate_git_config, make_repos, push_from_elsewhere, write_files

BASE: dict[str, str | bytes] = {
    "app/cart.py": "def add(cart, item):\n    cart.append(item)\n    return cart\n",
    "app/legacy.py": "LEGACY = True\n" * 10,
    "docs/guide.md": "# Guide\n",
    "image.png": b"\x89PNG\x00\x00\x01",
    ".hotfix.toml": 'test_command = "pytest -q"\n',
    "tasks/hotfix/HOTFIX-cart.md": "# Cart drops items\n",
}


class Harness(Protocol):
    @property
    def workspace(self) -> Workspace: ...

    @property
    def repo_path(self) -> str: ...

    @property
    def root(self) -> str: ...

    def write(self, worktree: str, path: str, content: str | bytes) -> None: ...

    def delete(self, worktree: str, path: str) -> None: ...

    def rename(self, worktree: str, old: str, new: str) -> None: ...

    def advance_base(self, files: Mapping[str, str | bytes]) -> None: ...


@dataclass
class GitHarness:
    workspace: GitWorkspace
    repo_path: str
    root: str
    tmp: Path

    def write(self, worktree: str, path: str, content: str | bytes) -> None:
        write_files(Path(worktree), {path: content})

    def delete(self, worktree: str, path: str) -> None:
        (Path(worktree) / path).unlink()

    def rename(self, worktree: str, old: str, new: str) -> None:
        (Path(worktree) / old).rename(Path(worktree) / new)

    @property
    def repos(self) -> Repos:
        return Repos(origin=self.tmp / "origin.git", checkout=Path(self.repo_path), root=Path(self.root))

    def advance_base(self, files: Mapping[str, str | bytes]) -> None:
        push_from_elsewhere(self.repos, dict(files))


@dataclass
class FakeHarness:
    workspace: FakeWorkspace
    repo_path: str
    root: str
    base: dict[str, str | bytes]

    def write(self, worktree: str, path: str, content: str | bytes) -> None:
        self.workspace.write(worktree, path, content)

    def delete(self, worktree: str, path: str) -> None:
        self.workspace.delete(worktree, path)

    def rename(self, worktree: str, old: str, new: str) -> None:
        content = self.workspace.read(worktree, old)
        assert content is not None
        self.workspace.delete(worktree, old)
        self.workspace.write(worktree, new, content)

    def advance_base(self, files: Mapping[str, str | bytes]) -> None:
        self.base = {**self.base, **files}
        self.workspace.set_base(self.repo_path, self.base)


@pytest.fixture(params=["git", "fake"])
def harness(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    if request.param == "git":
        isolate_git_config(monkeypatch, tmp_path)
        repos = make_repos(tmp_path, BASE)
        return GitHarness(workspace=GitWorkspace(), repo_path=repos.repo_path, root=str(repos.root.resolve()),
                          tmp=tmp_path)
    repo_path = str(tmp_path / "checkout")
    return FakeHarness(workspace=FakeWorkspace({repo_path: BASE}), repo_path=repo_path, root=str(tmp_path / "wt"),
                       base=dict(BASE))


async def _create(h: Harness, number: int = 4, slug: str = "cart-drops-items") -> WorktreeInfo:
    return await h.workspace.create(repo_path=h.repo_path, base_branch="main", number=number, slug=slug, root=h.root)


async def test_create_names_the_branch_and_the_worktree(harness: Harness) -> None:
    info = await _create(harness)

    assert info.branch == "hotfix/4-cart-drops-items"
    assert info.path == posixpath.join(harness.root, "HF-4")
    assert len(info.base_sha) == 40
    assert await harness.workspace.list_worktrees(repo_path=harness.repo_path) == [info.path]


async def test_a_second_create_of_the_same_hotfix_is_refused(harness: Harness) -> None:
    await _create(harness)
    with pytest.raises(AlreadyExistsError):
        await _create(harness)


@pytest.mark.parametrize("slug", ["../up", "has space", "-x", "a..b", "x.lock", ""])
async def test_hostile_slugs_are_refused(harness: Harness, slug: str) -> None:
    with pytest.raises(InvalidNameError):
        await _create(harness, slug=slug)
    assert await harness.workspace.list_worktrees(repo_path=harness.repo_path) == []


async def test_a_fresh_worktree_has_an_empty_diff(harness: Harness) -> None:
    info = await _create(harness)
    diff = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)
    assert diff.is_empty and diff.text == "" and diff.sha256 == hashlib.sha256(b"").hexdigest()


async def test_the_diff_shows_every_kind_of_change(harness: Harness) -> None:
    info = await _create(harness)
    harness.write(info.path, "app/cart.py", "def add(cart, item):\n    return [*cart, item]\n")
    harness.write(info.path, "app/fix.py", "FIXED = True\n")
    harness.delete(info.path, "docs/guide.md")
    harness.rename(info.path, "app/legacy.py", "app/old.py")
    harness.write(info.path, "image.png", b"\x89PNG\x00\x00\x02")

    diff = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert {f.path: (f.status, f.old_path, f.is_binary) for f in diff.files} == {
        "app/cart.py": ("modified", None, False),
        "app/fix.py": ("added", None, False),
        "docs/guide.md": ("deleted", None, False),
        "app/old.py": ("renamed", "app/legacy.py", False),
        "image.png": ("modified", None, True),
    }
    assert (diff.added, diff.removed) == (1 + 1, 2 + 1)
    assert diff.sha256 == hashlib.sha256(diff.text.encode()).hexdigest()
    again = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)
    assert again.sha256 == diff.sha256


async def test_commit_takes_exactly_the_approved_diff(harness: Harness) -> None:
    info = await _create(harness)
    harness.write(info.path, "app/cart.py", "fixed\n")
    approved = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)

    sha = await harness.workspace.commit(worktree=info.path, expected_sha256=approved.sha256,
                                         base_sha=info.base_sha, message="HF-4: fix")

    assert len(sha) == 40
    after = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)
    assert after.sha256 == approved.sha256


async def test_commit_refuses_a_diff_that_changed_after_approval(harness: Harness) -> None:
    info = await _create(harness)
    harness.write(info.path, "app/cart.py", "fixed\n")
    approved = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)
    harness.write(info.path, "app/extra.py", "surprise\n")

    with pytest.raises(DiffChangedError):
        await harness.workspace.commit(worktree=info.path, expected_sha256=approved.sha256,
                                       base_sha=info.base_sha, message="HF-4")


async def test_push_after_commit_succeeds(harness: Harness) -> None:
    info = await _create(harness)
    harness.write(info.path, "app/cart.py", "fixed\n")
    diff = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)
    await harness.workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha,
                                   message="HF-4")
    await harness.workspace.push(worktree=info.path, branch=info.branch)


async def test_push_failures_are_push_errors(harness: Harness) -> None:
    info = await _create(harness)
    if isinstance(harness, FakeHarness):
        harness.workspace.fail_push = "push to origin rejected: non-fast-forward"
    else:
        assert isinstance(harness, GitHarness)
        push_from_elsewhere(harness.repos, {"theirs.txt": "t\n"}, branch=info.branch)
    harness.write(info.path, "app/cart.py", "fixed\n")
    diff = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)
    await harness.workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha,
                                   message="HF-4")
    with pytest.raises(PushError):
        await harness.workspace.push(worktree=info.path, branch=info.branch)


async def test_remove_is_idempotent_and_frees_the_name(harness: Harness) -> None:
    info = await _create(harness)
    await harness.workspace.remove(repo_path=harness.repo_path, worktree=info.path, branch=info.branch)
    await harness.workspace.remove(repo_path=harness.repo_path, worktree=info.path, branch=info.branch)

    assert await harness.workspace.list_worktrees(repo_path=harness.repo_path) == []
    assert (await _create(harness)).path == info.path


async def test_read_base_file(harness: Harness) -> None:
    ws = harness.workspace
    assert await ws.read_base_file(repo_path=harness.repo_path, base_branch="main", path=".hotfix.toml") == (
        'test_command = "pytest -q"\n')
    assert await ws.read_base_file(repo_path=harness.repo_path, base_branch="main", path="nope.toml") is None
    with pytest.raises(WorkspaceError):
        await ws.read_base_file(repo_path=harness.repo_path, base_branch="main", path="../../etc/passwd")


async def test_a_new_worktree_starts_from_the_newest_base(harness: Harness) -> None:
    harness.advance_base({"docs/guide.md": "# Guide v2\n"})
    info = await _create(harness)
    harness.write(info.path, "docs/guide.md", "# Guide v3\n")

    diff = await harness.workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert [line.text for hunk in diff.files[0].hunks for line in hunk.lines if line.kind == "-"] == ["# Guide v2"]


async def test_extras_list_base_files_and_find_orphans(harness: Harness) -> None:
    ws = harness.workspace
    assert isinstance(ws, GitWorkspace | FakeWorkspace)
    found = await ws.list_base_files(repo_path=harness.repo_path, base_branch="main", folder="tasks/hotfix",
                                     pattern="HOTFIX-*.md")
    assert found == {"tasks/hotfix/HOTFIX-cart.md": "# Cart drops items\n"}
    live = await _create(harness, number=1, slug="live")
    orphan = await _create(harness, number=2, slug="orphan")
    assert await ws.find_orphans(repo_path=harness.repo_path, root=harness.root, known={live.path}) == [orphan.path]


async def test_extra_append_file_lands_in_the_diff(harness: Harness) -> None:
    ws = harness.workspace
    assert isinstance(ws, GitWorkspace | FakeWorkspace)
    info = await _create(harness)
    await ws.append_file(worktree=info.path, path="tasks/hotfix/HOTFIX-cart.md", text="\n## Outcome\nshipped\n")
    with pytest.raises(InvalidNameError):
        await ws.append_file(worktree=info.path, path="../outside.md", text="x")

    diff = await ws.diff(worktree=info.path, base_sha=info.base_sha)

    (changed,) = diff.files
    assert changed.path == "tasks/hotfix/HOTFIX-cart.md" and changed.added == 3
