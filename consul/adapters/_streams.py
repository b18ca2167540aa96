"""The stream drivers of the runners: one for threads, one for coroutines.

A runner opens a :class:`~consul._stream.StreamCall` or an
:class:`~consul._stream.Exchange` on its transport: with the transport's
``open(request)`` if it has one, else by sending the request whole (an upload
read into the body first) and reading the answer from memory. The answer's
head is then checked: an error status has its (short) body read and raises
its exception. A stream is handed back to be iterated; an exchange's body is
read into its sink here.
"""

from __future__ import annotations

import collections
import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from .. import _log
from .._http import Request, Response
from .._log import DEBUG, LOG
from .._stream import (
    AsyncOpened,
    AsyncStream,
    Exchange,
    Opened,
    Stream,
    StreamCall,
    WholeBody,
)
from ..exceptions import detached

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound=AsyncStream[Any])

__all__ = [
    "Closing",
    "PushedBody",
    "exchange",
    "exchange_async",
    "open_stream",
    "open_stream_async",
    "whole",
]


def whole(request: Request) -> Request:
    """``request`` with its upload read into its body (for a transport that cannot stream)."""
    if request.upload is None:
        return request
    with request.upload.open() as file:
        body = file.read()
    return dataclasses.replace(request, body=body, upload=None)


def _logged(request: Request, head: Response, since: float) -> None:
    if LOG.isEnabledFor(DEBUG):
        _log.answered(request, head, since)


# -- threads -------------------------------------------------------------------------------


def _open(transport: Any, request: Request) -> Opened:
    since = _log.started()
    open_ = getattr(transport, "open", None)
    try:
        opened: Opened = (
            open_(request) if open_ is not None else WholeBody(transport.send(whole(request)))
        )
    except Exception as exc:
        if LOG.isEnabledFor(DEBUG):
            _log.failed(request, exc, since)
        raise
    _logged(request, opened.head, since)
    return opened


def _check(opened: Opened, call: StreamCall[Any] | Exchange[Any]) -> None:
    """Raise the answer's exception if it is an error (its body read first), closing it."""
    head = opened.head
    try:
        if head.status != 200:
            parts = iter(lambda: opened.read(head.request.timeout), b"")
            head = dataclasses.replace(head, body=b"".join(parts))
        call.opened(head)
    except BaseException:
        opened.close()
        raise


def open_stream(transport: Any, call: StreamCall[T]) -> Stream[T]:
    """Open ``call`` on a blocking ``transport``: its stream, once the headers are in."""
    opened = _open(transport, call.request)
    _check(opened, call)
    idle = None if call.endless else call.request.timeout
    return Stream(opened, call.framing(), idle)


def exchange(transport: Any, call: Exchange[R]) -> R:
    """Run ``call`` on a blocking ``transport``: its answer's body into its sink."""
    opened = _open(transport, call.request)
    _check(opened, call)
    try:
        sink = call.sink(opened.head)
        try:
            while data := opened.read(call.request.timeout):
                sink.write(data)
            return sink.close()
        except BaseException:
            sink.abort()
            raise
    finally:
        opened.close()


# -- coroutines ----------------------------------------------------------------------------------


async def _resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _open_async(transport: Any, request: Request) -> AsyncOpened:
    since = _log.started()
    open_ = getattr(transport, "open", None)
    try:
        if open_ is not None:
            opened: AsyncOpened = await _resolved(open_(request))
        else:
            opened = _Awaiting(WholeBody(await _resolved(transport.send(whole(request)))))
    except Exception as exc:
        if LOG.isEnabledFor(DEBUG):
            _log.failed(request, exc, since)
        raise
    _logged(request, opened.head, since)
    return opened


class _Awaiting:
    """A :class:`WholeBody` with the awaitable ``read`` of an :class:`AsyncOpened`."""

    def __init__(self, opened: WholeBody) -> None:
        self.head = opened.head
        self._opened = opened

    async def read(self, idle: float | None) -> bytes:
        return self._opened.read(idle)

    def close(self) -> None:
        self._opened.close()


async def _check_async(opened: AsyncOpened, call: StreamCall[Any] | Exchange[Any]) -> None:
    head = opened.head
    try:
        if head.status != 200:
            parts = []
            while data := await opened.read(head.request.timeout):
                parts.append(data)
            head = dataclasses.replace(head, body=b"".join(parts))
        call.opened(head)
    except BaseException:
        opened.close()
        raise


async def open_stream_async(
    transport: Any,
    call: StreamCall[Any],
    make: Callable[[AsyncOpened, Any, float | None], S],
) -> S:
    """Open ``call`` on an asynchronous ``transport``; ``make`` builds the stream."""
    opened = await _open_async(transport, call.request)
    await _check_async(opened, call)
    idle = None if call.endless else call.request.timeout
    return make(opened, call.framing(), idle)


async def exchange_async(transport: Any, call: Exchange[R]) -> R:
    """Run ``call`` on an asynchronous ``transport``: its answer's body into its sink."""
    opened = await _open_async(transport, call.request)
    await _check_async(opened, call)
    try:
        sink = call.sink(opened.head)
        try:
            while data := await opened.read(call.request.timeout):
                sink.write(data)
            return sink.close()
        except BaseException:
            sink.abort()
            raise
    finally:
        opened.close()


class Closing:
    """The closing of an opened answer: :meth:`close` once, :meth:`abort` as the client closes.

    A subclass drops its connection in :meth:`_drop`; its ``read`` raises
    ``ClientClosed`` once aborted, and ends quietly once closed.
    """

    def __init__(self) -> None:
        self.closed = False
        self._aborted = False

    def _drop(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Close as the client closes: a read fails with ClientClosed."""
        self._aborted = True
        self.close()

    def close(self) -> None:
        """Close the connection."""
        if not self.closed:
            self.closed = True
            self._drop()


class PushedBody(Closing):
    """The body of an answer that its HTTP library pushes part by part (Tornado, Twisted).

    The library's callbacks call :meth:`pushed` with each part and
    :meth:`finished` at the end (with the error that ended it, if any);
    ``read`` takes the parts in order. A subclass says how to wait for the
    next push (:meth:`_wait`, which raises ``TimeoutError`` after ``idle``
    seconds), how to wake that wait (:meth:`_wake`), and how to drop its
    connection (:meth:`_drop`).
    """

    head: Response

    def __init__(self, address: str) -> None:
        super().__init__()
        self._address = address
        self._parts: collections.deque[bytes] = collections.deque()
        self._ended = False
        self._error: BaseException | None = None

    def pushed(self, data: bytes) -> None:
        """A part of the body has come."""
        self._parts.append(data)
        self._wake()

    def finished(self, error: BaseException | None) -> None:
        """The body has ended (cut short by ``error``, if given)."""
        if error is not None:
            self._error = error
        self._ended = True
        self._wake()

    async def _wait(self, idle: float | None) -> None:
        raise NotImplementedError

    def _wake(self) -> None:
        raise NotImplementedError

    async def read(self, idle: float | None) -> bytes:
        """The next part of the body (b"" at its end), within ``idle`` seconds."""
        request = self.head.request
        if self._aborted:
            raise request.closed(under_way=True)
        if not self._parts and not self._ended and not self.closed:
            try:
                await self._wait(idle)
            except TimeoutError:
                raise request.timed_out(sent=True) from None
        if self._parts:
            return self._parts.popleft()
        if self._aborted:
            raise request.closed(under_way=True)
        if self._error is not None and not self.closed:
            error = self._error
            raise request.connection_failed(self._address, error, sent=True) from detached(error)
        return b""

    def close(self) -> None:
        """Close the connection (a read waiting ends)."""
        super().close()
        self._wake()
