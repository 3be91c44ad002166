"""The command line (CONTRACT §3): run, console, doctor, list, show. Config enters here, once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_bot_config
from bot.domain.config import BotConfig
from bot.domain.hotfix import Hotfix
from bot.domain.values import parse_hotfix_id

__all__ = ["main"]

log = logging.getLogger("hotfix")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotfix-bot", description="Chat-ops hotfix bot for Claude Code and Codex.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every configured adapter (the console when no chat token is set)")
    console = sub.add_parser("console", help="the bot with a terminal chat")
    console.add_argument("--as", dest="actor", default="console:operator", help="who you are (default %(default)s)")
    sub.add_parser("doctor", help="check config, tokens, repositories, agents and the database")
    listing = sub.add_parser("list", help="the queue and recent hotfixes")
    listing.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="one hotfix")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # python-telegram-bot: timedelta retry_after, no warning
    serving = args.command in ("run", "console")
    logging.basicConfig(level=logging.INFO if serving else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("alembic", "httpx", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings()
        match args.command:
            case "run":
                return asyncio.run(_serve(settings, console=False, actor="console:operator"))
            case "console":
                return asyncio.run(_serve(settings, console=True, actor=args.actor))
            case "doctor":
                from bot.doctor import doctor

                return doctor(settings, print)
            case "list":
                return _list(settings, as_json=args.json)
            case "show":
                return _show(settings, args.id, as_json=args.json)
    except ConfigError as e:
        print(f"hotfix-bot: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `hotfix-bot list --json | head`
        return 0
    except Exception as e:  # one line, never a stack trace
        print(f"hotfix-bot: {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else 'failed'}",
              file=sys.stderr)
        return 1
    return 2


def bot_config(settings: Settings, *, allow_demo: bool) -> BotConfig:
    path = settings.hotfix_config.expanduser()
    if not path.exists() and allow_demo and path == Path("./hotfix.toml"):
        from adapters.console.demo import demo_config

        log.info("no hotfix.toml: running the demo with a sample repository (copy hotfix.toml.example to configure)")
        return demo_config(settings.state_dir)
    return load_bot_config(path, settings.state_dir)


async def _serve(settings: Settings, *, console: bool, actor: str) -> int:
    from bot.bootstrap import build_app, console_done

    config = bot_config(settings, allow_demo=console or not settings.has_chat_tokens)
    app = build_app(settings, config, console=console, console_actor=actor)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await app.start()
    waits = [asyncio.ensure_future(stop.wait())]
    done = console_done(app)
    if done is not None:
        waits.append(asyncio.ensure_future(done.wait()))
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for w in waits:
        w.cancel()
    await app.stop()
    return 0


def _read(settings: Settings, number: int | None = None) -> list[Hotfix]:
    """Every hotfix, or just ``number`` (an empty list when there is none)."""
    from bot.bootstrap import unit_of_work_factory

    engine, uow = unit_of_work_factory(settings)
    try:
        with uow() as unit:
            if number is None:
                return unit.hotfixes.list()
            found = unit.hotfixes.get(number)
            return [found] if found else []
    finally:
        engine.dispose()


def _list(settings: Settings, *, as_json: bool) -> int:
    from bot.render.export import hotfix_json

    hotfixes = _read(settings)
    if as_json:
        print(json.dumps([hotfix_json(h, events=False) for h in hotfixes], indent=2, ensure_ascii=False))
        return 0
    from bot.render.plain import queue_text

    print(queue_text(hotfixes, {}) if hotfixes else "No hotfixes yet.")
    for h in hotfixes:
        if h.is_terminal:
            print(f"{h.hid} {h.repo} {h.state.value} — {h.title[:60]}")
    return 0


def _show(settings: Settings, ident: str, *, as_json: bool) -> int:
    from bot.render.export import hotfix_json
    from bot.render.plain import log_text

    number = parse_hotfix_id(ident)
    if number is None:
        print(f"hotfix-bot: not a hotfix id: {ident[:40]!r} (use HF-7 or 7)", file=sys.stderr)
        return 2
    matches = _read(settings, number)
    if not matches:
        print(f"hotfix-bot: no hotfix HF-{number}", file=sys.stderr)
        return 1
    found = matches[0]
    if as_json:
        print(json.dumps(hotfix_json(found), indent=2, ensure_ascii=False))
    else:
        data = hotfix_json(found, events=False)
        for key in ("id", "state", "repo", "title", "mode", "agent", "priority", "requester", "branch", "worktree"):
            print(f"{key}: {data[key]}")
        print(log_text(found))
    return 0
