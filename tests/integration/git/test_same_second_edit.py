"""Found by the e2e runs (codex edits within a second of its worktree being made, and the diff that goes on the
review card missed it in 8 of 20 runs): a same-size edit made in the second the worktree's index was written
is missing from the bot's diff once that second has passed. The git adapter stages into a copy of the
worktree's index made with ``shutil.copyfile``, which gives the copy a new mtime, so git no longer treats the
same-second ("racily clean") entries as suspect and trusts their stat data. ``shutil.copy2`` (keep the
index's mtime) fixed it (0 of 20)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.git import GitWorkspace
from tests.integration.git.gitrepo import git


async def test_a_same_size_edit_in_the_second_the_worktree_was_made_is_in_the_diff(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "requirements.txt").write_text("requests==2.31.0\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "pin")
    workspace = GitWorkspace()
    for attempt in range(1, 6):
        await asyncio.sleep(1 - time.time() % 1)  # start of a second: make the worktree and edit within it
        info = await workspace.create(repo_path=str(repo), base_branch="main", number=attempt, slug="pin",
                                      root=str(tmp_path / "worktrees"))
        pinned = Path(info.path) / "requirements.txt"
        made = pinned.stat().st_mtime_ns // 10**9
        with pinned.open("r+") as file:  # in place, same size: only the timestamps could tell
            file.write("requests==2.32.3\n")
        if made == pinned.stat().st_ctime_ns // 10**9:
            break
    else:
        pytest.skip("could not edit within the second the worktree was made")
    await asyncio.sleep(1.1)  # the agent's next model turn: the bot diffs in a later second

    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert git(Path(info.path), "status", "--porcelain").strip() == "M requirements.txt"
    assert diff.paths == ("requirements.txt",)
