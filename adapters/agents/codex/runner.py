"""``CodexRunner``: one turn of Codex in a worktree, every approval asked through the core's sink.

Wire: ``codex app-server --listen stdio://`` (see ``client.py``). Per run: ``initialize`` + ``initialized``;
``thread/start`` (or ``thread/resume`` when the spec carries a session id) with ``cwd`` = worktree,
``sandbox: "workspace-write"``, ``approvalPolicy: "untrusted"`` and the hotfix instructions as
``developerInstructions``; then ``turn/start``.

Approval policy, as observed on codex 0.163 (tests in tests/contract/agents/codex): ``"untrusted"`` asks for
every command (even ``ls`` and ``cat``) and every patch, also inside the workspace, so the core's policy sees
each action. ``"on-request"`` asks only for sandbox escalations, so the bot would never see
in-workspace commands or edits. ``"untrusted"`` is retired in ``config.toml`` but still accepted per thread in
0.163; if a future codex refuses it, the run fails with that reason; it never quietly runs with less asking.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Mapping

from adapters.agents.codex.client import CodexConnectionLost, CodexRpcError
from adapters.agents.codex.process import spawn_app_server
from adapters.agents.codex.session import CodexSession, SessionSettings, one_line
from bot.domain.agent import AgentOutcome, AgentRunSpec
from bot.ports import AgentEventSink

__all__ = ["CodexRunner", "resolve_codex_cli"]

_NOT_FOUND = "codex CLI not found: set CODEX_CLI_PATH"
_STOP_BUDGET_S = 1.0  # graceful turn/interrupt, before the process tree is taken down


def resolve_codex_cli(cli_path: str | None, env: Mapping[str, str]) -> str | None:
    """``cli_path`` if it is an executable file (a bare name is looked up on PATH); with None, ``codex`` on
    PATH, else the one bundled with ``openai-codex-cli-bin``. None when nothing usable exists."""
    if cli_path and os.sep not in cli_path:  # a bare name such as "codex": look it up on PATH
        return shutil.which(cli_path, path=env.get("PATH"))
    if cli_path:
        return cli_path if os.path.isfile(cli_path) and os.access(cli_path, os.X_OK) else None
    found = shutil.which("codex", path=env.get("PATH"))
    if found:
        return found
    try:
        import codex_cli_bin  # optional extra: openai-codex-cli-bin

        return str(codex_cli_bin.bundled_codex_path())
    except Exception:  # the optional package is missing or has no binary for this platform
        return None


class CodexRunner:
    """Runs Codex through its app-server with live per-action approvals (the ``AgentRunner`` port)."""

    def __init__(
        self,
        *,
        cli_path: str | None = None,
        env: Mapping[str, str] | None = None,
        model: str | None = None,
    ) -> None:
        self._cli_path = cli_path
        self._env_overlay = dict(env or {})
        self._model = model

    async def run(self, spec: AgentRunSpec, sink: AgentEventSink) -> AgentOutcome:
        env = {**os.environ, **self._env_overlay}
        cli = resolve_codex_cli(self._cli_path, env)
        if cli is None:
            return AgentOutcome(ok=False, kind="failed", error=_NOT_FOUND, session_id=spec.session_id)
        if not os.path.isdir(spec.worktree):
            return AgentOutcome(ok=False, kind="failed", error="worktree not found", session_id=spec.session_id)
        try:
            server = await spawn_app_server([cli, "app-server", "--listen", "stdio://"], cwd=spec.worktree, env=env)
        except FileNotFoundError:
            return AgentOutcome(ok=False, kind="failed", error=_NOT_FOUND, session_id=spec.session_id)
        except OSError as exc:
            reason = one_line(f"could not start codex: {exc.strerror or exc.__class__.__name__}")
            return AgentOutcome(ok=False, kind="failed", error=reason, session_id=spec.session_id)
        settings = SessionSettings(model=self._model, idle_timeout=spec.idle_timeout)
        session = CodexSession(server, spec, sink, settings)
        try:
            return await session.run()
        except asyncio.CancelledError:
            await _finish_after_cancel(session)
            raise
        except (CodexConnectionLost, CodexRpcError) as exc:
            return await session.failed_outcome(exc)
        finally:
            await _shielded(session.close())


async def _finish_after_cancel(session: CodexSession) -> None:
    """Stop pressed while running: ask codex to interrupt the turn, bounded in time."""
    try:
        await _shielded(asyncio.wait_for(session.interrupt(), timeout=_STOP_BUDGET_S))
    except (TimeoutError, CodexConnectionLost, CodexRpcError):
        pass


async def _shielded(awaitable: Awaitable[object]) -> None:
    """Run cleanup to its end even if the caller is cancelled again meanwhile."""
    task = asyncio.ensure_future(awaitable)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
