"""Figure 6: resident memory idle with both adapters, and after 1,000 complete hotfix lifecycles on fakes,
against a bare process importing the same libraries.

Each measurement is its own subprocess (bench/memory_child.py); RSS comes from ``/proc/self/status`` after a
``gc.collect()``. This process serves the fake Slack Web API and the fake Telegram Bot API (from
tests/contract) so their records never count against the bot. The floor imports exactly the third-party
top-level packages the idle bot had loaded.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bench.figure import Figure
from bench.testbed import use_contract_folder

use_contract_folder("slack")
use_contract_folder("telegram")
from slack_fake_api import FakeSlackApi  # noqa: E402
from tg_fake_api import FakeBotApi  # noqa: E402

__all__ = ["run"]

ROOT = Path(__file__).resolve().parent.parent


async def child(*args: str, timeout: float) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.memory_child", *args, cwd=ROOT,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"memory child {args[0]} exited {process.returncode}: {' | '.join(tail)}")
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


async def run(*, smoke: bool) -> list[Figure]:
    lifecycles = 10 if smoke else 1000
    slack, telegram = FakeSlackApi(), FakeBotApi()
    await slack.start()
    await telegram.start()
    try:
        idle, after = await child("bot", slack.base_url, f"{telegram.base_url}{telegram.token}", str(lifecycles),
                                  timeout=1500)
    finally:
        await slack.stop()
        await telegram.close()
    (floor,) = await child("floor", *idle["modules"], timeout=120)
    growth = (after["rss_kib"] - idle["rss_kib"]) / idle["rss_kib"]
    mib = 1024
    return [
        Figure(benchmark="memory", name="idle, both adapters", value=idle["rss_kib"] / mib,
               floor=floor["rss_kib"] / mib, unit="MiB", target="reported",
               note=f"floor imports {len(idle['modules'])} packages: {', '.join(idle['modules'])}"),
        Figure(benchmark="memory", name=f"after {lifecycles:,} lifecycles", value=after["rss_kib"] / mib,
               floor=idle["rss_kib"] / mib, unit="MiB", target="growth ≤ 10%", met=growth <= 0.10,
               note=f"growth {growth:+.1%} over idle; RSS at each quarter (MiB): "
                    + ", ".join(f"{m / mib:.0f}" for m in after["marks_kib"])
                    + f"; Python objects {after['objects'] - idle['objects']:+,}, "
                      f"allocated blocks {after['blocks'] - idle['blocks']:+,}; RSS parts (KiB) "
                    + ", ".join(f"{k} {after['parts'][k] - idle['parts'].get(k, 0):+,}" for k in after["parts"]),
               extra={"growth": round(growth, 4)}),
    ]
