"""The python-telegram-bot handlers: translate an update, hand the command to the core, deliver the Reply.

One error boundary (``_handle``) turns any exception into a one-line reply with a short correlation id; the
traceback goes to the log only. Every button press is answered (``answerCallbackQuery``), with the core's reply
text; if the core takes longer than ``answer_within`` seconds the press is answered "Working on it…" and the
reply follows as a message.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from telegram import CallbackQuery, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from adapters.telegram import inbound
from adapters.telegram.notifier import TelegramNotifier
from adapters.telegram.outbound import CALLBACK_ANSWER_LIMIT, render_callback_answer, telegram_length
from bot.domain.values import ConversationRef, MessageRef
from bot.ports import CommandSink
from bot.services.commands import Command, Reply

__all__ = ["NO_LONGER_VALID", "TelegramHandlers"]

log = logging.getLogger(__name__)

NO_LONGER_VALID = "This button is no longer valid."
WORKING_ON_IT = "Working on it…"


class TelegramHandlers:
    def __init__(self, *, sink: CommandSink, notifier: TelegramNotifier, answer_within: float = 5.0) -> None:
        self._sink = sink
        self._notifier = notifier
        self._answer_within = answer_within

    def register(self, application: Application) -> None:
        new_messages = filters.UpdateType.MESSAGE  # edits of old messages never re-run a command
        application.add_handler(CommandHandler("hotfix", self.on_hotfix, filters=new_messages))
        application.add_handler(CommandHandler(["start", "help"], self.on_help, filters=new_messages))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(
            MessageHandler(new_messages & filters.REPLY & filters.TEXT & ~filters.COMMAND, self.on_reply)
        )
        application.add_error_handler(self.on_error)

    async def on_hotfix(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None:
            await self._run(inbound.hotfix_from_message(message), message)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None:
            await self._run(inbound.help_from_message(message), message)

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        command = inbound.revise_from_reply(message, bot_id=context.bot.id)
        if command is not None:
            await self._run(command, message)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        press = inbound.press_from_callback(query)
        if press is None:
            await self._answer(query, NO_LONGER_VALID, alert=False)
            return
        handling = asyncio.ensure_future(self._handle(press))
        done, _ = await asyncio.wait({handling}, timeout=self._answer_within)
        if not done:
            await self._answer(query, WORKING_ON_IT, alert=False)
            reply = await handling
            await self._deliver(reply, press.conversation, press.source, text=True, person=query.from_user)
            return
        reply = handling.result()
        await self._answer(query, reply.text or ("Done." if reply.ok else "Refused."), alert=not reply.ok)
        too_long = telegram_length(reply.text) > CALLBACK_ANSWER_LIMIT
        text = too_long or not reply.private
        await self._deliver(reply, press.conversation, press.source, text=text, person=query.from_user)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Errors outside our handlers (polling, PTB itself): log the type only, never the update's text."""
        log.warning("telegram error outside a handler: %s", type(context.error).__name__)

    async def _run(self, command: Command, message: Message) -> None:
        source = inbound.message_ref(message)
        reply = await self._handle(command)
        await self._deliver(reply, source.conversation, source, text=True, person=message.from_user)

    async def _handle(self, command: Command) -> Reply:
        """The error boundary: the core's Reply, or a one-line apology with a correlation id."""
        try:
            return await self._sink.handle(command)
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("handling %s failed [ref %s]", type(command).__name__, ref)
            return Reply(text=f"Something went wrong on our side (ref {ref}). Please try again.", ok=False)

    async def _deliver(
        self,
        reply: Reply,
        conversation: ConversationRef,
        source: MessageRef | None,
        *,
        text: bool,
        person: User | None,
    ) -> None:
        """Post what the press answer or the reply cannot carry: text, a file, a Revise prompt for ``person``."""
        try:
            if text and reply.text:
                await self._notifier.reply(conversation, reply.text, thread=source)
            if reply.attachment is not None:
                attachment = reply.attachment
                await self._notifier.upload(conversation, attachment.filename, attachment.content, thread=source)
            if reply.prompt and reply.hotfix_id is not None:
                await self._notifier.prompt(
                    conversation,
                    reply.prompt,
                    hotfix_id=reply.hotfix_id,
                    thread=source,
                    person_id=person.id if person else None,
                    person_name=person.first_name if person else "",
                )
        except Exception as error:
            log.warning("delivering a reply failed: %s", type(error).__name__, exc_info=True)

    async def _answer(self, query: CallbackQuery, text: str, *, alert: bool) -> None:
        try:
            await query.answer(text=render_callback_answer(text), show_alert=alert)
        except TelegramError as error:  # too old, network: the person sees a spinner stop, nothing breaks
            log.warning("answering a button press failed: %s", type(error).__name__)
