"""HTTP/1.1 connections of the embedded agent, served as Go's ``net/http`` serves Consul's.

One :class:`Connection` (an ``asyncio.Protocol``) per client connection,
parsing with ``httptools`` (llhttp, the parser of Node.js and uvicorn).
What a client can see of it follows Go's ``net/http`` server
(``net/http/server.go``) with Consul's settings (``agent/agent.go``
``listenHTTP``):

- a request is handled as soon as its headers are in; its body arrives
  while the handler reads it, so a handler refuses a body by its declared
  length before it is sent (``Expect: 100-continue`` is answered only when
  the handler first reads the body, as Go does);
- what Go refuses before any handler runs gets Go's bare answers and the
  connection is closed: a malformed request (no HTTP version: HTTP/0.9)
  ``400 Bad Request``, an HTTP version other than 1.x ``505``, headers over
  ``max_header_bytes`` (Go's 1 MB default, plus its 4096 bytes of slop)
  ``431``, a ``Transfer-Encoding`` other than ``chunked`` ``501``, an
  ``Expect`` other than ``100-continue`` ``417``;
- ``limits.http_max_conns_per_client`` connections per client IP (all
  unix-socket clients count as one), as Consul's ``connlimit`` does: one
  more gets connlimit's ``429`` written at once, and is closed;
- a request's headers must arrive within ``read_header_timeout`` of its
  first byte (of the connection, for its first request), else the
  connection is closed without an answer (Go's ``ReadHeaderTimeout``;
  Consul sets none, an embedded agent does);
- keep-alive and pipelining: answers go out in order, one request at a
  time; a body the handler left unread is read and dropped (up to 256 KB,
  Go's ``maxPostHandlerReadBytes``) so that the connection can go on, or
  the answer says ``Connection: close``;
- header names are written canonical (``X-Consul-Knownleader``), as Go's
  ``Header.Set`` stores them, with ``Date`` and ``Content-Length``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol

import httptools
from multidict import CIMultiDict, istr

from .context import Ctx, Park, Parked, Written
from .reply import Reply
from .request import NO_BODY, Body, BodyTooLarge, MalformedRequest, Request
from .routes import Route

__all__ = ["Connection", "ConnectionLimits", "Connections", "Dispatcher"]

_log = logging.getLogger("consul.testing")


class Dispatcher(Protocol):
    """What answers requests (:class:`~.server.Dispatcher`)."""

    #: The exceptions a handler raises to answer with an error.
    handled: tuple[type[Exception], ...]

    def begin(self, request: Request) -> Reply | tuple[Ctx, Route]:
        """The answer, or the context and route whose handler answers."""

    def finish(self, ctx: Ctx, route: Route, outcome: Reply | Exception) -> Reply:
        """The answer to what ``route``'s handler returned or raised."""

    def record(self, ctx: Ctx, route: Route) -> None:
        """What :meth:`finish` records of a request, for one answered without it."""

    def measurer(self, ctx: Ctx, route: Route) -> Callable[[list[float]], None] | None:
        """:meth:`record` for requests identical to ``ctx``'s, given their starts; or None."""


#: Go's ``DefaultMaxHeaderBytes``, and the slop its limited reader adds.
DEFAULT_MAX_HEADER_BYTES = 1 << 20
_HEADER_SLOP = 4096
#: ``maxPostHandlerReadBytes``: how much unread body Go drops to keep a connection.
_MAX_POST_HANDLER_READ = 256 << 10

_ERROR_HEADERS = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"


def _go_error(status: int, text: str = "") -> bytes:
    """What Go's server writes for a request it refuses before any handler."""
    public = f"{status} {HTTPStatus(status).phrase}" + (f": {text}" if text else "")
    return f"HTTP/1.1 {public}{_ERROR_HEADERS}{public}".encode()


_BAD_REQUEST = _go_error(400)
_TOO_LARGE_HEADERS = _go_error(431)
_UNSUPPORTED_VERSION = _go_error(505, "unsupported protocol version")
_MISSING_HOST = _go_error(400, "missing required Host header")
_UNSUPPORTED_TE = (
    f"HTTP/1.1 501 Not Implemented{_ERROR_HEADERS}Unsupported transfer encoding".encode()
)
#: go-connlimit's answer to a connection over the per-client limit.
_TOO_MANY_CONNS_TEXT = (
    "Your IP is issuing too many concurrent connections, please rate limit your calls\n"
)
_TOO_MANY_CONNS = (
    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n"
    f"Content-Length: {len(_TOO_MANY_CONNS_TEXT)}\r\nConnection: close\r\n\r\n"
    f"{_TOO_MANY_CONNS_TEXT}"
).encode()
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: Seconds a closing connection reads what the client still sends (``rstAvoidanceDelay``).
_LINGER = 0.5
#: Pipelined requests waiting for their turn before the connection stops reading.
_MAX_PIPELINED = 16
_BODY_TOO_LARGE = Reply(413, b"http: request body too large", "text/plain; charset=utf-8")


