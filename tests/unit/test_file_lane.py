"""The file lane: a task file on the base branch becomes a hotfix, and its outcome ships with the fix."""

from __future__ import annotations

from bot.domain.values import State
from bot.services.commands import ScanFileLane
from bot.services.filelane import parse_task_file
from tests.unit.conftest import BASE_FILES, CHAT, REPO_PATH, World

TASK = "tasks/hotfix/HOTFIX-webhook-500.md"
TEXT = "# Checkout webhook returns 500 on an empty payload\n\nUsers get a 500 error when the body is empty.\n"


def test_parse_task_file() -> None:
    assert parse_task_file(TEXT, fallback="x") == ("Checkout webhook returns 500 on an empty payload",
                                                   "Users get a 500 error when the body is empty.")
    assert parse_task_file("no heading here\nmore", fallback="x")[0] == "no heading here"
    assert parse_task_file("", fallback="HOTFIX-a.md") == ("HOTFIX-a.md", "HOTFIX-a.md")


async def test_a_task_file_is_filed_once_and_its_outcome_ships(world: World) -> None:
    world.workspace.set_base(REPO_PATH, {**BASE_FILES, TASK: TEXT})
    world.agent.on_allow = None
    world.agent.scripts = [[]]
    reply = await world.send(ScanFileLane(actor="bot", conversation=CHAT))
    assert reply.text.startswith("1 filed")
    h = world.hotfix()
    assert h.title == "Checkout webhook returns 500 on an empty payload"
    assert h.requester == "telegram:444" and h.lane == "file" and h.lane_path == TASK
    assert any("New hotfix from tasks/hotfix/HOTFIX-webhook-500.md" in t for _c, t in world.notifier.replies)
    assert h.state is State.REVIEW
    notes = world.workspace.read(h.worktree, TASK)  # type: ignore[arg-type]
    assert notes is not None and b"## Outcome (HF-1)" in notes and b"Manual verification" in notes
    assert h.diff is not None and TASK in h.diff.paths  # the notes are part of the reviewed diff
    again = await world.send(ScanFileLane(actor="bot", conversation=CHAT))
    assert again.text.startswith("0 filed")
