"""Decoding request bodies the way Consul's Go code does.

Consul decodes JSON bodies with Go's ``encoding/json`` into structs, mostly
through ``lib.DecodeJSON`` (``lib/json.go``), which sets
``DisallowUnknownFields``. That gives rules a client can observe:

- field names match case-insensitively (an exact match first);
- an unknown field is an error: ``json: unknown field "Foo"``;
- a value of the wrong JSON type is an error such as ``json: cannot
  unmarshal string into Go struct field ServiceDefinition.Port of type int``;
- decoding goes on after such an error and the *first* one is reported;
- ``null`` leaves a field at its zero value.

A :class:`Struct` describes one Go struct: its name, and for each field a
kind (:data:`STRING`, :data:`INT`, ...), a nested :class:`Struct`,
:class:`ListOf` or :class:`MapOf`. :func:`decode` returns plain dicts keyed by
the canonical field names; absent fields are absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .golang import parse_duration

__all__ = [
    "ANY",
    "BOOL",
    "DURATION",
    "FLOAT",
    "INT",
    "STRING",
    "UINT",
    "DecodeError",
    "ListOf",
    "MapOf",
    "Scalar",
    "Struct",
    "decode",
    "decode_json",
]


class DecodeError(ValueError):
    """A body Go's ``encoding/json`` would refuse; ``str()`` is Go's message."""


@dataclass(frozen=True)
class Scalar:
    """A Go scalar type: its name, and a check of a JSON value."""

    go_type: str
    accept: Callable[[Any], Any]


def _string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise TypeError


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise TypeError


def _int(bits: int, signed: bool) -> Callable[[Any], Any]:
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)

    def accept(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        if not low <= value < high:
            raise ValueError
        return int(value)

    return accept


def _float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _any(value: Any) -> Any:
    return value


def _duration(value: Any) -> Any:
    """Consul's durations: a Go duration string or a number of nanoseconds."""
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int | float):
        return float(value) / 1e9
    if isinstance(value, str):
        return parse_duration(value)
    raise TypeError


STRING = Scalar("string", _string)
BOOL = Scalar("bool", _bool)
INT = Scalar("int", _int(64, True))
UINT = Scalar("uint64", _int(64, False))
FLOAT = Scalar("float64", _float)
#: A ``time.Duration`` with Consul's lenient JSON form (string or nanoseconds);
#: decoded to seconds as a float.
DURATION = Scalar("time.Duration", _duration)
#: ``interface{}``: anything.
ANY = Scalar("interface {}", _any)


@dataclass(frozen=True)
class ListOf:
    """A Go slice ``[]elem``."""

    elem: Spec

    @property
    def go_type(self) -> str:
        return "[]" + self.elem.go_type


@dataclass(frozen=True)
class MapOf:
    """A Go map ``map[string]elem``."""

    elem: Spec

    @property
    def go_type(self) -> str:
        return "map[string]" + self.elem.go_type


@dataclass(frozen=True)
class Struct:
    """A Go struct: ``name`` as Go prints it (``structs.CheckType``), its fields.

    ``aliases`` maps extra accepted names (Consul's snake_case spellings) to
    canonical ones. ``allow_unknown`` is for structs decoded without
    ``DisallowUnknownFields``.
    """

    go_type: str
    fields: Mapping[str, Spec]
    aliases: Mapping[str, str] = field(default_factory=dict)
    allow_unknown: bool = False

    def __post_init__(self) -> None:
        folded: dict[str, str] = {}
        for name in list(self.fields) + list(self.aliases):
            folded.setdefault(name.lower(), name)
        object.__setattr__(self, "_folded", folded)

    def lookup(self, key: str) -> str | None:
        """The canonical field a JSON key sets, or None if unknown."""
        name = key if key in self.fields or key in self.aliases else None
        if name is None:
            name = self._folded.get(key.lower())  # type: ignore[attr-defined]
        if name is None:
            return None
        return self.aliases.get(name, name)


Spec = Scalar | ListOf | MapOf | Struct


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


