"""The core booted with in-memory fakes, with one distinct person per role (the authorization matrix needs them
apart), and the scripts that bring a hotfix into each state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.bootstrap import build_core
from bot.domain.agent import AgentEvent, AgentRunSpec
from bot.domain.config import BotConfig, RepoConfig
from bot.domain.people import People
from bot.domain.tool import ToolRequest
from bot.domain.values import AgentKind, State
from bot.services.commands import FireDeadline
from tests.fakes.agent import FakeAgentRunner
from tests.fakes.clock import FakeClock
from tests.fakes.notifier import FakeNotifier
from tests.fakes.scheduler import FakeScheduler
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.verifier import FakeVerifier
from tests.fakes.workspace import FakeWorkspace
from tests.unit.conftest import BASE_FILES, CHAT, REPO_PATH, World

# One person per role. FILER is "the requester of this very hotfix"; REQUESTER is another requester.
UNKNOWN = "telegram:999"
FILER = "telegram:111"
REQUESTER = "telegram:110"
APPROVER = "telegram:222"
ESCALATION = "telegram:333"
ESCALATION_2 = "telegram:334"
TRIAGE_OWNER = "telegram:444"
ROLES = {"unknown": UNKNOWN, "requester": REQUESTER, "approver": APPROVER, "escalation": ESCALATION,
         "triage owner": TRIAGE_OWNER, "this requester": FILER}

PEOPLE = People(
    requesters=frozenset({FILER, REQUESTER}),
    approvers=frozenset({APPROVER}),
    escalation=frozenset({ESCALATION, ESCALATION_2}),
    triage_owner=TRIAGE_OWNER,
)
FIX = "shop/webhook.py"
FIXED = "def handle(body):\n    if not body:\n        return 400\n    return 200\n"
URGENT = "/hotfix checkout returns 500 for all users"


def cmd(line: str) -> ToolRequest:
    return ToolRequest(kind="command", tool="Bash", command=line, raw={"command": line})


def edit(path: str) -> ToolRequest:
    return ToolRequest(kind="write", tool="Edit", paths=(path,), raw={"file_path": path})


def writes(world: World, files: dict[str, str]) -> Callable[[ToolRequest, AgentRunSpec], None]:
    def apply(req: ToolRequest, spec: AgentRunSpec) -> None:
        for path in req.paths:
            if path in files:
                world.workspace.write(spec.worktree, path, files[path])

    return apply


def boot_world(notifier: FakeNotifier | None = None, *, people: People = PEOPLE, channel: str = str(CHAT)) -> World:
    notifier = notifier or FakeNotifier()
    clock, uow, scheduler = FakeClock(), FakeUnitOfWorkFactory(), FakeScheduler()
    agent, verifier = FakeAgentRunner(), FakeVerifier()
    workspace = FakeWorkspace({REPO_PATH: BASE_FILES})
    config = BotConfig(repos=(RepoConfig(name="shop", path=REPO_PATH, channels=(channel,)),), people=people,
                       state_dir="/state")
    core = build_core(config=config, uow=uow, clock=clock, workspace=workspace, verifier=verifier,
                      runners={AgentKind.CLAUDE: agent}, scheduler=scheduler)
    scheduler.fire = lambda key: core.bus.handle(FireDeadline(actor="bot", conversation=CHAT, key=key))
    core.router.register("telegram", notifier)
    return World(core=core, notifier=notifier, agent=agent, workspace=workspace, verifier=verifier, clock=clock,
                 uow=uow, scheduler=scheduler)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = boot_world()
    await w.core.start()
    yield w
    await w.core.stop()


# ----- bringing hotfix HF-1 (or HF-2 for "queued") into a state; each returns the hotfix number
Setup = Callable[[World], Awaitable[int]]


async def _review(w: World) -> int:
    w.agent.on_allow = writes(w, {FIX: FIXED})
    w.agent.scripts = [[edit(FIX), AgentEvent(kind="files_changed", paths=(FIX,))]]
    await w.say(URGENT, actor=FILER)
    return 1


async def _triage(w: World) -> int:
    await w.say("/hotfix add support for apple pay in checkout", actor=FILER)
    return 1


async def _queued(w: World) -> int:
    w.agent.scripts = [["hang"], []]
    await w.say(URGENT, actor=REQUESTER)
    await w.say("/hotfix login fails with a 500 for everyone", actor=FILER)
    return 2


async def _running(w: World) -> int:
    w.agent.scripts = [["hang"]]
    await w.say(URGENT, actor=FILER)
    return 1


async def _command_approval(w: World) -> int:
    w.agent.scripts = [[cmd("make build")]]
    await w.say(URGENT, actor=FILER)
    return 1


async def _escalation_approval(w: World) -> int:
    w.agent.scripts = [[cmd("npm install left-pad")]]
    await w.say(URGENT, actor=FILER)
    return 1


async def _scope_approval(w: World) -> int:
    files = {f"shop/f{i}.py": "x = 1\n" for i in range(4)}
    w.agent.on_allow = writes(w, files)
    w.agent.scripts = [[*(edit(p) for p in files), AgentEvent(kind="files_changed", paths=tuple(files)), cmd("ls")]]
    await w.say(URGENT, actor=FILER)
    return 1


async def _shipped(w: World) -> int:
    await _review(w)
    assert (await w.press("Approve", APPROVER, card_prefix="review:")).ok
    return 1


async def _stopped(w: World) -> int:
    await _running(w)
    assert (await w.say("/hotfix stop 1", actor=APPROVER)).ok
    return 1


async def _discarded(w: World) -> int:
    await _review(w)
    assert (await w.say("/hotfix reset 1", actor=APPROVER)).ok
    return 1


async def _rejected(w: World) -> int:
    await w.say("/hotfix refactor the checkout module to use the new client", actor=FILER)
    return 1


async def _failed(w: World) -> int:
    w.agent.fail_with = "the model refused"
    w.agent.scripts = [[]]
    await w.say(URGENT, actor=FILER)
    return 1


STATES: dict[str, tuple[Setup, State]] = {
    "triage": (_triage, State.TRIAGE),
    "queued": (_queued, State.QUEUED),
    "running": (_running, State.RUNNING),
    "awaiting command": (_command_approval, State.AWAITING_APPROVAL),
    "awaiting escalation": (_escalation_approval, State.AWAITING_APPROVAL),
    "awaiting scope": (_scope_approval, State.AWAITING_APPROVAL),
    "review": (_review, State.REVIEW),
    "shipped": (_shipped, State.SHIPPED),
    "stopped": (_stopped, State.STOPPED),
    "discarded": (_discarded, State.DISCARDED),
    "rejected": (_rejected, State.REJECTED),
    "failed": (_failed, State.FAILED),
}


async def enter(w: World, state: str) -> int:
    setup, expected = STATES[state]
    number = await setup(w)
    assert w.hotfix(number).state is expected, (state, w.hotfix(number).state, w.hotfix(number).audit[-3:])
    return number
