"""Answers read as they come, and request bodies sent from a file: the core of streams.

Most calls read a whole answer (:class:`~consul._http.Call`). A few cannot:

- a :class:`StreamCall` reads an answer that goes on until it is stopped
  (``/v1/agent/monitor``'s log lines, ``/v1/agent/metrics/stream``'s
  documents): the client hands back its loop's kind of stream, which gives
  the items as they come (:class:`Stream`, :class:`AsyncStream`);
- an :class:`Exchange` reads a long answer into a :class:`Sink` (a snapshot
  into a file) and may send its body from a file (:class:`~consul._http.Upload`,
  a snapshot restore), never holding either whole in memory.

A transport that can stream has an ``open(request)`` method returning an
:class:`Opened` (or an awaitable of an :class:`AsyncOpened`): the answer's
head, once its headers are in, and a ``read`` of its body part by part. One
that cannot (``consul.transport.MockTransport``, python-consul's ``http``
objects) is sent the request whole and its answer is read from memory.

Time limits: ``timeout`` bounds connecting and the wait for the answer's
headers (a body being uploaded counts in it). After that, a download's reads
each get ``timeout`` (a download whose bytes stop coming fails); a stream's
have none: it runs until stopped (closed, cancelled, or the client closed).

Nothing in this module performs I/O but :class:`FileSink` and
:class:`~consul._http.Upload`, on files, when a driver uses them.
"""

from __future__ import annotations

import codecs
import collections
import dataclasses
import inspect
import json
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import IO, Any, Generic, Protocol, Self, TypeVar

from ._http import Call, Request, Response
from .exceptions import ConsulException, InvalidResponse

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

__all__ = [
    "AsyncOpened",
    "AsyncStream",
    "BytesSink",
    "Chunks",
    "Discard",
    "Documents",
    "Exchange",
    "FileSink",
    "Framing",
    "Lines",
    "Opened",
    "Sink",
    "Stream",
    "StreamCall",
    "WholeBody",
]


# -- framing: a body's bytes into items ------------------------------------------------------


class Framing(Protocol[T_co]):
    """Turns the parts of a body, as they arrive, into items."""

    def feed(self, data: bytes) -> Sequence[T_co]:
        """The items ``data`` completes."""

    def end(self) -> Sequence[T_co]:
        """The last items, once the body has ended (ValueError if it ended mid-item)."""


class Chunks:
    """The body's bytes as they arrive."""

    def feed(self, data: bytes) -> list[bytes]:
        """``data`` itself."""
        return [data] if data else []

    def end(self) -> list[bytes]:
        """Nothing more."""
        return []


class Lines:
    """The body's lines, as text without their line break (``\\n``, or ``\\r\\n``)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._partial = ""

    def feed(self, data: bytes) -> list[str]:
        """The lines ``data`` completes."""
        text = self._partial + self._decoder.decode(data)
        *lines, self._partial = text.split("\n")
        return [line.removesuffix("\r") for line in lines]

    def end(self) -> list[str]:
        """A last line without a line break, if any."""
        last = self._partial + self._decoder.decode(b"", final=True)
        self._partial = ""
        return [last.removesuffix("\r")] if last else []


class Documents:
    """The JSON documents of a body, one after another (``json.Encoder`` output)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._json = json.JSONDecoder()
        self._text = ""

    def feed(self, data: bytes) -> list[Any]:
        """The documents ``data`` completes."""
        self._text += self._decoder.decode(data)
        found: list[Any] = []
        while True:
            text = self._text.lstrip()
            if not text:
                self._text = ""
                return found
            try:
                document, end = self._json.raw_decode(text)
            except ValueError:
                # Not whole yet, or never: end() tells.
                self._text = text
                return found
            found.append(document)
            self._text = text[end:]

    def end(self) -> list[Any]:
        """Nothing more; ValueError if the body ended inside a document."""
        if self._text.strip():
            self._json.decode(self._text)  # raises with what is wrong
        return []


# -- what a transport that streams gives ---------------------------------------------------


class Opened(Protocol):
    """An answer being read, from a blocking transport's ``open(request)``.

    ``head`` is the answer without its body. ``read`` waits at most
    ``idle`` seconds (None: as long as it takes) for the next part of the
    body, b"" at its end; it raises :class:`~consul.Timeout` or
    :class:`~consul.ConsulConnectionError` as ``send`` does. ``close``
    (thread-safe, idempotent) closes the connection; a ``read`` blocked in
    another thread then ends.
    """

    head: Response

    def read(self, idle: float | None) -> bytes:
        """The next part of the body, within ``idle`` seconds; b"" at its end."""

    def close(self) -> None:
        """Close the connection."""


