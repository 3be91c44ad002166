"""Hostile input to every parser (hypothesis): the /hotfix grammar, Telegram updates, Slack payloads, callback data,
both agents' stream lines, ``.hotfix.toml``, ``hotfix.toml`` and unified diffs. Each either answers or raises its
own documented one-line error: never another exception, never a hang (pytest-timeout), bounded memory
(tracemalloc on the largest inputs)."""

from __future__ import annotations

import json
import string
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from adapters.agents.claude.mapping import tool_request
from adapters.agents.claude.stream import ClaudeProtocolError, ClaudeStream, parse_line
from adapters.agents.codex import protocol as codex
from adapters.git.diffparse import parse_unified_diff
from adapters.git.errors import GitCommandError
from adapters.slack import inbound as slack
from adapters.telegram import inbound as telegram
from bot.config import ConfigError, load_bot_config
from bot.domain.policy import PolicyError, load_policy
from bot.domain.values import ConversationRef
from bot.services.commands import Command, PressButton, UsageError
from bot.services.grammar import parse

THOUSANDS = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
SOME = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
CHAT = ConversationRef(platform="telegram", key="-100")
MB = 1024 * 1024

# Text an attacker would try: control and format characters, bidi overrides, surrogates, markup, shell syntax.
NASTY = st.sampled_from(["\x00", "\r", "\n", "\t", "\u202e", "\u200b", "\ufeff", "\ud800", "<", ">", "&", "|", "`",
                         "$(", "${", "'", '"', "\\", ";", "{0}", "%s", "<@U1>", "<!channel>", "HF-", "repo:", ":"])
TEXT = st.text(alphabet=st.characters(codec=None), max_size=300) | st.lists(
    NASTY | st.text(max_size=8), max_size=40).map("".join)
WORDS = st.sampled_from(["help", "queue", "status", "stop", "approve", "deny", "revise", "reset", "diff", "log",
                         "accept", "reject", "freeze", "unfreeze", "repo:shop", "repo:", "mode:plan", "mode:x",
                         "agent:codex", "agent:", "p0", "p9", "HF-1", "HF-0", "7", "-1", "99999999999999999999",
                         "1e9", "HF-７", "٣", "/hotfix", "/hotfix@bot", "@bot"])
LEAF_TEXT = st.text(max_size=12) | NASTY
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | LEAF_TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(LEAF_TEXT, inner, max_size=3),
                    max_leaves=8)


def peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----- the /hotfix grammar
@THOUSANDS
@given(text=TEXT)
def test_grammar_never_raises_on_any_text(text: str) -> None:
    command = parse(text, actor="telegram:1", conversation=CHAT)
    assert isinstance(command, Command)
    if isinstance(command, UsageError):
        assert "\n" not in command.reason and len(command.reason) < 400


@THOUSANDS
@given(words=st.lists(WORDS | TEXT, min_size=1, max_size=8), sep=st.sampled_from([" ", "  ", "\t", "\n", "\u3000"]))
def test_grammar_never_raises_on_near_commands(words: list[str], sep: str) -> None:
    command = parse(sep.join(words), actor="telegram:1", conversation=CHAT)
    assert isinstance(command, Command)
    for value in (getattr(command, "hotfix_id", None),):
        assert value is None or (isinstance(value, int) and 0 < value < 10**12)


@pytest.mark.parametrize("text", ["a" * 10 * MB, "stop " * MB, "HF-" + "9" * MB, "\u202e" * MB, "<@U1>" * MB])
def test_grammar_huge_input_is_refused_cheaply(text: str) -> None:
    assert peak_bytes(lambda: parse(text, actor="telegram:1", conversation=CHAT)) < 4 * MB + len(text) // 1


# ----- Telegram updates and callback data
USER = st.fixed_dictionaries({"id": st.integers(-(2**53), 2**53), "is_bot": st.booleans(),
                              "first_name": TEXT}, optional={"username": TEXT})
CHAT_JSON = st.fixed_dictionaries({"id": st.integers(-(2**53), 2**53),
                                   "type": st.sampled_from(["private", "group", "supergroup", "channel"])})
# Telegram delivers valid UTF-8 only: no lone surrogates (those are covered by the xfail below).
TG_TEXT = TEXT.map(lambda t: t.encode("utf-8", "replace").decode("utf-8"))
# Entities other than the leading command may point anywhere; the leading bot_command is as Telegram sends it.
ENTITY = st.fixed_dictionaries({"type": st.sampled_from(["mention", "text_link", "bold", "bot_command"]),
                                "offset": st.integers(1, 400), "length": st.integers(0, 400)})


