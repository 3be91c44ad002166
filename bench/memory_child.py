"""The measured process of figure 6 (run by bench/memory.py, not by hand).

``python -m bench.memory_child floor <module> ...``: import those libraries, print RSS.
``python -m bench.memory_child bot <slack api url> <telegram api url> <lifecycles>``: the real core (SQLite in a
temporary directory, fakes for git/agent/verification) with both chat adapters started against the parent's
fake servers (Slack in HTTP mode, Telegram long polling); print RSS when idle, then drive ``lifecycles``
complete hotfixes (file -> agent edit -> verify -> review -> ship approval -> shipped) whose cards go out
through the Telegram adapter to the fake Bot API, and print RSS again. One JSON object per line.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def rss_parts() -> dict[str, int]:
    """RssAnon (heap), RssFile (mapped files), RssShmem (shared memory) in KiB."""
    parts = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
            key, value = line.split(":", 1)
            parts[key] = int(value.split()[0])
    return parts


def settled_rss() -> int:
    gc.collect()
    return rss_kib()


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def third_party_modules() -> list[str]:
    """Top-level modules loaded from site-packages (what a bare process must import to compare)."""
    names = set()
    for name, module in list(sys.modules.items()):
        path = str(getattr(module, "__file__", "") or "")
        if "site-packages" in path and "." not in name and not name.startswith("_"):
            names.add(name)
    return sorted(names)


async def bot(slack_url: str, telegram_url: str, lifecycles: int) -> None:
    from adapters.common.throttle import Throttle
    from adapters.slack.app import SlackAdapter
    from adapters.telegram.app import TelegramAdapter
    from bench.world import FIX_SCRIPT, LoopingAgent, open_core, people
    from bot.domain.audit import StateChanged
    from bot.domain.values import ApprovalKind, ConversationRef, State
    from bot.services.commands import ButtonAction, FileHotfix, PressButton

    token, = [part for part in telegram_url.split("/bot")[1:2]]
    crew = people(["telegram:111"], ["telegram:222"])
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None  # RAM-backed: fsync waits are not the subject here
    bench = await open_core(people=crew, channels=(), notifiers={}, runner=LoopingAgent(FIX_SCRIPT),
                            database_dir=shm)
    slack = SlackAdapter(bot_token="xoxb-1111-2222-fake", sink=bench.core.bus, signing_secret="bench-secret",
                         http_port=0, http_host="127.0.0.1", api_base_url=slack_url)
    telegram = TelegramAdapter(token=token, sink=bench.core.bus, base_url=telegram_url.split("/bot")[0] + "/bot",
                               poll_timeout=1, throttle=Throttle(limits_for=lambda _chat: ()))
    bench.core.router.register("slack", slack.notifier)
    bench.core.router.register("telegram", telegram.notifier)
    await slack.start()
    await telegram.start()
    await asyncio.sleep(2.0)  # a few long polls: idle
    say(phase="idle", rss_kib=settled_rss(), modules=third_party_modules(), objects=len(gc.get_objects()),
        blocks=sys.getallocatedblocks(), parts=rss_parts())

    changed = asyncio.Event()

    async def on_event(event: object) -> None:
        if isinstance(event, StateChanged):
            changed.set()

    bench.core.bus.subscribe(on_event)
    chat = ConversationRef(platform="telegram", key="111")

    async def until(number: int, state: State) -> Any:
        while (hotfix := bench.core.bus.read(number)).state is not state:
            if hotfix.is_terminal:
                raise RuntimeError(f"HF-{number} ended {hotfix.state.value}")
            changed.clear()
            await asyncio.wait_for(changed.wait(), timeout=30)
        return hotfix

    marks: list[int] = []
    for n in range(1, lifecycles + 1):
        await bench.core.bus.handle(FileHotfix(actor="telegram:111", conversation=chat,
                                               description=f"checkout returns 500 on an empty cart, case {n}"))
        review = await until(n, State.REVIEW)
        ship = next(a for a in review.approvals if a.kind is ApprovalKind.SHIP and a.pending)
        await bench.core.bus.handle(PressButton(actor="telegram:222", conversation=chat, action=ButtonAction.APPROVE,
                                                token=ship.id))
        await until(n, State.SHIPPED)
        if n % max(1, lifecycles // 4) == 0:
            marks.append(rss_kib())
    await bench.core.bus.drain()
    await telegram.notifier.flush()
    await asyncio.sleep(1.0)
    say(phase="after", rss_kib=settled_rss(), lifecycles=lifecycles, marks_kib=marks, objects=len(gc.get_objects()),
        blocks=sys.getallocatedblocks(), parts=rss_parts())
    await bench.close(drain=1)
    await telegram.stop()
    await slack.stop()


def floor(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # an optional extra the bot never imports by itself
            continue
    say(phase="floor", rss_kib=settled_rss())


def main(argv: list[str]) -> None:
    if argv[0] == "floor":
        floor(argv[1:])
    else:
        asyncio.run(bot(argv[1], argv[2], int(argv[3])))


if __name__ == "__main__":
    main(sys.argv[1:])
