"""How endpoint methods are written once and run on five event loops.

An endpoint method is a plain method that returns a :class:`~consul._http.Call`
(decorated with :class:`endpoint`) or a :data:`~consul._http.Flow` generator
(decorated with :class:`flow`). The decorator is a descriptor: looked up on a
group that belongs to a client, it returns a function that builds the call and
hands it to the client's runner, which sends it the way its loop does.

Python has no higher-kinded types, so the loop's result type cannot be a type
parameter of the method itself. Instead each group is generic in a *mode*
marker (:class:`Blocking`, :class:`ThreadPool`, :class:`AsyncIO`,
:class:`Tornado`, :class:`Twisted`) and the descriptor's ``__get__`` is
overloaded on it: ``consul.Consul().kv.put(...)`` is a ``bool``,
``consul.aio.Consul().kv.put(...)`` a ``Coroutine[..., bool]``, and so on.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import inspect
import json
import math
import re
from asyncio import Future as AsyncioFuture
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from concurrent.futures import Future
from types import CoroutineType
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    TypedDict,
    TypeVar,
    Unpack,
    overload,
)

from . import _decode as d
from ._http import CLIENT_TIMEOUT, Call, Flow, Headers, Params, Request, bounded, header_value
from ._meta import Indexed
from ._stream import AsyncStream, Exchange, Stream, StreamCall

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from .adapters.twisted import TwistedStream
    from .base import ConsulBase
    from .config import Config

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M")


class Mode:
    """A client's mode: what its calls return, for type checkers and ``inspect``.

    ``returns`` is the return annotation a bound method shows
    (``inspect.signature``, ``help``), ``{}`` standing for the endpoint's value;
    ``streams`` the one of a method that returns a stream of such values.
    """

    returns = "{}"
    streams = "Stream[{}]"


class Blocking(Mode):
    """Mode of :class:`consul.Consul`: a call returns its value."""


class ThreadPool(Mode):
    """Mode of :class:`consul.threadpool.Consul`: a call returns a ``Future``."""

    returns = "concurrent.futures.Future[{}]"
    streams = "concurrent.futures.Future[Stream[{}]]"


class AsyncIO(Mode):
    """Mode of :class:`consul.aio.Consul`: a call returns a coroutine."""

    returns = "Coroutine[Any, Any, {}]"
    streams = "Coroutine[Any, Any, AsyncStream[{}]]"


class Tornado(Mode):
    """Mode of :class:`consul.tornado.Consul`: a call returns an asyncio ``Future``."""

    returns = "asyncio.Future[{}]"
    streams = "asyncio.Future[AsyncStream[{}]]"


class Twisted(Mode):
    """Mode of :class:`consul.twisted.Consul`: a call returns a ``Deferred``."""

    returns = "Deferred[{}]"
    streams = "Deferred[TwistedStream[{}]]"


class Callback(Mode):
    """Mode of :class:`consul.base.Consul`: a call returns what its ``http`` object returns.

    That is the value for a blocking ``http`` object (python-consul's
    ``consul.std.HTTPClient``, Patroni's), something else for others.
    """

    returns = "Any"
    streams = "Stream[{}]"


class Runner(Protocol):
    """What an adapter provides: run a call, or a flow, in its own way, on its transport."""

    @property
    def transport(self) -> Any:
        """What sends the requests."""

    def run(self, call: Call[Any]) -> Any:
        """Send ``call``'s request and decode the response."""

    def run_flow(self, flow: Flow[Any]) -> Any:
        """Drive ``flow`` to its end, sending each call it yields."""

    def run_stream(self, call: StreamCall[Any]) -> Any:
        """Open ``call``'s stream: the loop's kind of stream of its items."""

    def run_exchange(self, call: Exchange[Any]) -> Any:
        """Run ``call``: its answer read into its sink."""


class Group(Generic[M]):
    """A group of endpoints (one page of Consul's HTTP API docs).

    Groups hang on a client (``client.kv``, ``client.agent.service``) and build
    their requests from the client's configuration.
    """

    def __init__(self, client: ConsulBase[M]) -> None:
        self._client = client
        # The bound methods, made on first access (see _Bound.__get__).
        self._methods: dict[_Bound[Any, Any], Callable[..., Any]] = {}

    @property
    def agent(self) -> ConsulBase[M]:
        """The client this group belongs to (python-consul's name for it)."""
        return self._client

    def _request(
        self,
        method: str,
        path: str,
        params: Iterable[tuple[str, str]] = (),
        *,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        index: int | None = None,
        hash: str | None = None,
        wait: str | float | None = None,
        read: bool = False,
        body: bytes | None = None,
        json_body: Any = None,
        content_type: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        **options: Unpack[_OtherOptions],
    ) -> Request:
        """Build a request with the client's defaults filled in.

        ``read=True`` marks a read that honours consistency modes. An
        ``index`` (or, for the agent endpoints that block on a content hash,
        a ``hash``) makes it a blocking query, held at most ``wait``.
        ``options`` are the query options of :class:`QueryOptions`, sent
        only when given. The token goes only into the ``X-Consul-Token``
        header.
        """
        client = self._client
        query = params if type(params) is tuple else tuple(params)
        # The client's settings are assignable: they are checked here, each call.
        if dc is None:
            dc = client.dc
        if dc is not None and string(dc, "dc"):
            query += (("dc", dc),)
        mode = "default"
        if read:
            mode = consistency if consistency is not None else client.consistency
            if mode != "default":
                if mode not in ("consistent", "stale"):
                    raise ValueError(
                        f"consistency must be 'default', 'consistent' or 'stale', not {mode!r}"
                    )
                query += ((mode, ""),)
        elif consistency is not None:
            raise TypeError("consistency only applies to reads")
        cache_control = ""
        given: Mapping[str, Any] = options
        if ns is not None or partition is not None:
            given = {**options, "ns": ns, "partition": partition}
        # Most calls give none: the methods pass their options on as None.
        for value in given.values():
            if value is not None and value is not False:
                query += tuple(_option_params(given))
                cache_control = _cache_control(given, read=read, mode=mode)
                break
        blocking_wait = None
        if index is not None or hash is not None or wait is not None:
            blocking, blocking_wait = _blocking(index, hash, wait)
            query += blocking
        if token is None:
            token = client.token
        settings = client.settings
        # The token's and the basic authentication's headers, made again only
        # when the token (or the settings) changes.
        known = client._headers
        if known[0] is not settings or known[1] != token:
            known = client._headers = (settings, token, _client_headers(token, settings))
        headers = known[2]
        if cache_control:
            headers += (("Cache-Control", cache_control),)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type:
            headers += (("Content-Type", content_type),)
        return Request(method, path, query, headers, body, blocking_wait, settings.timeout)

    def _read(
        self,
        path: str,
        decode: d.Decoder[T],
        params: Iterable[tuple[str, str]] = (),
        *,
        token: str | None,
        dc: str | None,
        consistency: str | None,
        index: int | None,
        wait: str | float | None,
        ns: str | None = None,
        partition: str | None = None,
        **options: Unpack[_OtherOptions],
    ) -> Call[Indexed[T]]:
        """The call of a read (``GET path``) that can block.

        It honours consistency modes, blocks with ``index`` and ``wait``,
        sends the query ``options`` given, and returns ``decode``'s value
        with the response's ``X-Consul-Index`` and the rest of its metadata
        (an :class:`~consul.Indexed` pair).
        """
        request = self._request(
            "GET",
            path,
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            read=True,
            ns=ns,
            partition=partition,
            **options,
        )
        return Call(request, d.indexed(decode))


def _client_headers(token: str | None, settings: Config) -> Headers:
    """The headers of every request with ``token``: the token's, the basic authentication's."""
    headers: Headers = ()
    if token:
        headers = (("X-Consul-Token", header_value(token, "token")),)
    if settings.http_auth is not None:
        user, password = settings.http_auth
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers += (("Authorization", f"Basic {basic}"),)
    return headers


def _blocking(
    index: int | None, hash: str | None, wait: str | float | None
) -> tuple[Params, float | None]:
    """The query of ``index``, ``hash`` and ``wait``; and the wait of a blocking query, or None."""
    query: Params = ()
    wait_seconds: float | None = None
    if isinstance(index, str):
        # python-consul returned the X-Consul-Index header's text; untyped
        # code may pass it back.
        index = int(index) if index.isascii() and index.isdigit() else index  # type: ignore[unreachable]
    # Consul parses it as a uint64 (agent/http.go parseWait).
    if (index := optional_uint64(index, "index")) is not None:
        query += (("index", str(index)),)
    if hash := optional_str(hash, "hash"):
        query += (("hash", hash),)
    if wait is not None:
        text, wait_seconds = duration(wait, "wait")
        query += (("wait", text),)
    if index or hash:
        return query, wait_seconds if wait_seconds is not None else 0.0
    return query, None


class _OtherOptions(TypedDict, total=False):
    """The :class:`QueryOptions` other than ``ns`` and ``partition``.

    ``Group._request`` takes those two, which nearly every method passes on,
    as keywords of its own: a keyword that only ``**options`` takes is
    matched by comparing its name with each parameter's, as a string, on
    every call (callgrind: about 2,000 instructions of a ``kv.get`` or a
    ``kv.put``).
    """

    filter_expr: str | None
    near: str | None
    node_meta: Mapping[str, str] | None
    tag: str | Sequence[str] | None
    cached: bool
    max_age: str | float | None
    stale_if_error: str | float | None
    peer: str | None
    merge_central_config: bool


class QueryOptions(_OtherOptions, total=False):
    """The query options a read may take, by the names endpoint methods give them.

    Each is sent only when given (None, an empty string and False send
    nothing): Consul's community edition refuses any ``ns`` or
    ``partition``, even an empty one.

    Attributes:
        filter_expr: a filter expression on the results (``?filter``).
        near: sort by round-trip time from this node (``_agent``: the
            agent's own; ``?near``).
        node_meta: keep the nodes with all these metadata pairs (one
            ``?node-meta=key:value`` per pair).
        tag: keep the instances with this tag, or with every tag of a list
            (one ``?tag=`` per tag).
        cached: let the agent answer from its cache (``?cached``); not with
            ``consistency="consistent"``.
        max_age: with ``cached``, the oldest cached answer (seconds, or a
            duration) to accept before the agent fetches again; 0 makes it
            fetch (``Cache-Control: max-age``).
        stale_if_error: with ``cached``, how old a cached answer may be
            served if fetching fails (``Cache-Control: stale-if-error``).
        peer: read what was imported from this cluster peer (``?peer``).
        ns: the namespace (``?ns``; Consul Enterprise).
        partition: the admin partition (``?partition``; Consul Enterprise).
        merge_central_config: merge the proxy and gateway instances with
            their central configuration (``?merge-central-config``).
    """

    ns: str | None
    partition: str | None


#: Options sent as ``param=value`` when given: (option, query parameter).
_STRING_OPTIONS = (
    ("filter_expr", "filter"),
    ("near", "near"),
    ("peer", "peer"),
    ("ns", "ns"),
    ("partition", "partition"),
)


def _option_params(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The query parameters of ``options`` (:class:`QueryOptions`), each checked before any I/O."""
    params: list[tuple[str, str]] = []
    for name, param in _STRING_OPTIONS:
        value = optional_str(options.get(name), name)
        if value:
            params.append((param, value))
    for key, value in (str_map(options.get("node_meta"), "node_meta") or {}).items():
        params.append(("node-meta", f"{key}:{value}"))
    tag = options.get("tag")
    if tag is not None:
        tags: Any = [tag] if isinstance(tag, str) else tag
        if isinstance(tags, bytes) or not isinstance(tags, Sequence):
            raise TypeError(f"tag must be a str or a list of str, not {type(tag).__name__}")
        for item in tags:
            if not isinstance(item, str):
                raise TypeError(f"tag must be a str or a list of str, not {item!r}")
            params.append(("tag", item))
    if flag(options.get("merge_central_config", False), "merge_central_config"):
        params.append(("merge-central-config", ""))
    if flag(options.get("cached", False), "cached"):
        params.append(("cached", ""))
    return params


def _cache_control(options: Mapping[str, Any], *, read: bool, mode: str) -> str:
    """The ``Cache-Control`` header of a ``cached`` read (``agent/http.go`` ``parseCacheControl``).

    Consul reads whole seconds; a fraction is rounded as Go's client
    rounds it (``%.0f``).
    """
    cached = options.get("cached", False)
    directives = []
    for name, directive in (("max_age", "max-age"), ("stale_if_error", "stale-if-error")):
        value = options.get(name)
        if value is None:
            continue
        if not cached:
            raise ValueError(f"{name} only applies with cached=True")
        _, secs = duration(value, name)
        directives.append(f"{directive}={secs:.0f}")
    if cached and not read:
        raise TypeError("cached only applies to reads")
    if cached and mode == "consistent":
        # agent/http.go parseConsistency refuses ?cached with ?consistent.
        raise ValueError("cached cannot be combined with consistency='consistent'")
    return ", ".join(directives)


#: An endpoint's return annotation (``Call[X]``, ``Flow[X]``...), to find ``X``.
_RESULT = re.compile(r"^(?:Call|Flow|StreamCall|Exchange)\[(.*)\]$")


class _Bound(Generic[P, T]):
    """The common part of :class:`endpoint` and :class:`flow`.

    Every endpoint method ends with ``*, timeout: CallTimeout = CLIENT_TIMEOUT``
    (``keyword`` names it, where ``timeout`` means something else) so that
    type checkers, ``inspect.signature`` and ``help()`` know the argument;
    the method itself never sees it: the bound method takes it out and
    applies it to what the method built (:meth:`_timed`).
    """

    def __init__(self, build: Callable[Concatenate[Any, P], Any], keyword: str) -> None:
        if (build.__kwdefaults__ or {}).get(keyword) is not CLIENT_TIMEOUT:
            raise TypeError(
                f"{build.__qualname__} must end with *, {keyword}: CallTimeout = CLIENT_TIMEOUT"
            )
        self._keyword = keyword
        self._build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__
        self.__qualname__ = build.__qualname__
        self.__wrapped__ = build
        self._signatures: dict[str, inspect.Signature] = {}

    def _runner_method(self, runner: Runner) -> Callable[[Any], Any]:
        raise NotImplementedError

    def _returns(self, mode: type[Mode]) -> str:
        """The mode's template of what the bound method returns."""
        return mode.returns

    def _timed(self, built: Any, timeout: float | None) -> Any:
        """What the method built (a call or a flow), within the call's own ``timeout``."""
        raise NotImplementedError

    def _signature(self, returns: str) -> inspect.Signature:
        """The signature of the bound method: no ``self``, the client's return type.

        ``returns`` is the client mode's template (see :class:`Mode`).
        """
        if returns not in self._signatures:
            signature = inspect.signature(self._build)
            result = _RESULT.match(str(signature.return_annotation))
            annotation = returns.format(result.group(1)) if result else signature.return_annotation
            self._signatures[returns] = signature.replace(
                parameters=list(signature.parameters.values())[1:],
                return_annotation=annotation,
            )
        return self._signatures[returns]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Callable[Concatenate[Any, P], Any]: ...
    @overload
    def __get__(self, obj: Group[Blocking], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: Group[ThreadPool], owner: type[Any]) -> Callable[P, Future[T]]: ...
    @overload
    def __get__(
        self, obj: Group[AsyncIO], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, obj: Group[Tornado], owner: type[Any]) -> Callable[P, AsyncioFuture[T]]: ...
    @overload
    def __get__(self, obj: Group[Twisted], owner: type[Any]) -> Callable[P, Deferred[T]]: ...
    @overload
    def __get__(self, obj: Group[Callback], owner: type[Any]) -> Callable[P, Any]: ...
    def __get__(self, obj: Group[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self._build
        # Made once per group and kept in the group, not in its __dict__ under
        # the method's name: that would hide a later mock.patch.object of the
        # class's method (a common way to fake a client in tests).
        method = obj._methods.get(self)
        if method is None:
            method = obj._methods[self] = self._bind(obj)
        return method

    def _bind(self, obj: Group[Any]) -> Callable[..., Any]:
        """The method of ``obj``: builds the call and hands it to the client's runner."""
        build = self._build
        run = self._runner_method(obj._client._runner)
        timed = self._timed
        keyword = self._keyword
        name = self.__qualname__

        @functools.wraps(build)
        def method(*args: Any, **kwargs: Any) -> Any:
            timeout = kwargs.pop(keyword, CLIENT_TIMEOUT) if kwargs else CLIENT_TIMEOUT
            call = build(obj, *args, **kwargs)
            # The arguments may hold a token: out of this frame's locals before
            # the call runs (and may fail with a traceback showing them).
            del args, kwargs
            if timeout is not CLIENT_TIMEOUT:
                call = timed(call, timeout_seconds(timeout, keyword))
            result = run(call)
            if type(result) is CoroutineType:
                # A forgotten await warns with the coroutine's name: make it
                # the method that was called (``KV.get``), not the runner's.
                result.__qualname__ = name
            return result

        signature = self._signature(self._returns(obj._client._mode))
        method.__signature__ = signature  # type: ignore[attr-defined]
        method.__annotations__ = {**build.__annotations__, "return": signature.return_annotation}
        return method


class endpoint(_Bound[P, T]):  # noqa: N801 - used as a decorator
    """Decorator: a method that returns the :class:`Call` of one HTTP request.

    A call's ``timeout=`` replaces the client's for its request.
    """

    def __init__(
        self, build: Callable[Concatenate[Any, P], Call[T]], keyword: str = "timeout"
    ) -> None:
        super().__init__(build, keyword)

    def _runner_method(self, runner: Runner) -> Callable[[Any], Any]:
        return runner.run

    def _timed(self, built: Call[T], timeout: float | None) -> Call[T]:
        return Call(dataclasses.replace(built.request, timeout=timeout), built.decode)


class flow(_Bound[P, T]):  # noqa: N801 - used as a decorator
    """Decorator: a generator method that yields calls (a multi-request flow).

    A call's ``timeout=`` bounds the whole flow (see :func:`~consul._http.bounded`).
    """

    def __init__(
        self, build: Callable[Concatenate[Any, P], Flow[T]], keyword: str = "timeout"
    ) -> None:
        super().__init__(build, keyword)

    def _runner_method(self, runner: Runner) -> Callable[[Any], Any]:
        return runner.run_flow

    def _timed(self, built: Flow[T], timeout: float | None) -> Flow[T]:
        # A bound on the whole flow, as a Go context's deadline is; the
        # client's timeout bounds each request, as Go's http.Client.Timeout.
        return bounded(built, timeout)


def flow_with_call_timeout(build: Callable[Concatenate[Any, P], Flow[T]]) -> flow[P, T]:
    """Decorator: :class:`flow` whose call timeout is ``call_timeout``.

    For the recipes' methods whose ``timeout`` means something else (a
    lock's ``acquire(timeout=...)``: how long to wait for the lock).
    """
    return flow(build, "call_timeout")


class exchange(_Bound[P, T]):  # noqa: N801 - used as a decorator
    """Decorator: a method that returns an :class:`~consul._stream.Exchange`.

    Its answer is read part by part into its sink (a snapshot into a file),
    its body may come from a file (a restore). A call's ``timeout=`` bounds
    the wait for the answer's headers, then each read of its body.
    """

    def __init__(self, build: Callable[Concatenate[Any, P], Exchange[T]]) -> None:
        super().__init__(build, "timeout")

    def _runner_method(self, runner: Runner) -> Callable[[Any], Any]:
        return runner.run_exchange

    def _timed(self, built: Exchange[T], timeout: float | None) -> Exchange[T]:
        return dataclasses.replace(
            built, request=dataclasses.replace(built.request, timeout=timeout)
        )


class stream(_Bound[P, T]):  # noqa: N801 - used as a decorator
    """Decorator: a method that returns a :class:`~consul._stream.StreamCall`.

    Called, it returns the client's kind of stream of the items (once the
    answer's headers are in): a :class:`~consul._stream.Stream` (iterator)
    on the blocking client (in a Future on the thread pool's), an
    :class:`~consul._stream.AsyncStream` (async iterator) on the asyncio and
    Tornado clients (from a coroutine, a Future), a ``TwistedStream`` (in a
    Deferred) on Twisted's. A call's ``timeout=`` bounds the wait for the
    headers.
    """

    def __init__(self, build: Callable[Concatenate[Any, P], StreamCall[T]]) -> None:
        super().__init__(build, "timeout")

    def _runner_method(self, runner: Runner) -> Callable[[Any], Any]:
        return runner.run_stream

    def _returns(self, mode: type[Mode]) -> str:
        return mode.streams

    def _timed(self, built: StreamCall[T], timeout: float | None) -> StreamCall[T]:
        return dataclasses.replace(
            built, request=dataclasses.replace(built.request, timeout=timeout)
        )

    @overload  # type: ignore[override]
    def __get__(self, obj: None, owner: type[Any]) -> Callable[Concatenate[Any, P], Any]: ...
    @overload
    def __get__(self, obj: Group[Blocking], owner: type[Any]) -> Callable[P, Stream[T]]: ...
    @overload
    def __get__(
        self, obj: Group[ThreadPool], owner: type[Any]
    ) -> Callable[P, Future[Stream[T]]]: ...
    @overload
    def __get__(
        self, obj: Group[AsyncIO], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, AsyncStream[T]]]: ...
    @overload
    def __get__(
        self, obj: Group[Tornado], owner: type[Any]
    ) -> Callable[P, AsyncioFuture[AsyncStream[T]]]: ...
    @overload
    def __get__(
        self, obj: Group[Twisted], owner: type[Any]
    ) -> Callable[P, Deferred[TwistedStream[T]]]: ...
    @overload
    def __get__(self, obj: Group[Callback], owner: type[Any]) -> Callable[P, Stream[T]]: ...
    def __get__(self, obj: Group[Any] | None, owner: type[Any]) -> Any:
        return super().__get__(obj, owner)


def endpoint_with_call_timeout(build: Callable[Concatenate[Any, P], Call[T]]) -> endpoint[P, T]:
    """Decorator: :class:`endpoint` whose call timeout is ``call_timeout``.

    For the two methods where python-consul gave ``timeout`` another meaning
    (``agent.service.register`` and ``agent.check.register``: a check's).
    """
    return endpoint(build, "call_timeout")


_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def duration(value: str | float, name: str) -> tuple[str, float]:
    """Validate a duration argument: seconds as a number, or a Go duration.

    Returns the text to send and the number of seconds. A number becomes
    milliseconds on the wire, as Consul's Go client sends waits (the smallest
    positive wait is 1ms).
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds or a duration string")
    if isinstance(value, int | float):
        if seconds(value, name) < 0:
            raise ValueError(f"{name} must not be negative, not {value!r}")
        ms = int(value * 1000)
        if value > 0 and ms == 0:
            ms = 1
        return f"{ms}ms", ms / 1000
    if isinstance(value, str):
        text = value.strip()
        if text == "0":
            return "0s", 0.0
        parts = _PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{name} must be a duration such as '10s' or '5m', not {value!r}")
        return text, sum(float(n) * _UNIT[u] for n, u in parts)
    kind = type(value).__name__  # type: ignore[unreachable]  # untyped callers
    raise TypeError(f"{name} must be a number of seconds or a duration string, not {kind}")


def duration_field(value: str | float, name: str) -> str:
    """A duration for a JSON body (a check's interval, a session's TTL...).

    A whole number of seconds is sent as ``"15s"``, another number as
    :func:`duration` sends it (milliseconds), a Go duration string as it is.
    """
    text, seconds = duration(value, name)
    if not isinstance(value, str) and float(seconds).is_integer():
        return f"{int(seconds)}s"
    return text


# -- argument checks shared by the endpoint groups (before any I/O) ------------------


def string(value: str, argument: str) -> str:
    """A string (which may be empty)."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    return value


def non_empty(value: str, argument: str) -> str:
    """A non-empty string (an ID or name that goes into the path or body)."""
    if not string(value, argument):
        raise ValueError(f"{argument} must not be empty")
    return value


def optional_str(value: str | None, argument: str) -> str | None:
    """A string, or None."""
    return None if value is None else string(value, argument)


def integer(value: int, argument: str) -> int:
    """An int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} must be an int, not {type(value).__name__}")
    return value


def flag(value: bool, argument: str) -> bool:
    """A bool (an option that is on or off)."""
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be a bool, not {type(value).__name__}")
    return value


def optional_int(value: int | None, argument: str) -> int | None:
    """An int (not a bool), or None."""
    return None if value is None else integer(value, argument)


def optional_uint64(value: int | None, argument: str) -> int | None:
    """An int Consul parses as a uint64 (an index, a ``cas``, KV flags), or None."""
    if (value := optional_int(value, argument)) is not None and not 0 <= value < 2**64:
        raise ValueError(f"{argument} must be an unsigned 64-bit integer, not {value}")
    return value


def positive_int(value: int, argument: str) -> int:
    """An int of at least 1 (a number of threads or connections)."""
    if integer(value, argument) < 1:
        raise ValueError(f"{argument} must be at least 1, not {value}")
    return value


def seconds(value: float, argument: str) -> float:
    """A number of seconds: an int or a float (not a bool), neither NaN nor infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{argument} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{argument} must be a finite number of seconds, not {value!r}")
    return value


def timeout_seconds(value: float | None, argument: str = "timeout") -> float | None:
    """A timeout: a positive number of seconds, or None (no limit)."""
    if value is not None and seconds(value, argument) <= 0:
        raise ValueError(f"{argument} must be positive or None, not {value!r}")
    return value


def str_list(value: Sequence[str] | None, argument: str, of: str = "str") -> list[str] | None:
    """A list (any sequence but a string) of strings, or None; ``of`` names them."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{argument} must be a list of {of}, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{argument} must be a list of {of}, not {item!r}")
    return list(value)


def mapping(value: Mapping[str, Any] | None, argument: str) -> dict[str, Any] | None:
    """A mapping, copied to a dict, or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{argument} must be a mapping, not {type(value).__name__}")
    return dict(value)


def str_map(value: Mapping[str, str] | None, argument: str) -> dict[str, str] | None:
    """A mapping of str to str (metadata), copied to a dict, or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{argument} must be a mapping of str to str, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{argument} must map str to str, not {key!r}: {item!r}")
    return dict(value)