def _message(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    command = draw(st.sampled_from(["", "/hotfix", "/hotfix@bot", "/hotfix@x@y"]))
    text = command + draw(st.sampled_from([" ", "\n", ""])) + draw(TG_TEXT)
    entities = draw(st.lists(ENTITY, max_size=3))
    if command:
        entities.insert(0, {"type": "bot_command", "offset": 0, "length": len(command)})
    message: dict[str, Any] = {"message_id": draw(st.integers(1, 2**31)), "date": 0, "chat": draw(CHAT_JSON),
                               "text": text, "entities": entities}
    if draw(st.booleans()):
        message["from"] = draw(USER)
    if draw(st.booleans()):
        message["message_thread_id"] = draw(st.integers(1, 2**31))
        message["is_topic_message"] = draw(st.booleans())
    if depth == 0 and draw(st.booleans()):
        message["reply_to_message"] = _message(draw, 1)
    return message


@st.composite
def telegram_updates(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"update_id": 1, "message": _message(draw)}
    query: dict[str, Any] = {"id": "q", "from": draw(USER), "chat_instance": "c",
                             "data": draw(TEXT | st.builds(lambda a, t: f"{a}:{t}", st.sampled_from(
                                 ["ap", "dn", "st", "rv", "rs", "fd", "co", "pa", "cl", "ru", "xx", ""]), TEXT))}
    if draw(st.booleans()):
        query["message"] = _message(draw, 1)
    return {"update_id": 1, "callback_query": query}


@SOME
@given(data=telegram_updates())
def test_telegram_updates_translate_or_are_ignored(data: dict[str, Any]) -> None:
    update = Update.de_json(data, None)
    assert update is not None
    if update.message is not None:
        command = telegram.hotfix_from_message(update.message)
        assert isinstance(command, Command)
        assert command.actor_is_bot or update.message.from_user is not None
        telegram.revise_from_reply(update.message, bot_id=42)
    if update.callback_query is not None:
        press = telegram.press_from_callback(update.callback_query)
        assert press is None or (isinstance(press, PressButton) and press.token)
        if press is not None:
            assert press.actor_is_bot == update.callback_query.from_user.is_bot


@pytest.mark.parametrize("text", ["", "\U00010000", "/hotfix \ud800"])
def test_telegram_command_entity_that_does_not_fit_the_text(text: str) -> None:
    """A bot_command entity at offset 0 that does not fit the text (empty text, half a surrogate pair)."""
    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "from": {"id": 5, "is_bot": False,
                                                                                 "first_name": "x"},
        "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": 1}]}}, None)
    assert update is not None and update.message is not None
    assert isinstance(telegram.hotfix_from_message(update.message), Command)


# ----- Slack payloads
SLACK_ID = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=12) | TEXT
VALUE = TEXT | st.builds(lambda a, t: f"{a}:{t}", st.sampled_from(["ap", "dn", "st", "rv", "xx"]), TEXT)


@st.composite
def slack_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = draw(st.dictionaries(LEAF_TEXT, JSON, max_size=2))
    body.update(user_id=draw(SLACK_ID), channel_id=draw(SLACK_ID), text=draw(TEXT),
                user={"id": draw(SLACK_ID), "is_bot": draw(st.booleans())}, channel={"id": draw(SLACK_ID)},
                container=draw(st.dictionaries(st.sampled_from(["message_ts", "thread_ts", "channel_id"]), TEXT)),
                message=draw(st.dictionaries(st.sampled_from(["ts", "thread_ts"]), TEXT)))
    return body


@SOME
@given(body=slack_bodies(), value=VALUE | JSON)
def test_slack_payloads_translate_or_are_ignored(body: dict[str, Any], value: object) -> None:
    assert isinstance(slack.command_from_slash(body), Command)
    press = slack.press_from_action(body, {"value": value, "action_id": "x"})
    assert press is None or (isinstance(press, PressButton) and press.token and press.actor_is_bot
                             == bool(body["user"]["is_bot"]))
    event = {"channel": body["channel_id"], "ts": "1.0", "text": body["text"], "user": body["user_id"]}
    assert isinstance(slack.command_from_mention(event), Command)
    slack.revise_from_view(body, {"private_metadata": value if isinstance(value, str) else "", "state": {}})
    assert isinstance(slack.plain_from_slack(body["text"]), str)


