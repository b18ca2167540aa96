"""The HTTP layer of the embedded agent: routing, request context, replies.

Consul serves its API with Go's ``http.ServeMux`` and wraps every handler in
``HTTPHandlers.wrap`` (``agent/http.go``). This module reproduces what a
client can see of that machinery:

- a path with a bad escape is refused as Go's server refuses it (400), one
  with non-printable characters once decoded gets an empty 400
  (``cleanhttp.PrintablePathCheckHandler``);
- routing works on the escaped path, segment by segment (Go 1.22's
  ``ServeMux``): patterns ending in ``/`` match a subtree, the most specific
  pattern wins, a path equal to a subtree pattern without its slash is
  redirected (301), and an unclean path (``//``, ``/./``, ``/../``) is
  redirected to its clean form; anything else is ``HTTPHandlers.Index``'s
  404;
- a query string ``url.ParseQuery`` refuses is a 500 with no body;
- a method the endpoint does not take gets 405 with an ``Allow`` header,
  ``OPTIONS`` gets 200 with it;
- errors are plain text: an :class:`HTTPError` has its own status, an error
  whose text contains ``Permission denied`` or ``ACL not found`` is 403, any
  other is 500 (``handleErr``);
- JSON is indented, as a dev agent always does (``DevMode``), and ends with
  a newline only with ``?pretty``;
- every endpoint's response carries ``X-Consul-Default-ACL-Policy`` and
  ``Vary: Accept-Encoding`` (the gzip handler), and is gzipped from 1400
  bytes when the client accepts it; no response has a ``Server`` header.

Endpoint modules (``consul.testing.endpoints``) register handlers with
:func:`route`; a handler takes a :class:`Ctx` and returns a :class:`Reply`
(or raises).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape as html_escape
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from . import _structs
from ._filter import FilterError, GoType, compile_filter
from ._gofmt import quote as go_quote
from ._state import RANDOM
from ._structs import DecodeError, parse_duration

if TYPE_CHECKING:
    from ._acl import Authorizer
    from ._agent import AgentCore
    from ._state import Datacenter

T = TypeVar("T")

#: The agent package's own ``defaultQueryTime`` and ``maxQueryTime``
#: (seconds, ``agent/agent.go``). Blocking queries answered by the servers
#: honour ``default_query_time`` and ``max_query_time`` (an embedded agent's
#: are in its :class:`~consul.testing.AgentConfig`); the agent-local ones
#: (``Agent.LocalBlockingQuery``, ``/v1/event/list``) use these constants.
LOCAL_DEFAULT_QUERY_TIME = 300.0
LOCAL_MAX_QUERY_TIME = 600.0
#: ``structs.JitterFraction``: a blocking query's wait gets up to 1/16 more.
JITTER_FRACTION = 16
#: gziphandler's ``DefaultMinSize``: smaller bodies are never compressed.
GZIP_MIN_SIZE = 1400


def query_timeout(
    wait: float, default: float, maximum: float, rng: Callable[[], float] = RANDOM.random
) -> float:
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
    """JSON as a dev agent writes it (``json.MarshalIndent(obj, "", "    ")``).

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
    return text.encode("utf-8")


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
        """The 400s of the query options every read parses (``agent/http.go`` ``parse``).

        In Go's order: ``parseConsistency`` (``?stale``, ``?consistent``,
        ``?cached``, ``?max_stale``), ``parseCacheControl`` (the
        ``Cache-Control`` header) and ``parseWait`` (``?wait``, ``?index``).
        """
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
        cache_control = self.request.headers.get("Cache-Control", "").lower()
        for directive in cache_control.split(",") if cache_control else ():
            directive = directive.strip()
            for prefix in ("max-age=", "stale-if-error="):
                if directive.startswith(prefix) and not _GO_ATOI.match(directive[len(prefix) :]):
                    raise BadRequest("Invalid Cache-Control header.")
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
        the wait runs out (see :func:`query_timeout`), when the current
        result is returned.

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
        config = self.agent.config
        wait = query_timeout(wait, config.default_query_time, config.max_query_time)
        deadline = time.monotonic() + wait
        was_not_found = False
        while True:
            index = max(index, 1)
            if not_found is not None and not_found(result):
                if was_not_found:
                    min_index = index
                was_not_found = True
            if index > min_index or not await dc.wakeups.wait(deadline):
                return index, result
            index, result = query()


