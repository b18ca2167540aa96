"""The embedded agent's HTTP server: what every request goes through.

Consul serves its API with Go's ``http.ServeMux`` and wraps every handler in
``HTTPHandlers.wrap`` (``agent/http.go``). This module reproduces what a
client can see of that machinery:

- a path with a bad escape is refused as Go's server refuses it (a bare
  400, :class:`~.request.MalformedRequest`), one with non-printable
  characters once decoded gets an empty 400
  (``cleanhttp.PrintablePathCheckHandler``);
- routing works on the escaped path, segment by segment (Go 1.22's
  ``ServeMux``): patterns ending in ``/`` match a subtree, the most specific
  pattern wins, a path equal to a subtree pattern without its slash is
  redirected (301), and an unclean path (``//``, ``/./``, ``/../``) is
  redirected to its clean form; anything else is ``HTTPHandlers.Index``'s
  404;
- a query string ``url.ParseQuery`` refuses is a 500 with no body;
- a method the endpoint does not take gets 405 with an ``Allow`` header,
  ``OPTIONS`` gets 200 with it (a route registered without methods checks
  them itself);
- every request's time is a ``consul.api.http`` sample of the agent's
  metrics, and a DEBUG ``Request finished`` line of its log; an error a
  handler returns, an ERROR ``Request error`` line;
- errors are plain text: an :class:`HTTPError` has its own status, an error
  whose text contains ``Permission denied`` or ``ACL not found`` is 403, any
  other is 500 (``handleErr``);
- JSON is indented, as a dev agent always does (``DevMode``), and ends with
  a newline only with ``?pretty``;
- every endpoint's response carries ``X-Consul-Default-ACL-Policy`` and
  ``Vary: Accept-Encoding`` (the gzip handler), and is gzipped from 1400
  bytes when the client accepts it; no response has a ``Server`` header.

The endpoint modules (listed in :mod:`.endpoints`) register their handlers
in :class:`~.routes.Routes` tables; a handler takes a :class:`~.context.Ctx` and
returns a :class:`~.reply.Reply` (or raises). :class:`Dispatcher` is all of
the above; what concerns the connection itself (parsing, keep-alive, limits
on headers, bodies and connections, what Go refuses before any handler) is
:mod:`.connection`'s; :class:`HTTPServer` holds the listeners (TCP, TLS,
unix sockets) of both.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import pwd
import ssl
import time
from collections.abc import Callable, Iterable
from functools import partial
from html import escape as html_escape
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..state.core import AgentCore
from ..state.errors import RPCError
from ..state.golang import format_duration
from ..state.log import DEBUG, ERROR
from ..state.metrics import Metrics
from .connection import ConnectionLimits, Connections
from .context import Ctx
from .errors import HTTPError
from .mux import Mux, valid_query
from .reply import Reply, Stream, Write, text_reply
from .request import MalformedRequest, Request
from .routes import Route

__all__ = ["GZIP_MIN_SIZE", "Dispatcher", "HTTPServer", "build_server", "set_file_permissions"]

#: gziphandler's ``DefaultMinSize``: smaller bodies are never compressed.
GZIP_MIN_SIZE = 1400

_NOT_API = (
    "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
)
_NOT_ENDPOINT = "Invalid URL path: not a recognized HTTP API endpoint\n"

#: Loop turns an accepted connection takes to be attached to its server.
_ACCEPT_TURNS = 3


class HTTPServer:
    """The agent's HTTP API: its listeners and connections, and what answers requests.

    Built by :func:`build_server`; ``listen_tcp`` and ``listen_unix`` add
    listeners (each returns the address it got), ``close`` stops them all.
    """

    def __init__(self, agent: AgentCore, routes: Iterable[Route], limits: ConnectionLimits) -> None:
        self.connections = Connections(Dispatcher(agent, routes), limits)
        self._servers: list[asyncio.Server] = []
        self._sockets: list[str] = []

    async def listen_tcp(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float | None = None,
    ) -> int:
        """Listen on ``host:port`` (0: any free port), with TLS if given; the port."""
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            self.connections,
            host,
            port,
            reuse_address=True,
            ssl=ssl_context,
            ssl_handshake_timeout=handshake_timeout if ssl_context is not None else None,
        )
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def listen_unix(self, path: str, user: str = "", group: str = "", mode: str = "") -> None:
        """Listen on the unix socket ``path``, as Consul's ``listenSocket`` does.

        A file already there is replaced; the socket then gets ``user``,
        ``group`` and ``mode`` (``unix_sockets``, see :func:`set_file_permissions`).
        """
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OSError(exc.errno, f"error removing socket file: {exc.strerror}") from None
        loop = asyncio.get_running_loop()
        server = await loop.create_unix_server(self.connections, path)
        self._servers.append(server)
        self._sockets.append(path)
        try:
            set_file_permissions(path, user, group, mode)
        except (OSError, ValueError) as exc:
            raise OSError(f"Failed setting up socket: {exc}") from None

    async def _stop_accepting(self) -> None:
        """Stop taking connections, and let those taken reach their server, before it closes.

        asyncio (3.11) accepts a connection in one loop turn and attaches it
        to its listening server in a later one. A server closed in between
        fails the attach (``Server._attach`` asserts it is open) and the
        accepted socket stays open, its client waiting for an answer: a
        client that reconnects at once as the agent stops (a watch) hits this.
        """
        loop = asyncio.get_running_loop()
        for server in self._servers:
            for sock in server.sockets:
                loop.remove_reader(sock.fileno())
        for _ in range(_ACCEPT_TURNS):
            await asyncio.sleep(0)

    async def close(self, grace: float = 0.5) -> None:
        """Stop listening, give the answers under way ``grace`` seconds, close the rest."""
        await self._stop_accepting()
        for server in self._servers:
            server.close()
        await self.connections.close(grace)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        for path in self._sockets:
            with contextlib.suppress(OSError):
                os.remove(path)
        self._sockets.clear()


def set_file_permissions(path: str, user: str, group: str, mode: str) -> None:
    """Consul's ``setFilePermissions`` (``agent/util.go``): owner, group, then mode.

    ``user`` is a name or a numeric ID, ``group`` a numeric ID, ``mode`` octal
    (``"0700"``); the owner is always set, to this process's user and group
    unless given. Errors carry Consul's texts.
    """
    uid, gid = os.getuid(), os.getgid()
    if user:
        if user.isdigit():
            uid = int(user)
        else:
            try:
                uid = pwd.getpwnam(user).pw_uid
            except KeyError:
                raise ValueError(f"failed to look up user {user}: unknown user {user}") from None
    if group:
        if not group.isdigit():
            raise ValueError(f"invalid group specified: {group}")
        gid = int(group)
    try:
        os.chown(path, uid, gid)
    except OSError as exc:
        raise OSError(
            f"failed setting ownership to {uid}:{gid} on {path!r}: {exc.strerror}"
        ) from None
    if mode:
        try:
            bits = int(mode, 8)
        except ValueError:
            raise ValueError(f"invalid mode specified: {mode}") from None
        try:
            os.chmod(path, bits)
        except OSError as exc:
            raise OSError(
                f"failed setting permissions to {bits} on {path!r}: {exc.strerror}"
            ) from None


def build_server(
    agent: AgentCore, routes: Iterable[Route], limits: ConnectionLimits | None = None
) -> HTTPServer:
    """The HTTP server answering every request for ``agent`` with ``routes``.

    Routing is :class:`~.mux.Mux`'s (Go's ``ServeMux``); connections are
    :mod:`.connection`'s, with ``limits``.
    """
    return HTTPServer(agent, routes, limits or ConnectionLimits())


def _redirect(request: Request, location: str) -> Reply:
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


def _accepts_gzip(request: Request) -> bool:
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


class Dispatcher:
    """What answers a request: Go's ``ServeMux``, then Consul's ``HTTPHandlers.wrap``.

    :meth:`begin` routes the request and answers what needs no handler; for
    the rest it gives the request context and the route, whose handler the
    connection awaits, and :meth:`finish` turns what the handler returned
    or raised (one of :attr:`handled`) into the answer. Split so that a
    waiting request holds no coroutine of its own besides its handler's.
    """

    #: What a handler raises to answer with an error: ``HTTPError`` and ``RPCError``.
    handled: tuple[type[Exception], ...] = (HTTPError, RPCError)

    def __init__(self, agent: AgentCore, routes: Iterable[Route]) -> None:
        self.agent = agent
        self.mux = Mux(routes)

    def begin(self, request: Request) -> Reply | tuple[Ctx, Route]:
        """The answer, if no handler is needed; else the handler's context and route."""
        escaped_path, _, raw_query = request.raw_path.partition("?")
        if not escaped_path.startswith("/"):
            # url.ParseRequestURI: an absolute URL (scheme://host/path), else refused.
            if "://" not in escaped_path:
                raise MalformedRequest
            escaped_path = urlsplit(escaped_path).path or "/"
        path, route, target = self.mux.find(escaped_path)
        if path is None:  # a bad escape: url.ParseRequestURI refuses it
            raise MalformedRequest
        # cleanhttp.PrintablePathCheckHandler: 400, empty body.
        if not path.isprintable():
            return Reply(400)
        if target is not None:
            return _redirect(request, target)
        if route is None:
            # HTTPHandlers.Index: "/" goes to the UI a dev agent serves.
            if path == "/":
                return _redirect(request, "/ui/")
            return text_reply(_NOT_ENDPOINT if "/v1/" in path else _NOT_API, 404)
        # HTTPHandlers.wrap, up to the handler.
        policy = {"X-Consul-Default-ACL-Policy": self.agent.config.acl_default_policy}
        if raw_query and not valid_query(raw_query):
            return _gzip(request, Reply(500, b"", "text/plain; charset=utf-8", policy))
        allow = ",".join(("OPTIONS", *route.methods))
        # A route registered without methods checks them itself, OPTIONS included.
        if request.method == "OPTIONS" and route.methods:
            reply = Reply(
                200, b"", _default_content_type(request, path), {**policy, "Allow": allow}
            )
            return _gzip(request, reply)
        if route.methods and request.method not in route.methods:
            reply = text_reply(f"method {request.method} not allowed", 405)
            reply.headers.update(policy, Allow=allow)
            return _gzip(request, reply)
        tail = path[len(route.pattern) :] if route.pattern.endswith("/") else ""
        return Ctx(request, self.agent, path, tail), route

    def finish(self, ctx: Ctx, route: Route, outcome: Reply | Exception) -> Reply:
        """The answer to what ``route``'s handler returned, or raised (``handleErr``)."""
        agent = self.agent
        request = ctx.request
        if isinstance(outcome, HTTPError):
            _request_error(agent, request, outcome.reason)
            reply = text_reply(outcome.reason or "An unexpected error occurred", outcome.status)
        elif isinstance(outcome, RPCError):
            message = str(outcome)
            _request_error(agent, request, message)
            status = 403 if "Permission denied" in message or "ACL not found" in message else 500
            reply = text_reply(message, status)
        elif isinstance(outcome, Reply):
            reply = outcome
        else:
            raise outcome
        if reply.stream is not None:
            reply.stream = _finishing(reply.stream, agent, request, route, ctx.started)
            # Headers sent before any byte of the body: Go sniffs nothing
            # and writes its default type.
            reply.content_type = reply.content_type or "text/plain; charset=utf-8"
        else:
            _finished(agent, request, route, ctx.started)
        if ctx.query and reply.content_type == "application/json" and ctx.flag("pretty"):
            reply.body += b"\n"
        silent = not reply.body and reply.stream is None
        if reply.status == 200 and silent and reply.content_type is None:
            # Nothing written: ensureContentTypeHeader still gets to set a type.
            reply.content_type = _default_content_type(request, ctx.path)
        headers = {"X-Consul-Default-ACL-Policy": agent.config.acl_default_policy}
        headers.update(ctx.headers)
        headers.update(reply.headers)
        reply.headers = headers
        return _gzip(request, reply)

    def record(self, ctx: Ctx, route: Route) -> None:
        """What :meth:`finish` records of a request answered with a reply it did not make.

        A blocking query answered with the bytes of an identical one's
        answer (:meth:`~.context.Parked.share`) is still a request of its own.
        """
        _finished(self.agent, ctx.request, route, ctx.started)

    def measurer(self, ctx: Ctx, route: Route) -> Callable[[list[float]], None] | None:
        """:meth:`record` for the requests identical to ``ctx``'s, or None: call :meth:`record`.

        What records them together, given when each was handed to its
        handler (``Ctx.started``): their ``consul.api.http`` samples alone,
        with one read of the clock and one update of the sample
        (:meth:`~..state.metrics.Metrics.measure_many`), no call of
        :meth:`record` and no lookup of the sample's key for every query
        woken. None while the DEBUG log is on (its lines are those of each
        request). Valid within the callback of the loop that asked (the
        log's level may change after it).
        """
        agent = self.agent
        if agent.log.level <= DEBUG:
            return None
        metrics = agent.metrics
        return partial(metrics.measure_many, _sample_key(metrics, route, ctx.request.method))


