"""The change in a hotfix worktree: its exact diff, committing exactly that diff, pushing the branch.
Only a scratch copy of the worktree's own index is used. Blocking; run inside ``asyncio.to_thread``."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass

from adapters.git.base import remote_of
from adapters.git.cli import NETWORK_TIMEOUT_S, GitCli, one_line_reason
from adapters.git.diffparse import diff_sha256, parse_unified_diff
from adapters.git.errors import (
    DiffChangedError,
    GitCommandError,
    InvalidNameError,
    NotARepositoryError,
    NothingToCommitError,
    PushError,
)
from adapters.git.names import check_branch, check_repo_relative_path, check_sha
from bot.domain.diff import Diff

__all__ = [
    "DEFAULT_IDENTITY",
    "Snapshot",
    "append_to_file",
    "commit_exact",
    "diff_worktree",
    "push_branch",
    "snapshot",
]

DEFAULT_IDENTITY = ("hotfix-bot", "hotfix-bot@localhost")
_INDEX_LOCK_ATTEMPTS = 20
# Every option that shapes the text is fixed here, so the same tree always gives the same bytes.
_DIFF_OPTIONS = (
    "--no-color", "--no-ext-diff", "--no-textconv", "--full-index", "--find-renames",
    "--src-prefix=a/", "--dst-prefix=b/", "--unified=3", "--inter-hunk-context=0", "--no-relative",
    "--diff-algorithm=myers", "--indent-heuristic", "--ignore-submodules=none",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    tree: str  # the tree object holding everything in the worktree (what a commit would contain)
    text: str  # the unified diff base_sha -> tree
    scratch_index: str  # an index file holding exactly ``tree``
    worktree_index: str  # the worktree's own index, left as the agent left it

    @property
    def sha256(self) -> str:
        return diff_sha256(self.text)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.scratch_index)


def worktree_cli(worktree: str) -> GitCli:
    """A GitCli for a linked hotfix worktree; refuses a main checkout, whose index must never be touched."""
    cli = GitCli(worktree)
    status, out, _ = cli.run_status("rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir")
    dirs = out.decode("utf-8", errors="replace").split("\n")
    if status != 0 or len(dirs) < 2 or os.path.realpath(dirs[0]) == os.path.realpath(dirs[1]):
        raise NotARepositoryError("not a hotfix worktree")
    return cli


def snapshot(cli: GitCli, base_sha: str) -> Snapshot:
    """Stage everything in the worktree (new, deleted, renamed; .gitignore respected) in a scratch copy of the
    worktree's own index, write it as a tree, and diff base_sha against that tree. The worktree's index is
    not changed, so the agent's own ``git diff`` / ``git status`` keep showing what they showed."""
    check_sha(base_sha)
    worktree_index = cli.run("rev-parse", "--path-format=absolute", "--git-path", "index", what="git rev-parse")
    scratch = worktree_index + ".hotfix-bot"
    if os.path.exists(worktree_index):
        # copy2 keeps the index's mtime: git's stat cache stays fast on big trees, and entries written in the
        # same second as the index stay "racily clean" (re-read), so a same-size edit of that second is seen
        shutil.copy2(worktree_index, scratch)
    env = {"GIT_INDEX_FILE": scratch}
    _stage_everything(cli, env)
    tree = cli.run("write-tree", env=env, what="git write-tree")
    text = cli.run("diff", *_DIFF_OPTIONS, base_sha, tree, "--", strip=False, what="git diff")
    return Snapshot(tree=tree, text=text, scratch_index=scratch, worktree_index=worktree_index)


def _stage_everything(cli: GitCli, env: dict[str, str]) -> None:
    """``git add --all``, waiting a little while another process holds the index's lock."""
    for attempt in range(1, _INDEX_LOCK_ATTEMPTS + 1):
        status, _, err = cli.run_status("add", "--all", env=env)
        if status == 0:
            return
        if "index.lock" not in err or attempt == _INDEX_LOCK_ATTEMPTS:
            raise GitCommandError(f"git add failed: {one_line_reason(err)}")
        time.sleep(0.05 * attempt)


def diff_worktree(*, worktree: str, base_sha: str) -> Diff:
    snap = snapshot(worktree_cli(worktree), base_sha)
    snap.discard()
    return parse_unified_diff(snap.text)


