"""The callback adapter: a python-consul ``http`` object as the transport.

:class:`consul.base.Consul` gets its ``http`` object from its ``http_connect``
(or ``connect``) hook, as python-consul's did. Its runner hands each call's
request to that object with python-consul's protocol,
``http.get(callback, path, params=[...], headers={...})`` (``put``,
``delete`` and ``post`` also take ``data=``), where ``callback`` turns the
object's :class:`consul.callback.Response` into the call's value. Whatever the
object returns is the call's result: the value for a blocking object, its
loop's awaitable otherwise.

What the object is given is what python-consul gave it: the path not yet
percent-encoded (the object encodes it, see
:meth:`consul.callback.HTTPClient.uri`), the query parameters as a list of
pairs, a JSON body as a ``str`` and any other body as ``bytes``, and a
``headers`` mapping whenever there are headers to send (the token travels in
``X-Consul-Token``, never among the parameters). A call given a ``timeout=``
of its own hands it on as ``timeout=`` (seconds or None), which an object
written for python-consul does not take: it then fails with a ``TypeError``
rather than ignore the limit. This module does no I/O: the object does.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote

from .. import _log
from .._http import Call, Flow, Headers, Request, Response
from .._log import DEBUG, LOG
from .._stream import Exchange, Stream, StreamCall
from ..callback import Response as CallbackResponse
from ..config import Config
from ._drive import Stopper, ThreadFlows, drive
from ._streams import exchange, open_stream

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["CallbackRunner"]


class _Client(Protocol):
    """What the runner needs of its client: the ``http`` object and the settings."""

    http: Any
    settings: Config


class CallbackRunner:
    """Runs calls through the client's ``http`` object, read at each call."""

    def __init__(self, client: _Client) -> None:
        self._client = client
        #: How the recipes run flows: on threads, with an ``http`` object that
        #: blocks. Its calls cannot be aborted: a stop is seen between two.
        self.flows = ThreadFlows(self.run, self._open_stoppable)

    @contextlib.contextmanager
    def _open_stoppable(self, stopper: Stopper) -> Iterator[Callable[[Call[Any]], Any]]:
        yield self.run

    @property
    def transport(self) -> Any:
        """The client's ``http`` object."""
        return self._client.http

    def run(self, call: Call[T]) -> Any:
        """Hand ``call``'s request to ``client.http``; its result is the call's."""
        request = call.request
        send = getattr(self._client.http, request.method.lower())
        kwargs: dict[str, Any] = {}
        if request.params:
            kwargs["params"] = list(request.params)
        if request.body is not None:
            kwargs["data"] = _data(request.body, request.headers)
        if request.headers:
            kwargs["headers"] = dict(request.headers)
        if request.timeout != self._client.settings.timeout:
            # A call's own timeout=, which python-consul's protocol does not
            # have: the object must take it (consul.std.HTTPClient does).
            kwargs["timeout"] = request.timeout
        path = self._client.settings.path_prefix + unquote(request.path)
        if LOG.isEnabledFor(DEBUG):
            return _logged(send, call, path, kwargs)
        return send(functools.partial(_answer, call), path, **kwargs)

    def run_flow(self, flow: Flow[T]) -> T:
        """Drive ``flow`` in this thread: it needs an ``http`` object that blocks."""
        return drive(flow, self.run, time.sleep)

    def send(self, request: Request) -> Response:
        """Our response to ``request``, through the ``http`` object (which must block)."""
        response: Response = self.run(Call(request, _unchecked))
        return response

    def run_stream(self, call: StreamCall[T]) -> Stream[T]:
        """A stream over the whole answer: python-consul's ``http`` objects read answers whole.

        A stream that never ends (a monitor's) cannot be read so, and is refused.
        """
        if call.endless:
            raise NotImplementedError(
                f"{call.request.path} streams until it is stopped: python-consul's http "
                "objects read whole answers; use one of the five clients"
            )
        return open_stream(self, call)

    def run_exchange(self, call: Exchange[R]) -> R:
        """``call`` over the whole answer, an upload read whole (an ``http`` object that blocks)."""
        return exchange(self, call)


def _unchecked(response: Response) -> Response:
    """The answer itself, whatever its status (the stream drivers check it)."""
    return response


def _data(body: bytes, headers: Headers) -> str | bytes:
    """The body as python-consul passed it: JSON as ``str``, anything else as bytes."""
    if ("Content-Type", "application/json") in headers:
        return body.decode("utf-8")
    return body


def _answer(call: Call[T], response: CallbackResponse) -> T:
    """The callback: the ``http`` object's response decoded as the call decodes."""
    return call.result(_response(call.request, response))


def _response(request: Request, response: CallbackResponse) -> Response:
    """Our response from the ``http`` object's."""
    body = response.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = _header_items(response.headers)
    return Response.build(int(response.code), headers, body or b"", request)


class _LoggedAnswer:
    """The callback when ``DEBUG`` is on: logs the answer, then decodes it."""

    def __init__(self, call: Call[Any]) -> None:
        self.call = call
        self.since = _log.started()
        self.answered = False

    def __call__(self, response: CallbackResponse) -> Any:
        self.answered = True
        answer = _response(self.call.request, response)
        _log.answered(self.call.request, answer, self.since)
        return self.call.result(answer)


def _logged(send: Any, call: Call[Any], path: str, kwargs: dict[str, Any]) -> Any:
    """``send`` the call with the logging callback; a blocking object's failure is logged too."""
    callback = _LoggedAnswer(call)
    try:
        return send(callback, path, **kwargs)
    except Exception as exc:
        if not callback.answered:  # else, the callback's own error: logged with the answer
            _log.failed(call.request, exc, callback.since)
        raise


def _header_items(headers: Any) -> list[tuple[str, str]]:
    """Header pairs as text, from whatever mapping (or None) the object's library has."""
    if not headers:
        return []
    items: Iterable[tuple[Any, Any]] = headers.items() if isinstance(headers, Mapping) else headers
    return [(_text(name), _text(value)) for name, value in items]


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