#: The key of a metric (``Metrics.key``).
_SampleKey = tuple[str, tuple[tuple[str, str], ...]]
#: The key of each route and method's ``consul.api.http`` sample, made once
#: (by pattern, then method: no tuple made and hashed for every request).
_SAMPLE_KEYS: dict[str, dict[str, _SampleKey]] = {}


def _sample_key(metrics: Metrics, route: Route, method: str) -> _SampleKey:
    """The key of the ``consul.api.http`` sample of ``route`` and ``method``."""
    keys = _SAMPLE_KEYS.get(route.pattern)
    if keys is None:
        keys = _SAMPLE_KEYS[route.pattern] = {}
    key = keys.get(method)
    if key is None:
        labels = {"method": method, "path": route.pattern[1:].replace("/", "_")}
        key = keys[method] = metrics.key("api.http", labels)
    return key


def _finished(agent: AgentCore, request: Request, route: Route, started: float) -> None:
    """What ``HTTPHandlers.wrap`` records of every request once its handler is done.

    The time it took, as the ``consul.api.http`` sample labelled with its
    method and its route (``v1_kv_``), and a DEBUG ``Request finished`` line.
    """
    metrics = agent.metrics
    metrics.measure_since(_sample_key(metrics, route, request.method), started)
    if agent.log.level <= DEBUG:
        latency = format_duration(round((time.monotonic() - started) * 1e9))
        fields = _request_fields(request)
        agent.logger.named("http").debug("Request finished", *fields, "latency", latency)


