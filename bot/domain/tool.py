"""What an agent asks to do, in agent-neutral terms, and the policy's answer."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Decision", "ToolRequest", "Verdict"]

ToolKind = Literal["command", "write", "read", "other"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolRequest:
    """One tool call an agent wants to make.

    ``kind`` is ``command`` (a shell command line in ``command``), ``write`` (file edits: ``paths``),
    ``read`` (file reads/searches: ``paths``, may be empty) or ``other`` (anything else, e.g. web fetch, MCP).
    ``tool`` is the agent's own tool name (``Bash``, ``Edit``, ``commandExecution``, ``fileChange``…).
    ``paths`` are as the agent gave them (absolute or relative to the worktree); the policy resolves them.
    ``raw`` is a JSON-able copy of the agent's input, used only for hashing and display.
    """

    kind: ToolKind
    tool: str
    command: str | None = None
    paths: tuple[str, ...] = ()
    cwd: str | None = None
    raw: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def subject(self) -> str:
        """What a person sees as the thing to approve: the command line, or tool + paths."""
        if self.kind == "command" and self.command is not None:
            return self.command
        if self.paths:
            return f"{self.tool} {', '.join(self.paths)}"
        return self.tool

    def digest(self) -> str:
        """sha256 over the request, binding an approval to exactly this request."""
        body = json.dumps(
            {"kind": self.kind, "tool": self.tool, "command": self.command, "paths": list(self.paths),
             "raw": self.raw},
            sort_keys=True, default=str, separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


class Verdict(enum.IntEnum):
    """Ordered by severity: deny beats escalate beats ask beats allow."""

    ALLOW = 0
    ASK = 1
    ESCALATE = 2
    DENY = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    verdict: Verdict
    rule: str  # the rule that matched, for people: e.g. "deny_commands: rm -rf *" or "built-in: git push"
    reasons: tuple[str, ...] = ()
