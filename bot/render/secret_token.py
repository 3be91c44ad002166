"""Prefixed tokens (the formats with a well-known prefix) and the masking primitives ``redact`` builds on.

See ``bot.render.redact`` for what is masked and why. Every pattern starts at a token boundary (or right after the
"-" of a removed diff line) and uses bounded or possessive repetition, so a pass is linear in the text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "AFTER_REMOVED_MARK",
    "REDACTED",
    "TOKEN_START",
    "already_masked",
    "at_token_start",
    "entropy",
    "generic_keep",
    "has_classes",
    "mask",
    "redact_tokens",
]

REDACTED = "…[redacted]"

# ---------------------------------------------------------------------------------------------------------
# Masking


def mask(prefix: str, secret: str, keep: int) -> str:
    return f"{prefix}{secret[:keep]}{REDACTED}"


def generic_keep(value: str) -> int:
    """How many characters of a secret without a well-known prefix may stay visible."""
    return 0 if len(value) < 12 else min(4, len(value) // 6)


def already_masked(match: re.Match[str], value: str) -> bool:
    return "…[redacted" in value or match.string.startswith(REDACTED, match.end())


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    size = len(value)
    if size == 0:
        return 0.0
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


def has_classes(value: str, *, digit: bool = True, upper: bool = True, lower: bool = True) -> bool:
    return ((not digit or any(c.isdigit() for c in value))
            and (not upper or any(c.isupper() for c in value))
            and (not lower or any(c.islower() for c in value)))


# ---------------------------------------------------------------------------------------------------------
# Prefixed tokens: (pattern with groups "prefix" and "body", characters of the body kept, extra check)


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# A token starts after a non-token character, or after the "-" that marks a removed line in a diff.
AFTER_REMOVED_MARK = r"|(?<=\n-)|(?<=^-)"
TOKEN_START = r"(?:(?<![A-Za-z0-9_\-])" + AFTER_REMOVED_MARK + ")"


def at_token_start(text: str, start: int) -> bool:
    """Whether a token may begin at ``start``: after a non-token character, or after a diff's "-" mark."""
    if start == 0 or text[start - 1] not in _TOKEN_CHARS:
        return True
    return text[start - 1] == "-" and (start == 1 or text[start - 2] == "\n")


@dataclass(frozen=True, slots=True, kw_only=True)
class _TokenRule:
    name: str
    pattern: re.Pattern[str]  # groups "prefix" (shown) and "body" (masked after ``keep`` characters)
    keep: int
    hints: tuple[str, ...]  # the pass runs only when one of these occurs in the text (cheap C-level test)
    check: Callable[[str], bool] | None = None


def _random_looking(body: str) -> bool:
    return has_classes(body)


def _starts(literal: str, before: str = r"[A-Za-z0-9_\-]") -> str:
    """``literal`` (a fixed-width regex) that must begin a token: not right after a ``before`` character,
    unless that is the "-" opening a removed diff line.

    The check sits behind the literal as a fixed-width lookbehind. Leading with the literal lets the regex
    engine jump between candidates; and a candidate glued to the text before it fails without consuming
    anything, so a real token right after it is still found (the pass is idempotent and linear).
    """
    removed = rf"|(?<=\n-{literal})|(?<=^-{literal})" if "-" in before else ""
    return rf"{literal}(?:(?<!{before}{literal}){removed})"


_E = r"(?![A-Za-z0-9_\-])"


def _rule(name: str, keep: int, hints: tuple[str, ...], pattern: str, *,
          check: Callable[[str], bool] | None = None) -> _TokenRule:
    return _TokenRule(name=name, keep=keep, hints=hints, pattern=re.compile(pattern), check=check)


