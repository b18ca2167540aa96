"""The asyncio client, on ``aiohttp``."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Self, TypeVar

import aiohttp
from yarl import URL

from .._endpoint import AsyncIO
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import Config
from ..exceptions import ConsulConnectionError, Timeout
from ._drive import AsyncFlows, asyncio_future, drive_async

T = TypeVar("T")

__all__ = ["AiohttpRunner", "Consul"]


class AiohttpRunner:
    """Sends requests with one ``aiohttp.ClientSession``, made in the running loop."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._ssl: ssl.SSLContext | bool = config.ssl_context() or True
        self._session: aiohttp.ClientSession | None = None
        #: How the recipes run flows on this client (iterate, spawn, future).
        self.flows = AsyncFlows(self.run, asyncio.sleep, asyncio.ensure_future, asyncio_future)

    def _get_session(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop it belongs to.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl),
                trust_env=False,
            )
        return self._session

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        session = self._get_session()
        timeout = self.config.timeout
        try:
            async with session.request(
                request.method,
                URL(request.url(self.config.base_url), encoded=True),
                headers=dict(request.headers),
                data=request.body,
                allow_redirects=False,
                server_hostname=self.config.tls_server_name,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout,
                    sock_read=request.read_timeout(timeout),
                ),
            ) as answer:
                body = await answer.read()
                return Response.build(answer.status, answer.headers.items(), body, request)
        except TimeoutError as exc:
            raise Timeout(
                f"no answer within the timeout: {type(exc).__name__}",
                method=request.method,
                path=request.path,
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ConsulConnectionError(
                f"cannot reach {self.config.base_url}: {type(exc).__name__}",
                method=request.method,
                path=request.path,
            ) from exc

    async def run(self, call: Call[T]) -> T:
        """Send ``call``'s request and return the decoded value."""
        return call.decode(await self.send(call.request))

    def run_flow(self, flow: Flow[T]) -> Any:
        """Drive ``flow`` on the running loop (a coroutine)."""
        return drive_async(flow, self.run)

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class Consul(ConsulBase[AsyncIO]):
    """The asyncio client: every call returns a coroutine to await.

    The ``aiohttp`` session is made on the first call, inside the running
    loop; use one client per loop. ``async with consul.aio.Consul() as c:``
    closes it on exit; otherwise ``await c.close()``. See
    :class:`consul.base.ConsulBase` for the arguments.
    """

    _runner: AiohttpRunner

    def _make_runner(self, config: Config) -> AiohttpRunner:
        return AiohttpRunner(config)

    async def close(self) -> None:
        """Close the session and its connections."""
        await self._runner.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
