"""Secret redaction for everything that leaves the process (cards, files, logs).

A secret is masked as its well-known prefix plus at most four characters, then ``…[redacted]``
(``ghp_ab12…[redacted]``, ``AKIA…[redacted]``, ``password=…[redacted]``), so a person can still tell which
credential leaked. Values without a well-known prefix keep a few characters only when they are long (no
characters of a value under 12, at most four of a long one), so a short password never shows half of itself.

What is masked:
- prefixed tokens: AWS access key ids (AKIA/ASIA/ABIA/ACCA), GitHub (ghp_/gho_/ghu_/ghs_/ghr_/github_pat_),
  GitLab (glpat-), Slack (xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/xoxe-/xoxe.xoxp-/xapp-), Slack and Discord webhook URLs,
  Stripe (sk_/rk_ live and test, whsec_), Google (AIza), OpenAI (sk-, sk-proj-, …), Anthropic (sk-ant-…),
  Hugging Face (hf_), npm (npm_), PyPI (pypi-), SendGrid (SG.), Telegram bot tokens, JWTs;
- PEM private-key blocks (RSA/EC/DSA/OPENSSH/ENCRYPTED/PGP), multi-line, inline with literal ``\\n`` (JSON),
  indented (YAML) or inside a diff; stray whole lines of high-entropy base64 (a key body seen without its
  BEGIN line);
- passwords in URLs (``postgres://user:…[redacted]@host``), ``Authorization:`` header values, ``Bearer`` tokens;
- assignments to sensitive names (password, passwd, passphrase, secret, token, api_key, access_key,
  private_key, credential, auth, cookie…) in env, shell, YAML, JSON, TOML, INI, code, URL queries, and
  command-line flags (``--password hunter2``, ``--token=…``);
- high-entropy values (Shannon entropy) in ``.env``-like lines (``KEY=value`` alone on its line);
  hex-only values are not "random-looking" here (see below).

Over-masking accepted on purpose: whole lines of high-entropy base64 are masked even when they are public
(certificate bodies, embedded images), because a private-key body seen without its header looks the same.

What is deliberately not masked (documented decisions):
- git shas, UUIDs and other hex-only values, unless the name says secret;
- placeholders and references: empty values, ``$VAR``/``${VAR}``/``${{ secrets.X }}``, ``<password>``,
  ``{{ template }}``, ``****``, null/none/true/false, type names (``password: str``);
- code that reads a secret rather than holding one: ``token = self.token``, ``password=password``,
  ``secret = os.environ["X"]``, ``token = get_token()``, ``{"password": password}``, ``token: GITHUB_TOKEN``,
  comparisons (``if token == 0``), type annotations (``token: AuthToken``), format templates
  (``"Bearer {}"``, ``"%s"``), and digit-free labels under token-ish names (``upgrade_token = "upgrades"``;
  under password-ish names a quoted word is masked, it may be the password);
- prose: an unquoted value followed by more words on the line, as in ``password: see vault`` — a person may
  write that, and a real password in such a line is usually quoted or at least has a digit or symbol in it
  (``password: hunter2 please`` is masked, ``password: see vault`` is not). Quoted values are always masked.

Guarantees: idempotent (``redact(redact(x)) == redact(x)``), never raises (on an internal error the whole
text is replaced by the marker: fail closed), linear in the input (patterns use bounded or possessive
repetition and are tried once per token, so there is no catastrophic backtracking; about 0.1 s per MB).
Call ``bot.render.text.strip_control`` before this (control characters inside a token hide it) and truncate
after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import pairwise

from bot.render.private_key import redact_base64_lines, redact_inline_private_keys, redact_private_key_lines
from bot.render.secret_token import (
    AFTER_REMOVED_MARK,
    REDACTED,
    TOKEN_START,
    already_masked,
    at_token_start,
    entropy,
    generic_keep,
    has_classes,
    mask,
    redact_tokens,
)

__all__ = ["REDACTED", "contains_secret", "redact", "redact_lines"]


# ---------------------------------------------------------------------------------------------------------
# Context rules: URL passwords, Authorization headers and Bearer tokens

_URL_PASSWORD = re.compile(
    r"(?:(?<![A-Za-z0-9+.\-])|(?<=\n[-+])|(?<=^[-+]))"
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]{1,20}+://[^\s:/?#@\"'<>]{0,256}+:)"
    r"(?P<value>[^\s/?#@\"'<>]{1,256}+)(?=@)"
)
_AUTH_HEADER = re.compile(
    r"(?i)" + TOKEN_START + r"(?P<head>(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?:basic|bearer|digest|token|bot|apikey|sso-key)[ \t]++)?+)"
    r"(?P<value>[A-Za-z0-9._~+/=:\-]{6,}+)"
)
_BEARER = re.compile(r"(?i)" + TOKEN_START + r"(?P<head>bearer[ \t]++)(?P<value>[A-Za-z0-9._~+/=\-]{8,}+)")
# curl -u user:password, --user=user:password
_USER_PASSWORD_FLAG = re.compile(
    r"(?P<head>(?:-u|--user)(?:[ \t]++|=)[\"']?[^\s:\"'@]{1,64}+:)(?P<value>[^\s\"']{1,256}+)"
)


def _context_replacer(*, keep: int | None = None,
                      need: Callable[[str], bool] | None = None) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if already_masked(match, value) or _is_placeholder(value) or (need is not None and not need(value)):
            return match.group(0)
        return mask(match.group("head"), value, generic_keep(value) if keep is None else keep)

    return replace


def _bearer_like(value: str) -> bool:
    return len(value) >= 20 or any(c.isdigit() for c in value)


# ---------------------------------------------------------------------------------------------------------
# Assignments to sensitive names

_TYPE = r"[A-Za-z_][\w.]*+(?:\[[^\]\n=]{0,40}+\])?+"
_ANNOTATION = _TYPE + r"(?:[ \t]*+\|[ \t]*+" + _TYPE + r"){0,3}"
_ASSIGNMENT = re.compile(
    r"(?P<lead>(?:(?<![A-Za-z0-9_.\-])" + AFTER_REMOVED_MARK + r")[\"']?)(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,79}+)"
    r"(?P<head>[\"']?[ \t]*+(?::[ \t]*+" + _ANNOTATION + r"[ \t]*+=(?!=)|==|:=|=>|=|:(?!//))[ \t]*+)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*+\"|'(?:[^'\\\n]|\\.)*+'|[^\s\"'`,;&|()\[\]{}<>]++)"
)
# --password hunter2, --api-key=…
_CLI_FLAG = re.compile(
    r"(?P<lead>--?)(?P<key>[A-Za-z][A-Za-z0-9\-]{0,40}+)(?P<head>[ \t]++|=)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*+\"|'(?:[^'\\\n]|\\.)*+'|[^\s\"'`;&|<>\-][^\s\"'`;&|<>]*+)"
)
_SENSITIVE = re.compile(
    r"pass(?:word|wd|phrase|code)(?![a-z])|(?<=[_.\-])pass(?![a-z])|passwd|pwd|secret|token|api[_.\-]?key|access[_.\-]?key"
    r"|private[_.\-]?key|(?:encryption|signing|master|client|app|consumer|license|session|account)[_.\-]?key"
    r"|credential|(?<![a-z])auth(?![a-z])|authorization|auth[_.\-]?(?:key|code|token|header)|cookie"
    r"|sas[_.\-]?key|(?<![a-z])dsn(?![a-z])"
)
_NOT_SENSITIVE = re.compile(
    r"tokens|tokenizer|token[_.\-]?(?:type|url|uri|endpoint|count|limit|len|length|expir|ttl|budget)"
    r"|secrets|passwords|credentials|[_.\-](?:file|path|dir|env|name|id|ids|url|uri|header|field|prompt|hint"
    r"|policy|rotation|length|len|min|max|required|enabled|regex|pattern|ref|type|count|ttl|version|age"
    r"|domain|secure|samesite|httponly|expires|timeout|stdin)$"
    r"|^(?:old)?pwd$|^(?:max|min|num|is|has|use|enable|disable)[_.\-]|passport|bypass|compass|passthrough|password[_.\-]?reset"
    r"|keyboard"
)
_TYPE_WORDS = frozenset({
    "none", "null", "nil", "undefined", "true", "false", "yes", "no", "on", "off", "required", "optional",
    "str", "string", "bytes", "int", "bool", "any", "secretstr", "secretbytes", "env", "inherit", "omit",
    "redacted", "masked", "hidden", "object", "text", "varchar", "char", "bearer", "basic", "token",
})
_TEMPLATE = re.compile(r"\{[A-Za-z0-9_.!:]{0,40}\}|%[sdrfi]|%\([A-Za-z_]+\)[sdrfi]")
_LABEL = re.compile(r"[a-z_ .,:*'\[\]\-]*|[A-Z_]+")  # "upgrades", "done.", "REVISION_SCRIPT_FILENAME"
_PASSWORD_WORDS = ("pass", "pwd", "secret")
_WORDS = re.compile(r"[A-Za-z]++(?:[-'][A-Za-z]++)*+")
_CODE_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*+(?:\.[A-Za-z_][A-Za-z0-9_]*+)*+")
_NEARBY = 240  # how far a rule looks around a match for the rest of its line (keeps it linear)


def _is_placeholder(value: str) -> bool:
    bare = value.strip("\"'").strip()
    lowered = bare.lower()
    if not bare or lowered in _TYPE_WORDS or "[redacted" in lowered:
        return True
    if bare.startswith(("$", "{{", "{%", "#{", "%(", "!vault", "process.env", "[", ":")):
        return True  # a reference or a template, not a value
    if bare.startswith("<") and bare.endswith(">"):
        return True  # <password>
    if _TEMPLATE.search(bare):
        return True  # "Bearer {}".format(token), f"{token}", "%s"
    return len(set(bare)) == 1  # "xxxxxxxx", "********"


def _is_sensitive_key(key: str) -> bool:
    """Whether ``key`` names a secret; of a dotted key (``self._token``, ``token.kind``) the last part decides."""
    lowered = key.lower().rsplit(".", 1)[-1].lstrip("_")
    return _SENSITIVE.search(lowered) is not None and _NOT_SENSITIVE.search(lowered) is None


def _line_around(text: str, start: int, end: int) -> tuple[str, str]:
    """The rest of the line before ``start`` and after ``end`` (at most _NEARBY characters each way)."""
    low = max(0, start - _NEARBY)
    line_start = text.rfind("\n", low, start) + 1 or low
    line_end = text.find("\n", end, end + _NEARBY)
    return text[line_start:start], text[end : end + _NEARBY] if line_end < 0 else text[end:line_end]


def _alone_on_line(before: str, after: str) -> bool:
    """``KEY=value`` is the whole line: env, YAML, TOML, INI (an optional diff marker, ``export`` or ``-``)."""
    lead = before.lstrip("+- \t").removeprefix("export ").strip()
    tail = after.strip()
    return lead in ("", '"', "'") and (tail in ("", ";") or tail.startswith(("#", "//")))


def _unquoted_is_secret(match: re.Match[str], value: str, *, in_command: bool = False) -> bool:
    """Whether an unquoted value holds a secret rather than code that reads one, or prose."""
    head = match.group("head")
    name = _CODE_REFERENCE.fullmatch(value) is not None
    has_digit = any(c.isdigit() for c in value)
    if in_command:  # --password=x always; --password x unless a plain word ("the --password option")
        return head == "=" or has_digit or not (name or _WORDS.fullmatch(value))
    if head.strip() == "==":
        return False  # a comparison in code
    if value.isdigit() and len(value) < 12 and not _is_password_key(match.group("key")):
        return False  # _COOKIE_QUOTA_TOTAL = 3000
    if head.strip() == ":" and name and not has_digit and value[0] in "ABCDEFGHIJKLMNOPQRSTUVWXYZ_":
        return False  # a type annotation: token: AttributeEventToken
    before, after = _line_around(match.string, match.start(), match.end())
    if after.startswith(("(", "[", ".")):
        return False  # a call, an index or an attribute: code reading a secret
    if before.endswith(("?", "&")):
        return True  # a URL query parameter
    quoted_key = match.group("lead") != "" and head.startswith(match.group("lead"))
    if name and ("." in value or (value.isupper() and "_" in value) or quoted_key):
        return False  # self.token, os.environ, GITHUB_TOKEN (a variable's name), {"password": password}
    # `token = value` or `token: str = value`: code (or INI), not .env or YAML
    spaced = head.startswith((" ", "\t")) or (head.startswith(":") and "=" in head)
    if name and spaced and not has_digit:
        return False  # self.token = token
    if _alone_on_line(before + match.group("lead"), after):
        return True  # .env, YAML, INI: the value is the whole rest of the line
    # In the middle of a line a bare word is code (password=password) or prose (password: see vault).
    return not (name or _WORDS.fullmatch(value)) or has_digit


def _is_label(key: str, value: str) -> bool:
    """A quoted word with no digits under a token-ish name is a label (``upgrade_token = "upgrades"``); under a
    password-ish name it may be the password itself."""
    return not _is_password_key(key) and not any(c.isdigit() for c in value) and _LABEL.fullmatch(value) is not None


def _is_password_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _PASSWORD_WORDS)


def _assignment_replacer(*, in_command: bool = False) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if not _is_sensitive_key(match.group("key")) or already_masked(match, value) or _is_placeholder(value):
            return match.group(0)
        if in_command and not at_token_start(match.string, match.start()):
            return match.group(0)  # a dash inside a word, not a flag
        if not in_command and match.group("head")[:1] in " \t" and match.group("head").strip()[:1] == ":":
            return match.group(0)  # "Pass :obj:" is prose; YAML and JSON put the colon right after the key
        head = match.group("lead") + match.group("key") + match.group("head")
        if value[0] in "\"'" and len(value) >= 2 and value[-1] == value[0]:
            inner = value[1:-1]
            if _is_label(match.group("key"), inner):
                return match.group(0)
            return head + value[0] + mask("", inner, generic_keep(inner)) + value[0]
        if not _unquoted_is_secret(match, value, in_command=in_command):
            return match.group(0)
        return head + mask("", value, generic_keep(value))

    return replace


# ---------------------------------------------------------------------------------------------------------
# High-entropy values in .env-like lines

_ENV_LINE = re.compile(
    r"^(?P<head>[+\- ]?[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,80}+)(?P<sep>[ \t]*[=:][ \t]*))"
    r"(?P<quote>[\"']?)(?P<value>[A-Za-z0-9+/=_\-.~:]{16,512}+)(?P=quote)(?P<tail>[ \t\r]*(?:#[^\n]*)?)$",
    re.MULTILINE,
)
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F\-]+")


def _random_value(value: str) -> bool:
    if _HEX_OR_UUID.fullmatch(value) or (_CODE_REFERENCE.fullmatch(value) and "." in value):
        return False  # shas, UUIDs, dotted names (com.acme.ShopApplication)
    if "://" in value or value.startswith(("/", "~", ".")):
        return False  # URLs (their passwords have their own rule) and paths
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    if not (has_classes(value, digit=False) or len(value) >= 32):
        return False
    return _class_switches(value) >= 0.35 and entropy(value) >= (3.5 if len(value) < 24 else 4.0)


def _class_switches(value: str) -> float:
    """How often neighbours differ in kind (upper, lower, digit, other): ~0.6 for random text, ~0.2 for CamelCase."""
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" if c.isdigit() else "o" for c in value]
    return sum(1 for a, b in pairwise(kinds) if a != b) / max(1, len(value) - 1)


def _redact_env_entropy(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        key, sep = match.group("key"), match.group("sep")
        env_like = not any(c.islower() for c in key) or not sep.startswith((" ", "\t"))  # not `name = value` code
        if not env_like or already_masked(match, value) or _is_placeholder(value) or not _random_value(value):
            return match.group(0)
        quote = match.group("quote")
        return (match.group("head") + quote + mask("", value, generic_keep(value)) + quote
                + match.group("tail"))

    return _ENV_LINE.sub(replace, text)


# ---------------------------------------------------------------------------------------------------------
# Where to try the context rules. Python's regex engine only jumps ahead quickly to a literal, case-sensitive
# prefix; these rules start with a lookbehind or a case-insensitive word, so instead of letting it try every
# position they are tried only where a cheap search (str.find, or a literal regex on the lowered text) found
# their anchor word.

_KEYWORD = re.compile(r"pass|pwd|secret|token|key|auth|cred|cookie|dsn")
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEY_RUN = re.compile(r"[A-Za-z0-9_.\-]*+")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lowered(text: str) -> str:
    """``text`` in lower case, index for index (a few Unicode letters change length under str.lower)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def _find_all(haystack: str, needle: str) -> Iterator[int]:
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + 1)


