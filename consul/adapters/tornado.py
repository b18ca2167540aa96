"""The Tornado client, on ``tornado.simple_httpclient.SimpleAsyncHTTPClient``."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import ssl
from typing import Any, Self, TypeVar

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.iostream import IOStream, StreamClosedError
from tornado.simple_httpclient import HTTPTimeoutError, SimpleAsyncHTTPClient
from tornado.tcpclient import TCPClient

from .._endpoint import Tornado
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import Config
from ..exceptions import ConsulConnectionError, Timeout
from ._drive import AsyncFlows, asyncio_future, drive_async

T = TypeVar("T")

__all__ = ["Consul", "TornadoRunner"]

#: Tornado has no "no timeout": None means its 20 s default. This stands in
#: for "wait forever" when the client's timeout is None.
_FOREVER = 1e9

#: Requests one client runs at once; more wait their turn in :meth:`send`
#: (a blocking query holds its slot while it waits). Tornado's own queue is
#: never used, so that each request's connection is opened from the call that
#: made it, where a cancellation can find it.
MAX_CLIENTS = 100


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


class TornadoRunner:
    """Sends requests with a private ``SimpleAsyncHTTPClient`` made on the running loop."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._ssl: ssl.SSLContext | None = config.ssl_context()
        self._client: SimpleAsyncHTTPClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._base_url = config.base_url
        self._hostname_mapping: dict[str, str] = {}
        if config.tls_server_name and config.scheme == "https":
            # Tornado verifies the certificate against the URL's host, so the
            # URL names the server name and the mapping says where it is.
            self._hostname_mapping[config.tls_server_name] = config.host
            self._base_url = dataclasses.replace(config, host=config.tls_server_name).base_url
        #: How the recipes run flows on this client (iterate, spawn, future).
        self.flows = AsyncFlows(self._run, asyncio.sleep, asyncio.ensure_future, asyncio_future)

    def _get_client(self) -> tuple[SimpleAsyncHTTPClient, asyncio.Semaphore]:
        if self._client is None or self._slots is None:
            # The simple client whatever AsyncHTTPClient.configure() chose:
            # hostname_mapping and the connection tracking need it.
            client = SimpleAsyncHTTPClient(
                force_instance=True,
                max_clients=MAX_CLIENTS + 1,
                hostname_mapping=self._hostname_mapping,
            )
            client.tcp_client = _TCPClient(resolver=client.resolver)
            self._client, self._slots = client, asyncio.Semaphore(MAX_CLIENTS)
        return self._client, self._slots

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        timeout = self.config.timeout
        read_timeout = request.read_timeout(timeout)
        http_request = HTTPRequest(
            request.url(self._base_url),
            method=request.method,
            headers=dict(request.headers),
            body=request.body,
            # A PUT without a body, a DELETE with one: Consul takes both.
            allow_nonstandard_methods=True,
            connect_timeout=timeout or _FOREVER,
            request_timeout=(read_timeout or _FOREVER) + (timeout or 0),
            follow_redirects=False,
            decompress_response=True,
            ssl_options=self._ssl,
        )
        client, slots = self._get_client()
        async with slots:
            connection = _Connection()
            token = _CURRENT.set(connection)
            try:
                fetching = client.fetch(http_request, raise_error=False)
            finally:
                _CURRENT.reset(token)
            try:
                # Shielded: a cancelled call closes its connection, which
                # ends the fetch with an error nobody needs to hear about.
                answer = await asyncio.shield(fetching)
            except asyncio.CancelledError:
                connection.abandon()
                fetching.add_done_callback(_ignore_outcome)
                raise
            except HTTPTimeoutError as exc:
                raise Timeout(
                    f"no answer within the timeout: {exc}",
                    method=request.method,
                    path=request.path,
                ) from exc
            except HTTPClientError as exc:
                # Tornado's other 599s (HTTPStreamClosedError: the server hung
                # up, as a TLS server does on a refused client certificate).
                raise ConsulConnectionError(
                    f"cannot reach {self.config.base_url}: {exc}",
                    method=request.method,
                    path=request.path,
                ) from exc
            except (OSError, StreamClosedError) as exc:
                raise ConsulConnectionError(
                    f"cannot reach {self.config.base_url}: {type(exc).__name__}",
                    method=request.method,
                    path=request.path,
                ) from exc
        return Response.build(answer.code, answer.headers.get_all(), answer.body or b"", request)

    async def _run(self, call: Call[T]) -> T:
        return call.decode(await self.send(call.request))

    def run(self, call: Call[T]) -> asyncio.Future[T]:
        """Start ``call`` on the running loop; a Future of its value."""
        return asyncio.ensure_future(self._run(call))

    def run_flow(self, flow: Flow[T]) -> asyncio.Future[T]:
        """Start ``flow`` on the running loop; a Future of its result."""
        return asyncio.ensure_future(drive_async(flow, self._run))

    def close(self) -> None:
        """Close the HTTP client (Tornado keeps no idle connections)."""
        if self._client is not None:
            self._client.close()
            self._client = self._slots = None


def _ignore_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class Consul(ConsulBase[Tornado]):
    """The Tornado client: every call returns a Future.

    Await it in a native coroutine, or ``yield`` it in a ``gen.coroutine``.
    Calls must be made on the running IOLoop. Call :meth:`close` when done.
    See :class:`consul.base.ConsulBase` for the arguments.
    """

    _runner: TornadoRunner

    def _make_runner(self, config: Config) -> TornadoRunner:
        return TornadoRunner(config)

    def close(self) -> None:
        """Close the HTTP client and its connections."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
