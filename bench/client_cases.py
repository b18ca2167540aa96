"""One client process of bench/clients.py: times the calls of one loop's clients.

    python bench/client_cases.py LOOP URL [--freeze]

``LOOP`` is one of :data:`LOOPS`. The process first prints the cases it can
run (``raw``, the HTTP library used by hand, and ``consul``, whichever
package named ``consul`` this interpreter has: this project, or py-consul in
a virtualenv of its own), then reads commands as JSON lines,
``{"case": "raw", "op": "get", "calls": 1000}``, and answers each with the
CPU seconds this process spent on those calls and their wall-clock seconds.

Both cases do the same work: ``get`` reads key ``bench`` and returns its
``X-Consul-Index`` as an int and the entry with its ``Value`` decoded from
base64, ``put`` writes it and returns whether Consul answered ``true``.

With ``--freeze`` (bench/clients.py gives it under callgrind), every run
starts with the objects that survived the collection before it frozen
(``gc.freeze()``): a full collection during the run then visits what the
run's calls made and kept, not the whole heap of the process.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import consul

KEY = "bench"
VALUE = b"value"
#: Calls made before each timed run, whose answers are checked too.
WARMUP = 20
#: Calls in flight at once in the ``asyncio50`` loop.
IN_FLIGHT = 50

LOOPS = ("blocking", "threadpool", "asyncio", "asyncio50", "tornado", "twisted")
#: Whether runs start with the surviving objects frozen (``--freeze``).
FREEZE = False


def decode_get(status: int, index: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
    """What a hand-written client does with the answer to a read."""
    if status != 200 or index is None:
        raise RuntimeError(f"unexpected answer: {status}")
    entry: dict[str, Any] = json.loads(body)[0]
    entry["Value"] = base64.b64decode(entry["Value"])
    return int(index), entry


def decode_put(status: int, body: bytes) -> bool:
    """What a hand-written client does with the answer to a write."""
    if status != 200:
        raise RuntimeError(f"unexpected answer: {status}")
    return body.strip() == b"true"


def check(op: str, result: Any) -> None:
    """Every case must answer the same thing."""
    if op == "get":
        index, entry = result
        # py-consul returns the index as the header's text.
        ok = int(index) > 0 and entry["Value"] == VALUE
    else:
        ok = result is True
    if not ok:
        raise RuntimeError(f"{op} answered {result!r}")


def clocks() -> tuple[float, float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime, time.perf_counter()


def elapsed(start: tuple[float, float, float]) -> dict[str, float]:
    """CPU seconds (user and system, all threads) and wall seconds since ``start``."""
    user, system, wall = (end - begin for end, begin in zip(clocks(), start, strict=True))
    return {"cpu": user + system, "user": user, "system": system, "wall": wall}


def ours(kv: Any) -> dict[str, Callable[[], Any]]:
    """Our client's calls, the same on every loop (``kv`` is the client's ``kv``)."""
    return {"get": lambda: kv.get(KEY), "put": lambda: kv.put(KEY, VALUE)}


async def run_async(
    fn: Callable[[], Awaitable[Any]], op: str, calls: int, in_flight: int
) -> dict[str, float]:
    """Checked warm-up calls of ``fn``, then ``calls`` timed calls, ``in_flight`` at once."""
    for _ in range(WARMUP):
        check(op, await fn())
    left = calls

    async def one_by_one() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await fn()

    async def run() -> None:
        if in_flight == 1:
            await one_by_one()
        else:
            await asyncio.gather(*(one_by_one() for _ in range(in_flight)))

    return await timed_async(run)


def collect() -> None:
    """Before a run: the cyclic garbage collected, the survivors frozen with ``--freeze``."""
    gc.collect()
    if FREEZE:
        gc.freeze()


def timed(run: Callable[[], None]) -> dict[str, float]:
    collect()
    start = clocks()
    run()
    return elapsed(start)


async def timed_async(run: Callable[[], Awaitable[None]]) -> dict[str, float]:
    collect()
    start = clocks()
    await run()
    return elapsed(start)


# -- blocking and thread pool ------------------------------------------------------


class Blocking:
    """``requests.Session`` by hand, and ``consul.Consul``."""

    def __init__(self, url: str) -> None:
        import requests

        session = requests.Session()
        # As the client does: the proxies and netrc of the environment would
        # otherwise be looked up on every call.
        session.trust_env = False
        get_url = put_url = f"{url}/v1/kv/{KEY}"

        def raw_get() -> tuple[int, dict[str, Any]]:
            r = session.get(get_url)
            return decode_get(r.status_code, r.headers.get("X-Consul-Index"), r.content)

        def raw_put() -> bool:
            r = session.put(put_url, data=VALUE)
            return decode_put(r.status_code, r.content)

        host, port = url.rsplit("/", 1)[1].split(":")
        self.client = consul.Consul(host=host, port=int(port))
        self.session = session
        kv = self.client.kv
        self.calls: dict[str, dict[str, Callable[[], Any]]] = {
            "raw": {"get": raw_get, "put": raw_put},
            "consul": ours(kv),
        }

    def measure(self, case: str, op: str, calls: int) -> dict[str, float]:
        fn = self.calls[case][op]
        for _ in range(WARMUP):
            check(op, fn())

        def run() -> None:
            for _ in range(calls):
                fn()

        return timed(run)

    def close(self) -> None:
        if hasattr(self.client, "close"):  # py-consul's blocking client has none
            self.client.close()
        self.session.close()


class ThreadPool(Blocking):
    """The same through a ``ThreadPoolExecutor``, and ``consul.threadpool.Consul``."""

    def __init__(self, url: str) -> None:
        import consul.threadpool

        super().__init__(url)
        self.executor = ThreadPoolExecutor(10)
        submit = self.executor.submit
        raw = self.calls["raw"]
        raw_get, raw_put = raw["get"], raw["put"]
        self.pool = consul.threadpool.Consul(
            host=self.client.config.host, port=self.client.config.port
        )
        kv = self.pool.kv
        self.calls = {
            "raw": {
                "get": lambda: submit(raw_get).result(),
                "put": lambda: submit(raw_put).result(),
            },
            "consul": {
                "get": lambda: kv.get(KEY).result(),
                "put": lambda: kv.put(KEY, VALUE).result(),
            },
        }

    def close(self) -> None:
        self.pool.close()
        self.executor.shutdown()
        super().close()


# -- asyncio and Tornado --------------------------------------------------------------


class AsyncIO:
    """``aiohttp.ClientSession`` by hand, and ``consul.aio.Consul``."""

    in_flight = 1

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.calls: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {}
        self.loop.run_until_complete(self.setup())

    async def setup(self) -> None:
        import aiohttp

        import consul.aio

        session = aiohttp.ClientSession()
        url = f"{self.url}/v1/kv/{KEY}"

        async def raw_get() -> tuple[int, dict[str, Any]]:
            async with session.get(url) as r:
                body = await r.read()
                return decode_get(r.status, r.headers.get("X-Consul-Index"), body)

        async def raw_put() -> bool:
            async with session.put(url, data=VALUE) as r:
                return decode_put(r.status, await r.read())

        host, port = self.url.rsplit("/", 1)[1].split(":")
        client = consul.aio.Consul(host=host, port=int(port))
        kv = client.kv
        self.session, self.client = session, client
        self.calls = {
            "raw": {"get": raw_get, "put": raw_put},
            "consul": ours(kv),
        }

    async def run(self, case: str, op: str, calls: int) -> dict[str, float]:
        return await run_async(self.calls[case][op], op, calls, self.in_flight)

    def measure(self, case: str, op: str, calls: int) -> dict[str, float]:
        return self.loop.run_until_complete(self.run(case, op, calls))

    async def shutdown(self) -> None:
        await self.client.close()
        await self.session.close()

    def close(self) -> None:
        self.loop.run_until_complete(self.shutdown())
        self.loop.close()


class AsyncIO50(AsyncIO):
    """As :class:`AsyncIO`, with 50 calls in flight at once."""

    in_flight = IN_FLIGHT


class Tornado(AsyncIO):
    """Tornado's ``AsyncHTTPClient`` (the simple one) by hand, and ``consul.tornado.Consul``."""

    async def setup(self) -> None:
        from tornado.httpclient import AsyncHTTPClient

        import consul.tornado

        http = AsyncHTTPClient()
        url = f"{self.url}/v1/kv/{KEY}"

        async def raw_get() -> tuple[int, dict[str, Any]]:
            r = await http.fetch(url, raise_error=False)
            return decode_get(r.code, r.headers.get("X-Consul-Index"), r.body)

        async def raw_put() -> bool:
            r = await http.fetch(url, method="PUT", body=VALUE, raise_error=False)
            return decode_put(r.code, r.body)

        host, port = self.url.rsplit("/", 1)[1].split(":")
        client = consul.tornado.Consul(host=host, port=int(port))
        kv = client.kv
        self.http, self.client = http, client
        self.calls = {
            "raw": {"get": raw_get, "put": raw_put},
            "consul": ours(kv),
        }

    async def shutdown(self) -> None:
        self.client.close()
        self.http.close()


