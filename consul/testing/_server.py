"""The HTTP layer of the embedded agent: routing, request context, replies.

Consul serves its API with Go's ``http.ServeMux`` and wraps every handler in
``HTTPHandlers.wrap`` (``agent/http.go``). This module reproduces what a
client can see of that machinery:

- patterns ending in ``/`` match a subtree, the longest pattern wins, a path
  equal to a subtree pattern without its slash is redirected (301), and an
  unclean path (``//``, ``/./``, ``/../``) is redirected to its clean form;
- a method the endpoint does not take gets 405 with an ``Allow`` header,
  ``OPTIONS`` gets 200 with it;
- errors are plain text: an :class:`HTTPError` has its own status, an error
  whose text contains ``Permission denied`` or ``ACL not found`` is 403, any
  other is 500 (``handleErr``);
- JSON is pretty-printed, as a dev agent always does (``DevMode``);
- every response carries ``X-Consul-Default-ACL-Policy``.

Endpoint modules (``consul.testing.endpoints``) register handlers with
:func:`route`; a handler takes a :class:`Ctx` and returns a :class:`Reply`
(or raises).
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from aiohttp import web

from . import _structs
from ._filter import FilterError, GoType, compile_filter
from ._structs import DecodeError, parse_duration

if TYPE_CHECKING:
    from ._acl import Authorizer
    from ._agent import AgentCore
    from ._state import Datacenter

T = TypeVar("T")

#: ``default_query_time`` and ``max_query_time`` of a dev agent (seconds).
DEFAULT_QUERY_TIME = 300.0
MAX_QUERY_TIME = 600.0


class HTTPError(Exception):
    """An error answered with ``status`` and ``reason`` as the plain-text body.

    Consul's ``HTTPError{StatusCode, Reason}`` (``agent/http.go``).
    """

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BadRequest(HTTPError):
    """400 with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


class NotFound(HTTPError):
    """404 with ``reason``."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(404, reason)


class RPCError(Exception):
    """An error from the server side (an RPC): ``handleErr`` makes it a 500.

    Unless its text contains ``Permission denied`` or ``ACL not found``, which
    ``handleErr`` answers with 403 (``agent/http.go``, ``acl.IsErrPermissionDenied``).
    """


@dataclass
class Reply:
    """What a handler answers: status, body, content type and extra headers."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Called once the reply has been written out (``PUT /v1/agent/leave``
    #: shuts the agent down only after answering).
    after: Callable[[], None] | None = None


def encode_json(obj: Any) -> bytes:
    """JSON as a dev agent writes it (``json.MarshalIndent(obj, "", "    ")`` + newline).

    Go escapes ``<``, ``>`` and ``&`` (and U+2028/U+2029) in strings and writes
    other non-ASCII characters as they are; those characters can only appear
    inside strings, so replacing them in the output is exact.
    """
    text = json.dumps(obj, indent=4, ensure_ascii=False)
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return (text + "\n").encode("utf-8")


