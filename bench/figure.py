"""One measured figure next to its floor, the table people read, and the JSON file the run leaves behind."""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Figure", "machine", "percentile", "table", "write_json"]

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """``value`` measured for the bot, ``floor`` for the bare library in the same run (None: no floor)."""

    benchmark: str
    name: str
    value: float
    unit: str
    floor: float | None = None
    target: str = ""
    met: bool | None = None  # None: nothing to meet (reported only)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor <= 0:
            return None
        return self.value / self.floor


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1]) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: Iterable[Figure]) -> str:
    rows = [("benchmark", "figure", "bot", "floor", "unit", "ratio", "target", "met")]
    for f in figures:
        met = {True: "yes", False: "NO", None: "—"}[f.met]
        rows.append((f.benchmark, f.name, _number(f.value), _number(f.floor), f.unit, _number(f.ratio),
                     f.target or "—", met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout.splitlines()
        total = memory[1].split()[1] if len(memory) > 1 else "?"
    except (OSError, subprocess.SubprocessError):
        total = "?"
    import os

    return {"nproc": os.cpu_count(), "memory": total, "python": platform.python_version(),
            "platform": platform.platform(terse=True)}


def write_json(figures: Sequence[Figure], *, mode: str, crashed: dict[str, str], seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}.json"
    body = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "crashed": crashed,
        "figures": [{**asdict(f), "ratio": None if f.ratio is None else round(f.ratio, 3)} for f in figures],
    }
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    return path
