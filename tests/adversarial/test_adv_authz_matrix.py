"""The authorization matrix on the core (fakes, no I/O): every action × every role in the state where the action
applies. Exactly the cells CONTRACT §2 allows succeed; every other cell changes nothing and is audit-logged (on
the hotfix's audit trail when there is a hotfix, on the ``hotfix.audit`` logger otherwise). Bot accounts never
count, whoever they claim to be. The expected cells are written out here, not derived from bot.domain.people."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.domain.agent import PermissionBehavior
from bot.domain.values import ApprovalKind, State
from bot.services.commands import ButtonAction, PressButton, Reply
from bot.services.grammar import parse
from tests.adversarial.conftest import (
    APPROVER,
    ESCALATION,
    ESCALATION_2,
    FILER,
    ROLES,
    TRIAGE_OWNER,
    cmd,
    edit,
    enter,
    writes,
)
from tests.unit.conftest import CHAT, World

Perform = Callable[[World, int, str, bool], Awaitable[Reply]]


async def typed(w: World, text: str, actor: str, bot: bool) -> Reply:
    return await w.send(parse(text, actor=actor, conversation=CHAT, actor_is_bot=bot))


async def pressed(w: World, action: ButtonAction, token: str, actor: str, bot: bool, text: str | None = None
                  ) -> Reply:
    return await w.send(PressButton(actor=actor, conversation=CHAT, action=action, token=token, text=text,
                                    actor_is_bot=bot))


def pending_token(w: World, number: int) -> str:
    approval = w.hotfix(number).current_approval()
    assert approval is not None
    return approval.id


def card_token(w: World, number: int) -> str:
    return w.hotfix(number).card_token


def say(template: str) -> Perform:
    async def perform(w: World, n: int, actor: str, bot: bool) -> Reply:
        return await typed(w, template.format(n=n), actor, bot)

    return perform


def press_approval(action: ButtonAction) -> Perform:
    async def perform(w: World, n: int, actor: str, bot: bool) -> Reply:
        return await pressed(w, action, pending_token(w, n), actor, bot)

    return perform


def press_card(action: ButtonAction, text: str | None = None) -> Perform:
    async def perform(w: World, n: int, actor: str, bot: bool) -> Reply:
        return await pressed(w, action, card_token(w, n), actor, bot, text)

    return perform


async def frozen_then_unfreeze(w: World, n: int, actor: str, bot: bool) -> Reply:
    return await typed(w, "/hotfix unfreeze", actor, bot)


EVERYONE = frozenset(ROLES) - {"unknown"}
FILERS = frozenset({"requester", "approver", "escalation", "this requester"})
APPROVERS = frozenset({"approver"})
ESCALATORS = frozenset({"escalation"})
STOPPERS = frozenset({"this requester", "approver", "escalation", "triage owner"})
REVISERS = frozenset({"this requester", "approver"})
TRIAGERS = frozenset({"triage owner", "escalation"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    state: str | None  # None: no hotfix needed
    allowed: frozenset[str]
    perform: Perform
    reads: bool = False  # a read changes nothing even when allowed
    frozen: bool = False  # freeze the queue first (for unfreeze)


ACTIONS: dict[str, Cell] = {
    "file": Cell(state=None, allowed=FILERS, perform=say("/hotfix checkout returns 500 for every user")),
    "approve command (typed)": Cell(state="awaiting command", allowed=APPROVERS, perform=say("/hotfix approve {n}")),
    "approve command (button)": Cell(state="awaiting command", allowed=APPROVERS,
                                     perform=press_approval(ButtonAction.APPROVE)),
    "deny command (typed)": Cell(state="awaiting command", allowed=APPROVERS, perform=say("/hotfix deny {n} no")),
    "deny command (button)": Cell(state="awaiting command", allowed=APPROVERS,
                                  perform=press_approval(ButtonAction.DENY)),
    "approve escalation (typed)": Cell(state="awaiting escalation", allowed=ESCALATORS,
                                       perform=say("/hotfix approve {n}")),
    "approve escalation (button)": Cell(state="awaiting escalation", allowed=ESCALATORS,
                                        perform=press_approval(ButtonAction.APPROVE)),
    "deny escalation (button)": Cell(state="awaiting escalation", allowed=ESCALATORS,
                                     perform=press_approval(ButtonAction.DENY)),
    "continue scope (button)": Cell(state="awaiting scope", allowed=APPROVERS,
                                    perform=press_approval(ButtonAction.CONTINUE)),
    "ship (typed)": Cell(state="review", allowed=APPROVERS, perform=say("/hotfix approve {n}")),
    "ship (button)": Cell(state="review", allowed=APPROVERS, perform=press_approval(ButtonAction.APPROVE)),
    "refuse ship (button)": Cell(state="review", allowed=APPROVERS, perform=press_approval(ButtonAction.DENY)),
    "stop running (typed)": Cell(state="running", allowed=STOPPERS, perform=say("/hotfix stop {n}")),
    "stop running (button)": Cell(state="running", allowed=STOPPERS, perform=press_card(ButtonAction.STOP)),
    "stop queued (typed)": Cell(state="queued", allowed=STOPPERS, perform=say("/hotfix stop {n}")),
    "stop waiting (approval button)": Cell(state="awaiting command", allowed=STOPPERS,
                                           perform=press_approval(ButtonAction.STOP)),
    "revise (typed)": Cell(state="review", allowed=REVISERS, perform=say("/hotfix revise {n} log the order id")),
    "revise (button)": Cell(state="review", allowed=REVISERS,
                            perform=press_card(ButtonAction.REVISE, "log the order id")),
    "reset (typed)": Cell(state="review", allowed=REVISERS, perform=say("/hotfix reset {n}")),
    "reset (button)": Cell(state="review", allowed=REVISERS, perform=press_card(ButtonAction.RESET)),
    "accept": Cell(state="triage", allowed=TRIAGERS, perform=say("/hotfix accept {n}")),
    "reject": Cell(state="triage", allowed=TRIAGERS, perform=say("/hotfix reject {n} not urgent")),
    "freeze": Cell(state=None, allowed=TRIAGERS, perform=say("/hotfix freeze deploy in progress")),
    "unfreeze": Cell(state=None, allowed=TRIAGERS, perform=frozen_then_unfreeze, frozen=True),
    "diff (typed)": Cell(state="review", allowed=EVERYONE, perform=say("/hotfix diff {n}"), reads=True),
    "full diff (button)": Cell(state="review", allowed=EVERYONE, perform=press_card(ButtonAction.FULL_DIFF),
                               reads=True),
    "log": Cell(state="review", allowed=EVERYONE, perform=say("/hotfix log {n}"), reads=True),
    "status": Cell(state="review", allowed=EVERYONE, perform=say("/hotfix status {n}"), reads=True),
    "queue": Cell(state="review", allowed=EVERYONE, perform=say("/hotfix queue"), reads=True),
}


def snapshot(w: World) -> tuple[object, ...]:
    """Everything a refused press must leave alone (refusal notes on audit trails excepted)."""
    with w.uow() as uow:
        hotfixes = tuple(
            (h.number, h.state, h.mode, h.next_prompt, h.triage_reason,
             tuple((a.id, a.state, a.decided_by) for a in h.approvals),
             tuple(e for e in h.audit if e.kind != "refused"))
            for h in uow.hotfixes.list())
        freezes = tuple(sorted(uow.freezes.all()))
    ws = w.workspace
    return (hotfixes, freezes, len(ws.commits), len(ws.removals), len(ws.pushes), tuple(w.agent.answers),
            w.agent.cancelled, len(w.agent.specs), len(w.notifier.uploads))


def refusals(w: World, number: int | None) -> list[str]:
    if number is None:
        return []
    return [e.actor for e in w.hotfix(number).audit if e.kind == "refused"]


async def prepare(w: World, cell: Cell) -> int | None:
    if cell.frozen:
        assert (await typed(w, "/hotfix freeze deploy in progress", TRIAGE_OWNER, False)).ok
    return await enter(w, cell.state) if cell.state else None


MATRIX = [(a, r) for a in ACTIONS for r in ROLES]


@pytest.mark.parametrize(("action", "role"), MATRIX, ids=[f"{a}|{r}" for a, r in MATRIX])
async def test_authorization_matrix(world: World, action: str, role: str, caplog: pytest.LogCaptureFixture
                                    ) -> None:
    cell = ACTIONS[action]
    number = await prepare(world, cell)
    actor = ROLES[role]
    before, refused_before = snapshot(world), refusals(world, number)
    with caplog.at_level(logging.INFO, logger="hotfix.audit"):
        reply = await cell.perform(world, number or 0, actor, False)
    after = snapshot(world)
    if role in cell.allowed:
        assert reply.ok, (action, role, reply.text)
        assert "Not allowed" not in reply.text
        if not cell.reads:
            assert after != before, f"{action} by {role} was answered ok but changed nothing"
        return
    assert not reply.ok and reply.text.startswith("Not allowed"), (action, role, reply.text)
    assert after == before, f"a refused {action} by {role} changed something"
    assert "Traceback" not in reply.text and "\n" not in reply.text
    if number is not None and action != "queue":
        assert refusals(world, number) == [*refused_before, actor]
    assert any(actor in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)


BOT_CELLS = [a for a in ACTIONS if ACTIONS[a].allowed]


@pytest.mark.parametrize("action", BOT_CELLS)
async def test_bot_accounts_never_count(world: World, action: str) -> None:
    """Every action, by an account the platform flags as a bot, with the id of someone allowed: refused."""
    cell = ACTIONS[action]
    number = await prepare(world, cell)
    actor = ROLES[sorted(cell.allowed)[0]]
    before = snapshot(world)
    reply = await cell.perform(world, number or 0, actor, True)
    assert not reply.ok and "bot accounts never count" in reply.text, (action, reply.text)
    assert snapshot(world) == before


async def test_escalation_member_never_approves_their_own_request(world: World) -> None:
    """An escalation member who filed the hotfix may not approve its escalation (typed or pressed, nor deny it
    on the others' behalf); another escalation member may."""
    world.agent.scripts = [[cmd("npm install left-pad")]]
    await typed(world, "/hotfix checkout crashes with a TypeError for every user", ESCALATION, False)
    h = world.hotfix()
    (approval,) = h.approvals
    assert approval.kind is ApprovalKind.ESCALATION
    before = snapshot(world)
    for perform in (say("/hotfix approve {n}"), press_approval(ButtonAction.APPROVE),
                    press_approval(ButtonAction.DENY), say("/hotfix deny {n}")):
        reply = await perform(world, 1, ESCALATION, False)
        assert not reply.ok and "other than the requester" in reply.text
    assert snapshot(world) == before
    assert refusals(world, 1) == [ESCALATION] * 4
    assert (await press_approval(ButtonAction.APPROVE)(world, 1, ESCALATION_2, False)).ok
    assert world.agent.answers == [("npm install left-pad", PermissionBehavior.ALLOW)]


async def test_shared_state_ship_needs_an_escalation_member_other_than_the_requester(world: World) -> None:
    world.agent.on_allow = writes(world, {"package.json": '{"x": 1}\n'})
    world.agent.scripts = [[edit("package.json")]]
    await typed(world, "/hotfix checkout crashes with a 500 for all users", ESCALATION, False)
    assert (await press_approval(ButtonAction.APPROVE)(world, 1, ESCALATION_2, False)).ok  # the write itself
    h = world.hotfix()
    assert h.state is State.REVIEW and h.current_approval() is not None
    assert h.current_approval().kind is ApprovalKind.ESCALATION
    for actor in (APPROVER, ESCALATION, FILER, TRIAGE_OWNER):
        reply = await press_approval(ButtonAction.APPROVE)(world, 1, actor, False)
        assert not reply.ok and reply.text.startswith("Not allowed"), actor
    assert world.hotfix().state is State.REVIEW and not world.workspace.commits
    assert (await press_approval(ButtonAction.APPROVE)(world, 1, ESCALATION_2, False)).ok
    assert world.hotfix().state is State.SHIPPED



# ----- the state dimension: an allowed person, every state. Outside the states where the action applies the
# press or command changes nothing and is answered with a one-line reason (never "something went wrong").
ALL_STATES = ("triage", "queued", "running", "awaiting command", "awaiting escalation", "awaiting scope", "review",
              "shipped", "stopped", "discarded", "rejected", "failed")
OPEN_AFTER_START = frozenset({"queued", "running", "awaiting command", "awaiting escalation", "awaiting scope",
                              "review"})
BY_STATE: dict[str, tuple[str, Perform, frozenset[str]]] = {
    "approve (typed)": (APPROVER, say("/hotfix approve {n}"),
                        frozenset({"awaiting command", "awaiting scope", "review"})),
    "deny (typed)": (APPROVER, say("/hotfix deny {n} no"), frozenset({"awaiting command", "awaiting scope", "review"})),
    "approve escalation (typed)": (ESCALATION, say("/hotfix approve {n}"), frozenset({"awaiting escalation"})),
    "stop (typed)": (APPROVER, say("/hotfix stop {n}"), OPEN_AFTER_START),
    "stop (card button)": (APPROVER, press_card(ButtonAction.STOP), OPEN_AFTER_START),
    "revise (typed)": (APPROVER, say("/hotfix revise {n} log the order id"), frozenset({"review"})),
    "revise (button)": (APPROVER, press_card(ButtonAction.REVISE, "log the order id"), frozenset({"review"})),
    "reset (typed)": (APPROVER, say("/hotfix reset {n}"),
                      OPEN_AFTER_START | {"triage", "stopped", "failed", "discarded"}),
    "accept": (TRIAGE_OWNER, say("/hotfix accept {n}"), frozenset({"triage"})),
    "reject": (TRIAGE_OWNER, say("/hotfix reject {n} not urgent"), frozenset({"triage"})),
    "patch (button)": (APPROVER, press_card(ButtonAction.PATCH), frozenset()),
    "close (button)": (APPROVER, press_card(ButtonAction.CLOSE), frozenset()),
    "resume (button)": (APPROVER, press_card(ButtonAction.RESUME), frozenset()),
    "continue on a card token": (APPROVER, press_card(ButtonAction.CONTINUE), frozenset()),
    "approve on a card token": (APPROVER, press_card(ButtonAction.APPROVE), frozenset()),
}
STATE_MATRIX = [(a, s) for a in BY_STATE for s in ALL_STATES]


@pytest.mark.parametrize(("action", "state"), STATE_MATRIX, ids=[f"{a}|{s}" for a, s in STATE_MATRIX])
async def test_actions_outside_their_states_change_nothing(world: World, action: str, state: str) -> None:
    actor, perform, valid = BY_STATE[action]
    number = await enter(world, state)
    before = snapshot(world)
    reply = await perform(world, number, actor, False)
    assert "went wrong" not in reply.text and "Traceback" not in reply.text, (action, state, reply.text)
    if state in valid:
        assert reply.ok, (action, state, reply.text)
        assert snapshot(world) != before
        return
    assert not reply.ok, (action, state, reply.text)
    assert reply.text.strip(), (action, state)
    assert snapshot(world) == before, (action, state, reply.text)
