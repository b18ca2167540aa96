"""Go's ``mapstructure`` (v1.5): a decoded JSON value into a Go type, weakly typed.

Consul decodes maps into structs with it in two configurations, one model
here serving both (:func:`decode`, over the Go types of :mod:`.gotypes`):

- ``structs.DecodeConfigEntry`` (``agent/structs/config_entry.go``), for
  configuration entries (:mod:`.configentries.decode`): ``WeaklyTypedInput``
  and the hooks ``decode.HookWeakDecodeFromSlice``,
  ``decode.HookTranslateKeys`` and string-to-``time.Duration``; the keys no
  field took are kept (``Metadata.Unused``) for the caller to refuse;
- ``authmethod.ParseConfig`` (``agent/consul/authmethod/authmethods.go``),
  for an auth method's ``Config``: ``WeaklyTypedInput``,
  ``HookWeakDecodeFromSlice`` and ``ErrorUnused`` (a key no field took is an
  error, ``'' has invalid keys: A, B``); a duration is only a number of
  nanoseconds there (``"5s"`` cannot be parsed).

The rules kept, with ``mapstructure``'s error texts:

- a key matches a field by its exact name, else by any case of it; an
  alias of the struct (:attr:`~.gotypes.Struct.aliases`, only config
  entries' structs have them) is renamed to its field's name first, unless
  that name is there already;
- ``HookWeakDecodeFromSlice``: a one-element list stands for its element,
  unless a list is wanted;
- weak conversions: a bool or number into a string; a number, a bool or a
  numeric string into an integer or float (in range of its size); a number
  or ``strconv.ParseBool`` text into a bool; a single value into a list; a
  list of maps into one map;
- ``null`` leaves the field at its zero value;
- errors are collected and reported together, sorted; the unused keys are
  named with their path (``Expose.Foo``, ``Routes[0].Bar``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from .golang import go_value, parse_bool, parse_duration_ns
from .gotypes import GoType, Map, Ptr, Scalar, Slice, Struct

__all__ = ["MapDecodeError", "decode"]


class MapDecodeError(ValueError):
    """What ``mapstructure`` refuses; ``str()`` is its message."""


def _kind(value: Any) -> str:
    """``reflect.Kind`` of a value ``encoding/json`` decoded into an ``interface{}``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "slice"
    return "map"


def _type(value: Any) -> str:
    """The Go type of such a value, as ``%s`` of its ``reflect.Type`` prints it."""
    kind = _kind(value)
    return {"slice": "[]interface {}", "map": "map[string]interface {}"}.get(kind, kind)


