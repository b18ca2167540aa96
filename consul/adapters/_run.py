"""How a client runs a call on its transport, on any of the five loops.

A runner owns what every client does around the sending: it refuses calls
once closed, hands the request to the transport (its own, or one given with
``transport=``), logs it when ``DEBUG`` is on (see :mod:`consul._log`),
decodes the answer and drives flows. The blocking runner
serves the blocking and thread-pool clients; :class:`AsyncRunner` is the
part the asyncio, Tornado and Twisted runners share.

Each runner's ``flows`` is how the recipes run theirs (see
:mod:`consul._flows`): iterated over, or in the background, until stopped.
A stop aborts the request in flight where the transport allows it: a
blocking transport with a ``fork()`` method (the ``requests`` one) gives
each such flow a transport of its own, which the stop closes; on another,
a stop takes effect once the request in flight has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from .. import _log
from .._http import Call, Flow, Request, Response
from .._log import DEBUG, LOG
from .._stream import AsyncOpened, AsyncStream, Exchange, Stream, StreamCall
from ..transport import AsyncTransport, Transport
from ._drive import AsyncFlows, Cancellable, Stopper, ThreadFlows, asyncio_future, drive
from ._streams import exchange, exchange_async, open_stream, open_stream_async

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound=AsyncStream[Any])

__all__ = ["AsyncRunner", "BlockingRunner", "as_is", "given_transport"]


def given_transport(transport: Any, client: str, *, blocking: bool) -> Any:
    """Check a ``transport=`` argument when the client is built; returns it.

    A blocking client needs a ``send`` that returns the response, not a
    coroutine: it would otherwise fail at every call.
    """
    send = getattr(transport, "send", None)
    if not callable(send):
        raise TypeError(
            f"transport must have a send(request) method, not be a {type(transport).__name__}"
        )
    if blocking and inspect.iscoroutinefunction(send):
        raise TypeError(
            f"{client} needs a transport whose send() returns the response: this one's "
            "is a coroutine function (use it with consul.aio.Consul)"
        )
    return transport


class BlockingRunner:
    """Runs each call in the calling thread, on a blocking transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.closed = False
        #: How the recipes run flows on this client (iterate, spawn, future).
        self.flows = ThreadFlows(self.run, self._open_stoppable)
        #: The transports of the flows that can be stopped (see _open_stoppable).
        self._forks: set[Any] = set()

    def run(self, call: Call[T], transport: Transport | None = None) -> T:
        """Send ``call``'s request on ``transport`` (the runner's by default); the value."""
        request = call.request
        if self.closed:
            raise request.closed()
        if transport is None:
            transport = self.transport
        if LOG.isEnabledFor(DEBUG):
            return call.result(self._logged(transport, request))
        return call.result(transport.send(request))

    def _logged(self, transport: Transport, request: Request) -> Response:
        since = _log.started()
        try:
            response = transport.send(request)
        except Exception as exc:
            _log.failed(request, exc, since)
            raise
        _log.answered(request, response, since)
        return response

    def run_flow(self, flow: Flow[T]) -> T:
        """Drive ``flow`` in this thread."""
        return drive(flow, self.run, time.sleep)

    @contextlib.contextmanager
    def _open_stoppable(self, stopper: Stopper) -> Iterator[Callable[[Call[Any]], Any]]:
        """How a flow that ``stopper`` may stop sends its calls.

        On a transport of its own (the transport's ``fork()``), which the
        stop closes, aborting the call under way with no risk of cutting a
        pooled connection another call has taken meanwhile; the calls the
        flow makes to clean up, once told, get a new one.
        """
        fork = getattr(self.transport, "fork", None)
        if fork is None:
            yield self.run  # the stop takes effect between two calls
            return
        forks: list[Any] = []

        def run(call: Call[Any]) -> Any:
            if self.closed:
                raise call.request.closed()
            if not forks or forks[-1].closed:
                forks.append(fork())
                self._forks.add(forks[-1])
            transport = forks[-1]
            stopper.abortable(transport.close)
            try:
                return self.run(call, transport)
            finally:
                stopper.settled()

        try:
            yield run
        finally:
            for transport in forks:
                transport.close()
                self._forks.discard(transport)

    def run_stream(self, call: StreamCall[T]) -> Stream[T]:
        """Open ``call``'s stream in this thread; returns once the answer's headers are in."""
        if self.closed:
            raise call.request.closed()
        return open_stream(self.transport, call)

    def run_exchange(self, call: Exchange[R]) -> R:
        """Run ``call`` in this thread: its answer read into its sink; the sink's value."""
        if self.closed:
            raise call.request.closed()
        return exchange(self.transport, call)

    def close(self) -> None:
        """Refuse further calls, stop the recipes' flows, close the transport (if it can be)."""
        self.closed = True
        self.flows.close()
        for fork in list(self._forks):
            fork.close()
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()