def json_reply(obj: Any, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(status, encode_json(obj), "application/json")


def text_reply(text: str, status: int = 200) -> Reply:
    """A plain-text reply (Go sniffs ``text/plain; charset=utf-8``)."""
    return Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def empty_reply(status: int = 200) -> Reply:
    """A handler that returned nil: status 200 and no body."""
    return Reply(status)


Handler = Callable[["Ctx"], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """One registered endpoint: a ServeMux pattern and the methods it takes."""

    pattern: str
    methods: tuple[str, ...]
    handler: Handler


class Routes:
    """The routes of one endpoint module (collected by :func:`build_app`)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def __call__(self, pattern: str, *methods: str) -> Callable[[Handler], Handler]:
        """Decorator: serve ``pattern`` (a subtree if it ends in ``/``) for ``methods``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(pattern, tuple(methods), handler))
            return handler

        return register


class Ctx:
    """One request, as a handler sees it.

    Attributes:
        request: the aiohttp request.
        agent: the agent serving it.
        route: the route that matched.
        path: the decoded path (Go's ``req.URL.Path``).
        tail: ``path`` after the route's pattern (a KV key, a service ID...).
        headers: response headers set so far (meta headers and the like).
    """

    def __init__(self, request: web.Request, agent: AgentCore, route: Route, path: str) -> None:
        self.request = request
        self.agent = agent
        self.route = route
        self.path = path
        self.tail = path[len(route.pattern) :] if route.pattern.endswith("/") else ""
        self.headers: dict[str, str] = {}
        self._body: bytes | None = None
        self._dc: Datacenter | None = None
        self._authz: Authorizer | None = None

    # -- query parameters -------------------------------------------------

    @property
    def method(self) -> str:
        """The request's method."""
        return self.request.method

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None (Go's ``Query().Get``)."""
        return self.request.query.get(name)

    def params(self, name: str) -> list[str]:
        """Every value of a repeatable query parameter (``tag``, ``node-meta``)."""
        return self.request.query.getall(name, [])

    def flag(self, name: str) -> bool:
        """True if the parameter is present at all: ``?recurse=false`` still recurses."""
        return name in self.request.query

    # -- body ---------------------------------------------------------------

    async def body(self) -> bytes:
        """The raw request body."""
        if self._body is None:
            self._body = await self.request.read()
        return self._body

    async def decode(self, spec: _structs.Struct, prefix: str = "Request decode failed: ") -> Any:
        """Decode the body into ``spec`` as ``lib.DecodeJSON`` does; 400 on error."""
        try:
            return _structs.decode_json(await self.body(), spec)
        except DecodeError as exc:
            raise BadRequest(f"{prefix}{exc}") from None

    def check_enterprise_meta(self, *, namespace: bool = True) -> None:
        """The 400s of ``parseEntMeta`` in Consul CE (``agent/enterprise_delegate_ce.go``).

        A namespace (``?ns``, ``X-Consul-Namespace``) or partition
        (``?partition``, ``X-Consul-Partition``) is refused; ``namespace=False``
        checks only the partition (``parseEntMetaPartition``).
        """
        checks = [("Partition", "partition", "Partitions")]
        if namespace:
            checks.insert(0, ("Namespace", "ns", "Namespaces"))
        for header, query, feature in checks:
            enterprise = f"{feature} are a Consul Enterprise feature"
            if self.request.headers.get(f"X-Consul-{header}"):
                raise BadRequest(f'Invalid header: "X-Consul-{header}" - {enterprise}')
            if self.param(query):
                raise BadRequest(f'Invalid query parameter: "{query}" - {enterprise}')

    # -- datacenter, token, ACLs -------------------------------------------

    @property
    def dc(self) -> Datacenter:
        """The datacenter named by ``?dc`` (default: the agent's).

        An unknown datacenter is the RPC error ``No path to datacenter``, a 500
        (``agent/structs/errors.go``).
        """
        if self._dc is None:
            name = self.param("dc") or self.agent.config.datacenter
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
        return token or self.agent.config.acl_default_token

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

        ``element`` is the Go type of the items (``_filter.AGENT_SERVICE``,
        ``_filter.SERVICE_NODE``...): selectors are its field names. A bad
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
        catalog and health endpoints send.
        """
        self.set_index(index)
        self.headers["X-Consul-KnownLeader"] = "true"
        self.headers["X-Consul-LastContact"] = "0"
        self.headers["X-Consul-Query-Backend"] = "blocking-query"
        if consistency:
            if self.flag("stale") or self.param("max_stale"):
                level = "stale"
            elif self.flag("consistent"):
                level = "consistent"
            else:
                level = "leader"
            self.headers["X-Consul-Effective-Consistency"] = level

    def set_filtered(self, filtered: bool) -> None:
        """``X-Consul-Results-Filtered-By-ACLs``, sent only with a token.

        ``maskResultsFilteredByACLs`` (``agent/http.go``).
        """
        if filtered and self.token:
            self.headers["X-Consul-Results-Filtered-By-ACLs"] = "true"

    # -- consistency and blocking queries ------------------------------------

    def check_consistency(self) -> None:
        """The 400s of ``parseConsistency`` (``agent/http.go``)."""
        stale = self.flag("stale")
        consistent = self.flag("consistent")
        if self.param("max_stale") is not None:
            try:
                if parse_duration(self.param("max_stale") or "") > 0:
                    stale = True
            except ValueError:
                raise BadRequest(
                    f"Invalid max_stale value {json.dumps(self.param('max_stale'))}"
                ) from None
        if stale and consistent:
            raise BadRequest("Cannot specify ?stale with ?consistent, conflicting semantics.")
        if consistent and self.flag("cached"):
            raise BadRequest("Cannot specify ?cached with ?consistent, conflicting semantics.")

    def wait_params(self) -> tuple[int, float]:
        """``?index`` and ``?wait`` (seconds, defaulted and capped), as ``parseWait`` reads them."""
        index = 0
        raw_index = self.param("index")
        if raw_index:
            try:
                index = int(raw_index)
                if not 0 <= index < 2**64:
                    raise ValueError
            except ValueError:
                raise BadRequest("Invalid index") from None
        wait = 0.0
        raw_wait = self.param("wait")
        if raw_wait:
            try:
                wait = parse_duration(raw_wait)
            except ValueError:
                raise BadRequest("Invalid wait time") from None
        return index, wait

    async def blocking(
        self,
        query: Callable[[], tuple[int, T]],
        *,
        not_found: Callable[[T], bool] | None = None,
    ) -> tuple[int, T]:
        """Run ``query`` as Consul's ``blockingquery.Query`` does.

        ``query`` returns ``(index, result)`` from the current state. Without
        ``?index`` it runs once. Otherwise it is re-run after every change
        of the datacenter's state until its index is above ``?index``, or
        the wait (default 5 min, at most 10 min, plus up to wait/16 of
        jitter) runs out, when the current result is returned.

        ``not_found(result)`` true means the query found nothing
        (``ErrNotFound``): after the first such answer the query keeps
        blocking until something is found, whatever the index does
        (``agent/blockingquery/blockingquery.go``).
        """
        min_index, wait = self.wait_params()
        dc = self.dc
        index, result = query()
        if min_index == 0:
            return max(index, 1), result
        if wait <= 0:
            wait = DEFAULT_QUERY_TIME
        wait = min(wait, MAX_QUERY_TIME)
        wait += random.uniform(0, wait / 16)  # noqa: S311 - jitter, not security
        deadline = time.monotonic() + wait
        was_not_found = False
        while True:
            index = max(index, 1)
            if not_found is not None and not_found(result):
                if was_not_found:
                    min_index = index
                was_not_found = True
            if index > min_index:
                return index, result
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await dc.wait_for_change(remaining):
                return index, result
            index, result = query()


def clean_path(path: str) -> str:
    """Go's ``path.Clean`` as ServeMux applies it, keeping a trailing slash."""
    if not path:
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


_NOT_API = (
    "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
)
_NOT_ENDPOINT = "Invalid URL path: not a recognized HTTP API endpoint\n"


class Mux:
    """Go's ``http.ServeMux`` over the registered routes."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.exact: dict[str, Route] = {}
        self.subtrees: list[Route] = []
        for route in routes:
            if route.pattern.endswith("/"):
                self.subtrees.append(route)
            else:
                self.exact[route.pattern] = route
        self.subtrees.sort(key=lambda r: len(r.pattern), reverse=True)

    def match(self, path: str) -> Route | None:
        """The route for ``path``: an exact pattern, else the longest subtree."""
        if path in self.exact:
            return self.exact[path]
        for route in self.subtrees:
            if path.startswith(route.pattern):
                return route
        return None

    def redirect(self, path: str) -> str | None:
        """Where ServeMux redirects ``path`` (301), if anywhere."""
        cleaned = clean_path(path)
        if cleaned != path:
            return cleaned
        if path not in self.exact and any(r.pattern == path + "/" for r in self.subtrees):
            return path + "/"
        return None


def build_app(agent: AgentCore, routes: Iterable[Route]) -> web.Application:
    """The aiohttp application serving ``routes`` for ``agent``."""
    mux = Mux(routes)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        reply = await _serve(request, agent, mux)
        response = web.Response(status=reply.status, body=reply.body)
        if reply.content_type:
            response.headers["Content-Type"] = reply.content_type
        for name, value in reply.headers.items():
            response.headers[name] = value
        if reply.after is not None:
            await response.prepare(request)
            await response.write_eof()
            reply.after()
        return response

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app


async def _serve(request: web.Request, agent: AgentCore, mux: Mux) -> Reply:
    path = request.path
    # cleanhttp.PrintablePathCheckHandler: 400, empty body.
    if not path.isprintable():
        return Reply(400)
    target = mux.redirect(path)
    if target is not None:
        location = quote(target, safe="/:@!$&'()*+,;=-._~")
        if request.query_string:
            location += "?" + request.query_string
        return Reply(301, b"", None, {"Location": location})
    route = mux.match(path)
    if route is None:
        if path == "/":
            return Reply(301, b"", None, {"Location": "/ui/"})
        text = _NOT_ENDPOINT if path.startswith("/v1/") else _NOT_API
        return text_reply(text, 404)
    allow = ",".join(("OPTIONS", *route.methods))
    if request.method == "OPTIONS":
        return Reply(200, b"", None, {"Allow": allow})
    if request.method not in route.methods:
        reply = text_reply(f"method {request.method} not allowed", 405)
        reply.headers["Allow"] = allow
        return reply
    ctx = Ctx(request, agent, route, path)
    try:
        reply = await route.handler(ctx)
    except HTTPError as exc:
        reply = text_reply(exc.reason, exc.status)
    except RPCError as exc:
        message = str(exc)
        status = 403 if "Permission denied" in message or "ACL not found" in message else 500
        reply = text_reply(message, status)
    except asyncio.CancelledError:
        raise
    headers = dict(ctx.headers)
    headers.update(reply.headers)
    headers["X-Consul-Default-ACL-Policy"] = agent.config.acl_default_policy
    reply.headers = headers
    return reply
