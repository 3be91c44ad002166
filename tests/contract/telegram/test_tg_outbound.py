"""Card -> Telegram HTML: escaping, the 4096 limit with visible markers, keyboards; and the fake's own checks
(malformed HTML, too long, oversize callback_data are refused the way Telegram refuses them)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from tg_cards import status_card, stop_button
from tg_fake_api import FakeBotApi
from tg_fake_html import visible_text
from tg_people import GROUP

from adapters.telegram.notifier import TelegramNotifier
from adapters.telegram.outbound import (
    MESSAGE_LIMIT,
    keyboard_for,
    prompt_hotfix_id,
    render_card,
    render_prompt,
    render_text,
    telegram_length,
)
from bot.domain.values import ConversationRef
from bot.render.card import Button, Card
from bot.services.commands import ButtonAction

OPS = ConversationRef(platform="telegram", key=str(GROUP))
NASTY = "<script>alert('x')</script> & <b>not bold</b> &amp; 🙂"


def review_card(*, code: str, body: tuple[str, ...] = ()) -> Card:
    return Card(
        key="review:7",
        kind="review",
        title=f"HF-7 · shop · {NASTY}",
        fields=(),
        body=body,
        code=code,
        code_label="diff excerpt",
        buttons=(Button(label="Approve", action=ButtonAction.APPROVE, token="a" * 61),),
    )


def test_every_text_field_is_escaped() -> None:
    card = Card(key="status:7", kind="status", title=NASTY, badges=("<p0>&",), blocker=NASTY, body=(NASTY,), code=NASTY)
    html = render_card(card).html
    assert "<script>" not in html and "<b>not bold</b>" not in html and "<p0>" not in html
    visible = visible_text(html)
    assert visible.count(NASTY) == 4 and "[<p0>&]" in visible  # title, blocker, body, code; the badge


def test_a_huge_diff_is_cut_with_a_visible_marker() -> None:
    code = "\n".join(f"+line {i} <tag> & {'🙂' * 5}" for i in range(2000))
    html = render_card(review_card(code=code)).html
    assert telegram_length(html) <= MESSAGE_LIMIT
    assert "… truncated:" in html and "more lines" in html
    assert html.count("<pre>") == html.count("</pre>") == 1
    visible_text(html)  # still well-formed


def test_a_huge_body_is_cut_after_the_code() -> None:
    html = render_card(review_card(code="x = 1", body=("why " * 3000,))).html
    assert telegram_length(html) <= MESSAGE_LIMIT
    assert "x = 1" in html and "… truncated" in html


TEXTS = st.text(alphabet=st.sampled_from("<>&;\n ab🙂é\u200b"), max_size=6000)


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=400), body=st.lists(TEXTS, max_size=3), code=st.none() | TEXTS)
def test_any_card_fits_and_parses(title: str, body: list[str], code: str | None) -> None:
    card = Card(key="k", kind="review", title=title or "t", body=tuple(body), code=code, blocker=title)
    html = render_card(card).html
    assert telegram_length(html) <= MESSAGE_LIMIT
    visible = visible_text(html)
    fits_whole = code is None or code.strip("\n") == "" or code in visible
    assert fits_whole or "… truncated" in visible


def test_a_short_card_is_not_marked() -> None:
    html = render_card(status_card()).html
    assert "truncated" not in html
    assert "waiting for an approver: telegram:222" in html


def test_plain_text_replies_are_limited_too() -> None:
    html = render_text("<&>" * 3000)
    assert telegram_length(html) <= MESSAGE_LIMIT and "… truncated" in html


def test_callback_data_over_64_bytes_is_refused() -> None:
    assert keyboard_for((Button(label="Ok", action=ButtonAction.APPROVE, token="a" * 61),)) is not None
    with pytest.raises(ValueError, match="64"):
        keyboard_for((Button(label="Ok", action=ButtonAction.APPROVE, token="é" * 31),))


def test_decided_replaces_the_keyboard() -> None:
    rendered = render_card(status_card(decided="Approved by telegram:222"))
    assert rendered.keyboard is None
    assert rendered.html.endswith("<b>Approved by telegram:222</b>")
    assert render_card(status_card(buttons=stop_button(), decided="x")).keyboard is not None


def test_the_prompt_names_its_hotfix() -> None:
    html = render_prompt("What should change in HF-12 <shop>?", 12, person_id=111, person_name="<Al>")
    assert prompt_hotfix_id(visible_text(html)) == 12
    assert html.startswith('<a href="tg://user?id=111">&lt;Al&gt;</a>, ')
    assert prompt_hotfix_id("What should change in HF-12?") is None


async def test_the_fake_accepts_what_the_adapter_renders(fake_api: FakeBotApi) -> None:
    code = "\n".join(f"-old <{i}> &\n+new <{i}> &" for i in range(3000))
    async with Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        notifier = TelegramNotifier(bot=bot)
        ref = await notifier.post(OPS, review_card(code=code, body=(NASTY,)))
        stored = fake_api.messages[(GROUP, int(ref.key))]
        assert "… truncated:" in stored["text"] and NASTY in stored["text"]
        await notifier.close()


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>unclosed", "Can't find end tag"),
        ("<blink>x</blink>", "Unsupported start tag"),
        ("a < b", "Unsupported start tag"),
        ("fish & chips", "Unsupported HTML entity"),
        ("x" * 4097, "Message is too long"),
    ],
)
async def test_the_fake_refuses_like_telegram(fake_api: FakeBotApi, text: str, description: str) -> None:
    async with Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        with pytest.raises(BadRequest, match=f"(?i){description}"):
            await bot.send_message(chat_id=GROUP, text=text, parse_mode="HTML")


async def test_the_fake_refuses_oversize_callback_data(fake_api: FakeBotApi) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(text="x", callback_data="a" * 65)]])
    async with Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(chat_id=GROUP, text="hi", reply_markup=markup)
