"""The recipes a client offers itself: ``client.watch``, ``client.lock(...)``, ...

:class:`Recipes` is a base class of :class:`consul.base.ConsulBase`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar, Unpack, cast

from .election import Election
from .lock import CampaignOptions, Lock, LockOptions
from .semaphore import Semaphore, SemaphoreOptions
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

    def lock(self, key: str, **options: Unpack[LockOptions]) -> Lock[M]:
        """A lock on ``key``, compatible with Go's ``api.Lock``.

        ``options`` are :class:`~consul.recipes.Lock`'s. Nothing is sent
        until it is acquired.
        """
        return Lock(self._self, key, **options)

    def semaphore(
        self, prefix: str, limit: int, **options: Unpack[SemaphoreOptions]
    ) -> Semaphore[M]:
        """A semaphore of ``limit`` slots under ``prefix``, compatible with Go's ``api.Semaphore``.

        ``options`` are :class:`~consul.recipes.Semaphore`'s. Nothing is
        sent until it is acquired.
        """
        return Semaphore(self._self, prefix, limit, **options)

    def election(
        self,
        key: str,
        *,
        on_elected: Callable[[], object] | None = None,
        on_lost: Callable[[], object] | None = None,
        **options: Unpack[CampaignOptions],
    ) -> Election[M]:
        """A candidate in the leader election on ``key`` (an :class:`~consul.recipes.Election`).

        The election is a :meth:`lock` on ``key``: a Go program taking the
        same lock with ``api.Lock`` competes in it. ``options`` are the
        lock's. Nothing is sent until it starts.
        """
        return Election(self._self, key, on_elected=on_elected, on_lost=on_lost, **options)
