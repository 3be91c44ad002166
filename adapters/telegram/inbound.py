"""Telegram update -> core command. Translation only: who may do what is the core's business.

Actors are ``telegram:<user id>``; conversations ``ConversationRef("telegram", <chat id>)``; messages
``MessageRef(conversation, <message id>, thread=<forum topic id or None>)``.
"""

from __future__ import annotations

from telegram import CallbackQuery, Chat, Message, MessageEntity, User

from adapters.telegram.outbound import prompt_hotfix_id
from bot.domain.values import ConversationRef, MessageRef
from bot.services import grammar
from bot.services.commands import ButtonAction, Command, Help, PressButton, ReviseHotfix

__all__ = [
    "PLATFORM",
    "actor_of",
    "conversation_of",
    "help_from_message",
    "hotfix_from_message",
    "is_bot",
    "message_ref",
    "press_from_callback",
    "revise_from_reply",
]

PLATFORM = "telegram"


def actor_of(user: User | None) -> str:
    return f"{PLATFORM}:{user.id}" if user else f"{PLATFORM}:unknown"


def is_bot(user: User | None) -> bool:
    """No user (a channel post, an anonymous admin) counts as not a person, like a bot account."""
    return user is None or user.is_bot


def conversation_of(chat: Chat) -> ConversationRef:
    return ConversationRef(platform=PLATFORM, key=str(chat.id))


def message_ref(message: Message) -> MessageRef:
    topic = message.message_thread_id if message.is_topic_message else None
    return MessageRef(
        conversation=conversation_of(message.chat),
        key=str(message.message_id),
        thread=str(topic) if topic is not None else None,
    )


def _text_after_command(message: Message) -> str:
    """What follows the leading ``/hotfix`` or ``/hotfix@BotName`` (the bot_command entity at offset 0)."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            try:  # an entity that does not fit the text (half a surrogate pair, a lone surrogate…)
                command = message.parse_entity(entity)
            except (RuntimeError, UnicodeError, IndexError):
                return text  # the grammar strips a leading /hotfix itself
            return text[len(command) :]
    return text


def hotfix_from_message(message: Message) -> Command:
    """``/hotfix …`` -> whatever the grammar makes of it (a UsageError when it does not parse)."""
    return grammar.parse(
        _text_after_command(message),
        actor=actor_of(message.from_user),
        conversation=conversation_of(message.chat),
        source=message_ref(message),
        actor_is_bot=is_bot(message.from_user),
    )


def help_from_message(message: Message) -> Help:
    """``/start`` and ``/help``."""
    return Help(
        actor=actor_of(message.from_user),
        conversation=conversation_of(message.chat),
        source=message_ref(message),
        actor_is_bot=is_bot(message.from_user),
    )


def press_from_callback(query: CallbackQuery) -> PressButton | None:
    """A button press, or None when the payload is not one of ours (answer "no longer valid")."""
    action_text, sep, token = (query.data or "").partition(":")
    if not sep or not token:
        return None
    try:
        action = ButtonAction(action_text)
    except ValueError:
        return None
    message = query.message
    if isinstance(message, Message):
        conversation, source = conversation_of(message.chat), message_ref(message)
    elif message is not None:  # too old to be accessible: only the chat is known
        conversation, source = conversation_of(message.chat), None
    else:  # an inline-mode message: answer in the presser's private chat
        conversation, source = ConversationRef(platform=PLATFORM, key=str(query.from_user.id)), None
    return PressButton(
        action=action,
        token=token,
        actor=actor_of(query.from_user),
        conversation=conversation,
        source=source,
        actor_is_bot=is_bot(query.from_user),
    )


def revise_from_reply(message: Message, *, bot_id: int) -> ReviseHotfix | None:
    """A reply to the bot's Revise prompt -> ReviseHotfix; any other message -> None (ignored)."""
    prompt = message.reply_to_message
    if prompt is None or prompt.from_user is None or prompt.from_user.id != bot_id:
        return None
    hotfix_id = prompt_hotfix_id(prompt.text)
    if hotfix_id is None or not message.text:
        return None
    return ReviseHotfix(
        hotfix_id=hotfix_id,
        feedback=message.text.strip(),
        actor=actor_of(message.from_user),
        conversation=conversation_of(message.chat),
        source=message_ref(message),
        actor_is_bot=is_bot(message.from_user),
    )
