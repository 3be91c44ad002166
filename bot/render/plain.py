"""Plain-text renderings: a card as text (console, status replies), the queue, the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.hotfix import Hotfix
from bot.domain.queue import ALL_REPOS, Freeze, queue_order
from bot.render.card import Card
from bot.render.redact import redact
from bot.render.text import one_line

__all__ = ["card_as_text", "log_text", "queue_text"]


def card_as_text(card: Card, *, with_buttons: bool = True) -> str:
    lines = [card.title]
    if card.badges:
        lines.append(" · ".join(card.badges))
    lines += [f"{f.label}: {f.value}" for f in card.fields]
    if card.blocker:
        lines.append(f"⏸ {card.blocker}")
    lines += list(card.body)
    if card.code:
        lines += ["```", card.code, "```"]
    if card.decided:
        lines.append(f"— {card.decided}")
    if with_buttons and card.buttons:
        lines.append("  ".join(f"[{b.label}]" for b in card.buttons))
    return "\n".join(lines)


def queue_text(hotfixes: Sequence[Hotfix], freezes: Mapping[str, Freeze]) -> str:
    lines: list[str] = []
    for scope, freeze in sorted(freezes.items()):
        where = "all repositories" if scope == ALL_REPOS else scope
        lines.append(f"❄️ frozen ({where}): {one_line(redact(freeze.reason), 120)} — {freeze.actor}")
    active = [h for h in hotfixes if h.is_active or h.state.value in ("review", "triage", "interrupted")]
    for h in sorted(active, key=lambda x: x.number):
        lines.append(f"{h.hid} {h.repo} {h.priority.value} {h.state.value} — {one_line(redact(h.title), 60)}")
    for pos, h in enumerate(queue_order(hotfixes), start=1):
        lines.append(f"#{pos} {h.hid} {h.repo} {h.priority.value} queued — {one_line(redact(h.title), 60)}")
    return "\n".join(lines) if lines else "The queue is empty."


def log_text(h: Hotfix) -> str:
    lines = [f"Audit trail of {h.label}:"]
    for e in h.audit:
        lines.append(f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor} {e.kind}: {one_line(redact(e.detail), 300)}")
    return "\n".join(lines)
