"""A request as the handlers see it: method, target, headers, query and a body stream.

The connection (:mod:`.connection`) builds a :class:`Request` as soon as a
request's headers have arrived, and feeds its :class:`Body` as the bytes come
in: a handler that refuses a body by its declared length (``413``) answers
before the body is read, and one that reads it gets it as Go's ``Body``
gives it, chunked transfer coding removed. Nothing here knows about routing
or Consul.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from ..state.config import join_host_port
from .mux import unescape

__all__ = [
    "NO_BODY",
    "Body",
    "BodyOwner",
    "BodyTooLarge",
    "MalformedRequest",
    "Request",
    "parse_query",
]

_NO_QUERY: MultiDictProxy[str] = MultiDictProxy(MultiDict())
#: Parameter names seen, each kept once: the queries of many waiting
#: requests share them (``index``, ``wait``...).
_NAMES: dict[str, str] = {}


def parse_query(raw_query: str) -> MultiDictProxy[str]:
    """Go's ``url.ParseQuery`` of a query that has no bad escape and no ``;``.

    Pairs split at ``&`` (empty ones skipped), name and value at the first
    ``=``, each unescaped as ``QueryUnescape`` does (``+`` is a space).
    """
    pairs: MultiDict[str] = MultiDict()
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = unescape(name, query=True) or name
        known = _NAMES.get(name)
        if known is None:
            known = name
            if len(_NAMES) < 1024 and len(name) <= 32:
                _NAMES[name] = name
        pairs.add(known, unescape(value, query=True) or value)
    return MultiDictProxy(pairs)


class BodyTooLarge(Exception):
    """A body went past the size the server accepts (Go's ``http: request body too large``)."""


class MalformedRequest(Exception):
    """A request target Go's ``url.ParseRequestURI`` refuses: a bare ``400 Bad Request``."""


class BodyOwner(Protocol):
    """What a :class:`Body` asks of the connection it arrives on."""

    def pause_body(self) -> None:
        """Stop reading the socket: much of the body is unread."""

    def resume_body(self) -> None:
        """Read the socket again."""

    def send_continue(self) -> None:
        """Answer ``Expect: 100-continue``: the client may send the body."""


class Body:
    """A request body arriving from the connection, read by the handler.

    ``read()`` returns everything (waiting for the end), ``read(n)`` the next
    bytes as they come (``b""`` at the end). The connection feeds it and is
    told to stop reading the socket while a handler leaves much of it
    unread. With ``expect_continue`` the client waits for ``100 Continue``,
    sent when a handler first asks for the body, as Go does.
    """

    #: Unread bytes above which the connection stops reading the socket.
    HIGH_WATER = 256 * 1024

    __slots__ = (
        "_buffer",
        "_error",
        "_limit",
        "_owner",
        "_paused",
        "_reading_all",
        "_waiter",
        "done",
        "expect_continue",
        "received",
    )

    def __init__(self, limit: int, owner: BodyOwner | None, expect_continue: bool = False) -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._owner = owner
        self._paused = False
        self._reading_all = False
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        #: True while the client waits for ``100 Continue`` (nobody asked for the body yet).
        self.expect_continue = expect_continue
        #: True once the whole body has arrived.
        self.done = False
        #: How many bytes have arrived so far.
        self.received = 0

    # -- the connection's side ----------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes of the body, as they arrive."""
        if self._error is not None:
            return
        self.received += len(data)
        if self.received > self._limit:
            self.fail(BodyTooLarge())
            return
        self._buffer += data
        if not (self._paused or self._reading_all) and len(self._buffer) > self.HIGH_WATER:
            self._paused = True
            if self._owner is not None:
                self._owner.pause_body()
        self._wake()

    def finish(self) -> None:
        """The whole body has arrived."""
        self.done = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        """The body will not arrive whole (connection lost, too large)."""
        if self._error is None and not self.done:
            self._error = error
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _resume(self) -> None:
        if self._paused:
            self._paused = False
            if self._owner is not None:
                self._owner.resume_body()

    # -- the handler's side ---------------------------------------------------

    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all with ``n < 0``); ``b""`` once all was read."""
        if self.expect_continue:
            self.expect_continue = False
            if self._owner is not None:
                self._owner.send_continue()
        if n < 0:
            # The whole body is wanted: stop holding the socket back.
            self._reading_all = True
            self._resume()
        while True:
            if self._error is not None:
                raise self._error
            if self.done if n < 0 else (self._buffer or self.done):
                break
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if n < 0 or n >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:n])
            del self._buffer[:n]
        if len(self._buffer) <= self.HIGH_WATER // 2:
            self._resume()
        return data

    async def discard(self, limit: int) -> bool:
        """Read and drop the rest of the body, at most ``limit`` bytes more.

        True if the body then ended: the connection can serve the next request.
        """
        dropped = 0
        try:
            while chunk := await self.read(65536):
                dropped += len(chunk)
                if dropped > limit:
                    return False
        except (BodyTooLarge, ConnectionError):
            return False
        return True


def _no_body() -> Body:
    body = Body(0, None)
    body.done = True
    return body


#: The body of every request that has none (no ``Content-Length``, not chunked).
NO_BODY = _no_body()


class Request:
    """One request: what the handlers read of it.

    Attributes:
        method: the method, as sent.
        raw_path: the request target as sent (path and query, escaped).
        version: ``(major, minor)``.
        headers: case-insensitive; ``get`` gives the first value, as Go's
            ``Header.Get``.
        content: the body (:class:`Body`).
        content_length: the declared ``Content-Length`` (None if chunked
            or absent).
        transport: the connection's transport (a handler may abort it).
        keep_alive: whether the connection may serve another request after
            this one (HTTP/1.1 without ``Connection: close``, or HTTP/1.0
            with ``Connection: keep-alive``).
    """

    __slots__ = (
        "_query",
        "content",
        "content_length",
        "headers",
        "keep_alive",
        "method",
        "raw_path",
        "transport",
        "version",
    )

    def __init__(
        self,
        method: str,
        raw_path: str,
        version: tuple[int, int],
        headers: CIMultiDict[str],
        content: Body,
        content_length: int | None,
        transport: Any,
        keep_alive: bool = True,
    ) -> None:
        self.method = method
        self.raw_path = raw_path
        self.version = version
        self.headers = CIMultiDictProxy(headers)
        self.content = content
        self.content_length = content_length
        self.transport = transport
        self.keep_alive = keep_alive
        self._query: MultiDictProxy[str] | None = None

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters, parsed as Go's ``url.ParseQuery`` (see :func:`parse_query`)."""
        if self._query is None:
            raw_query = self.raw_path.partition("?")[2]
            self._query = parse_query(raw_query) if raw_query else _NO_QUERY
        return self._query

    @property
    def peer(self) -> tuple[str, int] | None:
        """The client's address and port; None on a unix socket."""
        peer = None if self.transport is None else self.transport.get_extra_info("peername")
        return (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else None

    @property
    def remote(self) -> str:
        """The client's address, without the port; empty on a unix socket."""
        peer = self.peer
        return "" if peer is None else peer[0]

    @property
    def remote_addr(self) -> str:
        """The client's ``host:port`` (Go's ``RemoteAddr``); empty on a unix socket."""
        peer = self.peer
        return "" if peer is None else join_host_port(*peer)

    async def read(self) -> bytes:
        """The whole body."""
        return await self.content.read()
