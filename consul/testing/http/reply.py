"""What a handler answers: a :class:`Reply`, and JSON as a dev agent writes it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring as _quote  # the C one, when built
from typing import Any

__all__ = [
    "Reply",
    "Stream",
    "Write",
    "empty_reply",
    "encode_json",
    "go_float",
    "json_reply",
    "marshal_string_map",
    "stream_reply",
    "text_reply",
]

#: Writes (and flushes) a part of a streamed body; raises ConnectionError
#: once the client has gone (an empty part only checks for that).
Write = Callable[[bytes], Awaitable[None]]
#: Writes a streamed body with the :data:`Write` it is given, until done.
Stream = Callable[[Write], Awaitable[None]]


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
    #: A body written as it comes, after the headers (a snapshot, a log
    #: stream): replaces ``body``.
    stream: Stream | None = None


#: What Go escapes in strings that JSON does not require to: ``<``, ``>``,
#: ``&`` and U+2028/U+2029. They can only appear inside strings, so
#: replacing them in the output is exact.
_GO_ESCAPES = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def go_float(value: float) -> str:
    """A float64 as Go's ``encoding/json`` writes it (``floatEncoder``).

    The shortest digits that read back as the same number (Python's
    ``repr`` finds the same ones as ``strconv``), in plain notation
    (``0.00001``, ``3`` for ``3.0``) unless the magnitude is below 1e-6 or
    from 1e21 on, then as ``1e-7`` / ``1e+21`` (Go trims one leading zero of
    a negative exponent).
    """
    text = repr(value)
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = text.partition("e")
        if exponent.startswith("-0"):
            exponent = "-" + exponent[2:]
        return f"{mantissa}e{exponent}"
    if "e" in text:
        text = format(Decimal(text), "f")
    return text.removesuffix(".0")


def _write(obj: Any, out: list[str], newline: str) -> None:
    """Append the JSON of ``obj`` to ``out``; ``newline`` is a line break and its indentation.

    Strings and integers inside containers are written in the container's
    loop: most values are, and a call less for each counts.
    """
    kind = type(obj)
    if kind is str:
        out.append(_quote(obj))
    elif kind is int:
        out.append(int.__repr__(obj))
    elif obj is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if obj else "false")
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        inner = newline + "    "
        before = "{" + inner
        for key, value in obj.items():
            name = _quote(key if type(key) is str else str(key))
            kind = type(value)
            if kind is str:
                out.append(f"{before}{name}: {_quote(value)}")
            elif kind is int:
                out.append(f"{before}{name}: {int.__repr__(value)}")
            else:
                out.append(f"{before}{name}: ")
                _write(value, out, inner)
            before = "," + inner
        out.append(newline + "}")
    elif isinstance(obj, list | tuple):
        if not obj:
            out.append("[]")
            return
        inner = newline + "    "
        before = "[" + inner
        for value in obj:
            kind = type(value)
            if kind is str:
                out.append(before + _quote(value))
            else:
                out.append(before)
                _write(value, out, inner)
            before = "," + inner
        out.append(newline + "]")
    elif kind is float:
        out.append(go_float(obj))
    elif isinstance(obj, str):  # a str enum...
        out.append(_quote(str(obj)))
    elif isinstance(obj, int):
        out.append(int.__repr__(int(obj)))
    else:
        raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")


def encode_json(obj: Any) -> bytes:
    """JSON as a dev agent writes it (``json.MarshalIndent(obj, "", "    ")``).

    Strings are quoted by the standard library's C quoting (which escapes
    what Go does: ``"``, ``\\``, control characters, with ``\\b`` and
    ``\\f`` as Go 1.22+ writes them), then Go's extra escapes are applied;
    other non-ASCII characters are written as they are, as Go writes them.
    Numbers as Go writes them (:func:`go_float`). Written by hand rather
    than with ``json.dumps(indent=4)``, whose indenting encoder is the slow
    pure-Python one: every answer goes through here.
    """
    out: list[str] = []
    _write(obj, out, "\n")
    text = "".join(out)
    for char, escape in _GO_ESCAPES:
        if char in text:
            text = text.replace(char, escape)
    return text.encode("utf-8", "surrogatepass")


def marshal_string_map(obj: dict[str, str]) -> str:
    """A ``map[string]string`` as ``json.Marshal`` writes it: compact, keys sorted."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in _GO_ESCAPES:
        text = text.replace(char, escape)
    return text


def json_reply(obj: Any, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(status, encode_json(obj), "application/json")


def text_reply(text: str, status: int = 200) -> Reply:
    """A plain-text reply (Go sniffs ``text/plain; charset=utf-8``)."""
    return Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def stream_reply(stream: Stream, content_type: str | None = None) -> Reply:
    """A 200 whose body ``stream`` writes once the headers are out (Go's ``Flush``)."""
    return Reply(200, b"", content_type, stream=stream)


def empty_reply(status: int = 200) -> Reply:
    """A handler that returned nil: status 200 and no body."""
    return Reply(status)
