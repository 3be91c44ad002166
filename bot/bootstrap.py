"""The composition root: the only core module that imports adapters/ and storage/.

``build_core`` wires the bus, the run manager and the card publisher from ports (tests hand it fakes);
``build_app`` adds the real database, git, verification, agents and chat adapters from settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.config import Settings
from bot.domain.config import BotConfig
from bot.domain.values import AgentKind
from bot.ports import AgentRunner, Clock, Scheduler, Verifier, Workspace
from bot.services.bus import MessageBus
from bot.services.deps import Deps
from bot.services.filelane import FileLaneWriter
from bot.services.handlers import COMMAND_HANDLERS
from bot.services.publisher import CardPublisher
from bot.services.router import NotifierRouter
from bot.services.runs import RunManager
from bot.services.timers import TimerService

__all__ = ["App", "Core", "build_app", "build_core", "console_done"]

log = logging.getLogger(__name__)
FILE_LANE_SECONDS = 60


class Adapter(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(kw_only=True)
class Core:
    bus: MessageBus
    runs: RunManager
    publisher: CardPublisher
    router: NotifierRouter
    timers: TimerService

    async def start(self) -> None:
        self.bus.start()
        self.timers.rearm()
        await self.publisher.reconcile()
        await self.runs.recover()

    async def stop(self) -> None:
        await self.runs.shutdown()
        await asyncio.wait_for(self.bus.drain(), timeout=10)
        await self.bus.stop()
        self.publisher.close()


def build_core(*, config: BotConfig, uow: Any, clock: Clock, workspace: Workspace, verifier: Verifier,
               runners: Mapping[AgentKind, AgentRunner], scheduler: Scheduler,
               missing: Mapping[AgentKind, str] | None = None, router: NotifierRouter | None = None) -> Core:
    router = router or NotifierRouter()
    deps = Deps(config=config, uow=uow, clock=clock, notifier=router, workspace=workspace, verifier=verifier,
                runners=runners, missing_runner_reasons=missing or {})
    bus = MessageBus(deps, COMMAND_HANDLERS)
    runs = RunManager(bus)
    publisher = CardPublisher(bus, router)
    bus.subscribe(publisher)
    timers = TimerService(bus, scheduler)
    FileLaneWriter(bus)
    return Core(bus=bus, runs=runs, publisher=publisher, router=router, timers=timers)


@dataclass(kw_only=True)
class App:
    core: Core
    adapters: list[Adapter] = field(default_factory=list)
    engine: Any = None
    lock: Any = None
    worktrees: str | None = None

    async def start(self) -> None:
        if self.lock is not None:
            self.lock.acquire()
        if self.worktrees is not None:
            from adapters.agents.reaper import reap_agents_under

            reap_agents_under(self.worktrees)
        await self.core.start()
        for adapter in self.adapters:
            await adapter.start()

    async def stop(self) -> None:
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.warning("an adapter did not stop cleanly", exc_info=True)
        await self.core.stop()
        if self.engine is not None:
            self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def agent_runners(settings: Settings) -> tuple[dict[AgentKind, AgentRunner], dict[AgentKind, str]]:
    runners: dict[AgentKind, AgentRunner] = {}
    missing: dict[AgentKind, str] = {}
    try:
        from adapters.agents.claude import ClaudeCodeRunner

        runners[AgentKind.CLAUDE] = ClaudeCodeRunner(cli_path=settings.claude_cli_path)
    except ImportError as e:
        missing[AgentKind.CLAUDE] = f"the Claude Code adapter is unavailable ({e.name} is not installed)"
    try:
        from adapters.agents.codex import CodexRunner

        runners[AgentKind.CODEX] = CodexRunner(cli_path=settings.codex_cli_path)
    except ImportError as e:
        missing[AgentKind.CODEX] = f"the Codex adapter is unavailable ({e.name} is not installed)"
    return runners, missing


def unit_of_work_factory(settings: Settings) -> tuple[Any, Any]:
    from storage.engine import make_engine, migrate
    from storage.uow import SqlUnitOfWorkFactory

    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine, SqlUnitOfWorkFactory(engine)


def build_app(settings: Settings, config: BotConfig, *, console: bool = False,
              runners: Mapping[AgentKind, AgentRunner] | None = None, write: Any = None,
              console_actor: str = "console:operator") -> App:
    from adapters.clock import SystemClock
    from adapters.git import GitWorkspace
    from adapters.scheduler import TIMER, ApschedulerScheduler
    from adapters.verification import SubprocessVerifier
    from bot.services.commands import ScanFileLane

    engine, uow = unit_of_work_factory(settings)
    real_runners, missing = agent_runners(settings) if runners is None else (dict(runners), {})
    scheduler = ApschedulerScheduler()
    core = build_core(config=config, uow=uow, clock=SystemClock(), workspace=GitWorkspace(),
                      verifier=SubprocessVerifier(), runners=real_runners, missing=missing, scheduler=scheduler)
    scheduler.bind(core.bus)
    scheduler.every(seconds=FILE_LANE_SECONDS, key="file-lane", command=ScanFileLane(actor="bot", conversation=TIMER))
    from adapters.instance import InstanceLock

    app = App(core=core, engine=engine, adapters=[scheduler], lock=InstanceLock(settings.state_dir),
              worktrees=str(settings.state_dir / "worktrees"))
    _chat_adapters(app, settings)
    if console or not settings.has_chat_tokens:
        from adapters.console.app import ConsoleAdapter

        adapter = ConsoleAdapter(sink=core.bus, write=write, actor=console_actor)
        core.router.register("console", adapter.notifier)
        app.adapters.append(_ConsoleLifecycle(adapter))
    return app


def _chat_adapters(app: App, settings: Settings) -> None:
    bus, router = app.core.bus, app.core.router
    if settings.telegram_bot_token is not None:
        from adapters.telegram.app import TelegramAdapter

        secret = settings.telegram_webhook_secret
        telegram = TelegramAdapter(
            token=settings.telegram_bot_token.get_secret_value(), sink=bus, base_url=settings.telegram_api_base_url,
            webhook_url=settings.telegram_webhook_url, webhook_secret=secret.get_secret_value() if secret else None,
            webhook_port=settings.telegram_webhook_port or 8443, webhook_listen="0.0.0.0")
        router.register("telegram", telegram.notifier)
        app.adapters.append(telegram)
    if settings.slack_bot_token is not None:
        from adapters.slack.app import SlackAdapter

        app_token, signing = settings.slack_app_token, settings.slack_signing_secret
        slack = SlackAdapter(
            bot_token=settings.slack_bot_token.get_secret_value(), sink=bus,
            app_token=app_token.get_secret_value() if app_token else None,
            signing_secret=signing.get_secret_value() if signing else None, http_port=settings.slack_http_port,
            api_base_url=settings.slack_api_base_url)
        router.register("slack", slack.notifier)
        app.adapters.append(slack)


class _ConsoleLifecycle:
    """The console runs its read loop as a task; leaving it (EOF or /quit) asks the app to stop."""

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter
        self.task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()

    async def start(self) -> None:
        async def loop() -> None:
            try:
                await self.adapter.run()
            finally:
                self.done.set()

        self.task = asyncio.get_running_loop().create_task(loop(), name="console")

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


def console_done(app: App) -> asyncio.Event | None:
    for adapter in app.adapters:
        if isinstance(adapter, _ConsoleLifecycle):
            return adapter.done
    return None
