"""Run orchestration: start queued hotfixes when their repository's slot is free, drive one agent turn,
then diff, verify and hand over for review. Implements ``RunControl`` for the handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bot.domain.agent import AgentOutcome, AgentRunSpec, Permission, PermissionBehavior
from bot.domain.audit import DomainEvent, StateChanged
from bot.domain.config import RepoConfig
from bot.domain.errors import HotfixError
from bot.domain.hotfix import DiffSummary, Hotfix, Verification
from bot.domain.lifecycle import ACTIVE_STATES
from bot.domain.naming import slugify
from bot.domain.policy import Policy, PolicyError, shared_state_findings
from bot.domain.queue import next_runnable
from bot.domain.values import ApprovalKind, Mode, State
from bot.ports import AgentRunner, UnitOfWork
from bot.render.redact import redact
from bot.render.text import one_line
from bot.services.bus import MessageBus
from bot.services.filelane import outcome_notes
from bot.services.handlers.decisions import land_approved_ship
from bot.services.instructions import RESUME_PROMPT, instructions_for, prompt_for
from bot.services.policies import repo_policy
from bot.services.sink import RunSink

__all__ = ["RunManager"]

log = logging.getLogger(__name__)
STOP = Permission(behavior=PermissionBehavior.STOP, message="Stopped by a person in chat.")
STOP_GRACE_SECONDS = 3
DISPATCH_STATES = frozenset({State.QUEUED, *ACTIVE_STATES})


class RunManager:
    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self.deps = bus.deps
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.waiters: dict[str, tuple[int, asyncio.Future[Permission]]] = {}
        self.sinks: dict[int, RunSink] = {}
        self._dispatching = asyncio.Lock()
        self._held: set[int] = set()
        self.orphans: list[str] = []
        bus.runs = self
        bus.subscribe(self.on_event)

    # ----- RunControl
    def answer(self, approval_id: str, permission: Permission) -> bool:
        entry = self.waiters.pop(approval_id, None)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result(permission)
        return True

    def waiter(self, number: int, approval_id: str) -> asyncio.Future[Permission]:
        future: asyncio.Future[Permission] = asyncio.get_running_loop().create_future()
        self.waiters[approval_id] = (number, future)
        return future

    async def cancel(self, number: int) -> None:
        """Stop while waiting for a person = deny with interrupt (the agent ends its turn itself);
        Stop while running = cancel the run task (the runner interrupts and kills the process tree)."""
        answered = [self.answer(approval_id, STOP) for approval_id, (owner, _f) in list(self.waiters.items())
                    if owner == number]
        task = self.tasks.get(number)
        if task is None or task.done():
            return
        if any(answered):
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE_SECONDS)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=10)

    async def rereview(self, number: int) -> None:
        hotfix = self.bus.read(number)
        repo = self.deps.config.repo(hotfix.repo)
        if repo is None or hotfix.state is not State.REVIEW:
            return
        policy = await repo_policy(self.deps.workspace, repo)
        summary, verification, kind = await self._review_material(hotfix, policy)
        await self._if(number, lambda h: h.refresh_review(at=self.deps.clock.now(), diff=summary,
                                                          verification=verification, approval_kind=kind),
                       states=(State.REVIEW,))

    async def budget_elapsed(self, number: int) -> None:
        sink = self.sinks.get(number)
        if sink is not None:
            await sink.watch_scope()

    async def dispatch(self) -> None:
        async with self._dispatching:
            with self.deps.uow() as uow:  # queued and running ones are all next_runnable looks at
                hotfixes = uow.hotfixes.list(states=DISPATCH_STATES)
                freezes = uow.freezes.all()
            candidates = [h for h in hotfixes if h.number not in self._held or h.state is not State.QUEUED]
            for hotfix in next_runnable(candidates, freezes=freezes, limit=self.deps.config.max_concurrent_runs):
                if hotfix.number not in self.tasks:
                    await self._launch(hotfix)

    # ----- lifecycle
    async def on_event(self, event: DomainEvent) -> None:
        if isinstance(event, StateChanged) and (event.new is State.QUEUED or event.old in ACTIVE_STATES):
            if event.new is State.QUEUED:
                self._held.discard(event.number)
            await self.dispatch()

    async def recover(self) -> None:
        """At start, after a crash or a restart: a run that was live resumes its agent session (the agent is
        told to continue; its pending approvals stay pressable and bind to its identical requests), or, with
        no session to resume, is marked interrupted with Resume / Reset buttons. A ship approval recorded
        just before the bot died is landed."""
        now = self.deps.clock.now

        def resume_or_interrupt(h: Hotfix) -> None:
            h.interrupt(at=now(), reason="the bot restarted during the run")
            if h.session_id:
                h.requeue(at=now(), actor="bot", prompt=RESUME_PROMPT, detail="resume after a restart",
                          keep_pending=True)

        with self.deps.uow() as uow:
            everything = uow.hotfixes.list()
        for hotfix in everything:
            if hotfix.state in ACTIVE_STATES:
                await self._if(hotfix.number, resume_or_interrupt)
            elif hotfix.state is State.REVIEW:
                await land_approved_ship(self.bus, hotfix.number)
        await self._report_orphans(everything)
        await self.dispatch()

    async def _report_orphans(self, hotfixes: list[Hotfix]) -> list[str]:
        """Worktrees under the state dir that no hotfix owns (left by a crash between creating a worktree and
        committing its hotfix, or by hand). They are reported, never deleted: a person may be using one."""
        known = {h.worktree for h in hotfixes if h.worktree}
        found: list[str] = []
        for repo in self.deps.config.repos:
            try:
                found += await self.deps.workspace.find_orphans(
                    repo_path=repo.path, root=self.deps.config.worktree_root(repo.name), known=known)
            except Exception:
                log.warning("could not look for orphaned worktrees of %s", repo.name)
        if found:
            log.warning("orphaned worktrees (no hotfix owns them): %s", ", ".join(p.rsplit("/", 2)[-2] + "/" +
                                                                              p.rsplit("/", 1)[-1] for p in found))
        self.orphans = found
        return found

    async def shutdown(self) -> None:
        """The bot is stopping: end the agents' processes but leave each run as it stands (state and pending
        approvals), so the next start resumes it. Only a person's Stop ends a run; answering the agents'
        pending requests with Stop here marked them failed, "stopped by a person", for good."""
        tasks = [task for task in self.tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=15)

    async def _launch(self, hotfix: Hotfix) -> None:
        repo = self.deps.config.repo(hotfix.repo)
        if repo is None:
            await self._if(hotfix.number, lambda h: h.fail(at=self.deps.clock.now(),
                                                           reason=f"repository {h.repo} is no longer configured"))
            return
        try:
            policy = await repo_policy(self.deps.workspace, repo)
        except PolicyError as e:
            self._held.add(hotfix.number)
            reason = f"held: {e}"
            await self._if(hotfix.number, lambda h: h.progress(at=self.deps.clock.now(), action=reason),
                           states=(State.QUEUED,))
            return
        prompt = prompt_for(hotfix)
        started = await self._start(hotfix, repo)
        if started is None:
            return
        runner = self.deps.runners.get(started.agent)
        if runner is None:
            why = self.deps.missing_runner_reasons.get(started.agent, "no agent adapter is installed")
            await self._if(started.number, lambda h: h.fail(at=self.deps.clock.now(),
                                                            reason=f"cannot run {h.agent.value}: {why}"))
            return
        spec = AgentRunSpec(hotfix_id=started.number, agent=started.agent, mode=started.mode,
                            worktree=started.worktree or "", prompt=prompt, instructions=instructions_for(started),
                            session_id=started.session_id, idle_timeout=timedelta(minutes=policy.idle_minutes))
        task = asyncio.get_running_loop().create_task(self._run(started.number, runner, spec, policy),
                                                      name=f"run-{started.hid}")
        self.tasks[started.number] = task

    async def _start(self, hotfix: Hotfix, repo: RepoConfig) -> Hotfix | None:
        now = self.deps.clock.now
        if hotfix.worktree:
            return await self._if(hotfix.number, lambda h: h.resume_turn(at=now()), states=(State.QUEUED,))
        try:
            await self._reclaim_orphan(hotfix, repo)
            info = await self.deps.workspace.create(repo_path=repo.path, base_branch=repo.base_branch,
                                                    number=hotfix.number, slug=slugify(hotfix.title),
                                                    root=self.deps.config.worktree_root(repo.name))
        except Exception as e:
            reason = f"could not create the worktree: {one_line(str(e), 200)}"
            await self._if(hotfix.number, lambda h: h.fail(at=now(), reason=reason), states=(State.QUEUED,))
            return None
        note = (f"local {repo.base_branch} was {info.base_behind} commits behind its remote; branched from the "
                f"remote one" if info.base_behind else "")
        return await self._if(hotfix.number, lambda h: h.start(at=now(), branch=info.branch, worktree=info.path,
                                                               base_sha=info.base_sha, base_note=note),
                              states=(State.QUEUED,))

    async def _reclaim_orphan(self, hotfix: Hotfix, repo: RepoConfig) -> None:
        """The worktree (``HF-<n>``) and branch this hotfix's own first start created just before the bot died,
        before they were recorded, are removed so the start can create them again. Nothing was recorded in
        them and no agent ran there (a run starts only after its worktree is recorded)."""
        mine = [p for p in self.orphans if p.rstrip("/").split("/")[-2:] == [repo.name, f"HF-{hotfix.number}"]]
        for path in mine:
            log.warning("%s: removing the worktree its first start left unrecorded", hotfix.hid)
            await self.deps.workspace.remove(repo_path=repo.path, worktree=path,
                                             branch=f"hotfix/{hotfix.number}-{slugify(hotfix.title)}")
            self.orphans.remove(path)

    async def _run(self, number: int, runner: AgentRunner, spec: AgentRunSpec, policy: Policy) -> None:
        sink = RunSink(self, number, spec, policy)
        self.sinks[number] = sink
        try:
            outcome = await runner.run(spec, sink)
        except asyncio.CancelledError:
            self.tasks.pop(number, None)
            self.sinks.pop(number, None)
            raise
        except Exception as e:
            log.exception("agent run of HF-%s crashed", number)
            outcome = AgentOutcome(ok=False, kind="failed", error=f"the agent crashed: {one_line(str(e), 160)}")
        self.tasks.pop(number, None)
        self.sinks.pop(number, None)
        try:
            await sink.flush()
            await self._finish(number, outcome, policy, sink)
        except HotfixError as e:
            log.info("HF-%s finished into a changed state: %s", number, e)

    async def _finish(self, number: int, outcome: AgentOutcome, policy: Policy, sink: RunSink) -> None:
        now = self.deps.clock.now
        if outcome.session_id:
            await self._if(number, lambda h: h.progress(at=now(), session_id=outcome.session_id))
        if not outcome.ok:
            reason = outcome.error or ("the agent was interrupted" if outcome.interrupted else "the agent failed")
            await self._if(number, lambda h: h.fail(at=now(), reason=redact(reason)))
            return
        if not await sink.pass_scope_gate():
            return
        # approvals from before a restart that the resumed agent did not ask for again
        await self._if(number, lambda h: h.cancel_pending(at=now(), actor="bot", keep_run=sink.run_id,
                                                          note="the resumed agent did not ask for this again"))
        hotfix = self.bus.read(number)
        if hotfix.mode is not Mode.PATCH:
            await self._if(number, lambda h: h.enter_review(at=now(), report=redact(outcome.final_text), diff=None,
                                                            verification=None, approval_kind=None))
            return
        summary, verification, kind = await self._review_material(hotfix, policy, verify_in_state=True)
        if hotfix.lane == "file" and hotfix.lane_path and hotfix.worktree:
            noted = replace(hotfix, report=redact(outcome.final_text), verification=verification)
            await self.deps.workspace.append_file(worktree=hotfix.worktree, path=hotfix.lane_path,
                                                  text=outcome_notes(noted, outcome="ready for review"))
            summary, _v, kind = await self._review_material(hotfix, policy, verify=False)
        await self._if(number, lambda h: h.enter_review(at=now(), report=redact(outcome.final_text), diff=summary,
                                                        verification=verification, approval_kind=kind),
                       states=(State.RUNNING, State.VERIFYING))

    async def _review_material(self, hotfix: Hotfix, policy: Policy, *, verify: bool = True,
                               verify_in_state: bool = False
                               ) -> tuple[DiffSummary, Verification | None, ApprovalKind | None]:
        """The diff, its shared-state findings and (``verify``) the repository's focused test run."""
        assert hotfix.worktree and hotfix.base_sha
        diff = await self.deps.workspace.diff(worktree=hotfix.worktree, base_sha=hotfix.base_sha)
        findings = tuple(f"shared state: {f.path} ({f.rule})" for f in shared_state_findings(policy, diff.paths))
        summary = DiffSummary(sha256=diff.sha256, files=len(diff.files), added=diff.added, removed=diff.removed,
                              paths=diff.paths, findings=findings)
        verification = None
        if verify and policy.test_command and not diff.is_empty:
            command = policy.test_command
            if verify_in_state:
                await self._if(hotfix.number, lambda h: h.begin_verify(at=self.deps.clock.now(), command=command))
            result = await self.deps.verifier.verify(worktree=hotfix.worktree, command=command,
                                                     timeout=timedelta(seconds=policy.test_timeout_seconds),
                                                     shell=policy.shell_test_command)
            verification = Verification(command=command, exit_code=result.exit_code,
                                        summary=redact(result.summary), output_tail=redact(result.output_tail))
        kind = None if diff.is_empty else (ApprovalKind.ESCALATION if findings else ApprovalKind.SHIP)
        return summary, verification, kind

    async def _if(self, number: int, change: Callable[[Hotfix], object],
                  states: tuple[State, ...] = tuple(ACTIVE_STATES)) -> Hotfix | None:
        """Apply ``change`` only while the hotfix is still in one of ``states`` (a Stop may have won)."""
        def guarded(h: Hotfix, _uow: UnitOfWork) -> Hotfix | None:
            if h.state not in states:
                return None
            change(h)
            return h

        return await self.bus.mutate(number, guarded)
