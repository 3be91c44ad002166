"""SIGKILL exactly inside a git step, where random kill points rarely land: a ``git`` wrapper on the bot's PATH
pauses once (when armed) right after ``git worktree add`` created the hotfix's worktree and branch, right
before ``git commit-tree`` of the approved diff, or right after ``git update-ref`` moved the branch to it; the
test kills the bot in that pause. The outcome must still be the approved diff committed once and shipped."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.faults.conftest import FaultWorld
from tests.faults.flow_check import assert_flow_complete
from tests.faults.oncall import OnCall

pytestmark = pytest.mark.agent

DESCRIPTION = "the checkout total is wrong: add() subtracts"
GIT_WRAPPER = """#!/bin/sh
# the real git; when {arm} exists and {mark} does not, pause once (the pid goes to {mark})
pause() {{ if [ -e "{arm}" ] && [ ! -e "{mark}" ]; then echo $$ > "{mark}"; exec sleep 60; fi; }}
case " $* " in *" {before} "*) pause ;; esac
"{git}" "$@"
status=$?
case " $* " in *" {after} "*) [ $status -eq 0 ] && pause ;; esac
exit $status
"""
# window -> (the git subcommand to pause before, the one to pause after)
WINDOWS = {"worktree created": ("-", "worktree add"), "before commit": ("commit-tree", "-"),
           "after commit": ("-", "update-ref")}


def install_git_wrapper(world: FaultWorld, window: str) -> tuple[Path, Path]:
    real = shutil.which("git")
    assert real is not None
    folder = world.state.parent / "git-wrapper"
    folder.mkdir()
    arm, mark = folder / "armed", folder / "paused"
    before, after = WINDOWS[window]
    wrapper = folder / "git"
    wrapper.write_text(GIT_WRAPPER.format(arm=arm, mark=mark, before=before, after=after, git=real))
    wrapper.chmod(0o755)
    world.bot.env["PATH"] = f"{folder}:{world.bot.env['PATH']}"
    return arm, mark


async def kill_in_the_pause(world: FaultWorld, mark: Path, window: str) -> None:
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert time.monotonic() < deadline, f"the bot never reached the git step ({window})"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # the pid is written
    world.bot.kill(window)
    os.kill(int(mark.read_text()), signal.SIGKILL)  # the paused git the dead bot was waiting for
    await world.bot.start()


@pytest.mark.parametrize("window", list(WINDOWS))
async def test_a_kill_inside_a_git_step_still_ships_the_approved_diff_once(world: FaultWorld, window: str) -> None:
    arm, mark = install_git_wrapper(world, window)
    people = OnCall(world.api)
    await world.bot.start()
    if window == "worktree created":
        arm.touch()
    await people.file(DESCRIPTION)
    if window != "worktree created":
        await people.carry_on(lambda: "Approve" in people.buttons(people.review() or {}))
        arm.touch()
        await people.carry_on(lambda: mark.exists() or any(p.card == "review" for p in people.presses))
    await kill_in_the_pause(world, mark, window)
    await people.carry_on(lambda: people.shows("✅ shipped"))
    await assert_flow_complete(world, people, description=DESCRIPTION)