class _Decoder:
    def __init__(self, root: Struct) -> None:
        self.root = root
        self.first_error: str | None = None

    def fail(self, message: str) -> None:
        if self.first_error is None:
            self.first_error = message

    def mismatch(self, value: Any, spec: Spec, path: list[str]) -> None:
        where = ".".join(path)
        kind = json_kind(value)
        if kind == "number" and spec in (INT, UINT, FLOAT):
            # Go names the literal when a number does not fit a number field.
            kind = f"number {value!r}"
        self.fail(
            f"json: cannot unmarshal {kind} into Go struct field {where} of type {spec.go_type}"
        )

    def value(self, value: Any, spec: Spec, path: list[str]) -> Any:
        if value is None:
            return None
        if isinstance(spec, Struct):
            if not isinstance(value, dict):
                self.mismatch(value, spec, path)
                return None
            return self.struct(value, spec, path)
        if isinstance(spec, ListOf):
            if not isinstance(value, list):
                self.mismatch(value, spec, path)
                return None
            return [self.value(item, spec.elem, path) for item in value]
        if isinstance(spec, MapOf):
            if not isinstance(value, dict):
                self.mismatch(value, spec, path)
                return None
            return {k: self.value(v, spec.elem, path) for k, v in value.items()}
        try:
            return spec.accept(value)
        except ValueError as exc:
            if spec is DURATION and isinstance(value, str):
                self.fail(str(exc))
            else:
                self.mismatch(value, spec, path)
        except TypeError:
            self.mismatch(value, spec, path)
        return None

    def struct(self, obj: dict[str, Any], spec: Struct, path: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        prefix = path or [spec.go_type.rsplit(".", 1)[-1]]
        for key, raw in obj.items():
            name = spec.lookup(key)
            if name is None:
                if not spec.allow_unknown:
                    self.fail(f"json: unknown field {json.dumps(key)}")
                continue
            decoded = self.value(raw, spec.fields[name], [*prefix, name])
            if decoded is not None:
                out[name] = decoded
        return out


def decode(data: Any, spec: Struct) -> dict[str, Any]:
    """Decode parsed JSON ``data`` into ``spec``; DecodeError with Go's message."""
    if data is None:
        return {}
    decoder = _Decoder(spec)
    if not isinstance(data, dict):
        kind = json_kind(data)
        raise DecodeError(f"json: cannot unmarshal {kind} into Go value of type {spec.go_type}")
    out = decoder.struct(data, spec, [])
    if decoder.first_error is not None:
        raise DecodeError(decoder.first_error)
    return out


def decode_json(body: bytes, spec: Struct | None = None) -> Any:
    """Parse ``body`` as Go's ``json.Decoder`` does, then decode it into ``spec``.

    An empty body is Go's ``EOF``; a truncated one ``unexpected EOF``; bad
    syntax ``invalid character 'x' looking for beginning of value``.
    """
    text = body.decode("utf-8", "replace")
    if not text.strip():
        raise DecodeError("EOF")
    try:
        data, _ = json.JSONDecoder(parse_constant=_no_constant).raw_decode(text.lstrip())
    except json.JSONDecodeError as exc:
        raise DecodeError(_syntax_error(exc)) from None
    except ValueError as exc:
        raise DecodeError(str(exc)) from None
    if isinstance(data, float) and not math.isfinite(data):
        raise DecodeError("invalid character 'I' looking for beginning of value")
    return decode(data, spec) if spec is not None else data


def _no_constant(name: str) -> Any:
    raise ValueError(
        f"invalid character {json.dumps(name[0])[1:-1]!r} looking for beginning of value"
    )


def _syntax_error(exc: json.JSONDecodeError) -> str:
    if exc.pos >= len(exc.doc.rstrip()):
        return "unexpected EOF"
    char = exc.doc[exc.pos]
    shown = char if char != "'" else "\\'"
    if exc.msg.startswith("Expecting property name"):
        return f"invalid character '{shown}' looking for beginning of object key string"
    if exc.msg.startswith("Expecting ':'"):
        return f"invalid character '{shown}' after object key"
    if exc.msg.startswith("Expecting ',' delimiter"):
        where = "object key:value pair" if _inside_object(exc.doc, exc.pos) else "array element"
        return f"invalid character '{shown}' after {where}"
    if exc.msg.startswith("Invalid control character"):
        return f"invalid character {json.dumps(char)[1:-1]!r} in string literal"
    return f"invalid character '{shown}' looking for beginning of value"


def _inside_object(doc: str, pos: int) -> bool:
    depth: list[str] = []
    in_string = escaped = False
    for char in doc[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth.append(char)
        elif char in "]}" and depth:
            depth.pop()
    return bool(depth) and depth[-1] == "{"
