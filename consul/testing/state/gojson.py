"""Decoding request bodies the way Consul's Go code does.

Consul decodes JSON bodies with Go's ``encoding/json`` into structs, mostly
through ``lib.DecodeJSON`` (``lib/json.go``), which sets
``DisallowUnknownFields``. That gives rules a client can observe:

- bad syntax is refused with the scanner's text (``invalid character 'x'
  looking for beginning of value``), an empty body is ``EOF`` and a cut one
  ``unexpected EOF``; only the first JSON value is read;
- field names match case-insensitively (an exact match first);
- an unknown field is an error: ``json: unknown field "Foo"``;
- a value of the wrong JSON type is an error such as ``json: cannot
  unmarshal string into Go struct field ServiceDefinition.Port of type int``;
- decoding goes on after such an error and the *first* one is reported;
- ``null`` leaves a field at its zero value.

The Go types are :mod:`.gotypes`'. :func:`decode` returns plain dicts keyed
by the canonical field names; absent fields are absent. The syntax check is
our own transcription of Go's scanner (``encoding/json/scanner.go``), run
only on a body Python's parser refused, so its texts do not depend on
another parser's messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .golang import parse_duration
from .golang import quote as go_quote
from .gotypes import Field, GoType, Map, Ptr, Scalar, Slice, Struct

__all__ = ["DecodeError", "decode", "decode_base64", "decode_json", "json_kind", "syntax_error"]


class DecodeError(ValueError):
    """A body Go's ``encoding/json`` would refuse; ``str()`` is Go's message."""


def json_kind(value: Any) -> str:
    """What ``encoding/json`` calls a JSON value in its errors (``bool``, ``number``...)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# -- syntax (encoding/json/scanner.go) ------------------------------------------------

_SPACE = frozenset(b" \t\r\n")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = frozenset(b'bfnrt\\/"')
_LITERALS = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}
#: ``maxNestingDepth``: the scanner refuses a value nested deeper.
MAX_NESTING_DEPTH = 10000


def _char(byte: int) -> str:
    """``quoteChar``: how the scanner shows the byte it refused."""
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    return "'" + go_quote(chr(byte))[1:-1] + "'"


class _Syntax(Exception):
    pass


def _invalid(byte: int, context: str) -> _Syntax:
    return _Syntax(f"invalid character {_char(byte)} {context}")


def syntax_error(data: bytes) -> str | None:
    """Go's error for the first JSON value of ``data``, or None if it is well formed.

    The decoder reads one value: whatever follows it is not looked at.
    """
    try:
        _scan(data)
    except _Syntax as exc:
        return str(exc)
    return None


def _scan(data: bytes) -> None:
    end = len(data)
    pos = 0
    # Open containers: "{" or "[".
    stack: list[int] = []

    def skip(pos: int) -> int:
        while pos < end and data[pos] in _SPACE:
            pos += 1
        if pos >= end:
            raise _Syntax("unexpected EOF")
        return pos

    state = "value"
    while True:
        if state in ("value", "value-or-close"):
            pos = skip(pos)
            byte = data[pos]
            if byte == ord("{") or byte == ord("["):
                stack.append(byte)
                if len(stack) > MAX_NESTING_DEPTH:  # pushParseState
                    raise _invalid(byte, "exceeded max depth")
                pos += 1
                state = "key-or-close" if byte == ord("{") else "value-or-close"
            elif byte == ord("]") and state == "value-or-close":
                stack.pop()
                pos, state = pos + 1, "end"
            elif byte == ord('"'):
                pos, state = _string(data, pos + 1), "end"
            elif byte == ord("-") or byte in _DIGITS:
                pos, state = _number(data, pos), "end"
            elif byte in _LITERALS:
                pos, state = _literal(data, pos, _LITERALS[byte]), "end"
            else:
                raise _invalid(byte, "looking for beginning of value")
        elif state in ("key", "key-or-close"):
            pos = skip(pos)
            byte = data[pos]
            if byte == ord("}") and state == "key-or-close":
                stack.pop()
                pos, state = pos + 1, "end"
            elif byte == ord('"'):
                pos, state = _string(data, pos + 1), "colon"
            else:
                raise _invalid(byte, "looking for beginning of object key string")
        elif state == "colon":
            pos = skip(pos)
            if data[pos] != ord(":"):
                raise _invalid(data[pos], "after object key")
            pos, state = pos + 1, "value"
        else:  # the end of a value
            if not stack:
                return
            pos = skip(pos)
            byte = data[pos]
            if stack[-1] == ord("{"):
                if byte == ord(","):
                    pos, state = pos + 1, "key"
                elif byte == ord("}"):
                    stack.pop()
                    pos += 1
                else:
                    raise _invalid(byte, "after object key:value pair")
            elif byte == ord(","):
                pos, state = pos + 1, "value"
            elif byte == ord("]"):
                stack.pop()
                pos += 1
            else:
                raise _invalid(byte, "after array element")


