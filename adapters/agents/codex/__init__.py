"""Codex through ``codex app-server`` JSON-RPC, with live per-action approvals."""

from adapters.agents.codex.runner import CodexRunner

__all__ = ["CodexRunner"]
