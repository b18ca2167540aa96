"""The kinds of configuration entries: what each one is, and how Consul decodes one.

Each kind is a :class:`Kind`, declared by the kind's own module
(``service_defaults.py``...) and listed once in the package's ``KINDS``:
its Go type (what the body is decoded into and ``?filter`` runs on), its
``Normalize`` and ``Validate`` (``agent/structs/config_entry*.go``), its
``CanRead`` and ``CanWrite`` ACL rules, and what a write of it changes
elsewhere (the gateways' table) or must keep true among the other entries
(the protocol rules of the discovery chain).

:func:`decode_entry` is ``structs.DecodeConfigEntry``, :func:`kind_of`
``structs.MakeConfigEntry``'s choice of kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import multierror
from ..gotypes import Struct, go_encode
from .decode import MapDecodeError, weak_decode

if TYPE_CHECKING:
    from ..acl.authorizer import Authorizer
    from ..datacenter import Datacenter
    from .store import EntriesView

__all__ = [
    "Denied",
    "Entry",
    "EntryDecodeError",
    "Kind",
    "KINDS",
    "decode_entry",
    "kind_of",
    "can_read_mesh",
    "can_read_service",
    "can_write_mesh",
    "register",
]

#: A configuration entry as the kinds see it: its Go struct, every field
#: present (absent ones at their zero value), keyed by Go field name.
Entry = dict[str, Any]

#: A permission an ACL rule found missing: (``service:read``..., the resource or None).
Denied = tuple[str, str | None]


def _anyone(authz: Authorizer, entry: Entry) -> Denied | None:
    return None


def _nothing(entry: Entry) -> None:
    return None


# -- the ACL rules several kinds share as their CanRead or CanWrite -------------------


def can_read_mesh(authz: Authorizer, entry: Entry) -> Denied | None:
    """``mesh:read`` (``operator:read`` without a mesh rule)."""
    return None if authz.mesh_read() else ("mesh:read", None)


def can_write_mesh(authz: Authorizer, entry: Entry) -> Denied | None:
    """``mesh:write`` (``operator:write`` without a mesh rule)."""
    return None if authz.mesh_write() else ("mesh:write", None)


def can_read_service(authz: Authorizer, entry: Entry) -> Denied | None:
    """``service:read`` on the entry's name (a service's, or a gateway's)."""
    return None if authz.service_read(entry["Name"]) else ("service:read", entry["Name"])


@dataclass(frozen=True)
class Kind:
    """One kind of configuration entry (``structs.ConfigEntry`` and its methods).

    Attributes:
        name: the kind (``service-defaults``).
        spec: its Go struct, without ``RaftIndex`` (``CreateIndex`` and
            ``ModifyIndex`` are the store's) nor ``Hash``.
        normalize: ``Normalize``, changing the entry in place; raises
            :class:`~..errors.RPCError`. It sets ``Kind``.
        validate: ``Validate``, raising :class:`~..errors.RPCError`.
        can_read: ``CanRead``: the permission the token lacks, or None.
        can_write: ``CanWrite``, the same way; a kind nobody may write
            (``bound-api-gateway``) raises :class:`~..errors.RPCError`.
        get_name: ``GetName``: the entry's name (the ``mesh`` entry has no
            ``Name`` field: it is always ``mesh``).
        lookup_name: the name ``MakeConfigEntry(kind, name)`` gives the
            entry whose ``CanRead`` a read checks (the ``mesh`` entry
            ignores it).
        filterable: ``ConfigEntry.List`` accepts ``?filter`` for this kind.
        check_graph: checks every write (or delete) of any kind against the
            other entries, for the rules this kind brings, as the state
            store's ``validateProposedConfigEntryInGraph`` does:
            ``check_graph(view, kind, name)`` gets the kind and name
            changed and a view of the entries as they would be; raises
            :class:`~..errors.RPCError`.
        json_order: rewrites the JSON of an entry as a custom
            ``MarshalJSON`` of the kind writes it (durations as strings...).
        on_write: what the write changes outside the table (the gateways'
            services): ``on_write(dc, idx, entry)`` after it is stored.
        on_delete: the same for a delete: ``on_delete(dc, idx, name)``.
        update_over: ``UpdateOver`` of the kinds that are ``UpdatableConfigEntry``:
            ``update_over(entry, existing)`` fixes up a write over the entry
            it replaces (None if new); raises :class:`~..errors.RPCError`.
        controlled: a ``ControlledConfigEntry``: its ``Status`` is the
            controllers', so a write keeps the stored entry's (an empty one
            for a new entry) whatever the body says.
    """

    name: str
    spec: Struct
    normalize: Callable[[Entry], None] = _nothing
    validate: Callable[[Entry], None] = _nothing
    can_read: Callable[[Authorizer, Entry], Denied | None] = _anyone
    can_write: Callable[[Authorizer, Entry], Denied | None] = _anyone
    get_name: Callable[[Entry], str] = field(default=lambda entry: entry["Name"])
    lookup_name: Callable[[str], str] = field(default=lambda name: name)
    filterable: bool = False
    check_graph: Callable[[EntriesView, str, str], None] | None = None
    json_order: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    on_write: Callable[[Datacenter, int, Entry], None] | None = None
    on_delete: Callable[[Datacenter, int, str], None] | None = None
    update_over: Callable[[Entry, Entry | None], None] | None = None
    controlled: bool = False

    def empty(self, name: str) -> Entry:
        """``MakeConfigEntry(kind, name)``: an entry of this kind with only its name."""
        entry, _ = weak_decode({"Kind": self.name, "Name": self.lookup_name(name)}, self.spec)
        entry["Kind"] = self.name
        return entry

    def encode(self, entry: Entry) -> dict[str, Any]:
        """The entry as Consul writes it in JSON (``omitempty`` fields left out when empty)."""
        encoded = go_encode(entry, self.spec)
        return self.json_order(encoded) if self.json_order is not None else encoded