def _finishing(
    stream: Stream, agent: AgentCore, request: Request, route: Route, started: float
) -> Stream:
    """``stream``, then :func:`_finished`: a streamed request finishes when its stream ends."""

    async def run(write: Write) -> None:
        try:
            await stream(write)
        finally:
            _finished(agent, request, route, started)

    return run


def _request_error(agent: AgentCore, request: Request, message: str) -> None:
    """``handleErr``'s ERROR ``Request error`` line, for every error a handler returns."""
    if agent.log.level <= ERROR:
        fields = _request_fields(request)
        agent.logger.named("http").error("Request error", *fields, "error", message)


def _request_fields(request: Request) -> tuple[str, ...]:
    """The fields ``wrap`` logs of a request: its method, URL (no token) and client."""
    return ("method", request.method, "url", _log_url(request), "from", request.remote_addr)


def _log_url(request: Request) -> str:
    """The URL as Consul logs it: a ``?token`` hidden (the query then re-encoded, sorted)."""
    escaped_path, _, raw_query = request.raw_path.partition("?")
    if not raw_query:
        return escaped_path
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if any(name == "token" and value for name, value in pairs):
        # url.Values.Encode: sorted by key, the token's values replaced.
        hidden = [(n, "<hidden>" if n == "token" else v) for n, v in pairs]
        raw_query = urlencode(sorted(hidden, key=lambda pair: pair[0]))
    return f"{escaped_path}?{raw_query}"


def _gzip(request: Request, reply: Reply) -> Reply:
    """The gzip handler around every endpoint (NYTimes/gziphandler)."""
    reply.headers["Vary"] = "Accept-Encoding"
    if len(reply.body) >= GZIP_MIN_SIZE and request.method != "HEAD" and _accepts_gzip(request):
        reply.body = gzip.compress(reply.body)
        reply.headers["Content-Encoding"] = "gzip"
    return reply


def _default_content_type(request: Request, path: str) -> str:
    """``api.GetContentType``: the type ``ensureContentTypeHeader`` gives a silent response."""
    if request.method in ("GET", "DELETE") or path.startswith("/v1/internal"):
        return request.headers.get("Content-Type") or "application/json; charset=utf-8"
    if request.method == "PUT" and path.startswith(("/v1/snapshot", "/v1/kv", "/v1/event/fire")):
        return "application/octet-stream"
    return "application/json; charset=utf-8"
