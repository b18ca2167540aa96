"""The state of one datacenter: a Raft-like index, its tables, and wake-ups.

Each datacenter of the embedded agent has its own state, as each real one
has its own Raft log. Every write takes the next index with :meth:`apply`
(a write that changes nothing still takes one, as a Raft apply does, but
leaves the tables' indexes alone). A write that changed something calls
:meth:`changed`, which wakes the blocking queries of the datacenter; each
re-runs its query and goes back to sleep unless its own index moved. That is
what Consul's memdb watch sets achieve, at a coarser grain that no client can
tell apart.

Everything here runs on the agent's event loop thread, so there are no locks:
a handler's synchronous code is one atomic step.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._agent import AgentCore


#: The agent's own random numbers (blocking-query jitter, check staggers):
#: never the ``random`` module's shared state, which the program under test
#: may have seeded, or whose draws a property-based test may be watching.
RANDOM = random.Random()  # noqa: S311 - jitter, not security


class Wakeups:
    """The queries blocked on one piece of state, and what wakes them.

    Each blocked query waits in :meth:`wait` until :meth:`notify` (something
    changed: it re-runs and decides whether to wait again), its deadline, or
    :meth:`close` (the state is gone: it answers with what it has). The
    datacenters' state, the agent's local state and its event buffer each
    have one.
    """

    def __init__(self) -> None:
        self.closed = False
        self._waiters: list[asyncio.Future[bool]] = []

    def __len__(self) -> int:
        """How many queries are waiting now."""
        return len(self._waiters)

    def notify(self) -> None:
        """Wake every waiting query (their :meth:`wait` returns True)."""
        self._release(True)

    def close(self) -> None:
        """Release every waiting query, now and from now on (:meth:`wait` is False)."""
        self.closed = True
        self._release(False)

    def _release(self, changed: bool) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(changed)

    async def wait(self, deadline: float) -> bool:
        """Wait for :meth:`notify` (True), or until ``deadline`` or :meth:`close` (False).

        ``deadline`` is a :func:`time.monotonic` time; one already past
        returns False at once.
        """
        remaining = deadline - time.monotonic()
        if self.closed or remaining <= 0:
            return False
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter, remaining)
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)


class Datacenter:
    """One datacenter's state (the stores hang on it: ``dc.kv``, ``dc.catalog``...)."""

    def __init__(self, agent: AgentCore, name: str) -> None:
        from .endpoints.catalog import CatalogStore
        from .endpoints.coordinate import CoordinateStore
        from .endpoints.kv import KVStore
        from .endpoints.session import SessionStore

        self.agent = agent
        self.name = name
        self.index = 0
        #: The blocking queries of this datacenter.
        self.wakeups = Wakeups()
        self._timers: set[asyncio.TimerHandle] = set()
        self.kv = KVStore(self)
        self.sessions = SessionStore(self)
        self.catalog = CatalogStore(self)
        self.coordinates = CoordinateStore(self)

    @property
    def primary(self) -> bool:
        """True for the primary datacenter (where ACLs live)."""
        return self.name == self.agent.config.primary_datacenter

    @property
    def blocking_queries(self) -> int:
        """Blocking queries waiting for a change now (Consul's ``rpc.queries_blocking``)."""
        return len(self.wakeups)

    def apply(self) -> int:
        """The index of a new write (Raft's next log index)."""
        self.index += 1
        return self.index

    def changed(self) -> None:
        """Wake every blocking query of this datacenter to re-run."""
        self.wakeups.notify()

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any
    ) -> asyncio.TimerHandle:
        """Schedule ``callback`` on the agent's loop; cancelled if the state is abandoned."""
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            callback(*args)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)
        return handle

    def cancel_timer(self, handle: asyncio.TimerHandle | None) -> None:
        """Cancel a timer made by :meth:`call_later` (None is ignored)."""
        if handle is not None:
            handle.cancel()
            self._timers.discard(handle)

    def abandon(self) -> None:
        """Drop this state (a reset): cancel its timers, release its blocking queries.

        A blocking query whose state is abandoned returns what it has, as
        Consul's do when a snapshot restore abandons the state store.
        """
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        self.wakeups.close()