def _string(data: bytes, pos: int) -> int:
    """Past the string whose opening quote is before ``pos``."""
    end = len(data)
    while pos < end:
        byte = data[pos]
        if byte == ord('"'):
            return pos + 1
        if byte == ord("\\"):
            if pos + 1 >= end:
                break
            escape = data[pos + 1]
            if escape == ord("u"):
                for offset in range(2, 6):
                    if pos + offset >= end:
                        raise _Syntax("unexpected EOF")
                    if data[pos + offset] not in _HEX:
                        raise _invalid(data[pos + offset], "in \\u hexadecimal character escape")
                pos += 6
                continue
            if escape not in _ESCAPES:
                raise _invalid(escape, "in string escape code")
            pos += 2
            continue
        if byte < 0x20:
            raise _invalid(byte, "in string literal")
        pos += 1
    raise _Syntax("unexpected EOF")


def _digits(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _DIGITS:
        pos += 1
    return pos


def _number(data: bytes, pos: int) -> int:
    """Past the number starting at ``pos``; the byte after it is the caller's."""
    end = len(data)
    if data[pos] == ord("-"):
        pos += 1
        if pos >= end:
            raise _Syntax("unexpected EOF")
        if data[pos] not in _DIGITS:
            raise _invalid(data[pos], "in numeric literal")
    pos = pos + 1 if data[pos] == ord("0") else _digits(data, pos)
    if pos < end and data[pos] == ord("."):
        pos += 1
        if pos >= end:
            raise _Syntax("unexpected EOF")
        if data[pos] not in _DIGITS:
            raise _invalid(data[pos], "after decimal point in numeric literal")
        pos = _digits(data, pos)
    if pos < end and data[pos] in b"eE":
        pos += 1
        if pos < end and data[pos] in b"+-":
            pos += 1
        if pos >= end:
            raise _Syntax("unexpected EOF")
        if data[pos] not in _DIGITS:
            raise _invalid(data[pos], "in exponent of numeric literal")
        pos = _digits(data, pos)
    return pos


def _literal(data: bytes, pos: int, word: bytes) -> int:
    for offset in range(1, len(word)):
        if pos + offset >= len(data):
            raise _Syntax("unexpected EOF")
        byte = data[pos + offset]
        if byte != word[offset]:
            name, expected = word.decode(), chr(word[offset])
            raise _invalid(byte, f"in literal {name} (expecting '{expected}')")
    return pos + len(word)


# -- values into Go types -------------------------------------------------------------

_INTEGER_KINDS = ("int", "uint")
_NUMBER_KINDS = ("int", "uint", "float")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]")


def decode_base64(text: str) -> bytes:
    """``base64.StdEncoding`` as Go's JSON decodes ``[]byte`` (newlines are skipped)."""
    data = text.replace("\r", "").replace("\n", "").encode()
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        bad = next(
            (i for i, c in enumerate(data) if not _BASE64.match(bytes([c])) and c != ord("=")),
            None,
        )
        if bad is None:
            bad = len(data) - len(data) % 4 if len(data) % 4 else data.find(b"=")
        raise ValueError(f"illegal base64 data at input byte {max(bad, 0)}") from None


class _Mismatch(Exception):
    pass


