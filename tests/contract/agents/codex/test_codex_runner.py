"""The real codex binary (openai-codex-cli-bin 0.163) against a scripted model, in a real git worktree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from adapters.agents.codex import CodexRunner

from .conftest import ALLOW, FIX_PATCH, FIXED_CALC, STOP, ScriptedSink, deny, run_spec
from .model_server import ScriptedModelServer, exec_call, message, patch_call

pytestmark = pytest.mark.agent


async def test_asked_command_approved_runs_in_the_worktree(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("touch made_by_codex.txt")], [message("Created the file.")])
    sink = ScriptedSink(answers=[ALLOW])

    outcome = await runner.run(run_spec(worktree), sink)

    assert outcome.ok, outcome.error
    assert outcome.final_text == "Created the file."
    assert (worktree / "made_by_codex.txt").exists()
    [request] = sink.requests
    assert (request.kind, request.tool, request.command) == ("command", "commandExecution", "touch made_by_codex.txt")
    assert request.cwd == str(worktree)
    assert "tool_ran" in sink.kinds()
    assert sink.kinds()[0] == "started" and sink.kinds()[-1] == "finished"


async def test_patch_is_asked_lands_and_is_reported(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([patch_call(FIX_PATCH)], [message("Fixed add().")])
    sink = ScriptedSink(answers=[ALLOW])

    outcome = await runner.run(run_spec(worktree), sink)

    assert outcome.ok, outcome.error
    assert (worktree / "calc.py").read_text() == FIXED_CALC
    [request] = sink.requests
    assert request.kind == "write" and request.tool == "fileChange"
    assert request.paths == (str(worktree / "calc.py"),)
    [changed] = sink.of_kind("files_changed")
    assert changed.paths == (str(worktree / "calc.py"),)


async def test_denied_command_is_not_run_and_the_agent_is_told_why(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("touch forbidden.txt")], [message("Understood, not doing that.")])
    sink = ScriptedSink(answers=[deny("no new files in this repo")])

    outcome = await runner.run(run_spec(worktree), sink)

    assert outcome.ok, outcome.error
    assert not (worktree / "forbidden.txt").exists()
    assert "no new files in this repo" in model.texts_sent(1)
    assert any(e.kind == "tool_failed" and "touch forbidden.txt" in e.text for e in sink.events)


async def test_every_command_even_read_only_goes_to_the_policy_and_allowed_ones_run(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("ls")], [exec_call("cat calc.py", login=False)], [message("Read it.")])
    sink = ScriptedSink()  # the policy allows at once: no person involved

    outcome = await runner.run(run_spec(worktree), sink)

    assert outcome.ok, outcome.error
    assert [request.command for request in sink.requests] == ["ls", "cat calc.py"]
    assert [e.text for e in sink.of_kind("tool_ran")] == ["ls", "cat calc.py"]
    assert "test_calc.py" in model.texts_sent(1)
    assert "return a - b" in model.texts_sent(2)


async def test_stop_answer_interrupts_the_turn(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    model.script([exec_call("touch stopped.txt")], [message("should never be asked for")])
    sink = ScriptedSink(answers=[STOP])

    outcome = await runner.run(run_spec(worktree), sink)

    assert (outcome.ok, outcome.kind, outcome.interrupted) == (False, "interrupted", True)
    assert outcome.error == "stopped by a person"
    assert not (worktree / "stopped.txt").exists()
    assert len(model.requests) == 1


async def test_full_hotfix_reproduce_patch_verify(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path
) -> None:
    check = "python3 -c 'import calc; print(\"add(2, 3) =\", calc.add(2, 3))'"
    model.script(
        [message("Reproducing first."), exec_call(check)],
        [patch_call(FIX_PATCH)],
        [exec_call(check)],
        [message("Fixed: add() now adds. Verify: run pytest -q test_calc.py")],
    )
    sink = ScriptedSink()

    outcome = await runner.run(run_spec(worktree), sink)

    assert outcome.ok, outcome.error
    assert "add(2, 3) = -1" in model.texts_sent(1)
    assert "add(2, 3) = 5" in model.texts_sent(3)
    assert [request.kind for request in sink.requests] == ["command", "write", "command"]
    assert sink.of_kind("said")[0].text == "Reproducing first."
    assert outcome.final_text.startswith("Fixed: add() now adds.")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=worktree, capture_output=True, text=True)
    assert status.stdout.split("\n")[0] == " M calc.py"


async def test_write_through_a_symlink_shows_the_policy_where_it_lands(
    runner: CodexRunner, model: ScriptedModelServer, worktree: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    (worktree / "settings.py").symlink_to(outside)
    patch = "*** Begin Patch\n*** Update File: settings.py\n@@\n-SECRET = 1\n+SECRET = 2\n*** End Patch\n"
    model.script([patch_call(patch)], [message("Could not edit settings.py.")])
    sink = ScriptedSink(answers=[deny("settings.py points outside the worktree")])

    outcome = await runner.run(run_spec(worktree), sink)

    assert outcome.ok, outcome.error
    [request] = sink.requests
    assert str(outside) in request.paths
    assert outside.read_text() == "SECRET = 1\n"
