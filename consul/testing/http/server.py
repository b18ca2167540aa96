"""The embedded agent's HTTP server: what every request goes through.

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

The endpoint modules (listed in :mod:`.endpoints`) register their handlers
in :class:`~.routes.Routes` tables; a handler takes a :class:`~.context.Ctx` and
returns a :class:`~.reply.Reply` (or raises). What concerns the connection
itself (limits on headers, bodies, connections) belongs here, around
:func:`build_server`.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Iterable
from html import escape as html_escape
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from ..state.config import join_host_port
from ..state.core import AgentCore
from ..state.errors import RPCError
from ..state.golang import format_duration
from ..state.log import DEBUG, ERROR
from .context import Ctx
from .errors import HTTPError
from .mux import Mux, valid_query
from .reply import Reply, Stream, Write, text_reply
from .routes import Route

__all__ = ["GZIP_MIN_SIZE", "MAX_BODY_SIZE", "build_server"]

#: gziphandler's ``DefaultMinSize``: smaller bodies are never compressed.
GZIP_MIN_SIZE = 1400

_NOT_API = (
    "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
)
_NOT_ENDPOINT = "Invalid URL path: not a recognized HTTP API endpoint\n"


#: The largest request body aiohttp reads (``client_max_size``).
MAX_BODY_SIZE = 64 * 1024 * 1024


class _Request(web.BaseRequest):
    """A request of the agent's server: its responses carry no ``Server`` header.

    Go's ``net/http`` never sends one; aiohttp adds its own while preparing a
    response, then calls this hook, as ``web.BaseRequest`` does for an
    application's ``on_response_prepare`` signal.
    """

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        response.headers.pop("Server", None)


def build_server(agent: AgentCore, routes: Iterable[Route]) -> web.Server:
    """The aiohttp server answering every request for ``agent`` with ``routes``.

    A low-level ``web.Server``: the routing is :class:`~.mux.Mux`'s (Go's
    ``ServeMux``), so no ``web.Application`` router stands in between. Must
    be called in the loop it will serve.
    """
    mux = Mux(routes)
    loop = asyncio.get_running_loop()

    def make_request(
        message: Any, payload: Any, protocol: Any, writer: Any, task: Any
    ) -> web.BaseRequest:
        return _Request(
            message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY_SIZE
        )

    async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
        reply = await _serve(request, agent, mux)
        headers = reply.headers
        if reply.content_type:
            headers = {"Content-Type": reply.content_type, **headers}
        if reply.stream is not None:
            return await _streamed(request, reply.status, dict(headers), reply.stream)
        response = web.Response(status=reply.status, body=reply.body, headers=headers)
        if reply.after is not None:
            await response.prepare(request)
            await response.write_eof()
            reply.after()
        return response

    # No access log: Consul's is its own, and aiohttp's costs per request.
    return web.Server(dispatch, request_factory=make_request, access_log=None)


async def _streamed(
    request: web.BaseRequest, status: int, headers: dict[str, str], stream: Stream
) -> web.StreamResponse:
    """A response whose body ``stream`` writes after the headers, each part sent at once.

    A client that goes away ends the stream: the next write raises
    ``ConnectionError``, which ends it quietly, as a Go handler's
    ``req.Context().Done()`` does.
    """
    # Headers flushed before any byte of the body: Go sniffs nothing and
    # writes its default type.
    headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    response = web.StreamResponse(status=status, headers=headers)
    await response.prepare(request)

    async def write(data: bytes) -> None:
        transport = request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client went away")
        if data:
            await response.write(data)

    try:
        await stream(write)
        await response.write_eof()
    except ConnectionError:
        pass
    return response


def _redirect(request: web.BaseRequest, location: str) -> Reply:
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


def _accepts_gzip(request: web.BaseRequest) -> bool:
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


async def _serve(request: web.BaseRequest, agent: AgentCore, mux: Mux) -> Reply:
    escaped_path, _, raw_query = request.raw_path.partition("?")
    if not escaped_path.startswith("/"):  # absolute-form target: scheme://host/path
        escaped_path = request.rel_url.raw_path
    path, route, target = mux.find(escaped_path)
    if path is None:
        return _BAD_REQUEST
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
    reply = await _wrap(request, agent, route, path, raw_query)
    # The gzip handler around every endpoint (NYTimes/gziphandler).
    reply.headers["Vary"] = "Accept-Encoding"
    if len(reply.body) >= GZIP_MIN_SIZE and request.method != "HEAD" and _accepts_gzip(request):
        reply.body = gzip.compress(reply.body)
        reply.headers["Content-Encoding"] = "gzip"
    return reply


async def _wrap(
    request: web.BaseRequest, agent: AgentCore, route: Route, path: str, raw_query: str
) -> Reply:
    """``HTTPHandlers.wrap``: what every endpoint's answer goes through."""
    policy = {"X-Consul-Default-ACL-Policy": agent.config.acl_default_policy}
    if raw_query and not valid_query(raw_query):
        return Reply(500, b"", "text/plain; charset=utf-8", policy)
    allow = ",".join(("OPTIONS", *route.methods))
    # A route registered without methods checks them itself, OPTIONS included.
    if request.method == "OPTIONS" and route.methods:
        return Reply(200, b"", _default_content_type(request, path), {**policy, "Allow": allow})
    if route.methods and request.method not in route.methods:
        reply = text_reply(f"method {request.method} not allowed", 405)
        reply.headers.update(policy, Allow=allow)
        return reply
    tail = path[len(route.pattern) :] if route.pattern.endswith("/") else ""
    ctx = Ctx(request, agent, path, tail)
    started = time.monotonic()
    try:
        reply = await route.handler(ctx)
    except HTTPError as exc:
        _request_error(agent, request, raw_query, exc.reason)
        reply = text_reply(exc.reason or "An unexpected error occurred", exc.status)
    except RPCError as exc:
        message = str(exc)
        _request_error(agent, request, raw_query, message)
        status = 403 if "Permission denied" in message or "ACL not found" in message else 500
        reply = text_reply(message, status)
    if reply.stream is not None:
        reply.stream = _finishing(reply.stream, agent, request, route, raw_query, started)
    else:
        _finished(agent, request, route, raw_query, started)
    if raw_query and reply.content_type == "application/json" and ctx.flag("pretty"):
        reply.body += b"\n"
    silent = not reply.body and reply.stream is None
    if reply.status == 200 and silent and reply.content_type is None:
        # Nothing written: ensureContentTypeHeader still gets to set a type.
        reply.content_type = _default_content_type(request, path)
    policy.update(ctx.headers)
    policy.update(reply.headers)
    reply.headers = policy
    return reply


