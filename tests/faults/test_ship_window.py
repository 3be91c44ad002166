"""SIGKILL exactly while the approved diff is being landed: a ``git`` wrapper on the bot's PATH pauses (once,
when armed) just before ``git commit-tree`` or just after ``git update-ref`` moved the branch, and the test kills
the bot in that pause. Random kill points rarely hit these few milliseconds; the outcome must still be the
approved diff committed once and the hotfix shipped."""

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
# the real git; when {arm} exists and {mark} does not, pause once around the commit of the approved diff
pause() {{ if [ -e "{arm}" ] && [ ! -e "{mark}" ]; then echo $$ > "{mark}"; exec sleep 60; fi; }}
case " $* " in *" commit-tree "*) [ "{window}" = before-commit ] && pause ;; esac
"{git}" "$@"
status=$?
case " $* " in *" update-ref "*) [ "{window}" = after-commit ] && [ $status -eq 0 ] && pause ;; esac
exit $status
"""


def install_git_wrapper(world: FaultWorld, window: str) -> tuple[Path, Path]:
    real = shutil.which("git")
    assert real is not None
    folder = world.state.parent / "git-wrapper"
    folder.mkdir()
    arm, mark = folder / "armed", folder / "paused"
    wrapper = folder / "git"
    wrapper.write_text(GIT_WRAPPER.format(arm=arm, mark=mark, window=window, git=real))
    wrapper.chmod(0o755)
    world.bot.env["PATH"] = f"{folder}:{world.bot.env['PATH']}"
    return arm, mark


@pytest.mark.parametrize("window", [
    "before-commit",
    pytest.param("after-commit", marks=pytest.mark.xfail(strict=True, reason=(
        "known gap: the branch moved but the bot died before recording it; landing again at start adds a second, "
        "empty commit (the Workspace port cannot tell that the approved tree is already committed)"))),
])
async def test_a_kill_while_landing_the_approved_diff_ships_it_once(world: FaultWorld, window: str) -> None:
    arm, mark = install_git_wrapper(world, window)
    people = OnCall(world.api)
    await world.bot.start()
    await people.file(DESCRIPTION)
    await people.carry_on(lambda: people.review() is not None and "Approve" in people.buttons(people.review() or {}))
    arm.touch()
    await people.carry_on(lambda: mark.exists() or any(p.card == "review" for p in people.presses))
    deadline = time.monotonic() + 30
    while not mark.exists():
        assert time.monotonic() < deadline, "the bot never reached the commit of the approved diff"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # the pid is written
    world.bot.kill(window)
    os.kill(int(mark.read_text()), signal.SIGKILL)  # the paused git the dead bot was waiting for
    await world.bot.start()
    await people.carry_on(lambda: people.shows("✅ shipped"))
    await assert_flow_complete(world, people, description=DESCRIPTION)
