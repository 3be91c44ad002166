"""Truncation with visible markers, one-line folding and control-character stripping."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.render.text import one_line, strip_control, truncate, truncate_lines

# ---------------------------------------------------------------------------------------------------------
# truncate


def test_short_text_is_untouched() -> None:
    assert truncate("hello", 5) == "hello"
    assert truncate("", 0) == ""


def test_cut_text_names_how_much_was_cut() -> None:
    out = truncate("a" * 100, 30)
    assert out == "a" * 17 + "… (+83 chars)"
    assert len(out) <= 30


def test_cut_uses_every_character_the_limit_allows() -> None:
    # 1000 chars cut to 20: "… (+N chars)" with a 3-digit N is 14 chars, so 6 characters of text survive
    assert truncate("b" * 1000, 20) == "b" * 6 + "… (+994 chars)"
    # 100 chars cut to 14: a 2-digit N leaves room for one
    assert truncate("b" * 100, 14) == "b… (+99 chars)"


def test_trailing_whitespace_before_the_marker_is_dropped_and_counted() -> None:
    out = truncate("word " * 20, 30)
    assert out.startswith("word word")
    assert not out.split("…")[0].endswith(" ")
    kept = out.split("…")[0]
    assert out.endswith(f"(+{100 - len(kept)} chars)")


def test_custom_marker() -> None:
    assert truncate("x" * 50, 20, marker="[cut]") == "xxx[cut] (+47 chars)"


def test_tiny_limits_fall_back_to_the_bare_marker() -> None:
    assert truncate("abcdef", 3) == "ab…"
    assert truncate("abcdef", 1) == "…"
    assert truncate("abcdef", 0) == ""
    assert truncate("abcdef", -5) == ""


@given(st.text(max_size=500), st.integers(min_value=-3, max_value=600))
@settings(max_examples=500)
def test_truncate_never_exceeds_the_limit_and_says_what_it_cut(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= max(0, limit)
    if len(text) <= limit:
        assert out == text
    elif limit >= 1:
        assert "…" in out
        found = re.search(r"… \(\+(\d+) chars\)$", out)
        if found:
            assert len(out) - len(found.group(0)) + int(found.group(1)) == len(text)


# ---------------------------------------------------------------------------------------------------------
# truncate_lines


def test_few_lines_are_untouched() -> None:
    assert truncate_lines("a\nb\nc", 3) == "a\nb\nc"
    assert truncate_lines("a\nb\nc\n", 3) == "a\nb\nc\n"  # a trailing newline is not a line


def test_cut_lines_end_with_a_count() -> None:
    text = "\n".join(f"line {i}" for i in range(10))
    assert truncate_lines(text, 4) == "line 0\nline 1\nline 2\n… 7 more lines"


def test_one_line_budget_is_just_the_marker() -> None:
    assert truncate_lines("a\nb", 1) == "… 2 more lines"
    assert truncate_lines("a\nb", 0) == ""


@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\n"), max_size=20), min_size=1, max_size=80),
       st.integers(min_value=1, max_value=100))
@settings(max_examples=300)
def test_truncate_lines_respects_the_budget(lines: list[str], max_lines: int) -> None:
    text = "\n".join(lines)
    assume(not text.endswith("\n"))  # a trailing newline is not a line of its own
    out = truncate_lines(text, max_lines)
    out_lines = out.split("\n")
    assert len(out_lines) <= max_lines
    if len(lines) > max_lines:
        assert out_lines[-1] == f"… {len(lines) - (max_lines - 1)} more lines"
        assert out_lines[:-1] == lines[: max_lines - 1]
    else:
        assert out == text


def test_truncate_lines_on_a_large_text_keeps_the_head() -> None:
    text = "x\n" * 1_000_000
    assert truncate_lines(text, 3) == "x\nx\n… 999998 more lines"


# ---------------------------------------------------------------------------------------------------------
# one_line and strip_control


def test_one_line_folds_whitespace_and_controls() -> None:
    assert one_line("  checkout\n\n returns\t500\r\n  \x00\x1b[31m now ") == "checkout returns 500 [31m now"


def test_one_line_truncates_with_a_marker() -> None:
    out = one_line("word " * 100, 40)
    assert len(out) <= 40
    assert out.endswith("chars)")


def test_one_line_folds_unicode_line_separators_and_bidi_overrides() -> None:
    assert one_line("a\u2028b\u2029c\u202ed\x85e") == "a b c d e"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain text", "plain text"),
        ("keep\nnewlines\tand tabs", "keep\nnewlines\tand tabs"),
        ("crlf\r\nline", "crlf\nline"),
        ("ansi \x1b[31mred\x1b[0m", "ansi [31mred[0m"),
        ("nul\x00bell\x07del\x7f", "nulbelldel"),
        ("c1 \x85\x9b here", "c1  here"),
        ("bidi \u202eevil\u202c and \u2066isolate\u2069", "bidi evil and isolate"),
        ("emoji 👩‍💻 and café", "emoji 👩‍💻 and café"),
    ],
)
def test_strip_control(raw: str, clean: str) -> None:
    assert strip_control(raw) == clean


@given(st.text())
@settings(max_examples=300)
def test_strip_control_leaves_no_control_characters(text: str) -> None:
    out = strip_control(text)
    assert all(ch in "\n\t" or not (ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert strip_control(out) == out
