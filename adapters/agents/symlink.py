"""Where a command line's words really lead: the policy reads a command lexically, so the agent adapters give it
the real places that a symlink inside the worktree takes them to. Shared by the Claude and Codex adapters."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

__all__ = ["command_symlink_escapes"]

_WORD_BREAK = re.compile(r"[\s=;|&()<>]+")  # words of a command line, and what follows "=" in --opt=path
_MAX_WORDS = 400


def command_symlink_escapes(command: str, cwd: str, resolve: Callable[[str], str] = os.path.realpath
                            ) -> tuple[str, ...]:
    """Real paths outside ``cwd`` that relative words of ``command`` reach through a symlink inside it."""
    root = resolve(cwd)
    escapes: list[str] = []
    for word in _WORD_BREAK.split(command)[:_MAX_WORDS]:
        word = word.strip("'\"`")
        if not word or word.startswith(("/", "~", "$", "-")):
            continue
        real = resolve(os.path.normpath(os.path.join(cwd, word)))
        if real != root and not real.startswith(root.rstrip("/") + "/") and real not in escapes:
            escapes.append(real)
    return tuple(escapes)
