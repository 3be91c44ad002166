"""One-line reasons for people when a Claude Code turn fails. Never a stack trace, a secret or a long path."""

from __future__ import annotations

from datetime import timedelta

import claude_agent_sdk

from adapters.agents.claude.stream import ClaudeProtocolError, TurnResult

__all__ = ["describe_error", "describe_result", "idle_error", "one_line"]

MAX_REASON_CHARS = 200


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def idle_error(idle_timeout: timedelta) -> str:
    seconds = idle_timeout.total_seconds()
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"no output for {minutes} minute{'s' if minutes != 1 else ''}"
    return f"no output for {seconds:g} second{'s' if seconds != 1 else ''}"


def describe_error(error: BaseException) -> str:
    """What went wrong with the agent process, in one line."""
    if isinstance(error, claude_agent_sdk.CLINotFoundError):
        return "Claude Code CLI not found: set CLAUDE_CLI_PATH"
    if isinstance(error, claude_agent_sdk.ProcessError) and error.exit_code is not None:
        return f"Claude Code exited with code {error.exit_code}"
    if isinstance(error, claude_agent_sdk.CLIJSONDecodeError | ClaudeProtocolError):
        return "protocol error from Claude Code: unreadable output"
    if isinstance(error, claude_agent_sdk.CLIConnectionError):
        return "could not talk to Claude Code (it did not start or stopped answering)"
    return f"Claude Code failed ({type(error).__name__})"


def describe_result(result: TurnResult) -> str:
    """Why a turn that ended with an error ``result`` failed, e.g. an auth failure or the turn limit."""
    if result.subtype == "error_max_turns":
        return "Claude Code reached its turn limit"
    if result.text:
        return one_line("Claude Code: " + result.text)
    return f"Claude Code ended with an error ({result.subtype})"
