"""The command line as an operator uses it: exit codes, one-line errors, the JSON of CONTRACT §3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {"id", "state", "repo", "title", "mode", "agent", "priority", "requester", "branch", "worktree",
        "created_at", "updated_at", "approvals", "diff", "verification", "events"}


def cli(tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "HOTFIX_"))}
    environ.update(HOTFIX_STATE_DIR=str(tmp_path / "state"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, input=stdin, text=True,
                          capture_output=True, env=environ, timeout=120)


@pytest.mark.agent
def test_console_files_a_hotfix_and_show_json_matches_the_contract(tmp_path: Path) -> None:
    run = cli(tmp_path, "console", stdin="/hotfix the checkout webhook returns 500 on an empty payload\n"
                                         "/hotfix queue\n/quit\n", env={"CLAUDE_CLI_PATH": "/nonexistent/claude"})
    assert run.returncode == 0, run.stderr
    assert "HF-1 (shop) filed" in run.stdout and "HF-1 · shop" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    shown = cli(tmp_path, "show", "HF-1", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert set(data) == KEYS
    assert data["id"] == "HF-1" and data["repo"] == "shop" and data["requester"] == "console:operator"
    assert data["events"][0]["kind"] == "filed"
    listed = json.loads(cli(tmp_path, "list", "--json").stdout)
    assert listed[0]["id"] == "HF-1" and "events" not in listed[0]


def test_bad_input_is_one_line_and_non_zero(tmp_path: Path) -> None:
    assert cli(tmp_path, "show", "HF-x").returncode == 2
    missing = cli(tmp_path, "show", "HF-99")
    assert missing.returncode == 1 and missing.stderr.strip() == "hotfix-bot: no hotfix HF-99"
    (tmp_path / "hotfix.toml").write_text("[[repo]]\nname = 'x'\n")
    bad = cli(tmp_path, "run", env={"TELEGRAM_BOT_TOKEN": "123:secret-token-value"})
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("hotfix-bot: hotfix.toml:")
    assert "secret-token-value" not in bad.stderr + bad.stdout


def test_doctor_reports_problems_without_secrets(tmp_path: Path) -> None:
    run = cli(tmp_path, "doctor", env={"SLACK_BOT_TOKEN": "xoxb-doctor-secret"})
    assert run.returncode == 1
    assert "SLACK_BOT_TOKEN is set" in run.stdout and "xoxb-doctor-secret" not in run.stdout + run.stderr
