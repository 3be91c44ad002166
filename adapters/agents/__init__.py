"""Coding-agent adapters: Claude Code (claude-agent-sdk) and Codex (app-server), behind the AgentRunner port."""
