"""What each client's calls return, as type checkers see it.

Checked by ``mypy --strict`` (and pyright) over this directory, never run:
one endpoint method returns a value on ``consul.Consul``, a
``concurrent.futures.Future`` on ``consul.threadpool.Consul``, a coroutine on
``consul.aio.Consul``, an asyncio ``Future`` on ``consul.tornado.Consul`` and a
``Deferred`` on ``consul.twisted.Consul``. A ``type: ignore`` marks a line that
must be an error (mypy's ``warn_unused_ignores`` fails if it is not).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, assert_type

from twisted.internet.defer import Deferred

import consul
import consul.aio
import consul.base
import consul.std
import consul.threadpool
import consul.tornado
import consul.twisted
from consul.api.acl import ACLToken
from consul.api.kv import KVPair
from consul.transport import MockTransport, respond

Entry = tuple[int, KVPair | None]


def blocking() -> None:
    with consul.Consul(host="consul", port=8501, scheme="https", verify="/ca.pem") as c:
        assert_type(c, consul.Consul)
        assert_type(c.kv.get("k"), Entry)
        assert_type(c.kv.get("k", index=3, wait="10s", consistency="stale"), Entry)
        assert_type(c.kv.list("prefix/"), tuple[int, list[KVPair]])
        assert_type(c.kv.keys("prefix/", separator="/"), tuple[int, list[str]])
        assert_type(c.kv.put("k", b"v", cas=0), bool)
        assert_type(c.kv.delete("k"), bool)
        assert_type(c.status.leader(), str)
        assert_type(c.status.peers(), list[str])
        c.kv.get(1)  # type: ignore[arg-type]
        c.kv.get("k", recurse=True)  # type: ignore[arg-type]
        c.kv.put("k", 3)  # type: ignore[arg-type]
        c.kv.get("k", bogus=1)  # type: ignore[call-arg]
        # A call's own timeout: seconds or None, by keyword only.
        assert_type(c.kv.get("k", timeout=2.5), Entry)
        assert_type(c.kv.put("k", b"v", timeout=None), bool)
        assert_type(c.status.leader(timeout=1), str)
        assert_type(c.acl.token.list(timeout=3), list[ACLToken])
        c.kv.get("k", timeout="5s")  # type: ignore[arg-type]
        # The registers keep python-consul's timeout (a check's).
        registered = c.agent.service.register(
            "web", http="http://127.0.0.1/health", interval="10s", timeout="1s", call_timeout=5
        )
        assert_type(registered, bool)
        c.agent.check.register("up", ttl="10s", call_timeout="5s")  # type: ignore[arg-type]


def blocking_at_python_consuls_path() -> None:
    c = consul.std.Consul()
    assert_type(c, consul.Consul)
    assert_type(c.kv.get("k"), Entry)
    c.token = "new"
    c.dc = None
    c.consistency = "stale"
    c.token = 3  # type: ignore[assignment]


class OwnHTTP(consul.base.Consul):
    def http_connect(
        self, host: str, port: int, scheme: str, verify: bool | str = True, cert: Any = None
    ) -> consul.std.HTTPClient:
        return consul.std.HTTPClient(host, port, scheme, verify, cert)


def callback_protocol() -> None:
    # What a call returns is what the http object returns: unknown to checkers.
    c = OwnHTTP(token="t")
    assert_type(c.kv.get("k"), Any)
    assert_type(c.kv.get("k", timeout=1.0), Any)
    assert_type(c.http, Any)
    c.kv.get(1)  # type: ignore[arg-type]
    assert_type(consul.base.CB.json(index=True), Callable[[consul.base.Response], Any])


def thread_pool() -> None:
    with consul.threadpool.Consul(max_workers=4, max_blocking_workers=8, timeout=None) as c:
        assert_type(c.kv.get("k"), concurrent.futures.Future[Entry])
        assert_type(c.kv.put("k", "v"), concurrent.futures.Future[bool])
        assert_type(c.status.leader().result(), str)
        assert_type(c.kv.get("k", timeout=None), concurrent.futures.Future[Entry])


async def asyncio_client() -> None:
    async with consul.aio.Consul(cert=("/c.pem", "/k.pem"), max_connections=50) as c:
        assert_type(c, consul.aio.Consul)
        pending = assert_type(c.kv.get("k"), Coroutine[Any, Any, Entry])
        assert_type(await pending, Entry)
        assert_type(await c.kv.put("k", "v"), bool)
        assert_type(await c.status.peers(), list[str])
        assert_type(await c.kv.get("k", timeout=0.5), Entry)
    assert_type(await c.close(), None)


async def tornado_client() -> None:
    c = consul.tornado.Consul(token="t", dc="dc2", max_blocking_connections=20)
    assert_type(c.kv.get("k"), asyncio.Future[Entry])
    assert_type(await c.kv.get("k"), Entry)
    assert_type(await c.kv.delete("k", recurse=True), bool)
    assert_type(c.kv.get("k", timeout=2), asyncio.Future[Entry])
    assert_type(c.close(), None)
    with consul.tornado.Consul() as managed:
        assert_type(managed, consul.tornado.Consul)
    async with consul.tornado.Consul(max_connections=10) as managed:
        assert_type(managed, consul.tornado.Consul)


def twisted_client() -> None:
    c = consul.twisted.Consul(tls_server_name="server.dc1.consul", http_auth=("u", "p"))
    assert_type(c.kv.get("k"), Deferred[Entry])
    assert_type(c.kv.put("k", b"v"), Deferred[bool])
    assert_type(c.status.leader(), Deferred[str])
    assert_type(c.status.leader(timeout=2), Deferred[str])
    assert_type(c.close(), Deferred[None])


async def twisted_coroutine() -> None:
    async with consul.twisted.Consul() as c:
        assert_type(await c.kv.get("k"), Entry)


def errors() -> None:
    try:
        consul.Consul().kv.get("k")
    except consul.Timeout as exc:
        assert_type(exc.status, int | None)
    except (consul.ClientClosed, consul.EventLoopError, consul.InvalidResponse) as exc:
        assert_type(exc.method, str | None)
    except consul.ConsulException as exc:
        assert_type(exc.message, str)
        assert_type(exc.path, str | None)


class AsyncSend:
    async def send(self, request: consul.Request) -> consul.Response:
        return respond(request, json=True)


def transports() -> None:
    mock = MockTransport(lambda request: respond(request, json=True, index=3))
    with consul.Consul(transport=mock) as c:
        assert_type(c.kv.put("k", "v"), bool)
        assert_type(mock.requests, list[consul.Request])
    consul.threadpool.Consul(transport=mock)
    consul.aio.Consul(transport=mock)
    consul.tornado.Consul(transport=mock)
    consul.twisted.Consul(transport=mock)
    consul.aio.Consul(transport=AsyncSend())
    consul.twisted.Consul(transport=AsyncSend())
    consul.Consul(transport=AsyncSend())  # type: ignore[arg-type]
    MockTransport(lambda request: None)  # type: ignore[arg-type,return-value]
