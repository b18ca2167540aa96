"""Wake-ups of blocking queries.

A blocking query runs, and if its answer has not moved past the index (or
hash) the client gave, waits for a change of the state it read, then runs
again. Each piece of state that blocking queries watch has a
:class:`Wakeups`: a datacenter's tables, the agent's local state, its event
buffer. A write that changed something calls :meth:`Wakeups.notify`; every
waiting query then re-runs, as Consul's memdb watch sets make them do, at a
coarser grain no client can tell apart.

A query waits as a :class:`Waiter` (an object, no coroutine) registered
with :meth:`Wakeups.add` and called back: a thousand blocked watchers are a
thousand small objects.

Everything runs on the agent's event loop, so there are no locks.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable, Hashable, Iterable

__all__ = ["Batch", "Waiter", "Wakeups"]


class Batch(dict[object, object]):
    """What the waiters released together share (see :meth:`Waiter.woken`).

    A dict, where waiters that compute the same thing leave it for the
    others; and what is to run once every waiter of the batch has been
    called (:meth:`at_end`), in the same callback of the loop.
    """

    __slots__ = ("_ends",)

    def __init__(self) -> None:
        super().__init__()
        self._ends: list[Callable[[], None]] = []

    def at_end(self, end: Callable[[], None]) -> None:
        """Call ``end`` once the batch's waiters have all been called (must not raise)."""
        self._ends.append(end)

    def end(self) -> None:
        """The batch's waiters have all been called: what :meth:`at_end` asked for."""
        for end in self._ends:
            end()


class Waiter:
    """A query waiting without a coroutine: :meth:`woken` is called when it is released.

    Subclasses implement :meth:`woken`; :meth:`Wakeups.add` registers one.
    """

    __slots__ = ("_deadline",)

    def __init__(self) -> None:
        self._deadline = 0.0

    def __lt__(self, other: Waiter) -> bool:
        # The order of Wakeups' deadline heap.
        return self._deadline < other._deadline

    def woken(self, changed: bool, batch: Batch) -> None:
        """Released: ``changed`` is True after :meth:`Wakeups.notify`, False at the
        deadline or after :meth:`Wakeups.close`. Must not raise.

        ``batch`` is one :class:`Batch` for all the waiters released together,
        in one callback of the loop (the state cannot change in between):
        where waiters that compute the same thing can leave it for the others.
        """
        raise NotImplementedError


class Wakeups:
    """The queries blocked on one piece of state, and what wakes them.

    Each blocked query waits (a :class:`Waiter` registered with
    :meth:`add`) until :meth:`notify` (something changed:
    it re-runs and decides whether to wait again), its deadline, or
    :meth:`close` (the state is gone: it answers with what it has). The
    datacenters' state, the agent's local state and its event buffer each
    have one.
    """

    def __init__(self) -> None:
        self.closed = False
        #: The waiting queries (a dict for their order and cheap removal).
        self._waiters: dict[Waiter, None] = {}
        #: The waiters of :meth:`add` by deadline (a heap; those discarded
        #: stay until they come up or are outnumbered), and the one timer
        #: of the earliest: a thousand waiters do not make a thousand timers.
        self._deadlines: list[Waiter] = []
        self._discarded = 0
        self._timer: asyncio.TimerHandle | None = None
        #: What :meth:`alike` handed out since the last release: by key, each
        #: detail with its token.
        self._alike: dict[Hashable, list[tuple[object, object]]] = {}

    def __len__(self) -> int:
        """How many queries are waiting now."""
        return len(self._waiters)

    def notify(self) -> None:
        """Wake every waiting query (``woken(True, ...)``)."""
        self._release(True)

    def close(self) -> None:
        """Release every waiting query (``woken(False, ...)``), and refuse any from now on."""
        self.closed = True
        self._release(False)

    def alike(self, key: Hashable, detail: object) -> object:
        """A token for a waiter about to be added: the same object for each with an equal
        ``key`` and an equal ``detail`` (compared with ``==``, not hashed) until the next
        release.

        Waiters released together that compute the same thing from the same
        state know each other by it with no more than a lookup by identity
        (see :meth:`Waiter.woken`): the keys are hashed and compared while
        they wait, not while they wake. Forgotten when no waiter is left.
        """
        found = self._alike.get(key)
        if found is None:
            found = self._alike[key] = []
        for known, token in found:
            if known == detail:
                return token
        token = object()
        found.append((detail, token))
        return token

    def _release(self, changed: bool) -> None:
        waiters, self._waiters = self._waiters, {}
        self._alike = {}
        if self._deadlines:
            self._deadlines = []
            self._discarded = 0
            self._schedule()
        if waiters:
            # All in one callback of the loop, after the writer's own step:
            # they see the write whole.
            asyncio.get_running_loop().call_soon(_wake, waiters, changed)

    def add(self, waiter: Waiter, deadline: float) -> bool:
        """Register ``waiter`` until :meth:`notify`, ``deadline`` or :meth:`close`.

        False (and nothing registered) if the wakeups are closed or
        ``deadline`` (a :func:`time.monotonic` time) has passed: the query
        answers at once. The waiter costs itself and a place in a heap.
        """
        if self.closed or deadline <= time.monotonic():
            return False
        waiter._deadline = deadline
        self._waiters[waiter] = None
        heapq.heappush(self._deadlines, waiter)
        if self._deadlines[0] is waiter:
            self._schedule()
        return True

    def discard(self, waiter: Waiter) -> None:
        """Forget ``waiter`` (its client went away): it is not called back."""
        if self._waiters.pop(waiter, False) is None:
            if not self._waiters:
                self._alike = {}  # the tokens are no one's
            self._discarded += 1
            if self._discarded > len(self._deadlines) // 2:
                self._deadlines = [w for w in self._deadlines if w in self._waiters]
                heapq.heapify(self._deadlines)
                self._discarded = 0
                self._schedule()

    def _schedule(self) -> None:
        """(Re)arm the one timer for the earliest deadline, if any."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._deadlines:
            delay = self._deadlines[0]._deadline - time.monotonic()
            self._timer = asyncio.get_running_loop().call_later(max(delay, 0), self._expire)

    def _expire(self) -> None:
        """Release the waiters whose deadline has come (with False)."""
        self._timer = None
        deadlines = self._deadlines
        now = time.monotonic()
        expired: list[Waiter] = []
        while deadlines and deadlines[0]._deadline <= now:
            waiter = heapq.heappop(deadlines)
            if self._waiters.pop(waiter, False) is None:
                expired.append(waiter)
            else:
                self._discarded -= 1
        if not self._waiters:
            self._alike = {}
        self._schedule()
        _wake(expired, False)


def _wake(waiters: Iterable[Waiter], changed: bool) -> None:
    batch = Batch()
    for waiter in waiters:
        waiter.woken(changed, batch)
    batch.end()