# -- Twisted --------------------------------------------------------------------------


class Twisted:
    """``treq`` by hand, and ``consul.twisted.Consul``, on the default reactor.

    The reactor runs in the main thread; commands are handed to it from the
    thread that reads them.
    """

    def __init__(self, url: str) -> None:
        import treq
        from treq.client import HTTPClient
        from twisted.internet import reactor
        from twisted.web.client import Agent, HTTPConnectionPool

        import consul.twisted

        url = f"{url}/v1/kv/{KEY}"
        # What treq.get() makes on each call, made once.
        self.pool = HTTPConnectionPool(reactor)
        http = HTTPClient(Agent(reactor, pool=self.pool))

        async def raw_get() -> tuple[int, dict[str, Any]]:
            r = await http.get(url)
            body = await treq.content(r)
            index = r.headers.getRawHeaders("X-Consul-Index", [None])[0]
            return decode_get(r.code, index, body)

        async def raw_put() -> bool:
            r = await http.put(url, data=VALUE)
            return decode_put(r.code, await treq.content(r))

        host, port = url.split("/")[2].split(":")
        self.client = consul.twisted.Consul(host=host, port=int(port))
        kv = self.client.kv
        self.calls: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {
            "raw": {"get": raw_get, "put": raw_put},
            "consul": ours(kv),
        }

    async def run(self, case: str, op: str, calls: int) -> dict[str, float]:
        return await run_async(self.calls[case][op], op, calls, 1)

    def measure(self, case: str, op: str, calls: int) -> dict[str, float]:
        from twisted.internet import defer, reactor, threads

        return threads.blockingCallFromThread(  # type: ignore[no-any-return]
            reactor, lambda: defer.ensureDeferred(self.run(case, op, calls))
        )

    def close(self) -> None:
        from twisted.internet import reactor, threads

        def closing() -> Any:
            return self.client.close().addCallback(lambda _: self.pool.closeCachedConnections())

        threads.blockingCallFromThread(reactor, closing)


def make(loop: str, url: str) -> Any:
    kinds: dict[str, type[Any]] = {
        "blocking": Blocking,
        "threadpool": ThreadPool,
        "asyncio": AsyncIO,
        "asyncio50": AsyncIO50,
        "tornado": Tornado,
        "twisted": Twisted,
    }
    return kinds[loop](url)


def serve(bench: Any) -> None:
    """Answer commands from standard input until it closes."""
    print(json.dumps({"cases": sorted(bench.calls)}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        result = bench.measure(command["case"], command["op"], command["calls"])
        print(json.dumps(result), flush=True)
    bench.close()


def main() -> None:
    global FREEZE
    loop, url, *options = sys.argv[1:]
    FREEZE = "--freeze" in options
    try:
        bench = make(loop, url)
    except ImportError as exc:  # a package named consul without this client
        print(json.dumps({"cases": [], "missing": str(exc)}), flush=True)
        return
    if loop != "twisted":
        serve(bench)
        return
    from twisted.internet import reactor

    def commands() -> None:
        try:
            serve(bench)
        finally:
            reactor.callFromThread(reactor.stop)  # type: ignore[attr-defined]

    threading.Thread(target=commands, daemon=True).start()
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
