"""How a client runs a call on its transport, on any of the five loops.

A runner owns what every client does around the sending: it refuses calls
once closed, hands the request to the transport (its own, or one given with
``transport=``), logs it when ``DEBUG`` is on (see :mod:`consul._log`),
decodes the answer and drives flows. The blocking runner
serves the blocking and thread-pool clients; :class:`AsyncRunner` is the
part the asyncio, Tornado and Twisted runners share.
"""

from __future__ import annotations

import inspect
import time
from typing import Any, TypeVar

from .. import _log
from .._http import Call, Flow, Request, Response
from .._log import DEBUG, LOG
from ..transport import AsyncTransport, Transport
from ._drive import drive

T = TypeVar("T")

__all__ = ["AsyncRunner", "BlockingRunner", "given_transport"]


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

    def run(self, call: Call[T]) -> T:
        """Send ``call``'s request and return the decoded value."""
        request = call.request
        if self.closed:
            raise request.closed()
        if LOG.isEnabledFor(DEBUG):
            return call.result(self._logged(request))
        return call.result(self.transport.send(request))

    def _logged(self, request: Request) -> Response:
        since = _log.started()
        try:
            response = self.transport.send(request)
        except Exception as exc:
            _log.failed(request, exc, since)
            raise
        _log.answered(request, response, since)
        return response

    def run_flow(self, flow: Flow[T]) -> T:
        """Drive ``flow`` in this thread."""
        return drive(flow, self.run, time.sleep)

    def close(self) -> None:
        """Refuse further calls and close the transport (if it can be closed)."""
        self.closed = True
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()


class AsyncRunner:
    """What the asyncio, Tornado and Twisted runners share: a call as a coroutine."""

    def __init__(self, transport: AsyncTransport) -> None:
        self.transport = transport
        self.closed = False

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

    def _close_transport(self) -> Any:
        """Refuse further calls and close the transport; what its ``close()`` returned."""
        self.closed = True
        close = getattr(self.transport, "close", None)
        return None if close is None else close()
