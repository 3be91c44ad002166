"""Property tests: the grammar, naming and triage never raise on arbitrary text, and round-trip what they can."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.naming import branch_name, derive_title, slugify
from bot.domain.triage import triage
from bot.domain.values import AgentKind, ConversationRef, MessageRef, Mode, Priority
from bot.services.commands import (
    Command,
    DenyAction,
    FileHotfix,
    FreezeQueue,
    RejectHotfix,
    ReviseHotfix,
    ShowStatus,
    StopHotfix,
    UnfreezeQueue,
    UsageError,
)
from bot.services.grammar import MAX_TEXT_CHARS, parse

CONVERSATION = ConversationRef(platform="telegram", key="-1001234567")
SOURCE = MessageRef(conversation=CONVERSATION, key="42")
THOROUGH = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every code point, lone surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=300)
# Text that looks like chat: words from the grammar mixed with noise.
GRAMMAR_WORDS = st.sampled_from(
    [
        "/hotfix", "/hotfix@Bot", "help", "queue", "status", "stop", "approve", "deny", "revise", "reset", "diff",
        "log", "accept", "reject", "freeze", "unfreeze", "repo:shop", "repo:", "repo:a/b", "mode:patch",
        "mode:diagnose", "mode:plan", "mode:x", "agent:claude", "agent:codex", "agent:", "p0", "P1", "p2", "p9",
        "HF-7", "hf7", "7", "HF-", "#7", "0", "HF-x", "checkout", "500", "&lt;", "<@U1>", "<https://x|y>",
        "\n", "\t", "\x00", "\u202e", "\ud800", "\r\n", " ", "",
    ]
)  # fmt: skip
CHATTY_TEXT = st.lists(st.one_of(GRAMMAR_WORDS, st.text(ANY_CHAR, max_size=8)), max_size=12).map(" ".join)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def run(text: str) -> Command:
    return parse(text, actor="telegram:111", conversation=CONVERSATION, source=SOURCE)


def check_command(command: Command) -> None:
    assert (command.actor, command.conversation, command.source) == ("telegram:111", CONVERSATION, SOURCE)
    if isinstance(command, UsageError):
        assert command.reason != "could not read that command"  # the safety net was never needed
        assert command.reason and "\n" not in command.reason and len(command.reason) <= 160
        return
    for field in ("description", "feedback", "reason"):
        value = getattr(command, field, None)
        if value is not None:
            assert not CONTROL.search(value)
            assert len(value) <= MAX_TEXT_CHARS
            assert value == value.strip()
    if isinstance(command, FileHotfix):
        assert command.description
    repo = getattr(command, "repo", None)
    assert repo is None or REPO_NAME.fullmatch(repo)


@THOROUGH
@given(ANY_TEXT)
def test_parse_never_raises_on_any_text(text: str) -> None:
    check_command(run(text))


@THOROUGH
@given(CHATTY_TEXT)
def test_parse_never_raises_on_grammar_like_text(text: str) -> None:
    check_command(run(text))


@SLOW
@given(st.text(ANY_CHAR, min_size=3900, max_size=4200))
def test_parse_never_raises_near_the_length_cap(text: str) -> None:
    check_command(run(text))


@FAST
@given(
    st.lists(st.one_of(GRAMMAR_WORDS.filter(lambda word: "/hotfix" not in word), st.text(ANY_CHAR, max_size=8)))
    .map(" ".join)
    .filter(lambda text: "/hotfix" not in text.lower())
)
def test_a_leading_slash_command_changes_nothing(text: str) -> None:
    assert run("/hotfix " + text) == run(text)
    assert run("/hotfix@HotfixBot\n" + text) == run(text)


DESCRIPTION_WORD = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=10)
# Three words or more: one- and two-word texts may read as sub-command typos ("staus 7", "hlep").
DESCRIPTIONS = st.lists(DESCRIPTION_WORD, min_size=3, max_size=8).map(" ".join).filter(
    lambda text: text.split()[0].casefold()
    not in {"help", "queue", "status", "stop", "approve", "deny", "revise", "reset", "diff", "log", "accept",
            "reject", "freeze", "unfreeze"}
    and not re.fullmatch(r"p\d", text.split()[0], re.IGNORECASE)
)  # fmt: skip


@FAST
@given(
    repo=st.none() | st.from_regex(REPO_NAME, fullmatch=True).filter(lambda name: set(name) != {"."}),
    mode=st.none() | st.sampled_from(Mode),
    agent=st.none() | st.sampled_from(AgentKind),
    priority=st.none() | st.sampled_from(Priority),
    description=DESCRIPTIONS,
    shuffle=st.randoms(use_true_random=False),
    upper=st.booleans(),
)
def test_options_round_trip(
    repo: str | None,
    mode: Mode | None,
    agent: AgentKind | None,
    priority: Priority | None,
    description: str,
    shuffle: object,
    upper: bool,
) -> None:
    options = [f"repo:{repo}"] if repo is not None else []
    options += [f"mode:{mode.value}"] if mode else []
    options += [f"agent:{agent.value}"] if agent else []
    options += [priority.value] if priority else []
    shuffle.shuffle(options)  # type: ignore[attr-defined]
    if upper:
        options = [option.partition(":")[0].upper() + option[len(option.partition(":")[0]) :] for option in options]
    command = run(" ".join([*options, description]))
    assert command == FileHotfix(
        actor="telegram:111",
        conversation=CONVERSATION,
        source=SOURCE,
        description=description,
        repo=repo,
        mode=mode or Mode.PATCH,
        agent=agent,
        priority=priority or Priority.P1,
    )


ID_SPELLINGS = st.sampled_from(["HF-{}", "hf-{}", "HF{}", "hf{}", "{}"])
NUMBERS = st.integers(min_value=1, max_value=999_999_999)


@FAST
@given(number=NUMBERS, spelling=ID_SPELLINGS)
def test_ids_round_trip(number: int, spelling: str) -> None:
    assert run(f"status {spelling.format(number)}") == ShowStatus(
        actor="telegram:111", conversation=CONVERSATION, source=SOURCE, hotfix_id=number
    )
    assert isinstance(run(f"STOP   {spelling.format(number)}  "), StopHotfix)


FREE_TEXT = (
    st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=60).map(str.strip).filter(bool)
)


@FAST
@given(number=NUMBERS, text=FREE_TEXT)
def test_free_text_sub_commands_keep_their_text(number: int, text: str) -> None:
    envelope: dict[str, Any] = {"actor": "telegram:111", "conversation": CONVERSATION, "source": SOURCE}
    assert run(f"revise HF-{number} {text}") == ReviseHotfix(hotfix_id=number, feedback=text, **envelope)
    assert run(f"reject {number} {text}") == RejectHotfix(hotfix_id=number, reason=text, **envelope)
    assert run(f"deny hf{number} {text}") == DenyAction(hotfix_id=number, reason=text, **envelope)
    assert run(f"freeze repo:shop {text}") == FreezeQueue(repo="shop", reason=text, **envelope)
    assert run("unfreeze repo:shop") == UnfreezeQueue(repo="shop", **envelope)


@THOROUGH
@given(ANY_TEXT, st.sampled_from(Priority), st.sampled_from(Mode))
def test_triage_never_raises_and_always_explains(description: str, priority: Priority, mode: Mode) -> None:
    result = triage(description=description, priority=priority, mode=mode)
    assert result.outcome in ("accept", "hold", "reject")
    assert result.reason and "\n" not in result.reason and len(result.reason) < 200


@FAST
@given(CHATTY_TEXT, st.sampled_from(Priority), st.sampled_from(Mode))
def test_cleanup_requests_are_rejected_whatever_else_is_said(text: str, priority: Priority, mode: Mode) -> None:
    result = triage(description=f"Refactor the billing module. {text}", priority=priority, mode=mode)
    assert result.outcome == "reject"


@FAST
@given(ANY_TEXT, st.integers(min_value=1, max_value=200))
def test_titles_fit_their_limit_on_one_line(description: str, limit: int) -> None:
    title = derive_title(description, limit=limit)
    assert title and len(title) <= limit
    assert "\n" not in title and not CONTROL.search(title)


GIT_REF_COMPONENT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@FAST
@given(ANY_TEXT, st.integers(min_value=3, max_value=100), NUMBERS)
def test_slugs_and_branches_are_always_valid_git_refs(title: str, limit: int, number: int) -> None:
    slug = slugify(title, limit=limit)
    assert GIT_REF_COMPONENT.fullmatch(slug) and len(slug) <= limit
    branch = branch_name(number, slug)
    assert branch == f"hotfix/{number}-{slug}"
    assert GIT_REF_COMPONENT.fullmatch(branch_name(number, title).removeprefix(f"hotfix/{number}-"))
