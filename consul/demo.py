"""The demo: the main features of python-consul, through each of the five clients.

Run ``python -m consul.demo``. It starts an embedded agent (with ACLs on) unless
``CONSUL_HTTP_ADDR`` names a Consul to use; against a real Consul,
``CONSUL_HTTP_TOKEN`` should be a token allowed to write keys under ``demo/``,
register services, create sessions and, if that Consul has ACLs enabled,
create policies and tokens.

Each client runs the same scenario: a key written and read back, a blocking
read woken by a write made elsewhere, a service registered with a TTL check
and found healthy, a watch seeing a key appear, a lock held while a rival
is refused, and a write refused to a read-only token. The blocking and
thread-pool clients share one body of code (only how a result is waited for,
and how a watch is consumed, differ); asyncio, Tornado and Twisted share
another, with ``await``.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import consul
from consul import ACLDisabled, ACLPermissionDenied, Check

#: Seconds before the "write from elsewhere" that wakes the blocking read.
WRITE_DELAY = 0.3


def say(adapter: str, text: str) -> None:
    """One line of the demo's narration."""
    print(f"[{adapter:>10}] {text}", flush=True)


def write_soon(settings: dict[str, Any], key: str, value: str) -> threading.Timer:
    """Write ``key`` a moment from now, from another thread and another client."""

    def write() -> None:
        with consul.Consul(**settings) as other:
            other.kv.put(key, value)

    timer = threading.Timer(WRITE_DELAY, write)
    timer.start()
    return timer


READ_ONLY_RULES = 'key_prefix "demo/" { policy = "read" }'


def scenario(adapter: str, c: Any, settings: dict[str, Any], wait: Callable[[Any], Any]) -> None:
    """The scenario for the blocking client (``wait`` returns the value as is)
    and the thread-pool client (``wait`` is ``Future.result``)."""
    key = f"demo/{adapter}/greeting"
    wait(c.kv.put(key, "hello"))
    index, entry = wait(c.kv.get(key))
    say(adapter, f"put/get      {key} = {entry['Value']!r} (index {index})")

    writer = write_soon(settings, key, "hello again")
    started = time.monotonic()
    index, entry = wait(c.kv.get(key, index=index, wait="10s"))
    writer.join()
    took = time.monotonic() - started
    say(adapter, f"blocking get woke after {took:.2f}s with {entry['Value']!r}")

    service_id = f"demo-web-{adapter}"
    wait(
        c.agent.service.register(
            "demo-web", service_id=service_id, port=8080, check=Check.ttl("15s")
        )
    )
    wait(c.agent.check.ttl_pass(f"service:{service_id}", "ready"))
    _, healthy = wait(c.health.service("demo-web", passing=True))
    ids = sorted(entry["Service"]["ID"] for entry in healthy)
    say(adapter, f"service      {service_id} registered, TTL check passing; healthy: {ids}")
    query = wait(c.query.create("demo-web", name=f"demo-web-{adapter}", onlypassing=True))
    found = wait(c.query.execute(f"demo-web-{adapter}"))
    say(adapter, f"query        demo-web-{adapter}: {len(found['Nodes'])} healthy instance(s)")
    wait(c.query.delete(query["ID"]))
    api = f"demo-api-{adapter}"
    try:
        wait(c.config.set({"Kind": "service-defaults", "Name": api, "Protocol": "http"}))
        wait(c.connect.intentions.upsert("demo-web", api, "deny"))
        allowed = wait(c.connect.intentions.check("demo-web", api))
        _, chain = wait(c.discovery_chain.get(api))
        wait(c.connect.intentions.delete_exact("demo-web", api))
        wait(c.config.delete("service-defaults", api))
        protocol = chain["Chain"]["Protocol"]
        say(adapter, f"mesh         {api}: protocol {protocol}, demo-web may connect: {allowed}")
    except ACLPermissionDenied:
        say(adapter, "mesh         skipped: the token may not write config entries or intentions")
    wait(c.agent.service.deregister(service_id))
    try:
        say(adapter, f"snapshot     {len(wait(c.snapshot.save()))} bytes")
    except ACLPermissionDenied:
        say(adapter, "snapshot     skipped: the token may not take snapshots")

    watched = f"demo/{adapter}/feature"
    seen: list[bytes | None] = []
    watch = c.watch.key(watched)
    writer = write_soon(settings, watched, "on")
    if adapter == "threadpool":
        changed = threading.Event()

        def note(index: int, entry: Any) -> None:
            seen.append(entry and entry["Value"])
            if len(seen) == 2:
                changed.set()

        ended = watch.start(note)
        changed.wait(10)
        watch.stop()
        ended.result()
    else:
        for _, entry in watch:  # the value at once (absent), then each change
            seen.append(entry and entry["Value"])
            if len(seen) == 2:
                watch.stop()
    writer.join()
    say(adapter, f"watch        {watched}: {seen[0]!r}, then {seen[1]!r}")

    lock = f"demo/{adapter}/leader"
    rival = c.lock(lock, value="them")
    with c.lock(lock, value="me") as mine:
        taken = wait(rival.acquire(timeout=0))
        say(adapter, f"lock         {lock}: held={mine.held}, rival acquired={taken}")
    taken = wait(rival.acquire(timeout=5))
    say(adapter, f"lock         released: rival acquired={taken}")
    wait(rival.release())

    try:
        policy = wait(c.acl.policy.create(f"demo-read-only-{adapter}", rules=READ_ONLY_RULES))
    except ACLDisabled:
        say(adapter, "ACL          skipped: ACLs are not enabled on this Consul")
    else:
        token = wait(c.acl.token.create(policies_id=[policy["ID"]], description="demo"))
        reader = type(c)(**{**settings, "token": token["SecretID"]})
        try:
            wait(reader.kv.get(key))
            wait(reader.kv.put(key, "overwritten"))
        except ACLPermissionDenied as denied:
            say(adapter, f"ACL          read-only token may read, not write: {denied.message}")
        finally:
            reader.close()
            wait(c.acl.token.delete(token["AccessorID"]))
            wait(c.acl.policy.delete(policy["ID"]))
    wait(c.kv.delete(f"demo/{adapter}", recurse=True))


