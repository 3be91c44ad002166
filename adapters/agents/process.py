"""Agent process trees, found through ``/proc`` and made to go away quickly and for sure.

Neither a process-group kill nor waiting on the agent is enough on its own: Claude Code runs in the bot's own
process group and starts tool shells that may detach; codex runs tool commands under bubblewrap in new
sessions. ``ProcessTree`` walks ``/proc`` for descendants and members of groups they lead (recorded with their
start time, so a recycled pid is never signalled), remembers them so processes orphaned later are still
found, and signals each one and each process group one of them leads (never the bot's own group).
``terminate`` continues stopped processes and is bounded in time.

Zombies count as gone everywhere: they hold nothing but a pid and can't be signalled away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ProcessTree", "ancestors", "descendants", "is_alive", "listed_pids"]

_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class _Stat:
    """The fields of ``/proc/<pid>/stat`` this module reads."""

    state: str
    parent: int
    group: int
    started: int  # clock ticks after boot: with the pid, names one process for good

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X")


def _read_stat(pid: int) -> _Stat | None:
    """The stat of ``pid`` (zombies included); None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name in (...) may hold spaces and ')'
    if len(fields) < 20:
        return None
    try:
        return _Stat(state=fields[0], parent=int(fields[1]), group=int(fields[2]), started=int(fields[19]))
    except ValueError:
        return None


def _live_stat(pid: int) -> _Stat | None:
    stat = _read_stat(pid)
    return stat if stat is not None and stat.alive else None


def listed_pids(proc: str = "/proc") -> list[int]:
    """Every pid listed in ``proc`` (zombies included). Raises OSError if it can't be read."""
    return [int(entry) for entry in os.listdir(proc) if entry.isdigit()]


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    return _live_stat(pid) is not None


def ancestors() -> set[int]:
    """This process and every process above it (init excluded)."""
    found, pid = {os.getpid()}, os.getppid()
    while pid > 1 and pid not in found:
        found.add(pid)
        stat = _read_stat(pid)
        if stat is None:
            break
        pid = stat.parent
    return found


def _live_processes() -> dict[int, _Stat]:
    """One pass over ``/proc``: every live process (none when it can't be read)."""
    try:
        pids = listed_pids()
    except OSError:
        return {}
    return {pid: stat for pid in pids if (stat := _live_stat(pid)) is not None}


def _tree_below(roots: list[int], *, with_groups: bool) -> dict[int, int]:
    """Every live descendant of ``roots`` (with ``with_groups``, also every live member of a group one of them
    or of those leads) as pid -> start time, from one pass over ``/proc``."""
    processes = _live_processes()
    own_group = os.getpgrp()  # never taken for ours as a whole
    children: dict[int, list[int]] = {}
    for pid, stat in processes.items():
        children.setdefault(stat.parent, []).append(pid)
        if with_groups and stat.group not in (pid, own_group):
            children.setdefault(stat.group, []).append(pid)
    found: dict[int, int] = {}
    stack, skip = list(roots), set(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found and child not in skip:
                found[child] = processes[child].started
                stack.append(child)
    return found


def descendants(root_pid: int) -> dict[int, int]:
    """Every live descendant of ``root_pid`` as pid -> start time, from one pass over ``/proc``."""
    return _tree_below([root_pid], with_groups=False)


class ProcessTree:
    """A root process and every process seen below it so far: its descendants and the members of groups they
    lead. Each is kept with its start time; one that is gone (or whose pid now names another process) is
    dropped and never signalled."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        root = _read_stat(root_pid)  # an unreaped child that already exited still names its group
        self._known: dict[int, int] = {root_pid: root.started} if root is not None and root.alive else {}
        self._leaders: dict[int, int] = {root_pid: root.started} if root is not None else {}  # every pid ever known

    def remember(self) -> None:
        """Record the processes now below every known live process."""
        alive = self.alive()
        if alive:
            found = _tree_below(alive, with_groups=True)
            self._known.update(found)
            self._leaders.update(found)

    def alive(self) -> list[int]:
        """Known processes still running (same pid and same start time)."""
        alive = []
        for pid, started in list(self._known.items()):
            stat = _live_stat(pid)
            if stat is None or stat.started != started:
                del self._known[pid]
            else:
                alive.append(pid)
        return alive

    def signal_all(self, signum: signal.Signals) -> None:
        """Send ``signum`` to every group one of ours leads (or led) and to every known live process. The bot's
        own group is never signalled as a whole."""
        self.remember()
        pids = self.alive()
        for group in self._groups(pids) - {os.getpgrp()}:
            with contextlib.suppress(OSError):
                os.killpg(group, signum)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)

    def _groups(self, pids: list[int]) -> set[int]:
        """Groups led by a process of ours, named by a number that can't have been recycled: the group of a
        live known process (a group's number stays taken while it has members), or a group whose leader is
        gone and whose pid names no other process (it catches members started after the last look)."""
        groups = set()
        for pid in pids:
            with contextlib.suppress(OSError):
                if (group := os.getpgid(pid)) in self._leaders:
                    groups.add(group)
        for leader, started in self._leaders.items():
            stat = _read_stat(leader)
            if stat is None or (stat.started == started and not stat.alive):
                groups.add(leader)  # ESRCH when it leads no group: harmless
        return groups

    async def wait_gone(self, seconds: float, *, reaped: Callable[[], bool] | None = None) -> bool:
        """Wait up to ``seconds`` for every known process to be gone (and, with ``reaped``, for the root to have
        been reaped by its owner, e.g. asyncio has its exit code); True if they are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            self.remember()
            if not self.alive() and (reaped is None or reaped()):
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(_POLL_SECONDS)

    async def terminate(
        self, *, term_wait: float = 1.0, kill_wait: float = 1.0, reaped: Callable[[], bool] | None = None
    ) -> bool:
        """SIGTERM everything, wait ``term_wait`` s, SIGKILL what is left and wait up to ``kill_wait`` s.
        Returns within ``term_wait + kill_wait`` s (plus one poll); True when all are gone (``wait_gone``)."""
        self.signal_all(signal.SIGTERM)
        self.signal_all(signal.SIGCONT)  # a stopped process only acts on SIGTERM once continued
        if await self.wait_gone(term_wait, reaped=reaped):
            return True
        self.signal_all(signal.SIGKILL)
        return await self.wait_gone(kill_wait, reaped=reaped)
