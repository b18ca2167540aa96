"""A raw HTTP/1.1 server that misbehaves on demand, for the adapters' fault tests.

Imported as ``adapters.faults`` (``tests`` is on the path); the
``fault_server`` fixture of ``conftest.py`` makes one per test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import struct
import threading
from typing import Any


@dataclasses.dataclass(frozen=True)
class Answer:
    """A fault server's action: answer (keeping the connection open)."""

    status: int = 200
    body: bytes = b"null"
    headers: tuple[tuple[str, str], ...] = (("X-Consul-Index", "7"),)


#: Fault server actions besides :class:`Answer`:
LOSE = "lose"  # read the request, then close the connection without a word
RESET = "reset"  # send the headers and part of the body, then reset (RST)
TRICKLE_BODY = "trickle-body"  # send the headers, then the body a byte at a time
TRICKLE_HEADERS = "trickle-headers"  # send the headers a byte at a time
HUGE_HEADERS = "huge-headers"  # answer with a 200 KB header
STALL_BODY = "stall-body"  # send a chunked answer's headers, then nothing until hung up on

#: Seconds between the bytes of a trickle: the whole answer takes ~10 s.
TRICKLE_INTERVAL = 0.2


class FaultServer:
    """A raw HTTP/1.1 server that misbehaves as it is told, one action per request.

    It reads each request whole (headers, and the body its Content-Length
    gives), records ``(method, target)`` in :attr:`seen`, then performs the
    next action of the script given to :meth:`script` (then ``default``).
    Everything happens on the server's threads as soon as the request is
    read: what a client sees does not depend on timing, except for the
    trickles, which send their bytes :data:`TRICKLE_INTERVAL` apart.
    """

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.default: Answer | str = Answer()
        self._script: list[Answer | str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        #: How many connections have ended (the client or the server hung up).
        self.ended = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port = int(self._listener.getsockname()[1])
        self._accepting = threading.Thread(target=self._accept, name="fault-server")
        self._accepting.start()

    def script(self, *actions: Answer | str) -> None:
        """The actions for the next requests, in order (then ``default``)."""
        self._script = list(actions)

    def count(self, method: str) -> int:
        """How many ``method`` requests were read."""
        return sum(1 for seen, _ in self.seen if seen == method)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                if self._stopping.is_set():
                    connection.close()
                    return
                self._connections.append(connection)
                thread = threading.Thread(
                    target=self._serve, args=(connection,), name="fault-connection"
                )
                self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while self._read_request(reader):
                with self._lock:
                    action = self._script.pop(0) if self._script else self.default
                if not self._perform(connection, action):
                    return
        except OSError:
            return
        finally:
            reader.close()
            connection.close()
            with self._lock:
                self.ended += 1

    def _read_request(self, reader: Any) -> bool:
        line = reader.readline()
        if not line:
            return False
        method, target, _ = line.decode("latin-1").split(" ", 2)
        length = 0
        while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        reader.read(length)
        self.seen.append((method, target))
        return True

    def _perform(self, connection: socket.socket, action: Answer | str) -> bool:
        """Do ``action``; False if the connection is done with."""
        if isinstance(action, Answer):
            head = [f"HTTP/1.1 {action.status} Answer", f"Content-Length: {len(action.body)}"]
            head += [f"{name}: {value}" for name, value in action.headers]
            connection.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + action.body)
            return True
        if action == LOSE:
            return False
        if action == STALL_BODY:
            head = "HTTP/1.1 200 OK\r\nX-Consul-Index: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
            connection.sendall(head.encode())
            connection.recv(1)  # b"" once the client hangs up (or the server stops)
            return False
        body = b"[" + b" " * 48 + b"]"
        head = f"HTTP/1.1 200 OK\r\nX-Consul-Index: 7\r\nContent-Length: {len(body)}\r\n"
        if action == HUGE_HEADERS:
            connection.sendall(head.encode() + b"X-Padding: " + b"x" * 200_000 + b"\r\n\r\n" + body)
            return True
        if action == RESET:
            connection.sendall(head.encode() + b"\r\n" + body[:10])
            # SO_LINGER 0: close() sends RST rather than FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if action == TRICKLE_BODY:
            connection.sendall(head.encode() + b"\r\n")
            self._trickle(connection, body)
            return False
        if action == TRICKLE_HEADERS:
            self._trickle(connection, head.encode() + b"\r\n" + body)
            return False
        raise AssertionError(f"unknown action {action!r}")

    def _trickle(self, connection: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if self._stopping.wait(TRICKLE_INTERVAL):
                return
            connection.sendall(data[i : i + 1])

    def close(self) -> None:
        """Stop serving: close every connection and join every thread."""
        self._stopping.set()
        # shutdown() wakes the accept() under way; close() alone may not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepting.join()
        with self._lock:
            connections, threads = list(self._connections), list(self._threads)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join()
