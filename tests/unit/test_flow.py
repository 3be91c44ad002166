"""The whole core booted with in-memory fakes: filing, approvals, escalation, review, ship, stop, revise."""

from __future__ import annotations

import asyncio

from bot.domain.agent import AgentEvent, AgentRunSpec, PermissionBehavior
from bot.domain.tool import ToolRequest
from bot.domain.values import ApprovalKind, ApprovalState, State
from tests.unit.conftest import REPO_PATH, World

FIX = "shop/webhook.py"
FIXED = "def handle(body):\n    if not body:\n        return 400\n    return 200\n"


def cmd(line: str) -> ToolRequest:
    return ToolRequest(kind="command", tool="Bash", command=line, raw={"command": line})


def edit(path: str) -> ToolRequest:
    return ToolRequest(kind="write", tool="Edit", paths=(path,), raw={"file_path": path})


def writes(world: World, files: dict[str, str]):  # type: ignore[no-untyped-def]
    def apply(req: ToolRequest, spec: AgentRunSpec) -> None:
        for path in req.paths:
            world.workspace.write(spec.worktree, path, files[path])

    return apply


async def test_file_run_review_and_ship_exact_diff(world: World) -> None:
    world.agent.on_allow = writes(world, {FIX: FIXED})
    world.agent.scripts = [[cmd("ls"), edit(FIX), AgentEvent(kind="files_changed", paths=(FIX,))]]
    reply = await world.say("/hotfix the checkout webhook returns 500 on an empty payload")
    assert reply.ok and "HF-1 (shop)" in reply.text
    h = world.hotfix()
    assert h.state is State.REVIEW
    assert h.branch and h.branch.startswith("hotfix/1-")
    assert h.verification and h.verification.command == "pytest -q"
    review = world.notifier.latest("review:1")
    assert [b.label for b in review.buttons] == ["Approve", "Revise", "Reset", "Full diff"]
    assert "webhook.py" in (review.code or "")
    # the requester is not an approver
    refused = await world.press("Approve", "telegram:111", card_prefix="review:")
    assert not refused.ok and "Not allowed" in refused.text
    assert world.hotfix().state is State.REVIEW
    shipped = await world.press("Approve", "telegram:222", card_prefix="review:")
    assert shipped.ok, shipped.text
    h = world.hotfix()
    assert h.state is State.SHIPPED
    (commit,) = world.workspace.commits
    assert commit.diff_sha256 == h.diff.sha256  # type: ignore[union-attr]
    assert "HF-1" in commit.message and "telegram:111" in commit.message and "telegram:222" in commit.message
    # old buttons are gone after the decision, and a replayed press changes nothing
    assert not world.notifier.latest("review:1").buttons
    from bot.services.commands import ButtonAction, PressButton
    from tests.unit.conftest import CHAT

    again = await world.send(PressButton(actor="telegram:222", conversation=CHAT, action=ButtonAction.APPROVE,
                                         token=h.approvals[-1].id))
    assert not again.ok and "already" in again.text


async def test_escalation_never_by_the_requester(world: World) -> None:
    world.agent.scripts = [[cmd("npm install left-pad")]]
    await world.say("/hotfix checkout crashes with a TypeError for every user")
    h = world.hotfix()
    assert h.state is State.AWAITING_APPROVAL
    (approval,) = h.approvals
    assert approval.kind is ApprovalKind.ESCALATION
    card = world.notifier.latest("approval:")
    assert "escalation" in card.title.lower() and [b.label for b in card.buttons] == ["Approve", "Deny", "Stop"]
    status = world.notifier.latest("status:1")
    assert status.blocker and "escalation approver" in status.blocker
    # telegram:111 is an escalation member AND the requester: refused
    refused = await world.press("Approve", "telegram:111")
    assert not refused.ok and "other than the requester" in refused.text
    # a plain approver may not approve an escalation either
    assert not (await world.press("Approve", "telegram:222")).ok
    assert world.hotfix().approvals[0].state is ApprovalState.PENDING
    ok = await world.press("Approve", "telegram:333")
    assert ok.ok
    assert world.agent.answers == [("npm install left-pad", PermissionBehavior.ALLOW)]
    assert world.hotfix().approvals[0].decided_by == "telegram:333"
    kinds = [e.kind for e in world.hotfix().audit]
    assert kinds.count("refused") == 2 and "approved" in kinds


