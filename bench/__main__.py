"""``python -m bench [--smoke] [--only NAME ...]``: run the benchmarks, print the table, write the JSON.

Exit status: 0 unless a benchmark crashed (missed targets are reported, not failures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import logging
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python -m bench` from elsewhere still finds bot/, adapters/, tests/
    sys.path.insert(0, str(ROOT))

from bench.figure import Figure, machine, table, write_json  # noqa: E402

# name -> module with ``async def run(*, smoke: bool) -> list[Figure]`` (in the order of the table)
BENCHMARKS = {
    "slack": "bench.slack_ack",
    "telegram": "bench.telegram_burst",
    "buttons": "bench.buttons",
    "stream": "bench.stream_ingest",
    "diff": "bench.diff_excerpt",
    "memory": "bench.memory",
    "agent": "bench.agent_run",
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="hotfix-bot benchmarks")
    parser.add_argument("--smoke", action="store_true", help="a few iterations and small sizes (CI)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=logging.CRITICAL)  # the bot's own warnings are not the benchmark's output
    names = args.only or list(BENCHMARKS)
    mode = "smoke" if args.smoke else "full"
    print(f"hotfix-bot benchmarks ({mode}) on {machine()}", flush=True)
    figures: list[Figure] = []
    crashed: dict[str, str] = {}
    started = time.perf_counter()
    for name in names:
        began = time.perf_counter()
        print(f"· {name} …", end=" ", flush=True)
        gc.collect()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            figures.extend(asyncio.run(module.run(smoke=args.smoke)))
        except Exception as error:
            crashed[name] = f"{type(error).__name__}: {error}"[:300]
            print("CRASHED", flush=True)
            traceback.print_exc()
            continue
        print(f"{time.perf_counter() - began:.1f} s", flush=True)
    seconds = time.perf_counter() - started
    print()
    print(table(figures))
    for figure in figures:
        if figure.note:
            print(f"  {figure.benchmark} / {figure.name}: {figure.note}")
    path = write_json(figures, mode=mode, crashed=crashed, seconds=seconds)
    print(f"\n{len(figures)} figures in {seconds:.0f} s; written to {path.relative_to(ROOT)}")
    if crashed:
        print("crashed: " + ", ".join(crashed), file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