@pytest.mark.parametrize("body", [{"user": 1, "channel": {"id": "C1"}}, {"user": {"id": "U1"}, "channel": "C1"},
                                  {"user": {"id": "U1"}, "container": [], "channel": {"id": "C1"}}])
def test_slack_button_payloads_of_another_shape(body: dict[str, Any]) -> None:
    """A (signed, but buggy or hostile) block_actions payload whose parts are not objects: None, not a crash."""
    press = slack.press_from_action(body, {"value": "ap:tok", "action_id": "x"})
    assert press is None or isinstance(press, PressButton)


def test_slack_mentions_from_bots_are_flagged() -> None:
    for event in ({"channel": "C1", "ts": "1", "text": "<@UBOT> approve 1", "bot_id": "B1", "user": "U222"},
                  {"channel": "C1", "ts": "1", "text": "<@UBOT> approve 1", "subtype": "bot_message",
                   "user": "U222"}):
        assert slack.command_from_mention(event).actor_is_bot


# ----- agent stream lines
CLAUDE_TYPES = st.sampled_from(["system", "assistant", "user", "result", "stream_event", "control_request", "x"])
BLOCK = st.fixed_dictionaries({"type": st.sampled_from(["text", "tool_use", "tool_result", "thinking", "x"])},
                              optional={"text": JSON, "id": JSON, "name": JSON, "input": JSON,
                                        "tool_use_id": JSON, "content": JSON, "is_error": JSON})
CLAUDE_MESSAGE = st.fixed_dictionaries(
    {"type": CLAUDE_TYPES},
    optional={"subtype": st.sampled_from(["init", "success", "error_max_turns", "x"]) | JSON,
              "session_id": JSON, "message": st.fixed_dictionaries({}, optional={"content": st.lists(BLOCK) | JSON}),
              "is_error": JSON, "result": JSON, "total_cost_usd": JSON, "usage": JSON, "num_turns": JSON})


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(messages=st.lists(CLAUDE_MESSAGE, max_size=4), noise=LEAF_TEXT)
def test_claude_stream_lines(messages: list[dict[str, Any]], noise: str) -> None:
    stream = ClaudeStream()
    lines: list[str | bytes] = [json.dumps(m) for m in messages]
    for line in [*lines, noise, "{" + noise, noise.encode("utf-8", "surrogatepass")]:
        try:
            message = parse_line(line)
            if message is not None:
                for event in stream.feed(message):
                    assert event.kind
        except ClaudeProtocolError as e:
            assert "\n" not in str(e)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(["Bash", "Edit", "Write", "MultiEdit", "NotebookEdit", "Read", "Grep", "LS", "x"]) | TEXT,
       tool_input=st.dictionaries(st.sampled_from(["command", "file_path", "notebook_path", "path"]), JSON))
def test_claude_tool_inputs(name: str, tool_input: dict[str, Any]) -> None:
    request = tool_request(name, tool_input, cwd="/wt", resolve=lambda p: p)
    assert request.tool == name and request.digest()


CODEX_METHODS = st.sampled_from([codex.COMMAND_APPROVAL, codex.FILE_CHANGE_APPROVAL, codex.LEGACY_COMMAND_APPROVAL,
                                 codex.LEGACY_PATCH_APPROVAL, "item/started", "item/completed", "turn/completed",
                                 "turn/started", "thread/started", "error", "x"])
CODEX_PARAMS = st.fixed_dictionaries({}, optional={
    "itemId": JSON, "command": JSON, "cwd": JSON, "callId": JSON, "reason": JSON, "grantRoot": JSON,
    "changes": JSON, "fileChanges": JSON,
    "item": st.fixed_dictionaries({"type": st.sampled_from(["commandExecution", "fileChange", "agentMessage", "x"])},
                                  optional={"id": JSON, "command": JSON, "changes": JSON, "text": JSON,
                                            "aggregatedOutput": JSON, "exitCode": JSON, "status": JSON}) | JSON,
    "turn": JSON})
CODEX_MESSAGE = st.fixed_dictionaries({}, optional={"id": JSON, "method": CODEX_METHODS | JSON,
                                                   "params": CODEX_PARAMS | JSON, "result": JSON, "error": JSON})


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(message=CODEX_MESSAGE, noise=LEAF_TEXT)
def test_codex_protocol_lines(message: dict[str, Any], noise: str) -> None:
    for line in (json.dumps(message), noise, "{" + noise):
        try:
            parsed = codex.parse_line(line)
            if isinstance(parsed, codex.Notification):
                codex.events_from_notification(parsed)
                codex.turn_end_from_notification(parsed)
            elif isinstance(parsed, codex.ServerRequest):
                items = {"i": parsed.params.get("item")} if isinstance(parsed.params.get("item"), dict) else {}
                request = codex.tool_request_from_approval(parsed, items)  # type: ignore[arg-type]
                assert request.kind in ("command", "write")
        except codex.CodexProtocolError as e:
            assert "\n" not in str(e)


