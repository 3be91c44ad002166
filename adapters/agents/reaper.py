"""Agent processes left behind by a bot that died (kill -9, power loss) keep running with their working
directory inside a hotfix worktree. At start, before any run resumes, they are found through /proc and killed,
so there is never a second agent on one worktree."""

from __future__ import annotations

import contextlib
import logging
import os
import signal

from adapters.agents.process import ancestors, listed_pids

__all__ = ["reap_agents_under"]

log = logging.getLogger(__name__)


def reap_agents_under(root: str, *, proc: str = "/proc") -> list[int]:
    """SIGKILL every process (other than this one and its ancestors) whose cwd is inside ``root``."""
    base = os.path.realpath(root)
    spared = ancestors()
    killed: list[int] = []
    for pid in listed_pids(proc):
        if pid in spared:
            continue
        try:
            cwd = os.readlink(f"{proc}/{pid}/cwd")
        except OSError:
            continue
        if cwd == base or cwd.startswith(base + os.sep):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    if killed:
        log.warning("killed %d agent process(es) left in worktrees by an earlier bot", len(killed))
    return killed
