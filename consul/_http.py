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

import dataclasses
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Generic, TypeAlias, TypeVar
from urllib.parse import quote, urlencode

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Params: TypeAlias = tuple[tuple[str, str], ...]
Headers: TypeAlias = tuple[tuple[str, str], ...]

#: Seconds added to a blocking query's wait (and its jitter) before the
#: transport gives up reading: the server answers at ``wait + wait/16`` at the
#: latest, so only a dead connection gets this far.
BLOCKING_MARGIN = 5.0

#: Consul's default wait for a blocking query (``default_query_time``).
DEFAULT_WAIT = 300.0
#: Consul's upper bound on a blocking query's wait (``max_query_time``).
MAX_WAIT = 600.0


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request to Consul, described without sending it.

    ``path`` is already percent-encoded and starts with ``/v1/``. ``params`` is
    a sequence of pairs because Consul repeats some parameters (``tag=``,
    ``node-meta=``). ``wait`` is set on blocking queries: it is the number of
    seconds the server may hold the request, from which adapters derive their
    read timeout (see :meth:`read_timeout`).
    """

    method: str
    path: str
    params: Params = ()
    headers: Headers = ()
    body: bytes | None = None
    wait: float | None = None

    def url(self, base: str) -> str:
        """The full URL of this request below ``base`` (``scheme://host:port``)."""
        if not self.params:
            return base + self.path
        return base + self.path + "?" + urlencode(self.params, quote_via=quote)

    def read_timeout(self, timeout: float | None) -> float | None:
        """The read timeout for this request, given the client's ``timeout``.

        A blocking query may legitimately be held by the server for its wait
        plus up to ``wait/16`` of jitter (``agent/consul/rpc.go``
        ``RPCQueryTimeout``), so its read timeout is at least that plus
        :data:`BLOCKING_MARGIN`.
        """
        if self.wait is None:
            return timeout
        wait = min(self.wait if self.wait > 0 else DEFAULT_WAIT, MAX_WAIT)
        floor = wait + wait / 16 + BLOCKING_MARGIN
        if timeout is None:
            return None
        return max(timeout, floor)


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """What Consul answered: status, headers (names in lower case) and body."""

    status: int
    headers: Headers
    body: bytes
    request: Request

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
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


@dataclasses.dataclass(frozen=True, slots=True)
class Call(Generic[T_co]):
    """A request and the pure function that turns its response into a value."""

    request: Request
    decode: Callable[[Response], T_co]


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


def path(*segments: str) -> str:
    """Join ``/v1/``-rooted path segments, percent-encoding each one.

    Slashes inside a segment are kept (a KV key is one segment with slashes);
    everything else that is not URL-safe is escaped.
    """
    return "/v1/" + "/".join(quote(s, safe="/") for s in segments)
