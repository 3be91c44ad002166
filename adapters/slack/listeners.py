"""Bolt listeners: acknowledge Slack, hand the command to the core, deliver the core's reply. No decisions.

* ``/hotfix``: the command goes to the sink first (it persists); the ack carries the reply when the sink
  answers within ``ack_budget`` seconds, otherwise the ack says "Got it — filing…" and the reply follows
  through ``respond()`` (the command's ``response_url``).
* buttons: empty ack at once, then the sink; the reply is shown to the presser only (ephemeral), unless the
  core marks it public, in which case it goes into the card's thread. A value that is not ours is answered
  "This button is no longer valid." and reaches no one.
* the revise modal: its submission becomes ``ReviseHotfix``.
* ``app_mention`` events: the same grammar as ``/hotfix``; Events API retries are dropped by ``event_id``
  (bolt does not deduplicate them).

Every listener acknowledges itself and then hands what is left (the core's answer, uploads, modals) to a
tracked background task, so bolt runs with ``process_before_response=True`` and answers Slack as soon as
the listener returns, without polling for the ack.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import ErrorBoundary
from adapters.slack.inbound import (
    actor_of,
    command_from_mention,
    command_from_slash,
    conversation_of,
    press_from_action,
    revise_from_view,
)
from adapters.slack.notifier import SlackNotifier
from adapters.slack.outbound import (
    REVISE_BLOCK_ID,
    REVISE_CALLBACK_ID,
    RevisePrompt,
    SlackActionId,
    render_text,
    revise_modal,
)
from bot.domain.values import ConversationRef, MessageRef
from bot.ports import CommandSink
from bot.services.commands import Command, Reply

__all__ = ["SLASH_COMMAND", "SlackListeners", "register_listeners"]

SLASH_COMMAND = "/hotfix"
FILING_ACK = "Got it — filing…"
STALE_BUTTON = "This button is no longer valid."
STALE_FORM = "This form is no longer valid."
_SEEN_EVENTS = 2048

Answer = Callable[[str], Awaitable[object]]


class SlackListeners:
    def __init__(
        self,
        *,
        sink: CommandSink,
        notifier: SlackNotifier,
        client: AsyncWebClient,
        boundary: ErrorBoundary,
        ack_budget: float = 2.0,
    ) -> None:
        self._sink = sink
        self._notifier = notifier
        self._client = client
        self._boundary = boundary
        self._ack_budget = ack_budget
        self._seen_events: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._background: set[asyncio.Future[object]] = set()

    # --- /hotfix -------------------------------------------------------------------------------------------

    async def on_slash(self, *, ack: AsyncAck, body: Mapping[str, Any], respond: AsyncRespond) -> None:
        started: list[tuple[Command, asyncio.Future[Reply]]] = []
        reply_in_ack = False

        async def acknowledge() -> None:
            nonlocal reply_in_ack
            command = command_from_slash(body)
            handling = self._submit(command)
            started.append((command, handling))
            done, _ = await asyncio.wait({handling}, timeout=self._ack_budget)
            if handling in done:
                reply = handling.result()  # a failure raises here, so the ack carries the apology
                await ack(text=render_text(reply.text), response_type=_response_type(reply))
                reply_in_ack = True
            else:
                await ack(text=FILING_ACK, response_type="ephemeral")

        async def apologise_in_ack(text: str) -> None:
            await ack(text=render_text(text), response_type="ephemeral")

        if not await self._boundary.guard(acknowledge, where="slash command", answer=apologise_in_ack):
            return
        [(command, handling)] = started
        if reply_in_ack and not _needs_follow_up(handling.result()):
            return

        async def finish() -> None:
            reply = await handling
            if not reply_in_ack:
                await respond(text=render_text(reply.text), response_type=_response_type(reply))
            await self._follow_up(reply, command, trigger_id=body.get("trigger_id"), thread=None)

        async def apologise_later(text: str) -> None:
            await respond(text=render_text(text), response_type="ephemeral")

        self._spawn(self._boundary.guard(finish, where="slash command", answer=apologise_later))

    # --- buttons -------------------------------------------------------------------------------------------

    async def on_button(
        self, *, ack: AsyncAck, body: Mapping[str, Any], action: Mapping[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        answer = _ephemeral_answer(respond, body, self._notifier)

        async def work() -> None:
            press = press_from_action(body, action)
            if press is None:
                await answer(STALE_BUTTON)
                return
            reply = await self._submit(press)
            if reply.private or not reply.ok:
                await answer(reply.text)
            else:
                await self._notifier.reply(press.conversation, reply.text, thread=press.source)
            await self._follow_up(reply, press, trigger_id=body.get("trigger_id"), thread=press.source)

        self._spawn(self._boundary.guard(work, where="button", answer=answer))

    # --- the revise modal ----------------------------------------------------------------------------------

    async def on_revise_submit(self, *, ack: AsyncAck, body: Mapping[str, Any], view: Mapping[str, Any]) -> None:
        command = revise_from_view(body, view)
        if command is None:
            await ack(response_action="errors", errors={REVISE_BLOCK_ID: STALE_FORM})
            return
        await ack()

        async def answer(text: str) -> None:
            await self._notifier.reply(command.conversation, text, thread=command.source, ephemeral_to=command.actor)

        async def work() -> None:
            reply = await self._submit(command)
            await self._deliver_to_conversation(reply, command)

        self._spawn(self._boundary.guard(work, where="revise form", answer=answer))

    # --- events --------------------------------------------------------------------------------------------

    async def on_mention(self, *, event: Mapping[str, Any]) -> None:
        command = command_from_mention(event)

        async def answer(text: str) -> None:
            await self._notifier.reply(command.conversation, text, thread=command.source)

        async def work() -> None:
            reply = await self._submit(command)
            await self._deliver_to_conversation(reply, command)
            await self._follow_up(reply, command, trigger_id=None, thread=command.source)

        self._spawn(self._boundary.guard(work, where="mention", answer=answer))

    # --- handing commands to the core ----------------------------------------------------------------------

    def _submit(self, command: Command) -> asyncio.Future[Reply]:
        """Hand ``command`` to the core (which persists before it answers)."""
        return asyncio.ensure_future(self._sink.handle(command))

    # --- background work after the ack ---------------------------------------------------------------------

    def _spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self, *, timeout: float = 5.0) -> None:
        """Let work that already started after an ack finish (bounded), then cancel what is left."""
        pending = set(self._background)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def is_repeated_event(self, body: Mapping[str, Any]) -> bool:
        """True for an Events API delivery already seen (Slack retries on timeouts and errors)."""
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not isinstance(event_id, str):
            return False
        if event_id in self._seen_events:
            return True
        self._seen_events[event_id] = None
        while len(self._seen_events) > _SEEN_EVENTS:
            self._seen_events.popitem(last=False)
        return False

    # --- delivery ------------------------------------------------------------------------------------------

    async def _deliver_to_conversation(self, reply: Reply, command: Command) -> None:
        private = reply.private or not reply.ok
        await self._notifier.reply(
            command.conversation,
            reply.text,
            thread=command.source,
            ephemeral_to=command.actor if private else None,
        )

    async def _follow_up(
        self, reply: Reply, command: Command, *, trigger_id: object, thread: MessageRef | None
    ) -> None:
        """What a reply asks for beyond its text: a file to upload, or free text to ask for."""
        if reply.attachment is not None:
            attachment = reply.attachment
            await self._notifier.upload(command.conversation, attachment.filename, attachment.content, thread=thread)
        if reply.prompt is not None and reply.hotfix_id is not None:
            await self._open_revise_modal(reply, command.conversation, trigger_id, thread, command.actor)

    async def _open_revise_modal(
        self,
        reply: Reply,
        conversation: ConversationRef,
        trigger_id: object,
        thread: MessageRef | None,
        actor: str,
    ) -> None:
        assert reply.prompt is not None and reply.hotfix_id is not None
        target = RevisePrompt(
            hotfix_id=reply.hotfix_id,
            conversation_key=conversation.key,
            thread=(thread.thread or thread.key) if thread else None,
        )
        try:
            if not isinstance(trigger_id, str) or not trigger_id:
                raise LookupError("no trigger")
            await self._client.views_open(trigger_id=trigger_id, view=revise_modal(reply.prompt, target))
        except (SlackApiError, LookupError):  # the trigger expired (3 s) or never existed: ask in text instead
            hint = f"{reply.prompt} Reply with: /hotfix revise HF-{reply.hotfix_id} <what should change>"
            await self._notifier.reply(conversation, hint, thread=thread, ephemeral_to=actor)


def _needs_follow_up(reply: Reply) -> bool:
    return reply.attachment is not None or reply.prompt is not None


def _response_type(reply: Reply) -> str:
    return "ephemeral" if reply.private or not reply.ok else "in_channel"


def _ephemeral_answer(respond: AsyncRespond, body: Mapping[str, Any], notifier: SlackNotifier) -> Answer:
    """A one-line answer only the presser sees: through the response_url, else as an ephemeral message."""

    async def through_response_url(text: str) -> None:
        await respond(text=render_text(text), response_type="ephemeral", replace_original=False)

    async def as_ephemeral(text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        user = (body.get("user") or {}).get("id")
        if not channel or not user:
            raise LookupError("nowhere to answer this interaction")
        await notifier.reply(conversation_of(str(channel)), text, ephemeral_to=actor_of(str(user)))

    return through_response_url if body.get("response_url") else as_ephemeral


def register_listeners(app: AsyncApp, listeners: SlackListeners) -> None:
    """Wire the listeners into a bolt app (closures, so bolt sees plain argument names)."""

    async def on_slash(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await listeners.on_slash(ack=ack, body=body, respond=respond)

    async def on_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await listeners.on_button(ack=ack, body=body, action=action, respond=respond)

    async def on_revise_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await listeners.on_revise_submit(ack=ack, body=body, view=view)

    async def on_mention(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        if not listeners.is_repeated_event(body):  # Slack re-delivers events it thinks were missed
            await listeners.on_mention(event=event)

    app.command(SLASH_COMMAND)(on_slash)
    for action_id in SlackActionId:
        app.action(action_id.value)(on_button)
    app.view(REVISE_CALLBACK_ID)(on_revise_submit)
    app.event("app_mention")(on_mention)
