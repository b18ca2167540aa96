"""Go's types, as Consul's request bodies and ``?filter`` see them.

One model serves both uses: :mod:`.gojson` decodes a JSON body into a Go
type as ``encoding/json`` does (with its error texts), and :mod:`.filter`
validates and evaluates a go-bexpr expression against the same type. A Go
type is a :class:`Scalar`, :class:`Slice`, :class:`Map`, :class:`Ptr` or
:class:`Struct`; Consul's types are declared once, in :mod:`.structs` (the
``agent/structs`` package) and :mod:`.apitypes` (the ``api`` package), with
the Go names their errors print.

A struct whose values the state keeps (a catalog node, a health check...)
is declared as a ``TypedDict`` keyed by its Go field names and registered
with :func:`go_struct`: the same declaration types the records statically
and, through :func:`struct_of`, gives the :class:`Struct` the decoder and
``?filter`` use. Python's types map to Go's (``str`` to ``string``,
``list[X] | None`` to a nil-able ``[]X``, ``X | None`` of a struct to
``*X``...); ``Annotated[..., Go(...)]`` says the rest (a named or sized
type, ``bexpr:"-"``).

What each use needs beyond the shape is on the :class:`Field`: whether
go-bexpr may select it (``bexpr:"-"`` says no), and whether the decoder
checks what is inside (Consul's custom ``UnmarshalJSON`` methods take some
fields as they come).
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

__all__ = [
    "ANY",
    "BOOL",
    "BYTES",
    "DURATION",
    "FLOAT32",
    "FLOAT64",
    "INT",
    "INT8",
    "STRING",
    "UINT",
    "UINT8",
    "UINT64",
    "Field",
    "GoType",
    "Map",
    "Ptr",
    "Scalar",
    "Slice",
    "Go",
    "HIDDEN",
    "Struct",
    "fields",
    "go_struct",
    "hidden",
    "go_encode",
    "named",
    "omitempty",
    "struct",
    "struct_of",
    "unchecked",
    "zero_filled",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Scalar:
    """A Go basic type, or a named type over one (``types.CheckID``).

    ``kind`` is ``string``, ``bool``, ``int``, ``uint``, ``float``,
    ``duration`` (a ``time.Duration``, in Consul's lenient JSON: a Go
    duration string or nanoseconds), ``bytes`` (``[]byte``, base64 in JSON)
    or ``any`` (``interface{}``); ``bits`` the size of numbers.
    """

    name: str
    kind: str
    bits: int = 64


STRING = Scalar("string", "string")
BOOL = Scalar("bool", "bool")
INT = Scalar("int", "int")
INT8 = Scalar("int8", "int", 8)
UINT = Scalar("uint", "uint")
UINT8 = Scalar("uint8", "uint", 8)
UINT64 = Scalar("uint64", "uint")
FLOAT32 = Scalar("float32", "float", 32)
FLOAT64 = Scalar("float64", "float")
DURATION = Scalar("time.Duration", "duration")
BYTES = Scalar("[]uint8", "bytes")
ANY = Scalar("interface {}", "any")


@dataclass(frozen=True)
class Slice:
    """A Go slice ``[]elem``."""

    elem: GoType

    @property
    def name(self) -> str:
        """The type as Go prints it."""
        return "[]" + self.elem.name


@dataclass(frozen=True)
class Map:
    """A Go map ``map[key]elem`` (keys are strings in every Consul type here)."""

    elem: GoType
    key: Scalar = STRING

    @property
    def name(self) -> str:
        """The type as Go prints it."""
        return f"map[{self.key.name}]{self.elem.name}"


@dataclass(frozen=True)
class Ptr:
    """A Go pointer ``*elem``: JSON ``null`` (or an absent field) is the nil pointer.

    Decoding goes through it (Go allocates the value, and its errors name
    the type pointed to); ``?filter`` cannot select through a nil one.
    """

    elem: GoType

    @property
    def name(self) -> str:
        """The type as Go prints it."""
        return "*" + self.elem.name


@dataclass(frozen=True)
class Field:
    """One field of a :class:`Struct`.

    ``filter=False`` is Consul's ``bexpr:"-"``: go-bexpr cannot select it.
    ``opaque=True`` keeps the decoder out of the value: it is taken as it
    comes (an embedded agent does not model what is inside).
    ``omitempty=True`` is ``json:",omitempty"``: :func:`go_encode` leaves the
    field out when it holds its zero value (a struct is never left out).
    """

    name: str
    type: GoType
    filter: bool = True
    opaque: bool = False
    omitempty: bool = False


@dataclass(frozen=True, eq=False)
class Struct:
    """A Go struct: ``name`` as Go prints it (``structs.CheckType``), its fields in order.

    Each struct is one object, compared (and hashed) by identity, as a Go
    type is one type.

    ``aliases`` maps extra names a body may use (Consul's snake_case
    spellings) to fields. ``allow_unknown`` is for structs decoded without
    ``DisallowUnknownFields`` (custom ``UnmarshalJSON`` methods).
    """

    name: str
    fields: tuple[Field, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    allow_unknown: bool = False

    def __post_init__(self) -> None:
        by_name = {f.name: f for f in self.fields}
        folded: dict[str, str] = {}
        for key in (*by_name, *self.aliases):
            folded.setdefault(key.lower(), key)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_folded", folded)

    @property
    def short_name(self) -> str:
        """How Go names the struct in a field's error (``Node`` in ``Node.ID``).

        An anonymous struct (Consul's "aux" structs) has no name: ``.ID``.
        """
        return "" if self.name.startswith("struct ") else self.name.rsplit(".", 1)[-1]

    def field(self, name: str) -> Field | None:
        """The field called ``name`` (its Go name), or None."""
        found: Field | None = self._by_name.get(name)  # type: ignore[attr-defined]
        return found

    def lookup(self, key: str) -> Field | None:
        """The field a JSON key sets, as ``encoding/json`` matches it, or None.

        An exact name first, then any spelling of it in another case.
        """
        name = key if key in self._by_name or key in self.aliases else None  # type: ignore[attr-defined]
        if name is None:
            name = self._folded.get(key.lower())  # type: ignore[attr-defined]
        if name is None:
            return None
        return self.field(self.aliases.get(name, name))


GoType = Scalar | Slice | Map | Ptr | Struct


def named(name: str, base: Scalar = STRING) -> Scalar:
    """A named Go type over a basic one (``type CheckID string``)."""
    return Scalar(name, base.kind, base.bits)


def hidden(go_type: GoType, *, opaque: bool = False) -> Field:
    """A field go-bexpr cannot select (``bexpr:"-"``), for :func:`struct`."""
    return Field("", go_type, filter=False, opaque=opaque)


def unchecked(go_type: GoType) -> Field:
    """A field the decoder takes as it comes (see :attr:`Field.opaque`), for :func:`struct`."""
    return Field("", go_type, opaque=True)


def omitempty(go_type: GoType) -> Field:
    """A field ``json:",omitempty"``, for :func:`struct`."""
    return Field("", go_type, omitempty=True)


def fields(**types: GoType | Field) -> tuple[Field, ...]:
    """Fields from ``Name=type`` (or ``Name=hidden(type)``...), in the order given."""
    return tuple(
        Field(n, t)
        if not isinstance(t, Field)
        else Field(n, t.type, t.filter, t.opaque, t.omitempty)
        for n, t in types.items()
    )


def struct(
    name: str,
    *,
    aliases: Mapping[str, str] | None = None,
    allow_unknown: bool = False,
    **types: GoType | Field,
) -> Struct:
    """A :class:`Struct` from its fields as ``Name=type`` (see :func:`fields`).

    Keyword arguments keep their order, so a struct reads as its Go declaration.
    """
    return Struct(name, fields(**types), dict(aliases or {}), allow_unknown)


# -- Go structs declared as TypedDicts ----------------------------------------------------


@dataclass(frozen=True)
class Go:
    """``Annotated`` metadata of a TypedDict field: the Go side of it.

    ``type`` replaces the Go type Python's type maps to (``UINT64`` for an
    ``int``, a named string type...); ``filter`` and ``opaque`` are
    :class:`Field`'s.
    """

    type: GoType | None = None
    filter: bool = True
    opaque: bool = False


#: A field go-bexpr cannot select (``bexpr:"-"``).
HIDDEN = Go(filter=False)

_REGISTERED: dict[type, Struct] = {}
_BASIC: dict[Any, GoType] = {str: STRING, bool: BOOL, int: INT, float: FLOAT64, Any: ANY}


def _go_type(hint: Any) -> GoType:
    """The Go type a Python annotation of a TypedDict field stands for."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Annotated:
        meta = next((m for m in hint.__metadata__ if isinstance(m, Go)), Go())
        return meta.type if meta.type is not None else _go_type(args[0])
    if origin in (typing.Required, typing.NotRequired):
        return _go_type(args[0])
    if hint in _BASIC:
        return _BASIC[hint]
    if hint in _REGISTERED:
        return _REGISTERED[hint]
    if origin is list:
        return Slice(_go_type(args[0]))
    if origin is dict:
        return Map(_go_type(args[1]))
    if origin in (typing.Union, types.UnionType):
        (inner,) = (arg for arg in args if arg is not type(None))
        elem = _go_type(inner)
        # A nil slice or map is None too, but no pointer.
        return elem if isinstance(elem, Slice | Map) else Ptr(elem)
    raise TypeError(f"no Go type for {hint!r}")


