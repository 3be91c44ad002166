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


@dataclass(frozen=True, slots=True, kw_only=True)
class _TokenRule:
    name: str
    pattern: re.Pattern[str]
    keep: int
    hints: tuple[str, ...]  # the pass runs only when one of these occurs in the text (cheap C-level test)
    check: Callable[[str], bool] | None = None


def _random_looking(body: str) -> bool:
    return has_classes(body)


# A token starts after a non-token character, or after the "-" that marks a removed line in a diff.
AFTER_REMOVED_MARK = r"|(?<=\n-)|(?<=^-)"
TOKEN_START = r"(?:(?<![A-Za-z0-9_\-])" + AFTER_REMOVED_MARK + ")"
_B = TOKEN_START
_E = r"(?![A-Za-z0-9_\-])"

_TOKEN_RULES: tuple[_TokenRule, ...] = (
    _TokenRule(name="github", keep=4, hints=("gh",),
               pattern=re.compile(_B + r"(?P<prefix>gh[pousr]_)(?P<body>[A-Za-z0-9]{30,255}+)" + _E)),
    _TokenRule(name="github-fine-grained", keep=4, hints=("github_pat_",),
               pattern=re.compile(_B + r"(?P<prefix>github_pat_)(?P<body>[A-Za-z0-9_]{22,255}+)" + _E)),
    _TokenRule(name="gitlab", keep=4, hints=("glpat-",),
               pattern=re.compile(_B + r"(?P<prefix>glpat-)(?P<body>[A-Za-z0-9_\-]{20,255}+)" + _E)),
    _TokenRule(name="slack", keep=0, hints=("xox", "xapp-"),
               pattern=re.compile(_B + r"(?P<prefix>xox[abeoprs]-|xoxe\.xox[bp]-|xapp-)"
                                  r"(?P<body>[A-Za-z0-9\-]{8,}+)")),
    _TokenRule(name="slack-webhook", keep=0, hints=("hooks.slack.com",),
               pattern=re.compile(r"(?P<prefix>https?://hooks\.slack\.com/(?:services|workflows|triggers)/)"
                                  r"(?P<body>[A-Za-z0-9_\-]{4,}+(?:/[A-Za-z0-9_\-]++)*+)")),
    _TokenRule(name="discord-webhook", keep=0, hints=("discord",),
               pattern=re.compile(r"(?P<prefix>https?://(?:[a-z]+\.)?discord(?:app)?\.com/api/webhooks/)"
                                  r"(?P<body>[0-9]{5,30}+/[A-Za-z0-9_\-]{20,}+)")),
    _TokenRule(name="stripe", keep=4, hints=("_live_", "_test_"),
               pattern=re.compile(_B + r"(?P<prefix>(?:sk|rk)_(?:live|test)_)(?P<body>[A-Za-z0-9]{10,}+)" + _E)),
    _TokenRule(name="stripe-webhook", keep=4, hints=("whsec_",),
               pattern=re.compile(_B + r"(?P<prefix>whsec_)(?P<body>[A-Za-z0-9+/=]{20,}+)")),
    _TokenRule(name="google", keep=4, hints=("AIza",),
               pattern=re.compile(_B + r"(?P<prefix>AIza)(?P<body>[A-Za-z0-9_\-]{35})" + _E)),
    _TokenRule(name="anthropic", keep=4, hints=("sk-ant-",),
               pattern=re.compile(_B + r"(?P<prefix>sk-ant-(?:[a-z]{2,10}[0-9]{0,3}-)?)"
                                  r"(?P<body>[A-Za-z0-9_\-]{20,}+)")),
    _TokenRule(name="openai", keep=4, hints=("sk-",), check=_random_looking,
               pattern=re.compile(_B + r"(?P<prefix>sk-(?:proj-|svcacct-|admin-|None-)?)"
                                  r"(?P<body>[A-Za-z0-9_\-]{20,}+)")),
    _TokenRule(name="huggingface", keep=4, hints=("hf_",), check=_random_looking,
               pattern=re.compile(_B + r"(?P<prefix>hf_)(?P<body>[A-Za-z0-9]{30,255}+)" + _E)),
    _TokenRule(name="npm", keep=4, hints=("npm_",), check=_random_looking,
               pattern=re.compile(_B + r"(?P<prefix>npm_)(?P<body>[A-Za-z0-9]{36})" + _E)),
    _TokenRule(name="pypi", keep=4, hints=("pypi-",),
               pattern=re.compile(_B + r"(?P<prefix>pypi-)(?P<body>AgE[A-Za-z0-9_\-]{40,}+)")),
    _TokenRule(name="sendgrid", keep=0, hints=("SG.",),
               pattern=re.compile(_B + r"(?P<prefix>SG\.)(?P<body>[A-Za-z0-9_\-]{16,32}+\.[A-Za-z0-9_\-]{30,64}+)")),
    _TokenRule(name="aws-access-key-id", keep=0, hints=("AKIA", "ASIA", "ABIA", "ACCA"),
               pattern=re.compile(r"(?<![A-Za-z0-9])(?P<prefix>AKIA|ASIA|ABIA|ACCA)(?P<body>[A-Z0-9]{16})"
                                  r"(?![A-Za-z0-9])")),
    _TokenRule(name="telegram-bot", keep=4, hints=(":",),
               pattern=re.compile(r"(?<![0-9])(?P<prefix>[0-9]{6,12}:)(?P<body>AA[A-Za-z0-9_\-]{30,40}+)" + _E)),
    _TokenRule(name="jwt", keep=4, hints=("eyJ",),
               pattern=re.compile(_B + r"(?P<prefix>eyJ)(?P<body>[A-Za-z0-9_\-]{8,}+\.eyJ[A-Za-z0-9_\-]{8,}+"
                                  r"\.[A-Za-z0-9_\-]*+)")),
)


def _apply_token_rule(rule: _TokenRule, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        body = match.group("body")
        if already_masked(match, body) or (rule.check is not None and not rule.check(body)):
            return match.group(0)
        return mask(match.group("prefix"), body, rule.keep)

    return rule.pattern.sub(replace, text)


def redact_tokens(text: str) -> str:
    """Mask every prefixed token in ``text``."""
    for rule in _TOKEN_RULES:
        if any(hint in text for hint in rule.hints):
            text = _apply_token_rule(rule, text)
    return text
