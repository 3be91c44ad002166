"""Gitignore-style path globs and lexical worktree containment. Standard library only.

Pattern rules (a subset of gitignore): ``*`` matches within one path segment, ``?`` one character, ``[…]`` a
class, ``**`` any number of segments; a pattern with a ``/`` other than a trailing one is anchored at the
repository root (a leading ``/`` only anchors); a pattern without one matches a name at any depth; a trailing
``/`` matches directories only. A pattern that matches a directory matches everything under it. Matching is
case-insensitive, so ``DOCKERFILE`` counts on case-insensitive file systems too.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable

__all__ = ["PathPattern", "PatternSet", "compile_pattern", "is_home_relative", "relative_path", "resolve_in_worktree"]

_HOME_PREFIXES = ("~", "$HOME", "${HOME}")


class PathPattern:
    """One compiled gitignore-style glob."""

    __slots__ = ("directory_only", "regex", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        body = text.strip()
        self.directory_only = body.endswith("/")
        body = body.rstrip("/")
        anchored = "/" in body
        body = body.lstrip("/")
        prefix = "" if anchored else "(?:.*/)?"
        self.regex = re.compile(prefix + _translate(body), re.IGNORECASE | re.DOTALL)

    def __repr__(self) -> str:
        return f"PathPattern({self.text!r})"

    def matches(self, path: str) -> bool:
        """``path`` is relative to the repository root, ``/``-separated."""
        parts = [part for part in path.split("/") if part and part != "."]
        if not parts or not self.regex.pattern:
            return False
        last = len(parts) if not self.directory_only else len(parts) - 1
        return any(self.regex.fullmatch("/".join(parts[:end])) for end in range(1, last + 1))


@functools.lru_cache(maxsize=1024)
def compile_pattern(text: str) -> PathPattern:
    return PathPattern(text)


class PatternSet:
    """Many patterns checked in one pass; ``first_match`` names the first pattern (in order) that matches."""

    __slots__ = ("_ancestors_only", "_any", "patterns")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = tuple(compile_pattern(text) for text in patterns)
        self._any = _union(p for p in self.patterns if not p.directory_only)
        self._ancestors_only = _union(p for p in self.patterns if p.directory_only)

    def first_match(self, path: str) -> str | None:
        parts = [part for part in path.split("/") if part and part != "."]
        if not parts:
            return None
        prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
        hit = any(self._any.fullmatch(p) for p in prefixes) or any(
            self._ancestors_only.fullmatch(p) for p in prefixes[:-1])
        if not hit:
            return None
        return next((p.text for p in self.patterns if p.matches(path)), None)


def _union(patterns: Iterable[PathPattern]) -> re.Pattern[str]:
    bodies = [p.regex.pattern for p in patterns if p.regex.pattern]
    return re.compile("|".join(f"(?:{body})" for body in bodies) or "(?!)", re.IGNORECASE | re.DOTALL)


def _translate(body: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        if body.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif body.startswith("**", index):
            out.append(".*")
            index += 2
        elif body[index] == "*":
            out.append("[^/]*")
            index += 1
        elif body[index] == "?":
            out.append("[^/]")
            index += 1
        elif body[index] == "[":
            index = _translate_class(body, index, out)
        else:
            out.append(re.escape(body[index]))
            index += 1
    return "".join(out)


def _translate_class(body: str, index: int, out: list[str]) -> int:
    end = body.find("]", index + 2)
    if end < 0:
        out.append(re.escape("["))
        return index + 1
    inner = body[index + 1:end]
    negate = inner[:1] in {"!", "^"}
    inner = inner[1:] if negate else inner
    escaped = "".join("\\" + char if char in "\\^[]" else char for char in inner)
    out.append(f"[{'^' if negate else ''}{escaped}]")
    return end + 1


def is_home_relative(path: str) -> bool:
    """``~``, ``~user/…``, ``$HOME/…`` and ``${HOME}…`` point into a home directory, never the worktree."""
    return path.startswith(_HOME_PREFIXES)


def resolve_in_worktree(worktree: str, path: str, *, cwd: str | None = None) -> str | None:
    """The absolute, lexically normalised path, or None when it leaves ``worktree`` (or names a home dir).

    Relative paths are taken from ``cwd`` (itself relative to the worktree, or absolute) when given.
    Symbolic links are not followed: this is a lexical check only.
    """
    root = posixpath.normpath(worktree or "/")
    if is_home_relative(path) or "\x00" in path:
        return None
    base = root
    if cwd:
        resolved_cwd = resolve_in_worktree(root, cwd)
        if resolved_cwd is None:
            return None
        base = resolved_cwd
    resolved = posixpath.normpath(posixpath.join(base, path))
    if resolved.startswith("//"):
        resolved = "/" + resolved.lstrip("/")
    if resolved == root or resolved.startswith(root.rstrip("/") + "/"):
        return resolved
    return None


def relative_path(worktree: str, resolved: str) -> str:
    """``resolved`` (from ``resolve_in_worktree``) relative to the worktree root; ``""`` for the root."""
    root = posixpath.normpath(worktree or "/")
    if resolved == root:
        return ""
    return resolved[len(root.rstrip("/")) + 1:]
