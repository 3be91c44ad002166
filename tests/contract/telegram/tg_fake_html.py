"""Telegram's HTML parse mode, as strict as the real server: only its tags, balanced, and every ``<``, ``>``
and ``&`` that is not markup must be escaped. Returns the visible text (what the 4096 limit counts)."""

from __future__ import annotations

import html
import re

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
        "span",
        "tg-emoji",
    }
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


class HtmlParseError(ValueError):
    """``description`` is what Telegram answers after "Bad Request: "."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def visible_text(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            i = _take_tag(text, i, stack)
            continue
        if char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise HtmlParseError(
                    f"can't parse entities: Unsupported HTML entity at byte offset {_byte_offset(text, i)}"
                )
            out.append(html.unescape(match.group(0)))
            i = match.end()
            continue
        if char == ">":
            raise HtmlParseError(f"can't parse entities: Unexpected end tag at byte offset {_byte_offset(text, i)}")
        out.append(char)
        i += 1
    if stack:
        raise HtmlParseError(f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(out)


def _take_tag(text: str, i: int, stack: list[str]) -> int:
    match = _TAG.match(text, i)
    if match is None:
        raise HtmlParseError(f"can't parse entities: Unsupported start tag at byte offset {_byte_offset(text, i)}")
    closing, name = match.group(1), match.group(2).lower()
    if name not in ALLOWED_TAGS:
        raise HtmlParseError(
            f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
        )
    if closing:
        if not stack or stack[-1] != name:
            raise HtmlParseError(
                f"can't parse entities: Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                f'expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
            )
        stack.pop()
    else:
        stack.append(name)
    return match.end()


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
