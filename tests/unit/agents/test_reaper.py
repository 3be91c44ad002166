"""The start-up reaper, against real processes started by the test with their cwd in or out of a worktree root."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.agents.reaper import reap_agents_under
from tests.unit.agents.process_support import answers

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worktrees(tmp_path: Path) -> Path:
    root = tmp_path / "worktrees"
    (root / "hotfix-7" / "src").mkdir(parents=True)
    return root


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        process.kill()
        process.communicate()  # reaps it and closes its pipes


def _cat_in(directory: Path, started: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """A stand-in agent: ``cat`` working in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(["cat"], cwd=directory, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    started.append(process)
    return process


def test_a_process_inside_the_root_is_killed_and_one_outside_is_not(
    worktrees: Path, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    agent = _cat_in(worktrees / "hotfix-7" / "src", started)
    outside = _cat_in(tmp_path / "elsewhere", started)
    look_alike = _cat_in(tmp_path / "worktrees-old", started)  # same prefix, not inside

    killed = reap_agents_under(str(worktrees))

    assert killed == [agent.pid]
    assert agent.wait() == -signal.SIGKILL
    assert answers(outside) and answers(look_alike)


def test_the_root_itself_counts_and_a_symlinked_root_is_resolved(
    worktrees: Path, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    agent = _cat_in(worktrees, started)
    link = tmp_path / "link-to-worktrees"
    link.symlink_to(worktrees)

    killed = reap_agents_under(str(link))

    assert killed == [agent.pid]
    assert agent.wait() == -signal.SIGKILL


def test_it_spares_itself_and_its_ancestors(worktrees: Path, started: list[subprocess.Popen[str]]) -> None:
    agent = _cat_in(worktrees / "hotfix-7", started)
    reap = f"import json, os; from adapters.agents.reaper import reap_agents_under; " \
           f"print(json.dumps([os.getpid(), reap_agents_under({str(worktrees)!r})]))"
    parent = ("import subprocess, sys; "
              f"sys.exit(subprocess.run([sys.executable, '-c', {reap!r}]).returncode)")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    # the bot (the child) and the process that started it (the parent) both work inside the root
    result = subprocess.run([sys.executable, "-c", parent], cwd=worktrees / "hotfix-7", env=env,
                            capture_output=True, text=True, check=False, timeout=60)

    assert result.returncode == 0, result.stderr
    bot_pid, killed = json.loads(result.stdout)
    assert killed == [agent.pid] and bot_pid not in killed
    assert agent.wait() == -signal.SIGKILL


def test_an_empty_root_kills_nothing(worktrees: Path, tmp_path: Path, started: list[subprocess.Popen[str]]) -> None:
    outside = _cat_in(tmp_path / "elsewhere", started)

    assert reap_agents_under(str(worktrees)) == []
    assert answers(outside)