async def scenario_async(adapter: str, c: Any, settings: dict[str, Any]) -> None:
    """The same scenario for the asyncio, Tornado and Twisted clients."""
    key = f"demo/{adapter}/greeting"
    await c.kv.put(key, "hello")
    index, entry = await c.kv.get(key)
    say(adapter, f"put/get      {key} = {entry['Value']!r} (index {index})")

    writer = write_soon(settings, key, "hello again")
    started = time.monotonic()
    index, entry = await c.kv.get(key, index=index, wait="10s")
    writer.join()
    took = time.monotonic() - started
    say(adapter, f"blocking get woke after {took:.2f}s with {entry['Value']!r}")

    service_id = f"demo-web-{adapter}"
    await c.agent.service.register(
        "demo-web", service_id=service_id, port=8080, check=Check.ttl("15s")
    )
    await c.agent.check.ttl_pass(f"service:{service_id}", "ready")
    _, healthy = await c.health.service("demo-web", passing=True)
    ids = sorted(entry["Service"]["ID"] for entry in healthy)
    say(adapter, f"service      {service_id} registered, TTL check passing; healthy: {ids}")
    query = await c.query.create("demo-web", name=f"demo-web-{adapter}", onlypassing=True)
    found = await c.query.execute(f"demo-web-{adapter}")
    say(adapter, f"query        demo-web-{adapter}: {len(found['Nodes'])} healthy instance(s)")
    await c.query.delete(query["ID"])
    api = f"demo-api-{adapter}"
    try:
        await c.config.set({"Kind": "service-defaults", "Name": api, "Protocol": "http"})
        await c.connect.intentions.upsert("demo-web", api, "deny")
        allowed = await c.connect.intentions.check("demo-web", api)
        _, chain = await c.discovery_chain.get(api)
        await c.connect.intentions.delete_exact("demo-web", api)
        await c.config.delete("service-defaults", api)
        protocol = chain["Chain"]["Protocol"]
        say(adapter, f"mesh         {api}: protocol {protocol}, demo-web may connect: {allowed}")
    except ACLPermissionDenied:
        say(adapter, "mesh         skipped: the token may not write config entries or intentions")
    await c.agent.service.deregister(service_id)
    try:
        say(adapter, f"snapshot     {len(await c.snapshot.save())} bytes")
    except ACLPermissionDenied:
        say(adapter, "snapshot     skipped: the token may not take snapshots")

    watched = f"demo/{adapter}/feature"
    seen: list[bytes | None] = []
    watch = c.watch.key(watched)
    writer = write_soon(settings, watched, "on")
    if adapter == "twisted":

        def note(index: int, entry: Any) -> None:
            seen.append(entry and entry["Value"])
            if len(seen) == 2:
                watch.stop()

        await watch.start(note)  # a Deferred of the watch's end
    else:
        async for _, entry in watch:  # the value at once (absent), then each change
            seen.append(entry and entry["Value"])
            if len(seen) == 2:
                watch.stop()
    writer.join()
    say(adapter, f"watch        {watched}: {seen[0]!r}, then {seen[1]!r}")

    lock = f"demo/{adapter}/leader"
    rival = c.lock(lock, value="them")
    async with c.lock(lock, value="me") as mine:
        taken = await rival.acquire(timeout=0)
        say(adapter, f"lock         {lock}: held={mine.held}, rival acquired={taken}")
    taken = await rival.acquire(timeout=5)
    say(adapter, f"lock         released: rival acquired={taken}")
    await rival.release()

    try:
        policy = await c.acl.policy.create(f"demo-read-only-{adapter}", rules=READ_ONLY_RULES)
    except ACLDisabled:
        say(adapter, "ACL          skipped: ACLs are not enabled on this Consul")
    else:
        token = await c.acl.token.create(policies_id=[policy["ID"]], description="demo")
        reader = type(c)(**{**settings, "token": token["SecretID"]})
        try:
            await reader.kv.get(key)
            await reader.kv.put(key, "overwritten")
        except ACLPermissionDenied as denied:
            say(adapter, f"ACL          read-only token may read, not write: {denied.message}")
        finally:
            await _close(reader)
            await c.acl.token.delete(token["AccessorID"])
            await c.acl.policy.delete(policy["ID"])
    await c.kv.delete(f"demo/{adapter}", recurse=True)


