"""The asyncio client, on ``aiohttp``."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ssl
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import IO, Any, Self, TypeVar

import aiohttp
from yarl import URL

from .._endpoint import AsyncIO, positive_int
from .._http import Flow, Request, Response, Upload
from .._stream import AsyncStream, Exchange, StreamCall
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ..exceptions import ConsulException, detached
from ..transport import AsyncTransport
from ._budget import Budget
from ._drive import drive_async
from ._loop import LoopBinding
from ._run import AsyncRunner, as_is, given_transport
from ._streams import Closing

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["AiohttpTransport", "AsyncioRunner", "Consul"]

#: Default number of calls that do not block sent at once; more wait their turn.
MAX_CONNECTIONS = 100
#: Default number of blocking queries sent at once; more wait their turn.
MAX_BLOCKING_CONNECTIONS = 100


class _Interrupted(aiohttp.ClientConnectionError):
    """A connection failed under a request that must not be sent again.

    Not one of the errors on which aiohttp sends a request again.
    """


async def _send_once(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """Middleware: a request that is not retryable fails where aiohttp would resend it.

    aiohttp sends an "idempotent" request (PUT and DELETE included) once more
    when its connection drops before the answer; Consul's PUTs and DELETEs are
    not idempotent (see :attr:`Request.retryable`). It is the middleware of
    the session of those requests only: the others pay nothing for it.
    """
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # not connected: nothing was sent, and aiohttp does not retry it
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise _Interrupted(f"{type(exc).__name__}: {exc}") from exc


class AiohttpTransport:
    """Sends requests with ``aiohttp``: two sessions on one pool, made in the first call's loop.

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
        self._ssl: ssl.SSLContext | bool = config.ssl_context() or True
        self._connections = max_connections + max_blocking_connections
        self._loop = LoopBinding("consul.aio.Consul")
        #: The loop the binding accepted: a call from it needs no other check.
        self._bound: asyncio.AbstractEventLoop | None = None
        #: The sessions of the requests that are not retryable (with the
        #: _send_once middleware) and of those that are, indexed by
        #: ``retryable``; they share one pool.
        self._sessions: tuple[aiohttp.ClientSession, aiohttp.ClientSession] | None = None
        self._budgets = (Budget(max_connections), Budget(max_blocking_connections))
        # What every call uses, made once: the time limit of the calls that do
        # not block and keep the client's timeout (the sessions' default), the
        # address, the TLS server name.
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._total = config.timeout
        self._base_url = config.base_url
        self._server_hostname = config.tls_server_name
        #: The answers being read as streams, which close() aborts.
        self._streams: set[_Opened] = set()

    def _bind(self, request: Request) -> tuple[aiohttp.ClientSession, aiohttp.ClientSession]:
        """The sessions (see ``_sessions``), made on the first call (in the client's loop)."""
        if self.closed:
            raise request.closed()
        if asyncio.get_running_loop() is not self._bound:
            self._bound = self._loop.check()
        if self._sessions is None:
            # Room for both budgets: a call waits for a turn of its budget,
            # not in the pool (where the wait would count in its timeout).
            connector: aiohttp.BaseConnector
            if self.config.unix_socket is not None:
                connector = aiohttp.UnixConnector(self.config.unix_socket, limit=self._connections)
            else:
                connector = aiohttp.TCPConnector(ssl=self._ssl, limit=self._connections)

            def session(**options: Any) -> aiohttp.ClientSession:
                # No cookies kept, as Consul's Go client keeps none (api/api.go:
                # its http.Client has no Jar), nor the other clients.
                return aiohttp.ClientSession(
                    connector=connector,
                    trust_env=False,
                    timeout=self._timeout,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    **options,
                )

            once = session(connector_owner=False, middlewares=(_send_once,))
            self._sessions = (once, session())
        return self._sessions

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        return await self._send_decoded(request, as_is)

    async def _send_decoded(self, request: Request, decode: Callable[[Response], T]) -> T:
        """Send ``request`` and return ``decode`` of the answer (see ``AsyncRunner.call``)."""
        session = self._bind(request)[request.retryable]
        budget = self._budgets[request.wait is not None]
        if (turn := budget.take()) is not None:
            await budget.wait(turn)
        try:
            if self.closed:  # while waiting for a turn
                raise request.closed()
            url = URL(request.url(self._base_url), encoded=True)
            try:
                # The fewer keywords, the cheaper aiohttp's call: the common
                # case passes none that the session has as its default.
                if (
                    request.wait is None
                    and request.timeout == self._total
                    and self._server_hostname is None
                ):
                    answer = await session.request(
                        request.method,
                        url,
                        headers=request.headers or None,
                        data=request.body,
                        allow_redirects=False,
                    )
                else:
                    answer = await session.request(
                        request.method,
                        url,
                        headers=request.headers or None,
                        data=request.body,
                        allow_redirects=False,
                        server_hostname=self._server_hostname,
                        timeout=aiohttp.ClientTimeout(total=request.time_limit()),
                    )
                content = answer.content
                if answer.connection is None and content.is_eof():
                    # The whole body came with the headers, and the connection
                    # is back in the pool (a small answer's usual case): what
                    # read() returns, without its five coroutines.
                    body = content.read_nowait()
                else:
                    # No "async with": read() closes the answer if it fails, and
                    # once it has read it all, the connection is back in the pool.
                    body = await answer.read()
            except (aiohttp.ClientError, OSError) as exc:  # TimeoutError included
                raise self._failure(request, exc) from detached(exc)
        finally:
            budget.give()
        # aiohttp's headers are case-insensitive: read where needed.
        return decode(Response(answer.status, answer.headers, body, request))

    async def open(self, request: Request) -> _Opened:
        """Send ``request``; the answer once its headers are in (a stream).

        The time limit bounds connecting, sending (an upload included) and
        the wait for the headers; the body is read with :meth:`_Opened.read`.
        Streams take no turn in the budgets: they hold their connection until
        closed.
        """
        session = self._bind(request)[request.retryable]
        stack = contextlib.ExitStack()
        try:
            headers = dict(request.headers)
            data: Any = request.body
            if request.upload is not None:
                file = stack.enter_context(request.upload.open())
                headers = Upload.headers(file, request.headers)
                data = _parts(file)
            async with asyncio.timeout(request.time_limit()):
                answer = await session.request(
                    request.method,
                    URL(request.url(self._base_url), encoded=True),
                    headers=headers,
                    data=data,
                    allow_redirects=False,
                    server_hostname=self._server_hostname,
                    timeout=_UNBOUNDED,
                )
        except BaseException as exc:
            stack.close()
            if isinstance(exc, aiohttp.ClientError | OSError):  # TimeoutError included
                raise self._failure(request, exc) from detached(exc)
            raise
        head = Response(answer.status, answer.headers, b"", request)
        opened = _Opened(self, head, answer, stack)
        self._streams.add(opened)
        return opened

    def _failure(self, request: Request, exc: Exception) -> ConsulException:
        if self.closed:
            return request.closed(under_way=True)
        if isinstance(exc, TimeoutError):
            sent = not isinstance(exc, aiohttp.ConnectionTimeoutError)
            return request.timed_out(sent=sent)
        return request.connection_failed(
            self.config.address,
            exc,
            sent=not isinstance(exc, aiohttp.ClientConnectorError),
        )

    async def close(self) -> None:
        """Close the session and its connections (in the client's loop).

        The calls under way are aborted: they, and any made afterwards, raise
        :class:`ClientClosed`.
        """
        self.closed = True
        for stream in list(self._streams):
            stream.abort()
        if self._sessions is not None:
            self._loop.check()
            (once, session), self._sessions = self._sessions, None
            await once.close()  # not its connector: the other's
            await session.close()


