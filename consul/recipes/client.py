"""The recipes a client offers itself: ``client.watch``, ``client.lock(...)``, ...

:class:`Recipes` is a base class of :class:`consul.base.ConsulBase`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from .election import Election
from .lock import LOCK_RETRY, LOCK_SESSION_NAME, LOCK_WAIT, MONITOR_RETRY, SESSION_TTL, Lock
from .semaphore import SEMAPHORE_SESSION_NAME, SEMAPHORE_WAIT, Semaphore
from .watch import Watches

if TYPE_CHECKING:
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = ["Recipes"]


class Recipes(Generic[M]):
    """Watches, locks, semaphores and leader election, on this client's loop."""

    @property
    def _self(self) -> ConsulBase[M]:
        return cast("ConsulBase[M]", self)

    @functools.cached_property
    def watch(self) -> Watches[M]:
        """The watches: ``client.watch.key(...)``... (:class:`~consul.recipes.Watches`)."""
        return Watches(self._self)

    def lock(
        self,
        key: str,
        *,
        value: bytes | str | None = None,
        session: str | None = None,
        session_name: str = LOCK_SESSION_NAME,
        session_ttl: str | float = SESSION_TTL,
        lock_delay: str | float = 15,
        lock_wait: str | float = LOCK_WAIT,
        lock_retry: str | float = LOCK_RETRY,
        monitor_retries: int = 0,
        monitor_retry_time: str | float = MONITOR_RETRY,
        on_lost: Callable[[], object] | None = None,
        token: str | None = None,
    ) -> Lock[M]:
        """A lock on ``key``, compatible with Go's ``api.Lock`` (see :class:`~consul.recipes.Lock`).

        Nothing is sent until it is acquired.
        """
        return Lock(
            self._self,
            key,
            value=value,
            session=session,
            session_name=session_name,
            session_ttl=session_ttl,
            lock_delay=lock_delay,
            lock_wait=lock_wait,
            lock_retry=lock_retry,
            monitor_retries=monitor_retries,
            monitor_retry_time=monitor_retry_time,
            on_lost=on_lost,
            token=token,
        )

    def semaphore(
        self,
        prefix: str,
        limit: int,
        *,
        value: bytes | str | None = None,
        session: str | None = None,
        session_name: str = SEMAPHORE_SESSION_NAME,
        session_ttl: str | float = SESSION_TTL,
        wait: str | float = SEMAPHORE_WAIT,
        monitor_retries: int = 0,
        monitor_retry_time: str | float = MONITOR_RETRY,
        on_lost: Callable[[], object] | None = None,
        token: str | None = None,
    ) -> Semaphore[M]:
        """A semaphore of ``limit`` slots under ``prefix``, compatible with Go's ``api.Semaphore``.

        See :class:`~consul.recipes.Semaphore`. Nothing is sent until it is
        acquired.
        """
        return Semaphore(
            self._self,
            prefix,
            limit,
            value=value,
            session=session,
            session_name=session_name,
            session_ttl=session_ttl,
            wait=wait,
            monitor_retries=monitor_retries,
            monitor_retry_time=monitor_retry_time,
            on_lost=on_lost,
            token=token,
        )

    def election(
        self,
        key: str,
        *,
        value: bytes | str | None = None,
        session_name: str = LOCK_SESSION_NAME,
        session_ttl: str | float = SESSION_TTL,
        lock_delay: str | float = 15,
        lock_wait: str | float = LOCK_WAIT,
        lock_retry: str | float = LOCK_RETRY,
        monitor_retries: int = 0,
        monitor_retry_time: str | float = MONITOR_RETRY,
        on_elected: Callable[[], object] | None = None,
        on_lost: Callable[[], object] | None = None,
        token: str | None = None,
    ) -> Election[M]:
        """A candidate in the leader election on ``key`` (see :class:`~consul.recipes.Election`).

        The election is a :meth:`lock` on ``key``: a Go program taking the
        same lock with ``api.Lock`` competes in it. Nothing is sent until it
        starts.
        """
        return Election(
            self._self,
            key,
            value=value,
            session_name=session_name,
            session_ttl=session_ttl,
            lock_delay=lock_delay,
            lock_wait=lock_wait,
            lock_retry=lock_retry,
            monitor_retries=monitor_retries,
            monitor_retry_time=monitor_retry_time,
            on_elected=on_elected,
            on_lost=on_lost,
            token=token,
        )
