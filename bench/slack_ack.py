"""Figure 1: ack latency of 100 concurrent ``/hotfix`` slash commands over HTTP.

The bot: the real ``SlackAdapter`` in HTTP mode (bolt request parsing, signature checks, the listener, the
grammar) wired to the real core (``build_core``: SQLite storage in a temporary directory, fakes for git,
agent, verification), so each ack waits for the hotfix to be persisted. The floor: a bare slack-bolt
``AsyncApp`` that only acks. Both answer the same correctly signed requests against the same fake Slack Web
API (tests/contract/slack), served by aiohttp on 127.0.0.1:0, measured in the same run with the order of the
two alternating per round. Every round starts a fresh core and database, so rounds do not pile up hotfixes.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from bench.figure import Figure, percentile
from bench.testbed import use_contract_folder
from bench.world import LoopingAgent, open_core, people

use_contract_folder("slack")
from slack_fake_api import BOT_TOKEN, FakeSlackApi  # noqa: E402
from slack_requests import SIGNING_SECRET, signed_headers, slash_form  # noqa: E402

__all__ = ["run"]

CHANNEL = "C0OPS"
# (no "payload" in it: slack_bolt 1.30 cannot parse such a form; the adapter repairs it, a bare app would 404)
TEXT = 'p1 checkout "cart" &amp; the token json is broken for order #{n} :fire: <https://shop.example/c>'


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"


async def bare_bolt(api_url: str) -> tuple[web.AppRunner, str]:
    bolt = AsyncApp(name="bare", signing_secret=SIGNING_SECRET,
                    client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url))

    @bolt.command("/hotfix")
    async def only_ack(ack: AsyncAck) -> None:
        await ack("ok")

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post(EVENTS_PATH, handle)
    return await serve(app)


async def burst(session: aiohttp.ClientSession, url: str, count: int, offset: int, hook: str) -> list[float]:
    async def one(n: int) -> float:
        body = slash_form(TEXT.format(n=n), user=f"U{n % 100:04d}", channel=CHANNEL, response_url=hook)
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        started = time.perf_counter()
        async with session.post(url, data=body.encode(), headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one(offset + n) for n in range(count))))


async def hotfix_round(fake: FakeSlackApi, session: aiohttp.ClientSession, requests: int) -> list[float]:
    crew = people([f"slack:U{n:04d}" for n in range(100)], ["slack:U9999"])
    bench = await open_core(people=crew, channels=(f"slack:{CHANNEL}",), notifiers={},
                            runner=LoopingAgent(["hang"]))
    adapter = SlackAdapter(bot_token=BOT_TOKEN, sink=bench.core.bus, signing_secret=SIGNING_SECRET, http_port=0,
                           http_host="127.0.0.1", api_base_url=fake.base_url)
    bench.core.router.register("slack", adapter.notifier)
    await adapter.start()
    url = f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}"
    try:
        await burst(session, url, 5, 1000, fake.response_url("warm"))  # warm-up: auth.test, pools, caches
        return await burst(session, url, requests, 0, fake.response_url("hotfix"))
    finally:
        await bench.close(drain=0)
        await adapter.stop()


async def run(*, smoke: bool) -> list[Figure]:
    requests, rounds = (20, 1) if smoke else (100, 5)
    fake = FakeSlackApi()
    await fake.start()
    bare_runner, bare_url = await bare_bolt(fake.base_url)
    samples: dict[str, list[float]] = {"hotfix": [], "bare": []}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            await burst(session, bare_url, 5, 1000, fake.response_url("warm"))
            for number in range(rounds):
                order = ("hotfix", "bare") if number % 2 == 0 else ("bare", "hotfix")
                for name in order:
                    if name == "hotfix":
                        samples[name] += await hotfix_round(fake, session, requests)
                    else:
                        samples[name] += await burst(session, bare_url, requests, 0, fake.response_url("bare"))
    finally:
        await bare_runner.cleanup()
        await fake.stop()
    return _figures(samples, requests, rounds)


def _figures(samples: dict[str, list[float]], requests: int, rounds: int) -> list[Figure]:
    p50 = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    p99 = {name: percentile(values, 0.99) * 1000 for name, values in samples.items()}
    common: dict[str, Any] = {"requests": requests, "rounds": rounds}
    return [
        Figure(benchmark="slack ack", name=f"p50, {requests} concurrent", value=p50["hotfix"], floor=p50["bare"],
               unit="ms", target="ratio ≤ 1.5", met=p50["hotfix"] <= 1.5 * p50["bare"], extra=common),
        Figure(benchmark="slack ack", name=f"p99, {requests} concurrent", value=p99["hotfix"], floor=p99["bare"],
               unit="ms", target="≤ 1000 ms (Slack: 3 s)", met=p99["hotfix"] <= 1000,
               note=f"max {max(samples['hotfix']) * 1000:.0f} ms over {len(samples['hotfix'])} commands"),
    ]
