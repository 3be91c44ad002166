"""Slack payloads -> core commands. Pure translation: no permission, risk or state decisions.

* a ``/hotfix`` slash command (form fields) -> whatever the chat grammar makes of its text;
* a ``block_actions`` button press -> ``PressButton`` (``None`` when the payload is not one of ours);
* a revise modal submission -> ``ReviseHotfix``;
* an ``app_mention`` event -> the same as ``/hotfix`` with the mention's text (bot senders are flagged).

Slack sends typed text in its own markup (``&amp;``, ``<https://x|x>``, ``<@U1>``); it is turned back into
what the person typed before the grammar sees it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.slack.outbound import REVISE_BLOCK_ID, REVISE_INPUT_ID, RevisePrompt
from bot.domain.values import ConversationRef, MessageRef
from bot.services import grammar
from bot.services.commands import ButtonAction, Command, PressButton, ReviseHotfix

__all__ = [
    "PLATFORM",
    "actor_of",
    "command_from_mention",
    "command_from_slash",
    "conversation_of",
    "plain_from_slack",
    "press_from_action",
    "revise_from_view",
    "user_id_of",
]

PLATFORM = "slack"
_MAX_TOKEN = 2000
_MARKUP = re.compile(r"<([^<>\s|]+)(?:\|([^<>]*))?>")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^<>]*)?>\s*")


def actor_of(user_id: str) -> str:
    return f"{PLATFORM}:{user_id}"


def user_id_of(actor: str) -> str | None:
    """``slack:U111`` -> ``U111``; an actor from another platform -> None."""
    platform, sep, user_id = actor.partition(":")
    return user_id if sep and platform == PLATFORM and user_id else None


def conversation_of(channel_id: str) -> ConversationRef:
    return ConversationRef(platform=PLATFORM, key=channel_id)


def _unmark(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):  # <@U123> or <@U123|alice>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|ops>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@oncall>
        return label or "@" + target[1:].split("^")[0]
    if not label:
        return target
    if label == target or target.endswith("//" + label) or target == "mailto:" + label:
        return label  # Slack auto-linked what was typed: give back the typed text
    return f"{label} ({target})"


def plain_from_slack(text: str) -> str:
    """Slack markup back to what was typed: links, mentions, then the three escapes (``&amp;`` last)."""
    text = _MARKUP.sub(_unmark, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _parse_typed(
    text: str, *, actor: str, conversation: ConversationRef, source: MessageRef | None, actor_is_bot: bool
) -> Command:
    """The one place typed text meets the chat grammar."""
    return grammar.parse(text, actor=actor, conversation=conversation, source=source, actor_is_bot=actor_is_bot)


def command_from_slash(body: Mapping[str, Any]) -> Command:
    """A slash command's form fields -> a command. Slash commands are always sent by a person."""
    return _parse_typed(
        plain_from_slack(str(body.get("text") or "")),
        actor=actor_of(str(body["user_id"])),
        conversation=conversation_of(str(body["channel_id"])),
        source=None,
        actor_is_bot=False,
    )


def command_from_mention(event: Mapping[str, Any]) -> Command:
    """``@hotfix-bot <text>`` in a channel: the same grammar, answered in the mention's thread."""
    conversation = conversation_of(str(event["channel"]))
    ts = str(event["ts"])
    source = MessageRef(conversation=conversation, key=ts, thread=str(event.get("thread_ts") or ts))
    text = _LEADING_MENTION.sub("", str(event.get("text") or ""), count=1)
    is_bot = bool(event.get("bot_id")) or event.get("subtype") == "bot_message"
    actor = actor_of(str(event.get("user") or event.get("bot_id") or "unknown"))
    return _parse_typed(
        plain_from_slack(text), actor=actor, conversation=conversation, source=source, actor_is_bot=is_bot
    )


def _part(body: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """``body[k1][k2]…`` when every step is a mapping, else empty: payload shapes are not trusted."""
    found: object = body
    for key in keys:
        found = found.get(key) if isinstance(found, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _text_of(part: Mapping[str, Any], key: str) -> str | None:
    """A non-empty string or number field as text; anything else (lists, objects, blanks) counts as absent."""
    value = part.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value) or None


def _source_of(body: Mapping[str, Any], conversation: ConversationRef) -> MessageRef | None:
    container, message = _part(body, "container"), _part(body, "message")
    ts = _text_of(message, "ts") or _text_of(container, "message_ts")
    if not ts:
        return None
    thread = _text_of(message, "thread_ts") or _text_of(container, "thread_ts")
    return MessageRef(conversation=conversation, key=str(ts), thread=str(thread) if thread else None)


def _channel_id(body: Mapping[str, Any]) -> str | None:
    return _text_of(_part(body, "channel"), "id") or _text_of(_part(body, "container"), "channel_id")


def press_from_action(body: Mapping[str, Any], action: Mapping[str, Any]) -> PressButton | None:
    """A button press -> ``PressButton``; ``None`` when the value is not ``<action>:<token>`` of ours."""
    value = action.get("value")
    user = _part(body, "user")
    user_id = _text_of(user, "id")
    channel_id = _channel_id(body)
    if not isinstance(value, str) or user_id is None or channel_id is None:
        return None
    prefix, sep, token = value.partition(":")
    try:
        button_action = ButtonAction(prefix)
    except ValueError:
        return None
    if not sep or not token or len(token) > _MAX_TOKEN or not token.isprintable():
        return None
    conversation = conversation_of(channel_id)
    return PressButton(
        actor=actor_of(user_id),
        conversation=conversation,
        source=_source_of(body, conversation),
        actor_is_bot=bool(user.get("is_bot")),
        action=button_action,
        token=token,
    )


def revise_from_view(body: Mapping[str, Any], view: Mapping[str, Any]) -> ReviseHotfix | None:
    """A submitted revise modal -> ``ReviseHotfix``; ``None`` when its metadata is not ours."""
    target = RevisePrompt.from_metadata(str(view.get("private_metadata") or ""))
    user_id = _text_of(_part(body, "user"), "id")
    if target is None or user_id is None:
        return None
    feedback = _part(view, "state", "values", REVISE_BLOCK_ID, REVISE_INPUT_ID).get("value")
    feedback = feedback if isinstance(feedback, str) else ""
    conversation = conversation_of(target.conversation_key)
    source = MessageRef(conversation=conversation, key=target.thread, thread=target.thread) if target.thread else None
    return ReviseHotfix(
        actor=actor_of(user_id),
        conversation=conversation,
        source=source,
        hotfix_id=target.hotfix_id,
        feedback=feedback.strip(),
    )