_TOKEN_RULES: tuple[_TokenRule, ...] = (
    _rule("github", 4, ("gh",), rf"(?P<prefix>{_starts('gh[pousr]_')})(?P<body>[A-Za-z0-9]{{30,255}}+){_E}"),
    _rule("github-fine-grained", 4, ("github_pat_",),
          rf"(?P<prefix>{_starts('github_pat_')})(?P<body>[A-Za-z0-9_]{{22,255}}+){_E}"),
    _rule("gitlab", 4, ("glpat-",), rf"(?P<prefix>{_starts('glpat-')})(?P<body>[A-Za-z0-9_\-]{{20,255}}+){_E}"),
    _rule("slack", 0, ("xox", "xapp-"),
          rf"(?P<prefix>{_starts('x(?:ox[abeoprs]|app)-')})(?P<body>[A-Za-z0-9\-]{{8,}}+)"),
    _rule("slack-rotating", 0, ("xoxe.",),
          rf"(?P<prefix>{_starts('xoxe[.]xox[bp]-')})(?P<body>[A-Za-z0-9\-]{{8,}}+)"),
    _rule("slack-webhook", 0, ("hooks.slack.com",),
          r"(?P<prefix>https?://hooks\.slack\.com/(?:services|workflows|triggers)/)"
          r"(?P<body>[A-Za-z0-9_\-]{4,}+(?:/[A-Za-z0-9_\-]++)*+)"),
    _rule("discord-webhook", 0, ("discord",),
          r"(?P<prefix>https?://(?:[a-z]+\.)?discord(?:app)?\.com/api/webhooks/)"
          r"(?P<body>[0-9]{5,30}+/[A-Za-z0-9_\-]{20,}+)"),
    _rule("stripe", 4, ("_live_", "_test_"),
          rf"(?P<prefix>{_starts('[rs]k_(?:live|test)_')})(?P<body>[A-Za-z0-9]{{10,}}+){_E}"),
    _rule("stripe-webhook", 4, ("whsec_",), rf"(?P<prefix>{_starts('whsec_')})(?P<body>[A-Za-z0-9+/=]{{20,}}+)"),
    _rule("google", 4, ("AIza",), rf"(?P<prefix>{_starts('AIza')})(?P<body>[A-Za-z0-9_\-]{{35}}){_E}"),
    _rule("anthropic", 4, ("sk-ant-",),
          rf"(?P<prefix>{_starts('sk-ant-')}(?:[a-z]{{2,10}}[0-9]{{0,3}}-)?)(?P<body>[A-Za-z0-9_\-]{{20,}}+)"),
    _rule("openai", 4, ("sk-",),
          rf"(?P<prefix>{_starts('sk-')}(?:proj-|svcacct-|admin-|None-)?)(?P<body>[A-Za-z0-9_\-]{{20,}}+)",
          check=_random_looking),
    _rule("huggingface", 4, ("hf_",), rf"(?P<prefix>{_starts('hf_')})(?P<body>[A-Za-z0-9]{{30,255}}+){_E}",
          check=_random_looking),
    _rule("npm", 4, ("npm_",), rf"(?P<prefix>{_starts('npm_')})(?P<body>[A-Za-z0-9]{{36}}){_E}",
          check=_random_looking),
    _rule("pypi", 4, ("pypi-",), rf"(?P<prefix>{_starts('pypi-')})(?P<body>AgE[A-Za-z0-9_\-]{{40,}}+)"),
    _rule("sendgrid", 0, ("SG.",),
          rf"(?P<prefix>{_starts('SG[.]')})(?P<body>[A-Za-z0-9_\-]{{16,32}}+\.[A-Za-z0-9_\-]{{30,64}}+)"),
    _rule("aws-access-key-id", 0, ("AKIA", "ASIA", "ABIA", "ACCA"),
          rf"(?P<prefix>{_starts('A(?:KIA|SIA|BIA|CCA)', before='[A-Za-z0-9]')})(?P<body>[A-Z0-9]{{16}})"
          r"(?![A-Za-z0-9])"),
    _rule("telegram-bot", 4, (":AA",),
          r"(?<![0-9])(?P<prefix>[0-9]{6,12}:)(?P<body>AA[A-Za-z0-9_\-]{30,40}+)" + _E),
    _rule("jwt", 4, ("eyJ",),
          rf"(?P<prefix>{_starts('eyJ')})(?P<body>[A-Za-z0-9_\-]{{8,}}+\.eyJ[A-Za-z0-9_\-]{{8,}}+\.[A-Za-z0-9_\-]*+)"),
)


def _apply_token_rule(rule: _TokenRule, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        body = match.group("body")
        if already_masked(match, body) or (rule.check is not None and not rule.check(body)):
            return match.group(0)
        return mask(match.group("prefix"), body, rule.keep)

    return rule.pattern.sub(replace, text)


_ANY_HINT = re.compile("|".join(sorted({re.escape(h) for rule in _TOKEN_RULES for h in rule.hints}, key=len,
                                     reverse=True)))


def redact_tokens(text: str) -> str:
    """Mask every prefixed token in ``text``."""
    if len(text) < 4096 and _ANY_HINT.search(text) is None:
        return text  # the common case for card text: one scan instead of twenty (long texts: `in` is faster)
    for rule in _TOKEN_RULES:
        if any(hint in text for hint in rule.hints):
            text = _apply_token_rule(rule, text)
    return text
