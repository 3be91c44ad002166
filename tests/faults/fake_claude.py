"""A small fake ``claude`` CLI that speaks Claude Code's SDK control protocol (stream-json over stdio).

What it does on each user turn, in the worktree it was started in (its cwd):

1. ``system/init`` with its session id (``--resume <id>`` keeps the old one, as the real CLI does);
2. while ``calc.py`` still subtracts: asks ``can_use_tool`` for the reproduction command ``REPRO`` and waits
   for the answer (as long as it takes), then asks for an ``Edit`` of ``calc.py`` and, when allowed, writes
   the fix itself;
3. a final ``assistant`` text and a ``result``.

Like the real CLI it keeps a session transcript (under ``$HOME/.fake-claude/``): a resumed session does not
repeat a step that it finished before the bot died. A denied command is not retried in that session.

Crash behaviour on purpose: when its stdin closes while it waits for an answer (the bot was SIGKILLed), it
lingers for ``FAKE_CLAUDE_LINGER`` seconds (default 6; the tests use 30) with its cwd still in the worktree
before it exits, like a CLI that is slow to notice its parent died. Only the bot's start-up reaper stops a
second agent from working on the same worktree meanwhile. ``FAKE_CLAUDE_PACE`` (seconds, default 0.2) spaces
the steps so that a kill can land between them.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPRO = "python3 -c 'from calc import add; print(add(2, 3))'"
BUGGY = "return a - b"
FIXED = "return a + b"
FINAL = "Fixed add(): it subtracted.\nManual verification: run `python -m pytest -q` and check add(2, 3) == 5."
VERSION = "2.1.329"

_EOF = object()


class Session:
    def __init__(self, session_id: str, home: Path) -> None:
        self.id = session_id
        self.path = home / ".fake-claude" / f"{session_id}.json"
        self.done: list[str] = json.loads(self.path.read_text()) if self.path.exists() else []

    def finish(self, step: str) -> None:
        self.done.append(step)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.done))
        os.replace(tmp, self.path)


class FakeClaude:
    def __init__(self, argv: list[str]) -> None:
        resume = argv[argv.index("--resume") + 1] if "--resume" in argv else None
        self.session = Session(resume or str(uuid.uuid4()), Path(os.environ.get("HOME", "/tmp")))
        self.cwd = Path.cwd()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.pace = float(os.environ.get("FAKE_CLAUDE_PACE", "0.2"))
        self.linger = float(os.environ.get("FAKE_CLAUDE_LINGER", "6"))
        self.ids = iter(range(1, 1_000_000))
        threading.Thread(target=self._read_stdin, daemon=True).start()

    # ----- the wire
    def _read_stdin(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.inbox.put(json.loads(line))
        self.inbox.put(_EOF)

    def emit(self, message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def ack(self, request: dict[str, Any], response: dict[str, Any] | None = None) -> None:
        self.emit({"type": "control_response", "response": {
            "subtype": "success", "request_id": request["request_id"], "response": response or {}}})

    def next_message(self) -> Any:
        """The next message that is not a control request (those are answered here)."""
        while True:
            message = self.inbox.get()
            if message is _EOF or message.get("type") != "control_request":
                return message
            subtype = message["request"].get("subtype")
            self.ack(message, {"pid": os.getpid(), "claude_code_version": VERSION} if subtype == "initialize" else None)
            if subtype == "interrupt":
                return message

    # ----- a turn
    def serve(self) -> int:
        while True:
            message = self.next_message()
            if message is _EOF:
                return 0
            if message.get("type") == "user":
                if not self.turn():
                    return 0

    def turn(self) -> bool:
        """One turn; False when the bot went away mid-turn."""
        self.emit({"type": "system", "subtype": "init", "cwd": str(self.cwd), "session_id": self.session.id,
                   "tools": ["Bash", "Edit", "Read"], "mcp_servers": [], "model": "claude-fake",
                   "permissionMode": "default", "claude_code_version": VERSION, "apiKeySource": "none"})
        calc = self.cwd / "calc.py"
        for step, tool, tool_input in self._steps(calc):
            if step in self.session.done:
                continue
            time.sleep(self.pace)
            answer = self.use_tool(tool, tool_input)
            if answer is None:
                return False
            if answer == "interrupted":
                self.result(error=True, text="interrupted")
                return True
            if answer == "allow" and tool == "Edit":
                calc.write_text(calc.read_text().replace(BUGGY, FIXED))
            self.session.finish(step)
            if answer != "allow":
                self.say("The command was refused; I will not retry it.")
        time.sleep(self.pace)
        self.say(FINAL)
        self.result(error=False, text=FINAL)
        return True

    def _steps(self, calc: Path) -> list[tuple[str, str, dict[str, Any]]]:
        if FIXED in calc.read_text():
            return []
        return [("repro", "Bash", {"command": REPRO, "description": "Reproduce the bug"}),
                ("edit", "Edit", {"file_path": str(calc), "old_string": BUGGY, "new_string": FIXED})]

    def use_tool(self, tool: str, tool_input: dict[str, Any]) -> str | None:
        """Ask for permission; 'allow', 'deny', 'interrupted', or None when stdin closed meanwhile."""
        tool_id = f"toolu_{uuid.uuid4().hex[:20]}"
        self.emit(self._assistant([{"type": "tool_use", "id": tool_id, "name": tool, "input": tool_input}]))
        request_id = f"fake-{next(self.ids)}"
        self.emit({"type": "control_request", "request_id": request_id, "request": {
            "subtype": "can_use_tool", "tool_name": tool, "input": tool_input, "tool_use_id": tool_id,
            "permission_suggestions": None}})
        while True:
            message = self.next_message()
            if message is _EOF:
                time.sleep(self.linger)  # a CLI slow to notice that its parent died
                return None
            if message.get("type") == "control_request":  # interrupt
                return "interrupted"
            if message.get("type") == "control_response" and message["response"].get("request_id") == request_id:
                break
        answer = message["response"].get("response") or {}
        allowed = answer.get("behavior") == "allow"
        content = "5\n" if allowed and tool == "Bash" else ("ok" if allowed else str(answer.get("message", "denied")))
        self.emit({"type": "user", "session_id": self.session.id, "parent_tool_use_id": None, "message": {
            "role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": content,
                                         "is_error": not allowed}]}})
        if answer.get("interrupt"):
            return "interrupted"
        return "allow" if allowed else "deny"

    def say(self, text: str) -> None:
        self.emit(self._assistant([{"type": "text", "text": text}]))

    def _assistant(self, content: list[dict[str, Any]]) -> dict[str, Any]:
        return {"type": "assistant", "session_id": self.session.id, "parent_tool_use_id": None,
                "message": {"id": f"msg_{uuid.uuid4().hex[:16]}", "type": "message", "role": "assistant",
                            "model": "claude-fake", "content": content, "stop_reason": None}}

    def result(self, *, error: bool, text: str) -> None:
        self.emit({"type": "result", "subtype": "error_during_execution" if error else "success",
                   "is_error": error, "result": text, "session_id": self.session.id, "total_cost_usd": 0.001,
                   "num_turns": 1, "duration_ms": 10})


if __name__ == "__main__":
    if "-v" in sys.argv[1:] or "--version" in sys.argv[1:]:
        print(f"{VERSION} (Claude Code)")
        sys.exit(0)
    sys.exit(FakeClaude(sys.argv[1:]).serve())
