"""Running the git binary through gitpython, with an environment that never prompts, and turning failures
into one-line WorkspaceErrors. Blocking: callers run these inside ``asyncio.to_thread``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

import git
import git.exc

from adapters.git.errors import GitCommandError, NotARepositoryError

__all__ = ["GitCli", "one_line_reason"]

NETWORK_TIMEOUT_S = 120.0
_QUIET_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a terminal nobody watches
    "GIT_OPTIONAL_LOCKS": "0",
    "GCM_INTERACTIVE": "never",
}
# -c options put in front of every command: stable, uncoloured, unquoted output whatever the user's config
_STABLE_CONFIG = (
    "-c", "core.quotePath=false",
    "-c", "color.ui=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.suppressBlankEmpty=false",
    "-c", "advice.detachedHead=false",
)  # fmt: skip
_URL_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/@\s]+@")
_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s'\"]+|\b[\w.-]+@[\w.-]+:[^\s'\"]+")
_ABS_PATH = re.compile(r"(?<![\w.~-])/(?:[^\s/'\"]+/)+([^\s/'\"]+)")


class GitCli:
    """``git -C <path> …`` for one repository or worktree."""

    def __init__(self, path: str, *, env: Mapping[str, str] | None = None) -> None:
        self.path = path
        self._env = {**_QUIET_ENV, **(env or {})}
        self._git = git.Git()

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        strip: bool = True,
        what: str = "",
    ) -> str:
        """Run git, return stdout as text (UTF-8, undecodable bytes replaced). Raises GitCommandError."""
        status, out, err = self.run_status(*args, env=env, timeout=timeout)
        if status != 0:
            raise GitCommandError(f"{what or 'git ' + args[0]} failed: {one_line_reason(err)}")
        text = out.decode("utf-8", errors="replace")
        return text.strip() if strip else text

    def run_status(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> tuple[int, bytes, str]:
        """Run git; return (exit status, stdout bytes, stderr text) without raising on a non-zero status."""
        if not os.path.isdir(self.path):
            raise NotARepositoryError(f"not a directory: {os.path.basename(self.path) or self.path}")
        command: Sequence[str] = ["git", *_STABLE_CONFIG, "-C", self.path, *args]
        try:
            status, out, err = self._git.execute(
                command,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                kill_after_timeout=timeout,
                env={**self._env, **(env or {})},
            )
        except git.exc.GitCommandNotFound:
            raise GitCommandError("the git executable was not found") from None
        stderr = err.decode("utf-8", errors="replace") if isinstance(err, bytes) else str(err)
        if timeout is not None and stderr.startswith("Timeout:"):  # gitpython killed it
            stderr = f"fatal: timed out after {timeout:g} s"
        return int(status or 0), bytes(out), stderr

    def network_env(self) -> dict[str, str]:
        """For fetch and push: ssh must never ask on a terminal either (BatchMode), unless the user chose an
        ssh command of their own (GIT_SSH_COMMAND, GIT_SSH or core.sshCommand)."""
        if os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH"):
            return {}
        if self.run_status("config", "--get", "core.sshCommand")[0] == 0:
            return {}
        return {"GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}

    def ok(self, *args: str) -> bool:
        """True when git exits 0 (for yes/no questions such as ``rev-parse --verify``)."""
        return self.run_status(*args)[0] == 0


def one_line_reason(stderr: str, *, limit: int = 160) -> str:
    """The most telling line of git's stderr, without credentials, URLs or long paths."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    telling = [line for line in lines if line.lower().startswith(("fatal:", "error:", "! ["))]
    line = (telling or lines or ["unknown error"])[-1 if not telling else 0]
    for prefix in ("fatal: ", "error: "):
        if line.lower().startswith(prefix):
            line = line[len(prefix) :]
    line = _URL_CREDENTIALS.sub(r"\1", line)
    line = _URL.sub("<remote>", line)
    line = _ABS_PATH.sub(r"…/\1", line)
    line = "".join(ch if ch.isprintable() else " " for ch in line)
    return line if len(line) <= limit else line[: limit - 1] + "…"
