"""Fixtures for the transport contract: certificates, HTTPS agents, a stub server.

- ``pki``: a CA made by ``trustme`` with server and client certificates, and
  a second CA that nobody trusts, written to files as Consul's tools take them.
- ``tls_agent``, ``mtls_agent``, ``named_agent``: embedded agents serving
  HTTPS (``ports.https``): plain, requiring client certificates
  (``verify_incoming``), and with a certificate valid only for
  ``server.dc1.consul`` (Consul's own naming), for the server-name override.
- ``stub``: a tiny aiohttp server that records what it receives and answers
  what the test tells it (a status, a gzipped body, or nothing at all);
  ``unix_stub`` the same on a unix socket.
- ``client``: a client of this test's adapter to any address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import trustme
from adapters.faults import FaultServer
from aiohttp import web
from harness import CALL_TIMEOUT, Loop, Sync, sync_client

from consul.testing import DevAgent

#: The name in the certificate of ``named_agent`` (Consul's server naming).
SERVER_NAME = "server.dc1.consul"


@dataclasses.dataclass(frozen=True)
class PKI:
    """Certificate files (PEM) for the TLS tests."""

    ca: Path  # the CA bundle clients trust
    ca_dir: Path  # a directory holding it under an arbitrary name, plus another CA
    server_cert: Path
    server_key: Path
    named_cert: Path  # valid only for SERVER_NAME
    named_key: Path
    client_cert: Path
    client_key: Path
    client_pem: Path  # certificate and key in one file
    stranger_cert: Path  # a client certificate from another CA
    stranger_key: Path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    """A CA and its certificates, and a second CA that is trusted by nobody."""
    root = tmp_path_factory.mktemp("pki")
    ca = trustme.CA(organization_name="python-consul tests")
    other = trustme.CA(organization_name="somebody else")

    def write(name: str, blob: trustme.Blob) -> Path:
        blob.write_to_path(str(root / name))
        return root / name

    server = ca.issue_cert("127.0.0.1", "localhost")
    named = ca.issue_cert(SERVER_NAME)
    client = ca.issue_cert("client.dc1.consul")
    stranger = other.issue_cert("client.dc1.consul")
    ca_dir = root / "cas"
    ca_dir.mkdir()
    ca.cert_pem.write_to_path(str(ca_dir / "consul-agent-ca.pem"))
    other.cert_pem.write_to_path(str(ca_dir / "unrelated-ca.crt"))
    client_pem = root / "client-both.pem"
    client_pem.write_bytes(client.private_key_pem.bytes() + client.cert_chain_pems[0].bytes())
    return PKI(
        ca=write("ca.pem", ca.cert_pem),
        ca_dir=ca_dir,
        server_cert=write("server.pem", server.cert_chain_pems[0]),
        server_key=write("server-key.pem", server.private_key_pem),
        named_cert=write("named.pem", named.cert_chain_pems[0]),
        named_key=write("named-key.pem", named.private_key_pem),
        client_cert=write("client.pem", client.cert_chain_pems[0]),
        client_key=write("client-key.pem", client.private_key_pem),
        client_pem=client_pem,
        stranger_cert=write("stranger.pem", stranger.cert_chain_pems[0]),
        stranger_key=write("stranger-key.pem", stranger.private_key_pem),
    )


def _https_agent(pki: PKI, **settings: Any) -> DevAgent:
    settings.setdefault("tls_cert_file", str(pki.server_cert))
    settings.setdefault("tls_key_file", str(pki.server_key))
    return DevAgent(https_port=0, **settings)


@pytest.fixture(scope="session")
def tls_agent(pki: PKI) -> Iterator[DevAgent]:
    """An agent serving HTTPS with a certificate for 127.0.0.1 from ``pki.ca``."""
    with _https_agent(pki) as agent:
        yield agent


@pytest.fixture(scope="session")
def mtls_agent(pki: PKI) -> Iterator[DevAgent]:
    """An HTTPS agent that requires a client certificate signed by ``pki.ca``."""
    with _https_agent(pki, tls_ca_file=str(pki.ca), tls_verify_incoming=True) as agent:
        yield agent


@pytest.fixture(scope="session")
def named_agent(pki: PKI) -> Iterator[DevAgent]:
    """An HTTPS agent whose certificate names only ``server.dc1.consul``."""
    with _https_agent(
        pki, tls_cert_file=str(pki.named_cert), tls_key_file=str(pki.named_key)
    ) as agent:
        yield agent


@dataclasses.dataclass(frozen=True)
class Seen:
    """One request as the stub server received it."""

    method: str
    target: str  # the raw request target: path and query, as sent
    headers: dict[str, str]
    body: bytes


class Stub:
    """A local aiohttp server on a thread of its own, answering as told.

    Every request is recorded in :attr:`seen`. By default it answers 200 with
    ``null``; :meth:`answer` sets another status, body and headers (and a
    delay before answering, for a slow server);
    :meth:`hang` makes it accept requests (all, or those it names) and never
    answer, noting in :attr:`holding` that a request is held (and counting
    them in :attr:`held`) and in :attr:`dropped` that the client went away
    (the handler is cancelled when the connection closes).
    """

    def __init__(
        self, ssl_context: ssl.SSLContext | None = None, unix_path: str | None = None
    ) -> None:
        self.seen: list[Seen] = []
        self.holding = threading.Event()
        self.dropped = threading.Event()
        self.held = 0
        self._changed = threading.Condition()
        self._reply: tuple[int, bytes, dict[str, str]] = (200, b"null", {})
        self._delay = 0.0
        self._hang: Callable[[web.Request], bool] | None = None
        self._compress = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stub-server")
        self._thread.start()
        self._runner = self._call(self._start(ssl_context, unix_path))
        #: Where clients connect (on a unix socket: ``unix:///path``, and no port).
        self.host = "127.0.0.1" if unix_path is None else f"unix://{unix_path}"
        self.port = None if unix_path is not None else int(self._runner.addresses[0][1])

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _start(
        self, ssl_context: ssl.SSLContext | None, unix_path: str | None
    ) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=0.5,
        )
        await runner.setup()
        if unix_path is not None:
            await web.UnixSite(runner, unix_path).start()
        else:
            await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
        return runner

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            Seen(request.method, request.raw_path, dict(request.headers), await request.read())
        )
        if self._hang is not None and self._hang(request):
            with self._changed:
                self.held += 1
                self._changed.notify_all()
            self.holding.set()
            try:
                await asyncio.Event().wait()
            finally:
                with self._changed:
                    self.held -= 1
                    self._changed.notify_all()
                self.dropped.set()
        if self._delay:
            await asyncio.sleep(self._delay)
        status, body, headers = self._reply
        response = web.Response(status=status, body=body, headers=headers)
        if self._compress:
            response.enable_compression()
        return response

    def answer(
        self,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        *,
        compress: bool = False,
        delay: float = 0.0,
    ) -> None:
        """Answer every request with ``status`` and ``body`` (gzipped if asked for),
        ``delay`` seconds after it came."""
        raw = body.encode() if isinstance(body, str) else body
        self._reply = (status, raw, headers or {})
        self._hang = None
        self._compress = compress
        self._delay = delay

    def answer_json(
        self, value: Any, *, index: int = 1, compress: bool = False, delay: float = 0.0
    ) -> None:
        """Answer 200 with ``value`` as JSON and an ``X-Consul-Index``."""
        headers = {"Content-Type": "application/json", "X-Consul-Index": str(index)}
        self.answer(200, json.dumps(value), headers, compress=compress, delay=delay)

    def hang(self, when: Callable[[web.Request], bool] = lambda request: True) -> None:
        """Accept requests (those for which ``when`` is true) and never answer them."""
        self._hang = when

    def wait_held(self, count: int) -> None:
        """Wait until exactly ``count`` requests are held (fail after CALL_TIMEOUT)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.held == count, CALL_TIMEOUT):
                raise AssertionError(f"{self.held} requests held, not {count}")

    def close(self) -> None:
        """Stop the server and its thread."""
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@pytest.fixture
def make_stub() -> Iterator[Callable[..., Stub]]:
    """Make stub servers (``make_stub(ssl_context)`` for HTTPS), closed after the test."""
    made: list[Stub] = []

    def make(ssl_context: ssl.SSLContext | None = None, unix_path: str | None = None) -> Stub:
        made.append(Stub(ssl_context, unix_path))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def stub(make_stub: Callable[..., Stub]) -> Stub:
    """A stub server for this test."""
    return make_stub()


