"""Names derived from what people type: hotfix titles, slugs and branch names. Standard library only.

- ``derive_title``: the first non-empty line, cut to its first sentence, whitespace collapsed, at most
  ``limit`` characters (cut at a word boundary where one is near, marked with "…").
- ``slugify``: ASCII lowercase words joined by "-", filler words dropped when something else remains, at most
  ``limit`` characters, cut between words. Never empty ("fix") and always a valid git ref component.
- ``branch_name``: ``hotfix/<n>-<slug>`` (CONTRACT §6).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["branch_name", "derive_title", "slugify"]

UNTITLED = "untitled hotfix"
FALLBACK_SLUG = "fix"

_SENTENCE_END = re.compile(r"[.!?;](?=\s)")
_WHITESPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]")
_SLUG_WORD = re.compile(r"[a-z0-9]+")
_VALID_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ELLIPSIS = "…"

# Words that carry no meaning in a branch name; dropped unless nothing else is left.
_FILLER = frozenset(
    "a an the is are was were be been am on in at of to for from with and or but it its this that these those "
    "our my your their we i you they he she there here when while after before by as so just please "
    "urgent asap".split()
)


def derive_title(description: str, limit: int = 72) -> str:
    """A one-line title for a hotfix: its first line or sentence, trimmed, with "…" if it was cut."""
    limit = max(limit, 1)
    first_line = next((line for line in _visible(description).splitlines() if line.strip()), "")
    sentence = _first_sentence(first_line)
    title = _WHITESPACE.sub(" ", sentence).strip()
    if not title:
        return UNTITLED[:limit]
    if len(title) <= limit:
        return title
    return _cut(title, limit)


def _visible(text: str) -> str:
    return _INVISIBLE.sub(lambda m: "\n" if m.group() in "\n\r" else " ", text)


def _first_sentence(line: str) -> str:
    """Up to the first sentence end, unless that leaves almost nothing ("Urgent! checkout is down")."""
    for end in _SENTENCE_END.finditer(line):
        head = line[: end.start() + (0 if end.group() in ".;" else 1)]
        if len(head.split()) >= 3:
            return head
    return line.rstrip(".;")


def _cut(title: str, limit: int) -> str:
    room = limit - len(_ELLIPSIS)
    if room <= 0:
        return _ELLIPSIS[:limit]
    head = title[:room]
    boundary = head.rfind(" ")
    if boundary >= room // 2 and title[room] != " ":
        head = head[:boundary]
    return head.rstrip(" ,;:(-\u2013\u2014") + _ELLIPSIS


def slugify(title: str, limit: int = 40) -> str:
    """``"Checkout returns 500 on the pay page"`` -> ``"checkout-returns-500-pay-page"``; never empty."""
    limit = max(limit, len(FALLBACK_SLUG))
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = _SLUG_WORD.findall(ascii_text)
    meaningful = [word for word in words if word not in _FILLER]
    chosen = meaningful or words
    slug = ""
    for word in chosen:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            if not slug:
                slug = word[:limit]
            break
        slug = candidate
    return slug or FALLBACK_SLUG


def branch_name(number: int, slug: str) -> str:
    """``hotfix/<number>-<slug>``; a slug that is not already clean is slugified first."""
    if number < 1:
        raise ValueError(f"hotfix numbers start at 1, not {number}")
    if not _VALID_SLUG.fullmatch(slug):
        slug = slugify(slug)
    return f"hotfix/{number}-{slug}"
