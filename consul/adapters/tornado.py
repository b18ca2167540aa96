"""The Tornado client, on ``tornado.simple_httpclient.SimpleAsyncHTTPClient``."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import socket
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Self, TypeVar

from tornado import simple_httpclient
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.httputil import HTTPHeaders, HTTPInputError, parse_response_start_line
from tornado.iostream import IOStream, StreamClosedError, UnsatisfiableReadError
from tornado.netutil import Resolver
from tornado.simple_httpclient import HTTPTimeoutError, SimpleAsyncHTTPClient
from tornado.tcpclient import TCPClient

from .._endpoint import Tornado, positive_int
from .._http import Call, Flow, Request, Response, Upload
from .._stream import AsyncStream, Exchange, StreamCall
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ..exceptions import (
    ClientClosed,
    ConsulException,
    EventLoopError,
    detached,
)
from ..transport import AsyncTransport
from ._budget import Budget
from ._drive import drive_async
from ._loop import LoopBinding
from ._run import AsyncRunner, as_is, given_transport
from ._streams import PushedBody

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["Consul", "TornadoRunner", "TornadoTransport"]

#: Tornado has no "no timeout": None means its 20 s default. This stands in
#: for "wait forever" when the client's timeout is None.
_FOREVER = 1e9

#: Default number of calls that do not block sent at once; more wait their
#: turn in :meth:`TornadoTransport.send`. Tornado's own queue is never used, so
#: that each request's connection is opened from the call that made it, where
#: a cancellation can find it.
MAX_CONNECTIONS = 100
#: Default number of blocking queries sent at once (each holds its connection
#: while Consul holds it).
MAX_BLOCKING_CONNECTIONS = 100

#: What a fetch raises when it gets no (complete, readable) answer: Tornado's
#: 599s, socket errors, and an answer that is not HTTP or whose headers are
#: over Tornado's 64 KB (``UnsatisfiableReadError``).
_TRANSPORT_ERRORS = (
    HTTPClientError,
    OSError,
    StreamClosedError,
    UnsatisfiableReadError,
    HTTPInputError,
)


class _Connection:
    """The connection of one request, so that a cancelled request can close it."""

    def __init__(self) -> None:
        self.stream: IOStream | None = None
        self.abandoned = False

    def opened(self, stream: IOStream) -> None:
        if self.stream is None:
            self.stream = stream
            if self.abandoned:
                stream.close()

    def abandon(self) -> None:
        self.abandoned = True
        if self.stream is not None:
            self.stream.close()


#: The connection of the request being started in this context. Tornado opens
#: a request's connection in a task made while ``fetch`` runs, which inherits
#: this context.
_CURRENT: contextvars.ContextVar[_Connection | None] = contextvars.ContextVar(
    "consul_tornado_connection", default=None
)


class _TCPClient(TCPClient):
    """Tornado's TCP client, noting each connection for the request it serves."""

    async def connect(self, *args: Any, **kwargs: Any) -> IOStream:
        stream = await super().connect(*args, **kwargs)
        connection = _CURRENT.get()
        if connection is not None:
            connection.opened(stream)
        return stream


class _UnixResolver(Resolver):
    """Resolves every host to Consul's unix socket, ``path``: Tornado then connects there."""

    def initialize(self, path: str) -> None:
        self.path = path

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        return [(socket.AF_UNIX, self.path)]


class _HTTPConnection(simple_httpclient._HTTPConnection):
    """Tornado's connection, failing its fetch when the stream breaks mid-answer.

    Tornado's ``on_connection_close`` raises the stream's error (a reset
    while the body is read) out of the reader, where it is only logged: the
    fetch would then wait for its timeout. Here the error ends the fetch.
    """

    def on_connection_close(self) -> None:
        error = self.stream.error
        if self.final_callback is not None and error is not None:
            self._handle_exception(type(error), error, error.__traceback__)
            return
        super().on_connection_close()


class _Client(SimpleAsyncHTTPClient):
    """The simple client, with the connection class above."""

    def _connection_class(self) -> type:
        return _HTTPConnection


