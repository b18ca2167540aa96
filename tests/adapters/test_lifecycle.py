"""Cancelling calls in flight, and closing clients without leaking anything.

A call is cancelled the way its loop cancels things: an asyncio task, a
Tornado (asyncio) future, a Twisted Deferred; a thread-pool future can only be
cancelled before it starts. The stub server notices when the client hangs up
(its handler is cancelled when the connection closes), which is how these
tests know that no connection is left behind.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import textwrap

import pytest
from harness import CALL_TIMEOUT, close_client, make_client

import consul
import consul.aio
import consul.threadpool
import consul.tornado
import consul.twisted

ASYNC_ADAPTERS = ["aio", "tornado", "twisted"]


def _start(adapter, loop, call):
    """Start ``call()`` in ``loop``; its native handle (task, Future, Deferred)."""
    if adapter == "aio":

        async def as_task():
            return asyncio.ensure_future(call())

        return loop.submit(as_task).result(CALL_TIMEOUT)
    # Tornado's future and Twisted's Deferred, returned unawaited.
    return loop.submit(lambda: [call()]).result(CALL_TIMEOUT)[0]


def _cancel_and_wait(adapter, loop, handle):
    """Cancel ``handle`` in its loop; the exception it ends with."""
    if adapter == "twisted":
        from twisted.internet import defer

        loop.reactor.callFromThread(handle.cancel)
        outcome = loop.submit(lambda: handle)
        with pytest.raises(defer.CancelledError):
            outcome.result(CALL_TIMEOUT)
        return

    async def cancel():
        handle.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handle

    loop.submit(cancel).result(CALL_TIMEOUT)


def _nothing_logged(caplog):
    """Whether nothing was logged at WARNING or above, the garbage collected first
    (asyncio logs a future's exception nobody retrieved when it is freed)."""
    gc.collect()
    return [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("adapter", ASYNC_ADAPTERS)
def test_cancelling_a_blocking_query_hangs_up(adapter, client, loops, stub, caplog):
    caplog.set_level(logging.DEBUG)
    stub.hang()
    c = client(stub)
    loop = loops(adapter)
    handle = _start(adapter, loop, lambda: c.unwrapped.kv.get("k", index=7, wait="5m"))
    assert stub.holding.wait(CALL_TIMEOUT)
    _cancel_and_wait(adapter, loop, handle)
    assert stub.dropped.wait(5), "the connection was left open"
    # The client goes on working.
    stub.answer_json("127.0.0.1:8300")
    assert c.status.leader() == "127.0.0.1:8300"
    # Quietly: Tornado, for one, logs the error of a fetch whose future was cancelled.
    assert _nothing_logged(caplog)


@pytest.mark.parametrize("adapter", ASYNC_ADAPTERS)
def test_cancelling_a_flow_cancels_its_call(adapter, client, loops, stub):
    from consul._http import single

    stub.hang()
    c = client(stub)
    loop = loops(adapter)
    call = type(c.unwrapped.kv).get(c.unwrapped.kv, "k", index=7, wait="5m")
    handle = _start(adapter, loop, lambda: c.unwrapped._runner.run_flow(single(call)))
    assert stub.holding.wait(CALL_TIMEOUT)
    _cancel_and_wait(adapter, loop, handle)
    assert stub.dropped.wait(5), "the connection was left open"


@pytest.mark.parametrize("adapter", ["tornado"])
def test_a_tornado_call_cancelled_at_once_is_never_sent(adapter, client, loops, stub, caplog):
    """The future a Tornado call returns, cancelled before its connection is
    open: nothing is sent, nothing is logged, and the client goes on working."""
    caplog.set_level(logging.DEBUG)
    c = client(stub)
    loop = loops(adapter)

    async def cancel_at_once():
        call = c.unwrapped.kv.get("k")
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    loop.submit(cancel_at_once).result(CALL_TIMEOUT)
    stub.answer_json("127.0.0.1:8300")
    assert c.status.leader() == "127.0.0.1:8300"
    assert len(stub.seen) == 1  # the cancelled call's request was never sent
    assert _nothing_logged(caplog)


@pytest.mark.parametrize("adapter", ["threadpool"])
def test_a_thread_pool_call_is_cancelled_before_it_starts(adapter, client, stub):
    stub.hang()
    c = client(stub, timeout=0.5, max_workers=1)
    running = c.unwrapped.status.leader()
    assert stub.holding.wait(CALL_TIMEOUT)
    queued = c.unwrapped.status.leader()
    assert queued.cancel()
    # A call under way cannot be stopped from outside its thread: it ends
    # at its timeout, and the queued one is never sent.
    assert not running.cancel()
    with pytest.raises(consul.Timeout):
        running.result(CALL_TIMEOUT)
    assert len(stub.seen) == 1


def test_close_leaks_nothing(adapter, loops, consul_agent, tls_agent, pki, stub):
    """Use a client in every way, close it: no ResourceWarning (warnings are errors)."""
    loop = loops(adapter)
    for settings in (
        {"host": consul_agent.host, "port": consul_agent.port},
        {
            "host": tls_agent.host,
            "port": tls_agent.https_port,
            "scheme": "https",
            "verify": str(pki.ca),
        },
    ):
        client = make_client(adapter, loop, timeout=5, **settings)
        c = _sync(client, loop)
        c.kv.put("k", b"v")
        index, _ = c.kv.get("k")
        c.kv.get("k", index=index, wait="50ms")
        with pytest.raises(consul.ServerError):
            c.kv.get("k", dc="nowhere")
        close_client(client, loop)
        close_client(client, loop)  # closing twice is harmless
        del c, client
    # A failed call, too.
    stub.hang()
    client = make_client(adapter, loop, host=stub.host, port=stub.port, timeout=0.2)
    with pytest.raises(consul.Timeout):
        _sync(client, loop).status.leader()
    close_client(client, loop)
    del client
    gc.collect()


def _sync(client, loop):
    from harness import Sync

    return Sync(client, loop)


IMPORTS = {
    "consul": set(),
    "consul.transport": set(),  # for tests with the mock transport, whatever their client
    "consul.threadpool": {"requests"},
    "consul.aio": {"aiohttp"},
    "consul.tornado": {"tornado"},
    "consul.twisted": {"twisted", "treq"},
}
LIBRARIES = {"requests", "aiohttp", "tornado", "twisted", "treq"}


@pytest.mark.parametrize("module", sorted(IMPORTS))
def test_each_client_imports_only_its_own_library(module):
    script = textwrap.dedent(
        f"""
        import sys
        import {module}
        print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}})))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env
        ).stdout.split()
    )
    assert loaded & LIBRARIES == IMPORTS[module]


class TestClosed:
    """One lifecycle on every client: after close(), a clear error."""

    def test_a_call_after_close_is_refused(self, adapter, loops, stub):
        loop = loops(adapter)
        client = make_client(adapter, loop, host=stub.host, port=stub.port)
        c = _sync(client, loop)
        assert c.status.leader() is None
        close_client(client, loop)
        with pytest.raises(consul.ClientClosed):
            c.status.leader()
        with pytest.raises(consul.ClientClosed):
            c.kv.put("k", "v")
        close_client(client, loop)
        assert len(stub.seen) == 1

    @pytest.mark.parametrize("adapter", ["std", "threadpool"])
    def test_with(self, adapter, loops, stub):
        settings = {"host": stub.host, "port": stub.port}
        kind = consul.Consul if adapter == "std" else consul.threadpool.Consul
        with kind(**settings) as c:
            result = c.status.leader()
            assert (result if adapter == "std" else result.result(CALL_TIMEOUT)) is None
        with pytest.raises(consul.ClientClosed):
            c.status.leader()

    @pytest.mark.parametrize("adapter", ["tornado"])
    def test_tornado_with_and_async_with(self, adapter, loops, stub):
        async def scenario():
            with consul.tornado.Consul(host=stub.host, port=stub.port) as one:
                await one.status.leader()
            async with consul.tornado.Consul(host=stub.host, port=stub.port) as other:
                await other.status.leader()
            for c in (one, other):
                with pytest.raises(consul.ClientClosed):
                    c.status.leader()

        loops(adapter).submit(scenario).result(CALL_TIMEOUT)
        assert len(stub.seen) == 2

    @pytest.mark.parametrize("adapter", ["aio"])
    def test_aio_async_with(self, adapter, loops, stub):
        async def scenario():
            async with consul.aio.Consul(host=stub.host, port=stub.port) as c:
                await c.status.leader()
            with pytest.raises(consul.ClientClosed):
                await c.status.leader()

        loops(adapter).submit(scenario).result(CALL_TIMEOUT)

    @pytest.mark.parametrize("adapter", ["twisted"])
    def test_twisted_async_with(self, adapter, loops, stub):
        from twisted.internet import defer

        async def scenario():
            async with consul.twisted.Consul(host=stub.host, port=stub.port) as c:
                await c.status.leader()
            with pytest.raises(consul.ClientClosed):
                await c.status.leader()

        loops(adapter).submit(lambda: defer.ensureDeferred(scenario())).result(CALL_TIMEOUT)
        assert len(stub.seen) == 1


class TestEventLoops:
    """A loop-bound client belongs to the loop of its first call, and says so."""

    def test_tornado_with_no_loop_running(self, stub):
        c = consul.tornado.Consul(host=stub.host, port=stub.port)
        # It used to hand back a future that would never run.
        with pytest.raises(consul.EventLoopError, match="with no event loop running"):
            c.kv.get("k")
        c.close()
        assert stub.seen == []

    @pytest.mark.parametrize("adapter", ["aio", "tornado"])
    def test_on_another_loop(self, adapter, loops, stub):
        loop = loops(adapter)
        client = make_client(adapter, loop, host=stub.host, port=stub.port)
        assert _sync(client, loop).status.leader() is None

        async def elsewhere():
            return await client.status.leader()

        with pytest.raises(consul.EventLoopError, match="one client per event loop") as caught:
            asyncio.run(elsewhere())
        assert "still open" in str(caught.value)
        assert isinstance(caught.value, consul.ConsulException)
        close_client(client, loop)
        assert len(stub.seen) == 1

    def test_asyncio_run_twice(self, stub):
        # A module-level client across asyncio.run calls (pytest-asyncio's
        # loop per test): closed in the first, it says so in the second.
        c = consul.aio.Consul(host=stub.host, port=stub.port)

        async def first():
            async with c:
                return await c.status.leader()

        async def second():
            return await c.status.leader()

        assert asyncio.run(first()) is None
        with pytest.raises(consul.ClientClosed):
            asyncio.run(second())

    @pytest.mark.filterwarnings("ignore:acl.create:DeprecationWarning")
    def test_a_forgotten_await_names_the_method(self, stub):
        # The coroutine is dropped at once (its last reference goes), and
        # warns with its name: the method's, not the runner's.
        c = consul.aio.Consul(host=stub.host, port=stub.port)
        with pytest.warns(RuntimeWarning, match=r"coroutine 'KV\.get' was never awaited"):
            c.kv.get("k")
        with pytest.warns(RuntimeWarning, match=r"coroutine 'ACL\.create' was never awaited"):
            c.acl.create(name="a flow")
        assert stub.seen == []


class TestConstruction:
    """Arguments are checked when a client is built, not at its first call."""

    @pytest.mark.parametrize(
        ("host", "message"),
        [
            ("http://127.0.0.1", "host must be a host name or IP address, not a URL"),
            ("unix://", "host: no unix socket path"),
            ("ftp://consul", "host: unknown protocol scheme"),
            ("127.0.0.1:8500", "host must not include a port"),
            ("", "host is not a host name"),
        ],
    )
    def test_bad_hosts(self, adapter, loops, host, message):
        with pytest.raises(ValueError, match=message):
            make_client(adapter, loops(adapter), host=host)

    @pytest.mark.parametrize(
        ("settings", "error", "message"),
        [
            ({"port": 0}, ValueError, "port must be between"),
            ({"scheme": "unix"}, ValueError, "scheme must be"),
            ({"timeout": float("nan")}, ValueError, "timeout must be a finite"),
            ({"timeout": 0}, ValueError, "timeout must be positive"),
            ({"dc": 123}, TypeError, "dc must be a str"),
            ({"token": "line\r\nbreak"}, ValueError, "token must be printable ASCII"),
        ],
    )
    def test_bad_settings(self, adapter, loops, settings, error, message):
        with pytest.raises(error, match=message) as caught:
            make_client(adapter, loops(adapter), **settings)
        assert "break" not in str(caught.value)