def commit_exact(*, worktree: str, expected_sha256: str, base_sha: str, message: str) -> str:
    """Commit the tree whose diff hashes to ``expected_sha256`` on top of the worktree's HEAD; refuse (and
    commit nothing) when the diff changed. Hooks do not run, so the commit holds exactly that tree."""
    cli = worktree_cli(worktree)
    snap = snapshot(cli, base_sha)
    try:
        if snap.sha256 != expected_sha256:
            raise DiffChangedError(expected_sha256=expected_sha256, actual_sha256=snap.sha256)
        if not snap.text:
            raise NothingToCommitError("there is nothing to commit: the diff is empty")
        landed = _already_landed(cli, snap, message)
        if landed is not None:  # the bot died after moving the branch and before recording it: land once
            return landed
        commit = _commit_tree(cli, snap, base_sha, message)
        os.replace(snap.scratch_index, snap.worktree_index)  # the worktree's index now matches the commit
        return commit
    finally:
        snap.discard()


def _commit_tree(cli: GitCli, snap: Snapshot, base_sha: str, message: str) -> str:
    branch_ref, head = _branch_and_head(cli)
    # the agent's own commits on top of the base stay in history; anything else does not become a parent
    parent = head if cli.ok("merge-base", "--is-ancestor", base_sha, head) else base_sha
    message = message.replace("\0", "").strip() or "hotfix"
    commit = cli.run("commit-tree", snap.tree, "-p", parent, "-m", message, env=_identity(cli), what="git commit")
    cli.run("update-ref", "-m", "hotfix-bot: commit approved diff", branch_ref, commit, head, what="git update-ref")
    return commit


def _already_landed(cli: GitCli, snap: Snapshot, message: str) -> str | None:
    """HEAD, when it already is this very commit: the approved tree with the same message."""
    _branch_ref, head = _branch_and_head(cli)
    head_tree = cli.run("rev-parse", "--verify", f"{head}^{{tree}}", what="git rev-parse")
    if head_tree != snap.tree:
        return None
    body = cli.run("log", "-1", "--format=%B", head, what="git log")
    return head if body.strip() == message.replace("\0", "").strip() else None


def _branch_and_head(cli: GitCli) -> tuple[str, str]:
    """The hotfix branch the worktree is on (``refs/heads/hotfix/…``) and its tip."""
    status, out, _ = cli.run_status("symbolic-ref", "--quiet", "HEAD")
    branch_ref = out.decode("utf-8", errors="replace").strip()
    if status != 0 or not branch_ref.startswith("refs/heads/hotfix/"):
        raise GitCommandError("the worktree is no longer on its hotfix branch; nothing was committed")
    return branch_ref, cli.run("rev-parse", "--verify", "HEAD^{commit}", what="git rev-parse")


def _identity(cli: GitCli) -> dict[str, str]:
    """Author and committer: the repository's own user.name/user.email if it sets them, else hotfix-bot.
    Global and system git config are deliberately not consulted."""
    name = _local_config(cli, "user.name") or DEFAULT_IDENTITY[0]
    email = _local_config(cli, "user.email") or DEFAULT_IDENTITY[1]
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def _local_config(cli: GitCli, key: str) -> str | None:
    status, out, _ = cli.run_status("config", "--local", "--get", key)
    value = out.decode("utf-8", errors="replace").strip()
    return value if status == 0 and value else None


def append_to_file(*, worktree: str, path: str, text: str) -> None:
    worktree_cli(worktree)
    root = os.path.realpath(worktree)
    target = os.path.realpath(os.path.join(root, check_repo_relative_path(path)))
    if os.path.commonpath([root, target]) != root or target == root:
        raise InvalidNameError("not a path inside the worktree")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(text)


def push_branch(*, worktree: str, branch: str) -> None:
    """``git push <remote> refs/heads/<b>:refs/heads/<b>``: never forced, no tags."""
    cli = GitCli(worktree)
    check_branch(cli, branch)
    remote = remote_of(cli)
    if remote is None:
        raise PushError("push failed: the repository has no remote")
    refspec = f"refs/heads/{branch}:refs/heads/{branch}"
    status, _, err = cli.run_status(
        "push", "--quiet", "--no-follow-tags", "--no-signed", remote, refspec,
        env=cli.network_env(), timeout=NETWORK_TIMEOUT_S,
    )  # fmt: skip
    if status != 0:
        raise PushError(_push_failure(remote, err))


def _push_failure(remote: str, stderr: str) -> str:
    lowered = stderr.lower()
    if "[rejected]" in lowered or "non-fast-forward" in lowered or "fetch first" in lowered:
        return f"push to {remote} rejected: the remote branch has commits this one lacks (never forced)"
    if any(word in lowered for word in ("authentication", "permission denied", "could not read username")):
        return f"push to {remote} failed: authentication was refused"
    return f"push to {remote} failed: {one_line_reason(stderr)}"
