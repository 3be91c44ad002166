"""The SDK's subprocess transport, observed: every raw stdout message is also handed to the runner.

``ClaudeSDKClient`` keeps the control protocol (initialize, ``can_use_tool``, interrupt); the runner reads
the same raw dicts through ``on_message`` and maps them with the pure ``stream`` module, so the mapping never
depends on the SDK's typed messages. ``tree`` is the CLI's process tree from the moment it is spawned; a
``close`` while the task is being cancelled (e.g. Stop during startup, where the SDK closes by itself) kills
that tree first instead of waiting the SDK's 5 s + 5 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from claude_agent_sdk import ClaudeAgentOptions
from claude_agent_sdk._internal.transport.subprocess_cli import SubprocessCLITransport

from adapters.agents.process import ProcessTree

__all__ = ["END_OF_STREAM", "ObservedCLITransport", "StreamFailure"]

END_OF_STREAM: dict[str, Any] = {"type": "__end_of_stream__"}


class StreamFailure(Exception):
    """The CLI's stdout ended with an error (non-zero exit, a line that is not JSON, an oversized line)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


async def _no_prompt() -> AsyncIterator[dict[str, Any]]:
    return
    yield {}  # pragma: no cover - makes this an async generator


class ObservedCLITransport(SubprocessCLITransport):
    """``SubprocessCLITransport`` that also calls ``on_message`` for each message, then ``END_OF_STREAM``
    (or a ``StreamFailure``) when stdout ends."""

    def __init__(
        self, options: ClaudeAgentOptions, *, on_message: Callable[[dict[str, Any] | StreamFailure], None]
    ) -> None:
        super().__init__(prompt=_no_prompt(), options=options)
        self._on_message = on_message
        self._started: Any = None
        self.tree: ProcessTree | None = None

    async def connect(self) -> None:
        try:
            await super().connect()
        finally:
            self._started = self._process
            if self.pid is not None:
                self.tree = ProcessTree(self.pid)

    async def close(self) -> None:
        task = asyncio.current_task()
        if self.tree is not None and task is not None and task.cancelling():
            await asyncio.shield(self.tree.terminate(term_wait=1.0, kill_wait=1.0))
        await super().close()

    @property
    def exit_code(self) -> int | None:
        """The CLI's exit status once it has exited (kept after ``close``), else None."""
        code = getattr(self._started, "returncode", None)
        return code if isinstance(code, int) else None

    @property
    def pid(self) -> int | None:
        """The CLI's pid once started (kept after ``close``, for the process-tree cleanup)."""
        pid = getattr(self._started, "pid", None)
        return pid if isinstance(pid, int) else None

    def read_messages(self) -> AsyncIterator[dict[str, Any]]:
        return self._observed(super().read_messages())

    async def _observed(self, messages: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        try:
            async for message in messages:
                self._on_message(message)
                yield message
        except Exception as error:
            self._on_message(StreamFailure(error))
            raise
        self._on_message(END_OF_STREAM)
