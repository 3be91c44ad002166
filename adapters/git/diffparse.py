"""Unified diff text (as ``git diff`` writes it) -> bot.domain.diff values, via unidiff.

unidiff parses and validates the structure (files, paths, statuses, hunk ranges, line counts) in its fast
``metadata_only`` mode; the hunk bodies are then sliced straight out of the text, which unidiff has already
checked line by line, so a 5 MB diff costs about one unidiff pass. Paths are unquoted the way
git quotes them (``"a/t\\tab"``); the ``a/`` and ``b/`` prefixes are dropped.
"""

from __future__ import annotations

import hashlib

from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk

from adapters.git.errors import GitCommandError
from bot.domain.diff import Diff, DiffHunk, DiffLine, FileDiff, FileStatus

__all__ = ["diff_sha256", "parse_unified_diff", "unquote_git_path"]

_DEV_NULL = "/dev/null"
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def diff_sha256(text: str) -> str:
    # surrogatepass: text that did not come from git (which is decoded with "replace") never crashes the hash
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def parse_unified_diff(text: str) -> Diff:
    """Parse ``text``; raise GitCommandError (one line) when it is not a unified diff."""
    lines = text.split("\n")
    try:
        patch = PatchSet(text, metadata_only=True)
    except (UnidiffParseError, UnicodeError):
        patch = _parse(_with_placeholder_names(lines))  # e.g. a file named "x b/y": see below
    return Diff(text=text, sha256=diff_sha256(text), files=tuple(_file(pf, lines) for pf in patch))


def _parse(text: str) -> PatchSet:
    try:
        return PatchSet(text, metadata_only=True)
    except (UnidiffParseError, UnicodeError) as exc:
        reason = "".join(ch for ch in str(exc).split("\n", 1)[0] if ch.isprintable())[:80]
        raise GitCommandError(f"could not parse the diff: {reason}") from None


def _with_placeholder_names(lines: list[str]) -> str:
    """The same diff, line for line, with every file name in ``diff --git`` / ``---`` / ``+++`` headers replaced
    by a placeholder. unidiff splits ``diff --git a/x b/y b/x b/y`` at the wrong " b/" and then rejects the
    ``+++`` line; the real names are read from the original lines instead (``_paths``)."""
    out: list[str] = []
    number, in_header = 0, False
    for line in lines:
        if line.startswith("diff --git "):
            number, in_header = number + 1, True
            line = f"diff --git a/_{number} b/_{number}"
        elif in_header and line.startswith("--- ") and line != "--- /dev/null":
            line = f"--- a/_{number}"
        elif in_header and line.startswith("+++ ") and line != "+++ /dev/null":
            line, in_header = f"+++ b/_{number}", False
        elif line.startswith("@@"):
            in_header = False
        out.append(line)
    return "\n".join(out)


