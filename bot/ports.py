"""Ports: the roles adapters play for the core, as Protocols. Standard library only.

Every port has a real adapter (``adapters/``, ``storage/``) and an in-memory fake (``tests/fakes``), and one
conformance suite that both pass.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.domain.agent import AgentEvent, AgentOutcome, AgentRunSpec, Permission
from bot.domain.diff import Diff
from bot.domain.tool import ToolRequest
from bot.domain.values import ConversationRef, MessageRef

if TYPE_CHECKING:
    from bot.domain.audit import DomainEvent
    from bot.domain.deadline import Deadline
    from bot.domain.hotfix import Hotfix
    from bot.domain.queue import Freeze, QueueEntry
    from bot.domain.values import State
    from bot.render.card import Card
    from bot.services.commands import Command, Reply

__all__ = [
    "AgentEventSink",
    "AgentRunner",
    "Clock",
    "CommandSink",
    "DeadlineRepository",
    "FreezeRepository",
    "HotfixRepository",
    "Notifier",
    "Scheduler",
    "UnitOfWork",
    "VerificationResult",
    "Verifier",
    "Workspace",
    "WorktreeInfo",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """tz-aware UTC now."""
        ...


class Notifier(Protocol):
    """Delivers cards and text to one chat platform. Card edits may be coalesced; the latest always lands."""

    async def post(
        self, conversation: ConversationRef, card: Card, *, thread: MessageRef | None = None
    ) -> MessageRef: ...

    async def edit(self, ref: MessageRef, card: Card) -> None: ...

    async def reply(
        self,
        conversation: ConversationRef,
        text: str,
        *,
        thread: MessageRef | None = None,
        ephemeral_to: str | None = None,
    ) -> None: ...

    async def upload(
        self,
        conversation: ConversationRef,
        filename: str,
        content: bytes,
        *,
        thread: MessageRef | None = None,
        comment: str = "",
    ) -> None: ...


class AgentEventSink(Protocol):
    """What a running agent reports to, and asks permission from (the core's run orchestration)."""

    async def on_event(self, event: AgentEvent) -> None: ...

    async def request_permission(self, request: ToolRequest) -> Permission:
        """May wait for a person for as long as it takes; no timeout on the runner's side."""
        ...


class AgentRunner(Protocol):
    """Runs one turn of an agent in a worktree. Cancelling the awaiting task is Stop: the runner interrupts
    the agent, and the agent's whole process tree is gone within 5 s."""

    async def run(self, spec: AgentRunSpec, sink: AgentEventSink) -> AgentOutcome: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WorktreeInfo:
    path: str
    branch: str
    base_sha: str
    base_behind: int = 0  # how many commits the local base branch was behind its remote (0: up to date)
    fetched: bool = False  # a remote existed and was fetched


class Workspace(Protocol):
    """Git worktrees, diffs, commits and pushes. The configured checkout's working tree is never touched."""

    async def create(
        self, *, repo_path: str, base_branch: str, number: int, slug: str, root: str
    ) -> WorktreeInfo: ...

    async def diff(self, *, worktree: str, base_sha: str) -> Diff: ...

    async def commit(self, *, worktree: str, expected_sha256: str, base_sha: str, message: str) -> str:
        """Commit exactly the diff with sha256 ``expected_sha256``; raise if it changed. Returns the sha."""
        ...

    async def push(self, *, worktree: str, branch: str) -> None: ...

    async def open_pull_request(self, *, worktree: str, branch: str, base_branch: str, title: str, body: str
                                ) -> str | None:
        """Open a pull request for the pushed branch through a forge CLI; None when none is installed."""
        ...

    async def remove(self, *, repo_path: str, worktree: str, branch: str) -> None: ...

    async def read_base_file(self, *, repo_path: str, base_branch: str, path: str) -> str | None:
        """A file's text at the tip of the base branch (None if absent). Used for ``.hotfix.toml``."""
        ...

    async def list_worktrees(self, *, repo_path: str) -> list[str]: ...

    async def find_orphans(self, *, repo_path: str, root: str, known: Iterable[str]) -> list[str]:
        """Worktree folders under ``root`` that no hotfix in ``known`` owns."""
        ...

    async def list_base_files(self, *, repo_path: str, base_branch: str, folder: str, pattern: str
                              ) -> dict[str, str]:
        """Files in ``folder`` matching ``pattern`` at the (freshly fetched) base tip: path -> text."""
        ...

    async def append_file(self, *, worktree: str, path: str, text: str) -> None:
        """Append ``text`` to a file inside the worktree (the file lane's write-back)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationResult:
    command: str
    exit_code: int | None  # None: did not run to completion (timeout, missing program)
    summary: str  # one line: "12 passed", "timed out after 300 s"
    output_tail: str  # redacted by the core before anyone sees it


class Verifier(Protocol):
    async def verify(self, *, worktree: str, command: str, timeout: timedelta, shell: bool = False
                     ) -> VerificationResult:
        """Run ``command`` in the worktree: an argv list, or ``sh -c`` only when the reviewed policy says so."""
        ...


class Scheduler(Protocol):
    """Delayed commands. Deadlines live in the database; the adapter re-arms them at start."""

    def schedule(self, *, key: str, at: datetime, payload: dict[str, str]) -> None: ...

    def cancel(self, *, key: str) -> None: ...

    def pending(self) -> Iterator[str]: ...


class CommandSink(Protocol):
    """What chat adapters hand commands to (the message bus). Returns the reply for the sender."""

    async def handle(self, command: Command) -> Reply: ...


class HotfixRepository(Protocol):
    """Hotfix aggregates (with their approvals and audit trail). Saved on ``UnitOfWork.commit``."""

    def add(self, hotfix: Hotfix) -> None: ...

    def get(self, number: int) -> Hotfix | None: ...

    def by_token(self, token: str) -> Hotfix | None:
        """The hotfix owning a button token: its card token or one of its approval ids."""
        ...

    def list(self, *, states: Collection[State] | None = None, repo: str | None = None,
             since: datetime | None = None) -> list[Hotfix]:
        """Hotfixes (``since``: created at or after) with their approvals, for reading: the audit trail may be
        left out, and changes are not saved — change a hotfix loaded with ``get``."""
        ...

    def queue(self) -> builtins.list[QueueEntry]:
        """Every open (non-terminal) hotfix as a light queue entry, cheap enough for every event."""
        ...

    def next_number(self) -> int: ...


class FreezeRepository(Protocol):
    def all(self) -> dict[str, Freeze]: ...

    def put(self, freeze: Freeze) -> None: ...

    def remove(self, scope: str) -> bool: ...


class DeadlineRepository(Protocol):
    def all(self) -> list[Deadline]: ...

    def get(self, key: str) -> Deadline | None: ...

    def put(self, deadline: Deadline) -> None: ...

    def remove(self, key: str) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction. ``commit`` persists every hotfix loaded or added through it, checking its version
    (optimistic concurrency: a stale writer gets ``bot.domain.errors.ConcurrencyError`` and nothing is saved).
    Leaving the block without ``commit`` rolls back."""

    hotfixes: HotfixRepository
    freezes: FreezeRepository
    deadlines: DeadlineRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def collect_new_events(self) -> list[DomainEvent]: ...
