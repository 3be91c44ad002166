"""The /hotfix chat grammar (CONTRACT §4): table-driven, pure."""

from __future__ import annotations

import pytest

from bot.domain.values import AgentKind, ConversationRef, MessageRef, Mode, Priority
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
from bot.services.grammar import HELP, MAX_TEXT_CHARS, USAGE, parse

CONVERSATION = ConversationRef(platform="slack", key="C0OPS")
ACTOR = "slack:U111"


def run(text: str) -> Command:
    return parse(text, actor=ACTOR, conversation=CONVERSATION)


def reason_of(text: str) -> str:
    command = run(text)
    assert isinstance(command, UsageError), command
    return command.reason


# --- sub-commands ---------------------------------------------------------------------------------------

ID_COMMANDS = [
    ("status", ShowStatus),
    ("stop", StopHotfix),
    ("approve", ApproveHotfix),
    ("reset", ResetHotfix),
    ("diff", ShowDiff),
    ("log", ShowLog),
    ("accept", AcceptHotfix),
]


@pytest.mark.parametrize(("word", "expected"), ID_COMMANDS)
@pytest.mark.parametrize("typed_id", ["HF-7", "hf-7", "HF7", "7", "hf7"])
def test_id_sub_commands_take_every_id_spelling(word: str, expected: type[Command], typed_id: str) -> None:
    command = run(f"{word} {typed_id}")
    assert type(command) is expected
    assert command.hotfix_id == 7  # type: ignore[attr-defined]


@pytest.mark.parametrize(("word", "expected"), ID_COMMANDS)
def test_sub_command_words_are_case_insensitive(word: str, expected: type[Command]) -> None:
    assert type(run(f"{word.upper()} HF-12")) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help),
        ("HELP", Help),
        ("queue", ShowQueue),
        ("  Queue  ", ShowQueue),
        ("/hotfix help", Help),
        ("/hotfix@HotfixBot queue", ShowQueue),
        ("/HOTFIX@hotfix_bot help", Help),
    ],
)
def test_bare_sub_commands(text: str, expected: type[Command]) -> None:
    assert type(run(text)) is expected


def test_deny_with_and_without_reason() -> None:
    assert run("deny HF-3") == DenyAction(actor=ACTOR, conversation=CONVERSATION, hotfix_id=3, reason="")
    denied = run("deny 3 touches   the billing\nschema")
    assert isinstance(denied, DenyAction)
    assert denied.reason == "touches   the billing\nschema"


def test_revise_keeps_feedback_as_typed() -> None:
    command = run("revise hf-9 Use a guard clause;\n  don't catch Exception")
    assert command == ReviseHotfix(
        actor=ACTOR, conversation=CONVERSATION, hotfix_id=9, feedback="Use a guard clause;\n  don't catch Exception"
    )


def test_reject_keeps_reason() -> None:
    command = run("reject 4 not urgent, file a ticket")
    assert command == RejectHotfix(
        actor=ACTOR, conversation=CONVERSATION, hotfix_id=4, reason="not urgent, file a ticket"
    )


@pytest.mark.parametrize(
    ("text", "repo", "reason"),
    [
        ("freeze deploy window until 18:00", None, "deploy window until 18:00"),
        ("freeze repo:shop payment provider outage", "shop", "payment provider outage"),
        ("FREEZE REPO:shop-api incident", "shop-api", "incident"),
    ],
)
def test_freeze(text: str, repo: str | None, reason: str) -> None:
    assert run(text) == FreezeQueue(actor=ACTOR, conversation=CONVERSATION, repo=repo, reason=reason)


@pytest.mark.parametrize(("text", "repo"), [("unfreeze", None), ("unfreeze repo:shop", "shop")])
def test_unfreeze(text: str, repo: str | None) -> None:
    assert run(text) == UnfreezeQueue(actor=ACTOR, conversation=CONVERSATION, repo=repo)


def test_envelope_is_copied_onto_every_command() -> None:
    source = MessageRef(conversation=CONVERSATION, key="1700000000.000100", thread="1700000000.000001")
    for text in ("help", "status 7", "checkout returns 500", "status HF-x", "freeze incident"):
        command = parse(text, actor="telegram:42", conversation=CONVERSATION, source=source, actor_is_bot=True)
        assert (command.actor, command.conversation, command.source, command.actor_is_bot) == (
            "telegram:42",
            CONVERSATION,
            source,
            True,
        )


# --- sub-command words that start descriptions ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "stop sending duplicate emails",
        "status page shows 500",
        "help page link is broken",
        "queue worker is stuck since 09:00",
        "log in fails with 403 for SSO users",
        "diff viewer crashes on binary files",
        "reset password emails never arrive",
        "approve button does nothing on mobile",
        "accept header ignored by the API",
        "deny list blocks every new signup",
        "revise button missing on drafts",
        "reject reasons are not saved",
        "status 7 is shown for every order",
        "log 500 errors on checkout",
        "unfreeze button and the freeze toggle both crash",
        "STATUS PAGE DOWN",
        "login 500",
        "stats 502",
        "login",
        "deploy 7",
        "checkout",
        "7",
        "helpp me now",
    ],
)
def test_descriptions_that_look_a_little_like_sub_commands_file_a_hotfix(text: str) -> None:
    command = run(text)
    assert isinstance(command, FileHotfix)
    assert command.description == text


