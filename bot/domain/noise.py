"""Queue-noise warnings for the triage owner: signs the hotfix lane is turning into a backlog. Pure.

The caller counts; this module only decides what is worth saying:

- more than ``p0_limit`` open p0 hotfixes ("4 open p0 hotfixes");
- more than ``queue_limit`` hotfixes waiting ("queue is long: 9 waiting");
- a file touched by ``touch_limit`` or more hotfixes in the last 7 days (the caller's window), most
  touched first ("src/checkout.py touched by 3 hotfixes in 7 days").

Paths come from diffs, so they are made printable and shortened in the middle when long.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["queue_noise"]

_MAX_PATH_CHARS = 80
_MAX_FILE_WARNINGS = 5


def queue_noise(
    *,
    open_p0: int,
    queue_length: int,
    file_touches: Mapping[str, int],
    p0_limit: int = 3,
    queue_limit: int = 8,
    touch_limit: int = 3,
) -> tuple[str, ...]:
    """Warnings for the triage owner, most pressing first; empty when the queue looks healthy."""
    warnings: list[str] = []
    if open_p0 > p0_limit:
        warnings.append(f"{open_p0} open p0 {_plural(open_p0, 'hotfix', 'hotfixes')}")
    if queue_length > queue_limit:
        warnings.append(f"queue is long: {queue_length} waiting")
    hot_files = sorted(
        ((count, path) for path, count in file_touches.items() if count >= max(touch_limit, 1)),
        key=lambda item: (-item[0], item[1]),
    )
    for count, path in hot_files[:_MAX_FILE_WARNINGS]:
        warnings.append(f"{_printable_path(path)} touched by {count} {_plural(count, 'hotfix', 'hotfixes')} in 7 days")
    if len(hot_files) > _MAX_FILE_WARNINGS:
        warnings.append(f"… and {len(hot_files) - _MAX_FILE_WARNINGS} more files touched that often")
    return tuple(warnings)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _printable_path(path: str) -> str:
    shown = "".join(char if char.isprintable() else "?" for char in path) or "?"
    if len(shown) <= _MAX_PATH_CHARS:
        return shown
    keep = (_MAX_PATH_CHARS - 1) // 2
    return shown[:keep] + "…" + shown[-keep:]
