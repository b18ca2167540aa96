"""Decoding an auth method's ``Config`` map as Consul does, with ``mapstructure``.

``authmethod.ParseConfig`` (``agent/consul/authmethod/authmethods.go``)
decodes the map into the type's config struct with ``WeaklyTypedInput`` and
``ErrorUnused``, and the hook ``decode.HookWeakDecodeFromSlice`` (a
one-element list stands for its element). The rules kept here, with
``mapstructure`` v1.5's error texts:

- keys match field names exactly, else in any case; a key that matches no
  field is an error (``'' has invalid keys: A, B``);
- weak conversions: a bool, number or one-element list into a string; a
  single value into a list; a number or numeric string into an integer
  (``time.Duration`` is one: a duration is a number of nanoseconds, a
  string such as ``"5s"`` cannot be parsed); ``"true"``, ``"1"`` or a
  non-zero number into a bool;
- every error is collected; they are reported together, sorted.
"""

from __future__ import annotations

import math
from typing import Any

from .golang import go_value, parse_bool

__all__ = ["ConfigError", "decode_config"]

#: The kinds of fields an auth method's config struct has, by Go type.
STRING, STRINGS, STRING_MAP, BOOL, INT, DURATION = (
    "string",
    "[]string",
    "map[string]string",
    "bool",
    "int",
    "time.Duration",
)


class ConfigError(ValueError):
    """A config ``mapstructure`` refuses; ``str()`` is Consul's message."""


def _go_type(value: Any) -> str:
    """The Go type ``encoding/json`` decodes ``value`` into inside a ``map[string]interface{}``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


class _Decoder:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def unconvertible(self, name: str, kind: str, value: Any) -> None:
        self.errors.append(
            f"'{name}' expected type '{kind}', got unconvertible type "
            f"'{_go_type(value)}', value: '{go_value(value)}'"
        )

    def string(self, name: str, value: Any) -> str | None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # HookWeakDecodeFromSlice
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int | float):
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            return repr(value)
        self.unconvertible(name, STRING, value)
        return None

    def integer(self, name: str, kind: str, value: Any) -> int | None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float) and math.isfinite(value):
            return int(value)
        if isinstance(value, str):
            try:
                return int(value or "0", 0)
            except ValueError:
                self.errors.append(
                    f"cannot parse '{name}' as int: strconv.ParseInt: parsing "
                    f'"{value}": invalid syntax'
                )
                return None
        self.unconvertible(name, kind, value)
        return None

    def boolean(self, name: str, value: Any) -> bool | None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            parsed = parse_bool(value) if value else False
            if parsed is None:
                self.errors.append(
                    f"cannot parse '{name}' as bool: strconv.ParseBool: parsing "
                    f'"{value}": invalid syntax'
                )
            return parsed
        self.unconvertible(name, BOOL, value)
        return None

    def field(self, name: str, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == STRING:
            return self.string(name, value)
        if kind in (INT, DURATION):
            return self.integer(name, kind, value)
        if kind == BOOL:
            return self.boolean(name, value)
        if kind == STRINGS:
            items = value if isinstance(value, list) else [value]
            out = [self.string(f"{name}[{i}]", item) for i, item in enumerate(items)]
            return [item for item in out if item is not None]
        if not isinstance(value, dict):
            self.errors.append(f"'{name}' expected a map, got '{_go_type(value)}'")
            return None
        found = {key: self.string(f"{name}[{key}]", item) for key, item in value.items()}
        return {key: item for key, item in found.items() if item is not None}


def decode_config(raw: dict[str, Any] | None, fields: dict[str, str]) -> dict[str, Any]:
    """``raw`` decoded into a struct with ``fields`` (Go name to kind, of this module's kinds).

    Returns the fields that were set, by Go name; raises :class:`ConfigError`
    with ``error decoding config: ...`` (``ParseConfig``'s text).
    """
    decoder = _Decoder()
    out: dict[str, Any] = {}
    unused: list[str] = []
    folded = {name.lower(): name for name in fields}
    for key, value in (raw or {}).items():
        name = key if key in fields else folded.get(key.lower())
        if name is None:
            unused.append(key)
            continue
        decoded = decoder.field(name, fields[name], value)
        if decoded is not None:
            out[name] = decoded
    if unused:
        decoder.errors.append(f"'' has invalid keys: {', '.join(sorted(unused))}")
    if decoder.errors:
        points = "\n".join(sorted(f"* {error}" for error in decoder.errors))
        raise ConfigError(
            f"error decoding config: {len(decoder.errors)} error(s) decoding:\n\n{points}"
        )
    return out