async def _close(client: Any) -> None:
    closed = client.close()
    if closed is not None:
        await closed


def run_blocking(settings: dict[str, Any]) -> None:
    """``consul.Consul``: every call returns its value."""
    with consul.Consul(**settings) as c:
        scenario("blocking", c, settings, lambda value: value)


def run_threadpool(settings: dict[str, Any]) -> None:
    """``consul.threadpool.Consul``: every call returns a Future."""
    import consul.threadpool

    with consul.threadpool.Consul(**settings) as c:
        scenario("threadpool", c, settings, lambda future: future.result())


def run_asyncio(settings: dict[str, Any]) -> None:
    """``consul.aio.Consul``: every call returns a coroutine."""
    import consul.aio

    async def main() -> None:
        async with consul.aio.Consul(**settings) as c:
            await scenario_async("asyncio", c, settings)

    asyncio.run(main())


def run_tornado(settings: dict[str, Any]) -> None:
    """``consul.tornado.Consul``: every call returns a Future of the running IOLoop."""
    import consul.tornado

    async def main() -> None:
        c = consul.tornado.Consul(**settings)
        try:
            await scenario_async("tornado", c, settings)
        finally:
            c.close()

    asyncio.run(main())


def run_twisted(settings: dict[str, Any]) -> None:
    """``consul.twisted.Consul``: every call returns a Deferred."""
    from twisted.internet import defer
    from twisted.internet import reactor as global_reactor

    import consul.twisted

    reactor: Any = global_reactor  # the reactor module's type is not the reactor's
    failures: list[Any] = []

    async def main() -> None:
        c = consul.twisted.Consul(**settings)
        try:
            await scenario_async("twisted", c, settings)
        finally:
            await c.close()

    def start() -> None:
        done = defer.Deferred.fromCoroutine(main())
        done.addErrback(failures.append)
        done.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(start)
    reactor.run()
    if failures:
        failures[0].raiseException()


@contextmanager
def target() -> Iterator[dict[str, Any]]:
    """The client settings: the Consul of CONSUL_HTTP_ADDR, or an embedded agent."""
    if os.environ.get("CONSUL_HTTP_ADDR"):
        print(f"Using the Consul at {os.environ['CONSUL_HTTP_ADDR']}")
        yield {}
        return
    from consul.testing import DevAgent

    management = str(uuid.uuid4())
    with DevAgent(acl_initial_management=management, acl_default_policy="deny") as agent:
        print(f"Started an embedded agent at {agent.url} (ACLs on, default policy deny)")
        yield {"host": agent.host, "port": agent.port, "token": management}


def main() -> None:
    """Run the scenario on each of the five clients."""
    with target() as settings:
        for run in (run_blocking, run_threadpool, run_asyncio, run_tornado, run_twisted):
            run(settings)
    print("Done: the same API on five loops.")


if __name__ == "__main__":
    main()
