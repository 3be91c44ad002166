"""Helpers for the tests that start real processes (test_process.py, test_reaper.py)."""

from __future__ import annotations

import subprocess

__all__ = ["answers"]


def answers(process: subprocess.Popen[str]) -> bool:
    """Does ``process`` (a ``cat`` with piped stdin and stdout) still echo a line? Deterministic: a signal
    already sent to it would have ended it before it could answer."""
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write("ping\n")
        process.stdin.flush()
    except BrokenPipeError:
        return False
    return process.stdout.readline() == "ping\n"
