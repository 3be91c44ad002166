"""The file lane (CONTRACT §7): a ``tasks/hotfix/HOTFIX-<slug>.md`` that appears on a repository's base branch
is filed as a hotfix (first heading = title, the rest = description, requester = the repo's
``file_lane_requester`` or the triage owner), announced in the repository's first conversation, and goes through
the same triage, queue, approvals and review. Its outcome and verification steps are appended to that file in
the hotfix worktree: before the review (so they ship with the fix) and again when the hotfix ends otherwise."""

from __future__ import annotations

import logging

from bot.domain.audit import DomainEvent, StateChanged
from bot.domain.config import RepoConfig
from bot.domain.hotfix import Hotfix
from bot.domain.values import ConversationRef, State
from bot.render.redact import redact
from bot.render.text import strip_control, truncate
from bot.services.bus import MessageBus
from bot.services.commands import FileHotfix, Reply, ScanFileLane

__all__ = ["FOLDER", "PATTERN", "FileLaneWriter", "outcome_notes", "parse_task_file", "scan_file_lane"]

log = logging.getLogger(__name__)
FOLDER = "tasks/hotfix"
PATTERN = "HOTFIX-*.md"
MAX_TASK_CHARS = 4000


def parse_task_file(text: str, *, fallback: str) -> tuple[str, str]:
    """(title, description): the first Markdown heading is the title, the rest the description."""
    lines = strip_control(text).splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            title = line.lstrip().lstrip("#").strip()
            body = "\n".join(lines[:i] + lines[i + 1:]).strip()
            if title:
                return truncate(title, 120), truncate(body or title, MAX_TASK_CHARS)
    body = "\n".join(lines).strip()
    first = next((line.strip() for line in lines if line.strip()), fallback)
    return truncate(first, 120), truncate(body or first, MAX_TASK_CHARS)


async def scan_file_lane(cmd: ScanFileLane, bus: MessageBus) -> Reply:
    filed = 0
    for repo in bus.deps.config.repos:
        try:
            files = await bus.deps.workspace.list_base_files(repo_path=repo.path, base_branch=repo.base_branch,
                                                             folder=FOLDER, pattern=PATTERN)
        except Exception as e:
            log.warning("file lane: cannot read %s/%s: %s", repo.name, FOLDER, str(e)[:160])
            continue
        with bus.deps.uow() as uow:
            known = {h.lane_path for h in uow.hotfixes.list(repo=repo.name) if h.lane == "file"}
        for path in sorted(set(files) - known):
            filed += await _file(bus, repo, path, files[path])
    return Reply(text=f"{filed} filed from the file lane")


async def _file(bus: MessageBus, repo: RepoConfig, path: str, text: str) -> int:
    requester = repo.file_lane_requester or bus.deps.config.people.triage_owner
    if not repo.channels or not requester:
        log.warning("file lane: %s needs channels and a file_lane_requester (or triage owner)", repo.name)
        return 0
    title, description = parse_task_file(text, fallback=path.rsplit("/", 1)[-1])
    conversation = ConversationRef.parse(repo.channels[0])
    reply = await bus.handle(FileHotfix(actor=requester, conversation=conversation, repo=repo.name, title=title,
                                        description=description, lane="file", lane_path=path))
    try:
        await bus.deps.notifier.reply(conversation, f"📄 New hotfix from {path}: {reply.text}")
    except Exception:
        log.warning("file lane: could not announce %s", path)
    return 1 if reply.hotfix_id is not None else 0


def outcome_notes(h: Hotfix, *, outcome: str) -> str:
    lines = ["", "", f"## Outcome ({h.hid})", "", f"- State: {outcome}"]
    if h.branch:
        lines.append(f"- Branch: {h.branch}")
    if h.verification:
        v = h.verification
        lines.append(f"- Verification: `{v.command}` → exit {v.exit_code}: {v.summary}")
    if h.failure_reason:
        lines.append(f"- Reason: {h.failure_reason}")
    if h.report:
        lines += ["", "### Agent report and manual verification steps", "", h.report.strip()]
    return redact("\n".join(lines)) + "\n"


class FileLaneWriter:
    """Appends the outcome to the task file when a file-lane hotfix ends without shipping (a shipped one
    already carries its notes, written before the review)."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        bus.subscribe(self.on_event)

    async def on_event(self, event: DomainEvent) -> None:
        if not isinstance(event, StateChanged) or event.new not in (State.STOPPED, State.FAILED, State.DISCARDED):
            return
        h = self.bus.read(event.number)
        if h.lane != "file" or not h.lane_path or not h.worktree:
            return
        try:
            await self.bus.deps.workspace.append_file(worktree=h.worktree, path=h.lane_path,
                                                      text=outcome_notes(h, outcome=event.new.value))
        except Exception:
            log.warning("file lane: could not write the outcome of %s", h.hid)