#: Every kind this agent knows, by name (filled by the package's ``__init__``).
KINDS: dict[str, Kind] = {}


def register(kinds: Iterable[Kind]) -> Mapping[str, Kind]:
    """Add ``kinds`` to :data:`KINDS`; returns it."""
    for kind in kinds:
        KINDS[kind.name] = kind
    return KINDS


def kind_of(name: str) -> Kind:
    """The kind called ``name``; :class:`~..errors.RPCError` ``invalid config entry kind``."""
    kind = KINDS.get(name)
    if kind is None:
        raise RPCError(f"invalid config entry kind: {name}")
    return kind


class EntryDecodeError(ValueError):
    """A body ``DecodeConfigEntry`` refuses; ``str()`` is Consul's text."""


def decode_entry(raw: Any) -> tuple[Kind, Entry]:
    """``structs.DecodeConfigEntry``: the kind and the entry a request body holds.

    ``raw`` is the body as ``encoding/json`` decoded it into an
    ``interface{}``. The kind is the top-level ``Kind`` (or ``kind``) key;
    the rest is decoded with ``mapstructure`` (:mod:`.decode`); keys no
    field takes are refused as ``validateUnusedKeys`` does in Consul CE
    (``agent/structs/config_entry_ce.go``), but for ``Kind`` and the indexes.
    """
    if not isinstance(raw, dict):
        if raw is None:
            raw = {}
        else:
            # decodeBodyDeprecated decodes the body into a map with mapstructure.
            got = "slice" if isinstance(raw, list) else _go_kind(raw)
            raise EntryDecodeError(f"'' expected a map, got '{got}'")
    if "Kind" in raw:
        kind_value = raw["Kind"]
    elif "kind" in raw:
        kind_value = raw["kind"]
    else:
        raise EntryDecodeError("Payload does not contain a kind/Kind key at the top level")
    if not isinstance(kind_value, str):
        raise EntryDecodeError("Kind value in payload is not a string")
    try:
        kind = kind_of(kind_value)
        entry, unused = weak_decode(raw, kind.spec)
    except (RPCError, MapDecodeError) as exc:
        raise EntryDecodeError(str(exc)) from None
    problems = []
    for key in unused:
        if key in ("CreateIndex", "ModifyIndex", "kind", "Kind"):
            continue
        if key.lower().endswith("namespace"):
            problems.append(
                f'invalid config key "{key}", namespaces are a consul enterprise feature'
            )
        elif "jwt" in key.lower():
            problems.append(
                f'invalid config key "{key}", api-gateway jwt validation is a consul '
                "enterprise feature"
            )
        else:
            problems.append(f'invalid config key "{key}"')
    if problems:
        raise EntryDecodeError(multierror(problems))
    return kind, entry


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    return "float64"