class TornadoTransport:
    """Sends requests with a private ``SimpleAsyncHTTPClient`` made in the loop of the first call.

    At most ``max_connections`` calls that do not block, and
    ``max_blocking_connections`` blocking queries, are sent at once; the
    others wait for a turn, before their time limit starts.
    """

    def __init__(
        self,
        config: Config,
        max_connections: int = MAX_CONNECTIONS,
        max_blocking_connections: int = MAX_BLOCKING_CONNECTIONS,
    ) -> None:
        self.config = config
        self.closed = False
        self._ssl: ssl.SSLContext | None = config.ssl_context()
        self._connections = max_connections + max_blocking_connections
        self._loop = LoopBinding("consul.tornado.Consul")
        #: The loop the binding accepted: a call from it needs no other check.
        self._bound: asyncio.AbstractEventLoop | None = None
        self._client: SimpleAsyncHTTPClient | None = None
        self._budgets = (Budget(max_connections), Budget(max_blocking_connections))
        #: The connections of the calls under way, which close() aborts.
        self._inflight: set[_Connection] = set()
        #: The answers being read as streams, which close() aborts.
        self._streams: set[_Opened] = set()
        self._base_url = config.base_url
        self._hostname_mapping: dict[str, str] = {}
        if config.tls_server_name and config.scheme == "https":
            # Tornado verifies the certificate against the URL's host, so the
            # URL names the server name and the mapping says where it is.
            self._hostname_mapping[config.tls_server_name] = config.host
            self._base_url = dataclasses.replace(config, host=config.tls_server_name).base_url

    def _open(self) -> SimpleAsyncHTTPClient:
        """The HTTP client, made on the first call (in the client's loop)."""
        if self._client is None:
            # The simple client whatever AsyncHTTPClient.configure() chose:
            # hostname_mapping and the connection tracking need it. Room for
            # both budgets, so that Tornado's own queue is never used. No
            # mapping unless there is one: an empty one still wraps the
            # resolver, a call more on every connection.
            client = _Client(
                force_instance=True,
                max_clients=self._connections + 1,
                hostname_mapping=self._hostname_mapping or None,
            )
            resolver = client.resolver
            if self.config.unix_socket is not None:
                resolver = _UnixResolver(path=self.config.unix_socket)
            client.tcp_client = _TCPClient(resolver=resolver)
            self._client = client
        return self._client

    def _bind(self, request: Request) -> SimpleAsyncHTTPClient:
        """The HTTP client for ``request``, made on the first call (in the client's loop)."""
        if self.closed:
            raise request.closed()
        if asyncio.get_running_loop() is not self._bound:
            self._bound = self._loop.check()
        return self._client or self._open()

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        return await self._send_decoded(request, as_is)

    def _send_decoded(self, request: Request, decode: Callable[[Response], T]) -> asyncio.Future[T]:
        """Start sending ``request``; a future of ``decode`` of the answer.

        No task when a turn of the budget is free: the fetch starts here, and
        its own callback settles the future (see :class:`_Fetch`). Otherwise
        a task waits for the turn first.
        """
        client = self._bind(request)
        budget = self._budgets[request.wait is not None]
        turn = budget.take()
        if turn is not None:
            return asyncio.ensure_future(self._queued(request, decode, budget, turn))
        return self._fetch(client, request, decode, budget)

    async def _queued(
        self,
        request: Request,
        decode: Callable[[Response], T],
        budget: Budget,
        turn: asyncio.Future[None],
    ) -> T:
        """Wait for ``turn`` of ``budget``, then send ``request``."""
        await budget.wait(turn)
        if self.closed:  # while waiting for a turn
            budget.give()
            raise request.closed()
        return await self._fetch(self._open(), request, decode, budget)

    def _fetch(
        self,
        client: SimpleAsyncHTTPClient,
        request: Request,
        decode: Callable[[Response], T],
        budget: Budget,
    ) -> _Fetch[T]:
        """Start fetching ``request`` with a turn of ``budget`` taken; its future."""
        try:
            limit = request.time_limit() or _FOREVER
            http_request = HTTPRequest(
                request.url(self._base_url),
                method=request.method,
                headers=HTTPHeaders(dict(request.headers)) if request.headers else None,
                body=request.body,
                # A PUT without a body, a DELETE with one: Consul takes both.
                allow_nonstandard_methods=True,
                # Both count from the start of the request: the whole
                # exchange ends within the limit.
                connect_timeout=limit,
                request_timeout=limit,
                follow_redirects=False,
                decompress_response=True,
                ssl_options=self._ssl,
                # The last of the client's defaults (HTTPRequest._DEFAULTS)
                # the simple client reads: see _Fetch.
                validate_cert=True,
            )
            fetch = _Fetch(self, request, decode, budget)
            token = _CURRENT.set(fetch.connection)
            try:
                # What fetch() calls, with the callback fetch() would give it.
                client.fetch_impl(http_request, fetch.answered)
            finally:
                _CURRENT.reset(token)
        except BaseException:
            budget.give()
            raise
        self._inflight.add(fetch.connection)
        return fetch

    async def open(self, request: Request) -> _Opened:
        """Send ``request``; the answer once its headers are in (a stream).

        The time limit bounds connecting, sending (an upload included) and
        the wait for the headers; the body is read with :meth:`_Opened.read`.
        Streams take no turn in the budgets: they hold their connection until
        closed.
        """
        client = self._bind(request)
        limit = request.time_limit()
        opened = _Opened(self, request)
        headers = dict(request.headers)
        producer = None
        if request.upload is not None:
            file = opened.upload.enter_context(request.upload.open())
            headers = Upload.headers(file, request.headers)

            async def producer(write: Callable[[bytes], Awaitable[None]]) -> None:
                for chunk in Upload.chunks(file):
                    await write(chunk)

        http_request = HTTPRequest(
            request.url(self._base_url),
            method=request.method,
            headers=headers,
            body=request.body,
            # Tornado awaits whatever the producer returns.
            body_producer=producer,  # type: ignore[arg-type]
            allow_nonstandard_methods=True,
            # The headers are awaited within the limit below; the body takes
            # as long as it takes.
            connect_timeout=limit or _FOREVER,
            request_timeout=_FOREVER,
            follow_redirects=False,
            decompress_response=True,
            ssl_options=self._ssl,
            header_callback=opened.header_line,
            streaming_callback=opened.pushed,
        )
        token = _CURRENT.set(opened.connection)
        try:
            fetching = client.fetch(http_request, raise_error=False)
        finally:
            _CURRENT.reset(token)
        fetching.add_done_callback(opened.done)
        self._streams.add(opened)
        try:
            await asyncio.wait_for(asyncio.shield(opened.headed), limit)
        except BaseException as exc:
            opened.close()
            if isinstance(exc, TimeoutError):
                raise request.timed_out(sent=opened.connection.stream is not None) from None
            if isinstance(exc, _TRANSPORT_ERRORS):
                raise self._failure(request, exc, opened.connection) from detached(exc)
            raise
        return opened

    def _failure(
        self, request: Request, exc: BaseException, connection: _Connection
    ) -> ConsulException:
        if self.closed:
            return request.closed(under_way=True)
        # Once connected (TLS included), the request may have been sent.
        sent = connection.stream is not None
        if isinstance(exc, HTTPTimeoutError):
            return request.timed_out(sent=sent)
        return request.connection_failed(self.config.address, exc, sent=sent)

    def close(self) -> None:
        """Close the HTTP client, aborting the calls under way.

        Those calls, and any made afterwards, raise :class:`ClientClosed`.
        """
        self.closed = True
        for connection in list(self._inflight):
            connection.abandon()
        for stream in list(self._streams):
            stream.abort()
        if self._client is not None:
            self._client.close()
            self._client = None