def unquote_git_path(path: str) -> str:
    """Undo git's C-style quoting (``"dir/t\\303\\251st"`` -> ``dir/tést``); plain paths pass through."""
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    body, out, i = path[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode("utf-8")
            i += 1
        elif body[i + 1] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        elif body[i + 1 : i + 4].isdigit():
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out += body[i + 1].encode("utf-8")
            i += 2
    return out.decode("utf-8", errors="replace")


def _strip_prefix(name: str | None) -> str | None:
    if name is None or name == _DEV_NULL:
        return None
    name = unquote_git_path(name)
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name


def _rename_paths(pf: PatchedFile) -> tuple[str, str] | None:
    old = new = None
    for line in pf.patch_info or ():
        if line.startswith("rename from "):
            old = unquote_git_path(line[12:].rstrip("\n"))
        elif line.startswith("rename to "):
            new = unquote_git_path(line[10:].rstrip("\n"))
    return (old, new) if old is not None and new is not None else None


def _paths(pf: PatchedFile, lines: list[str]) -> tuple[str | None, str | None]:
    """(old, new) path without prefixes, None for /dev/null. Git writes the same name on both sides of its
    ``diff --git a/P b/P`` header unless the file was renamed, so the header splits exactly in the middle."""
    header = lines[pf.diff_line_no - 1] if pf.diff_line_no else ""
    if header.startswith("diff --git "):
        both = header[len("diff --git ") :]
        middle = len(both) // 2
        left, right = unquote_git_path(both[:middle]), unquote_git_path(both[middle + 1 :])
        if both[middle : middle + 1] == " " and left[:2] == "a/" and right[:2] == "b/" and left[2:] == right[2:]:
            source = None if pf.source_file == _DEV_NULL else left[2:]
            return source, None if pf.target_file == _DEV_NULL else left[2:]
    return _strip_prefix(pf.source_file), _strip_prefix(pf.target_file)


def _file(pf: PatchedFile, lines: list[str]) -> FileDiff:
    source, target = _paths(pf, lines)
    renamed = _rename_paths(pf)
    status: FileStatus
    old_path: str | None = None
    if renamed is not None:
        status, (old_path, path) = "renamed", renamed
    elif source is None:
        status, path = "added", target or ""
    elif target is None:
        status, path = "deleted", source
    else:
        status, path = "modified", target
    hunks: list[DiffHunk] = []
    at = (pf.diff_line_no or 1) - 1
    for hunk in pf:
        while not lines[at].startswith("@@"):
            at += 1
        body, at = _hunk_lines(lines, at + 1, hunk.source_length, hunk.target_length)
        hunks.append(DiffHunk(header=_hunk_header(hunk), lines=body))
    return FileDiff(
        path=path,
        old_path=old_path,
        status=status,
        added=sum(h.added for h in pf),
        removed=sum(h.removed for h in pf),
        hunks=tuple(hunks),
        is_binary=pf.is_binary_file,
    )


def _hunk_lines(lines: list[str], at: int, source_length: int, target_length: int) -> tuple[tuple[DiffLine, ...], int]:
    """The body of the hunk whose first line is ``lines[at]`` (already validated by unidiff), and the index
    of the line after it, trailing "\\ No newline" markers included."""
    out: list[DiffLine] = []
    append, end, source, target = out.append, len(lines), 0, 0
    while source < source_length or target < target_length:
        raw = lines[at]
        at += 1
        kind = raw[:1]
        if kind == "+":
            target += 1
        elif kind == "-":
            source += 1
        elif kind != "\\":
            source += 1
            target += 1
            if kind != " ":  # an empty context line (some tools drop the space)
                append(_diff_line(" ", raw))
                continue
        append(_diff_line(kind, raw[1:]))
    while at < end and lines[at][:1] == "\\":
        append(_diff_line("\\", lines[at][1:]))
        at += 1
    return tuple(out), at


def _diff_line(kind: str, text: str) -> DiffLine:
    """``DiffLine(kind=kind, text=text)`` at a third of the cost: a frozen dataclass's ``__init__`` goes through
    ``object.__setattr__`` per field, while its slot descriptors can be set directly once. This runs once per
    diff line, so it decides how a 5 MB diff compares with unidiff alone. Equal to the normal constructor."""
    line = _new_object(DiffLine)
    _set_kind(line, kind)
    _set_text(line, text)
    return line


_new_object = object.__new__
_set_kind = vars(DiffLine)["kind"].__set__  # the slot descriptors
_set_text = vars(DiffLine)["text"].__set__


def _hunk_header(hunk: Hunk) -> str:
    src = _range(hunk.source_start, hunk.source_length)
    tgt = _range(hunk.target_start, hunk.target_length)
    section = hunk.section_header
    return f"@@ -{src} +{tgt} @@ {section}" if section else f"@@ -{src} +{tgt} @@"


def _range(start: int, length: int) -> str:
    return str(start) if length == 1 else f"{start},{length}"
