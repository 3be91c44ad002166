"""Access to the fake servers the contract tests wrote (they import each other as top-level modules)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["use_contract_folder"]

TESTS = Path(__file__).resolve().parent.parent / "tests" / "contract"


def use_contract_folder(name: str) -> None:
    """Make ``tests/contract/<name>``'s helper modules importable (``slack_fake_api``, ``tg_fake_api`` …)."""
    folder = str(TESTS / name)
    if folder not in sys.path:
        sys.path.insert(0, folder)