def as_is(response: Response) -> Response:
    """The answer itself: what a transport's ``send`` makes of ``_send_decoded``'s answer."""
    return response


class AsyncRunner:
    """What the asyncio, Tornado and Twisted runners share: a call as a coroutine."""

    def __init__(self, transport: AsyncTransport) -> None:
        self.transport = transport
        self.closed = False
        #: The library's own transports send a request and decode its answer
        #: in one coroutine (``_send_decoded``): a call is then one coroutine,
        #: not this runner's around the transport's.
        self._send_decoded: Callable[[Request, Callable[[Response], Any]], Awaitable[Any]] | None
        self._send_decoded = None
        if hasattr(type(transport), "_send_decoded"):
            self._send_decoded = transport._send_decoded  # type: ignore[attr-defined]
        #: How the recipes run flows on this client (iterate, spawn, future).
        self.flows = AsyncFlows(self.call, self._sleep, self._step, self._future)

    # How flows wait, run a step they may cancel, and make a future: asyncio's,
    # unless the runner's loop has its own (Twisted's reactor).
    def _sleep(self, seconds: float) -> Awaitable[None]:
        return asyncio.sleep(seconds)

    def _step(self, work: Awaitable[Any]) -> Cancellable:
        return asyncio.ensure_future(work)

    def _future(self) -> tuple[Any, Callable[[Any, BaseException | None], None]]:
        return asyncio_future()

    def call(self, call: Call[T]) -> Awaitable[T]:
        """The awaitable of ``call``: its request sent, its answer decoded.

        The transport's own ``_send_decoded`` awaitable if it has one (unless
        the client is closed, or the call is to be logged), else :meth:`result`.
        """
        send_decoded = self._send_decoded
        if send_decoded is None or self.closed or LOG.isEnabledFor(DEBUG):
            return self.result(call)
        return send_decoded(call.request, call.result)

    async def result(self, call: Call[T]) -> T:
        """Send ``call``'s request (awaiting the transport if it must) and decode the answer."""
        request = call.request
        if self.closed:
            raise request.closed()
        if LOG.isEnabledFor(DEBUG):
            return call.result(await self._logged(request))
        response = self.transport.send(request)
        if not isinstance(response, Response):
            response = await response
        return call.result(response)

    async def _logged(self, request: Request) -> Response:
        since = _log.started()
        try:
            response = self.transport.send(request)
            if not isinstance(response, Response):
                response = await response
        except Exception as exc:
            _log.failed(request, exc, since)
            raise
        _log.answered(request, response, since)
        return response

    async def stream(
        self, call: StreamCall[Any], make: Callable[[AsyncOpened, Any, float | None], S]
    ) -> S:
        """Open ``call``'s stream; ``make`` builds it from the opened answer."""
        if self.closed:
            raise call.request.closed()
        return await open_stream_async(self.transport, call, make)

    async def exchange(self, call: Exchange[R]) -> R:
        """Run ``call``: its answer read into its sink; the sink's value."""
        if self.closed:
            raise call.request.closed()
        return await exchange_async(self.transport, call)

    def _close_transport(self) -> Any:
        """Refuse further calls, stop the recipes' flows, close the transport.

        Returns what the transport's ``close()`` returned.
        """
        self.closed = True
        self.flows.close()
        close = getattr(self.transport, "close", None)
        return None if close is None else close()
