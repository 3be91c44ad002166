"""Cards follow committed state: the event handler that posts and edits every card a person sees."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.domain.audit import (
    ApprovalDecided,
    ApprovalNudged,
    ApprovalRequested,
    DomainEvent,
    HotfixChanged,
    HotfixFiled,
    ReviewReady,
    StateChanged,
)
from bot.domain.hotfix import Hotfix
from bot.domain.noise import queue_noise
from bot.domain.queue import frozen_reason, queue_order, queue_position
from bot.domain.values import ApprovalKind, ConversationRef, Priority, State
from bot.ports import Notifier
from bot.render.card import Card
from bot.render.cards import CardContext, approval_card, review_card, status_card
from bot.render.excerpt import diffstat, excerpt_diff
from bot.render.redact import redact
from bot.render.text import one_line
from bot.services.bus import MessageBus

__all__ = ["CardPublisher", "card_context", "status_card_for"]

log = logging.getLogger(__name__)
NOISE_MEMORY = 200  # warnings already sent to the triage owner, remembered to avoid repeating them
RUNTIME_KINDS = (ApprovalKind.COMMAND, ApprovalKind.ESCALATION, ApprovalKind.SCOPE)
RECONCILE_ENDED_WITHIN = timedelta(days=1)
REDELIVER_FIRST_WAIT = 2.0  # seconds
REDELIVER_MAX_WAIT = 60.0


def card_context(bus: MessageBus, hotfix: Hotfix, *, position: int | None = None) -> CardContext:
    people = bus.deps.config.people
    with bus.deps.uow() as uow:
        if position is None and hotfix.state is State.QUEUED:
            position = queue_position(hotfix, uow.hotfixes.queue())
        freeze = frozen_reason(uow.freezes.all(), hotfix.repo)
    return CardContext(
        now=bus.deps.clock.now(),
        queue_position=position,
        frozen=freeze.reason if freeze else None,
        approvers=people.who_may_approve(ApprovalKind.COMMAND, requester=hotfix.requester),
        escalation=people.who_may_approve(ApprovalKind.ESCALATION, requester=hotfix.requester),
        triage_owner=people.triage_owner,
    )


def status_card_for(bus: MessageBus, hotfix: Hotfix) -> Card:
    return status_card(hotfix, card_context(bus, hotfix))


class CardPublisher:
    """Subscribed to the bus; renders from the freshly committed hotfix, never from the event's payload."""

    def __init__(self, bus: MessageBus, notifier: Notifier) -> None:
        self.bus = bus
        self.notifier = notifier
        self._noise_sent: set[str] = set()
        self._undelivered: set[int] = set()  # hotfixes with a card that could not be posted yet
        self._redelivery: asyncio.Task[None] | None = None

    async def __call__(self, event: DomainEvent) -> None:
        try:
            await self._publish(event)
        except Exception:  # the chat platform is down for longer than a post's retries: keep trying later
            log.warning("a card of HF-%s could not be delivered; trying again in the background", event.number,
                        exc_info=True)
            self._deliver_later(event.number)

    async def _publish(self, event: DomainEvent) -> None:
        hotfix = self.bus.read(event.number)
        match event:
            case HotfixFiled():
                await self._post_status(hotfix)
                await self._warn_triage(hotfix)
            case StateChanged() | HotfixChanged():
                await self.refresh_status(hotfix)
                if isinstance(event, StateChanged) and event.old is State.QUEUED:
                    await self._refresh_queue()
                if isinstance(event, StateChanged) and hotfix.is_terminal and hotfix.review_message:
                    await self._edit_review(hotfix)
            case ApprovalRequested() if hotfix.approval(event.approval_id).kind in RUNTIME_KINDS:
                await self._post_approval(hotfix, event.approval_id)
            case ApprovalDecided():
                await self._approval_decided(hotfix, event.approval_id)
            case ReviewReady():
                await self._post_review(hotfix)
                await self._warn_noise(with_files=True)
            case ApprovalNudged():
                await self._nudge(hotfix, event.approval_id, event.step)

    async def reconcile(self) -> None:
        """At start: every card of an open hotfix, or of one that ended within ``RECONCILE_ENDED_WITHIN`` (the
        bot may have died between the last commit and its card edits), is brought up to date with what was
        committed while the bot (or the chat platform) was down; decided approvals lose their buttons, and any
        card that never made it out is posted now. Edits of unchanged cards are no-ops on the platform."""
        now = self.bus.deps.clock.now()
        with self.bus.deps.uow() as uow:
            hotfixes = [h for h in uow.hotfixes.list() if not h.is_terminal
                        or (h.updated_at is not None and now - h.updated_at <= RECONCILE_ENDED_WITHIN)]
        for hotfix in hotfixes:
            try:
                await self._reconcile_one(hotfix)
            except Exception:
                log.warning("could not bring the cards of %s up to date", hotfix.hid, exc_info=True)
                self._deliver_later(hotfix.number)

    def _deliver_later(self, number: int) -> None:
        self._undelivered.add(number)
        if self._redelivery is None or self._redelivery.done():
            self._redelivery = asyncio.get_running_loop().create_task(self._redeliver(), name="card-redelivery")

    async def _redeliver(self) -> None:
        """Until every undelivered card is out: reconcile those hotfixes (post what is missing, edit the rest to
        the committed state), backing off from ``REDELIVER_FIRST_WAIT`` to ``REDELIVER_MAX_WAIT`` seconds."""
        wait = REDELIVER_FIRST_WAIT
        while self._undelivered:
            await asyncio.sleep(wait)
            for number in sorted(self._undelivered):
                try:
                    await self._reconcile_one(self.bus.read(number))
                except Exception as e:
                    log.info("cards of HF-%s still undelivered (%s)", number, type(e).__name__)
                else:
                    self._undelivered.discard(number)
            wait = min(wait * 2, REDELIVER_MAX_WAIT)

    def close(self) -> None:
        """Stop trying to deliver (the bot stops; the next start reconciles every card)."""
        if self._redelivery is not None:
            self._redelivery.cancel()

    async def _reconcile_one(self, hotfix: Hotfix) -> None:
        await self.refresh_status(hotfix)
        context = card_context(self.bus, hotfix)
        for approval in hotfix.approvals:
            if approval.kind not in RUNTIME_KINDS:
                continue
            if approval.pending and approval.message is None and not hotfix.is_terminal:
                await self._post_approval(self.bus.read(hotfix.number), approval.id)
            elif not approval.pending and approval.message is not None:
                await self.notifier.edit(approval.message, approval_card(hotfix, approval, context))
        if hotfix.state is State.REVIEW and hotfix.review_message is None:
            await self._post_review(self.bus.read(hotfix.number))
        elif hotfix.review_message is not None:
            await self._edit_review(hotfix)

    async def _post_status(self, hotfix: Hotfix) -> None:
        ref = await self.notifier.post(hotfix.conversation, status_card_for(self.bus, hotfix), thread=None)
        await self.bus.mutate(hotfix.number, lambda h, _u: setattr(h, "card", ref))

    async def refresh_status(self, hotfix: Hotfix) -> None:
        if hotfix.card is None:
            await self._post_status(hotfix)
        else:
            await self.notifier.edit(hotfix.card, status_card_for(self.bus, hotfix))

    async def _refresh_queue(self) -> None:
        """Everyone behind a hotfix that left the queue moved up: their cards show the new positions."""
        with self.bus.deps.uow() as uow:
            queued = uow.hotfixes.list(states=[State.QUEUED])
        for position, h in enumerate(queue_order(queued), start=1):
            if h.card is not None:
                await self.notifier.edit(h.card, status_card(h, card_context(self.bus, h, position=position)))

    async def _post_approval(self, hotfix: Hotfix, approval_id: str) -> None:
        approval = hotfix.approval(approval_id)
        card = approval_card(hotfix, approval, card_context(self.bus, hotfix))
        ref = await self.notifier.post(hotfix.conversation, card, thread=hotfix.card)

        def remember(h: Hotfix, _u: object) -> None:
            h.approval(approval_id).message = ref

        await self.bus.mutate(hotfix.number, remember)

    async def _approval_decided(self, hotfix: Hotfix, approval_id: str) -> None:
        approval = hotfix.approval(approval_id)
        if approval.kind in RUNTIME_KINDS and approval.message is not None:
            await self.notifier.edit(approval.message, approval_card(hotfix, approval,
                                                                     card_context(self.bus, hotfix)))
        elif hotfix.review_message is not None:
            await self._edit_review(hotfix)

    async def _post_review(self, hotfix: Hotfix) -> None:
        excerpt, stat = await self._excerpt(hotfix)
        card = review_card(hotfix, card_context(self.bus, hotfix), excerpt=excerpt, stat=stat)
        old = hotfix.review_message
        ref = await self.notifier.post(hotfix.conversation, card, thread=hotfix.card)
        await self.bus.mutate(hotfix.number, lambda h, _u: setattr(h, "review_message", ref))
        if old is not None:
            superseded = Card(key=f"review-old:{hotfix.number}", kind="review", title=f"{hotfix.hid} · review",
                              hotfix_id=hotfix.number, decided="Superseded by a newer review")
            await self.notifier.edit(old, superseded)

    async def _edit_review(self, hotfix: Hotfix) -> None:
        assert hotfix.review_message is not None
        excerpt, stat = await self._excerpt(hotfix)
        card = review_card(hotfix, card_context(self.bus, hotfix), excerpt=excerpt, stat=stat)
        await self.notifier.edit(hotfix.review_message, card)

    async def _excerpt(self, hotfix: Hotfix) -> tuple[str, str]:
        if hotfix.diff is None or not hotfix.diff.files or not hotfix.worktree or not hotfix.base_sha:
            return "", "no changes"
        try:
            diff = await self.bus.deps.workspace.diff(worktree=hotfix.worktree, base_sha=hotfix.base_sha)
        except Exception:
            log.warning("could not re-read the diff of %s", hotfix.hid)
            return "", f"{hotfix.diff.files} files, +{hotfix.diff.added} −{hotfix.diff.removed}"
        if diff.sha256 != hotfix.diff.sha256:
            return "(the diff changed since review; press Approve to see the new one)", diffstat(diff)
        return excerpt_diff(diff, max_lines=30, max_line_chars=80), diffstat(diff)

    async def _nudge(self, hotfix: Hotfix, approval_id: str, step: str) -> None:
        approval = hotfix.approval(approval_id)
        people = self.bus.deps.config.people
        waited = int((self.bus.deps.clock.now() - approval.requested_at).total_seconds() // 60)
        what = one_line(redact(approval.subject), 120)
        who = people.who_may_approve(approval.kind, requester=hotfix.requester)
        if step == "escalate":
            oncall = sorted(people.escalation - {hotfix.requester})
            text = (f"🚨 {hotfix.label} has waited {waited} min for an approval ({what}); escalated to on-call: "
                    f"{', '.join(oncall) or 'nobody configured'}")
            for person in oncall:
                await self._safe_reply(ConversationRef.parse(person), text)
        else:
            text = f"⏰ {hotfix.label} still waits for an approval after {waited} min ({what}): {', '.join(who)}"
        try:
            await self.notifier.reply(hotfix.conversation, text, thread=hotfix.card)
        except Exception:
            log.warning("could not post the reminder of %s", hotfix.hid)

    async def _warn_triage(self, hotfix: Hotfix) -> None:
        people = self.bus.deps.config.people
        if not people.triage_owner:
            return
        owner = ConversationRef.parse(people.triage_owner)
        if hotfix.state is State.TRIAGE:
            await self._safe_reply(owner, f"{hotfix.label} is held for triage: {hotfix.triage_reason} — "
                                          f"accept {hotfix.number} or reject {hotfix.number} <reason>")
        await self._warn_noise(with_files=False)

    async def _warn_noise(self, *, with_files: bool) -> None:
        """Queue-noise signals for the triage owner: many open p0s, a long queue (checked at filing), the same
        file touched by several hotfixes in a week (checked when a review is ready), each sent once."""
        owner = self.bus.deps.config.people.triage_owner
        warnings = self._noise(with_files=with_files)
        if owner and warnings and not set(warnings) <= self._noise_sent:
            if len(self._noise_sent) > NOISE_MEMORY:
                self._noise_sent.clear()
            self._noise_sent |= set(warnings)
            await self._safe_reply(ConversationRef.parse(owner), "Hotfix queue noise: " + "; ".join(warnings))

    def _noise(self, *, with_files: bool) -> tuple[str, ...]:
        now = self.bus.deps.clock.now()
        touches: dict[str, int] = {}
        with self.bus.deps.uow() as uow:
            open_ones = uow.hotfixes.queue()
            recent = uow.hotfixes.list(since=now - timedelta(days=7)) if with_files else []
        for h in recent:
            for path in set(h.files_touched) | set(h.diff.paths if h.diff else ()):
                touches[path] = touches.get(path, 0) + 1
        return queue_noise(open_p0=sum(1 for h in open_ones if h.priority is Priority.P0),
                           queue_length=sum(1 for h in open_ones if h.state is State.QUEUED),
                           file_touches=touches)

    async def _safe_reply(self, conversation: ConversationRef, text: str) -> None:
        try:
            await self.notifier.reply(conversation, text)
        except Exception:
            log.warning("could not notify %s", conversation.platform)