#: A stream's own bounds are :meth:`AiohttpTransport.open`'s and its reads'.
_UNBOUNDED = aiohttp.ClientTimeout(total=None)


async def _parts(file: IO[bytes]) -> AsyncIterator[bytes]:
    """An upload's parts, for aiohttp (a local file's reads are quick enough for the loop)."""
    for chunk in Upload.chunks(file):
        yield chunk


class _Opened(Closing):
    """An answer of :meth:`AiohttpTransport.open`, its body read part by part."""

    def __init__(
        self,
        transport: AiohttpTransport,
        head: Response,
        answer: aiohttp.ClientResponse,
        upload: contextlib.ExitStack,
    ) -> None:
        self.head = head
        self._transport = transport
        self._answer = answer
        super().__init__()
        # The upload's file stays open until the answer is done with.
        self._upload = upload

    async def read(self, idle: float | None) -> bytes:
        """The next part of the body (b"" at its end), within ``idle`` seconds."""
        request = self.head.request
        if self._aborted:
            raise request.closed(under_way=True)
        try:
            async with asyncio.timeout(idle):
                return await self._answer.content.readany()
        except (aiohttp.ClientError, OSError) as exc:  # TimeoutError included
            if self._aborted:
                raise request.closed(under_way=True) from detached(exc)
            if self.closed:
                return b""
            if isinstance(exc, TimeoutError):
                raise request.timed_out(sent=True) from detached(exc)
            raise request.connection_failed(
                self._transport.config.address, exc, sent=True
            ) from detached(exc)

    def _drop(self) -> None:
        self._answer.close()
        self._upload.close()
        self._transport._streams.discard(self)


