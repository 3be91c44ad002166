"""A CommandSink that records commands and answers with scripted Replies (the core stands in for nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.services.commands import Command, Reply

Script = Callable[[Command], Awaitable[Reply]]


async def _default(command: Command) -> Reply:
    return Reply(text=f"got {type(command).__name__}")


class FakeCommandSink:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.script: Script = _default
        self._changed = asyncio.Condition()

    def answer(self, reply: Reply) -> None:
        """Answer every command with ``reply``."""

        async def fixed(command: Command) -> Reply:
            return reply

        self.script = fixed

    async def handle(self, command: Command) -> Reply:
        self.commands.append(command)
        async with self._changed:
            self._changed.notify_all()
        return await self.script(command)

    async def wait_for_commands(self, count: int, *, timeout: float = 30.0) -> list[Command]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.commands) >= count), timeout)
        return self.commands
