"""FakeCommandSink: records the commands an adapter hands to the core and answers with scripted Replies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.services.commands import Command, FileHotfix, Reply

Script = Callable[[Command], Reply]


def default_reply(command: Command) -> Reply:
    if isinstance(command, FileHotfix):
        return Reply(text=f"Filed HF-7 (repo shop): {command.description}", private=False, hotfix_id=7)
    return Reply(text=f"Done: {type(command).__name__}", hotfix_id=7)


class FakeCommandSink:
    def __init__(self, script: Script = default_reply) -> None:
        self.commands: list[Command] = []
        self.script = script
        self.gate: asyncio.Event | None = None  # set: handle() waits for it before answering
        self.held: Callable[[Command], bool] = lambda command: True  # which commands wait for the gate
        self.received = asyncio.Event()

    async def handle(self, command: Command) -> Reply:
        self.commands.append(command)
        self.received.set()
        if self.gate is not None and self.held(command):
            await self.gate.wait()
        return self.script(command)

    async def wait_for(self, count: int, *, timeout: float = 10.0) -> None:
        async def enough() -> None:
            while len(self.commands) < count:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(enough(), timeout)