_DIGITS = re.compile(r"[0-9]+\Z")
#: strconv.Atoi: an optional sign and ASCII digits.
_GO_ATOI = re.compile(r"[+-]?[0-9]+\Z")
#: A ``%`` not followed by two hex digits: an escape Go's URL parser refuses.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: Bytes Go leaves alone when it escapes a path (``shouldEscape``, ``encodePath``).
_PATH_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+,/:;=@"
)


def unescape(text: str, *, query: bool = False) -> str | None:
    """Go's ``url.PathUnescape`` (or ``QueryUnescape``); None on a bad escape.

    The bytes are read as UTF-8, invalid sequences becoming U+FFFD.
    """
    if _BAD_ESCAPE.search(text):
        return None
    raw = text.encode("utf-8", "surrogateescape")
    if query:
        raw = raw.replace(b"+", b" ")
    out = bytearray()
    pos = 0
    while (percent := raw.find(b"%", pos)) >= 0:
        out += raw[pos:percent]
        out.append(int(raw[percent + 1 : percent + 3], 16))
        pos = percent + 3
    out += raw[pos:]
    return out.decode("utf-8", "replace")


def _escape_path(text: str) -> str:
    """Go's ``url.URL{Path: text}.String()`` for a path: escape all but ``_PATH_SAFE``."""
    return "".join(
        chr(byte) if byte in _PATH_SAFE else f"%{byte:02X}" for byte in text.encode("utf-8")
    )


def valid_query(raw_query: str) -> bool:
    """True if Go's ``url.ParseQuery`` accepts ``raw_query``.

    It refuses a ``;`` anywhere (Go 1.17+) and any bad ``%`` escape.
    """
    return ";" not in raw_query and not _BAD_ESCAPE.search(raw_query)


def path_clean(path: str) -> str:
    """Go's ``path.Clean``: drop empty and ``.`` elements, resolve ``..``."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif parts and parts[-1] != "..":
            parts.pop()
        elif not rooted:
            parts.append("..")
    cleaned = ("/" if rooted else "") + "/".join(parts)
    return cleaned or "."


def clean_path(path: str) -> str:
    """Go's ``cleanPath`` (``net/http``): ``path.Clean``, keeping a trailing slash."""
    if not path.startswith("/"):
        path = "/" + path
    cleaned = path_clean(path)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def _segments(escaped_path: str) -> tuple[str, ...]:
    # Go 1.22's ServeMux splits the escaped path at its slashes and compares
    # each segment unescaped: "/v1/%6Bv/x" is under "/v1/kv/", "/v1/kv%2Fx" is not.
    return tuple(unescape(part) or part for part in escaped_path[1:].split("/"))


_NOT_API = (
    "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
)
_NOT_ENDPOINT = "Invalid URL path: not a recognized HTTP API endpoint\n"


