"""Transports: what sends a request to Consul and hands back its answer.

Every client runs its calls on a transport, an object with a
``send(request)`` method that takes a :class:`Request` and returns
its :class:`Response` (both also in ``consul``). Each client has its own (``requests``,
``aiohttp``, Tornado's or Twisted's HTTP client); ``transport=`` gives it
another, such as :class:`MockTransport`, which answers with a function of
yours, for unit tests that need no server::

    c = consul.Consul(transport=MockTransport(handler))

The client still does everything but the sending: it builds the request
(with its token, its ``dc``, the call's timeout in ``request.timeout``),
decodes the response into the method's value or exception, runs the methods
that take several requests, refuses calls after ``close()``, and logs.

This module imports nothing but the standard library and the client's core.
"""

from __future__ import annotations

import json as jsonlib
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from ._http import Request, Response

__all__ = ["AsyncTransport", "MockTransport", "Request", "Response", "Transport", "respond"]


class Transport(Protocol):
    """What the blocking and thread-pool clients send with.

    ``send`` is called in the thread of the call (a worker thread on the
    thread-pool client), for one request at a time per thread. It returns
    the answer, whatever its status: the client turns an error status into
    its exception. It raises :class:`~consul.ConsulConnectionError` or
    :class:`~consul.Timeout` for a request that got no answer (see
    :meth:`Request.connection_failed` and :meth:`Request.timed_out`), within
    ``request.time_limit()`` seconds. A ``close()`` method, if the transport
    has one, is called once by the client's.
    """

    def send(self, request: Request) -> Response:
        """Send ``request`` and return Consul's answer."""


class AsyncTransport(Protocol):
    """What the asyncio, Tornado and Twisted clients send with.

    As :class:`Transport`, but ``send`` may also return an awaitable of the
    response (an ``async def send``): a coroutine of the client's event loop
    (on Twisted, one that awaits Deferreds), run in the loop of the call. A
    ``close()`` method may return an awaitable too on the asyncio and
    Twisted clients, whose ``close()`` awaits it.
    """

    def send(self, request: Request) -> Response | Awaitable[Response]:
        """Send ``request``; Consul's answer, or an awaitable of it."""


class MockTransport:
    """A transport that answers each request with ``handler(request)``, for unit tests.

    It works with every client. ``handler`` returns a :class:`Response`
    (see :func:`respond`), or raises: a :class:`~consul.ConsulException` (a
    :class:`~consul.Timeout`, say) fails the call as a real failure would.
    Every request sent is kept in :attr:`requests`, in order, for assertions.
    """

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        #: The requests sent so far.
        self.requests: list[Request] = []
        #: Whether the client was closed.
        self.closed = False
        self._lock = threading.Lock()

    def send(self, request: Request) -> Response:
        """Record ``request`` and return ``handler(request)``."""
        with self._lock:
            self.requests.append(request)
        response = self.handler(request)
        if not isinstance(response, Response):
            raise TypeError(
                f"the mock transport's handler must return a consul.Response, "
                f"not {type(response).__name__} (see consul.transport.respond)"
            )
        return response

    def close(self) -> None:
        """Note that the client was closed."""
        self.closed = True

    def __repr__(self) -> str:
        return f"<MockTransport {self.handler!r}, {len(self.requests)} requests>"


#: The default of :func:`respond`'s ``json``: no JSON body.
_NO_JSON: Any = object()


def respond(
    request: Request,
    status: int = 200,
    *,
    json: Any = _NO_JSON,
    body: bytes | str = b"",
    index: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Consul's answer to ``request``, for a :class:`MockTransport`'s handler.

    ``json`` is sent as the JSON body (``None`` as ``null``), else ``body``
    (a ``str`` as UTF-8): for an error status, Consul's message.
    ``index`` is the ``X-Consul-Index`` that every read Consul can block on
    answers with; ``headers`` are more headers.
    """
    fields = dict(headers or {})
    if json is not _NO_JSON:
        body = jsonlib.dumps(json)
        fields.setdefault("Content-Type", "application/json")
    if index is not None:
        fields["X-Consul-Index"] = str(index)
    raw = body.encode() if isinstance(body, str) else body
    return Response.build(status, fields, raw, request)
