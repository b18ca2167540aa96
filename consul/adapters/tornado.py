"""The Tornado client, on ``tornado.httpclient.AsyncHTTPClient``."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Self, TypeVar

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.simple_httpclient import HTTPTimeoutError
from tornado.iostream import StreamClosedError

from .._endpoint import Tornado
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import Config
from ..exceptions import ConsulConnectionError, Timeout
from ._drive import drive_async

T = TypeVar("T")

__all__ = ["Consul", "TornadoRunner"]

#: Tornado has no "no timeout": None means its 20 s default. This stands in
#: for "wait forever" when the client's timeout is None.
_FOREVER = 1e9

#: Requests one client runs at once; more wait in Tornado's queue, where a
#: blocking query would otherwise hold up the others (Tornado's default is 10).
MAX_CLIENTS = 100


class TornadoRunner:
    """Sends requests with a private ``AsyncHTTPClient`` made on the running loop."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._ssl: ssl.SSLContext | None = config.ssl_context()
        self._client: AsyncHTTPClient | None = None
        self._base_url = config.base_url
        self._hostname_mapping: dict[str, str] = {}
        if config.tls_server_name and config.scheme == "https":
            # Tornado verifies the certificate against the URL's host, so the
            # URL names the server name and the mapping says where it is.
            self._hostname_mapping[config.tls_server_name] = config.host
            self._base_url = self._base_url.replace(
                f"://{_host(config.host)}:", f"://{config.tls_server_name}:", 1
            )

    def _get_client(self) -> AsyncHTTPClient:
        if self._client is None:
            self._client = AsyncHTTPClient(
                force_instance=True,
                max_clients=MAX_CLIENTS,
                hostname_mapping=self._hostname_mapping,
            )
        return self._client

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        timeout = self.config.timeout
        read_timeout = request.read_timeout(timeout)
        body = request.body
        if body is None and request.method in ("PUT", "POST"):
            body = b""
        http_request = HTTPRequest(
            request.url(self._base_url),
            method=request.method,
            headers=dict(request.headers),
            body=body,
            connect_timeout=timeout or _FOREVER,
            request_timeout=(read_timeout or _FOREVER) + (timeout or 0),
            follow_redirects=False,
            decompress_response=True,
            ssl_options=self._ssl,
        )
        try:
            answer = await self._get_client().fetch(http_request, raise_error=False)
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
        except (OSError, StreamClosedError, ssl.SSLError) as exc:
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
        """Close the HTTP client and its connections."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


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
