"""Wake-ups of blocking queries.

A blocking query runs, and if its answer has not moved past the index (or
hash) the client gave, waits for a change of the state it read, then runs
again. Each piece of state that blocking queries watch has a
:class:`Wakeups`: a datacenter's tables, the agent's local state, its event
buffer. A write that changed something calls :meth:`Wakeups.notify`; every
waiting query then re-runs, as Consul's memdb watch sets make them do, at a
coarser grain no client can tell apart.

A query waits in one of two ways: a coroutine awaits :meth:`Wakeups.wait`,
or a :class:`Waiter` (an object, no coroutine) is registered with
:meth:`Wakeups.add` and called back. The second holds far less memory while
it waits: a thousand blocked watchers are a thousand small objects.

Everything runs on the agent's event loop, so there are no locks.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["Waiter", "Wakeups"]


class Waiter:
    """A query waiting without a coroutine: :meth:`woken` is called when it is released.

    Subclasses implement :meth:`woken`; :meth:`Wakeups.add` registers one.
    """

    __slots__ = ("_timer",)

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None

    def woken(self, changed: bool) -> None:
        """Released: ``changed`` is True after :meth:`Wakeups.notify`, False at the
        deadline or after :meth:`Wakeups.close`. Must not raise."""
        raise NotImplementedError


class Wakeups:
    """The queries blocked on one piece of state, and what wakes them.

    Each blocked query waits (in :meth:`wait`, or as a :class:`Waiter`
    registered with :meth:`add`) until :meth:`notify` (something changed:
    it re-runs and decides whether to wait again), its deadline, or
    :meth:`close` (the state is gone: it answers with what it has). The
    datacenters' state, the agent's local state and its event buffer each
    have one.
    """

    def __init__(self) -> None:
        self.closed = False
        #: The waiting queries: futures of :meth:`wait`, :class:`Waiter`\\ s of
        #: :meth:`add` (a dict for its order and cheap removal).
        self._waiters: dict[asyncio.Future[bool] | Waiter, None] = {}

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
        woken: list[Waiter] = []
        for waiter in waiters:
            if isinstance(waiter, Waiter):
                if waiter._timer is not None:
                    waiter._timer.cancel()
                    waiter._timer = None
                woken.append(waiter)
            else:
                _settle(waiter, changed)
        if woken:
            # All in one callback of the loop, after the writer's own step:
            # as the futures' coroutines, they see the write whole.
            asyncio.get_running_loop().call_soon(_wake, woken, changed)

    async def wait(self, deadline: float) -> bool:
        """Wait for :meth:`notify` (True), or until ``deadline`` or :meth:`close` (False).

        ``deadline`` is a :func:`time.monotonic` time (the event loop's clock);
        one already past returns False at once. A waiting query costs one
        future and one timer.
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

    def add(self, waiter: Waiter, deadline: float) -> bool:
        """Register ``waiter`` until :meth:`notify`, ``deadline`` or :meth:`close`.

        False (and nothing registered) if the wakeups are closed or
        ``deadline`` (a :func:`time.monotonic` time) has passed: the query
        answers at once. The waiter costs itself and one timer.
        """
        remaining = deadline - time.monotonic()
        if self.closed or remaining <= 0:
            return False
        waiter._timer = asyncio.get_running_loop().call_later(remaining, self._expire, waiter)
        self._waiters[waiter] = None
        return True

    def discard(self, waiter: Waiter) -> None:
        """Forget ``waiter`` (its client went away): it is not called back."""
        if self._waiters.pop(waiter, False) is None and waiter._timer is not None:
            waiter._timer.cancel()
            waiter._timer = None

    def _expire(self, waiter: Waiter) -> None:
        waiter._timer = None
        del self._waiters[waiter]
        waiter.woken(False)


def _settle(waiter: asyncio.Future[bool], changed: bool) -> None:
    if not waiter.done():
        waiter.set_result(changed)


def _wake(waiters: list[Waiter], changed: bool) -> None:
    for waiter in waiters:
        waiter.woken(changed)
