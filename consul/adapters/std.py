"""The blocking client, on one pooled ``requests.Session``.

``requests`` applies its timeout to each socket operation, so an answer that
trickles in a byte at a time would never time out. Here the connections of
the pool read against the deadline of the call under way in their thread
(:class:`_Deadline`): each read may take only the time left, and the whole
call, body included, ends within its time limit.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import threading
import time
from typing import Any, Self, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from .._endpoint import Blocking
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import Config
from ..exceptions import ClientClosed, ConsulException, detached
from ._drive import drive

T = TypeVar("T")

__all__ = ["Consul", "RequestsRunner"]


class _Deadline(threading.local):
    """The call under way in this thread: its runner and when it must end.

    ``requests`` passes nothing of ours down to the connection, so the
    runner leaves this here for the connection classes below.
    """

    runner: RequestsRunner | None = None
    deadline: float | None = None

    def remaining(self) -> float | None:
        """Seconds left (None: no deadline); TimeoutError once there are none."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left


_CURRENT = _Deadline()


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each allowed only the time left to the call."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        # Holds a reference to the socket as makefile() does, so that the
        # answer can be read after the connection let go of it.
        self._raw = sock.makefile("rb", buffering=0)

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(_CURRENT.remaining())
        return self._raw.readinto(buffer)

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """What :class:`_Response` is given as its socket: one that reads against the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock))


class _Response(http.client.HTTPResponse):
    """``http.client``'s answer, with its headers and body read against the deadline."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        if _CURRENT.deadline is not None:
            sock = _DeadlineSocket(sock)
        super().__init__(sock, *args, **kwargs)


class _Exchange:
    """The part of urllib3's connections that keeps to the call's deadline.

    Connecting gets the time left, and so does sending; the answer is read
    by :class:`_Response`. Each connection in use is known to its runner, so
    that closing the client can abort the calls under way.
    """

    response_class: type[http.client.HTTPResponse] = _Response
    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._keep_deadline()

    def request(self, *args: Any, **kwargs: Any) -> None:
        runner = _CURRENT.runner
        if runner is not None:
            runner._inflight[threading.get_ident()] = self  # type: ignore[assignment]
            if runner.closed:
                raise ClientClosed("the client was closed")
        self._keep_deadline()
        super().request(*args, **kwargs)  # type: ignore[misc]

    def _keep_deadline(self) -> None:
        if self.sock is not None and _CURRENT.deadline is not None:
            self.sock.settimeout(_CURRENT.remaining())


class _HTTPConnection(_Exchange, HTTPConnection):
    pass


class _HTTPSConnection(_Exchange, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    """``requests``' adapter over the connections above, never retrying.

    urllib3 sends nothing twice with ``Retry(0, read=False)`` (``requests``'
    default, spelled out): no request, retryable or not, is repeated, and a
    pooled connection is checked before it is reused. With ``context``
    (HTTPS), the client's own TLS context decides alone, as in the other
    adapters: ``requests`` would otherwise add its own CAs (certifi's,
    OpenSSL's hashed directories) on top.
    """

    def __init__(self, context: Any = None, server_name: str | None = None, **kwargs: Any) -> None:
        self._context = context
        self._server_name = server_name
        super().__init__(max_retries=Retry(0, read=False), **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._context is not None:
            kwargs["ssl_context"] = self._context
        if self._server_name:
            kwargs["server_hostname"] = self._server_name
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # Nothing to add: over HTTPS the context holds the CAs, the
        # verification mode and the client certificate.
        return


class RequestsRunner:
    """Sends requests with ``requests`` and decodes them in the calling thread.

    ``pool_size`` is the number of connections kept for reuse.
    """

    def __init__(self, config: Config, pool_size: int = 10) -> None:
        self.config = config
        self.closed = False
        self._base_url = config.base_url
        #: The connection of the call under way in each thread.
        self._inflight: dict[int, HTTPConnection] = {}
        self.session = requests.Session()
        # Consul's settings, not the environment's proxies and netrc, decide
        # how to reach the agent (api.go uses a clean transport too).
        self.session.trust_env = False
        https = config.scheme == "https"
        adapter = _Adapter(
            config.ssl_context() if https else None,
            config.tls_server_name if https else None,
            pool_maxsize=pool_size,
        )
        self.session.mount(config.scheme + "://", adapter)
        # Only the on/off of verification reaches requests (it must agree
        # with the context); the context has the CAs and the certificate.
        self.session.verify = config.verify

    def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        if self.closed:
            raise request.closed()
        limit = request.time_limit(self.config.timeout)
        current = _CURRENT
        current.runner = self
        current.deadline = None if limit is None else time.monotonic() + limit
        try:
            answer = self.session.request(
                request.method,
                request.url(self._base_url),
                headers=dict(request.headers) if request.headers else None,
                data=request.body,
                timeout=(limit, limit),
                allow_redirects=False,
            )
            # requests' headers are case-insensitive: read where needed.
            return Response(answer.status_code, answer.headers, answer.content, request)
        except (requests.RequestException, OSError, http.client.HTTPException) as exc:
            raise self._failure(request, exc) from detached(exc)
        finally:
            current.runner = current.deadline = None
            self._inflight.pop(threading.get_ident(), None)

    def _failure(self, request: Request, exc: Exception) -> ConsulException:
        if self.closed:
            return request.closed(under_way=True)
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError
        sent = not isinstance(
            exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError
        ) and not isinstance(reason, NewConnectionError)
        deadline = _CURRENT.deadline
        if isinstance(exc, requests.Timeout) or (
            deadline is not None and time.monotonic() >= deadline
        ):
            return request.timed_out(self.config.timeout, sent=sent)
        return request.connection_failed(self.config.base_url, exc, sent=sent)

    def run(self, call: Call[T]) -> T:
        """Send ``call``'s request and return the decoded value."""
        return call.result(self.send(call.request))

    def run_flow(self, flow: Flow[T]) -> T:
        """Drive ``flow`` in this thread."""
        return drive(flow, self.run, time.sleep)

    def close(self) -> None:
        """Close the connections, aborting the calls under way in other threads.

        Those calls, and any made afterwards, raise :class:`ClientClosed`.
        """
        self.closed = True
        for connection in list(self._inflight.values()):
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self.session.close()


class Consul(ConsulBase[Blocking]):
    """The blocking client: every call returns its value.

    ``with consul.Consul() as c:`` closes the pooled connections on exit;
    otherwise call :meth:`close` when done. A call after ``close()`` raises
    :class:`~consul.exceptions.ClientClosed`. See
    :class:`consul.base.ConsulBase` for the arguments.
    """

    _runner: RequestsRunner

    def _make_runner(self, config: Config) -> RequestsRunner:
        return RequestsRunner(config)

    def close(self) -> None:
        """Close the pooled connections (and abort calls under way in other threads)."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
