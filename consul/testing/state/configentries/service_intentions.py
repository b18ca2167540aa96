"""The ``service-intentions`` kind: who may connect to one service (intentions since Consul 1.9).

After ``agent/structs/config_entry_intentions.go`` (``ServiceIntentionsConfigEntry``,
``SourceIntention``, ``IntentionPermission``, ``normalize``, ``validate``,
``computeIntentionPrecedence``, ``validateIntentionWildcards``, ``UpdateOver``)
and the L7 rule of ``validateProposedConfigEntryInServiceGraph``
(``agent/consul/state/config_entry.go``): a destination whose intentions
carry HTTP permissions must speak an HTTP-like protocol. Read with
``intentions:read`` on the destination, written with ``intentions:write``.

Consul CE has one namespace and one partition, so every name here is in
``default``: a wildcard is only ``*`` as a whole name.

The legacy (UUID) intention API writes the same entries with each source's
``LegacyID``, ``LegacyMeta`` and times set: :func:`legacy_normalize` and
:func:`legacy_validate` are ``LegacyNormalize`` and ``LegacyValidate``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import multierror, quote
from ..gotypes import BOOL, INT, STRING, Map, Ptr, Slice, named, omitempty, struct
from .chain import HTTP_LIKE, protocol_of_service
from .registry import Denied, Entry, Kind
from .types import (
    HASH,
    META,
    META_KEY_MAX_LENGTH,
    META_MAX_KEY_PAIRS,
    META_VALUE_MAX_LENGTH,
    entry_hash,
    validate_meta,
)

if TYPE_CHECKING:
    from ..acl.authorizer import Authorizer
    from .store import EntriesView

__all__ = [
    "KIND",
    "SERVICE_INTENTIONS",
    "SOURCE_INTENTION",
    "WILDCARD",
    "check_l7_protocols",
    "legacy_normalize",
    "legacy_validate",
    "update_over",
]

#: ``structs.WildcardSpecifier``.
WILDCARD = "*"

#: ``time.Time`` as a request carries it: RFC 3339 text (mapstructure's time hook).
TIME = named("time.Time")
INTENTION_ACTION = named("structs.IntentionAction")
SOURCE_TYPE = named("structs.IntentionSourceType")

JWT_CLAIM = struct(
    "structs.IntentionJWTClaimVerification",
    Path=omitempty(Slice(STRING)),
    Value=omitempty(STRING),
)
JWT_PROVIDER = struct(
    "structs.IntentionJWTProvider",
    aliases={"verify_claims": "VerifyClaims"},
    Name=omitempty(STRING),
    VerifyClaims=omitempty(Slice(Ptr(JWT_CLAIM))),
)
JWT_REQUIREMENT = struct(
    "structs.IntentionJWTRequirement", Providers=omitempty(Slice(Ptr(JWT_PROVIDER)))
)
HTTP_HEADER_PERMISSION = struct(
    "structs.IntentionHTTPHeaderPermission",
    aliases={"ignore_case": "IgnoreCase"},
    Name=STRING,
    Present=omitempty(BOOL),
    Exact=omitempty(STRING),
    Prefix=omitempty(STRING),
    Suffix=omitempty(STRING),
    Contains=omitempty(STRING),
    Regex=omitempty(STRING),
    Invert=omitempty(BOOL),
    IgnoreCase=omitempty(BOOL),
)
HTTP_PERMISSION = struct(
    "structs.IntentionHTTPPermission",
    aliases={"path_exact": "PathExact", "path_prefix": "PathPrefix", "path_regex": "PathRegex"},
    PathExact=omitempty(STRING),
    PathPrefix=omitempty(STRING),
    PathRegex=omitempty(STRING),
    Header=omitempty(Slice(HTTP_HEADER_PERMISSION)),
    Methods=omitempty(Slice(STRING)),
)
PERMISSION = struct(
    "structs.IntentionPermission",
    Action=INTENTION_ACTION,
    HTTP=omitempty(Ptr(HTTP_PERMISSION)),
    JWT=omitempty(Ptr(JWT_REQUIREMENT)),
)
#: ``structs.SourceIntention`` in Consul CE (its ``EnterpriseMeta`` has no fields).
SOURCE_INTENTION = struct(
    "structs.SourceIntention",
    aliases={
        "legacy_id": "LegacyID",
        "legacy_meta": "LegacyMeta",
        "legacy_create_time": "LegacyCreateTime",
        "legacy_update_time": "LegacyUpdateTime",
        "sameness_group": "SamenessGroup",
    },
    Name=STRING,
    Action=omitempty(INTENTION_ACTION),
    Permissions=omitempty(Slice(Ptr(PERMISSION))),
    Precedence=INT,
    LegacyID=omitempty(STRING),
    Type=SOURCE_TYPE,
    Description=omitempty(STRING),
    LegacyMeta=omitempty(Map(STRING)),
    LegacyCreateTime=omitempty(Ptr(TIME)),
    LegacyUpdateTime=omitempty(Ptr(TIME)),
    Peer=omitempty(STRING),
    SamenessGroup=omitempty(STRING),
)
SERVICE_INTENTIONS = struct(
    "structs.ServiceIntentionsConfigEntry",
    Kind=STRING,
    Name=STRING,
    Sources=Slice(Ptr(SOURCE_INTENTION)),
    JWT=omitempty(Ptr(JWT_REQUIREMENT)),
    Meta=META,
    Hash=HASH,
)

#: The methods ``isValidHTTPMethod`` accepts (Go's ``http.Method*``).
HTTP_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE")
)


def precedence(destination: str, source: str) -> int:
    """``computeIntentionPrecedence`` with every namespace ``default`` (Consul CE).

    An exact destination is worth up to 9, a wildcard one 6; an exact
    source keeps that, a wildcard source takes one off.
    """
    highest = 6 if destination == WILDCARD else 9
    return highest - (1 if source == WILDCARD else 0)


def _normalize(entry: Entry, legacy: bool) -> None:
    entry["Kind"] = KIND.name
    sources = [source for source in entry["Sources"] or [] if source is not None]
    for source in sources:
        if not source["Type"]:
            source["Type"] = "consul"
        source["Precedence"] = precedence(entry["Name"], source["Name"])
        if legacy:
            if source["LegacyMeta"] is None:
                source["LegacyMeta"] = {}
        else:
            # LegacyMeta stays, for validate to refuse (Consul warns of its loss).
            source["LegacyID"] = ""
            source["LegacyCreateTime"] = None
            source["LegacyUpdateTime"] = None
        for permission in source["Permissions"] or []:
            if permission is not None and permission["HTTP"] is not None:
                methods = permission["HTTP"]["Methods"]
                if methods:
                    permission["HTTP"]["Methods"] = [method.upper() for method in methods]
    # The highest precedence first; a stable sort keeps the given order among equals.
    sources.sort(key=lambda source: -source["Precedence"])
    if entry["Sources"] is not None:
        entry["Sources"] = sources
    entry["Hash"] = entry_hash(entry)


def normalize(entry: Entry) -> None:
    """``ServiceIntentionsConfigEntry.Normalize``: precedences, sources by precedence.

    Legacy fields are cleared (but ``LegacyMeta``, which :func:`validate`
    then refuses); HTTP methods are upper-cased.
    """
    _normalize(entry, legacy=False)


def legacy_normalize(entry: Entry) -> None:
    """``LegacyNormalize``: :func:`normalize` keeping the legacy fields (``LegacyMeta`` ``{}``)."""
    _normalize(entry, legacy=True)


def _wildcard_error(name: str) -> str | None:
    """``validateIntentionWildcards`` for a name in the default namespace."""
    if name != WILDCARD and WILDCARD in name:
        return "Name: wildcard character '*' cannot be used with partial values"
    return None


def _permission_error(i: int, j: int, permission: dict[str, Any] | None) -> str | None:
    prefix = f"Sources[{i}].Permissions[{j}]"
    if permission is None or permission["Action"] not in ("allow", "deny"):
        return f"{prefix}.Action must be set to 'allow' or 'deny'"
    http = permission["HTTP"]
    if http is None:
        return f"{prefix}.HTTP is required"
    paths = 0
    for field in ("PathExact", "PathPrefix"):
        value = http[field]
        if value:
            paths += 1
            if not value.startswith("/"):
                return f"{prefix}.HTTP.{field} doesn't start with '/': {quote(value)}"
    if http["PathRegex"]:
        paths += 1
    if paths > 1:
        return (
            f"{prefix}.HTTP should only contain at most one of PathExact, PathPrefix, or PathRegex"
        )
    parts = paths
    for k, header in enumerate(http["Header"] or []):
        if not header["Name"]:
            return f"{prefix}.HTTP.Header[{k}] missing required Name field"
        matches = sum(
            bool(header[field])
            for field in ("Present", "Exact", "Regex", "Prefix", "Suffix", "Contains")
        )
        if matches != 1:
            return (
                f"{prefix}.HTTP.Header[{k}] should only contain one of Present, Exact, "
                "Prefix, Suffix, Contains, or Regex"
            )
        if header["IgnoreCase"] and (header["Present"] or header["Regex"]):
            return (
                f"{prefix}.HTTP.Header[{k}] should set one of Exact, Prefix, Suffix, or "
                "Contains when using IgnoreCase"
            )
        parts += 1
    methods = http["Methods"] or []
    if methods:
        seen: set[str] = set()
        for method in methods:
            if method not in HTTP_METHODS:
                return f"{prefix}.HTTP.Methods contains an invalid method {quote(method)}"
            if method in seen:
                return f"{prefix}.HTTP.Methods contains {quote(method)} more than once"
            seen.add(method)
        parts += 1
    if parts == 0:
        return f"{prefix}.HTTP should not be empty"
    return _jwt_error(permission["JWT"])


def _jwt_error(jwt: dict[str, Any] | None) -> str | None:
    """``IntentionJWTRequirement.Validate`` (a ``multierror`` of its providers' errors)."""
    if jwt is None:
        return None
    missing = [p for p in jwt["Providers"] or [] if p is not None and not p["Name"]]
    if not missing:
        return None
    return multierror(["JWT provider name is required"] * len(missing))


def _source_error(
    i: int, source: dict[str, Any], legacy: bool, wild_destination: bool
) -> str | None:
    """The first problem ``validate`` finds with one source, or None."""
    if not source["Name"]:
        return f"Sources[{i}].Name is required"
    if source["SamenessGroup"]:
        # validateSamenessGroup (config_entry_intentions_ce.go); Go's format ends in a space.
        return f"Sources[{i}].SamenessGroup: Sameness groups are a Consul Enterprise feature. "
    if (problem := _wildcard_error(source["Name"])) is not None:
        return f"Sources[{i}].{problem}"
    if WILDCARD in source["Peer"]:
        return f"Sources[{i}].Peer: cannot use wildcard '*' in peer"
    if len(source["Description"].encode()) > META_VALUE_MAX_LENGTH:
        return f"Sources[{i}].Description exceeds maximum length {META_VALUE_MAX_LENGTH}"
    if legacy:
        if source["Peer"]:
            return f"Sources[{i}].Peer cannot be set by legacy intentions"
        meta = source["LegacyMeta"] or {}
        if len(meta) > META_MAX_KEY_PAIRS:
            return f"Sources[{i}].Meta exceeds maximum element count {META_MAX_KEY_PAIRS}"
        for key, value in meta.items():
            if len(key.encode()) > META_KEY_MAX_LENGTH:
                return (
                    f"Sources[{i}].Meta key {quote(key)} exceeds maximum length "
                    f"{META_KEY_MAX_LENGTH}"
                )
            if len(value.encode()) > META_VALUE_MAX_LENGTH:
                return (
                    f"Sources[{i}].Meta value for key {quote(key)} exceeds maximum length "
                    f"{META_VALUE_MAX_LENGTH}"
                )
        for field in ("LegacyCreateTime", "LegacyUpdateTime"):
            if source[field] is None:
                return f"Sources[{i}].{field} must be set"
        if not source["LegacyID"]:
            return f"Sources[{i}].LegacyID must be set"
    else:
        if source["LegacyMeta"]:
            return f"Sources[{i}].LegacyMeta must be omitted"
        source["LegacyMeta"] = None
        for field in ("LegacyCreateTime", "LegacyUpdateTime", "LegacyID"):
            if source[field]:
                return f"Sources[{i}].{field} must be omitted"
    permissions = source["Permissions"] or []
    if (legacy or not permissions) and source["Action"] not in ("allow", "deny"):
        return f"Sources[{i}].Action must be set to 'allow' or 'deny'"
    if permissions and source["Action"]:
        return f"Sources[{i}].Action must be omitted if Permissions are specified"
    if wild_destination and permissions:
        return (
            f"Sources[{i}].Permissions cannot be specified on intentions with wildcarded "
            "destinations"
        )
    if source["Type"] != "consul":
        return f"Sources[{i}].Type must be set to 'consul'"
    for j, permission in enumerate(permissions):
        if (problem := _permission_error(i, j, permission)) is not None:
            return problem
    return None


def _validate(entry: Entry, legacy: bool) -> None:
    name = entry["Name"]
    if not name:
        raise RPCError("Name is required")
    if (problem := _wildcard_error(name)) is not None:
        raise RPCError(problem)
    if (problem := _jwt_error(entry["JWT"])) is not None:
        raise RPCError(problem)
    if legacy:
        if entry["Meta"]:
            raise RPCError("Meta must be omitted for legacy intention writes")
    else:
        validate_meta(entry["Meta"])
    sources = entry["Sources"] or []
    if not sources:
        raise RPCError("At least one source is required")
    seen: set[tuple[str, str]] = set()
    for i, source in enumerate(sources):
        if source is None:
            raise RPCError(f"Sources[{i}].Name is required")
        if (problem := _source_error(i, source, legacy, name == WILDCARD)) is not None:
            raise RPCError(problem)
        key = (source["Peer"], source["Name"])
        if key in seen:
            # ServiceName.String() is the bare name in Consul CE.
            peer = f"peer({quote(source['Peer'])}) " if source["Peer"] else ""
            raise RPCError(f"Sources[{i}] defines {peer}{quote(source['Name'])} more than once")
        seen.add(key)


def validate(entry: Entry) -> None:
    """``ServiceIntentionsConfigEntry.Validate``: the first problem, as Consul reports it."""
    _validate(entry, legacy=False)


def legacy_validate(entry: Entry) -> None:
    """``LegacyValidate``: the rules of a write through the legacy (UUID) API."""
    _validate(entry, legacy=True)


def update_over(entry: Entry, previous: Entry | None) -> None:
    """``UpdateOver``: a legacy source keeps its ID and its creation time.

    A source with a ``LegacyID`` may not take over a source that had none,
    nor change its ID (``Sources[i].LegacyID: cannot set this field``...).
    """
    if previous is None:
        return
    by_name = {(s["Peer"], s["Name"]): s for s in previous["Sources"] or []}
    by_id = {s["LegacyID"]: s for s in previous["Sources"] or [] if s["LegacyID"]}
    for i, source in enumerate(entry["Sources"] or []):
        if not source["LegacyID"]:
            continue
        before = by_name.get((source["Peer"], source["Name"]))
        if before is not None:
            if not before["LegacyID"]:
                raise RPCError(f"Sources[{i}].LegacyID: cannot set this field")
            if before["LegacyID"] != source["LegacyID"]:
                raise RPCError(f"Sources[{i}].LegacyID: cannot set this field to a different value")
        same = by_id.get(source["LegacyID"])
        if same is not None and same["LegacyCreateTime"] is not None:
            source["LegacyCreateTime"] = copy.copy(same["LegacyCreateTime"])


#: The kinds whose writes re-check every intention's protocol (the service graph's own).
_CHAIN_KINDS = frozenset(
    ("service-defaults", "proxy-defaults", "service-router", "service-splitter", "service-resolver")
)


def check_l7_protocols(view: EntriesView, kind: str, name: str) -> None:
    """Intentions with HTTP permissions need an HTTP-like destination.

    ``validateProposedConfigEntryInServiceGraph``: a write of a
    ``service-intentions`` entry checks its destination; a write or delete
    of what decides a protocol (``service-defaults``, the global
    ``proxy-defaults``...) checks every entry's. The protocol is the
    chain's (:func:`.chain.protocol_of_service`).
    """
    if kind == KIND.name:
        entry = view.get(kind, name)
        entries = [entry] if entry is not None else []
    elif kind in _CHAIN_KINDS:
        if kind == "proxy-defaults" and name != "global":
            return
        entries = list(view.of_kind(KIND.name))
    else:
        return
    for entry in entries:
        if entry["Name"] == WILDCARD:
            continue
        if not any(source["Permissions"] for source in entry["Sources"] or []):
            continue
        protocol = protocol_of_service(view, entry["Name"])
        if protocol not in HTTP_LIKE:
            raise RPCError(
                f"service {quote(entry['Name'])} has protocol {quote(protocol)}, which is "
                "incompatible with L7 intentions permissions"
            )


def can_read(authz: Authorizer, entry: Entry) -> Denied | None:
    """``CanRead``: ``intention:read`` on the destination."""
    return None if authz.intention_read(entry["Name"]) else ("intention:read", entry["Name"])


def can_write(authz: Authorizer, entry: Entry) -> Denied | None:
    """``CanWrite``: ``intention:write`` on the destination."""
    return None if authz.intention_write(entry["Name"]) else ("intention:write", entry["Name"])


KIND = Kind(
    "service-intentions",
    SERVICE_INTENTIONS,
    normalize=normalize,
    validate=validate,
    can_read=can_read,
    can_write=can_write,
    check_graph=check_l7_protocols,
    update_over=update_over,
)
