"""SlackNotifier against the fake Web API: cards, threads, coalesced edits, 429/5xx, uploads, ephemerals."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from slack_fake_api import BOT_TOKEN, FakeSlackApi
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import build_web_client
from adapters.slack.errors import SlackDeliveryError
from adapters.slack.notifier import SlackNotifier, slack_throttle
from bot.domain.values import ConversationRef, MessageRef
from bot.render.card import Button, Card, Field
from bot.services.commands import ButtonAction

OPS = ConversationRef(platform="slack", key="C0OPS")
DEV = ConversationRef(platform="slack", key="C0DEV")
JITTER = 0.25  # seconds of latency variation tolerated between two requests to the fake


def status_card(step: int, *, hotfix_id: int = 7) -> Card:
    return Card(
        key=f"status:{hotfix_id}",
        kind="status",
        title=f"HF-{hotfix_id} shop: checkout 500",
        hotfix_id=hotfix_id,
        fields=(Field(label="Last action", value=f"step {step} <edit> & run"),),
        buttons=(Button(label="Stop", action=ButtonAction.STOP, token=f"card-{hotfix_id}", style="danger"),),
    )


@pytest.fixture
async def notifier(fake_slack: FakeSlackApi) -> AsyncIterator[SlackNotifier]:
    slack = SlackNotifier(client=build_web_client(bot_token=BOT_TOKEN, api_base_url=fake_slack.base_url))
    yield slack
    await slack.close()


def writes_to(fake: FakeSlackApi, channel: str) -> list[float]:
    methods = {"chat.postMessage", "chat.update", "chat.postEphemeral"}
    return sorted(c.at for c in fake.calls if c.method in methods and c.params.get("channel") == channel)


def assert_paced(times: list[float]) -> None:
    """At most one write per second, seen from the receiving end: each gap may lose what network latency
    varies by (``JITTER``), the whole run only once."""
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 1.0 - JITTER for gap in gaps), gaps
    if times:
        assert times[-1] - times[0] >= len(gaps) - JITTER


async def test_cards_go_to_the_channel_and_approvals_into_its_thread(
    notifier: SlackNotifier, fake_slack: FakeSlackApi
) -> None:
    card_ref = await notifier.post(OPS, status_card(1))
    approval = Card(
        key="approval:a1",
        kind="approval",
        title="HF-7 wants to run `npm install`",
        buttons=(Button(label="Approve", action=ButtonAction.APPROVE, token="a1", style="primary"),),
    )
    approval_ref = await notifier.post(OPS, approval, thread=card_ref)
    nested_ref = await notifier.post(OPS, approval, thread=approval_ref)
    assert card_ref.conversation == OPS and card_ref.thread is None
    assert approval_ref.thread == card_ref.key and nested_ref.thread == card_ref.key
    status, first, second = fake_slack.channel_messages("C0OPS")
    assert status.thread_ts is None and first.thread_ts == second.thread_ts == card_ref.key
    assert first.blocks[-1]["elements"][0]["value"] == "ap:a1"
    assert fake_slack.rejected == []
    assert_paced(writes_to(fake_slack, "C0OPS"))


async def test_a_burst_of_edits_is_coalesced_paced_and_ends_in_the_final_state(
    notifier: SlackNotifier, fake_slack: FakeSlackApi
) -> None:
    first = await notifier.post(OPS, status_card(0, hotfix_id=7))
    second = await notifier.post(OPS, status_card(0, hotfix_id=8))
    await notifier.edit(first, status_card(1, hotfix_id=7))
    await fake_slack.wait_for(lambda: fake_slack.calls_of("chat.update"))  # one edit in flight or done
    for step in range(2, 31):
        await notifier.edit(first, status_card(step, hotfix_id=7))
        await notifier.edit(second, status_card(step, hotfix_id=8))
    await notifier.drain()
    updates = fake_slack.calls_of("chat.update")
    assert len(updates) <= 5  # 59 edits became a handful of writes
    messages = {m.ts: m for m in fake_slack.channel_messages("C0OPS")}
    assert "step 30 &lt;edit&gt; &amp; run" in str(messages[first.key].blocks)
    assert "step 30 &lt;edit&gt; &amp; run" in str(messages[second.key].blocks)
    assert_paced(writes_to(fake_slack, "C0OPS"))


async def test_channels_are_paced_independently(notifier: SlackNotifier, fake_slack: FakeSlackApi) -> None:
    ops = await notifier.post(OPS, status_card(0))
    dev = await notifier.post(DEV, status_card(0))
    await notifier.edit(ops, status_card(1))
    await notifier.edit(dev, status_card(1))
    await notifier.drain()
    assert len(fake_slack.calls_of("chat.update")) == 2
    assert_paced(writes_to(fake_slack, "C0OPS"))
    assert_paced(writes_to(fake_slack, "C0DEV"))


async def test_a_429_is_waited_out_and_the_card_still_posts(notifier: SlackNotifier, fake_slack: FakeSlackApi) -> None:
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)
    ref = await notifier.post(OPS, status_card(1))
    posts = fake_slack.calls_of("chat.postMessage")
    assert [c.params["_answered"] for c in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 1.0 - JITTER  # Retry-After (1 s) honoured
    assert fake_slack.messages[("C0OPS", ref.key)].text == "HF-7 shop: checkout 500"


async def test_server_errors_during_edits_do_not_lose_the_final_state(
    notifier: SlackNotifier, fake_slack: FakeSlackApi
) -> None:
    fake_slack.fail("chat.postMessage", status=503)
    ref = await notifier.post(OPS, status_card(0))
    fake_slack.fail("chat.update", status=502, times=2)  # not retried by slack_sdk: the throttle backs off
    fake_slack.fail("chat.update", status=500)  # retried inside slack_sdk
    for step in range(1, 6):
        await notifier.edit(ref, status_card(step))
    await notifier.drain()
    assert "step 5" in str(fake_slack.messages[("C0OPS", ref.key)].blocks)
    assert [c.params["_answered"] for c in fake_slack.calls_of("chat.update")][:3] == [502, 502, 500]


async def test_a_429_beyond_the_sdk_retries_is_handed_to_the_throttle(fake_slack: FakeSlackApi) -> None:
    bare = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.base_url, retry_handlers=[])
    notifier = SlackNotifier(client=bare, throttle=slack_throttle())
    try:
        ref = await notifier.post(OPS, status_card(0))
        fake_slack.fail("chat.update", status=429, retry_after=1)
        await notifier.edit(ref, status_card(9))
        await notifier.drain()
    finally:
        await notifier.close()
    assert [c.params["_answered"] for c in fake_slack.calls_of("chat.update")] == [429, 200]
    assert "step 9" in str(fake_slack.messages[("C0OPS", ref.key)].blocks)


async def test_permanent_errors_raise_for_posts_and_are_dropped_for_edits(
    notifier: SlackNotifier, fake_slack: FakeSlackApi
) -> None:
    with pytest.raises(SlackDeliveryError) as raised:
        await notifier.post(ConversationRef(platform="slack", key=""), status_card(1))
    assert BOT_TOKEN not in str(raised.value)
    gone = MessageRef(conversation=OPS, key="1699999999.000001")
    await notifier.edit(gone, status_card(2))
    await notifier.drain()
    assert fake_slack.calls_of("chat.update")[0].params["ts"] == gone.key
    ref = await notifier.post(OPS, status_card(3))  # the notifier still works afterwards
    assert ref.key


async def test_replies_are_escaped_and_ephemeral_when_asked(notifier: SlackNotifier, fake_slack: FakeSlackApi) -> None:
    card = MessageRef(conversation=OPS, key="1700000000.000100")
    await notifier.reply(OPS, "HF-7 (shop): <b>denied</b> & stopped", thread=card, ephemeral_to="slack:U111")
    await notifier.reply(OPS, "HF-7 (shop): shipped", thread=card)
    await notifier.reply(OPS, "private to someone elsewhere", ephemeral_to="telegram:111")
    [ephemeral] = fake_slack.ephemerals
    assert ephemeral["user"] == "U111" and ephemeral["thread_ts"] == card.key
    assert ephemeral["text"] == "HF-7 (shop): &lt;b&gt;denied&lt;/b&gt; &amp; stopped"
    [public] = fake_slack.channel_messages("C0OPS")
    assert public.text == "HF-7 (shop): shipped" and public.thread_ts == card.key


async def test_uploads_land_in_the_thread_as_a_snippet(notifier: SlackNotifier, fake_slack: FakeSlackApi) -> None:
    content = ("--- a/x.py\n+++ b/x.py\n" + "+ok = '<&>'\n" * 5000).encode()
    card = MessageRef(conversation=OPS, key="1700000000.000100")
    await notifier.upload(OPS, "HF-7.diff", content, thread=card, comment="Full diff of HF-7 <shop>")
    [completed] = fake_slack.files
    assert list(fake_slack.uploads.values()) == [content]
    assert completed["thread_ts"] == card.key and completed["channel_id"] == "C0OPS"
    assert completed["initial_comment"] == "Full diff of HF-7 &lt;shop&gt;"


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ({"text": "t", "blocks": [{"type": "divider"}] * 51}, "51 blocks"),
        ({"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}, "3001"),
        (
            {
                "text": "t",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "a",
                                "text": {"type": "plain_text", "text": "A"},
                                "value": "v" * 2001,
                            }
                        ],
                    }
                ],
            },
            "value longer than 2000",
        ),
        ({"text": "", "blocks": [{"type": "divider"}]}, "missing text fallback"),
    ],
)
async def test_the_fake_rejects_what_slack_rejects(fake_slack: FakeSlackApi, message: dict, why: str) -> None:
    client = build_web_client(bot_token=BOT_TOKEN, api_base_url=fake_slack.base_url)
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("chat.postMessage", json={"channel": "C0OPS", **message})
    assert raised.value.response["error"] == "invalid_blocks"
    assert why in fake_slack.rejected[0][1]