class AsyncOpened(Protocol):
    """An answer being read, from an asynchronous transport's ``open(request)``.

    As :class:`Opened`, but ``read`` returns an awaitable (a coroutine of the
    loop, or a Twisted Deferred). ``close`` does not wait.
    """

    head: Response

    def read(self, idle: float | None) -> Awaitable[bytes]:
        """The next part of the body; b"" at its end."""

    def close(self) -> None:
        """Close the connection."""


class WholeBody:
    """An :class:`Opened` over an answer already read whole (a transport that cannot stream)."""

    def __init__(self, response: Response) -> None:
        self.head = dataclasses.replace(response, body=b"")
        self._body: bytes | None = response.body

    def read(self, idle: float | None) -> bytes:
        """The whole body, then b""."""
        body, self._body = self._body, None
        return body or b""

    def close(self) -> None:
        """Forget the body."""
        self._body = None


# -- the calls ---------------------------------------------------------------------------------


def _checked(check: Callable[[Response], object], response: Response) -> None:
    """``check(response)``: a ConsulException for an error status, as :meth:`Call.result` maps."""
    Call(response.request, check).result(response)


@dataclasses.dataclass(frozen=True, slots=True)
class StreamCall(Generic[T_co]):
    """A request whose answer is read as items as it comes, until it is stopped.

    ``check`` raises for an answer that is an error (it is given the whole
    answer then; a successful one without its body). ``framing`` makes the
    items of the body. ``endless`` says the answer never ends by itself (a
    monitor's): a client that cannot stream refuses it rather than wait
    forever; a stream that ends (a snapshot's bytes) has each read bounded
    by the request's ``timeout``.
    """

    request: Request
    check: Callable[[Response], object]
    framing: Callable[[], Framing[T_co]]
    endless: bool = True

    def opened(self, response: Response) -> None:
        """Check the answer: raises its exception if it is an error."""
        _checked(self.check, response)


class Sink(Protocol[R_co]):
    """Where an :class:`Exchange` puts the parts of its answer's body."""

    def write(self, data: bytes) -> None:
        """Take the next part."""

    def close(self) -> R_co:
        """The body has ended: finish, and return the call's value."""

    def abort(self) -> None:
        """The exchange failed: undo what can be undone."""


@dataclasses.dataclass(frozen=True, slots=True)
class Exchange(Generic[R_co]):
    """A request whose answer's body goes, part by part, into a :class:`Sink`.

    Its request may send its body from a file (``request.upload``). ``check``
    raises for an answer that is an error (given the whole answer); ``sink``
    makes the sink from the successful answer's head. Each read of the body
    waits at most the request's ``timeout``.
    """

    request: Request
    check: Callable[[Response], object]
    sink: Callable[[Response], Sink[R_co]]

    def opened(self, response: Response) -> None:
        """Check the answer: raises its exception if it is an error."""
        _checked(self.check, response)


# -- sinks ------------------------------------------------------------------------------------


class BytesSink:
    """Keeps the body, and returns it (the whole answer in memory, when asked for)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Keep ``data``."""
        self._parts.append(data)

    def close(self) -> bytes:
        """The body."""
        return b"".join(self._parts)

    def abort(self) -> None:
        """Forget it."""
        self._parts.clear()


class Discard(Generic[R]):
    """Takes an answer whose body does not matter; returns ``value``."""

    def __init__(self, value: R) -> None:
        self._value = value

    def write(self, data: bytes) -> None:
        """Ignore ``data``."""

    def close(self) -> R:
        """``value``."""
        return self._value

    def abort(self) -> None:
        """Nothing to undo."""


