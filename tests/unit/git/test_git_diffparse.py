"""parse_unified_diff: git's unified diff text -> Diff values. Pure, no I/O."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.git.diffparse import parse_unified_diff, unquote_git_path
from adapters.git.errors import GitCommandError
from bot.domain.diff import DiffLine
from tests.fakes.workspace import unified_text

MODIFIED = """\
diff --git a/app/cart.py b/app/cart.py
index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644
--- a/app/cart.py
+++ b/app/cart.py
@@ -1,4 +1,4 @@ def add(cart, item):
 def add(cart, item):
-    cart.append(item)
+    cart = [*cart, item]
     return cart

@@ -10 +10,2 @@ class Cart:
-    pass
+    items = []
+    total = 0
"""

ADDED_NO_NEWLINE = """\
diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000000000000000000000000000000000000..b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
"""

DELETED = """\
diff --git a/README.md b/README.md
deleted file mode 100644
index 3333333333333333333333333333333333333333..0000000000000000000000000000000000000000
--- a/README.md
+++ /dev/null
@@ -1,2 +0,0 @@
-# shop
-
"""

RENAMED_AND_EDITED = """\
diff --git a/app/old name.py b/app/new name.py
similarity index 90%
rename from app/old name.py
rename to app/new name.py
index 4444444444444444444444444444444444444444..5555555555555555555555555555555555555555 100644
--- a/app/old name.py\t
+++ b/app/new name.py\t
@@ -1,3 +1,3 @@
 a
-b
+B
 c
