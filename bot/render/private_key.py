"""Private keys: PEM blocks (multi-line, inline with literal ``\\n``, indented, inside diffs) and stray lines
of high-entropy base64 (a key body seen without its BEGIN line). Part of ``bot.render.redact``.
"""

from __future__ import annotations

import re

from bot.render.secret_token import REDACTED, entropy, has_classes

__all__ = ["redact_base64_lines", "redact_inline_private_keys", "redact_private_key_lines"]

_PEM_HEADER = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_HEADER_AT_END = re.compile(_PEM_HEADER.pattern + r"[\"',\s]*+$")
_PEM_INLINE_BODY = re.compile(r"(?:[A-Za-z0-9+/= \t]|\\[nr])*+")
_PEM_BODY_LINE = re.compile(
    r"[A-Za-z0-9+/=]++|(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset): [^\n]{0,200}|…\[redacted\]"
)
_DIFF_MARKS = "+- "


def redact_inline_private_keys(text: str) -> str:
    """Mask key bodies that share a line with their BEGIN header (JSON ``"-----BEGIN …-----\\nMIIE…"``)."""
    out: list[str] = []
    pos = 0
    next_end = next_newline = -1
    while (header := _PEM_HEADER.search(text, pos)) is not None:
        start = header.end()
        if next_newline < start:  # cached, so a line full of headers stays linear
            next_newline = _find_or_len(text, "\n", start)
        if next_end < start:
            next_end = _find_or_len(text, "-----END ", start)
        if next_end < next_newline:
            stop = next_end
        else:
            body = _PEM_INLINE_BODY.match(text, start, next_newline)
            stop = body.end() if body is not None else start
        body_text = text[start:stop].replace("\\n", "").replace("\\r", "")
        out.append(text[pos:start])
        if any(c.isalnum() for c in body_text) and body_text.strip() != REDACTED:
            out.append(REDACTED)
            pos = stop
        else:
            pos = start
    out.append(text[pos:])
    return "".join(out)


def _find_or_len(text: str, needle: str, start: int) -> int:
    found = text.find(needle, start)
    return len(text) if found < 0 else found


def redact_private_key_lines(lines: list[str], *, collapse: bool) -> list[str]:
    """Mask the body lines of multi-line private-key blocks. Lines stay one-to-one unless ``collapse``."""
    out: list[str] = []
    lead_width = -1  # -1: not inside a block; else 1 when lines carry a diff marker, 0 when not
    for line in lines:
        if lead_width >= 0:
            lead = line[:lead_width]
            core = line[lead_width:].strip().strip("\"',")
            core = core.removesuffix("\\n")
            if not core:
                out.append(line)
                continue
            if _PEM_BODY_LINE.fullmatch(core) and "-----" not in line:
                masked = f"{lead}{REDACTED}"
                if not (collapse and out and out[-1] == masked):
                    out.append(masked)
                continue
            lead_width = -1
        out.append(line)
        if "-----BEGIN " in line:
            lead_width = _pem_block_start(line)
    return out


def _pem_block_start(line: str) -> int:
    """-1 unless ``line`` ends with a private-key BEGIN header; then the width of its diff marker (0 or 1)."""
    found = _PEM_HEADER_AT_END.search(line)
    if found is None:
        return -1
    return 1 if found.start() > 0 and line[0] in _DIFF_MARKS else 0


# A whole line that is nothing but a long high-entropy base64 blob: a key body seen without its BEGIN line.
_BASE64_LINE = re.compile(
    r"^(?P<lead>[+\- ]?[ \t]*[\"']?)(?P<blob>[A-Za-z0-9+/]{40,}+={0,2})(?P<tail>(?:\\n)?[\"']?[,;]?[ \t\r]*)$",
    re.MULTILINE,
)


def redact_base64_lines(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        blob = match.group("blob")
        if not has_classes(blob) or entropy(blob) < 4.5:
            return match.group(0)
        return match.group("lead") + REDACTED + match.group("tail")

    return _BASE64_LINE.sub(replace, text)
