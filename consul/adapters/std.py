"""The blocking client, on the pooled adapter of a ``requests.Session``.

The transport prepares each request itself and hands it to the adapter
(:meth:`RequestsTransport._dispatch`): the session's own per-request work
(merging its settings, cookies, redirects) does nothing for the requests the
core builds, and cost more than a third of a call.

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
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import default_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

from .._endpoint import Blocking
from .._http import UPLOAD_CHUNK, Headers, Request, Response, Upload
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ..exceptions import ClientClosed, ConsulException, detached
from ..transport import Transport
from ._run import BlockingRunner, given_transport

__all__ = ["Consul", "RequestsTransport"]


class _Deadline(threading.local):
    """The call under way in this thread: its transport and when it must end.

    ``requests`` passes nothing of ours down to the connection, so the
    transport leaves this here for the connection classes below.
    """

    transport: RequestsTransport | None = None
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


class _TimedSocket(socket.socket):
    """A plain connection's socket, whose reads each get only the time left to the call.

    Made once per connection (see :class:`_HTTPConnection`), where the
    answer's reader would otherwise be wrapped for each answer (as a TLS
    connection's is, by :class:`_Response`).
    """

    __slots__ = ()

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if _CURRENT.deadline is not None:
            self.settimeout(_CURRENT.remaining())
        return _recv_into(self, buffer, nbytes, flags)


_recv_into = socket.socket.recv_into


class _DeadlineSocket:
    """What :class:`_Response` is given as its socket: one that reads against the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock))