def _key_starts(text: str, low: str) -> Iterator[int]:
    """Where a key holding a sensitive word starts (once per run of key characters), and its quote if any."""
    run_end = -1
    for hit in _KEYWORD.finditer(low):
        at = hit.start()
        if at < run_end:
            continue
        found = _KEY_RUN.match(text, at)
        run_end = found.end() if found is not None else at + 1
        start = at
        while start > 0 and text[start - 1] in _KEY_CHARS and at - start < 80:
            start -= 1
        if text[start] == "-" and (start == 0 or text[start - 1] == "\n"):
            start += 1  # the mark of a removed diff line
        if start > 0 and text[start - 1] in "\"'":
            yield start - 1
        yield start


def _scheme_starts(text: str) -> Iterator[int]:
    for at in _find_all(text, "://"):
        start = at
        while start > 0 and text[start - 1] in _SCHEME_CHARS and at - start < 21:
            start -= 1
        while start < at and text[start] not in _LETTERS:
            start += 1
        yield start


def _header_starts(low: str) -> Iterator[int]:
    for at in _find_all(low, "authorization"):
        if low.endswith("proxy-", 0, at):
            yield at - 6
        yield at


def _sub_at(pattern: re.Pattern[str], text: str, starts: Iterable[int],
            replace: Callable[[re.Match[str]], str]) -> str:
    """``pattern.sub(replace, text)``, trying matches only at ``starts`` (ascending)."""
    out: list[str] = []
    pos = 0
    for start in starts:
        if start < pos:
            continue
        match = pattern.match(text, start)
        if match is None:
            continue
        out.append(text[pos : match.start()])
        out.append(replace(match))
        pos = match.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# The pipeline


