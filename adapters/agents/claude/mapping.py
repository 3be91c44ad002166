"""Claude Code tool calls -> agent-neutral ``ToolRequest`` values.

``Bash`` is a command; ``Edit``/``Write``/``MultiEdit``/``NotebookEdit`` write files; ``Read``/``Grep``/``Glob``/
``LS`` read them; every other tool (web fetch, MCP tools, sub-agents…) is ``other``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping

from adapters.agents.symlink import command_symlink_escapes
from bot.domain.tool import ToolKind, ToolRequest

__all__ = ["tool_command", "tool_kind", "tool_paths", "tool_request", "tool_subject"]

_COMMAND_TOOLS = frozenset({"Bash"})
_WRITE_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
_READ_TOOLS = frozenset({"Read", "Grep", "Glob", "LS"})
_PATH_KEYS = ("file_path", "notebook_path", "path")


def tool_kind(tool_name: str) -> ToolKind:
    if tool_name in _COMMAND_TOOLS:
        return "command"
    if tool_name in _WRITE_TOOLS:
        return "write"
    if tool_name in _READ_TOOLS:
        return "read"
    return "other"


def tool_paths(tool_name: str, tool_input: Mapping[str, object]) -> tuple[str, ...]:
    """The paths a file tool names, exactly as the agent gave them (empty for commands and other tools)."""
    if tool_kind(tool_name) not in ("write", "read"):
        return ()
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return (value,)
    return ()


def tool_command(tool_name: str, tool_input: Mapping[str, object]) -> str | None:
    if tool_kind(tool_name) != "command":
        return None
    command = tool_input.get("command")
    return command if isinstance(command, str) else ""


def tool_subject(tool_name: str, tool_input: Mapping[str, object]) -> str:
    """What a person reads for this call: the command line, or the tool and its path."""
    command = tool_command(tool_name, tool_input)
    if command is not None:
        return command
    paths = tool_paths(tool_name, tool_input)
    return f"{tool_name} {', '.join(paths)}" if paths else tool_name


def _with_real_paths(
    paths: tuple[str, ...], cwd: str, resolve: Callable[[str], str]
) -> tuple[str, ...]:
    """``paths`` plus, for each one that resolves through a symlink to somewhere else, its real path."""
    result = list(paths)
    for path in paths:
        absolute = os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))
        real = resolve(absolute)
        if real != absolute and real not in result:
            result.append(real)
    return tuple(result)


def _json_copy(tool_input: Mapping[str, object]) -> dict[str, object]:
    copied = json.loads(json.dumps(dict(tool_input), default=str))
    return copied if isinstance(copied, dict) else {}


def tool_request(
    tool_name: str,
    tool_input: Mapping[str, object],
    *,
    cwd: str,
    resolve: Callable[[str], str] = os.path.realpath,
) -> ToolRequest:
    """Build the request the core's policy judges. ``resolve`` follows symlinks (``os.path.realpath``)."""
    paths = _with_real_paths(tool_paths(tool_name, tool_input), cwd, resolve)
    command = tool_command(tool_name, tool_input)
    if command:
        paths = command_symlink_escapes(command, cwd, resolve)
    return ToolRequest(
        kind=tool_kind(tool_name),
        tool=tool_name,
        command=tool_command(tool_name, tool_input),
        paths=paths,
        cwd=cwd,
        raw=_json_copy(tool_input),
    )
