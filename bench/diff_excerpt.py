"""Figure 5: diff excerpt for 1, 2 and 5 MB unified diffs, against parsing the same text with unidiff alone.

The bot's path is what the review card costs: ``parse_unified_diff`` (adapters/git/diffparse.py), then
``excerpt_diff`` and ``diffstat`` (bot/render/excerpt.py). The floor is ``unidiff.PatchSet(text)``. Both run
on the same generated git-style diff (many files, several hunks each, some long lines), interleaved, and the
median of the repeats is reported, with ms/MB per size to show the growth is linear.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable

from unidiff import PatchSet

from adapters.git.diffparse import parse_unified_diff
from bench.figure import Figure
from bot.render.excerpt import diffstat, excerpt_diff

__all__ = ["make_diff", "run"]

MB = 1_000_000
WORDS = ("order", "charge", "payload", "webhook", "cart", "total", "user", "session", "retry", "amount", "event")


def _code_line(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(2, 9))
    indent = " " * (4 * rng.randint(0, 3))
    return f"{indent}{words[0]} = {'_'.join(words[1:])}({rng.randint(0, 999)})"


def _file(rng: random.Random, number: int) -> list[str]:
    folder = rng.choice(("src/shop", "src/payments", "tests", "docs", "src/api"))
    path = f"{folder}/module_{number}.py"
    lines = [f"diff --git a/{path} b/{path}", f"index {number:07x}..{number + 1:07x} 100644",
             f"--- a/{path}", f"+++ b/{path}"]
    start = 1
    for _ in range(rng.randint(1, 6)):
        start += rng.randint(5, 80)
        before = [_code_line(rng) for _ in range(3)]
        after = [_code_line(rng) for _ in range(3)]
        removed = [_code_line(rng) for _ in range(rng.randint(0, 6))]
        added = [_code_line(rng) for _ in range(rng.randint(1, 8))]
        old_len, new_len = 6 + len(removed), 6 + len(added)
        lines.append(f"@@ -{start},{old_len} +{start},{new_len} @@ def handler_{start}(event):")
        lines += [" " + t for t in before] + ["-" + t for t in removed] + ["+" + t for t in added]
        lines += [" " + t for t in after]
        start += old_len
    return lines


def make_diff(size: int, seed: int = 7) -> str:
    """A git-style unified diff of about ``size`` bytes."""
    rng = random.Random(seed)
    lines: list[str] = []
    total, number = 0, 0
    while total < size:
        number += 1
        chunk = _file(rng, number)
        lines += chunk
        total += sum(len(line) + 1 for line in chunk)
    return "\n".join(lines) + "\n"


def bot_excerpt(text: str) -> str:
    diff = parse_unified_diff(text)
    return excerpt_diff(diff) + diffstat(diff)


def unidiff_alone(text: str) -> object:
    return PatchSet(text)


def _timed(work: Callable[[str], object], text: str) -> float:
    gc.collect()  # each side starts from the same heap, not from the other's garbage
    started = time.perf_counter()
    work(text)
    return time.perf_counter() - started


def measure(size: int, repeats: int) -> tuple[float, float]:
    text = make_diff(size)
    bot_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(repeats):
        bot_times.append(_timed(bot_excerpt, text))
        floor_times.append(_timed(unidiff_alone, text))
    return statistics.median(bot_times), statistics.median(floor_times)


async def run(*, smoke: bool) -> list[Figure]:
    sizes = (MB // 20, MB // 10, MB // 4) if smoke else (MB, 2 * MB, 5 * MB)
    repeats = 2 if smoke else 7
    bot_excerpt(make_diff(MB // 50))  # warm-up: imports, regex compilation
    figures: list[Figure] = []
    per_mb: list[float] = []
    floor_per_mb: list[float] = []
    for size in sizes:
        bot, floor = measure(size, repeats)
        ratio = bot / floor
        per_mb.append(bot * 1000 / (size / MB))
        floor_per_mb.append(floor * 1000 / (size / MB))
        figures.append(Figure(
            benchmark="diff excerpt", name=f"{size / MB:g} MB diff", value=bot * 1000, floor=floor * 1000,
            unit="ms", target="ratio ≤ 1.5", met=ratio <= 1.5,
            extra={"bot_ms_per_mb": round(per_mb[-1], 1), "floor_ms_per_mb": round(floor_per_mb[-1], 1),
                   "repeats": repeats}))
    spread = max(per_mb) / min(per_mb)
    floor_spread = max(floor_per_mb) / min(floor_per_mb)
    figures.append(Figure(
        benchmark="diff excerpt", name="growth (max/min ms per MB)", value=spread, floor=floor_spread, unit="×",
        target="≤ 1.5 (linear)", met=spread <= 1.5,
        note="ms/MB by size, bot (unidiff alone): " + ", ".join(
            f"{s / MB:g} MB {v:.0f} ({f:.0f})" for s, v, f in zip(sizes, per_mb, floor_per_mb, strict=True))))
    return figures
