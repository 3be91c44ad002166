"""Card -> Block Kit, and plain text -> escaped mrkdwn. Pure functions, no I/O.

Slack's limits are enforced here, always with a visible truncation marker: at most 50 blocks per message,
3000 characters per section text, 75 per button label, 2000 per button value, 25 buttons per actions block.
Every piece of card text is untrusted and escaped (``&``, ``<``, ``>``) before it is placed in mrkdwn.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.render.card import Button, Card
from bot.services.commands import ButtonAction

__all__ = [
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_SECTION_TEXT",
    "REVISE_BLOCK_ID",
    "REVISE_CALLBACK_ID",
    "REVISE_INPUT_ID",
    "TRUNCATION_MARKER",
    "RevisePrompt",
    "SlackActionId",
    "SlackMessage",
    "action_id_for",
    "escape_mrkdwn",
    "fit_mrkdwn",
    "render_card",
    "render_text",
    "revise_modal",
    "with_mentions",
]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS_PER_BLOCK = 25
MAX_FALLBACK_TEXT = 3000
TRUNCATION_MARKER = "… (truncated)"
EMPTY_TITLE = "Hotfix update"  # Slack refuses empty texts
_SLACK_PERSON = re.compile(r"\bslack:([UW][A-Z0-9]{2,20})\b")

REVISE_CALLBACK_ID = "hotfix_revise"
REVISE_BLOCK_ID = "feedback"
REVISE_INPUT_ID = "feedback_text"


class SlackActionId(enum.StrEnum):
    """The ``action_id`` of every button the bot posts; one per ButtonAction."""

    APPROVE = "hotfix_approve"
    DENY = "hotfix_deny"
    STOP = "hotfix_stop"
    REVISE = "hotfix_revise"
    RESET = "hotfix_reset"
    FULL_DIFF = "hotfix_full_diff"
    CONTINUE = "hotfix_continue"
    PATCH = "hotfix_patch"
    CLOSE = "hotfix_close"
    RESUME = "hotfix_resume"


def action_id_for(action: ButtonAction) -> SlackActionId:
    return SlackActionId[action.name]


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackMessage:
    """What chat.postMessage / chat.update take: a fallback ``text`` and the ``blocks``."""

    text: str
    blocks: tuple[dict[str, Any], ...]


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def with_mentions(mrkdwn: str) -> str:
    """``slack:U222`` (how the core names Slack people) -> ``<@U222>``, which Slack shows as the person's name.

    Run on already-escaped text, so the only ``<`` in the result are these mentions (always shorter)."""
    return _SLACK_PERSON.sub(r"<@\1>", mrkdwn)


def fit_mrkdwn(raw: str, *, limit: int = MAX_SECTION_TEXT, prefix: str = "", suffix: str = "") -> str:
    """``prefix + escape(raw) + suffix`` within ``limit`` characters, cut with a visible marker if needed.

    The cut is made on the raw text, so an escape sequence is never split in half.
    """
    escaped = escape_mrkdwn(raw)
    if len(prefix) + len(escaped) + len(suffix) <= limit:
        return prefix + escaped + suffix
    marker = "\n" + TRUNCATION_MARKER if suffix.startswith("\n") or "\n" in raw else " " + TRUNCATION_MARKER
    room = limit - len(prefix) - len(suffix) - len(marker)
    kept: list[str] = []
    used = 0
    for char in raw:
        piece = escape_mrkdwn(char)
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    return prefix + "".join(kept) + suffix + marker


def _plain(text: str, limit: int) -> str:
    """A plain_text field (no escaping needed) cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _code_block(code: str) -> str:
    """A fenced block; fences inside the code are broken up so they cannot close it early."""
    safe = code.replace("```", "`\u200b``")
    return fit_mrkdwn(safe, prefix="```\n", suffix="\n```")


def _button(button: Button) -> dict[str, Any]:
    payload = button.payload
    if len(payload) > MAX_BUTTON_VALUE:  # cannot be cut: an opaque id that no longer matches fails safe
        raise ValueError(f"button payload longer than {MAX_BUTTON_VALUE} characters")
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id_for(button.action).value,
        "text": {"type": "plain_text", "text": _plain(button.label, MAX_BUTTON_TEXT), "emoji": True},
        "value": payload,
    }
    if button.style != "default":
        element["style"] = button.style
    return element


