"""Stop (task cancel), crashes, failures and the idle watchdog, with the real codex binary."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.agents.codex import CodexRunner
from adapters.agents.process import descendants

from .conftest import ALLOW, ScriptedSink, run_spec
from .model_server import STALL, HttpError, ScriptedModelServer, exec_call, message

pytestmark = pytest.mark.agent


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


Tree = dict[int, tuple[int, str]]  # pid -> (start time, command line)


def _tree() -> Tree:
    """Every live descendant of this test process (the runner's codex and all it started)."""
    return {pid: (started, _cmdline(pid)) for pid, started in descendants(os.getpid()).items()}


def _started(pid: int) -> int | None:
    """The start time of a live process (None when gone or a zombie), wherever it now hangs in the tree."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _still_alive(recorded: Tree) -> list[str]:
    """Recorded processes that are still running, orphans included (zombies count as gone)."""
    return [cmd for pid, (started, cmd) in recorded.items() if _started(pid) == started]


def _runs(tree: Tree, marker: str) -> bool:
    return any(marker in cmd for _, cmd in tree.values())


async def _wait_for_descendant(marker: str) -> Tree:
    """Poll until a descendant of this test process runs ``marker``; return the whole tree then."""
    for _ in range(400):
        tree = _tree()
        if _runs(tree, marker):
            return tree
        await asyncio.sleep(0.05)
    raise AssertionError(f"no process running {marker!r} appeared")


async def test_stop_while_a_long_command_runs_leaves_no_process_behind(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("sleep 37.5", yield_time_ms=30000)])
    sink = ScriptedSink(answers=[ALLOW])
    run = asyncio.create_task(runner.run(run_spec(worktree), sink))

    tree = await _wait_for_descendant("sleep 37.5")
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert _runs(tree, "app-server")
    assert _still_alive(tree) == []


async def test_stop_while_waiting_for_approval_cancels_cleanly(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("touch never.txt")])
    sink = ScriptedSink(hold=asyncio.Event())  # nobody presses a button
    run = asyncio.create_task(runner.run(run_spec(worktree), sink))

    await sink.asked.wait()
    tree = _tree()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert _runs(tree, "app-server")
    assert _still_alive(tree) == []
    assert not (worktree / "never.txt").exists()


async def test_waiting_for_a_person_is_not_idle_but_silence_is(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("touch slow_answer.txt")], STALL)
    hold = asyncio.Event()
    sink = ScriptedSink(hold=hold)
    run = asyncio.create_task(runner.run(run_spec(worktree, idle_timeout=timedelta(seconds=1)), sink))

    await sink.asked.wait()
    await asyncio.sleep(2.5)  # a person thinking for longer than idle_timeout
    assert not run.done()
    hold.set()
    outcome = await run  # the model then stalls: the watchdog ends the run

    assert (worktree / "slow_answer.txt").exists()
    assert (outcome.ok, outcome.kind, outcome.error) == (False, "failed", "no output for 1 second")
    assert len(model.requests) == 2


async def test_session_id_is_returned_and_the_next_turn_continues_it(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([message("First answer: add() subtracts.")], [message("Second answer.")])

    first = await runner.run(run_spec(worktree, prompt="Why does test_add fail?"), ScriptedSink())
    sink = ScriptedSink()
    second = await runner.run(
        run_spec(worktree, prompt="Now fix it.", session_id=first.session_id), sink
    )

    assert first.ok and second.ok, (first.error, second.error)
    assert first.session_id and second.session_id == first.session_id
    assert sink.of_kind("started")[0].session_id == first.session_id
    history = model.texts_sent(1)
    assert "Why does test_add fail?" in history and "First answer: add() subtracts." in history
    assert "Now fix it." in history


async def test_resuming_an_unknown_session_fails_with_one_line(
    runner: CodexRunner, worktree: Path
) -> None:
    outcome = await runner.run(
        run_spec(worktree, session_id="01a1fc58-0000-7000-8000-000000000000"), ScriptedSink()
    )

    assert (outcome.ok, outcome.kind) == (False, "failed")
    assert outcome.error and outcome.error.startswith("could not resume the codex session")
    assert "\n" not in outcome.error


async def test_missing_binary_is_a_failed_outcome(
    agent_home: dict[str, str], tmp_path: Path
) -> None:
    runner = CodexRunner(cli_path=str(tmp_path / "no-such-codex"), env=agent_home)

    outcome = await runner.run(run_spec(tmp_path), ScriptedSink())

    assert (outcome.ok, outcome.kind, outcome.error) == (False, "failed", "codex CLI not found: set CODEX_CLI_PATH")


async def test_binary_that_exits_at_once_is_a_failed_outcome(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = bin_dir / "codex"
    broken.write_text("#!/bin/sh\necho 'Traceback: something secret' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    runner = CodexRunner(env={"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})  # codex on PATH

    outcome = await runner.run(run_spec(tmp_path), ScriptedSink())

    assert (outcome.ok, outcome.kind) == (False, "failed")
    assert outcome.error == "codex exited unexpectedly (exit code 3)"


async def test_agent_crash_mid_run_is_a_failed_outcome(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("touch crash.txt")])
    sink = ScriptedSink(hold=asyncio.Event())
    run = asyncio.create_task(runner.run(run_spec(worktree), sink))

    await sink.asked.wait()
    servers = {pid: started for pid, started in descendants(os.getpid()).items() if "app-server" in _cmdline(pid)}
    server = max(servers, key=servers.__getitem__)  # this run's: the newest (an earlier test's may be exiting)
    os.kill(server, signal.SIGKILL)
    outcome = await run

    assert (outcome.ok, outcome.kind) == (False, "failed")
    assert outcome.error == "codex exited unexpectedly (exit code -9)"


async def test_model_auth_failure_is_a_failed_outcome_with_the_reason(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    body = '{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}'
    model.script(HttpError(status=401, body=body))

    outcome = await runner.run(run_spec(worktree), ScriptedSink())

    assert (outcome.ok, outcome.kind) == (False, "failed")
    assert outcome.error and "401" in outcome.error and "\n" not in outcome.error


async def test_model_that_stalls_trips_the_idle_watchdog(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script(STALL)

    outcome = await runner.run(run_spec(worktree, idle_timeout=timedelta(seconds=1.5)), ScriptedSink())

    assert (outcome.ok, outcome.kind, outcome.error) == (False, "failed", "no output for 1.5 seconds")
    assert not _runs(_tree(), "app-server")


async def test_missing_worktree_is_a_failed_outcome(runner: CodexRunner, tmp_path: Path) -> None:
    outcome = await runner.run(run_spec(tmp_path / "gone"), ScriptedSink())

    assert (outcome.ok, outcome.kind, outcome.error) == (False, "failed", "worktree not found")


async def test_model_choice_and_instructions_reach_the_model(
    codex_cli: str, agent_home: dict[str, str], model: ScriptedModelServer, worktree: Path
) -> None:
    runner = CodexRunner(cli_path=codex_cli, env=agent_home, model="gpt-hotfix-test")

    outcome = await runner.run(run_spec(worktree, instructions="HOTFIX RULES: no refactors."), ScriptedSink())

    assert outcome.ok, outcome.error
    assert model.requests[0]["model"] == "gpt-hotfix-test"
    developer = [item for item in model.requests[0]["input"] if item.get("role") == "developer"]
    assert any("HOTFIX RULES: no refactors." in str(item["content"]) for item in developer)