def _redact_single_line_rules(text: str) -> str:
    if "-----BEGIN " in text:
        text = redact_inline_private_keys(text)
    text = redact_tokens(text)
    if "://" in text:
        text = _sub_at(_URL_PASSWORD, text, _scheme_starts(text), _context_replacer())
    low = _lowered(text)
    if "authorization" in low:
        text = _sub_at(_AUTH_HEADER, text, _header_starts(low), _context_replacer())
        low = _lowered(text)
    if "bearer" in low:
        text = _sub_at(_BEARER, text, _find_all(low, "bearer"), _context_replacer(keep=4, need=_bearer_like))
        low = _lowered(text)
    if "=" in text or ":" in text:
        text = _sub_at(_ASSIGNMENT, text, _key_starts(text, low), _assignment_replacer())
        text = _redact_env_entropy(text)
    if "-" in text:
        text = _CLI_FLAG.sub(_assignment_replacer(in_command=True), text)
        if "-u" in text:
            text = _USER_PASSWORD_FLAG.sub(_context_replacer(), text)
    return redact_base64_lines(text)


def _redact(text: str, *, collapse: bool) -> str:
    if "-----BEGIN " in text:
        text = "\n".join(redact_private_key_lines(text.split("\n"), collapse=collapse))
    return _redact_single_line_rules(text)


def redact(text: str) -> str:
    """Mask every secret in ``text`` (see the module docstring). Idempotent, linear, never raises."""
    try:
        return _redact(text, collapse=True)
    except Exception:  # fail closed: a bug here must not let a secret through
        return REDACTED


def redact_lines(lines: Sequence[str]) -> list[str]:
    """Redact lines that belong together (e.g. a diff hunk, each with its marker), keeping them one-to-one.

    A private-key body becomes one ``…[redacted]`` line per original line, so line ``i`` of the result is
    line ``i`` of the input, masked. Lines must not contain ``\\n``.
    """
    try:
        result = _redact("\n".join(lines), collapse=False).split("\n")
    except Exception:  # fail closed
        return [REDACTED for _ in lines]
    if len(result) != len(lines):
        return [REDACTED for _ in lines]
    return result


def contains_secret(text: str) -> bool:
    """Whether ``redact`` would mask anything in ``text``."""
    return redact(text) != text
