"""Real git repositories in a temporary directory for the git adapter's tests: a bare ``origin``, the
configured ``checkout`` cloned from it, and helpers to push from elsewhere and fingerprint the checkout."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Repos", "checkout_fingerprint", "git", "isolate_git_config", "make_repos", "push_from_elsewhere"]

_IDENTITY = ("-c", "user.name=Test Person", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false")


def git(cwd: Path | str, *args: str) -> str:
    done = subprocess.run(["git", *_IDENTITY, "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def isolate_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No global or system git config: the adapter must not depend on either."""
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_DIR",
                 "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Repos:
    origin: Path  # bare
    checkout: Path  # the configured checkout (repo_path)
    root: Path  # where hotfix worktrees go

    @property
    def repo_path(self) -> str:
        return str(self.checkout)


def write_files(where: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repos(tmp_path: Path, files: dict[str, str | bytes], *, with_origin: bool = True) -> Repos:
    origin, checkout, root = tmp_path / "origin.git", tmp_path / "checkout", tmp_path / "worktrees"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    write_files(checkout, files)
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "initial")
    if with_origin:
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
        git(checkout, "remote", "add", "origin", str(origin))
        git(checkout, "push", "-q", "-u", "origin", "main")
    return Repos(origin=origin, checkout=checkout, root=root)


def push_from_elsewhere(repos: Repos, files: dict[str, str | bytes], *, branch: str = "main",
                        name: str = "elsewhere", message: str = "from a colleague") -> str:
    """Clone origin next to the checkout, commit ``files`` on ``branch`` and push; returns the new sha."""
    other = repos.origin.parent / name
    if not other.exists():
        git(repos.origin.parent, "clone", "-q", str(repos.origin), str(other))
    git(other, "fetch", "-q", "origin")
    exists = git(other, "ls-remote", "--heads", "origin", branch)
    git(other, "checkout", "-q", "-B", branch, f"origin/{branch}" if exists else "origin/main")
    write_files(other, files)
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", message)
    git(other, "push", "-q", "origin", f"{branch}:{branch}")
    return git(other, "rev-parse", "HEAD")


def checkout_fingerprint(checkout: Path) -> dict[str, object]:
    """Everything about the configured checkout the bot must never change."""
    files: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(checkout):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for filename in filenames:
            path = Path(dirpath) / filename
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            files[str(path.relative_to(checkout))] = (path.stat().st_mtime_ns, digest)
    index = checkout / ".git" / "index"
    return {
        "status": git(checkout, "--no-optional-locks", "status", "--porcelain=v1", "--untracked-files=all"),
        "head": git(checkout, "rev-parse", "HEAD"),
        "branch": git(checkout, "symbolic-ref", "--short", "HEAD"),
        "local_main": git(checkout, "rev-parse", "refs/heads/main"),
        "index": (index.stat().st_mtime_ns, hashlib.sha256(index.read_bytes()).hexdigest()),
        "files": files,
    }
