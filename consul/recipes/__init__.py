"""Coordination recipes: watches, locks, semaphores, leader election, keep-alives.

Each is written once as flows (generators yielding calls and sleeps, see
``consul/_http.py``) and reached from any of the five clients:
``client.watch.key(...)``, ``client.lock(key)``, ``client.semaphore(prefix,
limit)``, ``client.election(key)``, ``client.session.keep_alive(...)`` and
``client.agent.service.keep_registered(...)``. Locks and semaphores use the
wire format of Go's ``api.Lock`` and ``api.Semaphore``, so that Python and Go
processes exclude each other.

Importing this package is cheap; its names load on first use (the lock and
the watches need the endpoint groups).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .election import Election
    from .errors import (
        InvalidIndex,
        LockConflict,
        LockError,
        LockHeld,
        LockInUse,
        LockNotHeld,
        SemaphoreConflict,
        SemaphoreError,
        SemaphoreHeld,
        SemaphoreInUse,
        SemaphoreNotHeld,
        SessionExpired,
    )
    from .lock import LOCK_FLAG, Lock
    from .registration import Registration
    from .semaphore import SEMAPHORE_FLAG, Semaphore
    from .session import SessionKeeper
    from .watch import Backoff, Watch, Watches

_WHERE = {
    "Backoff": "watch",
    "Election": "election",
    "InvalidIndex": "errors",
    "LOCK_FLAG": "lock",
    "Lock": "lock",
    "LockConflict": "errors",
    "LockError": "errors",
    "LockHeld": "errors",
    "LockInUse": "errors",
    "LockNotHeld": "errors",
    "Registration": "registration",
    "SEMAPHORE_FLAG": "semaphore",
    "Semaphore": "semaphore",
    "SemaphoreConflict": "errors",
    "SemaphoreError": "errors",
    "SemaphoreHeld": "errors",
    "SemaphoreInUse": "errors",
    "SemaphoreNotHeld": "errors",
    "SessionExpired": "errors",
    "SessionKeeper": "session",
    "Watch": "watch",
    "Watches": "watch",
}

__all__ = [
    "LOCK_FLAG",
    "SEMAPHORE_FLAG",
    "Backoff",
    "Election",
    "InvalidIndex",
    "Lock",
    "LockConflict",
    "LockError",
    "LockHeld",
    "LockInUse",
    "LockNotHeld",
    "Registration",
    "Semaphore",
    "SemaphoreConflict",
    "SemaphoreError",
    "SemaphoreHeld",
    "SemaphoreInUse",
    "SemaphoreNotHeld",
    "SessionExpired",
    "SessionKeeper",
    "Watch",
    "Watches",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
