"""Pure translation: Card -> Block Kit within Slack's limits, Slack payloads -> commands. No I/O."""

from __future__ import annotations

import json

import pytest
from slack_fake_api import _message_problem, _view_problem

from adapters.slack.inbound import plain_from_slack, press_from_action, revise_from_view
from adapters.slack.outbound import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    TRUNCATION_MARKER,
    RevisePrompt,
    SlackActionId,
    action_id_for,
    escape_mrkdwn,
    fit_mrkdwn,
    render_card,
    render_text,
    revise_modal,
)
from bot.domain.values import ConversationRef
from bot.render.card import Button, Card, Field
from bot.services.commands import ButtonAction, PressButton, ReviseHotfix

ALL_BUTTONS = tuple(
    Button(label=action.name.title(), action=action, token=f"a{i}", style="primary" if i == 0 else "default")
    for i, action in enumerate(ButtonAction)
)


def _texts(blocks: tuple[dict, ...]) -> str:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                out.append(element["text"])
    return "\n".join(out)


def _accepted_by_fake_slack(message) -> bool:
    return _message_problem({"channel": "C1", "text": message.text, "blocks": list(message.blocks)}) is None


def test_every_button_action_has_its_own_action_id() -> None:
    ids = {action_id_for(action) for action in ButtonAction}
    assert len(ids) == len(ButtonAction)
    assert ids == set(SlackActionId)


def test_a_review_card_renders_buttons_with_payload_values_and_a_fallback() -> None:
    card = Card(
        key="review:7",
        kind="review",
        title="HF-7 shop: checkout 500",
        hotfix_id=7,
        badges=("p1", "shared state"),
        fields=(Field(label="Branch", value="hotfix/7-checkout-500"),),
        body=("Verification: 12 passed",),
        code="- a\n+ b",
        code_label="diff excerpt",
        buttons=ALL_BUTTONS,
    )
    message = render_card(card)
    assert message.text == "HF-7 shop: checkout 500"
    actions = [b for b in message.blocks if b["type"] == "actions"]
    elements = [e for block in actions for e in block["elements"]]
    assert [e["value"] for e in elements] == [b.payload for b in ALL_BUTTONS]
    assert [e["action_id"] for e in elements] == [action_id_for(b.action).value for b in ALL_BUTTONS]
    assert elements[0]["style"] == "primary" and "style" not in elements[1]
    assert "hotfix/7-checkout-500" in _texts(message.blocks)
    assert _accepted_by_fake_slack(message)


def test_untrusted_text_is_escaped_everywhere() -> None:
    evil = "<!channel> & <https://evil.example|click> > done"
    card = Card(
        key="status:1",
        kind="status",
        title=evil,
        badges=(evil,),
        fields=(Field(label=evil, value=evil),),
        blocker=evil,
        body=(evil,),
        code=evil,
        code_label=evil,
        decided=evil,
    )
    message = render_card(card)
    rendered = _texts(message.blocks) + message.text
    assert "<" not in rendered and ">" not in rendered.replace("&gt;", "")
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &gt; done" in rendered


def test_a_decision_replaces_the_buttons() -> None:
    card = Card(key="approval:1", kind="approval", title="Run `npm install`?", decided="Approved by slack:U222")
    message = render_card(card)
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert "Approved by <@U222>" in _texts(message.blocks)
    assert "Approved by <@U222>" in message.text


def test_slack_people_are_shown_as_mentions_and_nothing_else_is() -> None:
    card = Card(
        key="s",
        kind="status",
        title="HF-1",
        fields=(Field(label="Requester", value="slack:U111"),),
        blocker="waiting for an escalation approver: slack:U333, telegram:333 or <slack:U1AB>",
    )
    texts = _texts(render_card(card).blocks)
    assert "*Requester:* <@U111>" in texts
    assert "<@U333>, telegram:333 or &lt;<@U1AB>&gt;" in texts
    assert render_text("shipped by slack:W0ABC & slack:lower") == "shipped by <@W0ABC> &amp; slack:lower"


def test_a_huge_diff_excerpt_is_cut_with_a_visible_marker_and_the_fence_kept() -> None:
    code = "\n".join(f"+line {i} <tag> & more" for i in range(2000))
    message = render_card(Card(key="review:7", kind="review", title="HF-7", code=code))
    section = next(b for b in message.blocks if "```" in b.get("text", {}).get("text", ""))
    text = section["text"]["text"]
    assert len(text) <= MAX_SECTION_TEXT
    assert text.startswith("```\n") and "\n```" in text and text.endswith(TRUNCATION_MARKER)
    assert "&lt;tag&gt; &amp;" in text
    assert _accepted_by_fake_slack(message)


def test_backtick_fences_inside_code_cannot_close_the_block_early() -> None:
    message = render_card(Card(key="r", kind="review", title="t", code="a\n```\nrm -rf /\n```"))
    text = next(b for b in message.blocks if "```" in b.get("text", {}).get("text", ""))["text"]["text"]
    assert text.count("```") == 2


