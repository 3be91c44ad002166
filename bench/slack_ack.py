"""Benchmark: ack latency of 100 concurrent ``/hotfix`` slash commands over HTTP (not a test).

Compares the hotfix SlackAdapter (real bolt parsing + signature checks + grammar + an in-memory sink) with a
bare slack-bolt AsyncApp that only acks, both served by aiohttp on 127.0.0.1:0 against the same local fake
``auth.test``, measured in the same run, rounds interleaved. Prints p50/p99 for each and the p50 ratio
(target: p99 well inside Slack's 3 s, p50 ratio at most 1.5) and writes bench/results/slack_ack.json.

    .venv/bin/python -m bench.slack_ack [--requests 100] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from bot.services.commands import Command, FileHotfix, Reply

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"


class InstantSink:
    async def handle(self, command: Command) -> Reply:
        title = command.description[:40] if isinstance(command, FileHotfix) else type(command).__name__
        return Reply(text=f"Filed HF-1 (repo shop): {title}", private=False, hotfix_id=1)


async def fake_web_api() -> tuple[web.AppRunner, str]:
    async def api(request: web.Request) -> web.Response:
        if request.match_info["method"] == "auth.test":
            return web.json_response({"ok": True, "team_id": "T1", "user_id": "U0BOT", "bot_id": "B0BOT"})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    return await serve(app)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def bare_bolt(api_url: str) -> tuple[web.AppRunner, str]:
    bolt = AsyncApp(name="bare", signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api_url))

    @bolt.command("/hotfix")
    async def only_ack(ack: AsyncAck) -> None:
        await ack("ok")

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post(EVENTS_PATH, handle)
    return await serve(app)


def signed(text: str, n: int) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "C0OPS",
            "user_id": f"U{n:04d}",
            "command": "/hotfix",
            "text": text,
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": f"{n}.1.x",
        }
    )
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
    return body.encode(), headers


async def burst(session: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    async def one(n: int) -> float:
        body, headers = signed(f'p1 checkout "cart" &amp; token json broken #{n} :fire:', n)
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one(n) for n in range(count))))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(requests: int, rounds: int) -> dict[str, Any]:
    api_runner, api_url = await fake_web_api()
    adapter = SlackAdapter(
        bot_token=TOKEN,
        sink=InstantSink(),
        signing_secret=SECRET,
        http_port=0,
        http_host="127.0.0.1",
        api_base_url=api_url + "/api/",
    )
    await adapter.start()
    bare_runner, bare_url = await bare_bolt(api_url + "/api/")
    urls = {"hotfix": f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}", "bare": bare_url + EVENTS_PATH}
    samples: dict[str, list[float]] = {"hotfix": [], "bare": []}
    round_ratios: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for url in urls.values():  # warm-up: auth.test, imports, connection pools
            await burst(session, url, 10)
        for number in range(rounds):
            order = list(urls.items()) if number % 2 == 0 else list(urls.items())[::-1]
            this_round = {name: await burst(session, url, requests) for name, url in order}
            for name, values in this_round.items():
                samples[name].extend(values)
            round_ratios.append(statistics.median(this_round["hotfix"]) / statistics.median(this_round["bare"]))
    await adapter.stop()
    await bare_runner.cleanup()
    await api_runner.cleanup()
    result: dict[str, Any] = {"requests_per_round": requests, "rounds": rounds}
    for name, values in samples.items():
        result[name] = {
            "p50_ms": round(statistics.median(values) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2),
        }
    result["p50_ratio"] = round(result["hotfix"]["p50_ms"] / result["bare"]["p50_ms"], 3)
    result["p99_ratio"] = round(result["hotfix"]["p99_ms"] / result["bare"]["p99_ms"], 3)
    result["p50_ratio_median_of_rounds"] = round(statistics.median(round_ratios), 3)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.requests, args.rounds))
    print(json.dumps(outcome, indent=2))
    out = Path(__file__).parent / "results" / "slack_ack.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