class _Fetch(asyncio.Future[T]):
    """A request under way, and the future of its decoded answer.

    ``SimpleAsyncHTTPClient.fetch`` hands its answer over through a future
    of its own: awaiting it costs a turn of the event loop more than being
    called back, and a call cancelled while it waits must not cancel it
    (Tornado then logs the error the closed connection ends the fetch
    with). So the transport calls the client's ``fetch_impl`` (what
    ``fetch`` calls) with :meth:`answered` as the callback, which settles
    this future; cancelling the future closes the connection. (Like
    ``_HTTPConnection`` above, ``fetch_impl`` is not in Tornado's
    documentation; nothing documented calls back when a fetch ends.)

    ``fetch`` also wraps the request in a proxy that reads the client's
    defaults for the attributes left unset, a Python call on each of the
    fifty or so reads of a fetch: the transport's request sets every
    default that applies to it.
    """

    def __init__(
        self,
        transport: TornadoTransport,
        request: Request,
        decode: Callable[[Response], T],
        budget: Budget,
    ) -> None:
        super().__init__()
        self._transport = transport
        self._request = request
        self._decode = decode
        self._budget: Budget | None = budget
        self.connection = _Connection()

    def _release(self) -> bool:
        """Give the call's turn back; False if it was already."""
        budget = self._budget
        if budget is None:
            return False
        self._budget = None
        budget.give()
        self._transport._inflight.discard(self.connection)
        return True

    def answered(self, response: HTTPResponse) -> None:
        """Tornado's callback: the fetch is over."""
        if not self._release():
            return  # cancelled
        request = self._request
        error = response.error
        try:
            # An error status is an answer (``fetch(raise_error=False)``):
            # its error holds the response. Others are the fetch's failure.
            if error is not None and (
                not isinstance(error, HTTPClientError) or error.response is not response
            ):
                failure = self._transport._failure(request, error, self.connection)
                failure.__cause__ = detached(error)
                self.set_exception(failure)
                return
            # Tornado's headers are case-insensitive: read where needed.
            answer = Response(response.code, response.headers, response.body or b"", request)
            self.set_result(self._decode(answer))
        except Exception as exc:  # noqa: BLE001 - the call's outcome, whatever it is
            self.set_exception(exc)

    def cancel(self, msg: Any | None = None) -> bool:
        """Cancel the call: its connection is closed."""
        if not super().cancel(msg):
            return False
        if self._release():
            self.connection.abandon()
        return True


