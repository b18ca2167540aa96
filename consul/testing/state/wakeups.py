"""Wake-ups of blocking queries.

A blocking query runs, and if its answer has not moved past the index (or
hash) the client gave, waits for a change of the state it read, then runs
again. Each piece of state that blocking queries watch has a
:class:`Wakeups`: a datacenter's tables, the agent's local state, its event
buffer. A write that changed something calls :meth:`Wakeups.notify`; every
waiting query then re-runs, as Consul's memdb watch sets make them do, at a
coarser grain no client can tell apart.

Everything runs on the agent's event loop, so there are no locks.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["Wakeups"]


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
        #: The waiting queries' futures (a dict for its order and cheap removal).
        self._waiters: dict[asyncio.Future[bool], None] = {}

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
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters:
            _settle(waiter, changed)

    async def wait(self, deadline: float) -> bool:
        """Wait for :meth:`notify` (True), or until ``deadline`` or :meth:`close` (False).

        ``deadline`` is a :func:`time.monotonic` time (the event loop's clock);
        one already past returns False at once. A waiting query costs one
        future and one timer, nothing more: a thousand of them wait on one
        key in the benchmark.
        """
        remaining = deadline - time.monotonic()
        if self.closed or remaining <= 0:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(remaining, _settle, waiter, False)
        self._waiters[waiter] = None
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiters.pop(waiter, None)


def _settle(waiter: asyncio.Future[bool], changed: bool) -> None:
    if not waiter.done():
        waiter.set_result(changed)
