"""The base branch: which remote, fetching it (remote-tracking refs only), its freshest tip, files at a tip.
Blocking; run inside ``asyncio.to_thread``."""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass

from adapters.git.cli import NETWORK_TIMEOUT_S, GitCli, one_line_reason
from adapters.git.errors import BaseBranchNotFoundError, NotARepositoryError
from adapters.git.names import check_branch, check_repo_relative_path, check_sha

__all__ = ["BaseTip", "base_tip", "list_files_at", "read_file_at", "remote_of", "require_repository"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseTip:
    sha: str
    behind: int  # commits the local base branch lacks from the remote one
    fetched: bool
    fetch_error: str | None
    remote: str | None


def require_repository(cli: GitCli) -> None:
    if not cli.ok("rev-parse", "--git-dir"):
        raise NotARepositoryError("not a git repository")


def remote_of(cli: GitCli) -> str | None:
    """``origin`` when there is one, else the first configured remote, else None."""
    remotes = cli.run("remote", what="git remote").split()
    if "origin" in remotes:
        return "origin"
    return remotes[0] if remotes else None


def base_tip(cli: GitCli, base_branch: str, *, fetch: bool) -> BaseTip:
    """The freshest tip of ``base_branch``: the remote one when the local one is behind or diverged, the
    local one when it already contains the remote one. With ``fetch``, fetch the remote first; a failed fetch
    is reported in ``fetch_error`` and the refs already known are used."""
    check_branch(cli, base_branch)
    require_repository(cli)
    remote = remote_of(cli)
    fetched, fetch_error = False, None
    if remote is not None and fetch:
        fetch_error = _fetch(cli, remote, base_branch)
        fetched = fetch_error is None
    local = _commit_of(cli, f"refs/heads/{base_branch}")
    tracking = _commit_of(cli, f"refs/remotes/{remote}/{base_branch}") if remote else None
    sha, behind = _freshest(cli, local, tracking)
    if sha is None:
        raise BaseBranchNotFoundError(f"the base branch {base_branch!r} was not found")
    return BaseTip(sha=sha, behind=behind, fetched=fetched, fetch_error=fetch_error, remote=remote)


def _fetch(cli: GitCli, remote: str, base_branch: str) -> str | None:
    refspec = f"+refs/heads/{base_branch}:refs/remotes/{remote}/{base_branch}"
    status, _, err = cli.run_status(
        "-c", "gc.auto=0", "-c", "maintenance.auto=false",
        "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
        remote, refspec,
        env=cli.network_env(), timeout=NETWORK_TIMEOUT_S,
    )  # fmt: skip
    if status == 0:
        return None
    reason = f"fetch from {remote} failed: {one_line_reason(err)}"
    log.warning("%s; using the local %s", reason, base_branch)
    return reason


def _commit_of(cli: GitCli, ref: str) -> str | None:
    status, out, _ = cli.run_status("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return out.decode().strip() if status == 0 else None


def _freshest(cli: GitCli, local: str | None, tracking: str | None) -> tuple[str | None, int]:
    if local is None or tracking is None or local == tracking:
        return (local or tracking), 0
    if cli.ok("merge-base", "--is-ancestor", tracking, local):
        return local, 0  # the local branch already has everything the remote has
    behind = int(cli.run("rev-list", "--count", f"{local}..{tracking}", what="git rev-list"))
    return tracking, behind


def read_file_at(cli: GitCli, commit: str, path: str) -> str | None:
    """The text of ``path`` in ``commit`` (None when absent or not a file)."""
    path = check_repo_relative_path(path)
    entries = _tree_entries(cli, check_sha(commit), path)
    for mode, kind, object_sha, name in entries:
        if kind == "blob" and name == path and mode != "120000":
            return _blob_text(cli, object_sha)
    return None


def list_files_at(cli: GitCli, commit: str, folder: str, pattern: str) -> dict[str, str]:
    """``{path: text}`` for the files directly in ``folder`` whose names match the glob ``pattern``."""
    folder = check_repo_relative_path(folder)
    found: dict[str, str] = {}
    for mode, kind, object_sha, name in _tree_entries(cli, check_sha(commit), folder + "/"):
        basename = name.rsplit("/", 1)[-1]
        if kind == "blob" and mode != "120000" and fnmatch.fnmatchcase(basename, pattern):
            found[name] = _blob_text(cli, object_sha)
    return found


def _tree_entries(cli: GitCli, commit: str, pathspec: str) -> list[tuple[str, str, str, str]]:
    out = cli.run(
        "ls-tree", "-z", "--full-tree", commit, "--", pathspec,
        env={"GIT_LITERAL_PATHSPECS": "1"}, strip=False, what="git ls-tree",
    )  # fmt: skip
    entries = []
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        mode, kind, object_sha = meta.split(" ")
        entries.append((mode, kind, object_sha, name))
    return entries


def _blob_text(cli: GitCli, object_sha: str) -> str:
    return cli.run("cat-file", "blob", object_sha, strip=False, what="git cat-file")