@pytest.fixture
def unix_stub(make_stub: Callable[..., Stub], socket_dir: Path) -> Stub:
    """A stub server on the unix socket ``socket_dir / "consul.sock"``."""
    return make_stub(unix_path=str(socket_dir / "consul.sock"))


@pytest.fixture(scope="session")
def server_name() -> str:
    """The only name in ``named_agent``'s certificate."""
    return SERVER_NAME


@pytest.fixture
def broken_server() -> Iterator[Callable[[bytes], tuple[str, int]]]:
    """Start servers that answer every connection with raw bytes, then hang up.

    ``broken_server(b"HTTP/1.1 200 OK...")`` gives the server's address.
    """
    servers: list[socketserver.TCPServer] = []
    threads: list[threading.Thread] = []

    def start(raw: bytes) -> tuple[str, int]:
        class Answer(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.recv(65536)
                self.request.sendall(raw)

        server = socketserver.TCPServer(("127.0.0.1", 0), Answer)
        thread = threading.Thread(target=server.serve_forever, name="broken-server")
        thread.start()
        servers.append(server)
        threads.append(thread)
        return "127.0.0.1", int(server.server_address[1])

    yield start
    for server, thread in zip(servers, threads, strict=True):
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A :class:`FaultServer` for this test."""
    server = FaultServer()
    yield server
    server.close()


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A local port where connections are refused (bound, never listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.fixture
def client(
    adapter: str, loops: Callable[[str], Loop], make_stub: Callable[..., Stub]
) -> Iterator[Callable[..., Sync]]:
    """Make clients of this test's adapter (closed at the end of the test,
    before the stub servers, so that it is the client that hangs up).

    ``client(server)`` connects to a :class:`Stub` or a :class:`DevAgent`'s
    HTTP port; ``client(host=..., port=...)`` anywhere.
    """
    with ExitStack() as stack:

        def make(server: Stub | DevAgent | None = None, **kwargs: Any) -> Sync:
            if server is not None:
                kwargs.setdefault("host", server.host)
                kwargs.setdefault("port", server.port)
            return stack.enter_context(sync_client(adapter, loops(adapter), **kwargs))

        yield make