def go_struct(
    name: str, *, aliases: Mapping[str, str] | None = None, allow_unknown: bool = False
) -> Callable[[T], T]:
    """Register a TypedDict as the Go struct ``name`` (see :func:`struct_of`).

    Its fields are the TypedDict's keys, in order; nested structs must be
    registered before the structs that hold them. A ``NotRequired`` key is a
    ``json:",omitempty"`` field.
    """

    def register(cls: T) -> T:
        hints = typing.get_type_hints(cls, include_extras=True)
        optional: frozenset[str] = getattr(cls, "__optional_keys__", frozenset())
        members = []
        for key, hint in hints.items():
            meta = Go()
            if typing.get_origin(hint) is Annotated:
                meta = next((m for m in hint.__metadata__ if isinstance(m, Go)), meta)
            members.append(
                Field(key, _go_type(hint), meta.filter, meta.opaque, omitempty=key in optional)
            )
        _REGISTERED[cls] = Struct(name, tuple(members), dict(aliases or {}), allow_unknown)  # type: ignore[index]
        return cls

    return register


def struct_of(cls: type) -> Struct:
    """The :class:`Struct` a TypedDict was registered as (:func:`go_struct`)."""
    return _REGISTERED[cls]


def zero_filled(value: Mapping[str, Any] | None, spec: Struct) -> dict[str, Any]:
    """``value`` (a decoded body) as Go holds it: every field, absent ones at their zero value.

    A zero struct is filled too; nil slices, maps and pointers are None.
    Values are copied, so the result shares nothing with ``value``.
    """
    value = value or {}
    return {member.name: _zero_value(value.get(member.name), member) for member in spec.fields}


