"""The console chat loop: read a line, turn it into a command, hand it to the bus, draw the reply."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable

from adapters.console.notifier import ConsoleNotifier
from bot.domain.values import ConversationRef
from bot.ports import CommandSink
from bot.services.commands import ButtonAction, Command, PressButton, Reply, ReviseHotfix
from bot.services.grammar import parse

__all__ = ["CONSOLE_CONVERSATION", "ConsoleAdapter"]

CONSOLE_CONVERSATION = ConversationRef(platform="console", key="local")
INTRO = ("hotfix-bot console — type `/hotfix <what is broken>`, `/hotfix help`, a button number or label "
         "(e.g. `approve`), `/as <name>` to switch person, `/quit` to leave.")


class ConsoleAdapter:
    def __init__(self, *, sink: CommandSink, write: Callable[[str], None] | None = None,
                 actor: str = "console:operator") -> None:
        self.sink = sink
        self.write = write or _print
        self.actor = actor
        self.notifier = ConsoleNotifier(self.write)
        self._pending_prompt: int | None = None  # hotfix waiting for revise feedback from this person

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; False when the person wants to leave."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit", "quit", "exit"):
            return False
        if text.startswith("/as "):
            self.actor = _as_actor(text[4:].strip())
            self.write(f"» you are now {self.actor}")
            return True
        command = self._command(text)
        if command is None:
            self.write("» Not understood. " + INTRO)
            return True
        self._deliver(await self.sink.handle(command))
        return True

    def _command(self, text: str) -> Command | None:
        conv = CONSOLE_CONVERSATION
        if self._pending_prompt is not None and not text.startswith("/"):
            number, self._pending_prompt = self._pending_prompt, None
            return ReviseHotfix(actor=self.actor, conversation=conv, hotfix_id=number, feedback=text)
        if text.startswith("/hotfix") or text.startswith("/"):
            return parse(text, actor=self.actor, conversation=conv)
        button = self.notifier.find_button(text)
        if button is None:
            return None
        action, _, token = button.payload.partition(":")
        return PressButton(actor=self.actor, conversation=conv, action=ButtonAction(action), token=token)

    def _deliver(self, reply: Reply) -> None:
        mark = "" if reply.ok else "✗ "
        self.write(f"» {mark}{reply.text}")
        if reply.prompt and reply.hotfix_id is not None:
            self._pending_prompt = reply.hotfix_id
            self.write(f"» {reply.prompt} (type your feedback)")
        if reply.attachment is not None:
            self.write(f"» {reply.attachment.filename}:\n{reply.attachment.content.decode(errors='replace')}")

    async def run(self) -> None:
        """Read stdin until EOF or /quit. A daemon thread reads, so the bot keeps working meanwhile and a
        shutdown never waits for a line that will not come."""
        self.write(INTRO)
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        def read() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        while True:
            line = await lines.get()
            if line is None or not await self.handle_line(line):
                return


def _as_actor(name: str) -> str:
    name = name.strip()
    return name if ":" in name else f"console:{name}"


def _print(text: str) -> None:
    print(text, flush=True)