def _scalar(value: Any, scalar: Scalar) -> Any:
    """``value`` as ``scalar`` holds it; _Mismatch if it cannot, ValueError for Go's own errors."""
    kind = scalar.kind
    if kind == "any":
        return value
    if kind in ("string", "bytes"):
        if not isinstance(value, str):
            raise _Mismatch
        return decode_base64(value) if kind == "bytes" else value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _Mismatch
        return value
    if kind == "duration":
        # Consul's durations: a Go duration string or nanoseconds; seconds here.
        if isinstance(value, str):
            return parse_duration(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Mismatch
        return float(value) / 1e9
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Mismatch
    if kind == "float":
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise _Mismatch
    bits = scalar.bits
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if kind == "int" else (0, 2**bits)
    if not low <= value < high:
        raise _Mismatch
    return int(value)


class _Decoder:
    def __init__(self) -> None:
        self.first_error: str | None = None

    def fail(self, message: str) -> None:
        if self.first_error is None:
            self.first_error = message

    def mismatch(self, value: Any, go_type: GoType, path: list[str]) -> None:
        kind = json_kind(value)
        if kind == "number" and isinstance(go_type, Scalar) and go_type.kind in _NUMBER_KINDS:
            # Go names the literal when a number does not fit a number field.
            kind = f"number {value!r}"
        self.fail(
            f"json: cannot unmarshal {kind} into Go struct field {'.'.join(path)} "
            f"of type {go_type.name}"
        )

    def value(self, value: Any, go_type: GoType, path: list[str]) -> Any:
        if value is None:
            return None
        while isinstance(go_type, Ptr):
            go_type = go_type.elem
        if isinstance(go_type, Struct):
            if not isinstance(value, dict):
                self.mismatch(value, go_type, path)
                return None
            return self.struct(value, go_type, path)
        if isinstance(go_type, Slice):
            if not isinstance(value, list):
                self.mismatch(value, go_type, path)
                return None
            return [self.value(item, go_type.elem, path) for item in value]
        if isinstance(go_type, Map):
            if not isinstance(value, dict):
                self.mismatch(value, go_type, path)
                return None
            return {k: self.value(v, go_type.elem, path) for k, v in value.items()}
        try:
            return _scalar(value, go_type)
        except _Mismatch:
            self.mismatch(value, go_type, path)
        except ValueError as exc:
            self.fail(str(exc))
        return None

    def struct(self, obj: dict[str, Any], spec: Struct, path: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        prefix = path or [spec.short_name]
        for key, raw in obj.items():
            found: Field | None = spec.lookup(key)
            if found is None:
                if not spec.allow_unknown:
                    self.fail(f"json: unknown field {json.dumps(key)}")
                continue
            path = [*prefix, found.name]
            decoded = raw if found.opaque else self.value(raw, found.type, path)
            if decoded is not None:
                out[found.name] = decoded
        return out


def decode(data: Any, spec: Struct) -> dict[str, Any]:
    """Decode parsed JSON ``data`` into ``spec``; DecodeError with Go's message."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = json_kind(data)
        raise DecodeError(f"json: cannot unmarshal {kind} into Go value of type {spec.name}")
    decoder = _Decoder()
    out = decoder.struct(data, spec, [])
    if decoder.first_error is not None:
        raise DecodeError(decoder.first_error)
    return out


def _no_constant(name: str) -> Any:
    # Python reads NaN and Infinity; Go does not (the scanner says how).
    raise ValueError(name)


_PARSER = json.JSONDecoder(parse_constant=_no_constant)


def _parse_nested(text: str, pos: int) -> Any:
    """The JSON value at ``pos`` of well-formed ``text``, without recursion.

    For values nested deeper than Python's own parser goes; the syntax has
    been checked already (:func:`syntax_error`). Containers are opened and
    closed here, everything else is read by the standard parser.
    """
    # Open containers, each with the key its next value goes under.
    stack: list[tuple[dict[str, Any] | list[Any], list[str]]] = []
    while True:
        while text[pos] in " \t\r\n,:":
            pos += 1
        char = text[pos]
        if char in "{[":
            stack.append(({} if char == "{" else [], []))
            pos += 1
            continue
        if char in "}]":
            pos += 1
            value: Any = stack.pop()[0]
        else:
            value, pos = _PARSER.raw_decode(text, pos)
            if stack and isinstance(stack[-1][0], dict) and not stack[-1][1]:
                stack[-1][1].append(value)  # an object's key: its value follows
                continue
        if not stack:
            return value
        container, key = stack[-1]
        if isinstance(container, dict):
            container[key.pop()] = value
        else:
            container.append(value)


def decode_json(body: bytes, spec: Struct | None = None) -> Any:
    """Parse ``body`` as Go's ``json.Decoder`` does, then decode it into ``spec``.

    An empty body is Go's ``EOF``; a cut one ``unexpected EOF``; bad syntax
    the scanner's error (:func:`syntax_error`).
    """
    start = 0
    while start < len(body) and body[start] in _SPACE:
        start += 1
    if start == len(body):
        raise DecodeError("EOF")
    text = body.decode("utf-8", "replace")
    try:
        # Go's whitespace is ASCII, so byte and character positions agree here.
        data, _ = _PARSER.raw_decode(text, start)
    except RecursionError:
        # Nested deeper than Python's parser recurses; Go reads 10000 levels.
        problem = syntax_error(body)
        if problem is not None:
            raise DecodeError(problem) from None
        data = _parse_nested(text, start)
    except ValueError:
        # Only the scanner's verdict is reported (a body Go reads but Python
        # does not, such as a number of thousands of digits, is cut short).
        raise DecodeError(syntax_error(body) or "unexpected EOF") from None
    return decode(data, spec) if spec is not None else data
