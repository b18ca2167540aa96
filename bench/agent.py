"""Benchmark of the embedded agent, each figure against a baseline of the same run.

    python bench/agent.py [--requests 2000] [--concurrency 16] [--watchers 1000]

Reports, for the embedded agent and for a minimal aiohttp server on the same
machine, in the same process layout (server on a thread, client in the main
thread's asyncio loop, over loopback):

- start-up: time from ``start()`` to accepting connections, modules already
  imported (baseline: an aiohttp ``AppRunner`` with one route on a thread);
- KV put and get requests per second (baseline: a handler that answers
  ``true`` to PUT and a fixed 100-byte JSON body to GET);
- wake-up: with N blocking queries waiting on one key, the time from a
  single write until all N have answered (baseline: N requests parked on
  one ``asyncio.Event`` that a request sets).

The ratio column is agent / baseline for times and baseline / agent for
rates, so 1.0 means "as fast as bare aiohttp" and larger is slower. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from consul.testing import DevAgent

GET_BODY = (
    b'[{"LockIndex":0,"Key":"bench","Flags":0,"Value":"dmFsdWU=",'
    b'"CreateIndex":5,"ModifyIndex":5}]\n'
)


class Baseline:
    """A minimal aiohttp server on a thread of its own, shaped like the agent."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.event: asyncio.Event | None = None
        self.url = ""

    async def _start(self) -> None:
        self.event = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def _handle(self, request: web.Request) -> web.Response:
        assert self.event is not None
        if request.path == "/wait":
            await self.event.wait()
        elif request.path == "/set":
            self.event.set()
            self.event = asyncio.Event()  # the next round parks on a new one
        elif request.method == "PUT":
            await request.read()
            return web.Response(body=b"true\n", content_type="application/json")
        return web.Response(body=GET_BODY, content_type="application/json")

    def start(self) -> Baseline:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result()
        return self

    def stop(self) -> None:
        assert self.runner is not None
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def best_of(runs: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(runs))


def startup_agent() -> float:
    started = time.perf_counter()
    agent = DevAgent().start()
    elapsed = time.perf_counter() - started
    agent.stop()
    return elapsed


def startup_baseline() -> float:
    started = time.perf_counter()
    baseline = Baseline().start()
    elapsed = time.perf_counter() - started
    baseline.stop()
    return elapsed


async def rate(
    make_request: Callable[[aiohttp.ClientSession, int], Awaitable[None]],
    total: int,
    concurrency: int,
) -> float:
    """Requests per second with ``concurrency`` workers sharing ``total`` requests."""
    counter = iter(range(total))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:

        async def worker() -> None:
            for i in counter:
                await make_request(s, i)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - started)


def kv_rates(url: str, total: int, concurrency: int) -> tuple[float, float]:
    async def put(session: aiohttp.ClientSession, i: int) -> None:
        async with session.put(f"{url}/v1/kv/bench", data=b"value") as response:
            await response.read()

    async def get(session: aiohttp.ClientSession, i: int) -> None:
        async with session.get(f"{url}/v1/kv/bench") as response:
            await response.read()

    async def main() -> tuple[float, float]:
        return await rate(put, total, concurrency), await rate(get, total, concurrency)

    return asyncio.run(main())


def wakeup_agent(agent: DevAgent, watchers: int) -> float:
    url = agent.url

    def blocked() -> int:
        return agent.run(lambda core: len(core.home._waiters))

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.put(f"{url}/v1/kv/watched", data=b"0") as response:
                await response.read()
            async with session.get(f"{url}/v1/kv/watched") as response:
                index = response.headers["X-Consul-Index"]

            async def watch() -> None:
                async with session.get(
                    f"{url}/v1/kv/watched?index={index}&wait=2m", timeout=aiohttp.ClientTimeout()
                ) as response:
                    await response.read()

            tasks = [asyncio.create_task(watch()) for _ in range(watchers)]
            deadline = time.monotonic() + 60
            while await asyncio.to_thread(blocked) < watchers:
                if time.monotonic() > deadline:
                    raise RuntimeError("the watchers never all blocked")
                await asyncio.sleep(0.01)
            started = time.perf_counter()
            async with session.put(f"{url}/v1/kv/watched", data=b"1") as response:
                await response.read()
            await asyncio.gather(*tasks)
            return time.perf_counter() - started

    return asyncio.run(main())


def wakeup_baseline(baseline: Baseline, watchers: int) -> float:
    url = baseline.url

    def blocked() -> int:
        async def count() -> int:
            event = baseline.event
            assert event is not None
            return len(event._waiters)  # type: ignore[attr-defined]

        return asyncio.run_coroutine_threadsafe(count(), baseline.loop).result()

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def watch() -> None:
                async with session.get(f"{url}/wait", timeout=aiohttp.ClientTimeout()) as r:
                    await r.read()

            tasks = [asyncio.create_task(watch()) for _ in range(watchers)]
            deadline = time.monotonic() + 60
            while await asyncio.to_thread(blocked) < watchers:
                if time.monotonic() > deadline:
                    raise RuntimeError("the watchers never all blocked")
                await asyncio.sleep(0.01)
            started = time.perf_counter()
            async with session.put(f"{url}/set") as response:
                await response.read()
            await asyncio.gather(*tasks)
            return time.perf_counter() - started

    return asyncio.run(main())


def row(name: str, agent: float, baseline: float, unit: str, ratio: float) -> None:
    print(f"{name:<28} {agent:>12.1f} {baseline:>12.1f}  {unit:<8} {ratio:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--watchers", type=int, default=1000)
    args = parser.parse_args()

    startup_agent()  # warm up: imports and first-use costs
    startup_baseline()
    agent_start = best_of(5, startup_agent)
    baseline_start = best_of(5, startup_baseline)

    print(f"{'':<28} {'agent':>12} {'baseline':>12}  {'unit':<8} {'ratio':>6}")
    row("start-up", agent_start * 1e3, baseline_start * 1e3, "ms", agent_start / baseline_start)

    with DevAgent() as agent:
        agent_put, agent_get = kv_rates(agent.url, args.requests, args.concurrency)
        agent_wake = statistics.median(wakeup_agent(agent, args.watchers) for _ in range(3))
    baseline = Baseline().start()
    try:
        base_put, base_get = kv_rates(baseline.url, args.requests, args.concurrency)
        base_wake = statistics.median(wakeup_baseline(baseline, args.watchers) for _ in range(3))
    finally:
        baseline.stop()

    row("KV put", agent_put, base_put, "req/s", base_put / agent_put)
    row("KV get", agent_get, base_get, "req/s", base_get / agent_get)
    row(
        f"wake {args.watchers} blocking queries",
        agent_wake * 1e3,
        base_wake * 1e3,
        "ms",
        agent_wake / base_wake,
    )


if __name__ == "__main__":
    main()
