"""The blocking client, at python-consul's import path: ``consul.std.Consul``.

:class:`Consul` is :class:`consul.Consul`. :class:`HTTPClient` is
python-consul's blocking ``http`` object, for programs that build a
:class:`consul.base.Consul` subclass on it (or subclass it): the callback
protocol over this package's own ``requests`` transport, with its timeouts,
TLS settings and exceptions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict

from ._endpoint import duration, timeout_seconds
from ._http import CLIENT_TIMEOUT, CallTimeout, Request
from .adapters.std import Consul, RequestsTransport
from .callback import HTTPClient as _HTTPClient
from .callback import Params, Response
from .config import DEFAULT_TIMEOUT, Cert, Config

__all__ = ["Consul", "HTTPClient"]


class HTTPClient(_HTTPClient):
    """python-consul's blocking ``http`` object, on one pooled ``requests`` session.

    ``get``/``put``/``delete``/``post(callback, path, params=None, data=...,
    headers=None)`` send the request and return ``callback(response)``, the
    response's body as text. ``timeout`` is as :class:`consul.Consul`'s: a
    blocking query (``index`` among the parameters) is given its ``wait`` on
    top; each method also takes a ``timeout=`` of its own, which
    :class:`consul.base.Consul` passes on when a call is given one. The
    environment is not read: the arguments are the settings.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8500,
        scheme: str = "http",
        verify: bool | str = True,
        cert: Cert | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(host, port, scheme, verify, cert)
        config = Config.resolve(
            host, port, scheme=scheme, verify=verify, cert=cert, timeout=timeout, env={}
        )
        self._transport = RequestsTransport(config)
        #: The ``requests.Session`` whose adapter, and its pool of
        #: connections, sends the requests. The transport prepares them
        #: itself: the session's own settings for each request (its headers,
        #: cookies, auth, hooks, proxies) do not apply.
        self.session = self._transport.session

    def _send(
        self,
        method: str,
        callback: Callable[[Response], Any],
        path: str,
        params: Params | None = None,
        data: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Any:
        pairs = tuple(
            (str(name), str(value))
            for name, value in ((params.items() if isinstance(params, Mapping) else params) or ())
        )
        found = dict(pairs)
        wait = None
        if "index" in found:
            wait = duration(found["wait"], "wait")[1] if "wait" in found else 0.0
        body = data.encode("utf-8") if isinstance(data, str) else data
        if timeout is CLIENT_TIMEOUT:
            timeout = self._transport.config.timeout
        # What requests' preparation, which the transport no longer runs,
        # did to these requests, whose path and headers are the caller's:
        # dot segments resolved ("/v1/kv/a/../b" is "/v1/kv/b"), and each
        # header checked (InvalidHeader, a ValueError, for a line break or
        # whitespace around a value), before anything is sent.
        target = PreparedRequest()
        target.prepare_url("http://consul" + quote(path, safe="/:"), None)
        target.prepare_headers(headers)
        request = Request(
            method,
            target.path_url,
            pairs,
            tuple((headers or {}).items()),
            body or None,
            wait,
            timeout_seconds(timeout),
        )
        answer = self._transport.send(request)
        fields = answer.headers
        return callback(
            Response(
                answer.status,
                CaseInsensitiveDict(fields if isinstance(fields, tuple) else fields.items()),
                _text(answer.body),
            )
        )

    def get(
        self,
        callback: Callable[[Response], Any],
        path: str,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Any:
        """``GET path``; returns ``callback(response)``."""
        return self._send("GET", callback, path, params, None, headers, timeout=timeout)

    #: ``PUT path`` with ``data``; returns ``callback(response)``.
    put = functools.partialmethod(_send, "PUT")
    #: ``DELETE path``; returns ``callback(response)``.
    delete = functools.partialmethod(_send, "DELETE")
    #: ``POST path`` with ``data``; returns ``callback(response)``.
    post = functools.partialmethod(_send, "POST")

    def close(self) -> None:
        """Close the pooled connections."""
        self._transport.close()


def _text(body: bytes) -> str | bytes:
    """The body as python-consul gave it, as text; bytes if it is not UTF-8 (a snapshot)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body
