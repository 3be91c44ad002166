"""Spawning ``codex app-server`` in its own process group, and making its whole process tree go away.

Codex runs tool commands under bubblewrap in new sessions, so a process-group kill alone can miss them:
``ProcessTree`` also walks ``/proc`` for descendants (recorded with their start time, so a recycled pid is
never signalled) and signals each one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import Mapping, Sequence

__all__ = ["STREAM_LIMIT", "AppServerProcess", "descendants", "spawn_app_server"]

STREAM_LIMIT = 64 * 1024 * 1024  # longest stdout line we accept; codex sends whole command outputs in one line
_STDERR_TAIL_LINES = 20


def _stat_fields(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live, non-zombie process; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), int(fields[19])


def descendants(root_pid: int) -> dict[int, int]:
    """All live descendants of ``root_pid``: pid -> start time (from one pass over ``/proc``)."""
    children: dict[int, list[int]] = {}
    start_times: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None:
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


class AppServerProcess:
    """One running ``codex app-server``: its pipes, a tail of its stderr, and a bounded tree kill."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL_LINES)
        self._known: dict[int, int] = {}
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    @property
    def pid(self) -> int:
        return self.process.pid

    def remember_descendants(self) -> None:
        """Record the current tree, so processes orphaned later are still found and stopped."""
        if self.process.returncode is None:
            self._known.update(descendants(self.process.pid))

    async def _drain_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        with contextlib.suppress(ValueError, OSError):
            async for line in stream:
                self.stderr_tail.append(line.decode(errors="replace").rstrip())

    async def terminate_tree(self, *, grace: float = 1.5, term_wait: float = 2.0) -> None:
        """Close stdin and wait ``grace`` s, then SIGTERM the group and every known descendant, wait
        ``term_wait`` s, then SIGKILL what is left. Bounded: returns within ``grace + term_wait + 1`` s."""
        self.remember_descendants()
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        if not await self._wait_tree(grace):
            self._signal_all(signal.SIGTERM)
            if not await self._wait_tree(term_wait):
                self._signal_all(signal.SIGKILL)
                await self._wait_tree(1.0)
        self._stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._stderr_task

    async def _wait_tree(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the server and all recorded descendants to be gone."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            self.remember_descendants()
            if self.process.returncode is not None and not self._alive():
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.05)

    def _alive(self) -> list[int]:
        alive = []
        for pid, started in list(self._known.items()):
            fields = _stat_fields(pid)
            if fields is None or fields[1] != started:
                del self._known[pid]
            else:
                alive.append(pid)
        return alive

    def _signal_all(self, signum: signal.Signals) -> None:
        self.remember_descendants()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)
        for pid in self._alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)


async def spawn_app_server(argv: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> AppServerProcess:
    """Start ``argv`` (an argv list, never a shell line) in a new session. Raises OSError if it can't run."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        limit=STREAM_LIMIT,
    )
    return AppServerProcess(process)
