"""The hotfix instructions appended to the agent's own system prompt, per mode, and the task prompt."""

from __future__ import annotations

from bot.domain.hotfix import Hotfix
from bot.domain.values import Mode

__all__ = ["RESUME_PROMPT", "instructions_for", "prompt_for"]

RESUME_PROMPT = "The bot restarted while you were working. Continue the hotfix where you left off."

_COMMON = """You are working on an urgent production hotfix in a dedicated git worktree on branch {branch}.
Rules for this hotfix:
- Make the smallest change that fixes the reported failure. No refactoring, renaming, reformatting or cleanup.
- Contain the error (guard the failing path, handle the bad input) rather than redesigning.
- Do not change dependencies, migrations, CI or infrastructure files unless the fix truly needs it; such changes
  need an escalation approval from on-call.
- Never push, force-push or rewrite history; the bot handles commits after a human approves the diff.
- If the task grows beyond a small fix or is unclear, stop and say so plainly instead of guessing.
- Risky commands are approved by a human in chat; if a request is denied, respect the reason and adapt."""

_MODES = {
    Mode.PATCH: """Mode: patch. Fix it, run the focused test if there is one, then finish with a short summary and a
section titled "Manual verification" listing the steps a human should run to confirm the fix.""",
    Mode.DIAGNOSE: """Mode: diagnose. Do NOT edit any file. Gather evidence, reproduce the failure, identify the failing
code path, and finish with your findings: what fails, where, why, and how to reproduce it.""",
    Mode.PLAN: """Mode: plan. Do NOT edit any file. Propose the smallest safe fix: which file and lines, what change,
what risk, and the manual verification steps a human should run after it lands.""",
}


def instructions_for(h: Hotfix) -> str:
    return _COMMON.format(branch=h.branch or "hotfix") + "\n\n" + _MODES[h.mode]


def prompt_for(h: Hotfix) -> str:
    if h.next_prompt:
        return h.next_prompt
    return f"Hotfix {h.hid} in repository {h.repo}: {h.title}\n\nReported problem:\n{h.description}"
