"""Making a Claude Code process and everything it started go away, quickly and for sure.

The SDK starts the CLI in our own process group, and the CLI starts tool shells that may detach, so neither
a process-group kill nor waiting on the CLI is enough. ``ProcessTree`` walks ``/proc`` for descendants
(recorded with their start time, so a recycled pid is never signalled), remembers them so processes orphaned
later are still found, and signals each one and each process group one of them leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

__all__ = ["ProcessTree", "descendants", "is_alive"]

_POLL_SECONDS = 0.05


def _stat_fields(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live, non-zombie process; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), int(fields[19])


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    return _stat_fields(pid) is not None


def descendants(root_pid: int) -> dict[int, int]:
    """Every live descendant of ``root_pid`` as pid -> start time, from one pass over ``/proc``."""
    children: dict[int, list[int]] = {}
    start_times: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (fields := _stat_fields(int(entry))) is not None:
                children.setdefault(fields[0], []).append(int(entry))
                start_times[int(entry)] = fields[1]
    found: dict[int, int] = {}
    stack = [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found[child] = start_times[child]
                stack.append(child)
    return found


class ProcessTree:
    """A root process and every descendant seen so far."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        root = _stat_fields(root_pid)
        self._known: dict[int, int] = {root_pid: root[1]} if root is not None else {}

    def remember(self) -> None:
        """Record the current descendants of every known live process."""
        for pid in self.alive():
            self._known.update(descendants(pid))

    def alive(self) -> list[int]:
        """Known processes still running (same pid and same start time)."""
        alive = []
        for pid, started in list(self._known.items()):
            fields = _stat_fields(pid)
            if fields is None or fields[1] != started:
                del self._known[pid]
            else:
                alive.append(pid)
        return alive

    def signal_all(self, signum: signal.Signals) -> None:
        self.remember()
        own_group = os.getpgrp()
        pids = self.alive()
        for pid in pids:
            with contextlib.suppress(OSError):
                group = os.getpgid(pid)
                if group != own_group and group in pids:
                    os.killpg(group, signum)
            with contextlib.suppress(OSError):
                os.kill(pid, signum)

    async def wait_gone(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for every known process to be gone; True if they are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            self.remember()
            if not self.alive():
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(_POLL_SECONDS)

    async def terminate(self, *, term_wait: float = 1.0, kill_wait: float = 1.0) -> bool:
        """SIGTERM everything, wait ``term_wait`` s, SIGKILL what is left. True when all are gone."""
        self.signal_all(signal.SIGTERM)
        self.signal_all(signal.SIGCONT)  # a stopped process only acts on SIGTERM once continued
        if await self.wait_gone(term_wait):
            return True
        self.signal_all(signal.SIGKILL)
        return await self.wait_gone(kill_wait)
