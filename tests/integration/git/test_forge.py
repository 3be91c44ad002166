"""The forge CLI is run with an argv list in the worktree; its URL comes back; failures are one line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from adapters.git.forge import ForgeError, open_pull_request


def fake_gh(tmp_path: Path, *, exit_code: int = 0) -> Path:
    script = tmp_path / "gh"
    script.write_text("#!/bin/sh\n"
                      f'printf "%s\\n" "$@" > "{tmp_path}/args"\n'
                      'echo "https://github.example/o/r/pull/3"\n'
                      'echo "gh: token rejected" >&2\n'
                      f"exit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_opens_a_pull_request_with_argv(tmp_path: Path) -> None:
    cli = fake_gh(tmp_path)
    url = open_pull_request(worktree=str(tmp_path), branch="hotfix/3-x", base_branch="main",
                            title="HF-3: $(rm -rf /) `x`", body="body; rm -rf /", cli=str(cli))
    assert url == "https://github.example/o/r/pull/3"
    args = (tmp_path / "args").read_text().splitlines()
    assert args[:6] == ["pr", "create", "--head", "hotfix/3-x", "--base", "main"]
    assert "HF-3: $(rm -rf /) `x`" in args  # passed as one argument, never through a shell


def test_a_failure_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ForgeError, match=r"^opening the pull request failed: gh: token rejected$"):
        open_pull_request(worktree=str(tmp_path), branch="b", base_branch="main", title="t", body="b",
                          cli=str(fake_gh(tmp_path, exit_code=1)))
