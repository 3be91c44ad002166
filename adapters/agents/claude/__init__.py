"""Claude Code through claude-agent-sdk: the ``ClaudeCodeRunner`` agent runner."""

from adapters.agents.claude.runner import ClaudeCodeRunner

__all__ = ["ClaudeCodeRunner"]