class _Response(http.client.HTTPResponse):
    """``http.client``'s answer over TLS, with its headers and body read against the deadline."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        if _CURRENT.deadline is not None:
            sock = _DeadlineSocket(sock)
        super().__init__(sock, *args, **kwargs)


class _Exchange:
    """The part of urllib3's connections that keeps to the call's deadline.

    Connecting gets the time left, and so does sending; the answer is read
    by the socket itself (:class:`_TimedSocket`) or, over TLS, by
    :class:`_Response`. Each connection in use is known to its transport,
    so that closing the client can abort the calls under way.
    """

    response_class: type[http.client.HTTPResponse] = _Response
    sock: socket.socket | None
    timeout: float | None

    def connect(self) -> None:
        self._time_left()
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        transport = _CURRENT.transport
        if transport is not None:
            transport._inflight[threading.get_ident()] = self  # type: ignore[assignment]
            if transport.closed:
                raise ClientClosed("the client was closed")
        self._time_left()
        super().request(*args, **kwargs)  # type: ignore[misc]

    def _time_left(self) -> None:
        # urllib3 connects with the connection's timeout, and gives it to
        # the socket before sending (urllib3/connection.py, request()): the
        # time left to the call, set on the socket by that one settimeout().
        if _CURRENT.deadline is not None:
            self.timeout = _CURRENT.remaining()


class _HTTPConnection(_Exchange, HTTPConnection):
    # Its socket reads against the deadline: the answer needs no wrapping.
    response_class = http.client.HTTPResponse

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        timeout = sock.gettimeout()
        timed = _TimedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        timed.settimeout(timeout)  # a socket made from a file descriptor has the default
        return timed


class _HTTPSConnection(_Exchange, HTTPSConnection):
    pass


class _UnixConnection(_Exchange, HTTPConnection):
    """A connection to Consul's unix socket, ``socket_path``, instead of host and port."""

    # Its socket reads against the deadline: the answer needs no wrapping.
    response_class = http.client.HTTPResponse

    def __init__(self, *args: Any, socket_path: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.socket_path = socket_path

    def _new_conn(self) -> socket.socket:
        # urllib3's own, for an AF_UNIX socket: its failures are the ones
        # urllib3 raises for TCP, which the transport reads as "not sent".
        sock = _TimedSocket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(_CURRENT.remaining())
            sock.connect(self.socket_path)
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(self, f"connecting to {self.socket_path} timed out") from exc
        except OSError as exc:
            sock.close()
            raise NewConnectionError(self, f"cannot connect to {self.socket_path}: {exc}") from exc
        return sock


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _UnixPool(HTTPConnectionPool):
    ConnectionCls = _UnixConnection


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

    ``origin`` (``scheme://host:port/``, as requests writes it) is where the
    transport's requests all go: for those, the pool and the target
    (:meth:`get_connection_with_tls_context`, :meth:`request_url`) are known
    without requests' parsing of the URL on each call.
    """

    def __init__(
        self,
        origin: str,
        context: Any = None,
        server_name: str | None = None,
        *,
        pool_maxsize: int,
    ) -> None:
        self._origin = origin
        self._context = context
        self._server_name = server_name
        self._pool: Any = None
        super().__init__(max_retries=Retry(0, read=False), pool_maxsize=pool_maxsize)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._context is not None:
            kwargs["ssl_context"] = self._context
        if self._server_name:
            kwargs["server_hostname"] = self._server_name
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def _ours(self, request: Any, proxies: Any) -> bool:
        """Whether ``request`` is one of the transport's (to its origin, not by a proxy)."""
        return not proxies and str(request.url).startswith(self._origin)

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        # The pool requests gives the first request to the origin is the
        # pool of every other: the same host and port, and TLS settings
        # that are the context's alone (see cert_verify). Finding it again
        # (the URL parsed three times, the pool's key made) took 13% of a
        # call's instructions, with the target below.
        if not self._ours(request, proxies):
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        if self._pool is None:
            self._pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        return self._pool

    def request_url(self, request: Any, proxies: Any) -> str:
        # Without a proxy, what follows the origin: the path and the query.
        if not self._ours(request, proxies):
            return super().request_url(request, proxies)
        return str(request.url)[len(self._origin) - 1 :]

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # Nothing to add: over HTTPS the context holds the CAs, the
        # verification mode and the client certificate.
        return

    def close(self) -> None:
        super().close()
        self._pool = None


class _UnixAdapter(_Adapter):
    """The adapter of a client of Consul's unix socket: every request goes to its one pool."""

    def __init__(self, origin: str, unix_socket: str, *, pool_maxsize: int) -> None:
        super().__init__(origin, pool_maxsize=pool_maxsize)
        self._unix_pool = _UnixPool("localhost", maxsize=pool_maxsize, socket_path=unix_socket)

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        return self._unix_pool

    def close(self) -> None:
        super().close()
        self._unix_pool.close()


class RequestsTransport:
    """Sends requests through the pooled adapter of one ``requests.Session``, in the calling thread.

    ``pool_size`` is the number of connections kept for reuse.
    """

    def __init__(self, config: Config, pool_size: int = 10) -> None:
        self.config = config
        self.closed = False
        #: The connection of the call under way in each thread.
        self._inflight: dict[int, HTTPConnection] = {}
        #: The answers being read as streams, which close() closes.
        self._streams: set[_Opened] = set()
        self.session = requests.Session()
        # Consul's settings, not the environment's proxies and netrc, decide
        # how to reach the agent (api.go uses a clean transport too).
        self.session.trust_env = False
        self._base_url = _prepared_base(config.base_url)
        parts = urlsplit(self._base_url)
        origin = f"{parts.scheme}://{parts.netloc}/"
        adapter: _Adapter
        if config.unix_socket is not None:
            adapter = _UnixAdapter(origin, config.unix_socket, pool_maxsize=pool_size)
        elif config.scheme == "https":
            adapter = _Adapter(
                origin, config.ssl_context(), config.tls_server_name, pool_maxsize=pool_size
            )
        else:
            adapter = _Adapter(origin, pool_maxsize=pool_size)
        self.session.mount(config.scheme + "://", adapter)
        # Only the on/off of verification reaches requests (it must agree
        # with the context); the context has the CAs and the certificate.
        self.session.verify = config.verify
        self._adapter = adapter
        #: requests' default headers, which a session sends (its User-Agent,
        #: the encodings it decodes...), before each request's own.
        self._headers: Headers = tuple(default_headers().items())

    def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        if self.closed:
            raise request.closed()
        limit = request.time_limit()
        current = _CURRENT
        current.transport = self
        current.deadline = None if limit is None else time.monotonic() + limit
        try:
            body = request.body or None
            answer = self._dispatch(request, body, None if body is None else len(body), limit)
            # The body read whole from urllib3's answer, decoded (gzip):
            # requests' ``content`` reads it part by part through generators,
            # 4% of a call's instructions. The failures are urllib3's own,
            # read as requests' were.
            content = answer.raw.read(decode_content=True)
            # requests' headers are case-insensitive: read where needed.
            return Response(answer.status_code, answer.headers, content, request)
        except (requests.RequestException, Urllib3Error, OSError, http.client.HTTPException) as exc:
            raise self._failure(request, exc) from detached(exc)
        finally:
            current.transport = current.deadline = None
            self._inflight.pop(threading.get_ident(), None)

    def open(self, request: Request) -> _Opened:
        """Send ``request`` and return once the answer's headers are in (a stream).

        The time limit bounds connecting, sending (an upload included) and
        the wait for the headers; the body is read with :meth:`_Opened.read`.
        """
        if self.closed:
            raise request.closed()
        limit = request.time_limit()
        current = _CURRENT
        current.transport = self
        current.deadline = None if limit is None else time.monotonic() + limit
        ident = threading.get_ident()
        connection = None
        try:
            with contextlib.ExitStack() as stack:
                body: Any = request.body or None
                size = None if body is None else len(body)
                if request.upload is not None:
                    file = stack.enter_context(request.upload.open())
                    size = Upload.size(file)
                    # A file of known size goes with its Content-Length;
                    # anything else chunk by chunk.
                    body = file if size is not None else Upload.chunks(file)
                answer = self._dispatch(request, body, size, limit)
        except (requests.RequestException, OSError, http.client.HTTPException) as exc:
            raise self._failure(request, exc) from detached(exc)
        finally:
            current.transport = current.deadline = None
            connection = self._inflight.pop(ident, None)
        head = Response(answer.status_code, answer.headers, b"", request)
        opened = _Opened(self, head, answer, connection)
        self._streams.add(opened)
        return opened

    def _dispatch(
        self, request: Request, body: Any, size: int | None, limit: float | None
    ) -> requests.Response:
        """Send ``request`` with ``body`` (of ``size`` bytes; None: chunked); the answer's headers.

        The body is left to read (``stream``). ``limit`` is requests' timeout;
        the deadline in ``_CURRENT`` bounds the whole call.

        Prepared here rather than by ``Session.request``, whose preparation
        (``Session.prepare_request``, ``PreparedRequest.prepare``,
        ``merge_environment_settings``) and ``Session.send`` (cookies,
        redirects) do nothing for these requests but cost 40% of a call's
        instructions (measured with callgrind, bench/README.md): the URL is
        already encoded (its base once by requests itself, see
        :func:`_prepared_base`), the headers are requests' defaults (a new
        session's) and the request's, and the body is bytes, a file or parts of one, sent with
        the Content-Length requests would give it.
        """
        headers = CaseInsensitiveDict(self._headers + request.headers)
        if body is not None:
            if size is not None:
                headers["Content-Length"] = str(size)
        elif request.method not in _NO_BODY:
            headers["Content-Length"] = "0"
        prepared = PreparedRequest()
        prepared.method = request.method
        prepared.url = request.url(self._base_url)
        prepared.headers = headers
        prepared.body = body
        return self._adapter.send(prepared, stream=True, timeout=limit, verify=self.config.verify)

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
            return request.timed_out(sent=sent)
        return request.connection_failed(self.config.address, exc, sent=sent)

    def fork(self) -> RequestsTransport:
        """A transport of its own (one connection), for a flow that may be stopped.

        Its ``close()`` aborts the call under way, and cannot cut a
        connection of this transport's pool that another call uses.
        """
        return RequestsTransport(self.config, pool_size=1)

    def close(self) -> None:
        """Close the connections, aborting the calls under way in other threads.

        Those calls, and any made afterwards, raise :class:`ClientClosed`.
        """
        self.closed = True
        for connection in list(self._inflight.values()):
            _shut(connection)
        for stream in list(self._streams):
            stream.abort()
        self.session.close()


#: The methods requests sends no Content-Length for when they have no body.
_NO_BODY = frozenset({"GET", "HEAD"})


def _prepared_base(base_url: str) -> str:
    """``base_url`` as requests writes a URL (a host in IDNA, a path prefix quoted).

    The paths and queries the core appends to it are already percent-encoded
    and have no dot segments: requests' own preparation leaves them as they are.
    """
    prepared = PreparedRequest()
    prepared.prepare_url(base_url + "/", None)
    assert prepared.url is not None
    return prepared.url[:-1]


def _shut(connection: HTTPConnection | None) -> None:
    """Shut a connection's socket down: a read blocked on it in another thread ends."""
    sock = None if connection is None else connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Opened:
    """An answer of :meth:`RequestsTransport.open`, its body read part by part."""

    def __init__(
        self,
        transport: RequestsTransport,
        head: Response,
        answer: requests.Response,
        connection: HTTPConnection | None,
    ) -> None:
        self.head = head
        self._transport = transport
        self._answer = answer
        self._connection = connection
        self._raw = answer.raw
        self._lock = threading.Lock()
        self.closed = False
        self._aborted = False

    def read(self, idle: float | None) -> bytes:
        """The next part of the body (b"" at its end), within ``idle`` seconds."""
        request = self.head.request
        if self._aborted:
            raise request.closed(under_way=True)
        current = _CURRENT
        current.deadline = None if idle is None else time.monotonic() + idle
        try:
            # read1: what has come (up to a chunk's worth), not a chunk's worth.
            return bytes(self._raw.read1(UPLOAD_CHUNK, decode_content=True))
        except Exception as exc:
            if self._aborted:
                raise request.closed(under_way=True) from detached(exc)
            if self.closed:
                return b""  # closed from another thread under the read
            if not isinstance(exc, Urllib3Error | OSError | http.client.HTTPException):
                raise
            deadline = current.deadline
            if deadline is not None and time.monotonic() >= deadline:
                raise request.timed_out(sent=True) from detached(exc)
            raise request.connection_failed(
                self._transport.config.address, exc, sent=True
            ) from detached(exc)
        finally:
            current.deadline = None

    def abort(self) -> None:
        """Close the connection as the client closes: a read under way fails with ClientClosed."""
        self._aborted = True
        self.close()

    def close(self) -> None:
        """Close the connection (from any thread: a read under way ends)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        _shut(self._connection)
        self._answer.close()
        self._transport._streams.discard(self)


class Consul(ConsulBase[Blocking]):
    """The blocking client: every call returns its value.

    ``with consul.Consul() as c:`` closes the pooled connections on exit;
    otherwise call :meth:`close` when done. A call after ``close()`` raises
    :class:`~consul.exceptions.ClientClosed`. See
    :class:`consul.base.ConsulBase` for the arguments, and
    :mod:`consul.transport` for ``transport``: what sends the requests
    instead of ``requests`` (a :class:`~consul.transport.Transport`).
    """

    _runner: BlockingRunner

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        token: str | None = None,
        scheme: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        verify: bool | str | None = None,
        cert: Cert | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        token_file: str | None = None,
        tls_server_name: str | None = None,
        http_auth: str | tuple[str, str] | None = None,
        transport: Transport | None = None,
    ) -> None:
        if transport is not None:
            given_transport(transport, "consul.Consul", blocking=True)
        self._transport = transport
        super().__init__(
            host,
            port,
            token,
            scheme,
            consistency,
            dc,
            verify,
            cert,
            timeout=timeout,
            token_file=token_file,
            tls_server_name=tls_server_name,
            http_auth=http_auth,
        )

    def _make_runner(self, config: Config) -> BlockingRunner:
        return BlockingRunner(self._transport or RequestsTransport(config))

    def close(self) -> None:
        """Close the pooled connections (and abort calls under way in other threads)."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