# --- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("status HF-x", "not a hotfix id: 'HF-x'"),
        ("stop #7", "not a hotfix id: '#7'"),
        ("log 0", "not a hotfix id: '0'"),
        ("diff hf-", "not a hotfix id: 'hf-'"),
        ("approve HF-0", "not a hotfix id: 'HF-0'"),
        ("deny HF-abc", "not a hotfix id: 'HF-abc'"),
        ("revise #3", "not a hotfix id: '#3'"),
        ("status", "'status' needs a hotfix id, e.g. /hotfix status HF-7"),
        ("reject", "'reject' needs a hotfix id, e.g. /hotfix reject HF-7"),
        ("stop HF-7 now please", "'stop' takes just a hotfix id, e.g. /hotfix stop HF-7"),
        ("revise HF-7", "say what should change: /hotfix revise HF-7 <feedback>"),
        ("revise 7   ", "say what should change: /hotfix revise HF-7 <feedback>"),
        ("reject 7", "give a reason: /hotfix reject HF-7 <reason>"),
        ("freeze", "give a reason: /hotfix freeze [repo:<name>] <reason>"),
        ("freeze repo:shop", "give a reason: /hotfix freeze [repo:<name>] <reason>"),
        (
            "freeze repo:a/b incident",
            "not a repository name: 'a/b' — use letters, digits, '.', '_' or '-' (at most 64)",
        ),
        ("unfreeze shop", "unfreeze takes only repo:<name>, e.g. /hotfix unfreeze repo:shop"),
        ("", "describe what is broken"),
        ("/hotfix", "describe what is broken"),
        ("   \n\t ", "describe what is broken"),
        ("repo:shop p0", "describe what is broken"),
        ("mode:fast checkout is down", "unknown mode 'fast' — use patch, diagnose or plan"),
        ("agent:gpt checkout is down", "unknown agent 'gpt' — use claude or codex"),
        ("mode: checkout is down", "unknown mode (empty) — use patch, diagnose or plan"),
        ("p3 checkout is down", "unknown priority 'p3' — use p0, p1 or p2"),
        ("repo:shop repo:api checkout is down", "repo: given twice — give each option once"),
        ("mode:plan MODE:patch checkout is down", "mode: given twice — give each option once"),
        ("agent:claude agent:codex checkout is down", "agent: given twice — give each option once"),
        ("p0 P1 checkout is down", "priority given twice — give one of p0, p1 or p2"),
        ("repo: checkout is down", "repo: needs a name, e.g. repo:shop"),
        ("HF-7", "what about 'HF-7'? e.g. /hotfix status HF-7"),
        ("cancel HF-7", "unknown sub-command 'cancel' — see /hotfix help"),
        ("merge hf3", "unknown sub-command 'merge' — see /hotfix help"),
        ("staus 7", "unknown sub-command 'staus' — did you mean 'status'?"),
        ("sotp HF-12", "unknown sub-command 'sotp' — did you mean 'stop'?"),
        ("approved 7", "unknown sub-command 'approved' — did you mean 'approve'?"),
        ("hlep", "unknown sub-command 'hlep' — did you mean 'help'?"),
        ("queu", "unknown sub-command 'queu' — did you mean 'queue'?"),
        ("repo:shop status 7", "'status' takes no options in front — see /hotfix help"),
        ("p0 queue", "'queue' takes no options in front — see /hotfix help"),
        ("repo:shop unfreeze", "'unfreeze' takes no options in front — see /hotfix help"),
        ("mode:plan revise HF-2 smaller", "'revise' takes no options in front — see /hotfix help"),
        ("repo:.. checkout is down", "not a repository name: '..' — use letters, digits, '.', '_' or '-' (at most 64)"),
        (
            "repo:" + "x" * 65 + " down",
            "not a repository name: '" + "x" * 39 + "…' — use letters, digits, '.', '_' or '-' (at most 64)",
        ),
    ],
)
def test_refusals_give_a_one_line_reason(text: str, reason: str) -> None:
    assert reason_of(text) == reason
    assert "\n" not in reason


def test_text_over_the_cap_is_refused_with_its_length() -> None:
    assert reason_of("x" * (MAX_TEXT_CHARS + 1)) == "description is too long (4001 characters, at most 4000)"
    assert isinstance(run("checkout 500 " + "x" * (MAX_TEXT_CHARS - 13)), FileHotfix)


def test_absurdly_long_text_is_refused_without_cleaning() -> None:
    assert reason_of("\x00" * 1_000_000).startswith("description is too long (1000000 characters")


# --- filing ---------------------------------------------------------------------------------------------------


