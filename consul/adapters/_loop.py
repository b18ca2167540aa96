"""The event loop a loop-bound client (asyncio, Tornado) belongs to.

Such a client keeps things that belong to one loop (an aiohttp session, a
Tornado HTTP client, semaphores): it binds to the loop of its first call and
refuses, clearly, to be called with no loop running or on another loop.
Re-creating its connections on the new loop instead would leave the old
ones open on a loop that can no longer close them.
"""

from __future__ import annotations

import asyncio

from ..exceptions import EventLoopError


class LoopBinding:
    """The loop of a client's first call; ``client`` names the client in errors."""

    def __init__(self, client: str) -> None:
        self._client = client
        self._loop: asyncio.AbstractEventLoop | None = None

    def check(self) -> asyncio.AbstractEventLoop:
        """The running loop, once it is known to be the client's; else EventLoopError."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise EventLoopError(
                f"{self._client} was called with no event loop running: "
                "call it from a coroutine or a callback of the running loop"
            ) from None
        if loop is not self._loop:
            if self._loop is not None:
                state = "now closed" if self._loop.is_closed() else "still open"
                raise EventLoopError(
                    f"{self._client} belongs to the event loop of its first call "
                    f"({state}) and cannot be used on another: make one client per "
                    "event loop (with pytest-asyncio, one per test or a fixture of "
                    "the loop's scope)"
                )
            self._loop = loop
        return loop
