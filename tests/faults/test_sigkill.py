"""SIGKILL the real bot at seeded random points of a full flow (file → approval requested → approved → review →
ship), restart it on the same state directory, and let the people carry on with the buttons they see.

Asserted after every run: nothing filed or decided is lost (``hotfix-bot show --json`` / ``list --json``), the
flow completes with exactly the approved diff committed on the hotfix branch, never two agent processes alive
for one worktree at once, and the cards the chat holds show the final state.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.faults.conftest import FaultWorld, WorldFactory
from tests.faults.flow_check import assert_flow_complete
from tests.faults.oncall import OnCall

pytestmark = [pytest.mark.agent, pytest.mark.timeout(300)]  # flows side by side on a loaded machine

DESCRIPTION = "the checkout total is wrong: add() subtracts"
SEED_BATCHES = ((0, 1, 2, 3, 4), (5, 6, 7, 8))  # 16 seeded kills, every stage at least once


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    reached: Callable[[OnCall], bool]


def _pressed(card: str, *, answered: bool) -> Callable[[OnCall], bool]:
    def check(people: OnCall) -> bool:
        return any(p.card == card and (not answered or people.answer(p) is not None) for p in people.presses)

    return check


STAGES = (
    Stage("filed", lambda p: p.status() is not None),
    Stage("approval requested", lambda p: bool(p.approvals())),
    Stage("approve pressed", _pressed("approval", answered=False)),
    Stage("approve answered", _pressed("approval", answered=True)),
    Stage("agent edited", lambda p: "edited calc.py" in p.status_text()),
    Stage("verifying", lambda p: p.shows("🧪 verifying")),
    Stage("review posted", lambda p: p.review() is not None),
    Stage("ship pressed", _pressed("review", answered=False)),
    Stage("ship answered", _pressed("review", answered=True)),
)


def reached(people: OnCall, index: int) -> bool:
    """Stage ``index`` or a later one was seen (a fast flow may skip past a stage between two looks)."""
    return any(stage.reached(people) for stage in STAGES[index:])


async def kill_at(world: FaultWorld, people: OnCall, plan: list[tuple[int, float]]) -> None:
    for index, delay in plan:
        deadline = time.monotonic() + 90
        while not reached(people, index):
            assert time.monotonic() < deadline, f"stage {STAGES[index].name!r} never came"
            await people.changed(0.2)
        await asyncio.sleep(delay)
        world.bot.kill(STAGES[index].name)
        await world.bot.start()


def kill_plan(seed: int) -> list[tuple[int, float]]:
    """Seed 0: none (the baseline). Otherwise two kills: the first at stage ``seed - 1`` (so the seeds start
    one kill at every stage), the second at a random stage at or after it (the same stage again = killed
    while recovering), each after a random 0-400 ms."""
    if seed == 0:
        return []  # the baseline: the same flow, no kill
    rng = random.Random(f"faults-{seed}")
    first = (seed - 1) % len(STAGES)
    stages = (first, rng.randrange(first, len(STAGES)))
    return [(index, round(rng.uniform(0.0, 0.4), 3)) for index in stages]


async def flow_with_kills(world: FaultWorld, seed: int) -> None:
    plan = kill_plan(seed)
    people = OnCall(world.api)
    await world.bot.start()
    await people.file(DESCRIPTION)
    killer = asyncio.create_task(kill_at(world, people, plan))

    def finished() -> bool:
        if not killer.done():
            return False
        return killer.cancelled() or killer.exception() is not None or people.shows("✅ shipped")

    try:
        await people.carry_on(finished)
    finally:
        if not killer.done():
            killer.cancel()
    await killer
    assert world.bot.kills == [STAGES[i].name for i, _ in plan]
    await assert_flow_complete(world, people, description=DESCRIPTION)


@pytest.mark.parametrize("seeds", SEED_BATCHES, ids=lambda seeds: "seeds-" + "-".join(map(str, seeds)))
async def test_sigkill_at_seeded_points_loses_nothing(make_world: WorldFactory, seeds: tuple[int, ...]) -> None:
    """Each seed is one independent flow with its own bot; a batch runs side by side."""
    worlds = [await make_world(f"seed-{seed}") for seed in seeds]
    outcomes = await asyncio.gather(*(flow_with_kills(w, seed) for w, seed in zip(worlds, seeds, strict=True)),
                                    return_exceptions=True)
    failures = [f"seed {seed} (kills at {kill_plan(seed)}): {type(outcome).__name__}: {outcome}"
                for seed, outcome in zip(seeds, outcomes, strict=True) if isinstance(outcome, BaseException)]
    assert not failures, "\n\n".join(failures)
