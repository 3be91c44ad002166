"""Pure functions: a verification run's output -> a one-line summary and a bounded tail."""

from __future__ import annotations

import re
import signal

__all__ = ["TAIL_CHARS", "TAIL_LINES", "clean_output", "outcome_summary", "output_tail", "summary_from_output"]

TAIL_LINES = 40
TAIL_CHARS = 8_000

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
_PYTEST_COUNT = r"\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?|rerun)"
_PYTEST = re.compile(rf"^=*\s*((?:{_PYTEST_COUNT})(?:, {_PYTEST_COUNT})*|no tests ran)\b.* in [\d.]+\s*s")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in [\d.]+s")
_UNITTEST_RESULT = re.compile(r"^(OK|FAILED)\b(.*)$")


def clean_output(text: str) -> str:
    """Drop colour codes and carriage-return redraws; keep printable text, tabs and newlines."""
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    return "\n".join("".join(ch for ch in line if ch.isprintable() or ch == "\t") for line in lines)


def output_tail(text: str, *, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last ``lines`` lines (at most ``chars`` characters), with a marker when something was cut."""
    kept = text.rstrip("\n").split("\n")
    cut = len(kept) > lines
    tail = "\n".join(kept[-lines:])
    if len(tail) > chars:
        tail, cut = tail[-chars:], True
    return f"… (earlier output cut)\n{tail}" if cut else tail


def summary_from_output(text: str) -> str | None:
    """pytest's "N passed, M failed" or unittest's "Ran N tests: OK / FAILED (…)" from the output, if any."""
    found: str | None = None
    ran: str | None = None
    for line in text.split("\n"):
        line = line.strip()
        pytest = _PYTEST.match(line)
        if pytest:
            found = pytest.group(1)
            continue
        unittest_ran = _UNITTEST_RAN.match(line)
        if unittest_ran:
            count = int(unittest_ran.group(1))
            ran = f"Ran {count} test{'s' if count != 1 else ''}"
            continue
        result = _UNITTEST_RESULT.match(line)
        if ran and result:
            found = f"{ran}: {result.group(1)}{result.group(2)}".strip()
            ran = None
    return found


def outcome_summary(*, exit_code: int | None, output: str, timed_out_after: float | None = None) -> str:
    """One line for the review card."""
    if timed_out_after is not None:
        return f"timed out after {timed_out_after:g} s"
    counts = summary_from_output(output)
    if counts:
        return counts
    if exit_code is None:
        return "did not run"
    if exit_code < 0:
        try:
            return f"killed by {signal.Signals(-exit_code).name}"
        except ValueError:
            return f"killed by signal {-exit_code}"
    return f"exit {exit_code}"
