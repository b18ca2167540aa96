"""Run any of the five clients from a plain (blocking) test.

A test is written once against :class:`Sync`, which runs each call to
completion in the client's own loop: directly for the blocking client, on its
pool for the thread-pool client, on an asyncio loop thread for the aiohttp and
Tornado clients, and on a reactor thread for the Twisted client. ``.start``
begins a call without waiting and returns a ``concurrent.futures.Future``, for
tests that need two things at once (a blocking query and the write that wakes
it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

#: Seconds a test waits for any single call before failing.
CALL_TIMEOUT = 30.0

ADAPTERS = ("std", "threadpool", "aio", "tornado", "twisted")

#: The five, and python-consul's way: ``consul.base.Consul`` on an ``http``
#: object (``consul.std.HTTPClient``), for the endpoint tests.
ENDPOINT_ADAPTERS = (*ADAPTERS, "callback")


class Loop:
    """Runs callables somewhere and hands back a concurrent Future of the result."""

    def clock(self) -> float:
        """The time on the clock the client's timers keep (to measure a timeout against)."""
        return time.monotonic()

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop the loop (if it has one)."""


class Inline(Loop):
    """The blocking client: run in a worker thread so ``.start`` can overlap."""

    def __init__(self) -> None:
        self.pool = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="test-std")

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        return self.pool.submit(fn)

    def close(self) -> None:
        self.pool.shutdown()


class Futures(Loop):
    """The thread-pool client: its calls return futures already."""

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        result = fn()
        if isinstance(result, concurrent.futures.Future):
            return result
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()
        done.set_result(result)
        return done


class AsyncioThread(Loop):
    """An asyncio loop on a thread (the aiohttp and Tornado clients)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-asyncio")
        self.thread.start()

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        async def call() -> Any:
            result = fn()
            if inspect.isawaitable(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(call(), self.loop)

    def close(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        asyncio.run_coroutine_threadsafe(drain(), self.loop).result(CALL_TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class ReactorThread(Loop):
    """Twisted's global reactor on a thread."""

    def __init__(self) -> None:
        from twisted.internet import reactor

        self.reactor: Any = reactor
        self.thread = threading.Thread(
            target=self.reactor.run,
            kwargs={"installSignalHandlers": False},
            name="test-reactor",
        )
        self.thread.start()

    def clock(self) -> float:
        """The reactor's time: the wall clock (``time.time``), not ``time.monotonic``.

        A Twisted timer of so many seconds fires once the wall clock has
        moved on that far; measured on the monotonic clock, it may fire a few
        ms early when the wall clock is stepped (as time sync does).
        """
        return float(self.reactor.seconds())

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        from twisted.internet import defer

        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def call() -> None:
            d = defer.maybeDeferred(fn)
            # A coroutine function (a test's ``async def``) runs as Twisted runs them.
            d.addCallback(lambda r: defer.ensureDeferred(r) if inspect.iscoroutine(r) else r)
            d.addCallbacks(future.set_result, lambda f: future.set_exception(f.value))

        self.reactor.callFromThread(call)
        return future

    def close(self) -> None:
        self.reactor.callFromThread(self.reactor.stop)
        self.thread.join()


class Sync:
    """A client (or one of its groups) whose calls block until they finish."""

    def __init__(self, target: Any, loop: Loop, *, start: bool = False) -> None:
        self._target = target
        self._loop = loop
        self._start = start

    @property
    def start(self) -> Sync:
        """The same object, but calls return a Future instead of waiting."""
        return Sync(self._target, self._loop, start=True)

    @property
    def unwrapped(self) -> Any:
        """The wrapped client or group itself."""
        return self._target

    @property
    def loop(self) -> Loop:
        """The loop the client's calls run in."""
        return self._loop

    def wrap(self, target: Any) -> Sync:
        """``target`` (a recipe's handle of this client) run as the client's calls run."""
        return Sync(target, self._loop, start=self._start)

    def settle(self, value: Any) -> Any:
        """Wait for a future of the client's loop (concurrent, asyncio or Deferred)."""
        if isinstance(value, concurrent.futures.Future):
            return value.result(CALL_TIMEOUT)
        return self._loop.submit(lambda: value).result(CALL_TIMEOUT)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if hasattr(value, "_client"):
            # A group (some are callable too: ``client.agent.service(id)``).
            return Sync(value, self._loop, start=self._start)
        if callable(value):
            return self._runs(value)
        return value

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped object's method ``name`` (for names of Sync's own: ``start``)."""
        return self._runs(getattr(self._target, name))(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped object itself (a callable group)."""
        return self._runs(self._target)(*args, **kwargs)

    def _runs(self, fn: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            future = self._loop.submit(lambda: fn(*args, **kwargs))
            return future if self._start else future.result(CALL_TIMEOUT)

        return call


def run_watch(
    c: Sync, watch: Any, deliver: Callable[[Any, Any], object]
) -> concurrent.futures.Future[Any]:
    """Run ``watch`` (made by ``c``) the way its loop does; a Future of its end.

    Each change goes to ``deliver(index, value)``: from a ``for`` loop on
    the blocking client, ``async for`` on asyncio and Tornado, the callback
    of ``watch.start`` on the thread-pool and Twisted clients.
    """
    loop = c.loop
    if isinstance(loop, Inline):

        def iterate() -> None:
            for index, value in watch:
                deliver(index, value)

        return loop.submit(iterate)
    if isinstance(loop, AsyncioThread):

        async def consume() -> None:
            async for index, value in watch:
                deliver(index, value)

        return loop.submit(consume)
    return loop.submit(lambda: watch.start(deliver))


def make_client(adapter: str, loop: Loop, **kwargs: Any) -> Any:
    """Build a client of ``adapter`` in its loop."""

    def build() -> Any:
        if adapter == "std":
            import consul

            return consul.Consul(**kwargs)
        if adapter == "threadpool":
            import consul.threadpool

            return consul.threadpool.Consul(**kwargs)
        if adapter == "callback":
            return callback_client(**kwargs)
        if adapter == "aio":
            import consul.aio

            return consul.aio.Consul(**kwargs)
        if adapter == "tornado":
            import consul.tornado

            return consul.tornado.Consul(**kwargs)
        import consul.twisted

        return consul.twisted.Consul(**kwargs)

    if adapter == "threadpool":
        return build()
    return loop.submit(build).result(CALL_TIMEOUT)


def callback_client(**kwargs: Any) -> Any:
    """A python-consul style client: ``consul.base.Consul`` with its ``http_connect`` hook."""
    import consul.base
    import consul.std

    class Client(consul.base.Consul):
        def http_connect(self, host, port, scheme, verify=True, cert=None):
            return consul.std.HTTPClient(
                host, port, scheme, verify, cert, timeout=self.config.timeout
            )

        def close(self) -> None:
            self.http.close()

    return Client(**kwargs)


def close_client(client: Any, loop: Loop) -> None:
    """Close ``client`` in its loop and wait until it is closed."""
    if isinstance(loop, Futures):
        client.close()
        return
    loop.submit(client.close).result(CALL_TIMEOUT)


@contextmanager
def sync_client(adapter: str, loop: Loop, **kwargs: Any) -> Iterator[Sync]:
    """A :class:`Sync` client of ``adapter``, closed on exit."""
    client = make_client(adapter, loop, **kwargs)
    try:
        yield Sync(client, loop)
    finally:
        close_client(client, loop)


class RawHTTP:
    """Plain ``requests`` calls to an agent, for tests of the agent itself.

    ``get``/``put``/``delete``/``request`` (or calling the object) take a
    path (``/v1/kv/foo``) that is sent as written, percent-escapes included.
    ``token`` is sent as ``X-Consul-Token`` with every request; a request's
    own ``token=`` replaces it (``""``: none). A context manager that closes
    its session.
    """

    def __init__(self, url: str, token: str | None = None) -> None:
        import requests

        self.url = url
        self.session = requests.Session()
        if token:
            self.session.headers["X-Consul-Token"] = token

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        if token is not None:
            # None drops the session's header for this request.
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "X-Consul-Token": token or None}
        return self.session.request(method, self.url + path, **kwargs)

    __call__ = request

    def with_token(self, token: str) -> Callable[..., Any]:
        """A caller like this object, for requests with ``token`` (``""``: none)."""
        return functools.partial(self.request, token=token)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, data: bytes | str | None = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, data=data, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def post(self, path: str, data: bytes | str | None = None, **kwargs: Any) -> Any:
        return self.request("POST", path, data=data, **kwargs)

    def register(self, body: dict[str, Any], **kwargs: Any) -> Any:
        """``PUT /v1/catalog/register`` of ``body``, which must succeed."""
        response = self.put("/v1/catalog/register", json=body, **kwargs)
        assert response.status_code == 200, response.text
        return response

    def index(self, path: str, **kwargs: Any) -> int:
        """The ``X-Consul-Index`` of a successful ``GET path``."""
        response = self.get(path, **kwargs)
        assert response.status_code == 200, response.text
        return int(response.headers["X-Consul-Index"])

    def send(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send ``target`` byte for byte (``requests`` unescapes ``%2e`` and the like).

        Returns an ``http.client.HTTPResponse`` whose body is already read
        (``.data``).
        """
        import http.client
        from urllib.parse import urlsplit

        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(
            address.hostname or "", address.port, timeout=CALL_TIMEOUT
        )
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            response.data = response.read()
            return response
        finally:
            connection.close()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> RawHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def json_documents(chunks: Iterable[str]) -> Iterator[Any]:
    """The JSON documents written one after another into a stream of text chunks."""
    decoder = json.JSONDecoder()
    text = ""
    for chunk in chunks:
        text += chunk
        while text.strip():
            try:
                document, end = decoder.raw_decode(text.lstrip())
            except ValueError:
                break
            yield document
            text = text.lstrip()[end:]


def denying(*, nodes: Iterable[str] = (), services: Iterable[str] = ()) -> str:
    """ACL rules granting write on every node and service except the named ones (denied)."""
    rules = ['node_prefix "" { policy = "write" }', 'service_prefix "" { policy = "write" }']
    rules += [f'node "{name}" {{ policy = "deny" }}' for name in nodes]
    rules += [f'service "{name}" {{ policy = "deny" }}' for name in services]
    return "\n".join(rules)


def make_token(root: RawHTTP, rules: str, **fields: Any) -> dict[str, Any]:
    """A new ACL token (its JSON) with one new policy of ``rules``; ``root`` may write ACLs.

    ``fields`` are more fields of the token (``AccessorID``, ``Description``...).
    """
    import uuid

    policy = root.put("/v1/acl/policy", json={"Name": f"p-{uuid.uuid4()}", "Rules": rules})
    assert policy.status_code == 200, policy.text
    body = {"Policies": [{"ID": policy.json()["ID"]}], **fields}
    token = root.put("/v1/acl/token", json=body)
    assert token.status_code == 200, token.text
    return dict(token.json())


def wait_until(predicate: Callable[[], bool], timeout: float = CALL_TIMEOUT) -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.005)


def wait_blocked(
    agent: Any, count: int = 1, dc: str | None = None, *, local: bool = False, events: bool = False
) -> None:
    """Wait until ``count`` blocking queries wait on the agent's datacenter ``dc``.

    With ``local``, on the agent's local state instead (hash-based blocking,
    ``/v1/agent/service/:id``); with ``events``, on its event buffer
    (``/v1/event/list``). How a test knows that a blocking query has reached
    the agent before it makes the write that should (or should not) wake it.
    """

    def waiting(core: Any) -> int:
        if local:
            return len(core.local.wakeups)
        if events:
            return len(core.events.wakeups)
        return int(core.datacenters[dc or core.config.datacenter].blocking_queries)

    wait_until(lambda: int(agent.run(waiting)) >= count)


def take(client: Sync, stream: Any, count: int) -> list[Any]:
    """The next ``count`` items of ``stream`` (any client's kind), read in the client's loop.

    Fewer if the stream ends first.
    """
    from consul._stream import AsyncStream

    loop = client._loop
    if not isinstance(stream, AsyncStream):
        return [item for _, item in zip(range(count), stream, strict=False)]

    async def collect() -> list[Any]:
        items = []
        async for item in stream:
            items.append(item)
            if len(items) == count:
                break
        return items

    if isinstance(loop, ReactorThread):
        from twisted.internet import defer

        return list(loop.submit(lambda: defer.ensureDeferred(collect())).result(CALL_TIMEOUT))
    return list(loop.submit(collect).result(CALL_TIMEOUT))


def close_stream(client: Sync, stream: Any) -> None:
    """Close ``stream`` in its client's loop."""
    client._loop.submit(stream.close).result(CALL_TIMEOUT)


class JWTIssuer:
    """Signs JWTs with a key of its own (ES256), for ``jwt`` auth methods.

    ``public_pem`` goes into the auth method's ``JWTValidationPubKeys``.
    """

    def __init__(self, issuer: str = "https://issuer.test") -> None:
        self.issuer = issuer
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.public_pem = (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def config(self, **more: Any) -> dict[str, Any]:
        """A ``jwt`` auth method's config trusting this issuer (``more`` added)."""
        return {"JWTValidationPubKeys": [self.public_pem], "BoundIssuer": self.issuer, **more}

    def token(self, **claims: Any) -> str:
        """A signed JWT with ``iss``, ``iat`` and ``exp`` (+5 min) unless given; None drops one."""
        now = int(time.time())
        payload = {"iss": self.issuer, "iat": now, "exp": now + 300, **claims}
        return jwt.encode({k: v for k, v in payload.items() if v is not None}, self.key, "ES256")
