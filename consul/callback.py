"""python-consul's callback protocol: ``http`` objects, their responses and callbacks.

python-consul's endpoints handed each request to an ``http`` object as
``http.get(callback, path, params=..., headers=...)`` (also ``put``,
``delete`` and ``post``, which take ``data=``); the object sent it and
returned ``callback(Response(code, headers, body))``. Programs that give
:class:`consul.base.Consul` an ``http`` object of their own (Patroni does)
still work that way: see :mod:`consul.adapters.callback`.

This module keeps the pieces such programs import: :class:`Response`,
:class:`HTTPClient` (the abstract ``http`` object) and :class:`CB` (ready-made
callbacks, for requests of one's own through ``client.http``). py-consul
named this module ``consul.callback``; python-consul exported the same names
from ``consul.base``.
"""

from __future__ import annotations

import abc
import base64
import builtins
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from .exceptions import ConsulException, for_status

__all__ = ["CB", "HTTPClient", "Params", "Response"]

#: Query parameters as python-consul passed them: pairs, or a mapping.
Params = Sequence[tuple[str, Any]] | Mapping[str, Any]


class Response(NamedTuple):
    """What an ``http`` object hands its callback.

    ``headers`` is the HTTP library's header mapping (looked up by name, such
    as ``headers["X-Consul-Index"]``), ``body`` the body as text (or bytes).
    """

    code: int
    headers: Any
    body: Any


class HTTPClient(abc.ABC):
    """An ``http`` object: sends a request, returns its callback's result.

    Subclasses implement :meth:`get`, :meth:`put`, :meth:`delete` and
    :meth:`post`. The path they are given is not percent-encoded yet:
    :meth:`uri` encodes it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8500,
        scheme: str = "http",
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.scheme = scheme
        self.verify = verify
        self.cert = cert
        self.base_uri = f"{scheme}://{host}:{port}"

    def uri(self, path: str, params: Params | None = None) -> str:
        """The URL of ``path`` (percent-encoded here) with ``params``."""
        uri = self.base_uri + quote(path, safe="/:")
        if params:
            uri += "?" + urlencode(params)
        return uri

    @abc.abstractmethod
    def get(
        self,
        callback: Callable[[Response], Any],
        path: str,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``GET path``; returns ``callback(response)`` (or the loop's form of it)."""

    @abc.abstractmethod
    def put(
        self,
        callback: Callable[[Response], Any],
        path: str,
        params: Params | None = None,
        data: str | bytes = "",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``PUT path`` with ``data`` as the body (``delete`` and ``post`` alike)."""

    delete = put
    post = put


class CB:
    """Callbacks for requests of one's own: ``client.http.get(CB.json(), path)``.

    A status Consul answers with an error raises the exception of
    :mod:`consul.exceptions` (``BadRequest``, ``ACLPermissionDenied``...),
    carrying the status and Consul's message.
    """

    @staticmethod
    def _status(response: Response, allow_404: builtins.bool = True) -> None:
        code = response.code
        if code < 400 or (code == 404 and allow_404):
            return
        body = response.body
        message = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        raise for_status(code)(message.strip(), status=code)

    @classmethod
    def bool(cls) -> Callable[[Response], builtins.bool]:
        """True if Consul answered 200 (python-consul's ``CB.bool``)."""

        def callback(response: Response) -> builtins.bool:
            cls._status(response)
            return response.code == 200

        return callback

    boolean = bool  # py-consul's name

    @classmethod
    def binary(cls) -> Callable[[Response], Any]:
        """The body as it came (a 404 raises :class:`consul.NotFound`)."""

        def callback(response: Response) -> Any:
            cls._status(response, allow_404=False)
            return response.body

        return callback

    @classmethod
    def json(
        cls,
        map: Callable[[Any], Any] | None = None,
        allow_404: builtins.bool = True,
        one: builtins.bool = False,
        decode: str | builtins.bool = False,
        is_id: builtins.bool = False,
        index: builtins.bool = False,
        *,
        postprocess: Callable[[Any], Any] | None = None,
    ) -> Callable[[Response], Any]:
        """The JSON body, shaped as asked.

        ``allow_404``: a 404 is None rather than :class:`consul.NotFound`.
        ``decode``: the field of each item to decode from base64 (``"Value"``).
        ``is_id``: only the ``ID`` field. ``one``: only the first item (None
        if there is none). ``map`` (py-consul: ``postprocess``): a function
        applied last. ``index``: ``(X-Consul-Index, data)``, the index as the
        header's text, as python-consul returned it.
        """
        finish = postprocess or map

        def callback(response: Response) -> Any:
            cls._status(response, allow_404=allow_404)
            data: Any = None
            if response.code != 404:
                try:
                    data = json.loads(response.body)
                except ValueError as exc:
                    raise ConsulException(
                        f"the answer is not JSON: {exc}", status=response.code
                    ) from exc
                if decode:
                    for item in data:
                        if item.get(decode) is not None:
                            item[decode] = base64.b64decode(item[decode])
                if is_id:
                    data = data["ID"]
                if one and isinstance(data, list):
                    data = data[0] if data else None
                if finish is not None:
                    data = finish(data)
            if index:
                return response.headers.get("X-Consul-Index"), data
            return data

        return callback