"""

PURE_RENAME_BINARY_AND_MODE = """\
diff --git a/x.py b/y.py
similarity index 100%
rename from x.py
rename to y.py
diff --git a/logo.png b/logo.png
index 6666666666666666666666666666666666666666..7777777777777777777777777777777777777777 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
"""

QUOTED = """\
diff --git "a/dir/t\\303\\251st\\tx.txt" "b/dir/t\\303\\251st\\tx.txt"
new file mode 100644
index 0000000000000000000000000000000000000000..8888888888888888888888888888888888888888
--- /dev/null
+++ "b/dir/t\\303\\251st\\tx.txt"
@@ -0,0 +1 @@
+x
"""


def test_a_modified_file_with_two_hunks() -> None:
    diff = parse_unified_diff(MODIFIED)

    (f,) = diff.files
    assert (f.path, f.old_path, f.status, f.is_binary) == ("app/cart.py", None, "modified", False)
    assert (f.added, f.removed) == (3, 2)
    assert [h.header for h in f.hunks] == ["@@ -1,4 +1,4 @@ def add(cart, item):", "@@ -10 +10,2 @@ class Cart:"]
    assert [(line.kind, line.text) for line in f.hunks[0].lines] == [
        (" ", "def add(cart, item):"),
        ("-", "    cart.append(item)"),
        ("+", "    cart = [*cart, item]"),
        (" ", "    return cart"),
        (" ", ""),
    ]
    assert f.hunks[1].lines == (DiffLine(kind="-", text="    pass"), DiffLine(kind="+", text="    items = []"),
                                DiffLine(kind="+", text="    total = 0"))
    assert hash(f.hunks[1].lines[0]) == hash(DiffLine(kind="-", text="    pass"))
    assert diff.text == MODIFIED
    assert diff.sha256 == hashlib.sha256(MODIFIED.encode()).hexdigest()
    assert (diff.added, diff.removed) == (3, 2)


def test_an_added_file_without_a_final_newline() -> None:
    (f,) = parse_unified_diff(ADDED_NO_NEWLINE).files
    assert (f.path, f.status, f.added, f.removed) == ("new.txt", "added", 1, 0)
    assert [(line.kind, line.text) for line in f.hunks[0].lines] == [
        ("+", "hello"), ("\\", " No newline at end of file")]
    assert f.hunks[0].header == "@@ -0,0 +1 @@"


def test_a_deleted_file_keeps_its_old_path() -> None:
    (f,) = parse_unified_diff(DELETED).files
    assert (f.path, f.old_path, f.status, f.added, f.removed) == ("README.md", None, "deleted", 0, 2)


def test_a_renamed_and_edited_file_with_spaces_in_its_name() -> None:
    (f,) = parse_unified_diff(RENAMED_AND_EDITED).files
    assert (f.path, f.old_path, f.status, f.added, f.removed) == ("app/new name.py", "app/old name.py", "renamed", 1, 1)


def test_pure_rename_binary_change_and_mode_change_have_no_hunks() -> None:
    diff = parse_unified_diff(PURE_RENAME_BINARY_AND_MODE)
    assert [(f.path, f.old_path, f.status, f.is_binary, f.hunks) for f in diff.files] == [
        ("y.py", "x.py", "renamed", False, ()),
        ("logo.png", None, "modified", True, ()),
        ("run.sh", None, "modified", False, ()),
    ]
    assert diff.paths == ("y.py", "x.py", "logo.png", "run.sh")


def test_quoted_paths_are_unquoted() -> None:
    (f,) = parse_unified_diff(QUOTED).files
    assert f.path == "dir/tést\tx.txt"
    assert unquote_git_path('"a\\"b\\\\c"') == 'a"b\\c'
    assert unquote_git_path("plain/path") == "plain/path"


def test_several_files_in_order_and_an_empty_diff() -> None:
    diff = parse_unified_diff(MODIFIED + ADDED_NO_NEWLINE + DELETED)
    assert [f.path for f in diff.files] == ["app/cart.py", "new.txt", "README.md"]
    empty = parse_unified_diff("")
    assert empty.is_empty and empty.sha256 == hashlib.sha256(b"").hexdigest()


def test_context_lines_without_the_leading_space_and_crlf_content() -> None:
    text = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\r\n\n-b\r\n+B\r\n"
    (f,) = parse_unified_diff(text).files
    assert [(line.kind, line.text) for line in f.hunks[0].lines] == [
        (" ", "a\r"), (" ", ""), ("-", "b\r"), ("+", "B\r")]


@pytest.mark.parametrize("text", [
    "@@ -1 +1 @@\n-a\n+b\n",  # a hunk with no file
    "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n",  # shorter than its header says
    "--- a/f\n+++ b/f\n@@ -1 +1 @@\n*a\n+b\n",  # not a diff line
])
def test_malformed_diffs_raise_one_line_errors(text: str) -> None:
    with pytest.raises(GitCommandError) as caught:
        parse_unified_diff(text)
    assert str(caught.value).startswith("could not parse the diff") and "\n" not in str(caught.value)


def _apply(old: str, diff_text: str) -> str:
    """Rebuild the new text from the old one and the parsed hunks (only what the parser produced)."""
    (f,) = parse_unified_diff(diff_text).files
    old_lines, out, at = old.split("\n"), [], 0
    for hunk in f.hunks:
        start = int(hunk.header.split()[1][1:].split(",")[0])
        length = hunk.header.split()[1].split(",")
        start = start - 1 if (len(length) == 1 or length[1] != "0") else start
        out.extend(old_lines[at:start])
        at = start
        for line in hunk.lines:
            if line.kind == " ":
                out.append(old_lines[at])
                at += 1
            elif line.kind == "-":
                at += 1
            elif line.kind == "+":
                out.append(line.text)
    out.extend(old_lines[at:])
    return "\n".join(out)


_line = st.text(alphabet=st.sampled_from("ab \t+-@\\é"), max_size=6)
_text = st.lists(_line, max_size=12).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(old=_text, new=_text)
def test_the_parsed_hunks_rebuild_the_new_file(old: str, new: str) -> None:
    text = unified_text({"f.txt": old.encode()}, {"f.txt": new.encode()})
    if old == new:
        assert parse_unified_diff(text).is_empty
        return
    rebuilt = _apply(old, text)
    assert rebuilt.rstrip("\n") == new.rstrip("\n")


AMBIGUOUS_NAMES = """\
diff --git a/x b/y.txt b/x b/y.txt
index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644
--- a/x b/y.txt\t
+++ b/x b/y.txt\t
@@ -1 +1 @@
-old
+new
diff --git a/img b/1.png b/img b/1.png
index 3333333333333333333333333333333333333333..4444444444444444444444444444444444444444 100644
Binary files a/img b/1.png and b/img b/1.png differ
diff --git a/p b/q b/r b/s
similarity index 100%
rename from p b/q
rename to r b/s
"""


def test_file_names_containing_a_b_slash_are_read_from_the_original_headers() -> None:
    diff = parse_unified_diff(AMBIGUOUS_NAMES)

    assert [(f.path, f.old_path, f.status, f.is_binary, f.added, f.removed) for f in diff.files] == [
        ("x b/y.txt", None, "modified", False, 1, 1),
        ("img b/1.png", None, "modified", True, 0, 0),
        ("r b/s", "p b/q", "renamed", False, 0, 0),
    ]
    assert diff.text == AMBIGUOUS_NAMES