#: The key of each route and method's ``consul.api.http`` sample, made once.
_SAMPLE_KEYS: dict[tuple[str, str], tuple[str, tuple[tuple[str, str], ...]]] = {}


def _finished(
    agent: AgentCore, request: web.BaseRequest, route: Route, raw_query: str, started: float
) -> None:
    """What ``HTTPHandlers.wrap`` records of every request once its handler is done.

    The time it took, as the ``consul.api.http`` sample labelled with its
    method and its route (``v1_kv_``), and a DEBUG ``Request finished`` line.
    """
    metrics = agent.metrics
    key = _SAMPLE_KEYS.get((route.pattern, request.method))
    if key is None:
        labels = {"method": request.method, "path": route.pattern[1:].replace("/", "_")}
        key = _SAMPLE_KEYS[route.pattern, request.method] = metrics.key("api.http", labels)
    metrics.measure_since(key, started)
    if agent.log.level <= DEBUG:
        latency = format_duration(round((time.monotonic() - started) * 1e9))
        fields = _request_fields(request, raw_query)
        agent.logger.named("http").debug("Request finished", *fields, "latency", latency)


def _finishing(
    stream: Stream,
    agent: AgentCore,
    request: web.BaseRequest,
    route: Route,
    raw_query: str,
    started: float,
) -> Stream:
    """``stream``, then :func:`_finished`: a streamed request finishes when its stream ends."""

    async def run(write: Write) -> None:
        try:
            await stream(write)
        finally:
            _finished(agent, request, route, raw_query, started)

    return run


def _request_error(
    agent: AgentCore, request: web.BaseRequest, raw_query: str, message: str
) -> None:
    """``handleErr``'s ERROR ``Request error`` line, for every error a handler returns."""
    if agent.log.level <= ERROR:
        fields = _request_fields(request, raw_query)
        agent.logger.named("http").error("Request error", *fields, "error", message)


def _request_fields(request: web.BaseRequest, raw_query: str) -> tuple[str, ...]:
    """The fields ``wrap`` logs of a request: its method, URL (no token) and client."""
    return ("method", request.method, "url", _log_url(request, raw_query), "from", _remote(request))


def _log_url(request: web.BaseRequest, raw_query: str) -> str:
    """The URL as Consul logs it: a ``?token`` hidden (the query then re-encoded, sorted)."""
    escaped_path = request.raw_path.partition("?")[0]
    if not raw_query:
        return escaped_path
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if any(name == "token" and value for name, value in pairs):
        # url.Values.Encode: sorted by key, the token's values replaced.
        hidden = [(n, "<hidden>" if n == "token" else v) for n, v in pairs]
        raw_query = urlencode(sorted(hidden, key=lambda pair: pair[0]))
    return f"{escaped_path}?{raw_query}"


def _remote(request: web.BaseRequest) -> str:
    """The client's ``host:port`` (Go's ``RemoteAddr``)."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if isinstance(peer, tuple) and len(peer) >= 2:
        return join_host_port(str(peer[0]), int(peer[1]))
    return request.remote or ""


def _default_content_type(request: web.BaseRequest, path: str) -> str:
    """``api.GetContentType``: the type ``ensureContentTypeHeader`` gives a silent response."""
    if request.method in ("GET", "DELETE") or path.startswith("/v1/internal"):
        return request.headers.get("Content-Type") or "application/json; charset=utf-8"
    if request.method == "PUT" and path.startswith(("/v1/snapshot", "/v1/kv", "/v1/event/fire")):
        return "application/octet-stream"
    return "application/json; charset=utf-8"
