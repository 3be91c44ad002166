"""SubprocessVerifier: runs a repository's focused test command in a hotfix worktree.

The command line is split with ``shlex`` into argv and run without a shell (``shell=True`` only when the
repository's policy asks for one). The process gets its own session, so a timeout ends the whole process
group: SIGTERM, then SIGKILL after a grace period. Anything the command left running after it exits is ended
the same way. Output (stdout and stderr together) is kept bounded in memory: only the last ``keep_bytes``.
The bot's own secrets are not passed to the command's environment. ``verify`` never raises for a failing,
hanging or missing command.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import tempfile
from collections.abc import Mapping
from datetime import timedelta

from adapters.verification.summary import clean_output, outcome_summary, output_tail
from bot.ports import VerificationResult

__all__ = ["SubprocessVerifier", "scrubbed_environment"]

KEEP_BYTES = 64 * 1024
_READ_CHUNK = 16 * 1024
_POLL_S = 0.02
_SECRET_NAME = re.compile(
    r"(?i)^(TELEGRAM_|SLACK_|HOTFIX_)|TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL|DATABASE_URL"
)


def scrubbed_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default: this process's) without the bot's tokens, keys, passwords and database URL."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if not _SECRET_NAME.search(name)}


class SubprocessVerifier:
    def __init__(
        self,
        *,
        shell: bool = False,
        env: Mapping[str, str] | None = None,
        grace: timedelta = timedelta(seconds=5),
        keep_bytes: int = KEEP_BYTES,
    ) -> None:
        self._shell = shell
        self._env = dict(env) if env is not None else None
        self._grace = grace.total_seconds()
        self._keep_bytes = keep_bytes

    async def verify(self, *, worktree: str, command: str, timeout: timedelta, shell: bool = False
                     ) -> VerificationResult:
        """``shell``: the repository's reviewed policy asks for its test command to run through ``sh -c``."""
        try:
            argv = ["/bin/sh", "-c", command] if (self._shell or shell) else shlex.split(command)
        except ValueError as exc:
            return _not_run(command, f"could not parse the test command: {exc}")
        if not argv or not command.strip():
            return _not_run(command, "no test command")
        if not os.path.isdir(worktree):
            return _not_run(command, "the worktree is missing")
        with tempfile.TemporaryDirectory(prefix="hotfix-verify-") as cache:
            return await self._run(argv, command, worktree, timeout, cache)

    async def _run(self, argv: list[str], command: str, worktree: str, timeout: timedelta, cache: str
                   ) -> VerificationResult:
        # Python caches go to a fresh folder: the agent's own earlier runs cannot leave a stale .pyc (same second,
        # same size) that the verification would trust, and none land in the worktree's diff.
        env = {**(self._env if self._env is not None else scrubbed_environment()), "PYTHONPYCACHEPREFIX": cache}
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=worktree,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        except FileNotFoundError:
            return _not_run(command, f"command not found: {_program(argv[0])}")
        except PermissionError:
            return _not_run(command, f"not executable: {_program(argv[0])}")
        except OSError as exc:
            return _not_run(command, f"could not start {_program(argv[0])}: {exc.strerror or 'error'}")
        return await self._supervise(process, command, timeout.total_seconds())

    async def _supervise(
        self, process: asyncio.subprocess.Process, command: str, timeout: float
    ) -> VerificationResult:
        output = bytearray()
        reader = asyncio.create_task(self._collect(process, output))
        try:
            timed_out = not await _exited_within(process, timeout)
        finally:
            await self._end_group(process)  # also on cancellation: nothing of the run survives it
            await _finish_reading(reader)
        text = clean_output(bytes(output).decode("utf-8", errors="replace"))
        exit_code = None if timed_out else process.returncode
        return VerificationResult(
            command=command,
            exit_code=exit_code,
            summary=outcome_summary(
                exit_code=exit_code, output=text, timed_out_after=timeout if timed_out else None
            ),
            output_tail=output_tail(text),
        )

    async def _collect(self, process: asyncio.subprocess.Process, output: bytearray) -> None:
        assert process.stdout is not None
        while chunk := await process.stdout.read(_READ_CHUNK):
            output += chunk
            if len(output) > self._keep_bytes:
                del output[: len(output) - self._keep_bytes]

    async def _end_group(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM the process group, wait up to the grace period, then SIGKILL whatever is left."""
        if not _signal_group(process.pid, signal.SIGTERM):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._grace
        while loop.time() < deadline and _group_alive(process.pid):
            await asyncio.sleep(_POLL_S)
        if _group_alive(process.pid):
            _signal_group(process.pid, signal.SIGKILL)
        await _exited_within(process, self._grace)
        while loop.time() < deadline + self._grace and _group_alive(process.pid):
            await asyncio.sleep(_POLL_S)


async def _exited_within(process: asyncio.subprocess.Process, seconds: float) -> bool:
    """True once the process itself has exited (``Process.wait`` would also wait for every grandchild
    that still holds the output pipe, so poll the exit status instead)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while process.returncode is None:
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(_POLL_S)
    return True


def _signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _group_alive(pgid: int) -> bool:
    """Does any process of the group still run? Zombies waiting to be reaped do not count (Linux /proc);
    elsewhere any member counts."""
    if not os.path.isdir("/proc/self"):
        return _signal_group(pgid, 0)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and _running_in_group(entry.path, pgid):
            return True
    return False


def _running_in_group(proc_dir: str, pgid: int) -> bool:
    try:
        with open(os.path.join(proc_dir, "stat"), "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    fields = stat[stat.rfind(b")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp ...
    return len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] not in (b"Z", b"X")


async def _finish_reading(reader: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(reader, 5)
    except (TimeoutError, asyncio.CancelledError):
        reader.cancel()


def _program(name: str) -> str:
    name = os.path.basename(name) or name
    return name if len(name) <= 60 else name[:59] + "…"


def _not_run(command: str, reason: str) -> VerificationResult:
    return VerificationResult(command=command, exit_code=None, summary=reason, output_tail="")
