"""``ClaudeCodeRunner``: one turn of the real Claude Code, through claude-agent-sdk, with live approvals.

Every tool call the CLI wants to make and does not allow by itself (read-only commands, reads inside the
worktree) reaches ``can_use_tool``; it becomes a ``ToolRequest`` and waits on ``sink.request_permission``
for as long as a person takes. Stop while waiting is a deny with interrupt; Stop while running (the caller
cancels ``run``) is ``interrupt()``, then disconnect, then a fast kill of the CLI's whole process tree.

Settings: ``setting_sources=[]`` and ``strict_mcp_config``. The worktree is the repository under repair, so
its ``.claude/settings*.json`` (hooks, allow rules, permission mode) and ``.mcp.json`` must not be able to run
code or approve tools around the bot's policy; the operator's user settings are left out too, so the bot's
policy is the only thing that allows a tool the CLI would ask about. The agent's environment (API keys,
``ANTHROPIC_BASE_URL``, ``HOME``) passes through untouched, with the constructor's ``env`` laid over it.
``AskUserQuestion`` is disallowed (never offered to the model): nobody can answer it inside a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import claude_agent_sdk
from claude_agent_sdk import (
    CanUseTool,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
)

from adapters.agents.claude.errors import describe_error, describe_result, idle_error
from adapters.agents.claude.mapping import tool_request
from adapters.agents.claude.stream import ClaudeProtocolError, ClaudeStream, TurnResult
from adapters.agents.claude.transport import END_OF_STREAM, ObservedCLITransport, StreamFailure
from bot.domain.agent import AgentOutcome, AgentRunSpec, Permission, PermissionBehavior
from bot.ports import AgentEventSink

__all__ = ["DISALLOWED_TOOLS", "ClaudeCodeRunner", "agent_options", "bundled_cli_path"]

logger = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024 * 1024  # a whole file read or a long command output arrives as one line
NOT_FOUND = "Claude Code CLI not found: set CLAUDE_CLI_PATH"
_INTERRUPT_WAIT = 1.0  # s for the CLI to acknowledge an interrupt
_EXIT_WAIT = 1.0  # s for the CLI to exit on stdin EOF after a stop
_GRACEFUL_EXIT_WAIT = 3.0  # s after a finished turn (it flushes its session file)
_KEEPALIVE_TYPES = frozenset({"keep_alive"})
# Tools the agent is never offered. AskUserQuestion waits for a person to pick an answer inside the run; the bot
# has no way to collect one there (people answer through approvals).
DISALLOWED_TOOLS = ("AskUserQuestion",)

Inbox = asyncio.Queue[dict[str, Any] | StreamFailure]


def bundled_cli_path() -> str | None:
    """The ``claude`` executable shipped inside the claude-agent-sdk wheel, if present."""
    path = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


class ClaudeCodeRunner:
    """``AgentRunner`` for Claude Code. ``cli_path`` None: the CLI bundled with the SDK, else ``claude`` on
    PATH. ``env`` is laid over the inherited environment of the agent process."""

    def __init__(
        self, *, cli_path: str | None = None, env: Mapping[str, str] | None = None, model: str | None = None
    ) -> None:
        self._cli_path = cli_path
        self._env = dict(env or {})
        self._model = model

    def _resolve_cli(self) -> str | None:
        if self._cli_path is None:
            return bundled_cli_path() or shutil.which("claude", path=self._search_path())
        if os.path.isfile(self._cli_path) and os.access(self._cli_path, os.X_OK):
            return self._cli_path
        return shutil.which(self._cli_path, path=self._search_path())

    def _search_path(self) -> str | None:
        return self._env.get("PATH", os.environ.get("PATH"))

    async def run(self, spec: AgentRunSpec, sink: AgentEventSink) -> AgentOutcome:
        cli_path = self._resolve_cli()
        if cli_path is None:
            return AgentOutcome(ok=False, kind="failed", error=NOT_FOUND, session_id=spec.session_id)
        if not os.path.isdir(spec.worktree):
            return AgentOutcome(ok=False, kind="failed", error="the worktree does not exist",
                                session_id=spec.session_id)
        turn = _ClaudeTurn(spec, sink, cli_path=cli_path, env=self._env, model=self._model)
        return await turn.run()


def agent_options(
    spec: AgentRunSpec, *, cli_path: str, env: dict[str, str], model: str | None,
    can_use_tool: CanUseTool, stderr: Callable[[str], None],
) -> ClaudeAgentOptions:
    """The SDK options of one run (see the module docstring for the settings)."""
    return ClaudeAgentOptions(
        cwd=spec.worktree,
        cli_path=cli_path,
        permission_mode="default",
        can_use_tool=can_use_tool,
        disallowed_tools=list(DISALLOWED_TOOLS),
        system_prompt={"type": "preset", "preset": "claude_code", "append": spec.instructions},
        setting_sources=[],
        strict_mcp_config=True,
        resume=spec.session_id,
        model=model,
        env=env,
        max_buffer_size=MAX_LINE_BYTES,
        stderr=stderr,
    )


class _ClaudeTurn:
    """One ``run`` call: the SDK client, the observed stream, the permission bridge and the watchdog."""

    def __init__(
        self, spec: AgentRunSpec, sink: AgentEventSink, *, cli_path: str, env: dict[str, str],
        model: str | None,
    ) -> None:
        self._spec = spec
        self._sink = sink
        self._inbox: Inbox = asyncio.Queue()
        self._stream = ClaudeStream(session_id=spec.session_id)
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._loop = asyncio.get_running_loop()
        self._last_output = self._loop.time()
        self._waiting_on_person = 0
        self._stopped_by_person = False
        self._bridge_error: str | None = None
        options = agent_options(
            spec, cli_path=cli_path, env=env, model=model, can_use_tool=self._can_use_tool,
            stderr=self._stderr_tail.append,
        )
        self._transport = ObservedCLITransport(
            replace(options, permission_prompt_tool_name="stdio"), on_message=self._observe
        )
        self._client = ClaudeSDKClient(options, transport=self._transport)

    async def run(self) -> AgentOutcome:
        drain: asyncio.Task[None] | None = None
        try:
            await self._client.connect()
            drain = asyncio.create_task(self._drain_sdk_messages())
            await self._client.query(self._spec.prompt)
            self._last_output = self._loop.time()  # startup is not idleness
            outcome = await self._converse()
        except asyncio.CancelledError:
            await _shielded(self._shut_down(interrupt=True, drain=drain, exit_wait=_EXIT_WAIT))
            raise
        except claude_agent_sdk.ClaudeSDKError as error:
            code = self._transport.exit_code
            outcome = self._failed(
                f"Claude Code exited with code {code}" if code else describe_error(error)
            )
        except BaseException:
            await _shielded(self._shut_down(interrupt=True, drain=drain, exit_wait=_EXIT_WAIT))
            raise
        exit_wait = _GRACEFUL_EXIT_WAIT if outcome.kind == "completed" else _EXIT_WAIT
        await _shielded(self._shut_down(interrupt=outcome.kind == "failed", drain=drain, exit_wait=exit_wait))
        return outcome

    async def _converse(self) -> AgentOutcome:
        """Map the stream into events until the turn's result, a failure, or the idle watchdog."""
        while True:
            message = await self._next_message()
            if message is None:
                return self._failed(idle_error(self._spec.idle_timeout))
            if isinstance(message, StreamFailure):
                return self._failed(describe_error(message.cause))
            if message is END_OF_STREAM:
                return self._failed("Claude Code exited before finishing the turn")
            try:
                events = self._stream.feed(message)
            except ClaudeProtocolError as error:
                return self._failed(f"protocol error from Claude Code: {error}")
            for event in events:
                await self._sink.on_event(event)
            if self._stream.result is not None:
                return self._outcome(self._stream.result)

    async def _next_message(self) -> dict[str, Any] | StreamFailure | None:
        """The next raw message, or None once the agent was silent for ``idle_timeout`` while not
        waiting on a person (time spent waiting on a person never counts)."""
        idle = self._spec.idle_timeout.total_seconds()
        while True:
            if self._waiting_on_person:
                wait = idle
            else:
                wait = self._last_output + idle - self._loop.time()
                if wait <= 0:
                    return None
            try:
                async with asyncio.timeout(wait):
                    return await self._inbox.get()
            except TimeoutError:
                continue

    def _observe(self, message: dict[str, Any] | StreamFailure) -> None:
        """Called by the transport's reader for every raw message (synchronously, in order)."""
        if not _is_keepalive(message):
            self._last_output = self._loop.time()
        self._inbox.put_nowait(message)

    async def _drain_sdk_messages(self) -> None:
        """Keep the SDK's own (typed) message buffer flowing; the runner reads the observed copy."""
        while True:
            try:
                async for _message in self._client.receive_messages():
                    pass
                return
            except claude_agent_sdk.ClaudeSDKError as error:
                if type(error).__name__ != "MessageParseError":
                    return  # the observed stream reports the failure itself
            except Exception:
                return

    async def _can_use_tool(
        self, tool_name: str, tool_input: dict[str, Any], context: ToolPermissionContext
    ) -> PermissionResultAllow | PermissionResultDeny:
        request = tool_request(tool_name, tool_input, cwd=self._spec.worktree)
        self._waiting_on_person += 1
        try:
            permission = await self._sink.request_permission(request)
        except Exception:
            logger.exception("asking for permission failed")
            self._bridge_error = "could not ask for approval"
            return PermissionResultDeny(message="The approval request failed; stop here.", interrupt=True)
        finally:
            self._waiting_on_person -= 1
            self._last_output = self._loop.time()
        return self._answer(permission)

    def _answer(self, permission: Permission) -> PermissionResultAllow | PermissionResultDeny:
        if permission.behavior is PermissionBehavior.ALLOW:
            return PermissionResultAllow()
        if permission.behavior is PermissionBehavior.DENY:
            return PermissionResultDeny(message=permission.message or "A reviewer denied this action.")
        self._stopped_by_person = True
        return PermissionResultDeny(
            message=permission.message or "A reviewer pressed Stop. Stop what you are doing.", interrupt=True
        )

    def _outcome(self, result: TurnResult) -> AgentOutcome:
        common: dict[str, Any] = {"session_id": result.session_id, "cost_usd": result.cost_usd}
        if self._bridge_error is not None:
            return AgentOutcome(ok=False, kind="failed", error=self._bridge_error, **common)
        if self._stopped_by_person:
            return AgentOutcome(ok=False, kind="interrupted", interrupted=True, error="stopped by a person",
                                final_text=result.text if not result.is_error else "", **common)
        if result.is_error:
            return AgentOutcome(ok=False, kind="failed", error=describe_result(result), **common)
        return AgentOutcome(ok=True, kind="completed", final_text=result.text, **common)

    def _failed(self, error: str) -> AgentOutcome:
        return AgentOutcome(ok=False, kind="failed", error=error, session_id=self._stream.session_id)

    async def _interrupt(self) -> bool:
        """Ask the CLI to stop the current turn; False when it did not answer in time."""
        if not self._transport.is_ready():
            return False
        try:
            async with asyncio.timeout(_INTERRUPT_WAIT):
                await self._client.interrupt()
        except Exception:
            return False
        return True

    async def _shut_down(
        self, *, interrupt: bool, drain: asyncio.Task[None] | None, exit_wait: float
    ) -> None:
        """Interrupt (if asked), disconnect (the CLI gets ``exit_wait`` s to exit by itself), and make sure
        the CLI's whole process tree is gone. After a Stop: under 5 s at worst, usually under a second."""
        tree = self._transport.tree
        if tree is not None:
            tree.remember()
        answering = not interrupt or await self._interrupt()
        if tree is not None:
            tree.remember()
        disconnect = asyncio.create_task(self._client.disconnect())
        if answering:  # a CLI that ignored the interrupt gets no more time
            await asyncio.wait({disconnect}, timeout=exit_wait)
        if tree is not None:
            await tree.terminate(term_wait=1.0, kill_wait=1.0)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await disconnect
        if drain is not None:
            drain.cancel()
            with contextlib.suppress(BaseException):
                await drain
        if self._stderr_tail:
            logger.debug("claude stderr tail: %s", list(self._stderr_tail))


def _is_keepalive(message: dict[str, Any] | StreamFailure) -> bool:
    """Heartbeats say the CLI is alive, not that the agent is doing anything: they don't reset idleness."""
    if isinstance(message, StreamFailure):
        return False
    kind = message.get("type")
    return kind in _KEEPALIVE_TYPES or (kind == "tool_progress" and message.get("heartbeat") is True)


async def _shielded(cleanup: Any) -> None:
    """Run ``cleanup`` to the end even if the caller is cancelled again meanwhile."""
    task = asyncio.ensure_future(cleanup)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise

