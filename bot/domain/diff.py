"""A parsed unified diff as plain values (the git adapter builds these with unidiff)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Diff", "DiffHunk", "DiffLine", "FileDiff", "FileStatus"]

FileStatus = Literal["added", "deleted", "modified", "renamed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffLine:
    kind: Literal["+", "-", " ", "\\"]
    text: str  # without the leading marker and without the trailing newline


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffHunk:
    header: str  # the full "@@ -a,b +c,d @@ section" line
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileDiff:
    path: str  # the new path (the old one for deletions)
    old_path: str | None  # set for renames
    status: FileStatus
    added: int
    removed: int
    hunks: tuple[DiffHunk, ...]
    is_binary: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Diff:
    text: str  # the exact unified diff text whose sha256 is ``sha256``
    sha256: str
    files: tuple[FileDiff, ...]

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)

    @property
    def paths(self) -> tuple[str, ...]:
        out: list[str] = []
        for f in self.files:
            out.append(f.path)
            if f.old_path and f.old_path != f.path:
                out.append(f.old_path)
        return tuple(out)

    @property
    def is_empty(self) -> bool:
        return not self.files
