"""The core's exception tree. Every message is one line a person may read.

    HotfixError
    ├── IllegalTransition    a state change the transition table does not allow
    ├── NotAllowed           the actor may not do this
    ├── NotFound             no such hotfix / approval / repository
    ├── Conflict             already decided, superseded, or changed since shown
    └── ConcurrencyError     another writer won (optimistic concurrency); retry or report
"""

from __future__ import annotations

__all__ = ["ConcurrencyError", "Conflict", "HotfixError", "IllegalTransition", "NotAllowed", "NotFound"]


class HotfixError(Exception):
    """Base of the core's errors; ``str(e)`` is safe to show a person."""


class IllegalTransition(HotfixError):
    pass


class NotAllowed(HotfixError):
    pass


class NotFound(HotfixError):
    pass


class Conflict(HotfixError):
    pass


class ConcurrencyError(HotfixError):
    pass