def _format_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'f', -1, 64)``."""
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


class _Decoder:
    def __init__(self, *, duration_strings: bool, error_unused: bool) -> None:
        self.duration_strings = duration_strings
        self.error_unused = error_unused
        self.errors: list[str] = []
        self.unused: list[str] = []

    def unconvertible(self, name: str, go_type: GoType, value: Any) -> None:
        self.errors.append(
            f"'{name}' expected type '{go_type.name}', got unconvertible type "
            f"'{_type(value)}', value: '{go_value(value)}'"
        )

    def decode(self, name: str, data: Any, go_type: GoType) -> Any:
        # HookWeakDecodeFromSlice: a one-element list into anything but a list.
        slice_like = isinstance(go_type, Slice) or (
            isinstance(go_type, Ptr) and isinstance(go_type.elem, Slice)
        )
        if isinstance(data, list) and len(data) == 1 and not slice_like:
            data = data[0]
        if data is None:
            return _zero(go_type)
        if isinstance(go_type, Ptr):
            return self.decode(name, data, go_type.elem)
        if isinstance(go_type, Struct):
            return self.struct(name, data, go_type)
        if isinstance(go_type, Slice):
            return self.slice(name, data, go_type)
        if isinstance(go_type, Map):
            return self.map(name, data, go_type)
        return self.scalar(name, data, go_type)

    def struct(self, name: str, data: Any, spec: Struct) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.errors.append(f"'{name}' expected a map, got '{_kind(data)}'")
            return None
        source = dict(data)
        # HookTranslateKeys: an alias becomes its field's (lower-cased) name.
        if spec.aliases:
            aliases = {alias.lower(): field.lower() for alias, field in spec.aliases.items()}
            for given in list(source):
                canonical = aliases.get(given.lower())
                if canonical is None:
                    continue
                value = source.pop(given)
                source.setdefault(canonical, value)
        unused = dict.fromkeys(source)
        out: dict[str, Any] = {}
        for member in spec.fields:
            key: str | None = member.name if member.name in source else None
            if key is None:
                folded = member.name.lower()
                key = next((k for k in source if k.lower() == folded), None)
            if key is None:
                out[member.name] = _zero(member.type)
                continue
            unused.pop(key, None)
            path = f"{name}.{member.name}" if name else member.name
            value = source[key]
            if member.opaque:
                out[member.name] = value
            else:
                decoded = self.decode(path, value, member.type)
                out[member.name] = _zero(member.type) if decoded is None else decoded
        if self.error_unused and unused:
            self.errors.append(f"'{name}' has invalid keys: {', '.join(sorted(unused))}")
        for key in unused:
            self.unused.append(f"{name}.{key}" if name else key)
        return out

    def slice(self, name: str, data: Any, go_type: Slice) -> list[Any] | None:
        if not isinstance(data, list):
            if isinstance(data, dict) and not data:
                return []
            data = [data]
        return [self.decode(f"{name}[{i}]", item, go_type.elem) for i, item in enumerate(data)]

    def map(self, name: str, data: Any, go_type: Map) -> dict[str, Any] | None:
        if isinstance(data, list) and all(isinstance(item, dict) for item in data):
            merged: dict[str, Any] = {}
            for i, item in enumerate(data):
                merged.update(self.map(f"{name}[{i}]", item, go_type) or {})
            return merged
        if not isinstance(data, dict):
            self.errors.append(f"'{name}' expected a map, got '{_kind(data)}'")
            return None
        return {
            key: self.decode(f"{name}[{key}]", value, go_type.elem) for key, value in data.items()
        }

    def scalar(self, name: str, data: Any, go_type: Scalar) -> Any:
        kind = go_type.kind
        if kind == "any":
            return data
        if kind == "string":
            if isinstance(data, str):
                return data
            if isinstance(data, bool):
                return "1" if data else "0"
            if isinstance(data, int | float):
                return _format_float(data)
        elif kind == "bool":
            if isinstance(data, bool):
                return data
            if isinstance(data, int | float):
                return data != 0
            if isinstance(data, str):
                parsed = parse_bool(data) if data else False
                if parsed is None:
                    self.errors.append(
                        f"cannot parse '{name}' as bool: strconv.ParseBool: parsing "
                        f'"{data}": invalid syntax'
                    )
                return parsed
        elif kind == "duration":
            # StringToTimeDurationHookFunc, where it is a hook; then a
            # time.Duration is an int64.
            if self.duration_strings and isinstance(data, str):
                try:
                    return parse_duration_ns(data)
                except ValueError as exc:
                    self.errors.append(f"error decoding '{name}': {exc}")
                    return None
            return self.number(name, data, go_type)
        elif kind in ("int", "uint", "float"):
            return self.number(name, data, go_type)
        self.unconvertible(name, go_type, data)
        return None

    def number(self, name: str, data: Any, go_type: Scalar) -> int | float | None:
        kind = "int" if go_type.kind == "duration" else go_type.kind
        if isinstance(data, bool):
            return int(data)
        if isinstance(data, int | float):
            if kind == "float":
                return float(data)
            if not math.isfinite(data):
                self.unconvertible(name, go_type, data)
                return None
            return int(data) % (1 << go_type.bits) if kind == "uint" else int(data)
        if isinstance(data, str):
            text = data or "0"
            try:
                if kind == "float":
                    return float(text)
                number = int(text, 0)
            except ValueError:
                function = {"int": "ParseInt", "uint": "ParseUint", "float": "ParseFloat"}[kind]
                self.errors.append(
                    f"cannot parse '{name}' as {kind}: strconv.{function}: parsing "
                    f'"{data}": invalid syntax'
                )
                return None
            low, high = (0, 1 << go_type.bits) if kind == "uint" else _signed(go_type.bits)
            if not low <= number < high:
                function = "ParseUint" if kind == "uint" else "ParseInt"
                self.errors.append(
                    f"cannot parse '{name}' as {kind}: strconv.{function}: parsing "
                    f'"{data}": value out of range'
                )
                return None
            return number
        self.unconvertible(name, go_type, data)
        return None


def _signed(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), 1 << (bits - 1)


#: Go's zero value of each kind of :class:`Scalar`.
_ZEROS: dict[str, Any] = {
    "string": "",
    "bool": False,
    "int": 0,
    "uint": 0,
    "float": 0.0,
    "duration": 0,
    "bytes": b"",
    "any": None,
}


def _zero(go_type: GoType) -> Any:
    if isinstance(go_type, Struct):
        return {member.name: _zero(member.type) for member in go_type.fields}
    if isinstance(go_type, Scalar):
        return _ZEROS[go_type.kind]
    return None


def decode(
    data: Any, spec: Struct, *, duration_strings: bool = False, error_unused: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """``data`` decoded into ``spec``, with the keys no field took (sorted).

    ``duration_strings`` adds the string-to-``time.Duration`` hook;
    ``error_unused`` is ``ErrorUnused`` (a key no field took is an error).
    The result has every field of ``spec`` (and of the structs inside it),
    absent ones at their zero value; nil slices, maps and pointers are None.
    Raises :class:`MapDecodeError` with ``mapstructure``'s message.
    """
    decoder = _Decoder(duration_strings=duration_strings, error_unused=error_unused)
    out = decoder.decode("", data, spec)
    if decoder.errors:
        points = "\n".join(sorted(f"* {error}" for error in decoder.errors))
        raise MapDecodeError(f"{len(decoder.errors)} error(s) decoding:\n\n{points}")
    return out if out is not None else _zero(spec), sorted(decoder.unused)
