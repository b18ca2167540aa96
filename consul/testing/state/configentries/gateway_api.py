"""The ``api-gateway`` and ``bound-api-gateway`` kinds, and what the gateway-API kinds share.

After ``agent/structs/config_entry_gateways.go`` (``APIGatewayConfigEntry``,
``BoundAPIGatewayConfigEntry``), ``agent/structs/config_entry_status.go``
(``ResourceReference``, ``Status``, ``Condition``),
``agent/structs/config_entry_apigw_jwt_ce.go`` (the JWT requirement is an
empty struct in Consul CE, so a ``JWT`` key inside it is refused as an
Enterprise feature), ``agent/structs/config_entry_mesh.go``
(``validateTLSConfig``, :func:`~.types.tls_config_error`).

The gateway-API kinds are *controlled* (``structs.ControlledConfigEntry``):
the ``Status`` a user writes is ignored; the state store keeps the stored
entry's, or starts from an empty one (``ensureConfigEntryTxn`` in
``agent/consul/state/config_entry.go``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import quote
from ..gotypes import INT, STRING, Map, Ptr, Slice, named, omitempty, struct
from .registry import Denied, Entry, Kind, can_read_service, can_write_mesh
from .types import HASH, META, entry_hash, tls_config_error, validate_meta

if TYPE_CHECKING:
    from ..acl.authorizer import Authorizer

__all__ = [
    "API_GATEWAY",
    "BOUND_API_GATEWAY",
    "BOUND_KIND",
    "KIND",
    "RESOURCE_REFERENCE",
    "STATUS",
    "is_domain_name",
]

#: ``structs.ResourceReference`` (its ``acl.EnterpriseMeta`` is empty in Consul CE).
RESOURCE_REFERENCE = struct(
    "structs.ResourceReference", Kind=STRING, Name=STRING, SectionName=STRING
)
#: ``structs.Condition``; ``LastTransitionTime`` is a ``*time.Time``, kept as its text.
CONDITION = struct(
    "structs.Condition",
    Type=STRING,
    Status=STRING,
    Reason=STRING,
    Message=STRING,
    Resource=Ptr(RESOURCE_REFERENCE),
    LastTransitionTime=Ptr(named("time.Time")),
)
#: ``structs.Status``: what the controllers report about an entry.
STATUS = struct("structs.Status", Conditions=Slice(CONDITION))

TLS_VERSION = named("types.TLSVersion")
CIPHER_SUITE = named("types.TLSCipherSuite")
LISTENER_PROTOCOL = named("structs.APIGatewayListenerProtocol")
#: ``structs.APIGatewayPolicy``; ``APIGatewayJWTRequirement`` has no field in Consul CE.
POLICY = struct(
    "structs.APIGatewayPolicy",
    JWT=omitempty(Ptr(struct("structs.APIGatewayJWTRequirement"))),
)
TLS_CONFIGURATION = struct(
    "structs.APIGatewayTLSConfiguration",
    Certificates=Slice(RESOURCE_REFERENCE),
    MaxVersion=TLS_VERSION,
    MinVersion=TLS_VERSION,
    CipherSuites=Slice(CIPHER_SUITE),
)
LISTENER = struct(
    "structs.APIGatewayListener",
    Name=STRING,
    Hostname=STRING,
    Port=INT,
    Protocol=LISTENER_PROTOCOL,
    TLS=TLS_CONFIGURATION,
    Override=omitempty(Ptr(POLICY)),
    Default=omitempty(Ptr(POLICY)),
)
API_GATEWAY = struct(
    "structs.APIGatewayConfigEntry",
    Kind=STRING,
    Name=STRING,
    Listeners=Slice(LISTENER),
    Status=STATUS,
    Meta=META,
    Hash=HASH,
)
BOUND_LISTENER = struct(
    "structs.BoundAPIGatewayListener",
    Name=STRING,
    Routes=Slice(RESOURCE_REFERENCE),
    Certificates=Slice(RESOURCE_REFERENCE),
)
#: ``Services`` is a ``ServiceRouteReferences``, written as a map keyed by service name.
BOUND_API_GATEWAY = struct(
    "structs.BoundAPIGatewayConfigEntry",
    Kind=STRING,
    Name=STRING,
    Listeners=Slice(BOUND_LISTENER),
    Services=Map(Slice(RESOURCE_REFERENCE)),
    Meta=META,
    Hash=HASH,
)

#: The certificate kinds a listener may refer to.
CERTIFICATE_KINDS = ("inline-certificate",)
#: ``listenerNameRegex``.
_LISTENER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def is_domain_name(name: str) -> bool:
    """``dns.IsDomainName`` (``miekg/dns``): labels of 1 to 63 octets, 255 in all.

    A backslash escapes the next character (``\\.``) or starts a ``\\DDD``
    octet; the empty name is not a domain name, the root ``.`` is.
    """
    if not name:
        return False
    if name == ".":
        return True
    labels: list[int] = [0]
    i = 0
    raw = name.encode()
    while i < len(raw):
        char = raw[i]
        if char == ord("\\"):
            digits = raw[i + 1 : i + 4]
            i += 4 if len(digits) == 3 and digits.isdigit() else 2
            labels[-1] += 1
            continue
        if char == ord("."):
            if labels[-1] == 0:
                return False
            labels.append(0)
        else:
            labels[-1] += 1
        i += 1
    if labels[-1] == 0:
        labels.pop()  # the name ended with its dot: it is fully qualified
    if any(size == 0 or size > 63 for size in labels):
        return False
    return sum(size + 1 for size in labels) + 1 <= 255


# -- api-gateway -------------------------------------------------------------------------


def normalize(entry: Entry) -> None:
    """``APIGatewayConfigEntry.Normalize``: protocols in lower case, certificate kinds."""
    entry["Kind"] = KIND.name
    for listener in entry["Listeners"] or []:
        listener["Protocol"] = listener["Protocol"].lower()
        for certificate in listener["TLS"]["Certificates"] or []:
            if not certificate["Kind"]:
                certificate["Kind"] = "inline-certificate"
    entry["Hash"] = entry_hash(entry)


def validate(entry: Entry) -> None:
    """``APIGatewayConfigEntry.Validate``: the first problem found."""
    validate_meta(entry["Meta"])
    listeners = entry["Listeners"] or []
    if not listeners:
        raise RPCError("api gateway must have at least one listener")
    names: set[str] = set()
    for listener in listeners:
        name = listener["Name"]
        if not _LISTENER_NAME.fullmatch(name):
            raise RPCError(
                f"listener name {quote(name)} is invalid, must be at least 1 character and "
                "contain only letters, numbers, or dashes"
            )
        if name in names:
            raise RPCError(f"found multiple listeners with the name {quote(name)}")
        names.add(name)
    by_port: dict[int, dict[str, Any]] = {}
    for listener in listeners:
        merged = by_port.get(listener["Port"])
        if merged is not None and (
            merged["Hostname"] != listener["Hostname"] or merged["Protocol"] != listener["Protocol"]
        ):
            raise RPCError(
                f"listeners {quote(merged['Name'])} and {quote(listener['Name'])} cannot be merged"
            )
        by_port[listener["Port"]] = listener
    for listener in listeners:
        _validate_listener(listener)


def _validate_certificate_ref(certificate: dict[str, Any]) -> None:
    """A listener's certificate reference: a kind a gateway takes, and a name.

    The same checks in ``APIGatewayConfigEntry.Validate`` and
    ``BoundAPIGatewayConfigEntry.Validate`` (``agent/structs/config_entry_gateways.go``).
    """
    if certificate["Kind"] not in CERTIFICATE_KINDS:
        raise RPCError(
            f"unsupported certificate kind: {quote(certificate['Kind'])}, must be "
            "'inline-certificate'"
        )
    if not certificate["Name"]:
        raise RPCError("certificate reference must have a name")


def _validate_listener(listener: dict[str, Any]) -> None:
    """One listener of ``validateListeners``."""
    protocol = listener["Protocol"]
    hostname = listener["Hostname"]
    if protocol not in ("http", "tcp"):
        raise RPCError(
            f"unsupported listener protocol {quote(protocol)}, must be one of 'tcp', or 'http'"
        )
    if protocol == "tcp" and hostname:
        raise RPCError("hostname specification is not supported when using TCP")
    if not 1 <= listener["Port"] <= 65535:
        raise RPCError(f"listener port {listener['Port']} not in the range 1-65535")
    if "*" in hostname.removeprefix("*."):
        raise RPCError(
            f"host {quote(hostname)} is not valid, a wildcard specifier is only allowed as "
            "the left-most label"
        )
    tls = listener["TLS"]
    for certificate in tls["Certificates"] or []:
        _validate_certificate_ref(certificate)
    problem = tls_config_error(tls["MinVersion"], tls["MaxVersion"], tls["CipherSuites"])
    if problem:
        raise RPCError(problem)


KIND = Kind(
    "api-gateway",
    API_GATEWAY,
    normalize=normalize,
    validate=validate,
    can_read=can_read_service,
    can_write=can_write_mesh,
    controlled=True,
)


# -- bound-api-gateway -------------------------------------------------------------------


def _normalize_bound(entry: Entry) -> None:
    """``BoundAPIGatewayConfigEntry.Normalize``: only the hash (the rest is Enterprise meta)."""
    entry["Kind"] = BOUND_KIND.name
    entry["Hash"] = entry_hash(entry)


def _validate_bound(entry: Entry) -> None:
    """``BoundAPIGatewayConfigEntry.Validate``: the kinds and names of its references."""
    for listener in entry["Listeners"] or []:
        for certificate in listener["Certificates"] or []:
            _validate_certificate_ref(certificate)
        for route in listener["Routes"] or []:
            if route["Kind"] not in ("http-route", "tcp-route"):
                raise RPCError(
                    f"unsupported route kind: {quote(route['Kind'])}, must be one of "
                    "'http-route', or 'tcp-route'"
                )
            if not route["Name"]:
                raise RPCError("route reference must have a name")


def _can_write_bound(authz: Authorizer, entry: Entry) -> Denied | None:
    """``CanWrite``: nobody, whatever the token (``acl.PermissionDenied``)."""
    raise RPCError("Permission denied: only writeable by controller")


BOUND_KIND = Kind(
    "bound-api-gateway",
    BOUND_API_GATEWAY,
    normalize=_normalize_bound,
    validate=_validate_bound,
    can_read=can_read_service,
    can_write=_can_write_bound,
)
