"""Intentions: the ``service-intentions`` entries seen one source at a time.

Since Consul 1.9 an intention is one source of a ``service-intentions``
configuration entry (:mod:`.configentries.service_intentions`); this module
is the state store's view and edits of them, after
``agent/consul/state/intention.go`` and ``config_entry_intention.go``:

- :func:`to_intention` is ``ServiceIntentionsConfigEntry.ToIntention``: a
  ``structs.Intention`` (dict keyed by Go field name), the entry's indexes;
- :func:`listed`, :func:`get_exact`, :func:`get_legacy` and :func:`match`
  are the reads (``Intentions``, ``IntentionGetExact``, ``IntentionGet``,
  ``IntentionMatch``), sorted by ``IntentionPrecedenceSorter``;
- :func:`decide` is ``IntentionDecision`` with
  ``connect.AuthorizeIntentionTarget``;
- :func:`upsert`, :func:`delete_exact`, :func:`legacy_create`,
  :func:`legacy_update` and :func:`legacy_delete` are the mutations of
  ``IntentionMutation``: each rewrites (or deletes) one entry through the
  config entries' table, with its normalization and validation.

Consul CE has only the ``default`` namespace and partition; names here are
service names.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import TYPE_CHECKING, Any

from .configentries.decode import weak_decode
from .configentries.service_intentions import (
    JWT_REQUIREMENT,
    PERMISSION,
    SOURCE_INTENTION,
    TIME,
    WILDCARD,
    legacy_normalize,
    legacy_validate,
)
from .configentries.service_intentions import KIND as SERVICE_INTENTIONS
from .configentries.service_intentions import normalize as entry_normalize
from .configentries.service_intentions import validate as entry_validate
from .errors import RPCError
from .golang import hex_decode_error, quote
from .gotypes import BYTES, INT, STRING, UINT64, Field, Map, Ptr, Slice, Struct, go_encode

if TYPE_CHECKING:
    from .configentries import ConfigEntryStore, Entry

__all__ = [
    "DEFAULT_NAMESPACE",
    "INTENTION",
    "KIND",
    "decide",
    "delete_exact",
    "describe",
    "encode",
    "get_exact",
    "get_legacy",
    "legacy_create",
    "legacy_delete",
    "legacy_update",
    "listed",
    "match",
    "source_of",
    "to_intention",
    "upsert",
]

#: ``structs.IntentionDefaultNamespace``: the one namespace of Consul CE.
DEFAULT_NAMESPACE = "default"
KIND = SERVICE_INTENTIONS.name


def _field(name: str, go_type: Any, *, filter: bool = True, omitempty: bool = False) -> Field:
    return Field(name, go_type, filter=filter, omitempty=omitempty)


#: ``structs.Intention`` (``agent/structs/intention.go``): what the intention
#: endpoints answer, and what ``?filter`` selects on (``bexpr:"-"`` fields
#: cannot be). Its ``MarshalJSON`` writes ``CreatedAt`` and ``UpdatedAt``
#: first, and only when set (legacy intentions).
INTENTION = Struct(
    "structs.Intention",
    (
        _field("CreatedAt", Ptr(TIME), filter=False, omitempty=True),
        _field("UpdatedAt", Ptr(TIME), filter=False, omitempty=True),
        _field("ID", STRING, omitempty=True),
        _field("Description", STRING, omitempty=True),
        _field("SourceNS", STRING),
        _field("SourceName", STRING),
        _field("DestinationNS", STRING),
        _field("DestinationName", STRING),
        _field("SourcePartition", STRING, omitempty=True),
        _field("DestinationPartition", STRING, omitempty=True),
        _field("SourcePeer", STRING, omitempty=True),
        _field("SourceSamenessGroup", STRING, omitempty=True),
        _field("SourceType", STRING),
        _field("Action", STRING, omitempty=True),
        _field("Permissions", Slice(Ptr(PERMISSION)), filter=False, omitempty=True),
        _field("JWT", Ptr(JWT_REQUIREMENT), filter=False, omitempty=True),
        _field("DefaultAddr", STRING, filter=False, omitempty=True),
        _field("DefaultPort", INT, filter=False, omitempty=True),
        _field("Meta", Map(STRING), omitempty=True),
        _field("Precedence", INT),
        _field("Hash", BYTES, filter=False, omitempty=True),
        _field("CreateIndex", UINT64, filter=False),
        _field("ModifyIndex", UINT64, filter=False),
    ),
)


def _legacy_hash(intention: dict[str, Any]) -> str:
    """``Intention.SetHash``: BLAKE2b-256 of the content fields, base64 as JSON has it."""
    digest = hashlib.blake2b(digest_size=32)
    for field in (
        "ID",
        "Description",
        "SourceNS",
        "SourceName",
        "DestinationNS",
        "DestinationName",
        "SourceType",
        "Action",
    ):
        digest.update(intention[field].encode())
    digest.update((intention["Precedence"] % 2**64).to_bytes(8, "little"))
    meta = intention["Meta"] or {}
    for key in sorted(meta):
        digest.update(key.encode())
        digest.update(meta[key].encode())
    return base64.b64encode(digest.digest()).decode()


def to_intention(entry: Entry, source: dict[str, Any], raft: dict[str, Any]) -> dict[str, Any]:
    """``ToIntention``: one source of ``entry`` as an intention with ``raft``'s indexes.

    A legacy source (one with a ``LegacyID``) brings its own ``Meta``,
    times and hash; the others take the entry's ``Meta``.
    """
    legacy = bool(source["LegacyID"])
    intention: dict[str, Any] = {
        "ID": source["LegacyID"],
        "Description": source["Description"],
        "SourcePeer": source["Peer"],
        "SourceSamenessGroup": source["SamenessGroup"],
        "SourceNS": DEFAULT_NAMESPACE,
        "SourceName": source["Name"],
        "DestinationNS": DEFAULT_NAMESPACE,
        "DestinationName": entry["Name"],
        "SourcePartition": "",
        "DestinationPartition": "",
        "SourceType": source["Type"],
        "Action": source["Action"],
        "Permissions": copy.deepcopy(source["Permissions"]),
        "JWT": copy.deepcopy(entry["JWT"]),
        "DefaultAddr": "",
        "DefaultPort": 0,
        "Meta": copy.copy(source["LegacyMeta"] if legacy else entry["Meta"]),
        "Precedence": source["Precedence"],
        "CreatedAt": source["LegacyCreateTime"],
        "UpdatedAt": source["LegacyUpdateTime"],
        "Hash": "",
        "CreateIndex": raft["CreateIndex"],
        "ModifyIndex": raft["ModifyIndex"],
    }
    if legacy:
        intention["Hash"] = _legacy_hash(intention)
    return intention


def encode(intention: dict[str, Any]) -> dict[str, Any]:
    """An intention as Consul answers it (see :data:`INTENTION` for what is left out)."""
    return go_encode(intention, INTENTION)


def _sort_key(intention: dict[str, Any]) -> tuple[Any, ...]:
    """``IntentionPrecedenceSorter``: the highest precedence first, then by names."""
    return (
        -intention["Precedence"],
        intention["SourceSamenessGroup"],
        intention["SourcePeer"],
        intention["SourcePartition"],
        intention["SourceNS"],
        intention["SourceName"],
        intention["DestinationPartition"],
        intention["DestinationNS"],
        intention["DestinationName"],
    )


def _of_entry(store: ConfigEntryStore, name: str) -> list[dict[str, Any]]:
    entry = store.decoded(KIND, name)
    if entry is None:
        return []
    raft = store.entries[(KIND, name)]
    return [to_intention(entry, source, raft) for source in entry["Sources"] or []]


def listed(store: ConfigEntryStore) -> list[dict[str, Any]]:
    """``Intentions``: every intention, by precedence."""
    out: list[dict[str, Any]] = []
    for kind, name in sorted(store.structs):
        if kind == KIND:
            out.extend(_of_entry(store, name))
    return sorted(out, key=_sort_key)


def get_exact(
    store: ConfigEntryStore, source: str, destination: str, peer: str = ""
) -> dict[str, Any] | None:
    """``IntentionGetExact``: the intention from ``source`` (of ``peer``) to ``destination``."""
    return next(
        (
            i
            for i in _of_entry(store, destination)
            if i["SourceName"] == source and i["SourcePeer"] == peer
        ),
        None,
    )


def _uuid_key(value: str) -> str:
    """A legacy ID as go-memdb's ``UUIDFieldIndex`` reads it (``parseString``).

    A value it refuses fails the lookup: ``failed config entry lookup: index
    error: UUID must be 36 characters``.
    """
    problem = None
    hyphens = value.count("-")
    digits = value.replace("-", "")
    if len(value.encode()) != 36:
        problem = "UUID must be 36 characters"
    elif hyphens > 4:
        problem = f'UUID should have maximum of 4 "-"; got {hyphens}'
    elif len(digits.encode()) % 2:
        problem = "Input (without hyphens) must be even length"
    elif (hex_error := hex_decode_error(digits)) is not None:
        problem = f"Invalid UUID: {hex_error}"
    if problem is not None:
        raise RPCError(f"failed config entry lookup: index error: {problem}")
    return digits.lower()


def get_legacy(store: ConfigEntryStore, legacy_id: str) -> tuple[Entry, dict[str, Any]] | None:
    """``IntentionGet``: the entry and the intention whose ``LegacyID`` is ``legacy_id``.

    Raises :class:`~.errors.RPCError` for an ID that is not a UUID.
    """
    key = _uuid_key(legacy_id)
    for (kind, name), entry in sorted(store.structs.items()):
        if kind != KIND:
            continue
        for source in entry["Sources"] or []:
            if source["LegacyID"] and source["LegacyID"].replace("-", "").lower() == key:
                return entry, to_intention(entry, source, store.entries[(kind, name)])
    return None


def match(store: ConfigEntryStore, by: str, name: str) -> list[dict[str, Any]]:
    """``IntentionMatch`` for one name: the intentions whose ``by`` side matches it.

    ``by`` is ``source`` or ``destination``; ``name`` or a wildcard
    intention on that side matches (``getIntentionPrecedenceMatchServiceNames``).
    """
    names = {name, WILDCARD}
    out: list[dict[str, Any]] = []
    if by == "destination":
        for candidate in sorted(names):
            out.extend(_of_entry(store, candidate))
    else:
        out = [i for i in listed(store) if i["SourceName"] in names and not i["SourcePeer"]]
    return sorted(out, key=_sort_key)


def _matches(intention: dict[str, Any], target: str, namespace: str, side: str) -> bool:
    """``connect.IntentionMatch`` for one side (``Source`` or ``Destination``).

    Names and namespaces compare exactly, ``*`` matching any; a source of a
    peer never matches a local service.
    """
    if side == "Source" and intention["SourcePeer"]:
        return False
    for have, want in ((intention[f"{side}NS"], namespace), (intention[f"{side}Name"], target)):
        if have not in (WILDCARD, want):
            return False
    return True


def decide(
    intentions: list[dict[str, Any]],
    target: str,
    side: str,
    default_allow: bool,
    *,
    namespace: str = DEFAULT_NAMESPACE,
) -> tuple[bool, dict[str, Any] | None]:
    """``IntentionDecision`` (``AllowPermissions`` false): allowed, and the intention that decided.

    The first of ``intentions`` (by precedence) whose ``side`` matches
    ``target`` (in ``namespace``) decides: ``allow``, or a denial for L7
    permissions (they cannot be judged without a request); with none,
    ``default_allow``.
    """
    for intention in intentions:
        if _matches(intention, target, namespace or DEFAULT_NAMESPACE, side):
            if intention["Permissions"]:
                return False, intention
            return intention["Action"] == "allow", intention
    return default_allow, None


def describe(intention: dict[str, Any]) -> str:
    """``Intention.String``: ``default/web => default/db (Precedence: 9, Action: ALLOW)``.

    Consul CE has no partitions nor sameness groups: a peer is the only
    prefix of a source.
    """
    id_part = f"ID: {intention['ID']}, " if intention["ID"] else ""
    if intention["Permissions"]:
        detail = f"Permissions: {len(intention['Permissions'])}"
    else:
        detail = f"Action: {intention['Action'].upper()}"
    cluster = f"peer({intention['SourcePeer']})/" if intention["SourcePeer"] else ""
    return (
        f"{cluster}{intention['SourceNS']}/{intention['SourceName']} => "
        f"{intention['DestinationNS']}/{intention['DestinationName']} "
        f"({id_part}Precedence: {intention['Precedence']}, {detail})"
    )


# -- mutations -------------------------------------------------------------------------


def source_of(intention: dict[str, Any], *, legacy: bool) -> dict[str, Any]:
    """``Intention.ToSourceIntention``: the source an intention written by the API becomes.

    ``ID``, ``Meta`` and the times go to the legacy fields (which
    ``Normalize`` clears for a write by name); ``Permissions`` only for a
    write by name (the legacy API does not take them).
    """
    raw = {
        "Name": intention.get("SourceName", ""),
        "Peer": intention.get("SourcePeer", ""),
        "SamenessGroup": intention.get("SourceSamenessGroup", ""),
        "Action": intention.get("Action", ""),
        "Permissions": None if legacy else intention.get("Permissions"),
        "LegacyID": intention.get("ID", ""),
        "Type": intention.get("SourceType", ""),
        "Description": intention.get("Description", ""),
        "LegacyMeta": intention.get("Meta"),
    }
    source, _ = weak_decode(raw, SOURCE_INTENTION)
    return source


def _empty_entry(name: str) -> Entry:
    return SERVICE_INTENTIONS.empty(name)


def _write(store: ConfigEntryStore, idx: int, entry: Entry) -> None:
    if not entry["Sources"]:
        store.delete(idx, KIND, entry["Name"])
    else:
        store.set(idx, entry)


def upsert(store: ConfigEntryStore, idx: int, destination: str, source: dict[str, Any]) -> None:
    """``intentionMutationUpsert``: add or replace the source of the same name."""
    existing = store.decoded(KIND, destination)
    entry = copy.deepcopy(existing) if existing is not None else _empty_entry(destination)
    sources = entry["Sources"] or []
    for i, current in enumerate(sources):
        # UpsertSourceByName compares the service name only, not the peer.
        if current["Name"] == source["Name"]:
            sources[i] = source
            break
    else:
        sources.append(source)
    entry["Sources"] = sources
    entry_normalize(entry)
    entry_validate(entry)
    store.set(idx, entry)


def delete_exact(store: ConfigEntryStore, idx: int, source: str, destination: str) -> bool:
    """``intentionMutationDelete``: remove one source (the entry with its last one).

    False if there is no such local intention (nothing is written).
    ``DeleteSourceByName`` then removes the first source of that name.
    """
    if get_exact(store, source, destination) is None:
        return False
    existing = store.decoded(KIND, destination)
    assert existing is not None
    entry = copy.deepcopy(existing)
    sources = entry["Sources"] or []
    at = next(i for i, s in enumerate(sources) if s["Name"] == source)
    del sources[at]
    entry["Sources"] = sources
    if sources:
        entry_normalize(entry)
        entry_validate(entry)
    _write(store, idx, entry)
    return True


def _check_legacy_allowed(entry: Entry | None) -> None:
    """``checkLegacyIntentionApplyAllowed``: not once the entry was written as an entry."""
    if entry is None or all(source["LegacyID"] for source in entry["Sources"] or []):
        return
    raise RPCError(
        "cannot use legacy intention API to edit intentions with a destination of "
        f"{quote(entry['Name'])} after editing them via a service-intentions config entry"
    )


def _legacy_entry(store: ConfigEntryStore, legacy_id: str, verb: str) -> Entry:
    """A copy of the entry holding the intention ``legacy_id``, for an update or a delete.

    Refused if there is none (``Cannot <verb> non-existent intention``) or
    if the legacy API may no longer edit the entry.
    """
    found = get_legacy(store, legacy_id)
    if found is None:
        raise RPCError(f"Cannot {verb} non-existent intention: '{legacy_id}'")
    existing, _ = found
    _check_legacy_allowed(existing)
    return copy.deepcopy(existing)


def legacy_create(
    store: ConfigEntryStore, idx: int, destination: str, source: dict[str, Any]
) -> None:
    """``intentionMutationLegacyCreate``: append a legacy source to the destination's entry."""
    existing = store.decoded(KIND, destination)
    _check_legacy_allowed(existing)
    entry = copy.deepcopy(existing) if existing is not None else _empty_entry(destination)
    entry["Sources"] = [*(entry["Sources"] or []), source]
    legacy_normalize(entry)
    legacy_validate(entry)
    store.set(idx, entry)


def legacy_update(
    store: ConfigEntryStore, idx: int, legacy_id: str, source: dict[str, Any]
) -> None:
    """``intentionMutationLegacyUpdate``: replace the source with this ``LegacyID``."""
    entry = _legacy_entry(store, legacy_id, "modify")
    sources = entry["Sources"] or []
    at = next((i for i, s in enumerate(sources) if s["LegacyID"] == legacy_id), None)
    if at is None:
        raise RPCError(f"Cannot modify non-existent intention: '{legacy_id}'")
    sources[at] = source
    legacy_normalize(entry)
    legacy_validate(entry)
    store.set(idx, entry)


def legacy_delete(store: ConfigEntryStore, idx: int, legacy_id: str) -> None:
    """``intentionMutationLegacyDelete``: remove the source with this ``LegacyID``."""
    entry = _legacy_entry(store, legacy_id, "delete")
    sources = entry["Sources"] or []
    kept = [s for s in sources if s["LegacyID"] != legacy_id]
    if len(kept) == len(sources):
        raise RPCError(f"Cannot delete non-existent intention: '{legacy_id}'")
    entry["Sources"] = kept
    if kept:
        legacy_normalize(entry)
        legacy_validate(entry)
    _write(store, idx, entry)
