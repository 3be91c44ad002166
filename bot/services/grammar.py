"""The ``/hotfix`` chat grammar (CONTRACT §4): typed text -> one command. Standard library only.

``parse`` never raises: input that does not fit becomes ``UsageError(reason=…)`` with a one-line reason, and
the adapter replies with that reason plus ``USAGE``.

Rules, in order:

1. Clean: control characters are dropped (newlines and tabs stay, as whitespace, in descriptions; ``\\r\\n``
   and other line separators become ``\\n``), as are bidi overrides, zero-width spaces and lone surrogates.
   A leading ``/hotfix`` or ``/hotfix@SomeBot`` is stripped. Text longer than ``MAX_TEXT_CHARS`` is refused.
2. Sub-commands: the first word (any case) names one AND what follows fits it:
   ``help``/``queue`` with nothing after; ``status|stop|approve|reset|diff|log|accept ID`` with exactly one ID;
   ``deny ID [reason]``; ``revise ID <feedback>``; ``reject ID <reason>``; ``freeze [repo:<name>] <reason>``;
   ``unfreeze [repo:<name>]``. ``/hotfix stop sending duplicate emails`` is therefore a description.
   Refused rather than filed: an ID-taking word alone (``status``) or followed by one malformed id attempt
   (``status HF-x``, ``stop #7``, ``log 0``) or by an explicit ``HF-``id plus more words (``stop HF-7 now``);
   ``revise ID`` or ``reject ID`` with nothing after; ``freeze`` without a reason; ``unfreeze`` plus one word
   that is not ``repo:<name>``. Trailing punctuation on an id is ignored (``status HF-7?``). Also refused as
   sub-command attempts: a word close to a sub-command alone or before an id (``staus 7``, ``hlep``), any word
   before an explicit ``HF-``id with nothing after (``cancel HF-7``), and a lone ``HF-7``.
3. Otherwise a new hotfix: options first, any order, any case — ``repo:<name>``, ``mode:patch|diagnose|plan``,
   ``agent:claude|codex``, ``p0|p1|p2`` — then the description (kept as typed, trimmed). A bad or repeated
   option, an empty description, or options in front of a sub-command (``repo:shop status 7``) is refused.
   Slack-escaped text (``&lt;``, ``<https://x|label>``, ``<@U123>``) is left in the description as given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.domain.values import AgentKind, ConversationRef, MessageRef, Mode, Priority, parse_hotfix_id
from bot.services.commands import (
    AcceptHotfix,
    ApproveHotfix,
    Command,
    DenyAction,
    FileHotfix,
    FreezeQueue,
    Help,
    RejectHotfix,
    ResetHotfix,
    ReviseHotfix,
    ShowDiff,
    ShowLog,
    ShowQueue,
    ShowStatus,
    StopHotfix,
    UnfreezeQueue,
    UsageError,
)

__all__ = ["HELP", "MAX_TEXT_CHARS", "USAGE", "parse"]

MAX_TEXT_CHARS = 4000

USAGE = (
    "Usage: /hotfix [repo:<name>] [mode:patch|diagnose|plan] [agent:claude|codex] [p0|p1|p2] "
    "<what is broken> · /hotfix help"
)

HELP = "\n".join(
    [
        "/hotfix [repo:<name>] [mode:patch|diagnose|plan] [agent:claude|codex] [p0|p1|p2] <what is broken>",
        "  file a hotfix (mode: patch makes the smallest fix; diagnose and plan make no edits; default p1)",
        "/hotfix help — this help",
        "/hotfix queue — what is running and waiting",
        "/hotfix status ID — one hotfix's card (ID is HF-7 or 7)",
        "/hotfix stop ID — stop the run, keep the branch for inspection",
        "/hotfix approve ID — approve what the hotfix waits on",
        "/hotfix deny ID [reason] — deny what the hotfix waits on",
        "/hotfix revise ID <feedback> — send the agent feedback on its diff",
        "/hotfix reset ID — discard the work: remove the worktree and branch",
        "/hotfix diff ID — the full diff as a file",
        "/hotfix log ID — the audit trail",
        "/hotfix accept ID — triage: accept a held hotfix",
        "/hotfix reject ID <reason> — triage: reject a hotfix",
        "/hotfix freeze [repo:<name>] <reason> — triage: stop starting new runs",
        "/hotfix unfreeze [repo:<name>] — triage: start runs again",
    ]
)

# Dropped outright: C0/C1 controls except tab and line breaks, zero-width space/word joiner, BOM,
# bidi embeddings/overrides/isolates, and lone surrogates (they cannot be encoded for any platform).
_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_COMMAND_PREFIX = re.compile(r"\A\s*/hotfix(?:@[A-Za-z0-9_]*)?(?=\s|\Z)", re.IGNORECASE)
_WORD = re.compile(r"\S+")
_REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SLACK_LINK = re.compile(r"<(?:https?://|mailto:)([^|>]*)(?:\|([^>]*))?>")
_ID_ATTEMPT = re.compile(r"(?:hf(?:[-#_]|\d|\Z)|#|\d)", re.IGNORECASE)
_EXPLICIT_ID = re.compile(r"hf", re.IGNORECASE)
_PRIORITY_WORD = re.compile(r"p\d", re.IGNORECASE)  # not p95: "p95 latency is up" is a description
_HARD_CAP = MAX_TEXT_CHARS * 16  # beyond this, do not even clean the text
_C = TypeVar("_C", bound=Command)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Envelope:
    """Who sent the text and where: copied onto whichever command the text becomes."""

    actor: str
    conversation: ConversationRef
    source: MessageRef | None
    actor_is_bot: bool

    def make(self, command: type[_C], **fields: Any) -> _C:
        return command(
            actor=self.actor,
            conversation=self.conversation,
            source=self.source,
            actor_is_bot=self.actor_is_bot,
            **fields,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Words:
    """The cleaned text and its whitespace-separated words with their positions (to slice free text)."""

    text: str
    spans: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.spans)

    def word(self, index: int) -> str:
        start, end = self.spans[index]
        return self.text[start:end]

    def rest(self, index: int) -> str:
        """The text from word ``index`` to the end, exactly as typed (trimmed); "" past the end."""
        if index >= len(self.spans):
            return ""
        return self.text[self.spans[index][0] :].strip()


def parse(
    text: str,
    *,
    actor: str,
    conversation: ConversationRef,
    source: MessageRef | None = None,
    actor_is_bot: bool = False,
) -> Command:
    """Turn what followed ``/hotfix`` into a command, or a ``UsageError`` saying what was wrong."""
    envelope = _Envelope(actor=actor, conversation=conversation, source=source, actor_is_bot=actor_is_bot)
    try:
        return _parse(text, envelope)
    except Exception:  # never let odd input crash an adapter; the reason stays generic on purpose
        return envelope.make(UsageError, reason="could not read that command")


def _parse(text: str, envelope: _Envelope) -> Command:
    body = text if isinstance(text, str) else ""
    if len(body) > _HARD_CAP:
        return _too_long(len(body), envelope)
    body = _COMMAND_PREFIX.sub("", _clean(body), count=1).strip()
    if len(body) > MAX_TEXT_CHARS:
        return _too_long(len(body), envelope)
    words = _Words(text=body, spans=tuple(m.span() for m in _WORD.finditer(body)))
    if len(words) > 0:
        sub_command = _SUB_COMMANDS.get(words.word(0).casefold())
        command = sub_command(words, envelope) if sub_command else _unknown_sub_command(words, envelope)
        if command is not None:
            return command
    return _file_hotfix(words, envelope)


def _unknown_sub_command(words: _Words, envelope: _Envelope) -> UsageError | None:
    """``cancel HF-7``, ``staus 7``, ``hlep``, a lone ``HF-7``: sub-command attempts, not descriptions.

    "login 500" or "stats 502" stay descriptions: a bare number that could be a status code is not an id here.
    """
    first = words.word(0).casefold()
    explicit = len(words) == 2 and _EXPLICIT_ID.match(words.word(1)) is not None
    if len(words) == 1 and _EXPLICIT_ID.match(first) and parse_hotfix_id(first) is not None:
        return _usage(f"what about {_quoted(words.word(0))}? e.g. /hotfix status {words.word(0)}", envelope)
    if len(words) == 2:
        number = parse_hotfix_id(words.word(1).rstrip(".,;:!?"))
        if number is None or (not explicit and 100 <= number <= 599):
            return None
    elif len(words) > 2:
        return None
    close = next((name for name in _SUB_COMMANDS if _one_typo_apart(first, name)), None)
    if close:
        return _usage(f"unknown sub-command {_quoted(first)} — did you mean '{close}'?", envelope)
    if explicit:
        return _usage(f"unknown sub-command {_quoted(first)} — see /hotfix help", envelope)
    return None


def _one_typo_apart(typed: str, name: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns ``typed`` into ``name``."""
    if typed == name or abs(len(typed) - len(name)) > 1 or len(typed) < 3:
        return False
    if len(typed) == len(name):
        diffs = [i for i, (a, b) in enumerate(zip(typed, name, strict=True)) if a != b]
        swapped = len(diffs) == 2 and diffs[1] == diffs[0] + 1 and typed[diffs[0]] == name[diffs[1]]
        return len(diffs) == 1 or (swapped and typed[diffs[1]] == name[diffs[0]])
    shorter, longer = sorted((typed, name), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _clean(text: str) -> str:
    return _DROPPED.sub("", _LINE_BREAKS.sub("\n", text))


def _too_long(length: int, envelope: _Envelope) -> Command:
    return _usage(f"description is too long ({length} characters, at most {MAX_TEXT_CHARS})", envelope)


def _usage(reason: str, envelope: _Envelope) -> UsageError:
    return envelope.make(UsageError, reason=reason)


def _quoted(word: str, limit: int = 40) -> str:
    """A user's word for an error message: repr-quoted, cut short."""
    shown = word if len(word) <= limit else word[: limit - 1] + "…"
    return f"'{shown}'"


# --- sub-commands ---------------------------------------------------------------------------------------
# Each returns a command when what follows the first word fits, a UsageError when it is clearly a botched
# sub-command, and None when the text is a description that merely starts with that word.

_SubCommandParser = Callable[[_Words, _Envelope], Command | None]


def _nothing_after(command: type[Command]) -> _SubCommandParser:
    def parse_bare(words: _Words, envelope: _Envelope) -> Command | None:
        return envelope.make(command) if len(words) == 1 else None

    return parse_bare


def _id_or_refusal(words: _Words, envelope: _Envelope) -> int | UsageError | None:
    """The id in word 1; a UsageError for a missing id or a malformed one standing alone; None otherwise."""
    if len(words) < 2:
        name = words.word(0).casefold()
        return _usage(f"'{name}' needs a hotfix id, e.g. /hotfix {name} HF-7", envelope)
    candidate = words.word(1)
    number = parse_hotfix_id(candidate.rstrip(".,;:!?"))  # "status HF-7?" still asks about HF-7
    if number is not None:
        return number
    if len(words) == 2 and _ID_ATTEMPT.match(candidate):
        return _usage(f"not a hotfix id: {_quoted(candidate)}", envelope)
    return None


def _just_an_id(command: type[Command]) -> _SubCommandParser:
    def parse_id(words: _Words, envelope: _Envelope) -> Command | None:
        found = _id_or_refusal(words, envelope)
        if not isinstance(found, int):
            return found
        name = words.word(0).casefold()
        if len(words) == 2:
            return envelope.make(command, hotfix_id=found)
        if _EXPLICIT_ID.match(words.word(1)):
            return _usage(f"'{name}' takes just a hotfix id, e.g. /hotfix {name} HF-{found}", envelope)
        return None

    return parse_id


def _id_and_text(command: type[Command], field: str, missing: str | None) -> _SubCommandParser:
    """``<word> ID <text>``; ``missing`` (with ``{id}``) refuses an empty text, None allows it."""

    def parse_id_and_text(words: _Words, envelope: _Envelope) -> Command | None:
        found = _id_or_refusal(words, envelope)
        if not isinstance(found, int):
            return found
        text = words.rest(2)
        if not text and missing is not None:
            return _usage(missing.replace("{id}", f"HF-{found}"), envelope)
        return envelope.make(command, hotfix_id=found, **{field: text})

    return parse_id_and_text


def _repo_option(word: str) -> str | None:
    """``repo:<value>`` -> value (possibly invalid); anything else -> None."""
    key, sep, value = word.partition(":")
    return value if sep and key.casefold() == "repo" else None


def _parse_freeze(words: _Words, envelope: _Envelope) -> Command | None:
    repo: str | None = None
    reason_from = 1
    if len(words) > 1 and (value := _repo_option(words.word(1))) is not None:
        repo_or_error = _repo_name(value, envelope)
        if isinstance(repo_or_error, UsageError):
            return repo_or_error
        repo, reason_from = repo_or_error, 2
    reason = words.rest(reason_from)
    if not reason:
        return _usage("give a reason: /hotfix freeze [repo:<name>] <reason>", envelope)
    return envelope.make(FreezeQueue, reason=reason, repo=repo)


def _parse_unfreeze(words: _Words, envelope: _Envelope) -> Command | None:
    if len(words) == 1:
        return envelope.make(UnfreezeQueue)
    if len(words) > 2:
        return None
    value = _repo_option(words.word(1))
    if value is None:
        return _usage("unfreeze takes only repo:<name>, e.g. /hotfix unfreeze repo:shop", envelope)
    repo_or_error = _repo_name(value, envelope)
    if isinstance(repo_or_error, UsageError):
        return repo_or_error
    return envelope.make(UnfreezeQueue, repo=repo_or_error)


_SUB_COMMANDS: dict[str, _SubCommandParser] = {
    "help": _nothing_after(Help),
    "queue": _nothing_after(ShowQueue),
    "status": _just_an_id(ShowStatus),
    "stop": _just_an_id(StopHotfix),
    "approve": _just_an_id(ApproveHotfix),
    "reset": _just_an_id(ResetHotfix),
    "diff": _just_an_id(ShowDiff),
    "log": _just_an_id(ShowLog),
    "accept": _just_an_id(AcceptHotfix),
    "deny": _id_and_text(DenyAction, "reason", None),
    "revise": _id_and_text(ReviseHotfix, "feedback", "say what should change: /hotfix revise {id} <feedback>"),
    "reject": _id_and_text(RejectHotfix, "reason", "give a reason: /hotfix reject {id} <reason>"),
    "freeze": _parse_freeze,
    "unfreeze": _parse_unfreeze,
}


# --- filing a hotfix -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Options:
    repo: str | None = None
    mode: Mode | None = None
    agent: AgentKind | None = None
    priority: Priority | None = None


_OPTION_CHOICES: dict[str, tuple[dict[str, Mode | AgentKind], str]] = {
    "mode": ({m.value: m for m in Mode}, "patch, diagnose or plan"),
    "agent": ({a.value: a for a in AgentKind}, "claude or codex"),
}


def _file_hotfix(words: _Words, envelope: _Envelope) -> Command:
    options = _Options()
    index = 0
    while index < len(words):
        outcome = _take_option(words.word(index), options, envelope)
        if outcome is None:
            break
        if isinstance(outcome, UsageError):
            return outcome
        index += 1
    description = words.rest(index)
    if not description:
        return _usage("describe what is broken", envelope)
    if index and _is_sub_command(_Words(text=words.text, spans=words.spans[index:]), envelope):
        name = words.word(index).casefold()
        return _usage(f"'{name}' takes no options in front — see /hotfix help", envelope)
    return envelope.make(
        FileHotfix,
        description=description,
        repo=options.repo,
        mode=options.mode or Mode.PATCH,
        agent=options.agent,
        priority=options.priority or Priority.P1,
    )


def _is_sub_command(words: _Words, envelope: _Envelope) -> bool:
    """True when ``words`` read as a sub-command (``repo:shop status 7``); freeze reads anything, so not it."""
    word = words.word(0).casefold()
    sub_command = _SUB_COMMANDS.get(word) if word != "freeze" else None
    return sub_command is not None and isinstance(sub_command(words, envelope), Command)


def _take_option(word: str, options: _Options, envelope: _Envelope) -> bool | UsageError | None:
    """Apply ``word`` to ``options`` (True); None when it is not an option; a UsageError when it is bad."""
    if _PRIORITY_WORD.fullmatch(word):
        return _take_priority(word, options, envelope)
    key, sep, value = word.partition(":")
    key = key.casefold()
    if not sep or key not in ("repo", "mode", "agent"):
        return None
    if getattr(options, key) is not None:
        return _usage(f"{key}: given twice — give each option once", envelope)
    value = _unlink(value)
    if key == "repo":
        repo_or_error = _repo_name(value, envelope)
        if isinstance(repo_or_error, UsageError):
            return repo_or_error
        options.repo = repo_or_error
        return True
    choices, spelled = _OPTION_CHOICES[key]
    choice = choices.get(value.casefold())
    if choice is None:
        shown = _quoted(value) if value else "(empty)"
        return _usage(f"unknown {key} {shown} — use {spelled}", envelope)
    setattr(options, key, choice)
    return True


def _take_priority(word: str, options: _Options, envelope: _Envelope) -> bool | UsageError:
    if options.priority is not None:
        return _usage("priority given twice — give one of p0, p1 or p2", envelope)
    try:
        options.priority = Priority(word.casefold())
    except ValueError:
        return _usage(f"unknown priority {_quoted(word)} — use p0, p1 or p2", envelope)
    return True


def _unlink(value: str) -> str:
    """Slack may auto-link an option value (``<http://shop.io|shop.io>``): keep the label."""
    linked = _SLACK_LINK.fullmatch(value)
    return (linked.group(2) or linked.group(1)) if linked else value


def _repo_name(value: str, envelope: _Envelope) -> str | UsageError:
    value = _unlink(value)
    if not value:
        return _usage("repo: needs a name, e.g. repo:shop", envelope)
    if not _REPO_NAME.fullmatch(value) or set(value) == {"."}:
        return _usage(
            f"not a repository name: {_quoted(value)} — use letters, digits, '.', '_' or '-' (at most 64)",
            envelope,
        )
    return value