class _Opened(PushedBody):
    """An answer of :meth:`TornadoTransport.open`: Tornado's callbacks fill it.

    ``header_callback`` gives the status line and the headers, then a line
    break: the head is in. ``streaming_callback`` gives the body's parts;
    the fetch's end (or failure) ends the body.
    """

    def __init__(self, transport: TornadoTransport, request: Request) -> None:
        super().__init__(transport.config.address)
        self._transport = transport
        self.connection = _Connection()
        #: The upload's file, open until the answer is done with.
        self.upload = contextlib.ExitStack()
        self.headed: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.head = Response(0, (), b"", request)
        self._status = 0
        self._headers = HTTPHeaders()
        self._ready = asyncio.Event()

    def header_line(self, line: str) -> None:
        if self.headed.done():
            return
        if not self._status:
            self._status = parse_response_start_line(line.strip()).code
        elif line.strip():
            self._headers.parse_line(line)
        else:
            self.head = Response.build(
                self._status, self._headers.get_all(), b"", self.head.request
            )
            self.headed.set_result(self.head)

    def done(self, fetching: asyncio.Future[Any]) -> None:
        error = None if fetching.cancelled() else fetching.exception()
        self.finished(error)
        if not self.headed.done():
            self.headed.set_exception(error or StreamClosedError())
            # Retrieved here too: open() may have stopped waiting (a timeout).
            self.headed.exception()

    async def _wait(self, idle: float | None) -> None:
        self._ready.clear()
        await asyncio.wait_for(self._ready.wait(), idle)

    def _wake(self) -> None:
        self._ready.set()

    def _drop(self) -> None:
        self.connection.abandon()
        self.upload.close()
        self._transport._streams.discard(self)


