"""The phone-sized diff excerpt and the diffstat, on Diff values built directly (no unidiff in the core)."""

from __future__ import annotations

import hashlib
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.diff import Diff, DiffHunk, DiffLine, FileDiff, FileStatus
from bot.render.excerpt import diffstat, excerpt_diff
from tests.unit.secret_corpus import MARKER, SECRETS, SecretSample, pem_block

Kind = Literal["+", "-", " ", "\\"]


def hunk(start: int, body: str, section: str = "") -> DiffHunk:
    """A hunk from unified-diff body lines ("+added", "-removed", " context")."""
    lines = tuple(DiffLine(kind=_kind(raw[:1]), text=raw[1:]) for raw in body.split("\n"))
    old = sum(1 for line in lines if line.kind in " -")
    new = sum(1 for line in lines if line.kind in " +")
    header = f"@@ -{start},{old} +{start},{new} @@{' ' + section if section else ''}"
    return DiffHunk(header=header, lines=lines)


def _kind(mark: str) -> Kind:
    if mark == "+":
        return "+"
    if mark == "-":
        return "-"
    if mark == "\\":
        return "\\"
    return " "


def file(path: str, *hunks: DiffHunk, status: FileStatus = "modified", old_path: str | None = None,
         binary: bool = False) -> FileDiff:
    added = sum(1 for h in hunks for line in h.lines if line.kind == "+")
    removed = sum(1 for h in hunks for line in h.lines if line.kind == "-")
    return FileDiff(path=path, old_path=old_path, status=status, added=added, removed=removed, hunks=hunks,
                    is_binary=binary)


def diff(*files: FileDiff) -> Diff:
    text = "\n".join(f"--- {f.path}\n" + "\n".join(h.header + "\n" + "\n".join(line.kind + line.text
                                                     for line in h.lines) for h in f.hunks) for f in files)
    return Diff(text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), files=files)


def context(n: int, prefix: str = "ctx") -> str:
    return "\n".join(f" {prefix} {i}" for i in range(n))


def added(n: int, prefix: str = "new") -> str:
    return "\n".join(f"+{prefix} {i}" for i in range(n))


WEBHOOK = file("src/checkout/webhook.py", hunk(40, "\n".join([
    " def handle(event):",
    "     order = load(event)",
    "-    charge(order)",
    "+    if not order.paid:",
    "+        charge(order)",
    "+    audit(order)",
    "     return ok()",
    "     # end",
]), section="def handle(event):"))


# ---------------------------------------------------------------------------------------------------------
# diffstat


def test_diffstat_counts_files_and_lines() -> None:
    two = diff(WEBHOOK, file("tests/test_webhook.py", hunk(1, added(11))))
    assert diffstat(two) == "2 files, +14 −1"


def test_diffstat_singular_and_empty() -> None:
    assert diffstat(diff(WEBHOOK)) == "1 file, +3 −1"
    assert diffstat(diff()) == "0 files, +0 −0"


# ---------------------------------------------------------------------------------------------------------
# small diffs are shown whole


def test_small_diff_is_shown_whole_without_a_marker() -> None:
    assert excerpt_diff(diff(WEBHOOK)) == "\n".join([
        "M src/checkout/webhook.py (+3 −1)",
        "@@ -40,5 +40,7 @@ def handle(event):",
        " def handle(event):",
        "     order = load(event)",
        "-    charge(order)",
        "+    if not order.paid:",
        "+        charge(order)",
        "+    audit(order)",
        "     return ok()",
        "     # end",
    ])


def test_empty_diff_says_so() -> None:
    assert excerpt_diff(diff()) == "(no changes)"


def test_file_headers_for_every_status() -> None:
    out = excerpt_diff(diff(
        file("docs/new.md", hunk(1, added(2)), status="added"),
        file("src/old.py", hunk(1, "-gone"), status="deleted"),
        file("src/new_name.py", status="renamed", old_path="src/old_name.py"),
        file("src/moved.py", hunk(3, " a\n-b\n+c"), status="renamed", old_path="lib/moved.py"),
        file("assets/logo.png", status="modified", binary=True),
    ))
    headers = [line for line in out.split("\n") if line[:2] in ("A ", "D ", "M ", "R ")]
    assert headers == [
        "A docs/new.md (+2 −0)",
        "D src/old.py (+0 −1)",
        "R src/old_name.py → src/new_name.py",
        "R lib/moved.py → src/moved.py (+1 −1)",
        "M assets/logo.png (binary)",
    ]


