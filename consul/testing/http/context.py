"""The request context a handler gets (:class:`Ctx`), with Consul's query options.

What every handler reads the same way: the datacenter (``?dc``), the token
(``parseToken``), the consistency modes and blocking parameters (``parse``,
``parseWait``), Enterprise-only parameters (refused), ``?filter``, and the
response meta headers (``setMeta``), after ``agent/http.go``. Blocking
queries (:meth:`Ctx.blocking_reply`, :class:`BlockingRead`) follow
``agent/blockingquery/blockingquery.go``.

A blocking query waits with no coroutine: ``return ctx.blocking_reply(query,
render)`` takes the function that reads the state and the one that turns
its result into the :class:`~.reply.Reply`. A query that has to wait raises
:class:`Park` through the handler, which ends, and the connection registers
the :class:`Parked` query with the state's wake-ups; when they wake it, it
re-runs ``query`` and, once the answer is ready, ``render`` gives the reply
the connection writes. Nothing but the request, its context and the parked
query (a few small objects) is held meanwhile.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar, cast

from ..state.acl.authorizer import Authorizer
from ..state.core import AgentCore
from ..state.datacenter import Datacenter
from ..state.errors import RPCError
from ..state.filter import FilterError, compile_filter
from ..state.gojson import DecodeError, decode_json
from ..state.golang import parse_duration
from ..state.golang import quote as go_quote
from ..state.gotypes import GoType, Struct
from ..state.wakeups import Batch, Waiter, Wakeups
from .errors import BadRequest
from .reply import Reply
from .request import Request

__all__ = [
    "JITTER_FRACTION",
    "LOCAL_DEFAULT_QUERY_TIME",
    "LOCAL_MAX_QUERY_TIME",
    "OFF_LOOP_DECODE",
    "BlockingRead",
    "Ctx",
    "Park",
    "Parked",
    "Resumer",
    "Written",
    "park_while",
    "query_timeout",
]

T = TypeVar("T")
K = TypeVar("K")

#: The agent package's own ``defaultQueryTime`` and ``maxQueryTime``
#: (seconds, ``agent/agent.go``). Blocking queries answered by the servers
#: honour ``default_query_time`` and ``max_query_time`` (an embedded agent's
#: are in its :class:`~consul.testing.AgentConfig`); the agent-local ones
#: (``Agent.LocalBlockingQuery``, ``/v1/event/list``) use these constants.
LOCAL_DEFAULT_QUERY_TIME = 300.0
LOCAL_MAX_QUERY_TIME = 600.0
#: ``structs.JitterFraction``: a blocking query's wait gets up to 1/16 more.
JITTER_FRACTION = 16
#: Bodies of this many bytes and more are decoded off the agent's loop.
OFF_LOOP_DECODE = 64 * 1024

_DIGITS = re.compile(r"[0-9]+\Z")
#: strconv.Atoi: an optional sign and ASCII digits.
_GO_ATOI = re.compile(r"[+-]?[0-9]+\Z")


#: What Consul CE refuses: (header, query parameter, the feature's name).
_ENTERPRISE = (
    ("X-Consul-Namespace", "ns", "Namespaces"),
    ("X-Consul-Partition", "partition", "Partitions"),
)


def query_timeout(wait: float, default: float, maximum: float, rng: Callable[[], float]) -> float:
    """How long a blocking query may block (``RPCQueryTimeout``, ``agent/consul/rpc.go``).

    ``wait`` above ``maximum`` (``max_query_time``) is capped, zero or
    negative is ``default`` (``default_query_time``); then up to 1/16 of it
    is added as jitter (``lib.RandomStagger``), with ``rng()`` in ``[0, 1)``.
    """
    if wait > maximum:
        wait = maximum
    elif wait <= 0:
        wait = default
    return wait + rng() * (wait / JITTER_FRACTION)


class Resumer(Protocol):
    """What a :class:`Parked` query answers through: the connection holding its request."""

    def resume(self, parked: Parked, outcome: Reply | Exception) -> Written | None:
        """Answer ``parked`` with its reply, or what it raised.

        What was written, if an identical request on another connection
        may be answered with the same bytes (:meth:`resume_with`).
        """

    def resume_with(self, parked: Parked, written: Written) -> bool:
        """Answer ``parked`` with what was written for an identical request.

        False (nothing done) if this connection cannot: it answers on its own.
        """


class Written:
    """An answer written to a connection, for identical requests to be answered alike."""

    __slots__ = ("data", "keep_alive", "measure", "reply", "starts")

    def __init__(
        self,
        data: bytes,
        reply: Reply,
        keep_alive: bool,
        measure: Callable[[list[float]], None] | None = None,
    ) -> None:
        #: The bytes written: head and body.
        self.data = data
        self.reply = reply
        self.keep_alive = keep_alive
        #: What records the identical requests answered with these bytes, all
        #: at once (:meth:`record`), given when each one's handler was called
        #: (:attr:`starts`); None: the dispatcher's ``record``, for each.
        self.measure = measure
        #: When the handler of each identical request answered alike was called.
        self.starts: list[float] = []

    def record(self) -> None:
        """Record the identical requests answered since the last call (:attr:`measure`)."""
        if self.starts and self.measure is not None:
            self.measure(self.starts)
            self.starts = []


class Parked(Waiter):
    """A blocking query waiting with no coroutine (see the module docstring).

    Made by :meth:`Ctx.blocking_reply` (or a handler's own subclass, as the
    agent's hash-based queries); the connection calls :meth:`start` with
    itself as the :class:`Resumer`. Subclasses implement :meth:`rerun` and
    :meth:`last`.
    """

    __slots__ = ("_alike", "ctx", "deadline", "owner", "wakeups")

    #: What it waits on, and until when (``time.monotonic()``): set before
    #: :class:`Park` is raised.
    wakeups: Wakeups
    deadline: float

    def __init__(self, ctx: Ctx) -> None:
        super().__init__()
        self.ctx = ctx
        self.owner: Resumer | None = None
        #: What the queries that answer alike share while they wait (see :meth:`wait`).
        self._alike: object = None

    def rerun(self) -> Reply | None:
        """Something changed: run the query again; its reply, or None to wait on."""
        raise NotImplementedError

    def share(self) -> Hashable | None:
        """What identifies the queries that answer alike, or None (the default): none do.

        Queries woken together with the same key and the same request
        headers are answered with the bytes written for the first (see
        :meth:`woken`): a subclass returns a key only if, with the same key
        and headers, its :meth:`rerun` gives the same answer from the same
        state. Asked each time the query starts to wait.
        """
        return None

    def request_key(self) -> Hashable:
        """The request line, as far as an answer can depend on it: what :meth:`share` keys on.

        Its method, target, HTTP version and keep-alive. The headers (the
        token among them) are not in it: :meth:`wait` compares them too,
        as one multidict with another (names case-insensitive, as Go's
        canonical keys; values and order exact), which costs less than
        hashing them.
        """
        request = self.ctx.request
        return (request.method, request.raw_path, request.version, request.keep_alive)

    def wait(self) -> bool:
        """Register with :attr:`wakeups` until :attr:`deadline`; False if the wait is over.

        With the token (:meth:`~..state.wakeups.Wakeups.alike`) of the
        queries waiting with the same :meth:`share` key and request headers,
        made now: a wake-up tells them by identity alone.
        """
        if not self.wakeups.add(self, self.deadline):
            return False  # no token taken: it would outlive every waiter
        key = self.share()
        self._alike = None if key is None else self.wakeups.alike(key, self.ctx.request.headers)
        return True

    def last(self) -> Reply:
        """The reply to what the query found last (its wait ran out)."""
        raise NotImplementedError

    def start(self, owner: Resumer) -> bool:
        """Wait, answering through ``owner``; False if the wait is already over.

        Then nothing is registered and :meth:`answer` is the answer.
        """
        self.owner = owner
        return self.wait()

    def cancel(self) -> None:
        """The client went away: stop waiting, never answer."""
        self.owner = None
        self.wakeups.discard(self)

    def answer(self) -> Reply | Exception:
        """The answer at the end of the wait: :meth:`last`, or what it raised."""
        try:
            return self.last()
        except Exception as exc:  # noqa: BLE001 (answered as the handler's own error)
            return exc

    def woken(self, changed: bool, batch: Batch) -> None:
        owner = self.owner
        if owner is None:
            return
        outcome: Reply | Exception | None
        alike = None
        if changed:
            # One rendering for the watchers of the same read: the state
            # cannot change within one batch of wake-ups.
            alike = self._alike
            if alike is not None:
                written = batch.get(alike)
                if isinstance(written, Written) and owner.resume_with(self, written):
                    self.owner = None
                    return
            try:
                outcome = self.rerun()
            except Exception as exc:  # noqa: BLE001 (answered as the handler's own error)
                outcome = exc
            if outcome is None:
                if self.wait():
                    return
                # Its own wait is over (others alike may wait on).
                alike = None
                outcome = self.answer()
        else:
            outcome = self.answer()
        self.owner = None
        written = owner.resume(self, outcome)
        if alike is not None and written is not None and not isinstance(outcome, Exception):
            batch[alike] = written
            if written.measure is not None:
                # The identical requests of the batch, recorded together.
                batch.at_end(written.record)


class Park(Exception):
    """Raised through a handler by a blocking query that waits as :attr:`parked`."""

    def __init__(self, parked: Parked) -> None:
        super().__init__()
        self.parked = parked


class BlockingRead(Parked, Generic[T]):
    """An index-based blocking read, as an object: :meth:`reply` runs it.

    Subclasses implement :meth:`query` and :meth:`render` (and
    :meth:`not_found` for a read that finds nothing, :meth:`unchanged` for
    one that compares its answers); :meth:`reply` runs the query as
    Consul's ``blockingquery.Query`` does and gives the rendered reply, or
    raises :class:`Park` with the object itself, which waits: a read that
    keeps its parameters in the subclass's slots is a single small object
    while it waits (the KV reads are). :meth:`Ctx.blocking_reply` makes
    one of functions.

    Without ``?index`` the query runs once. Otherwise it is re-run after
    every change of the datacenter's state until its index is above
    ``?index``, or the wait runs out (see :func:`query_timeout`), when the
    last result is the answer.
    """

    __slots__ = ("index", "min_index", "result", "was_not_found")

    #: True in a subclass whose answer depends only on the request and the
    #: state it reads (not on anything else the handler computed, as
    #: whether a cache entry was there): then its identical reads woken
    #: together share one answer (:meth:`share`).
    shared = False

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.min_index = 0
        self.was_not_found = False
        self.index = 0
        self.result: T | None = None

    def query(self) -> tuple[int, T]:
        """The index and the result, read from the current state."""
        raise NotImplementedError

    def render(self, index: int, result: T) -> Reply:
        """The reply: meta headers set on the context, the body (may raise as a handler)."""
        raise NotImplementedError

    def not_found(self, result: T) -> bool:
        """Whether ``result`` found nothing (``ErrNotFound``).

        After the first such answer the query keeps blocking until something
        is found, whatever the index does (``agent/blockingquery/blockingquery.go``).
        """
        return False

    def unchanged(self, previous: T, result: T) -> bool:
        """Whether ``result`` answers as the previous run's did (``ErrNotChanged``).

        Then the query keeps blocking as if the index had not moved either:
        Consul's queries that hash their answer do so (``Intention.Match``
        in ``agent/consul/intention_endpoint.go``, the discovery chain in
        ``agent/consul/discoverychain_endpoint.go``). Checked before
        :meth:`not_found`, as ``blockingquery.Query`` sees one error or the
        other.
        """
        return False

    def reply(self, dc: Datacenter | None = None) -> Reply:
        """Run the read: the reply, or :class:`Park` raised if it has to wait.

        ``dc`` is the datacenter whose changes wake it (default: the
        request's, :attr:`Ctx.dc`).
        """
        ctx = self.ctx
        min_index, wait = ctx.wait_params()
        self.wakeups = (ctx.dc if dc is None else dc).wakeups
        index, result = self.query()
        if min_index == 0:
            return self.render(max(index, 1), result)
        config = ctx.agent.config
        wait = query_timeout(
            wait, config.default_query_time, config.max_query_time, ctx.agent.random.random
        )
        self.deadline = time.monotonic() + wait
        self.min_index = min_index
        reply = self._check(index, result)
        if reply is None:
            raise Park(self)
        return reply

    def _check(self, index: int, result: T) -> Reply | None:
        """The reply if ``result`` answers the read, else None (and it is kept)."""
        index = max(index, 1)
        # self.index is 0 until a run has waited: then self.result is its answer.
        if self.index and self.unchanged(cast("T", self.result), result):
            self.min_index = index
        elif self.not_found(result):
            if self.was_not_found:
                self.min_index = index
            self.was_not_found = True
        if index > self.min_index:
            return self.render(index, result)
        self.index, self.result = index, result
        return None

    def rerun(self) -> Reply | None:
        return self._check(*self.query())

    def share(self) -> Hashable | None:
        """Reads of subclasses that set :attr:`shared` share the same request's answer.

        The same request (method, target, HTTP version, headers) reading the
        same state through the same subclass, waiting for the same index,
        answers the same.
        """
        if not self.shared:
            return None
        # request_key(), flat: this runs for every query that waits.
        request = self.ctx.request
        return (
            type(self),
            self.min_index,
            self.was_not_found,
            request.method,
            request.raw_path,
            request.version,
            request.keep_alive,
        )

    def last(self) -> Reply:
        return self.render(self.index, cast("T", self.result))


class _FunctionRead(BlockingRead[T]):
    """:meth:`Ctx.blocking_reply`'s read: its functions."""

    __slots__ = ("_not_found", "_query", "_render", "_unchanged")

    def __init__(
        self,
        ctx: Ctx,
        query: Callable[[], tuple[int, T]],
        render: Callable[[int, T], Reply],
        not_found: Callable[[T], bool] | None,
        unchanged: Callable[[T, T], bool] | None,
    ) -> None:
        super().__init__(ctx)
        self._query = query
        self._render = render
        self._not_found = not_found
        self._unchanged = unchanged

    def query(self) -> tuple[int, T]:
        return self._query()

    def render(self, index: int, result: T) -> Reply:
        return self._render(index, result)

    def not_found(self, result: T) -> bool:
        return self._not_found is not None and self._not_found(result)

    def unchanged(self, previous: T, result: T) -> bool:
        return self._unchanged is not None and self._unchanged(previous, result)


class _SharedFunctionRead(_FunctionRead[T]):
    """:meth:`Ctx.blocking_reply`'s read with ``shared``."""

    __slots__ = ()

    shared = True


def park_while(
    ctx: Ctx,
    wakeups: Wakeups,
    key: K,
    query: Callable[[], tuple[K, T]],
    render: Callable[[K, T], Reply],
    wait: Callable[[], float],
) -> Reply:
    """A query that blocks while the key of its answer is still the client's ``key``.

    The blocking of the agent's own endpoints, which compare no Raft index:
    ``Agent.LocalBlockingQuery``'s hash (``agent/agent.go``), the last
    event's index of ``/v1/event/list`` (``agent/event_endpoint.go``).
    ``query()`` returns ``(key, result)``; with no ``key`` (empty, 0) or one
    already moved, ``render(key, result)`` is the reply. Otherwise the query
    parks on ``wakeups`` (:class:`Park` is raised through the handler) for
    ``wait()`` seconds, re-running after each change of their state.
    """
    current, result = query()
    if not key or current != key:
        return render(current, result)
    deadline = time.monotonic() + wait()
    raise Park(_KeyWait(ctx, wakeups, deadline, query, render, current, result))


class _KeyWait(Parked, Generic[K, T]):
    """A parked :func:`park_while` query: answered once the key of its answer moves."""

    __slots__ = ("key", "query", "render", "result")

    def __init__(
        self,
        ctx: Ctx,
        wakeups: Wakeups,
        deadline: float,
        query: Callable[[], tuple[K, T]],
        render: Callable[[K, T], Reply],
        key: K,
        result: T,
    ) -> None:
        super().__init__(ctx)
        self.wakeups = wakeups
        self.deadline = deadline
        self.query = query
        self.render = render
        self.key = key
        self.result = result

    def rerun(self) -> Reply | None:
        current, result = self.query()
        if current != self.key:
            return self.render(current, result)
        self.result = result
        return None

    def share(self) -> Hashable:
        # The answer depends on the request and the state it reads alone.
        return (type(self), self.key, self.request_key())

    def last(self) -> Reply:
        return self.render(self.key, self.result)


class Ctx:
    """One request, as a handler sees it.

    Attributes:
        request: the request (:class:`~.request.Request`).
        agent: the agent serving it.
        path: the decoded path (Go's ``req.URL.Path``).
        tail: ``path`` after a subtree route's pattern (a KV key, a service
            ID...); empty for other routes.
        headers: response headers set so far (meta headers and the like).
    """

    __slots__ = (
        "_authz",
        "_body",
        "_dc",
        "agent",
        "headers",
        "path",
        "query",
        "request",
        "started",
        "tail",
    )

    def __init__(self, request: Request, agent: AgentCore, path: str, tail: str = "") -> None:
        self.request = request
        #: The query parameters (``request.query``, parsed once).
        self.query = request.query
        self.agent = agent
        self.path = path
        self.tail = tail
        self.headers: dict[str, str] = {}
        self._body: bytes | None = None
        self._dc: Datacenter | None = None
        self._authz: Authorizer | None = None
        #: When the handler was given the request (``time.monotonic()``).
        self.started = time.monotonic()

    # -- query parameters -------------------------------------------------

    @property
    def method(self) -> str:
        """The request's method."""
        return self.request.method

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None (Go's ``Query().Get``)."""
        return self.query.get(name)

    def params(self, name: str) -> list[str]:
        """Every value of a repeatable query parameter (``tag``, ``node-meta``)."""
        return self.query.getall(name, [])

    def flag(self, name: str) -> bool:
        """True if the parameter is present at all: ``?recurse=false`` still recurses."""
        return name in self.query

    # -- body ---------------------------------------------------------------

    async def body(self, limit: int | None = None) -> bytes:
        """The raw request body; with ``limit``, at most ``limit + 1`` bytes of it.

        A limit reads as Go's ``http.MaxBytesReader(limit)`` does: a body
        longer than ``limit`` comes back one byte too long, the rest unread.
        """
        if self._body is None:
            if limit is None:
                self._body = await self.request.read()
            else:
                content = self.request.content
                chunks: list[bytes] = []
                size = 0
                while size <= limit and (chunk := await content.read(limit + 1 - size)):
                    chunks.append(chunk)
                    size += len(chunk)
                self._body = b"".join(chunks)
        return self._body

    async def decode_body(self, spec: Struct | None = None) -> Any:
        """The body parsed as Go's ``json.Decoder`` reads it, into ``spec`` if given.

        Raises :class:`~consul.testing.state.gojson.DecodeError`. A large body
        is decoded on a worker thread, so that the agent's loop goes on
        serving the other clients meanwhile.
        """
        body = await self.body()
        if len(body) < OFF_LOOP_DECODE:
            return decode_json(body, spec)
        return await asyncio.to_thread(decode_json, body, spec)

    async def decode(self, spec: Struct, prefix: str = "Request decode failed: ") -> Any:
        """Decode the body into ``spec`` as ``lib.DecodeJSON`` does; 400 on error."""
        try:
            return await self.decode_body(spec)
        except DecodeError as exc:
            raise BadRequest(f"{prefix}{exc}") from None

    def check_enterprise_meta(self, *, namespace: bool = True) -> None:
        """The 400s of ``parseEntMeta`` in Consul CE (``agent/enterprise_delegate_ce.go``).

        A namespace (``?ns``, ``X-Consul-Namespace``) or partition
        (``?partition``, ``X-Consul-Partition``) is refused; ``namespace=False``
        checks only the partition (``parseEntMetaPartition``).
        """
        for header, query, feature in _ENTERPRISE if namespace else _ENTERPRISE[1:]:
            if self.request.headers.get(header):
                enterprise = f"{feature} are a Consul Enterprise feature"
                raise BadRequest(f'Invalid header: "{header}" - {enterprise}')
            if self.query and self.param(query):
                enterprise = f"{feature} are a Consul Enterprise feature"
                raise BadRequest(f'Invalid query parameter: "{query}" - {enterprise}')

    # -- datacenter, token, ACLs -------------------------------------------

    @property
    def dc(self) -> Datacenter:
        """The datacenter named by ``?datacenter`` or ``?dc`` (default: the agent's).

        ``parseDC`` (``agent/http.go``). An unknown datacenter is the RPC
        error ``No path to datacenter``, a 500 (``agent/structs/errors.go``).
        """
        if self._dc is None:
            name = self.param("datacenter") or self.param("dc") or self.agent.config.datacenter
            dc = self.agent.datacenters.get(name)
            if dc is None:
                raise RPCError("No path to datacenter")
            self._dc = dc
        return self._dc

    @property
    def token(self) -> str:
        """The request's token secret, as Consul picks it (``agent/http.go`` ``parseToken``).

        ``?token`` first, then ``X-Consul-Token``, then ``Authorization: Bearer``;
        with none, the agent's default token (may be empty: anonymous).
        """
        token = self.param("token")
        if not token:
            token = self.request.headers.get("X-Consul-Token", "")
        if not token:
            auth = self.request.headers.get("Authorization", "").strip()
            scheme, _, value = auth.partition(" ")
            if scheme.lower() == "bearer":
                token = value.strip().split(" ")[0]
        return token or self.agent.tokens.user

    @property
    def authz(self) -> Authorizer:
        """The authorizer of the request's token (raises 403 ``ACL not found``)."""
        if self._authz is None:
            self._authz = self.agent.acl.authorizer(self.token)
        return self._authz

    def require(self, allowed: bool, permission: str, resource: str | None = None) -> None:
        """Raise Consul's permission-denied error unless ``allowed``.

        ``permission`` is ``key:read``, ``service:write``...; ``resource`` the
        name it applies to (None for ``acl``, ``operator``...). See
        ``acl/errors.go`` for the message.
        """
        if not allowed:
            raise RPCError(self.authz.denied_message(permission, resource))

    # -- filtering -----------------------------------------------------------

    def filter(self, items: Iterable[T], element: GoType) -> list[T]:
        """Apply ``?filter=`` (Consul's filter language) to JSON-shaped items.

        ``element`` is the Go type of the items (``structs.SERVICE_NODE``,
        ``apitypes.AGENT_SERVICE``...): selectors are its field names. A bad
        expression is Consul's 500 ``Failed to create boolean expression
        evaluator: ...``.
        """
        items = list(items)
        matches = self._filter_predicate(element)
        if matches is None:
            return items
        try:
            return [item for item in items if matches(item)]
        except FilterError as exc:
            raise RPCError(str(exc)) from None

    def filter_map(self, items: Mapping[str, T], element: GoType) -> dict[str, T]:
        """:meth:`filter` for a map (``/v1/agent/services``): filters its values."""
        matches = self._filter_predicate(element)
        if matches is None:
            return dict(items)
        try:
            return {key: item for key, item in items.items() if matches(item)}
        except FilterError as exc:
            raise RPCError(str(exc)) from None

    def _filter_predicate(self, element: GoType) -> Callable[[Any], bool] | None:
        expression = self.param("filter")
        if not expression:
            return None
        try:
            return compile_filter(expression, element)
        except FilterError as exc:
            raise RPCError(str(exc)) from None

    # -- response metadata ---------------------------------------------------

    def set_index(self, index: int) -> None:
        """``X-Consul-Index``; Consul never sends 0 (``setIndex``)."""
        self.headers["X-Consul-Index"] = str(max(index, 1))

    def set_meta(self, index: int, *, consistency: bool = False) -> None:
        """The headers ``setMeta`` adds to server-backed reads (``agent/http.go``).

        ``consistency`` adds ``X-Consul-Effective-Consistency``, which only
        the handlers that set their answer's consistency level send (catalog,
        health, discovery chain).
        """
        self.set_index(index)
        self.headers["X-Consul-KnownLeader"] = "true"
        self.headers["X-Consul-LastContact"] = "0"
        self.headers["X-Consul-Query-Backend"] = "blocking-query"
        if consistency:
            self.headers["X-Consul-Effective-Consistency"] = self.consistency_level()

    def consistency_level(self) -> str:
        """``QueryOptions.ConsistencyLevel``: ``stale``, ``consistent`` or ``leader``."""
        if self.flag("stale") or self.param("max_stale"):
            return "stale"
        if self.flag("consistent"):
            return "consistent"
        return "leader"

    def set_filtered(self, filtered: bool) -> None:
        """``X-Consul-Results-Filtered-By-ACLs``, sent only with a token.

        ``maskResultsFilteredByACLs`` (``agent/http.go``).
        """
        if filtered and self.token:
            self.headers["X-Consul-Results-Filtered-By-ACLs"] = "true"

    # -- consistency and blocking queries ------------------------------------

    def check_consistency(self) -> None:
        """The 400s of the query options every read parses (``agent/http.go`` ``parse``).

        In Go's order: ``parseConsistency`` (``?stale``, ``?consistent``,
        ``?cached``, ``?max_stale``), ``parseCacheControl`` (the
        ``Cache-Control`` header) and ``parseWait`` (``?wait``, ``?index``).
        """
        if self.query:
            stale = self.flag("stale")
            consistent = self.flag("consistent")
            max_stale = self.param("max_stale")
            if max_stale:
                try:
                    if parse_duration(max_stale) > 0:
                        stale = True
                except ValueError:
                    raise BadRequest(f"Invalid max_stale value {go_quote(max_stale)}") from None
            if stale and consistent:
                raise BadRequest("Cannot specify ?stale with ?consistent, conflicting semantics.")
            if consistent and self.flag("cached"):
                raise BadRequest("Cannot specify ?cached with ?consistent, conflicting semantics.")
        cache_control = self.request.headers.get("Cache-Control")
        if cache_control:
            for directive in cache_control.lower().split(","):
                directive = directive.strip()
                for prefix in ("max-age=", "stale-if-error="):
                    if directive.startswith(prefix) and not _GO_ATOI.match(
                        directive[len(prefix) :]
                    ):
                        raise BadRequest("Invalid Cache-Control header.")
        if self.query:
            self.wait_params()

    def wait_params(self) -> tuple[int, float]:
        """``?index`` and ``?wait`` (seconds), as ``parseWait`` reads them (wait first)."""
        wait = 0.0
        raw_wait = self.param("wait")
        if raw_wait:
            try:
                wait = parse_duration(raw_wait)
            except ValueError:
                raise BadRequest("Invalid wait time") from None
        index = 0
        raw_index = self.param("index")
        if raw_index:
            # strconv.ParseUint: ASCII digits only, no sign, at most 2**64 - 1.
            if not _DIGITS.match(raw_index) or int(raw_index) >= 2**64:
                raise BadRequest("Invalid index")
            index = int(raw_index)
        return index, wait

    def blocking_reply(
        self,
        query: Callable[[], tuple[int, T]],
        render: Callable[[int, T], Reply],
        *,
        not_found: Callable[[T], bool] | None = None,
        unchanged: Callable[[T, T], bool] | None = None,
        shared: bool = False,
        dc: Datacenter | None = None,
    ) -> Reply:
        """A blocking read, then ``render(index, result)``, waiting with no coroutine.

        The read is a :class:`BlockingRead` of these functions: ``query``
        returns ``(index, result)`` from the current state, ``not_found``
        and ``unchanged`` are its :meth:`~BlockingRead.not_found` and
        :meth:`~BlockingRead.unchanged`; ``render`` sets the meta headers
        and makes the reply (it may raise as a handler does). A handler
        returns what this returns: if the query has to wait, :class:`Park`
        is raised through the handler instead, and ``query`` and ``render``
        run later, from the wake-ups (see the module docstring); nothing
        else of the handler runs again.

        ``shared``: the answer depends only on the request and the state
        read, so that identical requests woken together share it (see
        :attr:`BlockingRead.shared`); a read with ``unchanged`` is never
        shared, its answer depends on what it found before.

        ``dc`` is the datacenter whose changes wake it (default: the
        request's, :attr:`dc`).
        """
        kind = _SharedFunctionRead if shared and unchanged is None else _FunctionRead
        return kind(self, query, render, not_found, unchanged).reply(dc)
