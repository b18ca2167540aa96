"""The asyncio client, on ``aiohttp``."""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

import aiohttp
from yarl import URL

from .._endpoint import AsyncIO, positive_int
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ..exceptions import ConsulException, detached
from ..transport import AsyncTransport
from ._drive import drive_async
from ._loop import LoopBinding
from ._run import AsyncRunner, given_transport

T = TypeVar("T")

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
    not idempotent (see :attr:`Request.retryable`).
    """
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # not connected: nothing was sent, and aiohttp does not retry it
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise _Interrupted(f"{type(exc).__name__}: {exc}") from exc


_ONCE = (_send_once,)


class AiohttpTransport:
    """Sends requests with one ``aiohttp.ClientSession``, made in the loop of the first call.

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
        self._limits = (max_connections, max_blocking_connections)
        self._loop = LoopBinding("consul.aio.Consul")
        self._session: aiohttp.ClientSession | None = None
        self._slots: tuple[asyncio.Semaphore, asyncio.Semaphore] | None = None
        # The time limit of the calls that do not block and keep the
        # client's timeout, made once.
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)

    def _bind(self, request: Request) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        """The session and the slots of ``request``'s kind, in the client's loop."""
        if self.closed:
            raise request.closed()
        self._loop.check()
        if self._session is None or self._slots is None:
            plain, blocking = self._limits
            # Room for both budgets: a call waits on its semaphore, not in
            # the pool (where the wait would count in its timeout).
            connector: aiohttp.BaseConnector
            if self.config.unix_socket is not None:
                connector = aiohttp.UnixConnector(self.config.unix_socket, limit=plain + blocking)
            else:
                connector = aiohttp.TCPConnector(ssl=self._ssl, limit=plain + blocking)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
            self._slots = (asyncio.Semaphore(plain), asyncio.Semaphore(blocking))
        return self._session, self._slots[request.wait is not None]

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        session, slots = self._bind(request)
        async with slots:
            if self.closed:  # while waiting for a turn
                raise request.closed()
            timeout = self._timeout
            if request.wait is not None or request.timeout != timeout.total:
                timeout = aiohttp.ClientTimeout(total=request.time_limit())
            try:
                async with session.request(
                    request.method,
                    URL(request.url(self.config.base_url), encoded=True),
                    headers=dict(request.headers),
                    data=request.body,
                    allow_redirects=False,
                    server_hostname=self.config.tls_server_name,
                    timeout=timeout,
                    middlewares=() if request.retryable else _ONCE,
                ) as answer:
                    body = await answer.read()
                    return Response.build(answer.status, answer.headers.items(), body, request)
            except (aiohttp.ClientError, OSError) as exc:  # TimeoutError included
                raise self._failure(request, exc) from detached(exc)

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
        if self._session is not None:
            self._loop.check()
            session, self._session = self._session, None
            await session.close()


class AsyncioRunner(AsyncRunner):
    """Runs each call as a coroutine of the caller's event loop."""

    def run(self, call: Call[T]) -> Coroutine[Any, Any, T]:
        """The coroutine of ``call``: send its request, return the decoded value."""
        return self.result(call)

    def run_flow(self, flow: Flow[T]) -> Coroutine[Any, Any, T]:
        """The coroutine that drives ``flow`` on the running loop."""
        return drive_async(flow, self.result)

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