class FileSink(Generic[R]):
    """Writes the body to a path or a binary file; returns ``value``.

    A path is written as a new file beside it, which replaces the path only
    once the whole body is in: a failed exchange leaves no half-written file
    (and leaves an older file there as it was). A file object is written
    from where it stands, and left open; what a failed exchange wrote there
    stays.
    """

    def __init__(self, target: str | os.PathLike[str] | IO[bytes], value: R) -> None:
        self._value = value
        self._path: str | None = None
        self._file: IO[bytes] | None = None
        if isinstance(target, str | os.PathLike):
            self._path = os.fspath(target)
        else:
            self._file = target
        self._temporary: str | None = None

    def _target(self) -> IO[bytes]:
        if self._file is None:
            assert self._path is not None
            directory, name = os.path.split(os.path.abspath(self._path))
            handle, self._temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
            self._file = os.fdopen(handle, "wb")
        return self._file

    def write(self, data: bytes) -> None:
        """Write ``data``."""
        self._target().write(data)

    def close(self) -> R:
        """Finish the file (a path gets its new contents now)."""
        target = self._target()
        if self._temporary is not None and self._path is not None:
            target.close()
            os.replace(self._temporary, self._path)
            self._temporary = None
        else:
            target.flush()
        return self._value

    def abort(self) -> None:
        """Remove the new file of a path (a file object keeps what was written)."""
        if self._temporary is not None and self._file is not None:
            self._file.close()
            os.unlink(self._temporary)
            self._temporary = None


# -- the streams a client hands back ------------------------------------------------------------


class _Items(Generic[T]):
    """The items framed from a body's parts, waiting to be taken."""

    def __init__(self, framing: Framing[T], head: Response) -> None:
        self._framing = framing
        self._head = head
        self._items: collections.deque[T] = collections.deque()
        #: The body has ended (its last items are in).
        self.ended = False

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, data: bytes) -> None:
        """Frame ``data``; b"" is the end of the body."""
        if data:
            self._items.extend(self._framing.feed(data))
        else:
            self.ended = True
            self._items.extend(_last(self._framing, self._head))

    def take(self) -> T:
        """The next item."""
        return self._items.popleft()


class Stream(Generic[T]):
    """The items of an answer, as they come: an iterator (the blocking clients).

    Iterating blocks until the next item; the iteration ends with the
    answer, or once :meth:`close` was called (from any thread: a read under
    way in another thread ends too). Use it as a context manager, or call
    :meth:`close`, to close its connection; one read to its end closes
    itself. ``head`` is the answer without its body (status and headers).
    """

    def __init__(self, opened: Opened, framing: Framing[T], idle: float | None) -> None:
        self._opened = opened
        self._idle = idle
        self._items = _Items(framing, opened.head)
        self.closed = False
        #: The answer, without its body.
        self.head = opened.head

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        while not self._items:
            if self._items.ended or self.closed:
                self.close()
                raise StopIteration
            try:
                self._items.add(self._opened.read(self._idle))
            except ConsulException:
                if self.closed:
                    raise StopIteration from None
                self.close()
                raise
        return self._items.take()

    def close(self) -> None:
        """Stop: close the connection (thread-safe; the iteration then ends)."""
        self.closed = True
        self._opened.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(Generic[T]):
    """The items of an answer, as they come: an async iterator (asyncio, Tornado, Twisted).

    ``async for item in stream``; ``async with stream`` (or :meth:`aclose`)
    closes its connection, as does reading it to its end. On Twisted, iterate
    in a coroutine run by ``ensureDeferred``. ``head`` is the answer without
    its body.
    """

    def __init__(self, opened: AsyncOpened, framing: Framing[T], idle: float | None) -> None:
        self._opened = opened
        self._idle = idle
        self._items = _Items(framing, opened.head)
        self.closed = False
        #: The answer, without its body.
        self.head = opened.head

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        while not self._items:
            if self._items.ended or self.closed:
                self.close()
                raise StopAsyncIteration
            try:
                self._items.add(await self._opened.read(self._idle))
            except ConsulException:
                if self.closed:
                    raise StopAsyncIteration from None
                self.close()
                raise
        return self._items.take()

    async def each(self, callback: Callable[[T], object]) -> None:
        """Call ``callback`` with each item until the end (awaiting what it returns, if need be)."""
        async for item in self:
            outcome = callback(item)
            if inspect.isawaitable(outcome):
                await outcome

    def close(self) -> None:
        """Stop: close the connection (the iteration then ends)."""
        self.closed = True
        self._opened.close()

    async def aclose(self) -> None:
        """Stop (as :meth:`close`)."""
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


def _last(framing: Framing[T], head: Response) -> list[T]:
    """The items the end of the body completes; InvalidResponse if it ended mid-item."""
    try:
        return list(framing.end())
    except ValueError as exc:
        request = head.request
        raise InvalidResponse(
            f"the answer ended inside an item: {exc}",
            status=head.status,
            method=request.method,
            path=request.path,
        ) from exc
