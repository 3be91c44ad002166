"""Card and text -> Telegram HTML and inline keyboards. Pure: no network, no state.

Every text field is escaped with ``html.escape``. A message is at most 4096 characters; lengths are measured on
the escaped HTML in UTF-16 code units, which is never less than what Telegram counts after parsing the
entities, so a rendered message always fits. When something has to go, the code block is cut first, then the
body, then the header, each with a visible marker; nothing is cut silently.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.render.card import Button, Card

__all__ = [
    "CALLBACK_ANSWER_LIMIT",
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "PROMPT_TAG",
    "RenderedMessage",
    "force_reply",
    "keyboard_for",
    "prompt_hotfix_id",
    "render_callback_answer",
    "render_caption",
    "render_card",
    "render_prompt",
    "render_text",
    "telegram_length",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
CALLBACK_ANSWER_LIMIT = 200
FIELD_VALUE_LIMIT = 300
CODE_SHARE = 1200  # what the code block keeps when the body is too long as well
_CODE_HINT = " (the full text is in the audit log or Full diff)"

# The last line of a Revise prompt; a reply to a message ending with it is that hotfix's feedback.
PROMPT_TAG = "↩ Reply to this message with your feedback for HF-{number}."
_PROMPT_TAG_RE = re.compile(r"↩ Reply to this message with your feedback for HF-([1-9][0-9]{0,8})\.\s*\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedMessage:
    html: str  # parse_mode HTML
    keyboard: InlineKeyboardMarkup | None


def telegram_length(text: str) -> int:
    """Length in UTF-16 code units (how Telegram measures text and entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _escaped_length(text: str) -> int:
    return telegram_length(html.escape(text, quote=False))


def _fit(text: str, budget: int, *, what: str = "") -> str:
    """``text`` if it fits ``budget`` once escaped; else its longest head that fits, plus a visible marker."""
    if _escaped_length(text) <= budget:
        return text
    longest_marker = f"\n… truncated: {len(text)} more characters{what}"
    room = budget - _escaped_length(longest_marker)
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose escaped form fits ``room``
        middle = (low + high + 1) // 2
        if _escaped_length(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    cut = text.rfind("\n", 0, low + 1)
    head = text[:cut] if cut >= low * 0.6 else text[:low]
    return head + _marker(text, head, what)


def _marker(text: str, head: str, what: str) -> str:
    """Whole lines left out -> "N more lines"; otherwise "N more characters"."""
    rest = text[len(head) :]
    if rest.startswith("\n"):
        lines = rest.count("\n")
        return f"\n… truncated: {lines} more line{'s' if lines != 1 else ''}{what}"
    return f"\n… truncated: {len(rest)} more characters{what}"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def render_text(text: str, *, limit: int = MESSAGE_LIMIT) -> str:
    """Plain text -> escaped HTML of at most ``limit`` characters (with a marker if cut)."""
    return _escape(_fit(text or " ", limit))


def render_caption(text: str) -> str:
    return render_text(text, limit=CAPTION_LIMIT)


def render_callback_answer(text: str) -> str:
    """A callback answer is plain text (no parse mode) of at most 200 characters."""
    if telegram_length(text) <= CALLBACK_ANSWER_LIMIT:
        return text
    return _fit_plain_line(text, CALLBACK_ANSWER_LIMIT)


def _fit_plain_line(text: str, limit: int) -> str:
    if telegram_length(text) <= limit:
        return text
    head = text
    while telegram_length(head) > limit - 1:
        head = head[: -max(1, (telegram_length(head) - limit + 1) // 2)]
    return head + "…"


def render_prompt(prompt: str, hotfix_id: int, *, person_id: int | None = None, person_name: str = "") -> str:
    """The prompt, addressed to the person (a mention, so a selective ForceReply reaches them in a group)."""
    tag = PROMPT_TAG.format(number=hotfix_id)
    mention = ""
    if person_id is not None:
        mention = f'<a href="tg://user?id={int(person_id)}">{_escape(_fit_plain_line(person_name or "you", 64))}</a>, '
    limit = MESSAGE_LIMIT - telegram_length(mention) - len(tag) - 2
    return mention + render_text(prompt, limit=limit) + "\n\n" + _escape(tag)


def prompt_hotfix_id(text: str | None) -> int | None:
    """The hotfix id named by a Revise prompt the bot posted, or None for any other message."""
    match = _PROMPT_TAG_RE.search(text or "")
    return int(match.group(1)) if match else None


def force_reply(hotfix_id: int) -> ForceReply:
    return ForceReply(selective=True, input_field_placeholder=f"What should change in HF-{hotfix_id}?")


def keyboard_for(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One row for up to three buttons, else rows of two. Raises ValueError for a payload over 64 bytes."""
    if not buttons:
        return None
    keys = [_key(button) for button in buttons]
    width = len(keys) if len(keys) <= 3 else 2
    return InlineKeyboardMarkup([keys[i : i + width] for i in range(0, len(keys), width)])


def _key(button: Button) -> InlineKeyboardButton:
    payload = button.payload
    size = len(payload.encode("utf-8"))
    if not 1 <= size <= CALLBACK_DATA_LIMIT:
        raise ValueError(f"button payload is {size} bytes; Telegram allows 1-{CALLBACK_DATA_LIMIT}")
    return InlineKeyboardButton(text=button.label[:64] or "?", callback_data=payload)


def render_card(card: Card) -> RenderedMessage:
    return RenderedMessage(html=_card_html(card), keyboard=keyboard_for(card.buttons))


def _card_html(card: Card) -> str:
    """Cut the code block first; when the body alone is too long, keep a share of the code and cut the body."""
    head, body, code, label, tail = _head(card), "\n\n".join(card.body), card.code, card.code_label, _tail(card)
    text = _assemble(head, body, code, label, tail)
    if telegram_length(text) <= MESSAGE_LIMIT:
        return text
    if code:
        room = MESSAGE_LIMIT + 1 - telegram_length(_assemble(head, body, "x", label, tail))
        code = _fit(code, max(room, CODE_SHARE), what=_CODE_HINT)
        text = _assemble(head, body, code, label, tail)
        if telegram_length(text) <= MESSAGE_LIMIT:
            return text
    room = MESSAGE_LIMIT + 1 - telegram_length(_assemble(head, "x", code, label, tail))
    text = _assemble(head, _fit(body, max(room, 0)), code, label, tail)
    if telegram_length(text) <= MESSAGE_LIMIT:
        return text
    return render_text(card.fallback_text())  # only a pathological header gets here


def _head(card: Card) -> str:
    lines = [f"<b>{_escape(_fit(card.title, FIELD_VALUE_LIMIT))}</b>"]
    if card.badges:
        lines.append(" ".join(f"[{_escape(_fit(badge, 60))}]" for badge in card.badges))
    for field in card.fields:
        label, value = _escape(_fit(field.label, 60)), _escape(_fit(field.value, FIELD_VALUE_LIMIT))
        lines.append(f"<b>{label}:</b> {value}")
    if card.blocker:
        lines.append(f"<i>⏳ {_escape(_fit(card.blocker, FIELD_VALUE_LIMIT))}</i>")
    return "\n".join(lines)


def _tail(card: Card) -> str:
    if card.decided and not card.buttons:
        return f"<b>{_escape(_fit(card.decided, FIELD_VALUE_LIMIT))}</b>"
    return ""


def _assemble(head: str, body: str, code: str | None, code_label: str | None, tail: str) -> str:
    parts = [head]
    if body:
        parts.append(_escape(body))
    if code:
        label = f"<b>{_escape(_fit(code_label, 100))}</b>\n" if code_label else ""
        parts.append(f"{label}<pre>{_escape(code)}</pre>")
    if tail:
        parts.append(tail)
    return "\n\n".join(parts)
