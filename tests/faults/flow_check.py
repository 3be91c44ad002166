"""What must hold once a flow ended, however often the bot died on the way: the database, git, the agent
processes, and the cards the chat holds."""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Callable
from typing import Any

from tests.faults.conftest import BUGGY_CALC, FaultWorld, git
from tests.faults.fake_claude import REPRO
from tests.faults.oncall import OnCall

APPROVER = "telegram:222"
# the options the git adapter diffs with, so the branch's diff hashes like the approved one
GIT_DIFF = ("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index", "--find-renames",
            "--src-prefix=a/", "--dst-prefix=b/", "--unified=3", "--inter-hunk-context=0", "--no-relative",
            "--diff-algorithm=myers", "--indent-heuristic", "--ignore-submodules=none")


async def eventually(people: OnCall, check: Callable[[], bool], what: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await people.changed(0.3)


async def assert_flow_complete(world: FaultWorld, people: OnCall, *, description: str) -> None:
    await eventually(people, lambda: _cards_final(people), f"the cards never showed the final state:\n"
                     f"{[m.get('text', '')[:200] for m in people.messages()]}")
    listing = world.bot.cli("list")  # every hotfix with its approvals, read from the database
    assert [(h["id"], h["state"]) for h in listing] == [("HF-1", "shipped")], listing
    shown = listing[0]
    _assert_decisions_kept(shown, people)
    assert shown["requester"] == "telegram:111" and description.split(":")[0] in shown["title"]
    _assert_branch_holds_the_approved_diff(world, shown)
    _assert_one_agent_at_a_time(world)


def _cards_final(people: OnCall) -> bool:
    status, review = people.status(), people.review()
    if status is None or review is None or not people.shows("✅ shipped") or people.buttons(status):
        return False
    if people.buttons(review) or f"Approved by {APPROVER}" not in review.get("text", ""):
        return False
    return all(not people.buttons(a) and f"Approved by {APPROVER}" in a.get("text", "") for a in people.approvals())


def _assert_decisions_kept(shown: dict[str, Any], people: OnCall) -> None:
    """Every approval was decided by the approver (none pending, none lost); one ship decision. A resumed agent
    may ask again for a command whose approval reached the agent that died (the bot cannot know whether it ran),
    so a command may have been approved more than once, each time by a person."""
    approvals = {a["id"]: a for a in shown["approvals"]}
    summary = [(a["kind"], a["state"], a["decided_by"], a["subject"][:40]) for a in approvals.values()]
    assert all(a["state"] == "approved" and a["decided_by"] == APPROVER for a in approvals.values()), summary
    assert [a["kind"] for a in approvals.values()].count("ship") == 1, summary
    assert {a["subject"] for a in approvals.values() if a["kind"] == "command"} == {REPRO}, summary
    for press in people.presses:
        if press.label == "Approve" and people.accepted(press):  # a decision the bot confirmed to a person
            token = press.data.split(":", 1)[1]
            assert approvals[token]["state"] == "approved", (press, summary)


def _assert_branch_holds_the_approved_diff(world: FaultWorld, shown: dict[str, Any]) -> None:
    shop, branch = world.shop, shown["branch"]
    assert git(shop, "rev-list", "--count", f"main..{branch}").strip() == "1"  # one commit: the approved diff
    assert git(shop, "diff", "--name-only", "main", branch).split() == ["calc.py"]
    assert "return a + b" in git(shop, "show", f"{branch}:calc.py")
    diff = subprocess.run(["git", *GIT_DIFF, "main", branch], cwd=shop, check=True, capture_output=True).stdout
    (ship,) = [a for a in shown["approvals"] if a["kind"] == "ship"]
    assert hashlib.sha256(diff).hexdigest() == ship["subject"]
    # the configured checkout was never touched
    assert git(shop, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(shop, "status", "--porcelain") == "" and (shop / "calc.py").read_text() == BUGGY_CALC


def _assert_one_agent_at_a_time(world: FaultWorld) -> None:
    assert world.watch.seen, "no agent process was ever seen in a worktree"
    assert world.watch.most_at_once == 1, world.watch.overlaps[:5]