class Mux:
    """Go's ``http.ServeMux`` over the registered routes (Go 1.22 matching)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.exact: dict[tuple[str, ...], Route] = {}
        self.subtrees: list[tuple[tuple[str, ...], Route]] = []
        for route in routes:
            segments = _segments(route.pattern)
            if route.pattern.endswith("/"):
                self.subtrees.append((segments[:-1], route))
            else:
                self.exact[segments] = route
        self.subtrees.sort(key=lambda item: len(item[0]), reverse=True)

    def match(self, escaped_path: str) -> Route | None:
        """The route for a clean escaped path: the exact pattern, else the longest subtree."""
        segments = _segments(escaped_path)
        route = self.exact.get(segments)
        if route is not None:
            return route
        for prefix, subtree in self.subtrees:
            if len(segments) > len(prefix) and segments[: len(prefix)] == prefix:
                return subtree
        return None

    def redirect(self, escaped_path: str, path: str) -> str | None:
        """Where ServeMux redirects (301), if anywhere (``findHandler``).

        A path one slash short of a subtree pattern goes to that pattern
        (built from the decoded ``path``); an unclean one to its clean form,
        which Go builds from the *escaped* path and so escapes twice
        (golang/go#79897, in the Go 1.25 Consul 1.22 is built with).
        """
        cleaned = clean_path(escaped_path)
        route = self.match(cleaned)
        if not cleaned.endswith("/") and (route is None or route.pattern.endswith("/")):
            with_slash = self.match(cleaned + "/")
            # Only if the pattern matches exactly (``exactMatch``): "/v1/kv" -> "/v1/kv/".
            if (
                with_slash is not None
                and with_slash.pattern.endswith("/")
                and len(_segments(with_slash.pattern)) == len(_segments(cleaned + "/"))
            ):
                return _escape_path(clean_path(path) + "/")
        if cleaned != escaped_path:
            return _escape_path(cleaned)
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

    async def no_server_header(request: web.Request, response: web.StreamResponse) -> None:
        # Go's net/http never sends one.
        response.headers.pop("Server", None)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.on_response_prepare.append(no_server_header)
    # Any path at all, newlines included: the printable check is ours to make.
    app.router.add_route("*", r"/{tail:[\s\S]*}", dispatch)
    return app


def _redirect(request: web.Request, location: str) -> Reply:
    """``http.Redirect`` with 301: a short HTML body for GET (and its type for HEAD)."""
    raw_query = request.raw_path.partition("?")[2]
    if raw_query:
        location += "?" + raw_query
    reply = Reply(301, b"", None, {"Location": location})
    if request.method in ("GET", "HEAD"):
        reply.content_type = "text/html; charset=utf-8"
    if request.method == "GET":
        reply.body = f'<a href="{html_escape(location)}">Moved Permanently</a>.\n\n'.encode()
    return reply


def _accepts_gzip(request: web.Request) -> bool:
    # gziphandler's acceptsGzip: a "gzip" coding whose q-value is not 0.
    for coding in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() != "gzip":
            continue
        quality = params.strip()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


#: What Go's server answers a request it cannot parse (``net/http``).
_BAD_REQUEST = Reply(400, b"400 Bad Request", "text/plain; charset=utf-8", {"Connection": "close"})


async def _serve(request: web.Request, agent: AgentCore, mux: Mux) -> Reply:
    escaped_path = request.raw_path.partition("?")[0]
    if not escaped_path.startswith("/"):  # absolute-form target: scheme://host/path
        escaped_path = request.rel_url.raw_path
    path = unescape(escaped_path)
    if path is None:
        return _BAD_REQUEST
    # cleanhttp.PrintablePathCheckHandler: 400, empty body.
    if not path.isprintable():
        return Reply(400)
    target = mux.redirect(escaped_path, path)
    if target is not None:
        return _redirect(request, target)
    route = mux.match(escaped_path)
    if route is None:
        # HTTPHandlers.Index: "/" goes to the UI a dev agent serves.
        if path == "/":
            return _redirect(request, "/ui/")
        return text_reply(_NOT_ENDPOINT if "/v1/" in path else _NOT_API, 404)
    reply = await _wrap(request, agent, route, path)
    # The gzip handler around every endpoint (NYTimes/gziphandler).
    reply.headers["Vary"] = "Accept-Encoding"
    if len(reply.body) >= GZIP_MIN_SIZE and request.method != "HEAD" and _accepts_gzip(request):
        reply.body = gzip.compress(reply.body)
        reply.headers["Content-Encoding"] = "gzip"
    return reply


async def _wrap(request: web.Request, agent: AgentCore, route: Route, path: str) -> Reply:
    """``HTTPHandlers.wrap``: what every endpoint's answer goes through."""
    policy = {"X-Consul-Default-ACL-Policy": agent.config.acl_default_policy}
    if not valid_query(request.raw_path.partition("?")[2]):
        return Reply(500, b"", "text/plain; charset=utf-8", policy)
    allow = ",".join(("OPTIONS", *route.methods))
    if request.method == "OPTIONS":
        return Reply(200, b"", _default_content_type(request, path), {**policy, "Allow": allow})
    if request.method not in route.methods:
        reply = text_reply(f"method {request.method} not allowed", 405)
        reply.headers.update(policy, Allow=allow)
        return reply
    ctx = Ctx(request, agent, route, path)
    try:
        reply = await route.handler(ctx)
    except HTTPError as exc:
        reply = text_reply(exc.reason or "An unexpected error occurred", exc.status)
    except RPCError as exc:
        message = str(exc)
        status = 403 if "Permission denied" in message or "ACL not found" in message else 500
        reply = text_reply(message, status)
    if reply.content_type == "application/json" and ctx.flag("pretty"):
        reply.body += b"\n"
    if reply.status == 200 and not reply.body and reply.content_type is None:
        # Nothing written: ensureContentTypeHeader still gets to set a type.
        reply.content_type = _default_content_type(request, path)
    reply.headers = {**policy, **ctx.headers, **reply.headers}
    return reply


def _default_content_type(request: web.Request, path: str) -> str:
    """``api.GetContentType``: the type ``ensureContentTypeHeader`` gives a silent response."""
    if request.method in ("GET", "DELETE") or path.startswith("/v1/internal"):
        return request.headers.get("Content-Type") or "application/json; charset=utf-8"
    if request.method == "PUT" and path.startswith(("/v1/snapshot", "/v1/kv", "/v1/event/fire")):
        return "application/octet-stream"
    return "application/json; charset=utf-8"
