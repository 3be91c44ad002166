"""Spawning ``codex app-server`` in its own session, and making its whole process tree go away.

Codex runs tool commands under bubblewrap in new sessions, so a process-group kill alone can miss them: the
tree is a shared ``ProcessTree`` (``adapters.agents.process``), which also finds and kills those.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping, Sequence

from adapters.agents.process import ProcessTree

__all__ = ["STREAM_LIMIT", "AppServerProcess", "spawn_app_server"]

STREAM_LIMIT = 64 * 1024 * 1024  # longest stdout line we accept; codex sends whole command outputs in one line
_STDERR_TAIL_LINES = 20
_KILL_WAIT = 1.0  # s for SIGKILLed processes to disappear


class AppServerProcess:
    """One running ``codex app-server``: its pipes, a tail of its stderr, and a bounded tree kill."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.tree = ProcessTree(process.pid)
        self.stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL_LINES)
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _drain_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        with contextlib.suppress(ValueError, OSError):
            async for line in stream:
                self.stderr_tail.append(line.decode(errors="replace").rstrip())

    def _reaped(self) -> bool:
        """asyncio has the server's exit code (its pipes and transport can then be closed cleanly)."""
        return self.process.returncode is not None

    async def terminate_tree(self, *, grace: float = 1.5, term_wait: float = 2.0) -> None:
        """Close stdin and wait ``grace`` s, then SIGTERM the group and every known process, wait
        ``term_wait`` s, then SIGKILL what is left. Bounded: returns within ``grace + term_wait + 1`` s."""
        self.tree.remember()
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        if not await self.tree.wait_gone(grace, reaped=self._reaped):
            await self.tree.terminate(term_wait=term_wait, kill_wait=_KILL_WAIT, reaped=self._reaped)
        self._stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._stderr_task


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
