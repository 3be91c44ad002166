"""Figure 2: 200 ``/hotfix`` updates in a burst; time until each sender gets its first reply.

The bot: the real ``TelegramAdapter`` (python-telegram-bot, long polling) wired to the real core (SQLite in a
temporary directory, fakes for git, agent and verification). The floor: a bare python-telegram-bot echo bot
(``/hotfix`` -> ``reply_text``). Each polls its own instance of the fake Bot API from
tests/contract/telegram; the 200 updates come from 200 people in 200 private chats, all queued at once, and a
sender's first reply is the first message the bot sends into that chat (the filing reply or the status card).

The bot is measured twice: as shipped, with Telegram's flood limits in its throttle (30 messages per second
for the whole bot, so 200 chats cannot all hear back in under ~7 s however fast the bot is), and with those
limits lifted, which isolates what the bot itself costs.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from adapters.common.throttle import Throttle
from adapters.telegram.app import TelegramAdapter
from bench.figure import Figure
from bench.testbed import use_contract_folder
from bench.world import LoopingAgent, open_core, people

use_contract_folder("telegram")
from tg_fake_api import FakeBotApi  # noqa: E402

__all__ = ["run"]

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
FIRST_USER = 500_000
TEXT = "/hotfix checkout returns 500 on an empty cart for order #{n} since the 14:05 deploy"


def person(n: int) -> dict[str, Any]:
    return {"id": FIRST_USER + n, "is_bot": False, "first_name": f"Person {n}", "username": f"p{n}"}


async def burst(api: FakeBotApi, count: int) -> list[float]:
    """Queue ``count`` commands at once; seconds until each chat got its first bot message."""
    started = time.monotonic()
    for n in range(count):
        await api.push_command(FIRST_USER + n, person(n), TEXT.format(n=n))
    chats = {FIRST_USER + n for n in range(count)}

    def first_replies() -> dict[int, float]:
        seen: dict[int, float] = {}
        for call in api.calls:
            if call.method == "sendMessage" and not call.error:
                chat = int(call.params.get("chat_id", 0))
                if chat in chats and chat not in seen:
                    seen[chat] = call.at - started
        return seen

    await api.wait_for(lambda: len(first_replies()) == count, timeout=120)
    return list(first_replies().values())


async def echo_bot(count: int) -> list[float]:
    api = FakeBotApi()
    await api.start()
    application = (ApplicationBuilder().token(api.token).base_url(api.base_url).concurrent_updates(True).build())

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await message.reply_text(message.text)

    application.add_handler(CommandHandler("hotfix", echo))
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(timeout=1)
    await application.start()
    try:
        return await burst(api, count)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await api.close()


async def hotfix_bot(count: int, *, flood_limits: bool) -> list[float]:
    api = FakeBotApi()
    await api.start()
    crew = people([f"telegram:{FIRST_USER + n}" for n in range(count)], ["telegram:1"])
    bench = await open_core(people=crew, channels=(), notifiers={}, runner=LoopingAgent(["hang"]))
    throttle = None if flood_limits else Throttle(limits_for=lambda _chat: ())
    adapter = TelegramAdapter(token=api.token, sink=bench.core.bus, base_url=api.base_url, poll_timeout=1,
                              read_timeout=10.0, throttle=throttle)
    bench.core.router.register("telegram", adapter.notifier)
    await adapter.start()
    try:
        return await burst(api, count)
    finally:
        await bench.close(drain=0)
        await adapter.stop()
        await api.close()


def _figure(name: str, bot: list[float], floor: list[float], *, met: bool | None, note: str = "") -> list[Figure]:
    p50, floor50 = statistics.median(bot) * 1000, statistics.median(floor) * 1000
    return [
        Figure(benchmark="telegram burst", name=f"{name} p50", value=p50, floor=floor50, unit="ms",
               target="ratio ≤ 1.5", met=None if met is None else p50 <= 1.5 * floor50, note=note),
        Figure(benchmark="telegram burst", name=f"{name} last", value=max(bot) * 1000, floor=max(floor) * 1000,
               unit="ms", target="ratio ≤ 1.5", met=None if met is None else max(bot) <= 1.5 * max(floor)),
    ]


async def run(*, smoke: bool) -> list[Figure]:
    count = 20 if smoke else 200
    await echo_bot(3)  # warm-up: imports, first migrations, connection pools
    await hotfix_bot(3, flood_limits=False)
    floor = await echo_bot(count)
    unlimited = await hotfix_bot(count, flood_limits=False)
    shipped = await hotfix_bot(count, flood_limits=True)
    floor_again = await echo_bot(count)  # the floor before and after: the machine drifts
    floor = floor + floor_again
    return [
        *_figure(f"{count} updates, flood limits lifted", unlimited, floor, met=True),
        *_figure(f"{count} updates, as shipped (30 msg/s)", shipped, floor, met=True,
                 note="bounded by Telegram's 30 messages/s per bot, which the throttle keeps: "
                      f"{count} chats need ≥ {count / 30:.1f} s whatever the bot does"),
    ]
