"""The server of bench/clients.py: the embedded agent's answers, replayed.

    python bench/client_server.py

Starts the embedded agent for a moment, writes ``bench`` once, and records
what it answers to ``PUT /v1/kv/bench`` and ``GET /v1/kv/bench``, byte for
byte. Then answers every request with those bytes from a bare asyncio
protocol, prints its URL, and runs until its standard input closes.

Why not the agent itself: the benchmark counts the CPU time of the client
process, but over loopback that includes the kernel's work of waking the
server when a request arrives, and that work depends on timing: a server
still busy with its last answer needs no waking, one asleep does. A server
that spends a few microseconds per request is asleep whenever a request
comes, for every client alike, and it leaves the machine's cores to the
client. And every answer is the same bytes (the agent's index grows with each
write, and with it the size of its answers).
"""

from __future__ import annotations

import asyncio
import http.client
import sys

from consul.testing import DevAgent

KEY = "bench"
VALUE = b"value"


def capture() -> dict[bytes, bytes]:
    """The agent's answers to a write of ``KEY`` and a read of it, by method."""
    answers: dict[bytes, bytes] = {}
    with DevAgent() as agent:
        connection = http.client.HTTPConnection(agent.host, agent.port, timeout=10)
        try:
            for method, body in (("PUT", VALUE), ("GET", None)):
                connection.request(method, f"/v1/kv/{KEY}", body=body)
                response = connection.getresponse()
                head = f"HTTP/1.1 {response.status} {response.reason}\r\n"
                head += "".join(f"{name}: {value}\r\n" for name, value in response.getheaders())
                answers[method.encode()] = head.encode("latin-1") + b"\r\n" + response.read()
        finally:
            connection.close()
    return answers


class Replay(asyncio.Protocol):
    """Reads requests (``Content-Length`` bodies only) and writes the recorded answer."""

    def __init__(self, answers: dict[bytes, bytes]) -> None:
        self.answers = answers
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            length = 0
            if (start := head.find(b"\r\ncontent-length:")) >= 0:
                stop = head.find(b"\r\n", start + 2)
                length = int(head[start + 17 : stop if stop >= 0 else end])
            if len(self.buffer) < end + 4 + length:
                return  # the rest of the body is still to come
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(self.answers[head[: head.find(b" ")].upper()])
            if b"\r\nconnection: close" in head:
                self.transport.close()
                return


async def serve(answers: dict[bytes, bytes]) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Replay(answers), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.read)  # until the driver goes
    finally:
        server.close()
        await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(serve(capture()))
