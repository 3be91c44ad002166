from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.verification import SubprocessVerifier


async def test_shell_only_when_asked(tmp_path: Path) -> None:
    verifier = SubprocessVerifier()
    argv = await verifier.verify(worktree=str(tmp_path), command="echo a && echo b", timeout=timedelta(seconds=30))
    assert argv.exit_code == 0 and "a && echo b" in argv.output_tail  # one argv: echo printed the rest
    shell = await verifier.verify(worktree=str(tmp_path), command="echo a && echo b", timeout=timedelta(seconds=30),
                                  shell=True)
    assert shell.exit_code == 0 and shell.output_tail.split() == ["a", "b"]