def test_plain_description_gets_defaults() -> None:
    assert run("checkout returns 500 on /pay") == FileHotfix(
        actor=ACTOR,
        conversation=CONVERSATION,
        description="checkout returns 500 on /pay",
        repo=None,
        mode=Mode.PATCH,
        agent=None,
        priority=Priority.P1,
    )


@pytest.mark.parametrize(
    "text",
    [
        "repo:shop mode:diagnose agent:codex p0 checkout returns 500",
        "p0 agent:codex mode:diagnose repo:shop checkout returns 500",
        "P0 AGENT:Codex Mode:DIAGNOSE REPO:shop checkout returns 500",
        "/hotfix  repo:shop\tmode:diagnose\nagent:codex   p0   checkout returns 500  ",
        "/hotfix@HotfixBot repo:shop mode:diagnose agent:codex p0 checkout returns 500",
    ],
)
def test_options_in_any_order_and_case(text: str) -> None:
    command = run(text)
    assert isinstance(command, FileHotfix)
    assert (command.repo, command.mode, command.agent, command.priority, command.description) == (
        "shop",
        Mode.DIAGNOSE,
        AgentKind.CODEX,
        Priority.P0,
        "checkout returns 500",
    )


def test_options_only_count_before_the_description() -> None:
    command = run("checkout returns 500 for repo:shop in mode:plan p0")
    assert isinstance(command, FileHotfix)
    assert (command.repo, command.mode, command.priority) == (None, Mode.PATCH, Priority.P1)
    assert command.description == "checkout returns 500 for repo:shop in mode:plan p0"


@pytest.mark.parametrize("text", ["p95 latency doubled on search", "http://shop/pay returns 500", "error: boom"])
def test_option_lookalikes_start_the_description(text: str) -> None:
    command = run(text)
    assert isinstance(command, FileHotfix)
    assert command.description == text


def test_repo_name_keeps_its_case_and_allowed_characters() -> None:
    command = run("repo:Shop_API-v2.1 login fails")
    assert isinstance(command, FileHotfix)
    assert command.repo == "Shop_API-v2.1"


@pytest.mark.parametrize("value", ["<http://shop.io|shop.io>", "<http://shop.io>", "<mailto:shop.io|shop.io>"])
def test_slack_auto_linked_repo_value_uses_the_label(value: str) -> None:
    command = run(f"repo:{value} checkout is down")
    assert isinstance(command, FileHotfix)
    assert command.repo == "shop.io"


@pytest.mark.parametrize("text", ["status HF-7?", "status hf-7.", "stop 7!"])
def test_trailing_punctuation_on_an_id_is_ignored(text: str) -> None:
    command = run(text)
    assert isinstance(command, (ShowStatus, StopHotfix))
    assert command.hotfix_id == 7


@pytest.mark.parametrize(
    "text", ["p0 status page returns 500", "repo:shop freeze when saving drafts", "p1 help me, login fails"]
)
def test_options_in_front_of_a_description_that_starts_with_a_sub_command_word(text: str) -> None:
    assert isinstance(run(text), FileHotfix)


def test_description_keeps_newlines_tabs_and_slack_escapes() -> None:
    text = "p1 webhook &lt;-&gt; <https://x.io/a|dashboard> fails for <@U123>\n\ttrace: KeyError &amp; more"
    command = run(text)
    assert isinstance(command, FileHotfix)
    assert (
        command.description
        == "webhook &lt;-&gt; <https://x.io/a|dashboard> fails for <@U123>\n\ttrace: KeyError &amp; more"
    )


def test_control_characters_are_stripped_and_line_breaks_normalised() -> None:
    command = run("\x00checkout\x07 returns\u202e 500\r\nsince\u200b deploy\x1b[0m\rnow\u2028end")
    assert isinstance(command, FileHotfix)
    assert command.description == "checkout returns 500\nsince deploy[0m\nnow\nend"


def test_control_characters_cannot_hide_a_sub_command() -> None:
    assert isinstance(run("sta\x00tus 7"), ShowStatus)
    assert isinstance(run("\u200bhelp\u200b"), Help)


def test_lone_surrogates_are_dropped() -> None:
    command = run("checkout \ud800crashes")
    assert isinstance(command, FileHotfix)
    command.description.encode("utf-8")


def test_prefix_is_only_stripped_once_and_only_as_a_word() -> None:
    command = run("/hotfixes are broken")
    assert isinstance(command, FileHotfix)
    assert command.description == "/hotfixes are broken"
    command = run("/hotfix /hotfix loops")
    assert isinstance(command, FileHotfix)
    assert command.description == "/hotfix loops"


def test_usage_and_help_text() -> None:
    assert "\n" not in USAGE
    assert USAGE.startswith("Usage: /hotfix ")
    for word in (
        "help",
        "queue",
        "status",
        "stop",
        "approve",
        "deny",
        "revise",
        "reset",
        "diff",
        "log",
        "accept",
        "reject",
        "freeze",
        "unfreeze",
        "repo:<name>",
        "mode:",
        "agent:",
        "p0",
    ):
        assert f"{word}" in HELP, word
    assert all(line.startswith(("/hotfix", "  ")) for line in HELP.splitlines())
