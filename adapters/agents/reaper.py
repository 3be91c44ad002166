"""Agent processes left behind by a bot that died (kill -9, power loss) keep running with their working
directory inside a hotfix worktree. At start, before any run resumes, they are found through /proc and killed,
so there is never a second agent on one worktree."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from pathlib import Path

__all__ = ["reap_agents_under"]

log = logging.getLogger(__name__)


def reap_agents_under(root: str, *, proc: str = "/proc") -> list[int]:
    """SIGKILL every process (other than this one and its ancestors) whose cwd is inside ``root``."""
    base = os.path.realpath(root)
    spared = _ancestors()
    killed: list[int] = []
    for entry in Path(proc).iterdir():
        if not entry.name.isdigit() or int(entry.name) in spared:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == base or cwd.startswith(base + os.sep):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    if killed:
        log.warning("killed %d agent process(es) left in worktrees by an earlier bot", len(killed))
    return killed


def _ancestors() -> set[int]:
    pids, pid = {os.getpid()}, os.getppid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids
