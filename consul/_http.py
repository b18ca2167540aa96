"""The sans-I/O core: what a request is, what a response is, and a call.

Nothing in this module performs I/O. Endpoint methods build a :class:`Call`
(a :class:`Request` plus a pure ``decode`` function); an adapter sends the
request with its own HTTP library, wraps what came back in a :class:`Response`
and hands it to ``decode``.

Work that needs several requests (locks, watches, the legacy ACL shims) is a
:data:`Flow`: a generator that yields :class:`Call` and :class:`Sleep` steps and
receives each call's decoded result (or has its exception thrown in). Flows
that run in the background (a watch, a lock's monitor) also yield
:class:`Deliver` (a value for their consumer) and :class:`Join` (wait for a
background flow they started), and have :class:`Stopped` thrown in when
stopped. Every adapter has one small driver for flows, so the logic of such
work is written once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import io
import os
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import IO, Any, Final, Generic, Literal, Protocol, TypeAlias, TypeVar
from urllib.parse import quote, urlencode

from .exceptions import (
    ClientClosed,
    ConsulConnectionError,
    ConsulException,
    InvalidResponse,
    Timeout,
    TransportError,
)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E", bound=TransportError)

Params: TypeAlias = tuple[tuple[str, str], ...]
Headers: TypeAlias = tuple[tuple[str, str], ...]

#: Seconds a call may take as a whole unless the client or the call says
#: otherwise (a blocking query gets its wait on top).
DEFAULT_TIMEOUT = 30.0

#: Seconds added to a blocking query's wait (and its jitter) on top of the
#: client's timeout: the server answers at ``wait + wait/16`` at the latest,
#: so only a dead connection gets this far.
BLOCKING_MARGIN = 5.0

#: The methods a client may send again when a pooled connection turns out to
#: be closed before the answer (RFC 9110 9.2.2 calls PUT and DELETE
#: idempotent too, but Consul's are not: ``PUT /v1/event/fire`` fires another
#: event, ``PUT /v1/session/create`` makes another session, a ``?cas=`` write
#: or delete answers false the second time).
RETRYABLE_METHODS = frozenset({"GET", "HEAD"})

#: Headers whose values are secrets: never shown in a repr.
SECRET_HEADERS = frozenset({"x-consul-token", "authorization"})

#: Consul's default wait for a blocking query (``default_query_time``).
DEFAULT_WAIT = 300.0
#: Consul's upper bound on a blocking query's wait (``max_query_time``).
MAX_WAIT = 600.0


class ClientTimeout(enum.Enum):
    """The type of :data:`CLIENT_TIMEOUT`."""

    DEFAULT = "the client's timeout"

    def __repr__(self) -> str:
        return "<the client's timeout>"


#: The default of every endpoint method's ``timeout``: the client's own.
CLIENT_TIMEOUT: Final = ClientTimeout.DEFAULT
#: What a method's ``timeout=`` takes: seconds, None (no limit) or
#: :data:`CLIENT_TIMEOUT`.
CallTimeout: TypeAlias = float | Literal[ClientTimeout.DEFAULT] | None


#: The size of each part of an upload as it is read and sent.
UPLOAD_CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Upload:
    """A request body sent from a file as it is read (a snapshot restore), never held whole.

    ``source`` is a path, opened (and closed) when the request is sent, or a
    binary file object, read from where it stands and left open.
    """

    source: str | os.PathLike[str] | IO[bytes]

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file to read the body from (a path opened for the time of the block)."""
        if isinstance(self.source, str | os.PathLike):
            with open(self.source, "rb") as file:
                yield file
        else:
            yield self.source

    @staticmethod
    def size(file: IO[bytes]) -> int | None:
        """The bytes left to read in ``file``, if it can tell (a regular file); else None."""
        try:
            return os.fstat(file.fileno()).st_size - file.tell()
        except (OSError, AttributeError, io.UnsupportedOperation):
            return None

    @staticmethod
    def headers(file: IO[bytes], headers: Headers) -> dict[str, str]:
        """``headers``, with the ``Content-Length`` of ``file`` if it can tell its size."""
        given = dict(headers)
        size = Upload.size(file)
        if size is not None:
            given["Content-Length"] = str(size)
        return given

    @staticmethod
    def chunks(file: IO[bytes]) -> Iterator[bytes]:
        """``file``'s bytes, part by part."""
        while chunk := file.read(UPLOAD_CHUNK):
            yield chunk

    def __repr__(self) -> str:
        source = self.source
        if isinstance(source, str | os.PathLike):
            return f"<upload from {os.fspath(source)!r}>"
        return f"<upload from a {type(source).__name__}>"


#: Request, Response and Call are made on every call and never changed once
#: made (``dataclasses.replace`` makes another), but they are not declared
#: frozen: a frozen dataclass sets each field through ``object.__setattr__``,
#: which made building these three close to a third of the library's own
#: work on a ``kv.get`` (measured with callgrind: 12,000 instructions for a
#: Request, 2,000 without).
@dataclasses.dataclass(slots=True)
class Request:
    """One HTTP request to Consul, described without sending it.

    ``path`` is already percent-encoded and starts with ``/v1/`` (see
    :func:`path`). ``params`` is a sequence of pairs because Consul repeats
    some parameters (``tag=``, ``node-meta=``). ``wait`` is set on blocking
    queries: it is the number of seconds the server may hold the request,
    which the adapters add to the time they allow the call (see
    :meth:`time_limit`). ``timeout`` is the seconds the exchange may take
    (None: no limit): the client's, or the call's own ``timeout=``.
    ``upload`` is a body read from a file as it is sent, instead of ``body``
    (only an :class:`~consul._stream.Exchange` has one). The repr shows
    neither the token nor the body.
    """

    method: str
    path: str
    params: Params = ()
    headers: Headers = ()
    body: bytes | None = None
    wait: float | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    upload: Upload | None = None

    def url(self, base: str) -> str:
        """The full URL of this request below ``base`` (``scheme://host:port``)."""
        if not self.params:
            return base + self.path
        return base + self.path + "?" + urlencode(self.params, quote_via=quote)

    @property
    def retryable(self) -> bool:
        """Whether sending this request twice is harmless (GET and HEAD only).

        Adapters may send a retryable request again once when a pooled
        connection was closed under it; any other request that may have
        reached Consul fails instead (see :meth:`connection_failed`).
        """
        return self.method in RETRYABLE_METHODS

    def time_limit(self) -> float | None:
        """Seconds the whole exchange may take.

        Connecting, sending, and receiving the headers and the body: all of
        it within :attr:`timeout`. A blocking query may legitimately be held
        by the server for its wait plus up to ``wait/16`` of jitter
        (``agent/consul/rpc.go`` ``RPCQueryTimeout``), which it gets on top,
        with :data:`BLOCKING_MARGIN`. None (no timeout) waits forever.
        """
        timeout = self.timeout
        if timeout is None or self.wait is None:
            return timeout
        wait = min(self.wait if self.wait > 0 else DEFAULT_WAIT, MAX_WAIT)
        return timeout + wait + wait / 16 + BLOCKING_MARGIN

    def timed_out(self, *, sent: bool) -> Timeout:
        """The :class:`Timeout` of this request, which got no answer within :meth:`time_limit`.

        ``sent`` says whether the request may have reached Consul (see
        :meth:`connection_failed`).
        """
        limit = self.time_limit()
        within = "" if limit is None else f" within {_seconds(limit)} s"
        return self._lost(Timeout, f"no answer{within}", sent)

    def connection_failed(
        self, base_url: str, cause: BaseException, *, sent: bool
    ) -> ConsulConnectionError:
        """The :class:`ConsulConnectionError` of this request, from the library's ``cause``.

        ``sent`` says whether the request may have reached Consul (it did
        not if no connection was made). A request that did, and is not
        :attr:`retryable`, is never sent again: the message says that it may
        have been applied.
        """
        description = f"cannot reach {base_url}: {type(cause).__name__}: {cause}"
        return self._lost(ConsulConnectionError, description, sent)

    def _lost(self, kind: type[E], description: str, sent: bool) -> E:
        if sent and not self.retryable:
            description += (
                f"; the {self.method} may have reached Consul and been applied:"
                " it was not sent again"
            )
        return kind(description, method=self.method, path=self.path)

    def closed(self, *, under_way: bool = False) -> ClientClosed:
        """The :class:`ClientClosed` of this request: made after ``close()``, or cut short by it."""
        when = " during the call" if under_way else ""
        return ClientClosed(f"the client was closed{when}", method=self.method, path=self.path)

    def unreadable(self, exc: Exception, status: int | None = None) -> InvalidResponse:
        """The :class:`InvalidResponse` of an answer to this request that ``exc`` could not read."""
        return InvalidResponse(
            f"unreadable answer: {type(exc).__name__}: {exc}",
            status=status,
            method=self.method,
            path=self.path,
        )

    def __repr__(self) -> str:
        headers = tuple(
            (name, "<hidden>" if name.lower() in SECRET_HEADERS else value)
            for name, value in self.headers
        )
        body = None if self.body is None else f"<{len(self.body)} bytes>"
        if self.upload is not None:
            body = repr(self.upload)
        return (
            f"Request(method={self.method!r}, path={self.path!r}, params={self.params!r}, "
            f"headers={headers!r}, body={body}, wait={self.wait!r}, timeout={self.timeout!r})"
        )


