"""The verifier's pure parts: the one-line summary and the bounded, cleaned output tail."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.verification.runner import scrubbed_environment
from adapters.verification.summary import clean_output, outcome_summary, output_tail, summary_from_output


@pytest.mark.parametrize(("output", "expected"), [
    ("....\n4 passed in 0.03s\n", "4 passed"),
    ("===== 1 failed, 11 passed, 2 warnings in 1.20s =====\n", "1 failed, 11 passed, 2 warnings"),
    ("==== 3 passed, 1 skipped in 0.50s (0:00:00) ====", "3 passed, 1 skipped"),
    ("= 2 errors in 0.10s =", "2 errors"),
    ("======== no tests ran in 0.01s ========", "no tests ran"),
    ("x\n----------------------------------------------------------------------\nRan 3 tests in 0.001s\n\nOK\n",
     "Ran 3 tests: OK"),
    ("Ran 1 test in 0.001s\n\nFAILED (failures=1)\n", "Ran 1 test: FAILED (failures=1)"),
    ("Ran 5 tests in 0.2s\n\nOK (skipped=2)\n", "Ran 5 tests: OK (skipped=2)"),
    ("all good\n", None),
    ("OK\n", None),  # "OK" alone is not a unittest summary
])
def test_summary_lines_of_pytest_and_unittest(output: str, expected: str | None) -> None:
    assert summary_from_output(output) == expected


def test_the_last_pytest_summary_wins() -> None:
    assert summary_from_output("1 failed in 0.1s\nrerun\n2 passed in 0.2s\n") == "2 passed"


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"exit_code": 0, "output": "done"}, "exit 0"),
    ({"exit_code": 1, "output": "boom"}, "exit 1"),
    ({"exit_code": 1, "output": "1 failed, 2 passed in 0.1s"}, "1 failed, 2 passed"),
    ({"exit_code": None, "output": "", "timed_out_after": 300.0}, "timed out after 300 s"),
    ({"exit_code": None, "output": "", "timed_out_after": 0.5}, "timed out after 0.5 s"),
    ({"exit_code": -11, "output": ""}, "killed by SIGSEGV"),
    ({"exit_code": None, "output": ""}, "did not run"),
])
def test_outcome_summary(kwargs: dict[str, Any], expected: str) -> None:
    assert outcome_summary(**kwargs) == expected


def test_clean_output_drops_colour_and_redraws_but_keeps_text() -> None:
    raw = "\x1b[32m3 passed\x1b[0m in 0.1s\r\nprogress 10%\rprogress 100%\n\x07bell\ttab\n"
    assert clean_output(raw) == "3 passed in 0.1s\nprogress 100%\nbell\ttab\n"
    assert summary_from_output(clean_output(raw)) == "3 passed"


def test_output_tail_keeps_the_last_lines_and_marks_the_cut() -> None:
    text = "\n".join(f"line {n}" for n in range(100)) + "\n"
    tail = output_tail(text)
    assert tail.splitlines()[0] == "… (earlier output cut)"
    assert tail.splitlines()[1:] == [f"line {n}" for n in range(60, 100)]
    assert output_tail("short\n") == "short"


def test_output_tail_is_bounded_in_characters_too() -> None:
    tail = output_tail("x" * 100_000)
    assert len(tail) < 8_100 and tail.endswith("x")


def test_the_bots_secrets_are_not_passed_to_the_test_command() -> None:
    env = scrubbed_environment({"PATH": "/bin", "HOME": "/h", "SLACK_BOT_TOKEN": "xoxb-1", "TELEGRAM_BOT_TOKEN": "1:a",
                                "HOTFIX_DATABASE_URL": "postgresql://u:p@h/db", "ANTHROPIC_API_KEY": "sk",
                                "GITHUB_TOKEN": "ghp", "DB_PASSWORD": "pw", "LANG": "C.UTF-8"})
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8"}