def _head_blocks(card: Card) -> list[dict[str, Any]]:
    blocks = [_section(fit_mrkdwn(card.title.strip() or EMPTY_TITLE, prefix="*", suffix="*"))]
    badges = [b for b in card.badges if b.strip()]
    if badges:
        blocks.append(_context(fit_mrkdwn("  ·  ".join(badges), limit=MAX_CONTEXT_TEXT)))
    if card.fields:
        lines = [f"*{escape_mrkdwn(f.label)}:* {with_mentions(escape_mrkdwn(f.value))}" for f in card.fields]
        joined = "\n".join(lines)
        blocks.append(_section(joined if len(joined) <= MAX_SECTION_TEXT else _cut_escaped(joined)))
    if card.blocker:
        blocker = fit_mrkdwn(card.blocker, prefix=":hourglass_flowing_sand: _", suffix="_")
        blocks.append(_section(with_mentions(blocker)))
    return blocks


def _cut_escaped(mrkdwn: str) -> str:
    """Cut already-escaped mrkdwn at a line boundary (never inside an escape) and add the marker."""
    room = MAX_SECTION_TEXT - len(TRUNCATION_MARKER) - 1
    cut = mrkdwn[:room]
    newline = cut.rfind("\n")
    if newline > 0:
        cut = cut[:newline]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "\n" + TRUNCATION_MARKER


def _tail_blocks(card: Card) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if card.code is not None:
        if card.code_label:
            blocks.append(_context(fit_mrkdwn(card.code_label, limit=MAX_CONTEXT_TEXT)))
        blocks.append(_section(_code_block(card.code)))
    for start in range(0, len(card.buttons), MAX_ACTIONS_PER_BLOCK):
        chunk = card.buttons[start : start + MAX_ACTIONS_PER_BLOCK]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"hotfix_actions_{start // MAX_ACTIONS_PER_BLOCK}",
                "elements": [_button(b) for b in chunk],
            }
        )
    if card.decided:
        decided = fit_mrkdwn(card.decided, limit=MAX_CONTEXT_TEXT, prefix=":white_check_mark: ")
        blocks.append(_context(with_mentions(decided)))
    return blocks


def _body_blocks(card: Card, room: int) -> list[dict[str, Any]]:
    """One section per paragraph; when there are more paragraphs than room, the rest share the last one."""
    paragraphs = [p for p in card.body if p.strip()]
    if room <= 0 or not paragraphs:
        return []
    if len(paragraphs) > room:
        paragraphs = [*paragraphs[: room - 1], "\n\n".join(paragraphs[room - 1 :])]
    return [_section(fit_mrkdwn(p)) for p in paragraphs]


def render_card(card: Card) -> SlackMessage:
    """The Block Kit message for a card: head, body, code, buttons (or who decided), within Slack's limits."""
    head = _head_blocks(card)
    tail = _tail_blocks(card)
    body = _body_blocks(card, MAX_BLOCKS - len(head) - len(tail))
    blocks = (head + body + tail)[:MAX_BLOCKS]
    fallback = with_mentions(fit_mrkdwn(card.fallback_text().strip() or EMPTY_TITLE, limit=MAX_FALLBACK_TEXT))
    return SlackMessage(text=fallback, blocks=tuple(blocks))


def render_text(text: str) -> str:
    """A reply's plain text as escaped mrkdwn within one section's limit (Slack people shown by name)."""
    return with_mentions(fit_mrkdwn(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisePrompt:
    """Where a revise modal's answer goes back to; carried in the view's ``private_metadata``."""

    hotfix_id: int
    conversation_key: str
    thread: str | None = None

    def to_metadata(self) -> str:
        return json.dumps({"h": self.hotfix_id, "c": self.conversation_key, "t": self.thread})

    @classmethod
    def from_metadata(cls, metadata: str) -> RevisePrompt | None:
        try:
            data = json.loads(metadata)
            hotfix_id, key, thread = data["h"], data["c"], data["t"]
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(hotfix_id, int) or not isinstance(key, str):
            return None
        if thread is not None and not isinstance(thread, str):
            return None
        return cls(hotfix_id=hotfix_id, conversation_key=key, thread=thread)


def revise_modal(prompt_text: str, target: RevisePrompt) -> dict[str, Any]:
    """The modal that asks for revise feedback; its submission becomes ReviseHotfix."""
    return {
        "type": "modal",
        "callback_id": REVISE_CALLBACK_ID,
        "private_metadata": target.to_metadata(),
        "title": {"type": "plain_text", "text": _plain(f"Revise HF-{target.hotfix_id}", 24)},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": REVISE_BLOCK_ID,
                "label": {"type": "plain_text", "text": _plain(prompt_text, 2000)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REVISE_INPUT_ID,
                    "multiline": True,
                    "max_length": 3000,
                },
            }
        ],
    }