class HeaderMap(Protocol):
    """An HTTP library's own headers of an answer, looked up case-insensitively."""

    def get(self, name: str, /) -> str | None:
        """The value of header ``name``, whatever its case, or None."""

    def items(self) -> Iterable[tuple[str, str]]:
        """Every header, as (name, value) pairs."""


@dataclasses.dataclass(slots=True)  # not frozen: see Request
class Response:
    """What Consul answered: status, headers and body.

    ``headers`` is a tuple of (name, value) pairs (:meth:`build` makes one
    from any collection), or the HTTP library's own case-insensitive headers
    (a :class:`~consul.transport.HeaderMap`), read only where a decoder asks
    for one (:meth:`header`): most answers are read for one header, if any.
    """

    status: int
    headers: Headers | HeaderMap
    body: bytes
    request: Request

    def __repr__(self) -> str:
        # The body may hold secrets (a token's SecretID): only its size.
        return (
            f"Response(status={self.status!r}, headers={self.headers!r}, "
            f"body=<{len(self.body)} bytes>, request={self.request!r})"
        )

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        headers = self.headers
        if not isinstance(headers, tuple):
            value = headers.get(name)
            if value is not None or type(headers) is not dict:
                return value
            # A plain dict (from a transport of one's own) is case-sensitive.
            headers = tuple(headers.items())
        wanted = name.lower()
        for key, value in headers:
            if key.lower() == wanted:
                return value
        return None

    @classmethod
    def build(
        cls,
        status: int,
        headers: Iterable[tuple[str, str]] | Mapping[str, str],
        body: bytes,
        request: Request,
    ) -> Response:
        """A response from whatever header collection an HTTP library has."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        return cls(status, tuple((k.lower(), v) for k, v in items), body, request)


@dataclasses.dataclass(slots=True)  # not frozen: see Request
class Call(Generic[T_co]):
    """A request and the pure function that turns its response into a value."""

    request: Request
    decode: Callable[[Response], T_co]

    def result(self, response: Response) -> T_co:
        """``decode(response)``, every failure of which is a ConsulException.

        A decoder raises ours for an unexpected status; anything else it
        raises means an answer it could not read (a body that is not the
        expected JSON...), reported as :class:`InvalidResponse` with the
        status, method and path.
        """
        try:
            return self.decode(response)
        except ConsulException:
            raise
        except Exception as exc:
            raise self.request.unreadable(exc, response.status) from exc


@dataclasses.dataclass(frozen=True, slots=True)
class Sleep:
    """A step of a flow: wait this many seconds before going on."""

    seconds: float


@dataclasses.dataclass(frozen=True, slots=True)
class Deliver:
    """A step of a flow that produces values as it runs (a watch, an election).

    The driver hands ``value`` to whoever consumes the flow (an iterator's
    next item, a callback) and resumes the flow with None once it has been
    taken (a callback that returned an awaitable has finished with it).
    """

    value: Any


@dataclasses.dataclass(frozen=True, slots=True)
class Join:
    """A step of a flow: stop a background flow it started, and wait for its end.

    ``task`` is what the runner's ``spawn_flow`` returned; the step's result
    is None.
    """

    task: Any


class Stopped(Exception):
    """Thrown into a flow that is being stopped (a watch's ``stop()``, a released lock).

    The step in flight is abandoned (its request aborted, its sleep cut
    short). The flow may still yield steps to clean up, which run to their
    end; a flow that lets this escape simply ends, with the result None.
    """


Step: TypeAlias = "Call[Any] | Sleep | Deliver | Join"
#: A multi-request operation: yields steps, receives each call's result.
Flow: TypeAlias = Generator[Step, Any, T]


def single(call: Call[T]) -> Flow[T]:
    """The flow of one call: lets drivers treat a call as a one-step flow."""
    result: T = yield call
    return result


def bounded(
    flow: Flow[T], timeout: float | None, clock: Callable[[], float] = time.monotonic
) -> Flow[T]:
    """``flow`` within ``timeout`` seconds as a whole: a flow method's own ``timeout=``.

    The deadline starts with the flow's first step. Each request is given
    the time left as its timeout (a blocking query gets its wait on top, as
    any does); a request that would start after the deadline, or a sleep
    that would end after it, raises :class:`Timeout` instead. With None,
    every request waits as long as it takes. Results and errors pass through
    unchanged, and closing this flow closes ``flow``. ``clock`` tells the time.
    """
    if timeout is None:
        deadline = None
    else:
        deadline, limit = clock() + timeout, timeout
    value: Any = None
    error: ConsulException | Stopped | None = None
    with contextlib.closing(flow):
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            left = None if deadline is None else deadline - clock()
            if isinstance(step, Call):
                if left is not None and left <= 0:
                    raise _late(limit, step.request)
                step = Call(dataclasses.replace(step.request, timeout=left), step.decode)
            elif isinstance(step, Sleep) and left is not None and step.seconds >= left:
                raise _late(limit, None)
            value, error = None, None
            try:
                value = yield step
            except (ConsulException, Stopped) as exc:
                error = exc


def _late(timeout: float, request: Request | None) -> Timeout:
    """The :class:`Timeout` of a flow that cannot finish within its ``timeout``."""
    message = f"the call cannot finish within its timeout of {_seconds(timeout)} s"
    if request is None:
        return Timeout(message)
    return Timeout(message, method=request.method, path=request.path)


def _seconds(value: float) -> str:
    """Seconds for a message: to the millisecond, without trailing zeros."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def path_segment(value: str, argument: str = "path segment") -> str:
    """Check an ID or name that must be exactly one segment of a URL path.

    Consul routes and reads the decoded path, so escaping a ``/`` as ``%2F``
    does not keep it inside the segment: Go's ``ServeMux`` (before Go 1.22)
    matches and cleans ``req.URL.Path``, where ``%2F`` is already ``/``, and
    the handlers take their argument with ``strings.TrimPrefix(req.URL.Path,
    prefix)``. Where a ``/`` means something to Consul, it must be refused:
    ``ACLTokenCRUD`` (``agent/acl_endpoint.go``) clones token ``a`` for
    ``PUT /v1/acl/token/a%2Fclone``, and ``/v1/acl/policy/name/...`` is another
    endpoint than ``/v1/acl/policy/:id``. ``.`` and ``..`` are refused too:
    every HTTP stack may resolve them against the path. Anything else is
    percent-escaped by :func:`path` (a ``%`` as ``%25``, which Go decodes back
    to ``%``). Returns ``value``.
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{argument} must not be empty")
    if "/" in value:
        raise ValueError(f"{argument} must not contain '/' (it names one path segment): {value!r}")
    if value in (".", ".."):
        raise ValueError(f"{argument} must not be '.' or '..' (it names one path segment)")
    return value


def path_tail(value: str, argument: str = "path") -> str:
    """Check an ID or name that Consul reads as the whole rest of the path.

    Most handlers take their argument with ``strings.TrimPrefix(req.URL.Path,
    prefix)`` and nothing is registered below that prefix
    (``agent/http_register.go``): a KV key, a service or check ID (Patroni's
    are ``scope/name``), a service or node name. A ``/`` in such a value is
    read back whole, so it is kept (and sent as it is, as Consul's Go client
    sends it). But no part of it may be ``.`` or ``..``, which resolve against
    the path (``../../acl/tokens`` would reach another endpoint with the
    client's token), or empty, which ``ServeMux`` cleans away (``a//b`` is
    redirected to ``a/b``); a trailing ``/`` is fine. Returns ``value``.
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{argument} must not be empty")
    _check_tail(value, argument)
    return value


def _check_tail(value: str, argument: str) -> None:
    parts = value.split("/")
    if parts[-1] == "":
        parts.pop()
    if value and any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{argument} must not have empty, '.' or '..' segments: {value!r}")


def path(*segments: str, tail: str | None = None) -> str:
    """The ``/v1/`` path of ``segments``, then ``tail``, each checked and percent-encoded.

    Every segment must be one path segment (:func:`path_segment`); ``tail``,
    which comes last, keeps its slashes (:func:`path_tail`, but it may be
    empty: ``/v1/kv/`` lists the whole store). This is the one place where
    a value enters a URL path.
    """
    text = "/v1/" + "/".join([_quote(path_segment(s), "") for s in segments])
    return text if tail is None else below(text, tail)


def below(prefix: str, tail: str, argument: str = "path") -> str:
    """``prefix`` (a path made by :func:`path`), then ``tail``, checked and percent-encoded.

    The same as ``path(*segments, tail=tail)``, for a group that makes its
    prefix once: ``KV`` puts every key below ``path("kv")``. ``argument``
    names ``tail`` in the error for empty, ``.`` or ``..`` parts.
    """
    if _PLAIN_TAIL(tail):
        return prefix + "/" + tail
    rooted = "/" + tail
    if "/." in rooted or "//" in rooted:
        # Perhaps a part that is empty, "." or "..": a closer look. (None of
        # the parts starts with a dot, and none is empty, in the common case.)
        _check_tail(tail, argument)
    return prefix + (rooted if _UNRESERVED["/"](tail) else "/" + quote(tail, safe="/"))


#: Text that percent-encoding leaves as it is (RFC 3986 unreserved characters),
#: with and without ``/``.
_UNRESERVED = {
    "": re.compile(r"[A-Za-z0-9._~-]*").fullmatch,
    "/": re.compile(r"[A-Za-z0-9._~/-]*").fullmatch,
}


#: A tail that needs neither a closer look nor encoding (the common case): parts
#: of unreserved characters, none empty or starting with a dot, an optional
#: trailing ``/``.
_PLAIN_TAIL = re.compile(
    r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?"
).fullmatch


def _quote(text: str, safe: str) -> str:
    # The common case (a plain name) needs no encoding, and a match is
    # cheaper than quote(), which encodes to bytes and back.
    return text if _UNRESERVED[safe](text) else quote(text, safe=safe)


_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def header_value(value: str, argument: str) -> str:
    """Check a value sent in a header (the token): printable ASCII, no spaces around.

    HTTP libraries differ on anything else: one refuses a CR or LF, another
    strips it and sends an altered value, a third puts the whole header in its
    error message. The message here never includes the value, which may be a
    secret. Returns ``value``.
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    if not _HEADER_VALUE.fullmatch(value):
        raise ValueError(
            f"{argument} must be printable ASCII without spaces around it "
            "(it is sent in an HTTP header); the value given is not shown"
        )
    return value