@dataclass(frozen=True)
class ConnectionLimits:
    """What a connection may take (see the module docstring)."""

    #: Connections per client IP; 0 for no limit.
    max_conns_per_client: int = 200
    #: Bytes of request line and headers; 0 for Go's default (1 MB).
    max_header_bytes: int = 0
    #: Seconds for a request's headers to arrive; 0 for no limit.
    read_header_timeout: float = 0.0
    #: The largest request body read (Consul has no such limit; memory does).
    max_body_size: int = 64 * 1024 * 1024


class Connections:
    """What the connections of one server share: the handlers, the limits, the open ones."""

    def __init__(self, dispatcher: Dispatcher, limits: ConnectionLimits) -> None:
        self.dispatcher = dispatcher
        self.limits = limits
        self.header_limit = (limits.max_header_bytes or DEFAULT_MAX_HEADER_BYTES) + _HEADER_SLOP
        #: Open connections by client (go-connlimit's ``addrKey``).
        self.per_client: dict[str, int] = {}
        self.open: set[Connection] = set()
        self.closing = False
        #: Parsers between requests, lent to a connection while it receives one,
        #: so that a connection waiting for its answer holds none.
        self.parsers: list[httptools.HttpRequestParser] = []
        self.sink = _Sink()

    def __call__(self) -> Connection:
        """A protocol factory for ``loop.create_server``."""
        return Connection(self)

    async def close(self, grace: float) -> None:
        """Let the answers under way go out (``grace`` seconds at most), then close all."""
        self.closing = True
        for connection in list(self.open):
            connection.close_when_idle()
        tasks = [c.task for c in self.open if c.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        for connection in list(self.open):
            connection.abort()
        tasks = [c.task for c in self.open if c.task is not None and not c.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


def _client_key(transport: asyncio.BaseTransport) -> str:
    """go-connlimit's ``addrKey``: the IP of a TCP client; one key for a unix socket's."""
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple):
        return "ip:" + str(peer[0])
    return "unix/"


class _Date:
    """The ``Date`` header line, formatted once a second."""

    second = -1
    line = ""

    @classmethod
    def header(cls) -> str:
        second = int(time.time())
        if second != cls.second:
            cls.second = second
            cls.line = f"Date: {formatdate(second, usegmt=True)}\r\n"
        return cls.line


_CANONICAL: dict[str, str] = {}
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _canonical(name: str) -> str:
    """Go's ``CanonicalMIMEHeaderKey`` (``X-Consul-Knownleader``); odd names unchanged."""
    found = _CANONICAL.get(name)
    if found is None:
        found = name
        if name and all(c in _TOKEN for c in name):
            found = "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))
        if len(_CANONICAL) < 4096:
            _CANONICAL[name] = found
    return found


_REASONS = {status.value: status.phrase for status in HTTPStatus}
#: Header names as received, decoded once: every request's headers share them,
#: and an ``istr`` carries its case-folded form (a waiting request holds less).
_NAMES: dict[bytes, istr] = {}
#: Methods as received, decoded once (llhttp takes only the methods it knows).
_METHODS: dict[bytes, str] = {}


class _Refuse(Exception):
    """Raised in a parser callback: answer these bytes and close."""

    def __init__(self, answer: bytes) -> None:
        super().__init__()
        self.answer = answer


class _Sink:
    """The protocol of the pooled parsers: passes their callbacks to the connection feeding them."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current: Connection | None = None

    def on_message_begin(self) -> None:
        assert self.current is not None
        self.current.on_message_begin()

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.current.on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        self.current.on_header(name, value)

    def on_headers_complete(self) -> None:
        assert self.current is not None
        self.current.on_headers_complete()

    def on_body(self, data: bytes) -> None:
        assert self.current is not None
        self.current.on_body(data)

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.current.on_message_complete()


#: Why a connection stops reading: a handler leaves much body unread, requests pile up.
_PAUSED_BODY = 1
_PAUSED_QUEUE = 2


class Connection(asyncio.Protocol):
    """One client connection (see the module docstring)."""

    __slots__ = (
        "_chunk",
        "_client",
        "_close_after",
        "_closed",
        "_counted",
        "_drained",
        "_header_bytes",
        "_header_wire",
        "_headers",
        "_keep_alive",
        "_linger",
        "_parked",
        "_parser",
        "_paused",
        "_queue",
        "_receiving",
        "_refusal",
        "_route",
        "_timer",
        "_url",
        "connections",
        "task",
        "transport",
    )

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None
        #: A blocking query waiting with no task (see :meth:`resume`), and its route.
        self._parked: Parked | None = None
        self._route: Route | None = None
        #: The parser lent while a request is received (None between requests).
        self._parser: httptools.HttpRequestParser | None = None
        self._client = ""
        self._counted = False
        self._closed = False
        self._close_after = False
        # The request being parsed: its target and headers, then its body.
        self._url = b""
        self._headers: CIMultiDict[str] | None = None
        #: Bytes of the request line and headers parsed, and received, so far.
        self._header_bytes = 0
        self._header_wire = 0
        self._chunk = b""
        self._receiving: Request | None = None
        #: Whether the last request parsed lets the connection go on.
        self._keep_alive = True
        #: Pipelined requests waiting for their turn.
        self._queue: list[Request] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._paused = 0
        #: A refusal of a pipelined request, sent after the answers before it.
        self._refusal: bytes | None = None
        self._linger: asyncio.TimerHandle | None = None
        #: While the transport's buffer is full: resolved when it drains.
        self._drained: asyncio.Future[None] | None = None

    # -- the connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        connections = self.connections
        limit = connections.limits.max_conns_per_client
        self._client = _client_key(transport)
        if connections.closing:
            transport.abort()
            self._closed = True
            return
        connections.open.add(self)  # closed with the server, whatever happens next
        count = connections.per_client.get(self._client, 0)
        if limit and count >= limit:
            transport.write(_TOO_MANY_CONNS)
            self._hang_up()
            return
        connections.per_client[self._client] = count + 1
        self._counted = True
        self._start_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._stop_timer()
        self.resume_writing()  # a stream waiting to write finds the connection gone
        if self._linger is not None:
            self._linger.cancel()
        connections = self.connections
        connections.open.discard(self)
        if self._counted:
            self._counted = False
            count = connections.per_client[self._client] - 1
            if count:
                connections.per_client[self._client] = count
            else:
                del connections.per_client[self._client]
        if self._receiving is not None:
            self._receiving.content.fail(ConnectionResetError("the client closed the connection"))
        if self._parked is not None:
            # Consul's query runs on until it wakes or times out (Server.RPC,
            # agent/consul/server.go, does not watch the request's context);
            # no client can tell that this one ends here.
            self._parked.cancel()
            self._parked = self._route = None
        self._queue = None
        self._parser = None

    @property
    def busy(self) -> bool:
        """Whether a request is under way: its handler runs, or its blocking query waits."""
        return self.task is not None or self._parked is not None

    def close_when_idle(self) -> None:
        """Close now if no request is under way, else after its answer."""
        self._close_after = True
        if not self.busy and self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Close at once, whatever is under way."""
        if self.transport is not None:
            self.transport.abort()

    def _refuse(self, answer: bytes) -> None:
        self._closed = True
        self._stop_timer()
        self._receiving = None
        if self.busy:
            # Go reads the next request only once this one is answered.
            self._refusal = answer
            self._queue = None
        elif self.transport is not None:
            self.transport.write(answer)
            self._hang_up()

    def _hang_up(self) -> None:
        """Close after the last answer without resetting the client (Go's ``closeWriteAndWait``).

        Closing with the client's bytes still unread would send a reset that
        can destroy the answer before the client reads it; so the sending
        side is shut first and what still comes is read and dropped, for
        half a second at most (Go's ``rstAvoidanceDelay``).
        """
        self._closed = True
        self._stop_timer()
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        self._paused = 0
        transport.resume_reading()
        self._linger = asyncio.get_running_loop().call_later(_LINGER, transport.close)

    def pause_writing(self) -> None:
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def eof_received(self) -> bool | None:
        return None  # the client is done: close

    def _pause(self, reason: int) -> None:
        if not self._paused and self.transport is not None:
            self.transport.pause_reading()
        self._paused |= reason

    def _resume(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if not self._paused and self.transport is not None and not self._closed:
            self.transport.resume_reading()

    # The body's owner (request.BodyOwner).

    def pause_body(self) -> None:
        self._pause(_PAUSED_BODY)

    def resume_body(self) -> None:
        self._resume(_PAUSED_BODY)

    def send_continue(self) -> None:
        if self.transport is not None and not self._closed:
            self.transport.write(_CONTINUE)

    # -- the header timeout --------------------------------------------------------------

    def _start_timer(self) -> None:
        timeout = self.connections.limits.read_header_timeout
        if timeout > 0 and self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(timeout, self._header_timeout)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _header_timeout(self) -> None:
        # Go's read deadline: the read fails and nothing is answered.
        self._timer = None
        self._closed = True
        if self.transport is not None:
            self.transport.close()

    # -- parsing -----------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        connections = self.connections
        parser = self._parser
        if parser is None:
            pool = connections.parsers
            parser = self._parser = (
                pool.pop() if pool else httptools.HttpRequestParser(connections.sink)
            )
        connections.sink.current = self
        self._chunk = data
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # Consul's server ignores Upgrade: what follows is the next request.
            self._parser = None
            self.data_received(data[upgrade.args[0] :])
            return
        except httptools.HttpParserCallbackError as exc:
            refusal = exc.__context__
            if not isinstance(refusal, _Refuse):
                raise
            self._parser = None
            self._refuse(refusal.answer)
            return
        except httptools.HttpParserError:
            self._parser = None
            self._refuse(_BAD_REQUEST)
            return
        finally:
            connections.sink.current = None
            self._chunk = b""
        if self._headers is not None:
            # Headers still incomplete: what llhttp holds of them counts too.
            self._header_wire += len(data)
            if self._header_wire > connections.header_limit:
                self._refuse(_TOO_LARGE_HEADERS)
        elif self._receiving is None and self._keep_alive and not self._closed:
            # Between two requests: the parser goes back to the pool (not one
            # that saw "Connection: close": llhttp takes no request after it).
            self._parser = None
            connections.parsers.append(parser)

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = CIMultiDict()
        self._header_bytes = self._header_wire = 0
        if not self.busy:
            self._start_timer()

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_header_bytes(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self._headers is not None
        self._count_header_bytes(len(name) + len(value) + 4)
        key = _NAMES.get(name)
        if key is None:
            key = istr(name.decode("utf-8", "surrogateescape"))
            if len(_NAMES) < 4096:
                _NAMES[name] = key
        self._headers.add(key, value.decode("utf-8", "surrogateescape"))

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.connections.header_limit:
            raise _Refuse(_TOO_LARGE_HEADERS)

    def on_headers_complete(self) -> None:
        headers, self._headers = self._headers, None
        assert headers is not None
        assert self.transport is not None
        self._stop_timer()
        parser = self._parser
        assert parser is not None
        version = parser.get_http_version()
        if version not in ("1.1", "1.0"):
            # llhttp reads a request line without a version as HTTP/0.9;
            # Go's parseRequestLine refuses it as malformed.
            explicit = b" HTTP/" + version.encode() in self._chunk
            raise _Refuse(_UNSUPPORTED_VERSION if explicit else _BAD_REQUEST)
        if version == "1.1" and "Host" not in headers:
            raise _Refuse(_MISSING_HOST)
        content_length: int | None = None
        coding = headers.getall("Transfer-Encoding", None)
        if coding is not None:
            if len(coding) != 1 or coding[0].lower() != "chunked":
                raise _Refuse(_UNSUPPORTED_TE)
        elif "Content-Length" in headers:
            try:
                content_length = int(headers["Content-Length"])
            except ValueError:
                raise _Refuse(_BAD_REQUEST) from None
        self._keep_alive = parser.should_keep_alive()
        expect = headers.get("Expect")
        expect_continue = False
        if expect:
            if expect.lower() != "100-continue":
                raise _Refuse(
                    b"HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\n"
                    b"Content-Length: 0\r\n\r\n"
                )
            expect_continue = version == "1.1" and content_length != 0
        transport = self.transport
        if content_length is None and coding is None:
            body = NO_BODY
        else:
            body = Body(self.connections.limits.max_body_size, self, expect_continue)
            if (
                content_length is not None
                and content_length > self.connections.limits.max_body_size
            ):
                body.fail(BodyTooLarge())  # refused when a handler asks for it
        raw_method = parser.get_method()
        method = _METHODS.get(raw_method)
        if method is None:
            method = raw_method.decode("ascii")
            if len(_METHODS) < 64:
                _METHODS[raw_method] = method
        request = Request(
            method,
            self._url.decode("utf-8", "surrogateescape"),
            (1, 1) if version == "1.1" else (1, 0),
            headers,
            body,
            content_length,
            transport,
            self._keep_alive,
        )
        self._url = b""
        self._receiving = request
        if not self.busy:
            self._handle(request)
        else:
            if self._queue is None:
                self._queue = []
            self._queue.append(request)
            if len(self._queue) >= _MAX_PIPELINED:
                self._pause(_PAUSED_QUEUE)

    def on_body(self, data: bytes) -> None:
        assert self._receiving is not None
        self._receiving.content.feed(data)

    def on_message_complete(self) -> None:
        if self._receiving is not None:
            self._receiving.content.finish()
            self._receiving = None

    # -- answering --------------------------------------------------------------------------

    def _handle(self, request: Request) -> None:
        self.task = asyncio.get_running_loop().create_task(self._answer(request))

    async def _answer(self, request: Request) -> None:
        dispatcher = self.connections.dispatcher
        try:
            plan = dispatcher.begin(request)
            if isinstance(plan, Reply):
                reply = plan
            else:
                # The handler is awaited right here: a waiting request holds
                # this coroutine and the handler's, nothing in between.
                ctx, route = plan
                outcome: Reply | Exception
                try:
                    outcome = await route.handler(ctx)
                except Park as park:
                    # The handler is done; its blocking query waits with no task.
                    parked = park.parked
                    if parked.start(self):
                        self._parked, self._route, self.task = parked, route, None
                        return
                    outcome = parked.answer()
                except dispatcher.handled as exc:
                    outcome = exc
                reply = dispatcher.finish(ctx, route, outcome)
        except BodyTooLarge:
            reply = _BODY_TOO_LARGE
        except MalformedRequest:
            self.task = None
            self._refuse(_BAD_REQUEST)
            return
        except Exception:  # noqa: BLE001 (any bug of a handler)
            # Go's server recovers a handler's panic by closing the connection.
            _log.exception("panic serving %s %s", request.method, request.raw_path)
            self.abort()
            self.task = None
            return
        await self._send(request, reply)

    def resume(self, parked: Parked, outcome: Reply | Exception) -> Written | None:
        """The answer of the parked blocking query (:class:`~.context.Resumer`).

        Called by the wake-ups: written at once, with no task, unless a
        body is left to read or the reply is streamed. What was written is
        returned for identical requests to share (:meth:`resume_with`).
        """
        route = self._route
        assert route is not None
        self._parked = self._route = None
        request = parked.ctx.request
        try:
            reply = self.connections.dispatcher.finish(parked.ctx, route, outcome)
        except Exception:  # noqa: BLE001 (any bug of a handler)
            _log.exception("panic serving %s %s", request.method, request.raw_path)
            self.abort()
            return None
        if reply.stream is not None or not request.content.done:
            self.task = asyncio.get_running_loop().create_task(self._send(request, reply))
            return None
        keep_alive = (
            request.keep_alive
            and not self._close_after
            and reply.headers.get("Connection") != "close"
        )
        data = self._encode(request, reply, keep_alive)
        self._transmit(data)
        self._sent(reply, keep_alive)
        if self._close_after or reply.after is not None:
            return None
        measure = self.connections.dispatcher.measurer(parked.ctx, route)
        return Written(data, reply, keep_alive, measure)

    def resume_with(self, parked: Parked, written: Written) -> bool:
        """Answer the parked query with the bytes of an identical request's answer."""
        if self._close_after or not parked.ctx.request.content.done:
            return False
        route = self._route
        assert route is not None
        self._parked = self._route = None
        if written.measure is not None:
            written.starts.append(parked.ctx.started)  # recorded with the batch's end
        else:
            self.connections.dispatcher.record(parked.ctx, route)
        transport = self.transport  # _transmit, inlined: this runs for every query woken
        if transport is not None and not transport.is_closing():
            transport.write(written.data)
        if (
            not written.keep_alive
            or self._refusal is not None
            or self._queue
            or self._headers is not None
        ):
            self._sent(written.reply, written.keep_alive)
        # Else _sent has nothing to do (this runs for every query woken): no
        # task, no ``after`` (shared answers have none), no request after it.
        return True

    async def _send(self, request: Request, reply: Reply) -> None:
        """Write ``reply`` (its body left unread dropped first), then go on to the next request."""
        keep_alive = request.keep_alive and not self._close_after
        body = request.content
        if not body.done and keep_alive:
            if body.expect_continue:
                keep_alive = False  # the client was never told to send it
            elif (
                request.content_length is not None
                and request.content_length - body.received >= _MAX_POST_HANDLER_READ
            ):
                keep_alive = False
            else:
                keep_alive = await body.discard(_MAX_POST_HANDLER_READ)
        if reply.headers.get("Connection") == "close":
            keep_alive = False
        if reply.stream is not None:
            keep_alive = await self._stream(request, reply, keep_alive)
        else:
            self._write(request, reply, keep_alive)
        self._sent(reply, keep_alive)

    def _sent(self, reply: Reply, keep_alive: bool) -> None:
        """After an answer: the next request, or the end of the connection."""
        if reply.after is not None:
            reply.after()
        self.task = None
        if self._refusal is not None and self.transport is not None:
            self.transport.write(self._refusal)
            keep_alive = False
        if not keep_alive:
            self._hang_up()
            return
        if self._close_after:
            self.close_when_idle()
        elif self._queue:
            self._handle(self._queue.pop(0))
            if len(self._queue) < _MAX_PIPELINED:
                self._resume(_PAUSED_QUEUE)
        elif self._headers is not None:
            self._start_timer()  # the next request began while this one was answered

    async def _stream(self, request: Request, reply: Reply, keep_alive: bool) -> bool:
        """Send the head of a streamed ``reply``, then its body as it is written.

        Each part is sent at once (Go's ``Flush``), chunked on HTTP/1.1; on
        HTTP/1.0 the end of the body is the end of the connection. A client
        that goes away ends the stream: its next write raises
        ``ConnectionError``, which ends it quietly, as a Go handler's
        ``req.Context().Done()`` does. Whether the connection may go on.
        """
        assert reply.stream is not None
        chunked = request.version[1] >= 1
        keep_alive = keep_alive and chunked
        self._write(request, reply, keep_alive, streamed=True)

        async def write(data: bytes) -> None:
            transport = self.transport
            if transport is None or transport.is_closing():
                raise ConnectionResetError("the client went away")
            if not data:
                return
            transport.write(b"%x\r\n%b\r\n" % (len(data), data) if chunked else data)
            if self._drained is not None:
                await self._drained

        try:
            await reply.stream(write)
            await write(b"")  # still there?
        except ConnectionError:
            return False
        if chunked and self.transport is not None:
            self.transport.write(b"0\r\n\r\n")
        return keep_alive

    def _write(
        self, request: Request, reply: Reply, keep_alive: bool, *, streamed: bool = False
    ) -> None:
        self._transmit(self._encode(request, reply, keep_alive, streamed=streamed))

    def _transmit(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _encode(
        self, request: Request, reply: Reply, keep_alive: bool, *, streamed: bool = False
    ) -> bytes:
        """The bytes of ``reply``: its head, and its body unless ``streamed``."""
        status = reply.status
        minor = request.version[1]
        head = [f"HTTP/1.{minor} {status} {_REASONS.get(status, '')}\r\n"]
        fields = reply.headers
        if reply.content_type:
            fields = {**fields, "Content-Type": reply.content_type}
        # Go writes the handler's headers sorted, by their canonical names.
        named = [(_CANONICAL.get(name) or _canonical(name), name) for name in fields]
        named.sort()
        for canonical, name in named:
            if canonical == "Connection":
                continue
            value = fields[name]
            if "\n" in value or "\r" in value:
                value = value.replace("\r", " ").replace("\n", " ")
            head.append(f"{canonical}: {value}\r\n")
        head.append(_Date.header())
        body = reply.body
        if streamed:
            if minor:
                head.append("Transfer-Encoding: chunked\r\n")
        elif request.method == "HEAD":
            if body:
                head.append(f"Content-Length: {len(body)}\r\n")
            body = b""
        elif status >= 200 and status != 204 and status != 304:
            head.append(f"Content-Length: {len(body)}\r\n")
        else:
            body = b""
        if not keep_alive:
            if minor:
                head.append("Connection: close\r\n")
        elif not minor:
            head.append("Connection: keep-alive\r\n")
        head.append("\r\n")
        return "".join(head).encode("utf-8", "surrogateescape") + body
