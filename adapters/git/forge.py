"""Opening a pull request through a forge CLI (GitHub's ``gh``), when one is installed.

The CLI runs with an argv list (never a shell) in the hotfix worktree, after the branch was pushed. Without a
forge CLI the hotfix still ships (committed and pushed) and the person is told to open the request by hand.
"""

from __future__ import annotations

import shutil
import subprocess

from adapters.git.errors import WorkspaceError

__all__ = ["FORGE_TIMEOUT_S", "ForgeError", "find_forge_cli", "open_pull_request"]

FORGE_TIMEOUT_S = 60


class ForgeError(WorkspaceError):
    pass


def find_forge_cli() -> str | None:
    return shutil.which("gh")


def open_pull_request(*, worktree: str, branch: str, base_branch: str, title: str, body: str,
                      cli: str | None = None) -> str | None:
    """The pull request's URL, or None when no forge CLI is installed."""
    program = cli or find_forge_cli()
    if program is None:
        return None
    argv = [program, "pr", "create", "--head", branch, "--base", base_branch, "--title", title, "--body", body]
    try:
        done = subprocess.run(argv, cwd=worktree, capture_output=True, text=True, timeout=FORGE_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ForgeError(f"opening the pull request failed: {type(e).__name__}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no detail"])[-1][:160]
        raise ForgeError(f"opening the pull request failed: {last}")
    lines = done.stdout.strip().splitlines()
    return lines[-1][:300] if lines else ""
