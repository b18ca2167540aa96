"""The server of bench/clients.py: the embedded agent's answers, replayed.

    python bench/client_server.py

Starts the embedded agent for a moment, writes ``bench`` once, and records
what it answers to ``PUT /v1/kv/bench`` and ``GET /v1/kv/bench``: status,
headers and body. Then serves those answers from a bare ``aiohttp`` server,
prints its URL, and runs until its standard input closes.

Why not the agent itself: the benchmark counts the client process's CPU
time, but the two cores of a small machine are shared. A server that only
replays bytes uses a fraction of the agent's CPU per request, so it
disturbs the client less, and every answer is the same bytes (the agent's
index grows with each write, and with it the size of its answers).
"""

from __future__ import annotations

import asyncio
import http.client
import sys

from aiohttp import web

from consul.testing import DevAgent

KEY = "bench"
VALUE = b"value"
#: aiohttp's server writes these itself.
_OWN_HEADERS = {"date", "server", "content-length", "connection", "keep-alive"}

Answer = tuple[int, list[tuple[str, str]], bytes]


def capture() -> dict[str, Answer]:
    """The agent's answers to a write of ``KEY`` and a read of it, by method."""
    answers: dict[str, Answer] = {}
    with DevAgent() as agent:
        connection = http.client.HTTPConnection(agent.host, agent.port, timeout=10)
        try:
            for method, body in (("PUT", VALUE), ("GET", None)):
                connection.request(method, f"/v1/kv/{KEY}", body=body)
                response = connection.getresponse()
                headers = [
                    (name, value)
                    for name, value in response.getheaders()
                    if name.lower() not in _OWN_HEADERS
                ]
                answers[method] = (response.status, headers, response.read())
        finally:
            connection.close()
    return answers


async def serve(answers: dict[str, Answer]) -> None:
    async def handle(request: web.BaseRequest) -> web.Response:
        await request.read()
        status, headers, body = answers[request.method]
        return web.Response(status=status, headers=headers, body=body)

    runner = web.ServerRunner(web.Server(handle), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(f"http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.read)  # until the driver goes
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(capture()))