def test_context_far_from_changes_is_dropped_and_gaps_are_marked() -> None:
    body = "\n".join([context(6, "top"), "-old a", "+new a", context(8, "mid"), "+new b", context(6, "end")])
    out = excerpt_diff(diff(file("src/a.py", hunk(1, body)))).split("\n")
    assert out[2:] == [
        " top 4", " top 5", "-old a", "+new a", " mid 0", " mid 1", "⋯",
        " mid 6", " mid 7", "+new b", " end 0", " end 1",
    ]


def test_nearby_changes_share_their_context() -> None:
    body = "\n".join([" a", "+b", " c", " d", " e", " f", " g", "+h", " i"])
    out = excerpt_diff(diff(file("src/a.py", hunk(1, body)))).split("\n")
    assert "⋯" not in out
    assert out[2:] == [" a", "+b", " c", " d", " e", " f", " g", "+h", " i"]


def test_no_newline_marker_is_kept_next_to_its_change() -> None:
    out = excerpt_diff(diff(file("src/a.py", hunk(1, " a\n-b\n+c\n\\ No newline at end of file"))))
    assert out.split("\n")[-1] == "\\ No newline at end of file"


# ---------------------------------------------------------------------------------------------------------
# budgets and markers


def test_long_lines_are_cut_with_an_ellipsis() -> None:
    out = excerpt_diff(diff(file("src/a.py", hunk(1, "+" + "x" * 300))), max_line_chars=60)
    line = out.split("\n")[2]
    assert len(line) == 60
    assert line.endswith("…")


def test_big_hunk_is_cut_and_the_rest_counted() -> None:
    out = excerpt_diff(diff(file("src/a.py", hunk(1, added(100)))), max_lines=20)
    lines = out.split("\n")
    assert len(lines) == 20
    assert lines[-1] == "… 83 more lines"
    assert sum(1 for line in lines if line.startswith("+")) == 17  # 20 - file header - hunk header - marker


def test_output_never_exceeds_the_budget() -> None:
    files = [file(f"src/m{i}.py", hunk(1, context(3) + "\n" + added(i + 1) + "\n" + context(3))) for i in range(30)]
    for max_lines in (1, 2, 3, 5, 10, 40):
        out = excerpt_diff(diff(*files), max_lines=max_lines)
        assert len(out.split("\n")) <= max_lines
        assert out.split("\n")[-1].startswith("… ")


def test_many_files_leave_a_files_marker_and_a_lines_marker() -> None:
    files = [file(f"src/m{i:02}.py", hunk(1, added(5))) for i in range(50)]
    out = excerpt_diff(diff(*files), max_lines=40)
    lines = out.split("\n")
    headers = [line for line in lines if line.startswith("M ")]
    shown = sum(1 for line in lines if line.startswith("+"))
    assert 0 < len(headers) < 50 and shown > 0
    assert lines[-1] == f"… {250 - shown} more lines, {50 - len(headers)} more files"
    assert headers == sorted(headers)  # the diff's own order


def test_source_is_preferred_over_tests_lockfiles_and_generated_files() -> None:
    files = (
        file("package-lock.json", hunk(1, added(30, "lock"))),
        file("tests/test_checkout.py", hunk(1, added(30, "test"))),
        file("web/dist/app.min.js", hunk(1, added(30, "min"))),
        file("src/checkout.py", hunk(1, "-bug\n+fix")),
        file("docs/CHANGELOG.md", hunk(1, added(3, "note"))),
    )
    out = excerpt_diff(diff(*files), max_lines=12)
    assert "+fix" in out and "-bug" in out
    assert "+lock 0" not in out and "+min 0" not in out
    # and the output keeps the diff's order of files
    order = [line for line in out.split("\n") if line[:2] == "M "]
    assert order == sorted(order, key=lambda header: [f.path for f in files].index(header.split(" ")[1]))


def test_hunks_with_more_changes_are_preferred() -> None:
    small = hunk(1, " a\n+one small change\n b")
    big = hunk(100, context(2) + "\n" + added(6, "big") + "\n" + context(2))
    out = excerpt_diff(diff(file("src/a.py", small, big)), max_lines=12)
    assert "+big 0" in out
    assert "+one small change" not in out
    assert out.endswith("… 1 more line")


def test_hunks_stay_in_file_order_when_both_fit() -> None:
    first = hunk(1, "+first")
    second = hunk(100, added(3, "second"))
    out = excerpt_diff(diff(file("src/a.py", first, second)))
    assert out.index("+first") < out.index("+second 0")


# ---------------------------------------------------------------------------------------------------------
# hostile content


@pytest.mark.parametrize("sample", [s for s in SECRETS if s.anywhere and "\n" not in s.text], ids=lambda s: s.name)
def test_secrets_in_diff_lines_are_masked(sample: SecretSample) -> None:
    out = excerpt_diff(diff(file("src/config.py", hunk(1, f" x = 1\n-old = 1\n+{sample.text}\n y = 2"))))
    assert sample.secret not in out
    assert MARKER in out


