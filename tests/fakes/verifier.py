"""FakeVerifier: scripted verification results, and a record of what was asked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from bot.ports import VerificationResult

__all__ = ["FakeVerifier", "ScriptedResult", "VerifyCall"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptedResult:
    exit_code: int | None = 0
    summary: str = "exit 0"
    output_tail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyCall:
    worktree: str
    command: str
    timeout: timedelta


class FakeVerifier:
    """Returns the scripted results in order, then ``default`` (a pass) for every further call. Set ``gate``
    to an unset asyncio.Event to hold ``verify`` until the test sets it (to test Stop during verification)."""

    def __init__(self, *results: ScriptedResult, default: ScriptedResult | None = None) -> None:
        self._script = list(results)
        self.default = default or ScriptedResult()
        self.calls: list[VerifyCall] = []
        self.shells: list[bool] = []
        self.gate: asyncio.Event | None = None

    def script(self, *, exit_code: int | None = 0, summary: str = "exit 0", output_tail: str = "") -> None:
        self._script.append(ScriptedResult(exit_code=exit_code, summary=summary, output_tail=output_tail))

    async def verify(self, *, worktree: str, command: str, timeout: timedelta, shell: bool = False
                     ) -> VerificationResult:
        self.shells.append(shell)
        self.calls.append(VerifyCall(worktree=worktree, command=command, timeout=timeout))
        if self.gate is not None:
            await self.gate.wait()
        scripted = self._script.pop(0) if self._script else self.default
        return VerificationResult(command=command, exit_code=scripted.exit_code, summary=scripted.summary,
                                  output_tail=scripted.output_tail)