class AsyncioRunner(AsyncRunner):
    """Runs each call as a coroutine of the caller's event loop."""

    #: The coroutine of a call: its request sent, its answer decoded. The
    #: runner's own ``call`` itself, not a method that calls it: one Python
    #: call less on every call of the client.
    run = AsyncRunner.call

    def run_flow(self, flow: Flow[T]) -> Coroutine[Any, Any, T]:
        """The coroutine that drives ``flow`` on the running loop."""
        return drive_async(flow, self.call)

    def run_stream(self, call: StreamCall[T]) -> Coroutine[Any, Any, AsyncStream[T]]:
        """The coroutine that opens ``call``'s stream: the stream, once the headers are in."""
        return self.stream(call, AsyncStream[T])

    def run_exchange(self, call: Exchange[R]) -> Coroutine[Any, Any, R]:
        """The coroutine of ``call``: its answer read into its sink; the sink's value."""
        return self.exchange(call)

    async def close(self) -> None:
        """Refuse further calls and close the transport (awaiting its ``close()``)."""
        closing = self._close_transport()
        if inspect.isawaitable(closing):
            await closing


class Consul(ConsulBase[AsyncIO]):
    """The asyncio client: every call returns a coroutine to await.

    The client belongs to the event loop of its first call (its ``aiohttp``
    session is made there); calling it on another loop raises
    :class:`~consul.exceptions.EventLoopError`: make one client per loop.
    ``async with consul.aio.Consul() as c:`` closes it on exit; otherwise
    ``await c.close()``, after which calls raise
    :class:`~consul.exceptions.ClientClosed`.

    At most ``max_connections`` (default 100) calls that do not block, and
    ``max_blocking_connections`` (default 100) blocking queries, are sent at
    once; more wait their turn, so that quick calls never queue behind long
    polls. See :class:`consul.base.ConsulBase` for the other arguments, and
    :mod:`consul.transport` for ``transport`` (an
    :class:`~consul.transport.AsyncTransport`, instead of ``aiohttp``).
    """

    _runner: AsyncioRunner

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
            given_transport(transport, "consul.aio.Consul", blocking=False)
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

    def _make_runner(self, config: Config) -> AsyncioRunner:
        return AsyncioRunner(self._transport or AiohttpTransport(config, *self._limits))

    async def close(self) -> None:
        """Close the session and its connections."""
        await self._runner.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
