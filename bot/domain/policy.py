"""The repository risk policy: built-in defaults merged with the repository's ``.hotfix.toml``.

``load_policy`` reads the file (a malformed one raises ``PolicyError`` naming the file and the key, so that
repository's hotfixes are held instead of run under guessed defaults). ``classify`` judges one agent tool
request as allow / ask / escalate / deny and names the rule that matched; ``shared_state_findings`` lists the
shared-state paths of a diff; ``budget_breaches`` says which budgets a run has crossed. Standard library only.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, cast

from bot.domain.command_policy import CommandContext, combine, judge_command, test_command_texts
from bot.domain.file_access import OUTSIDE_WORKTREE, judge_other_tool, judge_read, judge_write
from bot.domain.pathmatch import resolve_in_worktree
from bot.domain.shared_state import Finding, find_shared_state
from bot.domain.tool import Decision, ToolRequest, Verdict
from bot.domain.values import Mode

__all__ = [
    "DEFAULT_POLICY",
    "Finding",
    "Policy",
    "PolicyError",
    "budget_breaches",
    "classify",
    "load_policy",
    "shared_state_findings",
]

OnApprove = Literal["commit", "push", "pr", "leave"]
_Fail = Callable[[str], "PolicyError"]
_ON_APPROVE = ("commit", "push", "pr", "leave")


class PolicyError(Exception):
    """A malformed policy file. ``str(e)`` is one line: ``<source>: <key>: <problem>``."""

    def __init__(self, *, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    test_command: str | None = None
    allow_commands: tuple[str, ...] = ()
    deny_commands: tuple[str, ...] = ()
    shared_state_commands: tuple[str, ...] = ()
    shared_state_paths: tuple[str, ...] = ()
    max_files: int = 5
    max_changed_lines: int = 200
    max_minutes: int = 30
    max_cost_usd: float | None = 5.0
    on_approve: OnApprove = "commit"
    remind_after_minutes: int = 10
    escalate_after_minutes: int = 30
    approval_deadline_minutes: int | None = None
    idle_minutes: int = 10
    test_timeout_seconds: int = 600
    shell_test_command: bool = False


DEFAULT_POLICY = Policy()

# key -> kind: "text", "patterns" (command globs), "paths" (path globs), "count" (>= 0), "positive" (>= 1),
# "money" (>= 0; false = no limit), "deadline" (>= 1; false = none), "on_approve", "flag"
_KINDS: dict[str, str] = {
    "test_command": "text", "allow_commands": "patterns", "deny_commands": "patterns",
    "shared_state_commands": "patterns", "shared_state_paths": "paths", "max_files": "count",
    "max_changed_lines": "count", "max_minutes": "count", "max_cost_usd": "money", "on_approve": "on_approve",
    "remind_after_minutes": "positive", "escalate_after_minutes": "positive", "approval_deadline_minutes": "deadline",
    "idle_minutes": "positive", "test_timeout_seconds": "positive", "shell_test_command": "flag",
}
_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)|at line (\d+)|\(at end of document\)")


def load_policy(text: str | None, *, source: str = ".hotfix.toml") -> Policy:
    """The policy in ``text`` (the file's content); None or blank means the built-in defaults."""
    if text is None or not text.strip():
        return DEFAULT_POLICY
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = _LINE_RE.search(message)
        last_line = len(text.rstrip("\n").split("\n"))
        number = (line.group(1) or line.group(2)) if line else None
        key = f"line {number or last_line}"
        problem = _LINE_RE.sub("", message).strip().rstrip(".") or "invalid TOML"
        raise PolicyError(source=source, key=key, problem=f"not valid TOML: {problem}") from None
    values = {key: _checked(source, key, value) for key, value in data.items()}
    return Policy(**values)  # type: ignore[arg-type]


def _checked(source: str, key: str, value: object) -> object:
    kind = _KINDS.get(key)
    if kind is None:
        close = difflib.get_close_matches(key, list(_KINDS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise PolicyError(source=source, key=key, problem=f"unknown key{hint}")

    def fail(problem: str) -> PolicyError:
        return PolicyError(source=source, key=key, problem=problem)

    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise fail("must be a non-empty string")
        return value.strip()
    if kind in {"patterns", "paths"}:
        return _checked_patterns(value, kind, fail)
    if kind == "on_approve":
        if value not in _ON_APPROVE:
            raise fail(f"must be one of {', '.join(_ON_APPROVE)}")
        return value
    if kind == "flag":
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    return _checked_number(value, kind, fail)


def _checked_patterns(value: object, kind: str, fail: _Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise fail("must be a list of non-empty strings")
    items = tuple(cast(str, item).strip() for item in value)
    if kind == "paths" and any(item.startswith("!") for item in items):
        raise fail("negated patterns (!) are not supported")
    return items


def _checked_number(value: object, kind: str, fail: _Fail) -> int | float | None:
    if value is False and kind in {"money", "deadline"}:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail("must be a number" + (" or false" if kind in {"money", "deadline"} else ""))
    if isinstance(value, float) and not math.isfinite(value):
        raise fail("must be a finite number")
    if kind != "money" and not isinstance(value, int):
        raise fail("must be a whole number")
    if value < 0:
        raise fail("must not be negative")
    if kind in {"positive", "deadline"} and value < 1:
        raise fail("must be at least 1")
    return float(value) if kind == "money" else value


def classify(policy: Policy, request: ToolRequest, *, worktree: str, mode: Mode) -> Decision:
    """allow / ask / escalate / deny for one tool request, naming the rule that matched. Never raises."""
    try:
        return _classify(policy, request, worktree=worktree, mode=mode)
    except Exception:  # a bug here must fail safe: a person decides
        return Decision(verdict=Verdict.ASK, rule="could not judge the request")


def _classify(policy: Policy, request: ToolRequest, *, worktree: str, mode: Mode) -> Decision:
    cwd = request.cwd
    if request.kind == "command":
        if request.command is None:
            return Decision(verdict=Verdict.ASK, rule="could not parse the command")
        context = CommandContext(
            worktree=worktree, cwd=cwd, mode=mode, test_commands=test_command_texts(policy.test_command),
            allow_commands=policy.allow_commands, deny_commands=policy.deny_commands,
            shared_state_commands=policy.shared_state_commands, shared_state_paths=policy.shared_state_paths,
        )
        decision = judge_command(request.command, context)
        escape = _symlink_escape(request, worktree=worktree)
        return decision if escape is None else Decision(
            verdict=Verdict.DENY, rule=escape.rule, reasons=(*escape.reasons, *decision.reasons))
    if request.kind == "write":
        if not request.paths:
            return Decision(verdict=Verdict.ASK, rule="write without a path", reasons=(request.tool,))
        return combine(judge_write(path, worktree=worktree, cwd=cwd, mode=mode,
                                   extra_shared=policy.shared_state_paths) for path in request.paths)
    if request.kind == "read":
        return combine(judge_read(path, worktree=worktree, cwd=cwd) for path in request.paths or (".",))
    return judge_other_tool(request.tool)


def _symlink_escape(request: ToolRequest, *, worktree: str) -> Decision | None:
    """A command's ``paths`` are where its words really lead (the agent adapter follows symlinks): one that
    leaves the worktree is denied, though the command line reads as if it stayed inside."""
    outside = [p for p in request.paths if resolve_in_worktree(worktree, p, cwd=request.cwd) is None]
    if not outside:
        return None
    rule = f"{OUTSIDE_WORKTREE} (through a symlink)"
    return Decision(verdict=Verdict.DENY, rule=rule, reasons=(f"{rule}: {outside[0]}",))


def shared_state_findings(policy: Policy, paths: Iterable[str]) -> tuple[Finding, ...]:
    """The shared-state paths among ``paths`` (relative to the repository root), built-in rules first."""
    return find_shared_state(paths, policy.shared_state_paths)


def budget_breaches(policy: Policy, *, files: int, changed_lines: int, minutes: float,
                    cost_usd: float | None) -> tuple[str, ...]:
    """Each budget the run has crossed, for a person: ``("scope grew: 7 files > 5",)``."""
    breaches: list[str] = []
    if files > policy.max_files:
        breaches.append(f"scope grew: {files} files > {policy.max_files}")
    if changed_lines > policy.max_changed_lines:
        breaches.append(f"scope grew: {changed_lines} changed lines > {policy.max_changed_lines}")
    if minutes > policy.max_minutes:
        breaches.append(f"time: {math.ceil(minutes)} minutes > {policy.max_minutes}")
    if cost_usd is not None and policy.max_cost_usd is not None and cost_usd > policy.max_cost_usd:
        breaches.append(f"cost ${cost_usd:.2f} > ${policy.max_cost_usd:.2f}")
    return tuple(breaches)
