"""A phone-sized, redacted excerpt of a parsed diff, and its one-line diffstat.

The excerpt is plain text (adapters put it in a code block)::

    M src/checkout/webhook.py (+3 −1)
    @@ -40,7 +40,9 @@ def handle(event):
         order = load(event)
    -    charge(order)
    +    if not order.paid:
    +        charge(order)
    … 12 more lines, 2 more files

Every file gets a header (``A`` added, ``D`` deleted, ``M`` modified, ``R old → new`` renamed, ``binary`` noted)
while the budget lasts; then the most relevant hunks fill the rest: source before docs, tests, lockfiles and
generated files, and hunks with more changed lines first. The output keeps the diff's own order, shows at most
two context lines around changes, cuts long lines with "…", and ends with "… N more lines" (changed lines left
out) and/or "… N more files" when anything was left out. Everything shown is stripped of control characters
and redacted before it is cut.

Cost is linear in the number of diff lines with a small constant: one pass counts changes, and only what is shown
(plus a short look-back for private-key headers) is cleaned, redacted and formatted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.diff import Diff, DiffHunk, DiffLine, FileDiff
from bot.render.redact import redact, redact_lines
from bot.render.text import strip_control

__all__ = ["diffstat", "excerpt_diff"]

_CONTEXT = 2  # unchanged lines kept on each side of a change
_MIN_PARTIAL = 3  # a hunk that does not fit is shown cut only if this many of its lines fit
_PEM_LOOKBACK = 120  # how far above the first shown line a private-key header is looked for
_MINUS = "−"  # U+2212, as in "+14 −3"
_STATUS = {"added": "A", "deleted": "D", "modified": "M", "renamed": "R"}

# Lower is more relevant.
_SOURCE, _DOCS, _TESTS, _GENERATED = 0, 1, 2, 3
_LOCKFILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "pipfile.lock",
    "cargo.lock", "gemfile.lock", "composer.lock", "go.sum", "uv.lock", "pdm.lock", "mix.lock", "flake.lock",
    "packages.lock.json", "podfile.lock", "pubspec.lock", "bun.lockb", "requirements.lock",
})
_GENERATED_RE = re.compile(
    r"(?:^|/)(?:vendor|node_modules|dist|build|third_party|__snapshots__|__generated__)/"
    r"|\.(?:min\.(?:js|css)|map|snap|lock|pb\.go|pb\.cc|pb\.h|g\.dart|designer\.cs)$"
    r"|_pb2(?:_grpc)?\.pyi?$|[._-]generated\.|(?:^|/)generated/"
)
_TESTS_RE = re.compile(
    r"(?:^|/)(?:tests?|spec|specs|__tests__|testdata|fixtures|e2e)/|(?:^|/)test_[^/]*$|_test\.[a-z]+$"
    r"|\.(?:test|spec)\.[a-z]+$|(?:^|/)conftest\.py$|Tests?\.(?:java|kt|cs|swift)$"
)
_DOCS_RE = re.compile(r"\.(?:md|rst|txt|adoc)$|(?:^|/)(?:docs?|CHANGELOG|CHANGES)(?:/|\.|$)", re.IGNORECASE)


def diffstat(diff: Diff) -> str:
    """``"2 files, +14 −3"``."""
    count = len(diff.files)
    return f"{count} file{'' if count == 1 else 's'}, +{diff.added} {_MINUS}{diff.removed}"


def _relevance(path: str) -> int:
    if path.rsplit("/", 1)[-1].lower() in _LOCKFILES or _GENERATED_RE.search(path):
        return _GENERATED
    if _TESTS_RE.search(path):
        return _TESTS
    if _DOCS_RE.search(path):
        return _DOCS
    return _SOURCE


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layout:
    """Which files get a header and which hunk lines are shown (per file index, per hunk index)."""

    headed: frozenset[int]
    shown: dict[tuple[int, int], list[tuple[int, int]]]  # (file, hunk) -> [start, end) line ranges
    omitted_changes: int


def _scan(lines: tuple[DiffLine, ...]) -> tuple[list[tuple[int, int]], int]:
    """Line ranges around changes (widened by _CONTEXT, merged when they touch) and the number of changes."""
    out: list[tuple[int, int]] = []
    start = end = -1
    changed = 0
    for index, line in enumerate(lines):
        if line.kind == "+" or line.kind == "-":
            changed += 1
            if start >= 0 and index - _CONTEXT <= end + 1:
                end = index + _CONTEXT + 1
                continue
            if start >= 0:
                out.append((start, min(end, len(lines))))
            start, end = max(0, index - _CONTEXT), index + _CONTEXT + 1
    if start >= 0:
        out.append((start, min(end, len(lines))))
    return out, changed


def _cost(ranges: list[tuple[int, int]]) -> int:
    """Lines a hunk takes: its header, its ranges, and a "⋯" between ranges."""
    return 1 + sum(end - start for start, end in ranges) + len(ranges) - 1


def _cut_ranges(ranges: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """The leading ranges that fit in ``budget`` lines (header and separators included)."""
    out: list[tuple[int, int]] = []
    left = budget - 1
    for start, end in ranges:
        if out:
            left -= 1
        if left <= 0:
            break
        take = min(end - start, left)
        out.append((start, start + take))
        left -= take
    return out


def _shown_changes(lines: tuple[DiffLine, ...], ranges: list[tuple[int, int]]) -> int:
    return sum(1 for start, end in ranges for line in lines[start:end] if line.kind == "+" or line.kind == "-")


def _plan(diff: Diff, max_lines: int) -> _Layout:
    files = diff.files
    scans = {(f, h): _scan(hunk.lines) for f, fd in enumerate(files) for h, hunk in enumerate(fd.hunks)}
    ranges = {key: found for key, (found, _) in scans.items()}
    changes = {key: count for key, (_, count) in scans.items()}
    total_changes = sum(changes.values())
    needed = len(files) + sum(_cost(r) for r in ranges.values() if r)
    if needed <= max_lines:
        shown = {key: r for key, r in ranges.items() if r}
        return _Layout(headed=frozenset(range(len(files))), shown=shown, omitted_changes=0)
    budget = max_lines - 1  # the last line says what was left out
    relevance = [_relevance(fd.path) for fd in files]
    by_relevance = sorted(range(len(files)), key=lambda f: (relevance[f], f))
    headed = frozenset(by_relevance[: max(0, min(len(files), budget // 3 if budget >= 3 else budget))])
    left = budget - len(headed)
    chosen: dict[tuple[int, int], list[tuple[int, int]]] = {}
    candidates = sorted((key for key in ranges if key[0] in headed and ranges[key]),
                        key=lambda key: (relevance[key[0]], -changes[key], key))
    for key in candidates:
        cost = _cost(ranges[key])
        if cost <= left:
            chosen[key], left = ranges[key], left - cost
        elif left >= 1 + _MIN_PARTIAL:
            chosen[key], left = _cut_ranges(ranges[key], left), 0
        if left <= 1:
            break
    shown_changes = sum(_shown_changes(files[f].hunks[h].lines, r) for (f, h), r in chosen.items())
    return _Layout(headed=headed, shown=chosen, omitted_changes=total_changes - shown_changes)


def _clean(text: str) -> str:
    return strip_control(text).replace("\n", " ").expandtabs(4)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_left(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :]


def _file_header(fd: FileDiff, limit: int) -> str:
    status = _STATUS.get(fd.status, "M")
    path = redact(_clean(fd.path))
    if fd.status == "renamed" and fd.old_path:
        path = f"{redact(_clean(fd.old_path))} → {path}"
    if fd.is_binary:
        counts = " (binary)"
    elif fd.status == "renamed" and not fd.added and not fd.removed:
        counts = ""
    else:
        counts = f" (+{fd.added} {_MINUS}{fd.removed})"
    return _cut(f"{status} {_cut_left(path, max(8, limit - len(counts) - 2))}{counts}", limit)


def _hunk_lines(hunk: DiffHunk, ranges: list[tuple[int, int]], limit: int) -> list[str]:
    """The hunk header and the shown lines, redacted as one block so multi-line keys are recognised."""
    first, last = ranges[0][0], ranges[-1][1]
    start = first
    for index in range(first - 1, max(-1, first - _PEM_LOOKBACK - 1), -1):
        if "-----BEGIN " in hunk.lines[index].text:
            start = index
            break
    window = redact_lines([line.kind + _clean(line.text) for line in hunk.lines[start:last]])
    out = [_cut(redact(_clean(hunk.header)), limit)]
    for number, (low, high) in enumerate(ranges):
        if number:
            out.append("⋯")
        out.extend(_cut(text, limit) for text in window[low - start : high - start])
    return out


def _left_out(layout: _Layout, file_count: int) -> str | None:
    parts = []
    if layout.omitted_changes:
        parts.append(f"{layout.omitted_changes} more line{'' if layout.omitted_changes == 1 else 's'}")
    files_left = file_count - len(layout.headed)
    if files_left:
        parts.append(f"{files_left} more file{'' if files_left == 1 else 's'}")
    return "… " + ", ".join(parts) if parts else None


def excerpt_diff(diff: Diff, *, max_lines: int = 40, max_line_chars: int = 100) -> str:
    """The redacted, phone-sized excerpt of ``diff``: at most ``max_lines`` lines (at least one) of at most
    ``max_line_chars`` characters (at least 40)."""
    if diff.is_empty:
        return "(no changes)"
    max_lines = max(1, max_lines)
    limit = max(40, max_line_chars)
    layout = _plan(diff, max_lines)
    out: list[str] = []
    for f, fd in enumerate(diff.files):
        if f not in layout.headed:
            continue
        out.append(_file_header(fd, limit))
        for h, hunk in enumerate(fd.hunks):
            ranges = layout.shown.get((f, h))
            if ranges:
                out.extend(_hunk_lines(hunk, ranges, limit))
    marker = _left_out(layout, len(diff.files))
    if marker is not None:
        out.append(marker)
    # A last pass over the few lines shown folds a private-key body shown whole into one line.
    return redact("\n".join(out))
