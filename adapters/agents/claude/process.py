"""Moved to ``adapters.agents.process`` (shared by both runners). Kept only for callers that still import it
from here (bench/buttons.py); new code imports from adapters.agents.process."""

from __future__ import annotations

from adapters.agents.process import ProcessTree, descendants, is_alive

__all__ = ["ProcessTree", "descendants", "is_alive"]