class TornadoRunner(AsyncRunner):
    """Starts each call on the running loop (the loop of the client's first call).

    A call on the client's own transport is the future of its fetch, started
    at once (see :class:`_Fetch`; a task if it must wait for a turn of its
    budget); any other call is a task.
    """

    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)
        self._loop = LoopBinding("consul.tornado.Consul")

    def _start(self, work: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        try:
            loop = self._check()
        except (ClientClosed, EventLoopError):
            work.close()  # never started: no "never awaited" warning
            raise
        return loop.create_task(work)

    def _check(self) -> asyncio.AbstractEventLoop:
        if self.closed:
            raise ClientClosed("the client was closed")
        return self._loop.check()

    def run(self, call: Call[T]) -> asyncio.Future[T]:
        """Start ``call`` on the running loop; a Future of its value."""
        loop = self._check()
        work = self.call(call)
        # The transport's own future (see TornadoTransport._send_decoded), or a coroutine.
        if isinstance(work, asyncio.Future):
            return work
        return loop.create_task(work)  # type: ignore[arg-type]

    def run_flow(self, flow: Flow[T]) -> asyncio.Future[T]:
        """Start ``flow`` on the running loop; a Future of its result."""
        return self._start(drive_async(flow, self.call))

    def run_stream(self, call: StreamCall[T]) -> asyncio.Future[AsyncStream[T]]:
        """Start opening ``call``'s stream; a Future of the stream (an async iterator)."""
        return self._start(self.stream(call, AsyncStream[T]))

    def run_exchange(self, call: Exchange[R]) -> asyncio.Future[R]:
        """Start ``call``; a Future of its sink's value."""
        return self._start(self.exchange(call))

    def close(self) -> None:
        """Refuse further calls and close the transport (its ``close()`` must not be async)."""
        self._close_transport()


class Consul(ConsulBase[Tornado]):
    """The Tornado client: every call returns a Future.

    Await it in a native coroutine, or ``yield`` it in a ``gen.coroutine``.
    The client belongs to the event loop (IOLoop) of its first call; a call
    with no loop running, or on another loop, raises
    :class:`~consul.exceptions.EventLoopError`. ``with`` and ``async with``
    close it on exit; otherwise call :meth:`close`, after which calls raise
    :class:`~consul.exceptions.ClientClosed`.

    At most ``max_connections`` (default 100) calls that do not block, and
    ``max_blocking_connections`` (default 100) blocking queries, are sent at
    once; more wait their turn, so that quick calls never queue behind long
    polls. See :class:`consul.base.ConsulBase` for the other arguments, and
    :mod:`consul.transport` for ``transport`` (an
    :class:`~consul.transport.AsyncTransport`, instead of Tornado's client).
    """

    _runner: TornadoRunner

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        token: str | None = None,
        scheme: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        verify: bool | str | None = None,
        cert: Cert | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        token_file: str | None = None,
        tls_server_name: str | None = None,
        http_auth: str | tuple[str, str] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        max_blocking_connections: int = MAX_BLOCKING_CONNECTIONS,
        transport: AsyncTransport | None = None,
    ) -> None:
        if transport is not None:
            given_transport(transport, "consul.tornado.Consul", blocking=False)
        self._transport = transport
        self._limits = (
            positive_int(max_connections, "max_connections"),
            positive_int(max_blocking_connections, "max_blocking_connections"),
        )
        super().__init__(
            host,
            port,
            token,
            scheme,
            consistency,
            dc,
            verify,
            cert,
            timeout=timeout,
            token_file=token_file,
            tls_server_name=tls_server_name,
            http_auth=http_auth,
        )

    def _make_runner(self, config: Config) -> TornadoRunner:
        return TornadoRunner(self._transport or TornadoTransport(config, *self._limits))

    def close(self) -> None:
        """Close the HTTP client and its connections, aborting the calls under way."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