def test_secret_beyond_the_cut_column_is_masked_not_half_shown() -> None:
    token = next(s for s in SECRETS if s.name == "github-classic").secret
    out = excerpt_diff(diff(file("src/a.py", hunk(1, "+" + "x" * 50 + " " + token))), max_line_chars=70)
    assert token not in out
    assert token[8:16] not in out
    assert token[:8] + "…" in out  # prefix + four characters, then the marker (here cut)


def test_private_key_whose_header_is_context_is_masked() -> None:
    block, body = pem_block("RSA ", lines=20)
    key_lines = block.split("\n")
    rotated = [" " + line for line in key_lines[:12]] + ["-" + key_lines[12], "+" + "A" * 40 + "b1C2d3E4f5G6h7"]
    rotated += [" " + line for line in key_lines[13:]]
    out = excerpt_diff(diff(file("deploy/key.pem", hunk(1, "\n".join(rotated)))))
    for line in body.split("\n"):
        assert line not in out
    assert "A" * 40 not in out


def test_private_key_added_whole_folds_into_one_line() -> None:
    block, _ = pem_block("OPENSSH ", lines=8)
    out = excerpt_diff(diff(file("keys/id", hunk(1, "\n".join("+" + line for line in block.split("\n"))))))
    assert out.split("\n")[2:] == [
        "+-----BEGIN OPENSSH PRIVATE KEY-----", "+" + MARKER, "+-----END OPENSSH PRIVATE KEY-----",
    ]


def test_secret_in_a_hunk_section_or_path_is_masked() -> None:
    token = next(s for s in SECRETS if s.name == "stripe-live").secret
    fd = FileDiff(path=f"src/{token}.py", old_path=None, status="modified", added=1, removed=0,
                  hunks=(DiffHunk(header=f"@@ -1 +1,2 @@ KEY = '{token}'", lines=(DiffLine(kind="+", text="x"),)),))
    out = excerpt_diff(diff(fd))
    assert token not in out


def test_control_characters_and_newlines_in_content_are_neutralised() -> None:
    lines = (DiffLine(kind="+", text="a\nb\x07c"), DiffLine(kind="+", text="evil\x1b[2J\rline\u202eoverride"))
    fd = FileDiff(path="src/a\nb\x1b.py", old_path=None, status="modified", added=2, removed=0,
                  hunks=(DiffHunk(header="@@ -1 +1,2 @@\x07", lines=lines),))
    out = excerpt_diff(diff(fd))
    assert out.split("\n") == ["M src/a b.py (+2 −0)", "@@ -1 +1,2 @@", "+a bc", "+evil[2Jlineoverride"]


def test_tabs_are_expanded() -> None:
    out = excerpt_diff(diff(file("Makefile", hunk(1, "+\techo hi"))))
    assert out.split("\n")[2] == "+    echo hi"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["src/a.py", "tests/test_a.py", "yarn.lock", "docs/x.md", "b.go"]),
            st.lists(st.lists(st.tuples(st.sampled_from("+- "), st.text(max_size=120)), min_size=1, max_size=30),
                     min_size=0, max_size=4),
        ),
        max_size=8,
    ),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=1, max_value=200),
)
@settings(max_examples=150, deadline=None)
def test_any_diff_fits_its_budget(spec: list[tuple[str, list[list[tuple[str, str]]]]], max_lines: int,
                                  max_line_chars: int) -> None:
    files = tuple(
        file(path, *(DiffHunk(header="@@ -1 +1 @@", lines=tuple(DiffLine(kind=_kind(k), text=t) for k, t in h))
                     for h in hunks))
        for path, hunks in spec
    )
    out = excerpt_diff(diff(*files), max_lines=max_lines, max_line_chars=max_line_chars)
    lines = out.split("\n")
    assert len(lines) <= max_lines
    assert all(len(line) <= max(40, max_line_chars) for line in lines)


def test_a_huge_diff_still_fits_and_keeps_the_diff_order() -> None:
    files = tuple(file(f"src/pkg{i:04}/mod.py", hunk(1, context(3) + "\n" + added(5) + "\n" + context(3)))
                  for i in range(2000))
    out = excerpt_diff(diff(*files))
    lines = out.split("\n")
    assert len(lines) <= 40
    headers = [line for line in lines if line.startswith("M ")]
    assert headers == sorted(headers)
    assert lines[-1].endswith(f"{2000 - len(headers)} more files")


def test_diffstat_counts_binary_files_without_lines() -> None:
    assert diffstat(diff(WEBHOOK, file("assets/logo.png", binary=True))) == "2 files, +3 −1"
