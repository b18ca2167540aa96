"""The errors of the recipes (each a :class:`~consul.ConsulException`).

The lock and semaphore errors carry the messages of Go's ``api.Lock`` and
``api.Semaphore`` (``api/lock.go``, ``api/semaphore.go``).
"""

from __future__ import annotations

from ..exceptions import ConsulException

__all__ = [
    "InvalidIndex",
    "LockConflict",
    "LockError",
    "LockHeld",
    "LockInUse",
    "LockNotHeld",
    "SemaphoreConflict",
    "SemaphoreError",
    "SemaphoreHeld",
    "SemaphoreInUse",
    "SemaphoreNotHeld",
    "SessionExpired",
]


class LockError(ConsulException):
    """Base class of the errors of :class:`~consul.recipes.Lock`."""


class LockHeld(LockError):
    """``acquire`` on a lock this handle holds (or is acquiring), or ``destroy`` of it."""

    def __init__(self, message: str = "Lock already held") -> None:
        super().__init__(message)


class LockNotHeld(LockError):
    """``release`` of a lock this handle does not hold."""

    def __init__(self, message: str = "Lock not held") -> None:
        super().__init__(message)


class LockInUse(LockError):
    """``destroy`` of a lock some session holds."""

    def __init__(self, message: str = "Lock in use") -> None:
        super().__init__(message)


class LockConflict(LockError):
    """The key exists without the lock's flag: it is not used as a lock."""

    def __init__(self, message: str = "Existing key does not match lock use") -> None:
        super().__init__(message)


class SemaphoreError(ConsulException):
    """Base class of the errors of :class:`~consul.recipes.Semaphore`."""


class SemaphoreHeld(SemaphoreError):
    """``acquire`` of a slot this handle holds (or is acquiring), or ``destroy`` of it."""

    def __init__(self, message: str = "Semaphore already held") -> None:
        super().__init__(message)


class SemaphoreNotHeld(SemaphoreError):
    """``release`` of a slot this handle does not hold."""

    def __init__(self, message: str = "Semaphore not held") -> None:
        super().__init__(message)


class SemaphoreInUse(SemaphoreError):
    """``destroy`` of a semaphore that still has holders."""

    def __init__(self, message: str = "Semaphore in use") -> None:
        super().__init__(message)


class SemaphoreConflict(SemaphoreError):
    """The prefix is not used as this semaphore: a key without the flag, or another limit."""

    def __init__(self, message: str = "Existing key does not match semaphore use") -> None:
        super().__init__(message)


class SessionExpired(ConsulException):
    """A session being kept alive is gone, or could not be renewed within its TTL."""

    def __init__(self, message: str = "session expired") -> None:
        super().__init__(message)


class InvalidIndex(ConsulException):
    """A watched read came back without a usable ``X-Consul-Index`` (missing or 0).

    Blocking on it would return at once, again and again: a watch treats it
    as a failed read and backs off.
    """