@pytest.mark.parametrize("paragraphs", [3, 49, 200])
def test_many_paragraphs_never_exceed_fifty_blocks(paragraphs: int) -> None:
    body = tuple(f"step {i}: check the {i}th & <last> thing" for i in range(paragraphs))
    card = Card(key="s", kind="status", title="HF-1", badges=("p0",), body=body, code="x", buttons=ALL_BUTTONS[:3])
    message = render_card(card)
    assert len(message.blocks) <= MAX_BLOCKS
    texts = _texts(message.blocks)
    assert f"step {paragraphs - 1}:" in texts or TRUNCATION_MARKER in texts  # never silently dropped
    if paragraphs < MAX_BLOCKS:
        assert f"step {paragraphs - 1}:" in texts
    assert _accepted_by_fake_slack(message)


def test_long_titles_and_fields_are_cut_visibly() -> None:
    long = "x&" * 4000
    message = render_card(
        Card(key="s", kind="status", title=long, fields=(Field(label="L", value=long),), body=(long,))
    )
    assert all(TRUNCATION_MARKER in b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert _accepted_by_fake_slack(message)


def test_a_degenerate_card_still_makes_a_valid_message() -> None:
    card = Card(
        key="s", kind="status", title="  ", badges=("", " "), body=("", "  "), fields=(Field(label="", value=""),)
    )
    message = render_card(card)
    assert message.text == "Hotfix update"
    assert _accepted_by_fake_slack(message)


def test_fit_mrkdwn_never_splits_an_escape() -> None:
    for limit in range(20, 40):
        out = fit_mrkdwn("&" * 100, limit=limit)
        assert len(out) <= limit
        assert out.replace(" " + TRUNCATION_MARKER, "").replace("&amp;", "") == ""


def test_escape_mrkdwn() -> None:
    assert escape_mrkdwn("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"


def test_the_revise_modal_is_valid_and_carries_the_target() -> None:
    target = RevisePrompt(hotfix_id=7, conversation_key="C0OPS", thread="1700000000.000100")
    view = revise_modal("What should change? " + "x" * 3000, target)
    assert _view_problem(view) is None
    assert RevisePrompt.from_metadata(view["private_metadata"]) == target


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("payload &amp; token &lt;json&gt;", "payload & token <json>"),
        (
            "see <https://grafana.example/d/1?a=1&amp;b=2|dashboard>",
            "see dashboard (https://grafana.example/d/1?a=1&b=2)",
        ),
        ("see <https://status.example.com>", "see https://status.example.com"),
        ("see <http://status.example.com|status.example.com>", "see status.example.com"),
        ("repo:<http://shop.io|shop.io> p0 down", "repo:shop.io p0 down"),
        ("mail <mailto:oncall@example.com|oncall@example.com>", "mail oncall@example.com"),
        ("ping <@U123|alice> in <#C9|ops> <!here>", "ping @alice in #ops @here"),
        ("`SELECT * FROM t WHERE a &gt; 1`", "`SELECT * FROM t WHERE a > 1`"),
        ("literal &amp;lt; stays", "literal &lt; stays"),
    ],
)
def test_slack_markup_becomes_what_was_typed(typed: str, plain: str) -> None:
    assert plain_from_slack(typed) == plain


def _press_body(value: object, **extra: object) -> tuple[dict, dict]:
    body = {
        "type": "block_actions",
        "user": {"id": "U222"},
        "channel": {"id": "C0OPS"},
        "container": {"message_ts": "1700000000.000100", "channel_id": "C0OPS"},
        "message": {"ts": "1700000000.000100"},
        **extra,
    }
    return body, {"action_id": "hotfix_approve", "value": value}


def test_a_button_press_becomes_press_button() -> None:
    press = press_from_action(*_press_body("ap:appr-42"))
    assert isinstance(press, PressButton)
    assert press.action is ButtonAction.APPROVE and press.token == "appr-42"
    assert press.actor == "slack:U222" and press.conversation == ConversationRef(platform="slack", key="C0OPS")
    assert press.source is not None and press.source.key == "1700000000.000100"


@pytest.mark.parametrize(
    "value", [None, 42, "", "ap", "ap:", "zz:tok", "approve:tok", "ap:tok\u0000", "ap:" + "x" * 2001]
)
def test_malformed_button_values_are_not_commands(value: object) -> None:
    assert press_from_action(*_press_body(value)) is None


def test_a_modal_submission_becomes_revise_hotfix() -> None:
    target = RevisePrompt(hotfix_id=7, conversation_key="C0OPS", thread="1700000000.000100")
    view = {
        "private_metadata": target.to_metadata(),
        "state": {"values": {"feedback": {"feedback_text": {"value": "  keep the retry & log it  "}}}},
    }
    command = revise_from_view({"user": {"id": "U111"}}, view)
    assert isinstance(command, ReviseHotfix)
    assert command.hotfix_id == 7 and command.feedback == "keep the retry & log it"
    assert command.actor == "slack:U111" and command.source is not None


@pytest.mark.parametrize("metadata", ["", "7", json.dumps({"h": "7", "c": "C", "t": None}), "{broken"])
def test_a_foreign_modal_is_not_a_command(metadata: str) -> None:
    assert revise_from_view({"user": {"id": "U111"}}, {"private_metadata": metadata}) is None


def test_the_app_manifest_matches_what_the_adapter_serves() -> None:
    from pathlib import Path

    from adapters.slack.app import EVENTS_PATH
    from adapters.slack.listeners import SLASH_COMMAND

    manifest = json.loads((Path(__file__).parents[3] / "adapters" / "slack" / "manifest.json").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SLASH_COMMAND
    settings = manifest["settings"]
    urls = [command["url"], settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert {"commands", "chat:write", "files:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
