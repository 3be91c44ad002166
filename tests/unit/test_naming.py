"""Titles, slugs and branch names derived from what people type."""

from __future__ import annotations

import re

import pytest

from bot.domain.naming import branch_name, derive_title, slugify

GIT_REF_COMPONENT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("description", "title"),
    [
        ("Checkout returns 500 on the pay page. Started after deploy 412.", "Checkout returns 500 on the pay page"),
        ("checkout broken?", "checkout broken?"),
        ("Urgent! Login fails for SSO users. Since 09:00.", "Urgent! Login fails for SSO users"),
        (
            "\n\n   Webhook   handler\tthrows KeyError\nTraceback (most recent call last):",
            "Webhook handler throws KeyError",
        ),
        ("Prices off by 0.01 on v1.2.3 invoices", "Prices off by 0.01 on v1.2.3 invoices"),
        ("Emails are sent twice; customers complain", "Emails are sent twice"),
        ("Search is down.", "Search is down"),
        ("", "untitled hotfix"),
        (" \n\t ", "untitled hotfix"),
        ("\x00\x1b\u202e", "untitled hotfix"),
        ("500\x07 on /pay", "500 on /pay"),
    ],
)
def test_derive_title(description: str, title: str) -> None:
    assert derive_title(description) == title


def test_long_title_is_cut_at_a_word_with_an_ellipsis() -> None:
    description = "Users in Germany see prices in USD instead of EUR on the product detail page after the switch"
    title = derive_title(description)
    assert title == "Users in Germany see prices in USD instead of EUR on the product detail…"
    assert len(title) <= 72


def test_one_long_word_is_cut_hard() -> None:
    title = derive_title("x" * 200, limit=10)
    assert title == "x" * 9 + "…"


@pytest.mark.parametrize("limit", [1, 2, 5, 20])
def test_title_respects_tiny_limits(limit: int) -> None:
    assert len(derive_title("Checkout returns 500 on the pay page", limit=limit)) <= limit


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Checkout returns 500 on the pay page", "checkout-returns-500-pay-page"),
        ("checkout 500", "checkout-500"),
        ("Login broken?", "login-broken"),
        ("Ünïcödé café crashes", "unicode-cafe-crashes"),
        ("$(rm -rf /); `reboot`", "rm-rf-reboot"),
        ("the a an", "the-a-an"),
        ("...lock", "lock"),
        ("refs/heads/..main.lock", "refs-heads-main-lock"),
        ("", "fix"),
        ("日本語のタイトル", "fix"),
        ("---", "fix"),
        ("Urgent: API v2 /orders times out", "api-v2-orders-times-out"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_slug_is_cut_between_words() -> None:
    slug = slugify("Users in Germany see prices in USD instead of EUR on the product page")
    assert slug == "users-germany-see-prices-usd-instead-eur"
    assert len(slug) <= 40


def test_a_single_long_word_is_cut_hard() -> None:
    assert slugify("a" * 100, limit=12) == "a" * 12


@pytest.mark.parametrize("title", ["x", "Checkout 500", "a" * 300, "-.-", "über-ärger", "HEAD@{1}", "a..b", "x.lock"])
def test_slug_is_always_a_valid_ref_component(title: str) -> None:
    slug = slugify(title)
    assert GIT_REF_COMPONENT.fullmatch(slug)
    assert not slug.endswith(".lock") and ".." not in slug and not slug.startswith(".")


def test_branch_name() -> None:
    assert branch_name(7, "checkout-500") == "hotfix/7-checkout-500"


def test_branch_name_cleans_a_dirty_slug() -> None:
    assert branch_name(3, "Bad Slug..lock") == "hotfix/3-bad-slug-lock"
    assert branch_name(3, "") == "hotfix/3-fix"


def test_branch_name_refuses_non_positive_numbers() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        branch_name(0, "x")
