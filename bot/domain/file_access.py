"""Judging one file path an agent wants to write or read, and the agent's other tools. Standard library only."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from bot.domain.pathmatch import relative_path, resolve_in_worktree
from bot.domain.shared_state import is_secret_like, shared_state_rule
from bot.domain.tool import Decision, Verdict
from bot.domain.values import Mode

__all__ = [
    "HARMLESS_TOOLS",
    "OUTSIDE_WORKTREE",
    "judge_other_tool",
    "judge_read",
    "judge_write",
    "no_edits_rule",
]

OUTSIDE_WORKTREE = "path outside the worktree"
POLICY_FILE_RULE = "built-in: the agent may not change its own policy (.hotfix.toml)"
GIT_DIR_RULE = "built-in: writes into .git/"
HARMLESS_TOOLS = frozenset({"TodoWrite", "TodoRead", "ExitPlanMode", "BashOutput", "KillShell", "KillBash",
                            "update_plan", "TaskOutput"})


def no_edits_rule(mode: Mode) -> str:
    return f"mode:{mode.value} makes no edits"


def _in_git_dir(relative: str) -> bool:
    return ".git" in relative.split("/")


def _is_policy_file(relative: str) -> bool:
    return posixpath.basename(relative) == ".hotfix.toml"


def judge_write(path: str, *, worktree: str, cwd: str | None, mode: Mode,
                extra_shared: Iterable[str] = ()) -> Decision:
    """A write to ``path``: outside, ``.git/`` and ``.hotfix.toml`` are denied; diagnose/plan make no edits;
    shared-state paths escalate; anything else is allowed (the diff is reviewed before shipping)."""
    resolved = resolve_in_worktree(worktree, path, cwd=cwd)
    if resolved is None:
        return Decision(verdict=Verdict.DENY, rule=OUTSIDE_WORKTREE, reasons=(path,))
    relative = relative_path(worktree, resolved)
    if _in_git_dir(relative):
        return Decision(verdict=Verdict.DENY, rule=GIT_DIR_RULE, reasons=(path,))
    if _is_policy_file(relative):
        return Decision(verdict=Verdict.DENY, rule=POLICY_FILE_RULE, reasons=(path,))
    if mode is not Mode.PATCH:
        return Decision(verdict=Verdict.DENY, rule=no_edits_rule(mode), reasons=(path,))
    shared = shared_state_rule(relative, extra_shared)
    if shared is not None:
        return Decision(verdict=Verdict.ESCALATE, rule=shared, reasons=(path,))
    return Decision(verdict=Verdict.ALLOW, rule="built-in: edits inside the worktree are reviewed before shipping",
                    reasons=(path,))


def judge_read(path: str, *, worktree: str, cwd: str | None) -> Decision:
    """A read of ``path``: outside and ``.git/`` are denied; secrets-like files need a person; else allowed."""
    resolved = resolve_in_worktree(worktree, path, cwd=cwd)
    if resolved is None:
        return Decision(verdict=Verdict.DENY, rule=OUTSIDE_WORKTREE, reasons=(path,))
    relative = relative_path(worktree, resolved)
    if _in_git_dir(relative):
        return Decision(verdict=Verdict.DENY, rule="built-in: .git/ is off limits", reasons=(path,))
    if is_secret_like(relative):
        name = posixpath.basename(relative)
        return Decision(verdict=Verdict.ASK, rule=f"built-in: secrets-like file ({name})", reasons=(path,))
    return Decision(verdict=Verdict.ALLOW, rule="built-in: reads inside the worktree", reasons=(path,))


def judge_other_tool(tool: str) -> Decision:
    if tool in HARMLESS_TOOLS:
        return Decision(verdict=Verdict.ALLOW, rule=f"built-in: harmless agent tool ({tool})")
    return Decision(verdict=Verdict.ASK, rule=f"built-in: tool not on the allow list ({tool})")
