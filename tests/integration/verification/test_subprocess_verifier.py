"""SubprocessVerifier running real processes in a temporary worktree."""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.verification import SubprocessVerifier

PY = shlex.quote(sys.executable)
SECONDS = timedelta(seconds=30)


def _alive(pid: int) -> bool:
    """Still running (a zombie waiting to be reaped is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X")


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


async def _until_dead(pids: list[int]) -> list[int]:
    """Give the kernel a moment to tear down SIGKILLed processes; returns the survivors."""
    for _ in range(250):
        survivors = [pid for pid in pids if _alive(pid)]
        if not survivors:
            return []
        await asyncio.sleep(0.02)
    return survivors


async def test_a_passing_pytest_run(tmp_path: Path) -> None:
    (tmp_path / "test_ok.py").write_text("def test_one():\n    assert 1\n\ndef test_two():\n    assert 2\n")

    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=f"{PY} -m pytest -q -p no:cacheprovider",
                                               timeout=SECONDS)

    assert (result.exit_code, result.summary) == (0, "2 passed")
    assert result.command == f"{PY} -m pytest -q -p no:cacheprovider"
    assert "2 passed" in result.output_tail


async def test_a_failing_pytest_run(tmp_path: Path) -> None:
    (tmp_path / "test_cart.py").write_text("def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n")

    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=f"{PY} -m pytest -q -p no:cacheprovider",
                                               timeout=SECONDS)

    assert (result.exit_code, result.summary) == (1, "1 failed, 1 passed")
    assert "assert 1 == 2" in result.output_tail


async def test_a_unittest_run(tmp_path: Path) -> None:
    (tmp_path / "test_unit.py").write_text(
        "import unittest\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertTrue(True)\n")

    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=f"{PY} -m unittest", timeout=SECONDS)

    assert (result.exit_code, result.summary) == (0, "Ran 1 test: OK")


async def test_a_plain_failing_command_reports_its_exit_code_and_output(tmp_path: Path) -> None:
    command = f"{PY} -c \"import sys; print('it broke'); sys.exit(3)\""

    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)

    assert (result.exit_code, result.summary, result.output_tail) == (3, "exit 3", "it broke")


async def test_the_command_runs_in_the_worktree(tmp_path: Path) -> None:
    command = f"{PY} -c \"import os; print(os.getcwd())\""
    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)
    assert result.output_tail == str(tmp_path)


async def test_a_timeout_kills_the_whole_process_tree(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    child = _script(tmp_path, "stubborn.py", f"""
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # only SIGKILL ends this one
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        time.sleep(600)
    """)
    parent = _script(tmp_path, "parent.py", f"""
        import os, subprocess, sys, time
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        subprocess.Popen([sys.executable, {child!r}])
        print("started", flush=True)
        time.sleep(600)
    """)
    verifier = SubprocessVerifier(grace=timedelta(seconds=0.5))

    result = await verifier.verify(worktree=str(tmp_path), command=f"{PY} {shlex.quote(parent)}",
                                   timeout=timedelta(seconds=2))

    assert result.exit_code is None
    assert result.summary == "timed out after 2 s"
    assert "started" in result.output_tail
    recorded = [int(line) for line in pids.read_text().split()]
    assert len(recorded) == 2
    assert await _until_dead(recorded) == []


async def test_processes_left_behind_by_a_finished_command_are_ended(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    leftover = _script(tmp_path, "daemon.py", f"""
        import os, time
        with open({str(pids)!r}, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
    """)
    command = (f"{PY} -c \"import subprocess, sys, time, os; subprocess.Popen([sys.executable, {leftover!r}]); "
               f"[time.sleep(0.05) for _ in range(200) if not os.path.exists({str(pids)!r})]; "
               "print('1 passed in 0.1s')\"")

    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)

    assert (result.exit_code, result.summary) == (0, "1 passed")
    assert await _until_dead([int(pids.read_text())]) == []


async def test_cancelling_a_verification_ends_its_processes(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    sleeper = _script(tmp_path, "sleeper.py", f"""
        import os, time
        with open({str(pids)!r}, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
    """)
    task = asyncio.create_task(SubprocessVerifier().verify(worktree=str(tmp_path), command=f"{PY} {sleeper}",
                                                           timeout=timedelta(minutes=10)))
    for _ in range(500):
        if pids.exists() and pids.read_text():
            break
        await asyncio.sleep(0.02)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await _until_dead([int(pids.read_text())]) == []


@pytest.mark.parametrize(("command", "summary"), [
    ("no-such-program-hotfix --flag", "command not found: no-such-program-hotfix"),
    ("/nonexistent/dir/pytest -q", "command not found: pytest"),
    ('pytest "unclosed', "could not parse the test command: No closing quotation"),
    ("   ", "no test command"),
])
async def test_a_command_that_cannot_run_is_reported_not_raised(tmp_path: Path, command: str, summary: str) -> None:
    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)
    assert (result.exit_code, result.summary, result.output_tail) == (None, summary, "")


async def test_a_non_executable_program_and_a_missing_worktree(tmp_path: Path) -> None:
    script = tmp_path / "run-tests"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    verifier = SubprocessVerifier()

    not_executable = await verifier.verify(worktree=str(tmp_path), command=str(script), timeout=SECONDS)
    no_worktree = await verifier.verify(worktree=str(tmp_path / "gone"), command="true", timeout=SECONDS)

    assert (not_executable.exit_code, not_executable.summary) == (None, "not executable: run-tests")
    assert (no_worktree.exit_code, no_worktree.summary) == (None, "the worktree is missing")


async def test_no_shell_unless_asked(tmp_path: Path) -> None:
    command = "echo checking; touch pwned"

    plain = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)
    assert plain.output_tail == "checking; touch pwned"
    assert not (tmp_path / "pwned").exists()

    shelled = await SubprocessVerifier(shell=True).verify(worktree=str(tmp_path), command=command, timeout=SECONDS)
    assert shelled.output_tail == "checking"
    assert (tmp_path / "pwned").exists()


async def test_huge_output_is_kept_bounded(tmp_path: Path) -> None:
    command = f"{PY} -c \"[print('line', n) for n in range(200000)]; print('2 passed in 1.0s')\""

    result = await SubprocessVerifier(keep_bytes=4096).verify(worktree=str(tmp_path), command=command,
                                                              timeout=SECONDS)

    assert (result.exit_code, result.summary) == (0, "2 passed")
    lines = result.output_tail.splitlines()
    assert lines[0] == "… (earlier output cut)" and len(lines) == 41
    assert lines[-2:] == ["line 199999", "2 passed in 1.0s"]


async def test_stderr_is_captured_with_stdout(tmp_path: Path) -> None:
    command = f"{PY} -c \"import sys; print('out', flush=True); print('err', file=sys.stderr)\""
    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)
    assert result.output_tail.splitlines() == ["out", "err"]


async def test_the_bots_tokens_do_not_reach_the_test_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-for-tests")
    monkeypatch.setenv("HOTFIX_VERIFY_PROBE", "visible")  # HOTFIX_* is the bot's own config: scrubbed too
    monkeypatch.setenv("SHOP_MODE", "test")
    command = (f"{PY} -c \"import os; print(os.environ.get('SLACK_BOT_TOKEN'), "
               f"os.environ.get('HOTFIX_VERIFY_PROBE'), os.environ.get('SHOP_MODE'))\"")

    result = await SubprocessVerifier().verify(worktree=str(tmp_path), command=command, timeout=SECONDS)

    assert result.output_tail == "None None test"
    assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-not-for-tests"
