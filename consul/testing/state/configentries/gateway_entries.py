"""The ``ingress-gateway`` and ``terminating-gateway`` kinds.

After ``agent/structs/config_entry_gateways.go`` (the entries, their
``Normalize`` and ``Validate``, ``validateServiceSDS``, ``validateHost``)
and ``agent/consul/state/config_entry.go`` (``checkGatewayClash``, and the
``gateway-services`` table the entries fill: ``updateGatewayServices``,
here :class:`~..gateways.GatewayServicesStore`). An ingress gateway's
listeners must also agree with the protocols of the chains they expose
(:mod:`.chain`). Reading needs ``service:read`` on the gateway, writing
``mesh:write``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..gateways import INGRESS, TERMINATING
from ..golang import quote
from ..gotypes import BOOL, INT, STRING, Ptr, Slice, named, omitempty, struct
from .chain import HTTP_LIKE
from .discovery_chain import HEADER_MODIFIERS
from .registry import Entry, Kind, can_read_service, can_write_mesh
from .service_defaults import PASSIVE_HEALTH_CHECK, UINT32
from .types import HASH, META, entry_hash, tls_config_error, validate_meta

if TYPE_CHECKING:
    from ..datacenter import Datacenter
    from .store import EntriesView

__all__ = ["INGRESS_KIND", "TERMINATING_KIND"]

_SDS = struct(
    "structs.GatewayTLSSDSConfig",
    aliases={"cluster_name": "ClusterName", "cert_resource": "CertResource"},
    ClusterName=omitempty(STRING),
    CertResource=omitempty(STRING),
)
_GATEWAY_TLS = struct(
    "structs.GatewayTLSConfig",
    aliases={
        "tls_min_version": "TLSMinVersion",
        "tls_max_version": "TLSMaxVersion",
        "cipher_suites": "CipherSuites",
    },
    Enabled=BOOL,
    SDS=omitempty(Ptr(_SDS)),
    TLSMinVersion=omitempty(named("types.TLSVersion")),
    TLSMaxVersion=omitempty(named("types.TLSVersion")),
    CipherSuites=omitempty(Slice(named("types.TLSCipherSuite"))),
)
_INGRESS_SERVICE = struct(
    "structs.IngressService",
    aliases={
        "request_headers": "RequestHeaders",
        "response_headers": "ResponseHeaders",
        "max_connections": "MaxConnections",
        "max_pending_requests": "MaxPendingRequests",
        "max_concurrent_requests": "MaxConcurrentRequests",
        "passive_health_check": "PassiveHealthCheck",
    },
    Name=STRING,
    Hosts=Slice(STRING),
    TLS=omitempty(Ptr(struct("structs.GatewayServiceTLSConfig", SDS=omitempty(Ptr(_SDS))))),
    RequestHeaders=omitempty(Ptr(HEADER_MODIFIERS)),
    ResponseHeaders=omitempty(Ptr(HEADER_MODIFIERS)),
    MaxConnections=omitempty(UINT32),
    MaxPendingRequests=omitempty(UINT32),
    MaxConcurrentRequests=omitempty(UINT32),
    PassiveHealthCheck=omitempty(Ptr(PASSIVE_HEALTH_CHECK)),
    Meta=META,
)
INGRESS_GATEWAY = struct(
    "structs.IngressGatewayConfigEntry",
    Kind=STRING,
    Name=STRING,
    TLS=_GATEWAY_TLS,
    Listeners=Slice(
        struct(
            "structs.IngressListener",
            Port=INT,
            Protocol=STRING,
            TLS=omitempty(Ptr(_GATEWAY_TLS)),
            Services=Slice(_INGRESS_SERVICE),
        )
    ),
    Defaults=omitempty(
        Ptr(
            struct(
                "structs.IngressServiceConfig",
                aliases={"passive_health_check": "PassiveHealthCheck"},
                MaxConnections=UINT32,
                MaxPendingRequests=UINT32,
                MaxConcurrentRequests=UINT32,
                PassiveHealthCheck=omitempty(Ptr(PASSIVE_HEALTH_CHECK)),
            )
        )
    ),
    Meta=META,
    Hash=HASH,
)
TERMINATING_GATEWAY = struct(
    "structs.TerminatingGatewayConfigEntry",
    Kind=STRING,
    Name=STRING,
    Services=Slice(
        struct(
            "structs.LinkedService",
            aliases={
                "ca_file": "CAFile",
                "cert_file": "CertFile",
                "key_file": "KeyFile",
                "disable_auto_host_rewrite": "DisableAutoHostRewrite",
            },
            Name=omitempty(STRING),
            CAFile=omitempty(STRING),
            CertFile=omitempty(STRING),
            KeyFile=omitempty(STRING),
            SNI=omitempty(STRING),
            DisableAutoHostRewrite=omitempty(BOOL),
        )
    ),
    Meta=META,
    Hash=HASH,
)

#: ``dns.IsDomainName``'s rules: labels of 1 to 63 octets, 255 at most, no empty label.
_DOMAIN = re.compile(r"[^.]{1,63}(\.[^.]{1,63})*\.?\Z")


# -- ingress-gateway ------------------------------------------------------------------


def normalize_ingress(entry: Entry) -> None:
    """``IngressGatewayConfigEntry.Normalize``: protocols in lower case, ``tcp`` by default."""
    entry["Kind"] = INGRESS
    for listener in entry["Listeners"] or []:
        listener["Protocol"] = (listener["Protocol"] or "tcp").lower()
    entry["Hash"] = entry_hash(entry)


def _tls_error(tls: dict[str, Any]) -> str | None:
    return tls_config_error(tls["TLSMinVersion"], tls["TLSMaxVersion"], tls["CipherSuites"])


def _sds_error(entry: Entry, listener: dict[str, Any], service: dict[str, Any]) -> str | None:
    """``validateServiceSDS``: the certificates of a service on a listener, level by level."""
    port = listener["Port"]
    gateway_sds = entry["TLS"]["SDS"]
    gateway_cluster = gateway_cert = False
    if gateway_sds is not None:
        if not gateway_sds["ClusterName"] and gateway_sds["CertResource"]:
            return "TLS.SDS.ClusterName is required if CertResource is set"
        gateway_cluster = bool(gateway_sds["ClusterName"])
        gateway_cert = bool(gateway_sds["CertResource"])
    listener_sds = (listener["TLS"] or {}).get("SDS")
    listener_cert = bool(listener_sds and listener_sds["CertResource"])
    listener_cluster = bool(listener_sds and listener_sds["ClusterName"])
    if gateway_cluster and not gateway_cert and not listener_cert:
        return (
            "TLS.SDS.CertResource is required if ClusterName is set for gateway "
            f"(listener on port {port})"
        )
    if listener_cluster and not listener_cert:
        return (
            "TLS.SDS.CertResource is required if ClusterName is set for listener "
            f"(listener on port {port})"
        )
    if listener_cert and not listener_cluster and not gateway_cluster:
        return f"TLS.SDS.ClusterName is required if CertResource is set (listener on port {port})"
    service_sds = (service["TLS"] or {}).get("SDS")
    if service_sds and service_sds["CertResource"]:
        where = f"(service {quote(service['Name'])} on listener on port {port})"
        if not service["Hosts"]:
            return (
                "A service specifying TLS.SDS.CertResource must have at least one item in "
                f"Hosts {where}"
            )
        if not service_sds["ClusterName"] and not listener_cluster and not gateway_cluster:
            return f"TLS.SDS.ClusterName is required if CertResource is set {where}"
    return None


def _host_error(tls_enabled: bool, host: str) -> str | None:
    """``validateHost``."""
    if host == "*":
        if tls_enabled:
            return (
                "Host '*' is not allowed when TLS is enabled, all hosts must be valid DNS "
                "records to add as a DNSSAN"
            )
        return None
    if len(host) > 255 or not _DOMAIN.match(host):
        return f"Host {quote(host)} must be a valid DNS hostname"
    if "*" in host.removeprefix("*."):
        return (
            f"Host {quote(host)} is not valid, a wildcard specifier is only allowed as the "
            "leftmost label"
        )
    return None


def _headers_error(modifiers: dict[str, Any] | None, protocol: str) -> str | None:
    """``HTTPHeaderModifiers.Validate``: only on an HTTP-like listener."""
    if modifiers is None or not any(modifiers.values()):
        return None
    return None if protocol in HTTP_LIKE else "only valid for http, http2 and grpc protocols"


def validate_ingress(entry: Entry) -> None:
    """``IngressGatewayConfigEntry.Validate``: the first problem found."""
    validate_meta(entry["Meta"])
    if problem := _tls_error(entry["TLS"]):
        raise RPCError(problem)
    ports: set[int] = set()
    for listener in entry["Listeners"] or []:
        port, protocol = listener["Port"], listener["Protocol"]
        if port in ports:
            raise RPCError(f"port {port} declared on two listeners")
        ports.add(port)
        if protocol not in ("tcp", "http", "http2", "grpc"):
            raise RPCError(
                "protocol must be 'tcp', 'http', 'http2', or 'grpc'. "
                f"'{protocol}' is an unsupported protocol"
            )
        services = listener["Services"] or []
        if not services:
            raise RPCError(f"No service declared for listener with port {port}")
        if protocol not in HTTP_LIKE and len(services) > 1:
            raise RPCError(
                "Multiple services per listener are only supported for L7 protocols, 'http', "
                f"'grpc' and 'http2' (listener on port {port})"
            )
        if listener["TLS"] is not None and (problem := _tls_error(listener["TLS"])):
            raise RPCError(problem)
        hosts: set[str] = set()
        names: set[str] = set()
        for service in services:
            name = service["Name"]
            where = f"(service {quote(name)} on listener on port {port})"
            for field, label in (("RequestHeaders", "request"), ("ResponseHeaders", "response")):
                if problem := _headers_error(service[field], protocol):
                    raise RPCError(f"{label} headers {problem} {where}")
            if protocol == "tcp":
                if name == "*":
                    raise RPCError(
                        "Wildcard service name is only valid for protocol = 'http' "
                        f"(listener on port {port})"
                    )
                if service["Hosts"]:
                    raise RPCError(
                        f"Associating hosts to a service is not supported for the {protocol} "
                        f"protocol (listener on port {port})"
                    )
            if not name:
                raise RPCError(f"Service name cannot be blank (listener on port {port})")
            if name == "*" and service["Hosts"]:
                raise RPCError(
                    "Associating hosts to a wildcard service is not supported "
                    f"(listener on port {port})"
                )
            if name in names:
                raise RPCError(
                    f"Service {name} cannot be added multiple times (listener on port {port})"
                )
            names.add(name)
            if problem := _sds_error(entry, listener, service):
                raise RPCError(problem)
            for host in service["Hosts"] or []:
                if host in hosts:
                    raise RPCError(
                        f"Hosts must be unique within a specific listener (listener on port {port})"
                    )
                hosts.add(host)
                if problem := _host_error(entry["TLS"]["Enabled"], host):
                    raise RPCError(problem)


def _write_ingress(dc: Datacenter, idx: int, entry: Entry) -> None:
    dc.gateways.set_ingress(idx, entry["Name"], entry["Listeners"] or [])


# -- terminating-gateway --------------------------------------------------------------


def normalize_terminating(entry: Entry) -> None:
    """``TerminatingGatewayConfigEntry.Normalize``."""
    entry["Kind"] = TERMINATING
    entry["Hash"] = entry_hash(entry)


def validate_terminating(entry: Entry) -> None:
    """``TerminatingGatewayConfigEntry.Validate``: the first problem found."""
    validate_meta(entry["Meta"])
    seen: set[str] = set()
    for service in entry["Services"] or []:
        name = service["Name"]
        if not name:
            raise RPCError("Service name cannot be blank.")
        if name in seen:
            raise RPCError(f"Service {quote(name)} was specified more than once within a namespace")
        seen.add(name)
        if (service["CertFile"] or service["KeyFile"]) and not (
            service["CAFile"] and service["CertFile"] and service["KeyFile"]
        ):
            raise RPCError(
                f"Service {quote(name)} must have a CertFile, CAFile, and KeyFile specified for "
                "TLS origination"
            )


def _write_terminating(dc: Datacenter, idx: int, entry: Entry) -> None:
    """``updateGatewayServices``: the mappings, then (if they changed) the virtual IPs."""
    name = entry["Name"]
    previous = dc.gateways.mapped(name)
    services = entry["Services"] or []
    if dc.gateways.set_terminating(idx, name, services):
        linked = [service["Name"] for service in services]
        dc.virtual_ips.update_terminating_gateway(idx, name, linked, previous)


# -- both -----------------------------------------------------------------------------


def check_gateway_clash(view: EntriesView, kind: str, name: str) -> None:
    """``checkGatewayClash``: an ingress and a terminating gateway cannot share a name."""
    other = {INGRESS: TERMINATING, TERMINATING: INGRESS}.get(kind)
    if other is None or view.get(other, name) is None:
        return
    raise RPCError(
        f"cannot create a {quote(kind)} config entry with name {quote(name)}, "
        f"a {quote(other)} config entry with that name already exists"
    )


def _delete_gateway(dc: Datacenter, idx: int, name: str) -> None:
    dc.gateways.delete(idx, name)


INGRESS_KIND = Kind(
    INGRESS,
    INGRESS_GATEWAY,
    normalize=normalize_ingress,
    validate=validate_ingress,
    can_read=can_read_service,
    can_write=can_write_mesh,
    check_graph=check_gateway_clash,
    on_write=_write_ingress,
    on_delete=_delete_gateway,
)
TERMINATING_KIND = Kind(
    TERMINATING,
    TERMINATING_GATEWAY,
    normalize=normalize_terminating,
    validate=validate_terminating,
    can_read=can_read_service,
    can_write=can_write_mesh,
    on_write=_write_terminating,
    on_delete=_delete_gateway,
)