async def test_ask_then_deny_tells_the_agent(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix login page returns 500 since the last deploy")
    assert world.hotfix().state is State.AWAITING_APPROVAL
    reply = await world.press("Deny", "telegram:222")
    assert reply.ok
    assert world.agent.answers == [("make build", PermissionBehavior.DENY)]
    assert world.hotfix().state is State.REVIEW
    card = world.notifier.latest("approval:")
    assert not card.buttons and card.decided and "Denied by telegram:222" in card.decided


async def test_dangerous_command_refused_without_asking(world: World) -> None:
    world.agent.scripts = [[cmd("rm -rf /")]]
    await world.say("/hotfix payments page crashes for every user")
    assert world.agent.answers == [("rm -rf /", PermissionBehavior.DENY)]
    assert not world.hotfix().approvals
    assert any(e.kind == "refused" for e in world.hotfix().audit)


async def test_stop_while_waiting_for_approval(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    reply = await world.press("Stop", "telegram:111", card_prefix="approval:")
    assert reply.ok
    h = world.hotfix()
    assert h.state is State.STOPPED
    assert h.approvals[0].state is ApprovalState.CANCELLED
    assert world.agent.answers == [("make build", PermissionBehavior.STOP)]
    assert not world.workspace.removals  # stop keeps the worktree


async def test_stop_while_running_cancels_the_agent(world: World) -> None:
    world.agent.scripts = [["hang"]]
    await world.say("/hotfix checkout returns 502 for all users")
    assert world.hotfix().state is State.RUNNING
    assert [b.label for b in world.notifier.latest("status:1").buttons] == ["Stop"]
    reply = await world.press("Stop", "telegram:222", card_prefix="status:")
    assert reply.ok
    assert world.agent.cancelled == 1
    assert world.hotfix().state is State.STOPPED
    assert not world.notifier.latest("status:1").buttons


async def test_unknown_person_and_bots_are_refused(world: World) -> None:
    reply = await world.say("/hotfix checkout returns 500", actor="telegram:999")
    assert not reply.ok and "Not allowed" in reply.text
    with world.uow() as uow:
        assert uow.hotfixes.list() == []


async def test_triage_rejects_refactors_and_holds_features(world: World) -> None:
    rejected = await world.say("/hotfix refactor the checkout module to use the new client")
    assert world.hotfix(1).state is State.REJECTED and "HF-1" in rejected.text
    await world.say("/hotfix add support for apple pay in checkout")
    assert world.hotfix(2).state is State.TRIAGE
    assert any("held for triage" in text for _c, text in world.notifier.replies)
    # only the triage owner or escalation may accept
    assert not (await world.say("/hotfix accept 2", actor="telegram:222")).ok
    ok = await world.say("/hotfix accept HF-2", actor="telegram:444")
    assert ok.ok and world.hotfix(2).state in (State.REVIEW, State.RUNNING, State.QUEUED)


async def test_one_run_per_repository_and_freeze(world: World) -> None:
    world.agent.scripts = [["hang"], []]
    await world.say("/hotfix checkout returns 500 for all users")
    await world.say("/hotfix p0 login fails with a 500 for everyone")
    assert world.hotfix(1).state is State.RUNNING
    assert world.hotfix(2).state is State.QUEUED
    frozen = await world.say("/hotfix freeze deploy in progress", actor="telegram:444")
    assert frozen.ok
    assert "frozen" in " ".join(world.notifier.latest("status:2").badges)
    await world.press("Stop", "telegram:111", card_prefix="status:1")
    assert world.hotfix(1).state is State.STOPPED
    assert world.hotfix(2).state is State.QUEUED  # frozen: waits
    await world.say("/hotfix unfreeze", actor="telegram:444")
    await world.settle()
    assert world.hotfix(2).state is State.REVIEW


async def test_revise_continues_the_same_session(world: World) -> None:
    world.agent.on_allow = writes(world, {FIX: FIXED})
    world.agent.scripts = [[edit(FIX)], []]
    await world.say("/hotfix checkout webhook returns 500 on empty payload")
    assert world.hotfix().state is State.REVIEW
    reply = await world.say("/hotfix revise 1 also log the order id")
    assert reply.ok, reply.text
    assert world.hotfix().state is State.REVIEW
    _first, second = world.agent.specs
    assert second.session_id == "session-1" and "also log the order id" in second.prompt


async def test_shared_state_diff_needs_escalation_to_ship(world: World) -> None:
    world.agent.on_allow = writes(world, {"package.json": '{"x": 1}\n'})
    world.agent.scripts = [[edit("package.json")]]
    await world.say("/hotfix checkout crashes with a 500 for all users")
    h = world.hotfix()
    # writing a manifest escalates before the tool runs
    assert h.approvals[0].kind is ApprovalKind.ESCALATION
    await world.press("Approve", "telegram:333")
    h = world.hotfix()
    assert h.state is State.REVIEW and h.diff and h.diff.findings
    assert h.approvals[-1].kind is ApprovalKind.ESCALATION
    assert not (await world.press("Approve", "telegram:222", card_prefix="review:")).ok
    assert (await world.press("Approve", "telegram:333", card_prefix="review:")).ok
    assert world.hotfix().state is State.SHIPPED


async def test_diff_changed_after_review_refuses_the_old_approval(world: World) -> None:
    world.agent.on_allow = writes(world, {FIX: FIXED})
    world.agent.scripts = [[edit(FIX)]]
    await world.say("/hotfix checkout webhook returns 500 on empty payload")
    h = world.hotfix()
    world.workspace.write(h.worktree, FIX, FIXED + "# sneaky\n")  # type: ignore[arg-type]
    reply = await world.press("Approve", "telegram:222", card_prefix="review:")
    assert not reply.ok and "changed since it was shown" in reply.text
    h = world.hotfix()
    assert h.state is State.REVIEW and not world.workspace.commits
    assert h.approvals[0].state is ApprovalState.CANCELLED and h.approvals[-1].pending
    assert (await world.press("Approve", "telegram:222", card_prefix="review:")).ok
    assert world.workspace.commits[0].diff_sha256 == world.hotfix().diff.sha256  # type: ignore[union-attr]


async def test_two_concurrent_presses_only_one_wins(world: World) -> None:
    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    token = world.hotfix().approvals[0].id
    from bot.services.commands import ButtonAction, PressButton
    from tests.unit.conftest import CHAT

    presses = [PressButton(actor="telegram:222", conversation=CHAT, action=ButtonAction.APPROVE, token=token),
               PressButton(actor="telegram:222", conversation=CHAT, action=ButtonAction.DENY, token=token)]
    replies = await asyncio.gather(*(world.core.bus.handle(p) for p in presses))
    await world.settle()
    assert sorted(r.ok for r in replies) == [False, True]
    assert len(world.agent.answers) == 1


async def test_no_agent_adapter_fails_with_a_reason(world: World) -> None:
    await world.say("/hotfix agent:codex checkout returns 500 for all users")
    h = world.hotfix()
    assert h.state is State.FAILED and "codex" in h.failure_reason
    assert "Reason:" in " ".join(world.notifier.latest("status:1").body)


async def test_scope_budget_pauses_on_an_approval(world: World) -> None:
    files = {f"shop/f{i}.py": "x = 1\n" for i in range(4)}
    world.agent.on_allow = writes(world, files)
    world.agent.scripts = [[*(edit(p) for p in files), AgentEvent(kind="files_changed", paths=tuple(files)),
                            cmd("ls")]]
    await world.say("/hotfix checkout returns 500 for all users")
    h = world.hotfix()
    scope = [a for a in h.approvals if a.kind is ApprovalKind.SCOPE]
    assert scope and "files" in scope[0].subject and h.state is State.AWAITING_APPROVAL
    assert (await world.press("Continue", "telegram:222")).ok
    assert world.hotfix().state is State.REVIEW


async def test_bad_input_gets_a_reason_and_changes_nothing(world: World) -> None:
    for text in ("/hotfix", "/hotfix status HF-x", "/hotfix repo:nope checkout returns 500", "/hotfix stop 99"):
        reply = await world.say(text)
        assert not reply.ok and reply.text and "Traceback" not in reply.text
    with world.uow() as uow:
        assert uow.hotfixes.list() == []


async def test_worktree_path_is_under_the_state_dir(world: World) -> None:
    world.agent.scripts = [[]]
    await world.say("/hotfix checkout returns 500 for all users")
    h = world.hotfix()
    assert h.worktree == "/state/worktrees/shop/HF-1"
    assert world.workspace.created[0].path == h.worktree
    assert REPO_PATH not in (h.worktree or "")


async def test_a_broken_repository_policy_holds_its_hotfixes(world: World) -> None:
    from tests.unit.conftest import BASE_FILES

    world.workspace.set_base(REPO_PATH, {**BASE_FILES, ".hotfix.toml": "max_files = 'many'\n"})
    reply = await world.say("/hotfix checkout returns 500 for all users")
    h = world.hotfix()
    assert h.state is State.TRIAGE and "max_files" in h.triage_reason and ".hotfix.toml" in h.triage_reason
    assert "held" in reply.text
    # accepting it anyway does not run it under guessed defaults
    await world.say("/hotfix accept 1", actor="telegram:444")
    h = world.hotfix()
    assert h.state is State.QUEUED and not world.agent.specs
    assert "held" in h.last_action and "max_files" in h.last_action


async def test_on_approve_pr_pushes_and_opens_a_pull_request(world: World) -> None:
    from tests.unit.conftest import BASE_FILES

    world.workspace.set_base(REPO_PATH, {**BASE_FILES, ".hotfix.toml": 'on_approve = "pr"\n'})
    world.workspace.forge_url = "https://forge.example/shop/pull/12"
    world.agent.on_allow = writes(world, {FIX: FIXED})
    world.agent.scripts = [[edit(FIX)]]
    await world.say("/hotfix checkout webhook returns 500 on empty payload")
    reply = await world.press("Approve", "telegram:222", card_prefix="review:")
    assert reply.ok and "pull request: https://forge.example/shop/pull/12" in reply.text
    assert world.workspace.pushes and world.workspace.pull_requests[0][:2] == (world.hotfix().branch, "main")


async def test_on_approve_leave_keeps_the_change_uncommitted(world: World) -> None:
    from tests.unit.conftest import BASE_FILES

    world.workspace.set_base(REPO_PATH, {**BASE_FILES, ".hotfix.toml": 'on_approve = "leave"\n'})
    world.agent.on_allow = writes(world, {FIX: FIXED})
    world.agent.scripts = [[edit(FIX)]]
    await world.say("/hotfix checkout webhook returns 500 on empty payload")
    reply = await world.press("Approve", "telegram:222", card_prefix="review:")
    assert reply.ok and "uncommitted" in reply.text
    assert not world.workspace.commits and world.hotfix().state is State.SHIPPED


async def test_a_shell_test_command_only_when_the_policy_says_so(world: World) -> None:
    from tests.unit.conftest import BASE_FILES

    world.agent.on_allow = writes(world, {FIX: FIXED})
    world.agent.scripts = [[edit(FIX)], [edit(FIX)]]
    await world.say("/hotfix checkout webhook returns 500 on empty payload")
    world.workspace.set_base(REPO_PATH, {**BASE_FILES, ".hotfix.toml":
                                         'test_command = "pytest -q && ./smoke.sh"\nshell_test_command = true\n'})
    await world.say("/hotfix login page returns 500 for everyone")
    assert world.verifier.shells == [False, True]


async def test_a_refusal_in_a_loop_is_audited_once_a_minute(world: World) -> None:
    from datetime import timedelta

    world.agent.scripts = [[cmd("make build")]]
    await world.say("/hotfix checkout returns 502 for all users")
    for _ in range(5):
        assert not (await world.press("Approve", "telegram:999")).ok
    audited = [e for e in world.hotfix().audit if e.kind == "refused" and e.actor == "telegram:999"]
    assert len(audited) == 1
    world.clock.advance(timedelta(minutes=2))
    assert not (await world.press("Approve", "telegram:999")).ok
    assert len([e for e in world.hotfix().audit if e.kind == "refused" and e.actor == "telegram:999"]) == 2
