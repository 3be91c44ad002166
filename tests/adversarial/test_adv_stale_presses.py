"""Stale, replayed, concurrent and forged presses: nothing changes and the press is answered with the reason."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from bot.domain.agent import PermissionBehavior
from bot.domain.values import ApprovalState, State
from bot.services.commands import ButtonAction, PressButton, Reply
from tests.adversarial.conftest import APPROVER, ESCALATION, FILER, FIX, FIXED, cmd, enter
from tests.adversarial.test_adv_authz_matrix import snapshot
from tests.unit.conftest import CHAT, World


def press(action: ButtonAction, token: str, actor: str = APPROVER, text: str | None = None) -> PressButton:
    return PressButton(actor=actor, conversation=CHAT, action=action, token=token, text=text)


def reason_only(reply: Reply) -> None:
    assert not reply.ok
    assert reply.text.strip() and "\n" not in reply.text.strip()
    assert "went wrong" not in reply.text and "Traceback" not in reply.text


@pytest.mark.parametrize("first", [ButtonAction.APPROVE, ButtonAction.DENY])
@pytest.mark.parametrize("again", [ButtonAction.APPROVE, ButtonAction.DENY, ButtonAction.CONTINUE])
async def test_a_decided_approval_cannot_be_decided_again(world: World, first: ButtonAction,
                                                          again: ButtonAction) -> None:
    await enter(world, "awaiting command")
    token = world.hotfix().approvals[0].id
    assert (await world.send(press(first, token))).ok
    before = snapshot(world)
    reply = await world.send(press(again, token))
    reason_only(reply)
    assert "already" in reply.text and APPROVER in reply.text
    assert snapshot(world) == before
    assert len(world.agent.answers) == 1


async def test_a_shipped_review_cannot_be_shipped_again(world: World) -> None:
    await enter(world, "shipped")
    token = world.hotfix().approvals[-1].id
    before = snapshot(world)
    for action in (ButtonAction.APPROVE, ButtonAction.DENY):
        reason_only(reply := await world.send(press(action, token)))
        assert "already approved" in reply.text.lower()
    reason_only(await world.say("/hotfix approve 1", actor=APPROVER))
    assert snapshot(world) == before and len(world.workspace.commits) == 1


async def test_a_superseded_review_cannot_ship_the_new_diff(world: World) -> None:
    """The diff changed after the card was posted: the old Approve is refused with the reason and a new review
    is posted; pressing the old one again is still refused; only the new card ships, with the new diff."""
    await enter(world, "review")
    h = world.hotfix()
    old = h.approvals[-1].id
    world.workspace.write(h.worktree, FIX, FIXED + "# changed after review\n")
    reply = await world.send(press(ButtonAction.APPROVE, old))
    reason_only(reply)
    assert "changed since it was shown" in reply.text
    assert not world.workspace.commits
    again = await world.send(press(ButtonAction.APPROVE, old))
    reason_only(again)
    assert "cancelled" in again.text.lower()
    assert not world.workspace.commits and world.hotfix().state is State.REVIEW
    new = world.hotfix().approvals[-1]
    assert new.id != old and new.pending
    assert (await world.send(press(ButtonAction.APPROVE, new.id))).ok
    (commit,) = world.workspace.commits
    assert commit.diff_sha256 == new.digest != world.hotfix().approvals[0].digest


async def test_a_review_superseded_by_revise_cannot_ship(world: World) -> None:
    await enter(world, "review")
    old = world.hotfix().approvals[-1].id
    world.agent.scripts = [["hang"]]
    assert (await world.say("/hotfix revise 1 also log the order id", actor=FILER)).ok
    before = snapshot(world)
    reply = await world.send(press(ButtonAction.APPROVE, old))
    reason_only(reply)
    assert snapshot(world) == before and not world.workspace.commits


@pytest.mark.parametrize("state", ["stopped", "discarded", "failed"])
async def test_buttons_of_an_ended_hotfix_change_nothing(world: World, state: str) -> None:
    await enter(world, state)
    h = world.hotfix()
    tokens = [a.id for a in h.approvals] + [h.card_token]
    before = snapshot(world)
    for token in tokens:
        for action in set(ButtonAction) - {ButtonAction.RESET}:  # reset after the end is the cleanup (below)
            reply = await world.send(press(action, token))
            assert "went wrong" not in reply.text
            if action is not ButtonAction.FULL_DIFF:
                reason_only(reply)
    assert snapshot(world) == before


@pytest.mark.parametrize("state", ["triage", "rejected"])
async def test_reset_of_a_hotfix_without_a_worktree_changes_nothing(world: World, state: str) -> None:
    await enter(world, state)
    if state == "triage":  # discarding a held hotfix is allowed; it has nothing on disk
        assert (await world.say("/hotfix reset 1", actor=APPROVER)).ok
        assert world.hotfix().state is State.DISCARDED and not world.workspace.removals
    before = snapshot(world)
    reason_only(await world.say("/hotfix reset 1", actor=APPROVER))
    assert snapshot(world) == before


async def test_approving_while_stopping_concurrently(world: World) -> None:
    await enter(world, "awaiting command")
    token = world.hotfix().approvals[0].id
    replies = await asyncio.gather(world.core.bus.handle(press(ButtonAction.APPROVE, token)),
                                   world.core.bus.handle(press(ButtonAction.STOP, token, actor=ESCALATION)))
    await world.settle()
    assert world.hotfix().state is State.STOPPED
    assert len(world.agent.answers) <= 1 and not [t for t in world.core.runs.tasks.values() if not t.done()]
    assert world.hotfix().approvals[0].state in (ApprovalState.APPROVED, ApprovalState.CANCELLED)
    assert all(r.ok for r in replies) or any("stopped" in r.text for r in replies)


async def test_two_concurrent_ship_presses_commit_once(world: World) -> None:
    await enter(world, "review")
    token = world.hotfix().approvals[-1].id
    replies = await asyncio.gather(*(world.core.bus.handle(press(ButtonAction.APPROVE, token)) for _ in range(5)))
    await world.settle()
    assert sum(r.ok for r in replies) == 1
    for r in replies:
        if not r.ok:
            reason_only(r)
    assert len(world.workspace.commits) == 1 and world.hotfix().state is State.SHIPPED


async def test_concurrent_approve_and_deny_from_two_people(world: World) -> None:
    await enter(world, "awaiting escalation")
    token = world.hotfix().approvals[0].id
    second = "telegram:334"
    replies = await asyncio.gather(world.core.bus.handle(press(ButtonAction.DENY, token, actor=ESCALATION)),
                                   world.core.bus.handle(press(ButtonAction.APPROVE, token, actor=second)))
    await world.settle()
    assert sorted(r.ok for r in replies) == [False, True]
    approval = world.hotfix().approvals[0]
    assert approval.state in (ApprovalState.APPROVED, ApprovalState.DENIED)
    assert len(world.agent.answers) == 1


FORGED = ["", " ", "x", "HF-1", "1", "../1", "ap:1", "\x00", "' OR 1=1 --", "%s%n", "{0}", "A" * 10_000,
          "é" * 64, "\u202e1", "null", "None"]


@pytest.mark.parametrize("token", FORGED)
async def test_forged_tokens_change_nothing(world: World, token: str) -> None:
    await enter(world, "review")
    before = snapshot(world)
    for action in ButtonAction:
        reply = await world.send(press(action, token))
        reason_only(reply)
        assert "no longer valid" in reply.text
    assert snapshot(world) == before


async def test_a_random_token_of_the_right_shape_is_refused(world: World) -> None:
    await enter(world, "awaiting command")
    real = world.hotfix().approvals[0].id
    for _ in range(50):
        guess = secrets.token_urlsafe(9)
        assert guess != real
        reason_only(await world.send(press(ButtonAction.APPROVE, guess)))
    assert world.hotfix().approvals[0].pending


async def test_a_token_of_one_hotfix_never_acts_on_another(world: World) -> None:
    """Two hotfixes, one approval each: pressing HF-1's token decides HF-1's approval only."""
    await enter(world, "awaiting command")
    world.agent.scripts = [[]]
    first = world.hotfix(1).approvals[0].id
    await world.say("/hotfix login fails with a 500 for everyone", actor=FILER)  # queued behind HF-1
    second_card = world.hotfix(2).card_token
    reason_only(await world.send(press(ButtonAction.APPROVE, second_card)))
    assert world.hotfix(1).approvals[0].pending and world.hotfix(2).state is State.QUEUED
    assert (await world.send(press(ButtonAction.APPROVE, first))).ok
    assert world.agent.answers[0] == ("make build", PermissionBehavior.ALLOW)


async def test_an_approval_token_is_not_a_card_token(world: World) -> None:
    await enter(world, "review")
    approval = world.hotfix().approvals[-1].id
    before = snapshot(world)
    for action in (ButtonAction.REVISE, ButtonAction.RESET, ButtonAction.PATCH, ButtonAction.CLOSE,
                   ButtonAction.RESUME, ButtonAction.FULL_DIFF):
        reason_only(await world.send(press(action, approval, text="x")))
    assert snapshot(world) == before


async def test_close_and_patch_only_on_a_report_review(world: World) -> None:
    """Diagnose/plan reviews offer Patch and Close; a patch review offers neither, whatever is pressed."""
    world.agent.scripts = [[]]
    await world.say("/hotfix mode:diagnose checkout returns 500 for all users", actor=FILER)
    h = world.hotfix()
    assert h.state is State.REVIEW
    labels = [b.label for b in world.notifier.latest("review:1").buttons]
    assert labels == ["Patch", "Close"]
    reason_only(await world.send(press(ButtonAction.CLOSE, h.card_token, actor="telegram:110")))
    assert (await world.send(press(ButtonAction.CLOSE, h.card_token))).ok
    assert world.hotfix().state is State.DISCARDED
    reason_only(await world.send(press(ButtonAction.PATCH, h.card_token)))


async def test_a_long_command_is_shown_whole_before_anyone_approves_it(world: World) -> None:
    """A compromised agent pads a command so the risky part sits far to the right: the approver sees all of it."""
    line = "make build " + " ".join(f"--flag-{i}" for i in range(100)) + " ; make publish-artifacts"
    assert len(line) > 1000
    world.agent.scripts = [[cmd(line)]]
    await world.say("/hotfix checkout returns 500 for all users", actor=FILER)
    card = world.notifier.latest("approval:")
    assert card.code is not None and card.code.endswith("make publish-artifacts")
    assert world.hotfix().approvals[0].subject.endswith("make publish-artifacts")

