"""Benchmark of the embedded agent, each figure against baselines of the same run.

    python bench/agent.py [--rounds 5] [--seconds 2] [--procs 3] [--conns 8] [--watchers 1000]
                          [--watch-procs 2]

Figures (see bench/README.md):

- **KV read rate**: ``GET /v1/kv/bench`` requests per second served by the
  agent, against a bare ``aiohttp.web`` handler answering the same bytes;
  the load comes from ``--procs`` client processes with ``--conns``
  keep-alive connections each. Reported as agent / baseline (goal >= 0.70).
  Also against the bare handler sending the agent's headers too: the
  difference is what the headers cost, not the agent's code.
- **wake-up**: ``--watchers`` blocking queries wait on one key; one write
  wakes them. The time from the write to each answer's arrival (p99, and
  the last) against the same number of requests parked on one
  ``asyncio.Event`` of the bare server, and parked by the floor, a bare
  ``asyncio.Protocol`` (goal: agent p99 under 25 ms). The watchers are
  ``--watch-procs`` processes of minimal clients (non-blocking sockets and
  ``selectors``): an answer arrives when its first bytes are read, and the
  connections close only after the measurement, so that what is measured is
  the server's latency, not the watchers'. With it, the CPU time the
  server's loop thread spent from the write to the last answer's arrival,
  per query woken: less dependent on the load of the machine.
- **memory per waiting query**: Python memory (``tracemalloc``) held by the
  server process per blocking query while they wait, against the bare
  server's parked requests and the floor's parked connections (goal: agent
  under 4 KB).
- **start-up**: ``DevAgent().start()`` until it accepts connections, modules
  imported, against an ``aiohttp.web.AppRunner`` started the same way.

Rates and wake-ups alternate agent and baselines over ``--rounds`` rounds;
each figure is the median with the range (min-max) of the rounds. The
watchers and load generators are separate processes; times are compared on
the system-wide monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import multiprocessing
import re
import selectors
import socket
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from aiohttp import web

from consul.testing import DevAgent

KEY = "bench"


# -- the baseline server ------------------------------------------------------------


class Baseline:
    """A bare ``aiohttp.web`` server on a thread of its own, shaped like the agent."""

    def __init__(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.body = body
        #: The agent's response headers, for ``/headers``.
        self.headers = headers or {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.event: asyncio.Event | None = None
        self.waiting = 0
        #: The ``X-Consul-Index`` of ``/wait``'s answers: each ``/set`` moves it.
        self.index = 1
        self.url = ""

    async def _start(self) -> None:
        self.event = asyncio.Event()
        app = web.Application()
        app.router.add_get(f"/v1/kv/{KEY}", self._get)
        app.router.add_get("/headers", self._get_with_headers)
        app.router.add_get("/wait", self._wait)
        app.router.add_put("/set", self._set)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def _get(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body, content_type="application/json")

    async def _get_with_headers(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body, headers=self.headers)

    async def _wait(self, request: web.Request) -> web.Response:
        assert self.event is not None
        self.waiting += 1
        try:
            await self.event.wait()
        finally:
            self.waiting -= 1
        return web.Response(
            body=self.body,
            content_type="application/json",
            headers={"X-Consul-Index": str(self.index)},
        )

    async def _set(self, request: web.Request) -> web.Response:
        assert self.event is not None
        self.index += 1
        self.event.set()
        self.event = asyncio.Event()  # the next round parks on a new one
        return web.Response(body=b"true", content_type="application/json")

    def call(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result()

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


class Floor:
    """The least an asyncio server can do: a bare protocol, no HTTP parsing.

    A GET is parked as it arrives; a PUT answers every parked one with the
    same bytes, made once per PUT (its ``X-Consul-Index`` moves, as the
    watchers check). What waking N waiting connections costs here (and what
    one holds) is what any server on asyncio pays before doing anything.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.index = 1
        self.answer = b""
        self.parked: list[asyncio.Transport] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def waiting(self) -> int:
        return int(self.call(lambda: len(self.parked)))

    def call(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result()

    def start(self) -> Floor:
        async def start() -> None:
            self.server = await self.loop.create_server(lambda: _Parked(self), "127.0.0.1", 0)
            self.port = int(self.server.sockets[0].getsockname()[1])

        self.thread.start()
        asyncio.run_coroutine_threadsafe(start(), self.loop).result()
        return self

    def stop(self) -> None:
        async def stop() -> None:
            assert self.server is not None
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class _Parked(asyncio.Protocol):
    """A connection of the :class:`Floor` server."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        floor = self.floor
        if data.startswith(b"PUT"):
            floor.index += 1
            head = b"HTTP/1.1 200 OK\r\nX-Consul-Index: %d\r\nContent-Length: %d\r\n\r\n"
            floor.answer = head % (floor.index, len(floor.body)) + floor.body
            for transport in floor.parked:
                transport.write(floor.answer)
            floor.parked.clear()
            self.transport.write(floor.answer)
        else:
            floor.parked.append(self.transport)


# -- a minimal HTTP/1.1 client (the load generators and watchers) --------------------


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> int:
    """Send one request on a kept-alive connection; the status of its answer."""
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


def _request(method: str, port: int, target: str) -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def _load(port: int, target: str, conns: int, seconds: float, go: Any, out: Any) -> None:
    """A load process: ``conns`` connections repeating one request for ``seconds``.

    It connects, says so on ``out``, and starts when ``go`` is set, so that a
    slow start of the processes does not eat into the measured time.
    """

    async def main() -> int:
        req = _request("GET", port, target)
        streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(conns)]
        out.put("ready")
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        stop = time.monotonic() + seconds

        async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
            done = 0
            try:
                while time.monotonic() < stop:
                    if await _exchange(reader, writer, req) == 200:
                        done += 1
            finally:
                writer.close()
            return done

        return sum(await asyncio.gather(*(worker(r, w) for r, w in streams)))

    out.put(asyncio.run(main()))


def _watch(port: int, target: str, count: int, index: int, out: Any, release: Any) -> None:
    """A watcher process: ``count`` blocking requests, each answer's arrival time.

    Plain non-blocking sockets and ``selectors``, no asyncio: an answer's
    arrival is the time its first bytes are read (before anything of it is
    parsed). The rest of it is then read, and it must be a 200 whose
    ``X-Consul-Index`` is above ``index``. The times go to ``out``; the
    connections are closed only once ``release`` is set, after the server's
    CPU time is read: the server's work on the closes is not measured.
    """
    req = _request("GET", port, target)
    selector = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(req)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, _Answer(sock))
        socks.append(sock)
    arrivals: list[float] = []
    pending = count
    while pending:
        for key, _ in selector.select():
            answer: _Answer = key.data
            data = answer.sock.recv(65536)
            if not data:
                raise RuntimeError("the server closed a watcher's connection")
            if answer.arrived is None:
                answer.arrived = time.monotonic()
                arrivals.append(answer.arrived)
            if answer.add(data, index):
                selector.unregister(answer.sock)
                pending -= 1
    out.put(arrivals)
    release.wait()
    for sock in socks:
        sock.close()
    selector.close()


_STATUS_200 = re.compile(rb"HTTP/1\.[01] 200 ")
_INDEX = re.compile(rb"\r\nX-Consul-Index: ([0-9]+)\r\n", re.IGNORECASE)
_LENGTH = re.compile(rb"\r\nContent-Length: ([0-9]+)\r\n", re.IGNORECASE)


class _Answer:
    """One watcher's answer as it is read."""

    __slots__ = ("arrived", "data", "size", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.arrived: float | None = None
        self.data = b""
        #: The answer's whole size, once its head is in.
        self.size = -1

    def add(self, data: bytes, index: int) -> bool:
        """Take ``data``; whether the answer is complete (a wrong one raises)."""
        self.data += data
        if self.size < 0:
            end = self.data.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = self.data[: end + 2]
            found = _INDEX.search(head)
            length = _LENGTH.search(head)
            if not _STATUS_200.match(head) or found is None or length is None:
                raise RuntimeError(f"not the answer expected: {head!r}")
            if int(found[1]) <= index:
                raise RuntimeError(f"the index did not move past {index}: {head!r}")
            self.size = end + 4 + int(length[1])
        if len(self.data) > self.size:
            raise RuntimeError(f"more than one answer: {self.data!r}")
        return len(self.data) == self.size


# -- the measurements ------------------------------------------------------------------


def read_rate(port: int, target: str, seconds: float, procs: int, conns: int) -> float:
    """Requests per second of ``target`` under ``procs`` x ``conns`` connections."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    go = context.Event()
    workers = [
        context.Process(target=_load, args=(port, target, conns, seconds, go, out))
        for _ in range(procs)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        assert out.get() == "ready"
    go.set()
    total = sum(out.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


#: What :func:`wake` measures: latencies, bytes and CPU time per waiter.
_Woken = tuple[list[float], float, float]


def wake(
    port: int,
    target: str,
    index: int,
    watchers: int,
    procs: int,
    waiting: Callable[[], int],
    write: Callable[[], None],
    cpu: Callable[[], float],
    memory: Callable[[], int] | None = None,
) -> _Woken:
    """Latencies (s) of ``watchers`` blocked requests after one ``write``, bytes per waiter,
    and the server's CPU time (s) per waiter from the write to the last answer.

    Each answer must move the index past ``index``. The watchers come from
    ``procs`` processes (:func:`_watch`).

    ``waiting()`` counts the requests the server holds; ``cpu()`` is the
    CPU time of the server's loop thread; ``memory()`` (if given) is the
    server's traced Python memory now.
    """
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    release = context.Event()
    share = [watchers // procs + (i < watchers % procs) for i in range(procs)]
    before = 0
    if memory is not None:
        time.sleep(0.5)  # let the last round's connections go
        gc.collect()
        before = memory()
    workers = [
        context.Process(target=_watch, args=(port, target, n, index, out, release)) for n in share
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    while waiting() < watchers:
        if time.monotonic() > deadline:
            raise RuntimeError("the watchers never all blocked")
        time.sleep(0.01)
    per_waiter = (memory() - before) / watchers if memory is not None else 0.0
    spent = cpu()
    started = time.monotonic()
    write()
    arrivals = [t for _ in workers for t in out.get()]
    spent = (cpu() - spent) / watchers
    release.set()
    for worker in workers:
        worker.join()
    return sorted(t - started for t in arrivals), per_waiter, spent


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))]


def startup(start: Callable[[], Callable[[], None]], runs: int = 20) -> float:
    """Best time of ``start()`` (which returns a stopper) over ``runs``."""
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        stop = start()
        best = min(best, time.perf_counter() - began)
        stop()
    return best


def spread(values: list[float], scale: float = 1.0) -> str:
    median = statistics.median(values) * scale
    return f"{median:8.2f}  ({min(values) * scale:.2f}-{max(values) * scale:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--procs", type=int, default=3)
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--watch-procs", type=int, default=2)
    args = parser.parse_args()

    def start_agent() -> Callable[[], None]:
        return DevAgent().start().stop

    def start_baseline() -> Callable[[], None]:
        return Baseline(b"").start().stop

    startup(start_agent, 1)  # first-use costs
    startup(start_baseline, 1)
    agent_start, base_start = startup(start_agent), startup(start_baseline)

    rates: dict[str, list[float]] = {
        "agent": [],
        "baseline": [],
        "ratio": [],
        "headers": [],
        "headers_ratio": [],
    }
    wakes: dict[str, list[float]] = {"agent": [], "baseline": [], "agent_max": [], "floor": []}
    cpus: dict[str, list[float]] = {"agent": [], "baseline": [], "floor": []}
    memory: dict[str, float] = {}
    # The watchers come from one address: lift Consul's 200 connections per client.
    with DevAgent(http_max_conns_per_client=0) as agent:
        agent_port = agent.port
        _put(agent, KEY, b"value")
        _, headers, body = _send(agent.port, "GET", f"/v1/kv/{KEY}")
        for name in ("Date", "Content-Length"):
            headers.pop(name, None)
        baseline = Baseline(body, headers).start()
        base_port = int(baseline.url.rsplit(":", 1)[1])
        floor = Floor(body).start()
        try:
            target = f"/v1/kv/{KEY}"
            for _ in range(args.rounds):
                a = read_rate(agent_port, target, args.seconds, args.procs, args.conns)
                b = read_rate(base_port, target, args.seconds, args.procs, args.conns)
                rates["agent"].append(a)
                rates["baseline"].append(b)
                rates["ratio"].append(a / b)
                h = read_rate(base_port, "/headers", args.seconds, args.procs, args.conns)
                rates["headers"].append(h)
                rates["headers_ratio"].append(a / h)

            def agent_waiting() -> int:
                return int(agent.run(lambda core: core.home.blocking_queries))

            def agent_write() -> None:
                _put(agent, KEY, str(time.monotonic()).encode())

            def wake_agent(memory: Callable[[], int] | None = None) -> _Woken:
                index = _index(agent)
                return wake(
                    agent_port,
                    f"{target}?index={index}&wait=5m",
                    index,
                    args.watchers,
                    args.watch_procs,
                    agent_waiting,
                    agent_write,
                    lambda: float(agent.run(lambda core: time.thread_time())),
                    memory,
                )

            def wake_baseline(memory: Callable[[], int] | None = None) -> _Woken:
                return wake(
                    base_port,
                    f"/wait?index={baseline.index}",
                    baseline.index,
                    args.watchers,
                    args.watch_procs,
                    lambda: int(baseline.call(lambda: baseline.waiting)),
                    lambda: _send(base_port, "PUT", "/set"),
                    lambda: float(baseline.call(time.thread_time)),
                    memory,
                )

            def wake_floor(memory: Callable[[], int] | None = None) -> _Woken:
                return wake(
                    floor.port,
                    f"/wait?index={floor.index}",
                    floor.index,
                    args.watchers,
                    args.watch_procs,
                    lambda: floor.waiting,
                    lambda: _send(floor.port, "PUT", "/set"),
                    lambda: float(floor.call(time.thread_time)),
                    memory,
                )

            for _ in range(args.rounds):
                latencies, _, spent = wake_agent()
                wakes["agent"].append(percentile(latencies, 0.99))
                wakes["agent_max"].append(latencies[-1])
                cpus["agent"].append(spent)
                latencies, _, spent = wake_baseline()
                wakes["baseline"].append(percentile(latencies, 0.99))
                cpus["baseline"].append(spent)
                latencies, _, spent = wake_floor()
                wakes["floor"].append(percentile(latencies, 0.99))
                cpus["floor"].append(spent)
            tracemalloc.start()
            try:
                traced = lambda: tracemalloc.get_traced_memory()[0]  # noqa: E731
                _, memory["agent"], _ = wake_agent(traced)
                _, memory["baseline"], _ = wake_baseline(traced)
                _, memory["floor"], _ = wake_floor(traced)
            finally:
                tracemalloc.stop()
        finally:
            baseline.stop()
            floor.stop()

    print(f"rounds: {args.rounds}; median (min-max)")
    print(f"{'figure':<34} {'agent':>22} {'baseline':>22}  ratio")
    print(
        f"{'KV read, req/s':<34} {spread(rates['agent']):>22} {spread(rates['baseline']):>22}"
        f"  {spread(rates['ratio'])}  (goal >= 0.70)"
    )
    print(
        f"{'  baseline with the agent headers':<34} {'':>22} {spread(rates['headers']):>22}"
        f"  {spread(rates['headers_ratio'])}"
    )
    print(
        f"{'wake ' + str(args.watchers) + ' queries, p99 ms':<34} "
        f"{spread(wakes['agent'], 1e3):>22} {spread(wakes['baseline'], 1e3):>22}"
        "  (goal: agent p99 < 25 ms)"
    )
    print(f"{'  agent, last answer ms':<34} {spread(wakes['agent_max'], 1e3):>22}")
    print(f"{'  floor: bare asyncio protocol':<34} {'':>22} {spread(wakes['floor'], 1e3):>22}")
    print(
        f"{'  server CPU per query woken, us':<34} {spread(cpus['agent'], 1e6):>22} "
        f"{spread(cpus['baseline'], 1e6):>22}"
    )
    print(f"{'  floor: bare asyncio protocol':<34} {'':>22} {spread(cpus['floor'], 1e6):>22}")
    print(
        f"{'memory per waiting query, KB':<34} {memory['agent'] / 1024:>22.2f} "
        f"{memory['baseline'] / 1024:>22.2f}  (goal: agent < 4 KB)"
    )
    print(f"{'  floor: bare asyncio protocol':<34} {'':>22} {memory['floor'] / 1024:>22.2f}")
    print(
        f"{'start-up, ms':<34} {agent_start * 1e3:>22.2f} {base_start * 1e3:>22.2f}"
        f"  {agent_start / base_start:.2f}"
    )


# -- small helpers over plain sockets ------------------------------------------------------


Answer = tuple[int, dict[str, str], bytes]


def _send(port: int, method: str, target: str, body: bytes = b"") -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, target, body=body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _put(agent: DevAgent, key: str, value: bytes) -> None:
    status, _, _ = _send(agent.port, "PUT", f"/v1/kv/{key}", value)
    assert status == 200


def _index(agent: DevAgent) -> int:
    _, headers, _ = _send(agent.port, "GET", f"/v1/kv/{KEY}")
    return int(headers["X-Consul-Index"])


if __name__ == "__main__":
    main()
