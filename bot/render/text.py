"""Plain-text hygiene for anything a person sees: control characters out, long text cut with a visible marker.

Order matters when the text may hold secrets: ``strip_control`` first, then ``bot.render.redact.redact``, then
truncate. Truncating first could cut a secret below the length its pattern needs and let its head through.
"""

from __future__ import annotations

import re

__all__ = ["one_line", "strip_control", "truncate", "truncate_lines"]

# C0 controls except \t and \n, DEL, C1 controls, and the bidi embedding/override/isolate controls that can make
# text read differently from what it is ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
# Everything one_line folds into a single space: whitespace (including the Unicode line and paragraph
# separators) and the characters _CONTROL drops.
_FOLD = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


def strip_control(text: str) -> str:
    """Drop C0/C1 control characters (keeping ``\\n`` and ``\\t``) and bidi override characters."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub("", text)


def truncate(text: str, limit: int, *, marker: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters; when cut, end with ``"… (+N chars)"``.

    N counts the characters left out. When even that suffix does not fit, the bare ``marker`` ends the text;
    with ``limit <= 0`` the result is empty.
    """
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    total = len(text)
    keep = limit - len(_cut_suffix(marker, total))
    if keep < 0:
        return text[: max(0, limit - len(marker))] + marker[:limit]
    # The suffix shrinks as N shrinks, so a character or two more may fit.
    while keep + 1 + len(_cut_suffix(marker, total - keep - 1)) <= limit:
        keep += 1
    kept = text[:keep].rstrip()
    return kept + _cut_suffix(marker, total - len(kept))


def _cut_suffix(marker: str, cut: int) -> str:
    return f"{marker} (+{cut} chars)"


def truncate_lines(text: str, max_lines: int) -> str:
    """Keep at most ``max_lines`` lines; when cut, the last one is ``"… N more lines"``.

    A trailing newline does not count as an extra line. With ``max_lines <= 0`` the result is empty.
    """
    body = text[:-1] if text.endswith("\n") else text
    total = body.count("\n") + 1
    if total <= max_lines:
        return text
    if max_lines <= 0:
        return ""
    end = -1
    for _ in range(max_lines - 1):
        end = body.index("\n", end + 1)
    kept = body[:end] if end >= 0 else ""
    left_out = total - (max_lines - 1)
    marker = f"… {left_out} more line{'s' if left_out != 1 else ''}"
    return f"{kept}\n{marker}" if max_lines > 1 else marker


def one_line(text: str, limit: int = 200) -> str:
    """Fold whitespace and control characters into single spaces, trim, and truncate to ``limit``."""
    return truncate(_FOLD.sub(" ", text).strip(), limit)
