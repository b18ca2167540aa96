"""Small composable decoders: pure functions from a :class:`Response` to a value.

Every decoder starts by mapping an unexpected HTTP status to the exception of
:mod:`consul.exceptions`, so this is the one place where a status becomes an
error. Adapters never raise for a status. An answer a decoder cannot read
(invalid JSON, an unexpected shape) becomes
:class:`~consul.exceptions.InvalidResponse` in :meth:`Call.result
<consul._http.Call.result>`.
"""

from __future__ import annotations

import base64
import binascii
import json as _json
from collections.abc import Callable
from typing import Any, TypeVar

from ._http import Response
from ._meta import Indexed
from .exceptions import ConsulException, InvalidResponse, for_status

T = TypeVar("T")
U = TypeVar("U")

Decoder = Callable[[Response], T]


def error(response: Response) -> ConsulException:
    """The exception for an unexpected ``response`` (not raised here)."""
    message = response.body.decode("utf-8", "replace").strip()
    return for_status(response.status)(
        message,
        status=response.status,
        method=response.request.method,
        path=response.request.path,
    )


def check(response: Response, *ok: int) -> Response:
    """Return ``response`` if its status is 200 (or one of ``ok``), else raise."""
    if response.status == 200 or response.status in ok:
        return response
    raise error(response)


def index(response: Response) -> int:
    """The ``X-Consul-Index`` of the answer to an indexed read.

    Consul sets it on every such answer, 404 included, and never to 0
    (``agent/http.go`` ``setIndex``); a missing or malformed one is an error
    here, as in Consul's Go client (``api/api.go`` ``parseQueryMeta``), rather
    than an index 0 that would turn a blocking loop into a busy one.
    """
    value = response.header("X-Consul-Index")
    if value is None:
        problem = "no X-Consul-Index header"
    elif value.isascii() and value.isdigit() and int(value) < 2**64:
        return int(value)
    else:
        problem = f"X-Consul-Index is not an unsigned 64-bit integer: {value[:40]!r}"
    raise InvalidResponse(
        f"{problem} in the answer to an indexed read",
        status=response.status,
        method=response.request.method,
        path=response.request.path,
    )


_DECODER = _json.JSONDecoder()
_parse = _DECODER.decode
#: The decoder's scanner (set by its ``__init__``, not in its stubs).
_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def loads(text: str) -> Any:
    """``json.loads(text)``, quicker when nothing but whitespace follows the value.

    Consul's JSON is UTF-8 (Go's ``encoding/json``): the body is decoded as
    such, not sniffed for another encoding first as ``json.loads`` does with
    bytes. The value is read with the decoder's scanner; anything unusual
    (whitespace before it, anything after it but whitespace, no value) goes
    to the decoder's own ``decode``, whose result and errors are
    ``json.loads``'s.
    """
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _parse(text)
    if end != len(text) and text[end:].strip(" \t\n\r"):
        return _parse(text)
    return value


def json(response: Response) -> Any:
    """The JSON body of a 200 response (None for an empty one)."""
    if response.status != 200:
        raise error(response)
    body = response.body
    return loads(body.decode()) if body and not body.isspace() else None


def json_list(response: Response) -> list[Any]:
    """The JSON array body of a 200 response; Consul's ``null`` is an empty list."""
    return listed(json(response))


def boolean(response: Response) -> bool:
    """True if Consul answered ``true`` (KV writes, session destroy, ...)."""
    return check(response).body.strip() == b"true"


def true(response: Response) -> bool:
    """True once the call succeeded (the original API's ``True`` for writes)."""
    check(response)
    return True


def indexed(decoder: Decoder[T]) -> Decoder[Indexed[T]]:
    """Pair ``decoder``'s value with the response's ``X-Consul-Index``.

    The pair carries the answer's other metadata too (:class:`~consul.QueryMeta`).
    """

    def decode(response: Response) -> Indexed[T]:
        # The value first: an error status raises its own exception, whether
        # or not the answer has an index.
        value = decoder(response)
        return Indexed.of(value, index(response), response)

    return decode


def indexed_or_none(decoder: Decoder[T]) -> Decoder[Indexed[T | None]]:
    """Like ``indexed(or_none(decoder))``, for reads whose 404 may carry no index.

    Consul answers some missing objects before it sets the meta headers
    (``agent/peering_endpoint.go``; any path Consul CE does not serve): the
    pair is then ``(0, None)``, the index Go's client reports for them.
    """

    def decode(response: Response) -> Indexed[T | None]:
        if response.status == 404:
            value = response.header("X-Consul-Index")
            return Indexed.of(None, index(response) if value is not None else 0, response)
        return indexed(decoder)(response)

    return decode


def or_none(decoder: Decoder[T]) -> Decoder[T | None]:
    """Like ``decoder``, but a 404 is the normal answer ``None``."""

    def decode(response: Response) -> T | None:
        if response.status == 404:
            return None
        return decoder(response)

    return decode


def mapped(decoder: Decoder[T], fn: Callable[[T], U]) -> Decoder[U]:
    """Apply ``fn`` to what ``decoder`` returns."""

    def decode(response: Response) -> U:
        return fn(decoder(response))

    return decode


def field(name: str) -> Decoder[Any]:
    """One field of a JSON object body (``{"ID": ...}`` -> the ID)."""

    def decode(response: Response) -> Any:
        return json(response)[name]

    return decode


def listed(data: list[T] | None) -> list[T]:
    """A JSON array that may be ``null`` (or a body that may be empty), as a list."""
    return data or []


def first(data: list[Any] | None) -> Any:
    """The first element of a JSON array; None for ``null`` or an empty array."""
    return data[0] if data else None


def b64(value: str | None) -> bytes | None:
    """Decode one of Consul's base64 fields (``null`` stays None)."""
    return None if value is None else base64.b64decode(value)


def kv_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A KV entry with its ``Value`` decoded from base64 to bytes (``null`` stays None)."""
    value = entry.get("Value")
    # What base64.b64decode(value) does, without its Python layers.
    entry["Value"] = None if value is None else binascii.a2b_base64(value)
    return entry