@MANY
@given(command=TEXT | st.builds(lambda s, f, c: f"{s} {f} {c}", st.sampled_from(["bash", "/bin/sh", "zsh", "x"]),
                                st.sampled_from(["-c", "-lc", "-x"]), TEXT))
def test_codex_shell_unwrapping(command: str) -> None:
    assert isinstance(codex.shell_inner_command(command), str)


# ----- .hotfix.toml and hotfix.toml
POLICY_KEYS = st.sampled_from(["test_command", "allow_commands", "deny_commands", "shared_state_commands",
                               "shared_state_paths", "max_files", "max_changed_lines", "max_minutes", "max_cost_usd",
                               "on_approve", "idle_minutes", "approval_deadline_minutes", "shell_test_command",
                               "test_timeout_seconds", "x"])
TOML_VALUE = st.recursive(st.booleans() | st.integers() | st.floats() | LEAF_TEXT,
                          lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return json.dumps(value) if isinstance(value, str) else repr(value)


@MANY
@given(pairs=st.dictionaries(POLICY_KEYS, TOML_VALUE, max_size=5), noise=TEXT)
def test_repository_policy_file(pairs: dict[str, object], noise: str) -> None:
    structured = "\n".join(f"{k} = {_toml_value(v)}" for k, v in pairs.items())
    for text in (structured, noise, structured + "\n" + noise):
        try:
            policy = load_policy(text)
        except PolicyError as e:
            assert "\n" not in str(e) and len(str(e)) < 600
            continue
        assert policy.max_files >= 0 and policy.on_approve in ("commit", "push", "pr", "leave")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cfg")
    (root / "shop" / ".git").mkdir(parents=True)
    return root


CONFIG_BODY = st.builds(
    lambda repo, people, noise: f"{repo}\n{people}\n{noise}",
    st.sampled_from(['[[repo]]\nname = "shop"\npath = "shop"', '[[repo]]\nname = "shop"\npath = "/nonexistent"',
                     '[[repo]]\nname = ""\npath = "shop"\nagent = "gpt"', "[[repo]]", "repo = 1", ""]),
    st.builds(lambda k, v: f"[people]\n{k} = {_toml_value(v)}",
              st.sampled_from(["requesters", "approvers", "escalation", "triage_owner", "x"]), TOML_VALUE),
    TEXT)


@SOME
@given(body=CONFIG_BODY)
def test_bot_config_file(checkout: Path, body: str) -> None:
    path = checkout / "hotfix.toml"
    path.write_text(body, encoding="utf-8", errors="surrogatepass")
    try:
        config = load_bot_config(path, checkout / "state")
    except ConfigError as e:
        assert "\n" not in str(e).strip() or str(e).count("\n") < 3
        return
    assert all(r.name for r in config.repos)


# ----- unified diffs
DIFF_LINE = st.sampled_from(["diff --git a/x b/x", "diff --git a/x b/y b/x b/y", "--- a/x", "+++ b/x", "--- /dev/null",
                             "+++ /dev/null", "@@ -1 +1 @@", "@@ -1,3 +1,4 @@", "@@ -0,0 +1 @@ x", "@@ junk @@",
                             "+added", "-removed", " context", "\\ No newline at end of file", "new file mode 100644",
                             "deleted file mode 100644", "rename from a", "rename to b", "similarity index 90%",
                             "Binary files a/x and b/x differ", "index 0000000..1111111 100644", "GIT binary patch",
                             '--- "a/t\\tab"', '+++ "b/\\377\\376"', ""]) | TEXT.map(lambda t: t.replace("\n", " "))


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(DIFF_LINE, max_size=30))
def test_unified_diffs(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        diff = parse_unified_diff(text)
    except GitCommandError as e:
        assert "\n" not in str(e)
        return
    for f in diff.files:
        assert isinstance(f.path, str)


def test_huge_diff_memory_is_bounded() -> None:
    body = "".join(f"+line {i} {'x' * 60}\n" for i in range(50_000))
    text = f"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1,50000 @@\n{body}"
    peak = peak_bytes(lambda: parse_unified_diff(text))
    assert peak < 40 * len(text), peak
