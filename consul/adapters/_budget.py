"""The budgets of the asyncio and Tornado clients: so many calls at once, the others in turn.

``asyncio.Semaphore`` does the same, but every call pays for it: its
``acquire`` is a coroutine that scans its waiters each time. A budget is on
the path of every call, where a free turn should cost a method call.
"""

from __future__ import annotations

import asyncio
import collections


class Budget:
    """At most ``size`` calls at once in one event loop; the others wait, first come first served.

    Take a turn with :meth:`take`; if it returns a future, pass it to
    :meth:`wait`. Give the turn back with :meth:`give` when the call is over.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    def take(self) -> asyncio.Future[None] | None:
        """Take a turn: None if one was free, else a future done once one is handed over."""
        if self._free and not self._waiting:
            self._free -= 1
            return None
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        return turn

    def give(self) -> None:
        """Give a turn back: to the first caller still waiting, else to the free ones."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # not cancelled while it waited
                turn.set_result(None)
                return
        self._free += 1

    async def wait(self, turn: asyncio.Future[None]) -> None:
        """Wait for ``turn`` (from :meth:`take`); if cancelled, pass on a turn already handed."""
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give()
            raise