def _zero_value(given: Any, member: Field) -> Any:
    go_type = member.type
    if member.opaque:
        return copy.deepcopy(given)
    if isinstance(go_type, Struct):
        return zero_filled(given, go_type)
    if given is None:
        return _ZEROS[go_type.kind] if isinstance(go_type, Scalar) else None
    return _filled_value(given, go_type)


#: Go's zero value of each kind of :class:`Scalar`.
_ZEROS: dict[str, Any] = {
    "string": "",
    "bool": False,
    "int": 0,
    "uint": 0,
    "float": 0,
    "duration": 0,
    "bytes": b"",
    "any": None,
}


#: Values shared, not copied: nothing can change them.
_IMMUTABLE = (str, int, float, bool, bytes, type(None))


def _filled_value(given: Any, go_type: GoType) -> Any:
    if isinstance(go_type, Ptr):
        return _filled_value(given, go_type.elem)
    if isinstance(go_type, Struct):
        return zero_filled(given, go_type)
    if isinstance(go_type, Slice):
        if isinstance(go_type.elem, Scalar) and all(type(item) in _IMMUTABLE for item in given):
            # A list of strings (tags) needs no copy of each item: a large
            # registration would hold the agent's loop for seconds.
            return list(given)
        return [None if item is None else _filled_value(item, go_type.elem) for item in given]
    if isinstance(go_type, Map):
        return {
            key: None if item is None else _filled_value(item, go_type.elem)
            for key, item in given.items()
        }
    if type(given) in _IMMUTABLE:
        return given
    return copy.deepcopy(given)


def go_encode(value: Mapping[str, Any], spec: Struct) -> dict[str, Any]:
    """A zero-filled struct value (:func:`zero_filled`) as ``encoding/json`` writes it.

    Fields in Go's order; an ``omitempty`` field holding its zero value (an
    empty string, 0, false, a nil or empty slice or map, a nil pointer) is
    left out, while a struct is always written, as Go writes it.
    """
    out: dict[str, Any] = {}
    for member in spec.fields:
        item = value.get(member.name)
        go_type = member.type
        if member.omitempty and not isinstance(go_type, Struct) and _empty(item):
            continue
        out[member.name] = item if member.opaque else _encoded(item, go_type)
    return out


def _empty(value: Any) -> bool:
    """Go's empty value for ``omitempty``: false, 0, "", nil, an empty slice or map."""
    return not value


def _encoded(value: Any, go_type: GoType) -> Any:
    if value is None:
        return None
    if isinstance(go_type, Ptr):
        return _encoded(value, go_type.elem)
    if isinstance(go_type, Struct):
        return go_encode(value, go_type)
    if isinstance(go_type, Slice):
        return [_encoded(item, go_type.elem) for item in value]
    if isinstance(go_type, Map):
        return {key: _encoded(item, go_type.elem) for key, item in value.items()}
    return value
