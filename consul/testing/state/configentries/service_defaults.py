"""The ``service-defaults`` kind: one service's defaults across the datacenter.

After ``agent/structs/config_entry.go`` (``ServiceConfigEntry``,
``UpstreamConfig``, ``PassiveHealthCheck``, ``UpstreamLimits``,
``DestinationConfig``), ``agent/structs/config_entry_ce.go``
(``validateRatelimit``) and ``agent/consul/state/config_entry.go``
(``checkMutualTLSMode``). Read with ``service:read`` on the service,
written with ``service:write``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import multierror
from ..gotypes import DURATION, INT, STRING, Ptr, Scalar, Slice, omitempty, struct
from .registry import Denied, Entry, Kind, can_read_service
from .types import (
    ENVOY_EXTENSIONS,
    EXPOSE,
    HASH,
    MESH_GATEWAY,
    META,
    MUTUAL_TLS_MODE,
    PROXY_MODE,
    TRANSPARENT_PROXY,
    entry_hash,
    fail,
    meta_errors,
    validate_mutual_tls_mode,
)

if TYPE_CHECKING:
    from ..acl.authorizer import Authorizer
    from .store import EntriesView

__all__ = ["KIND", "SERVICE_DEFAULTS", "check_mutual_tls_mode"]

UINT32 = Scalar("uint32", "uint", 32)
UPSTREAM_LIMITS = struct(
    "structs.UpstreamLimits",
    aliases={
        "max_connections": "MaxConnections",
        "max_pending_requests": "MaxPendingRequests",
        "max_concurrent_requests": "MaxConcurrentRequests",
    },
    MaxConnections=omitempty(Ptr(INT)),
    MaxPendingRequests=omitempty(Ptr(INT)),
    MaxConcurrentRequests=omitempty(Ptr(INT)),
)
PASSIVE_HEALTH_CHECK = struct(
    "structs.PassiveHealthCheck",
    aliases={
        "max_failures": "MaxFailures",
        "enforcing_consecutive_5xx": "EnforcingConsecutive5xx",
        "max_ejection_percent": "MaxEjectionPercent",
        "base_ejection_time": "BaseEjectionTime",
    },
    Interval=omitempty(DURATION),
    MaxFailures=omitempty(UINT32),
    EnforcingConsecutive5xx=omitempty(Ptr(UINT32)),
    MaxEjectionPercent=omitempty(Ptr(UINT32)),
    BaseEjectionTime=omitempty(Ptr(DURATION)),
)
UPSTREAM_CONFIG = struct(
    "structs.UpstreamConfig",
    aliases={
        "envoy_listener_json": "EnvoyListenerJSON",
        "envoy_cluster_json": "EnvoyClusterJSON",
        "connect_timeout_ms": "ConnectTimeoutMs",
        "passive_health_check": "PassiveHealthCheck",
        "mesh_gateway": "MeshGateway",
        "balance_outbound_connections": "BalanceOutboundConnections",
    },
    Name=omitempty(STRING),
    Peer=STRING,
    EnvoyListenerJSON=omitempty(STRING),
    EnvoyClusterJSON=omitempty(STRING),
    Protocol=omitempty(STRING),
    ConnectTimeoutMs=omitempty(INT),
    Limits=omitempty(Ptr(UPSTREAM_LIMITS)),
    PassiveHealthCheck=omitempty(Ptr(PASSIVE_HEALTH_CHECK)),
    MeshGateway=omitempty(MESH_GATEWAY),
    BalanceOutboundConnections=omitempty(STRING),
)
UPSTREAM_CONFIGURATION = struct(
    "structs.UpstreamConfiguration",
    Overrides=omitempty(Slice(Ptr(UPSTREAM_CONFIG))),
    Defaults=omitempty(Ptr(UPSTREAM_CONFIG)),
)
DESTINATION = struct(
    "structs.DestinationConfig", Addresses=omitempty(Slice(STRING)), Port=omitempty(INT)
)
#: ``structs.RateLimits``: a Consul Enterprise feature, refused when given.
RATE_LIMITS = struct(
    "structs.RateLimits",
    aliases={"instance_level": "InstanceLevel"},
    InstanceLevel=struct(
        "structs.InstanceLevelRateLimits",
        aliases={
            "requests_per_second": "RequestsPerSecond",
            "requests_max_burst": "RequestsMaxBurst",
        },
        RequestsPerSecond=INT,
        RequestsMaxBurst=INT,
        Routes=Slice(
            struct(
                "structs.InstanceLevelRouteRateLimits",
                aliases={
                    "path_exact": "PathExact",
                    "path_prefix": "PathPrefix",
                    "path_regex": "PathRegex",
                    "requests_per_second": "RequestsPerSecond",
                    "requests_max_burst": "RequestsMaxBurst",
                },
                PathExact=STRING,
                PathPrefix=STRING,
                PathRegex=STRING,
                RequestsPerSecond=INT,
                RequestsMaxBurst=INT,
            )
        ),
    ),
)

SERVICE_DEFAULTS = struct(
    "structs.ServiceConfigEntry",
    aliases={
        "transparent_proxy": "TransparentProxy",
        "mutual_tls_mode": "MutualTLSMode",
        "mesh_gateway": "MeshGateway",
        "external_sni": "ExternalSNI",
        "upstream_config": "UpstreamConfig",
        "max_inbound_connections": "MaxInboundConnections",
        "local_connect_timeout_ms": "LocalConnectTimeoutMs",
        "local_request_timeout_ms": "LocalRequestTimeoutMs",
        "balance_inbound_connections": "BalanceInboundConnections",
        "rate_limits": "RateLimits",
        "envoy_extensions": "EnvoyExtensions",
    },
    Kind=STRING,
    Name=STRING,
    Protocol=STRING,
    Mode=omitempty(PROXY_MODE),
    TransparentProxy=omitempty(TRANSPARENT_PROXY),
    MutualTLSMode=omitempty(MUTUAL_TLS_MODE),
    MeshGateway=omitempty(MESH_GATEWAY),
    Expose=omitempty(EXPOSE),
    ExternalSNI=omitempty(STRING),
    UpstreamConfig=omitempty(Ptr(UPSTREAM_CONFIGURATION)),
    Destination=omitempty(Ptr(DESTINATION)),
    MaxInboundConnections=omitempty(INT),
    LocalConnectTimeoutMs=omitempty(INT),
    LocalRequestTimeoutMs=omitempty(INT),
    BalanceInboundConnections=omitempty(STRING),
    RateLimits=omitempty(Ptr(RATE_LIMITS)),
    EnvoyExtensions=omitempty(ENVOY_EXTENSIONS),
    Meta=META,
    Hash=HASH,
)

#: ``structs.ConnectionExactBalance``: the one balance besides the default.
EXACT_BALANCE = "exact_balance"
#: ``dns.IsDomainName``'s shape, loosely: labels of 1 to 63 octets, 255 at most.
_DOMAIN = re.compile(r"[^.]{1,63}(\.[^.]{1,63})*\.?\Z")


def _normalize_upstream(upstream: dict[str, Any]) -> None:
    """``UpstreamConfig.normalize``: the protocol in lower case, no negative timeout."""
    upstream["Protocol"] = upstream["Protocol"].lower()
    upstream["ConnectTimeoutMs"] = max(upstream["ConnectTimeoutMs"], 0)


def normalize(entry: Entry) -> None:
    """``ServiceConfigEntry.Normalize``."""
    entry["Kind"] = KIND.name
    entry["Protocol"] = entry["Protocol"].lower()
    upstreams = entry["UpstreamConfig"]
    if upstreams is not None:
        for override in upstreams["Overrides"] or []:
            if override is not None:
                _normalize_upstream(override)
        if upstreams["Defaults"] is not None:
            _normalize_upstream(upstreams["Defaults"])
    entry["Hash"] = entry_hash(entry)


def _upstream_errors(upstream: dict[str, Any], named: bool) -> list[str]:
    """``UpstreamConfig.validate``: the first error of the name checks, or all the others."""
    if named:
        if not upstream["Name"]:
            return ["Name is required"]
        if upstream["Name"] == "*":
            return ["Wildcard name is not supported"]
    elif upstream["Name"]:
        return ["Name must be empty"]
    errors = []
    check = upstream["PassiveHealthCheck"]
    if check is not None:
        if check["Interval"] < 0:
            errors.append("passive health check interval cannot be negative")
        elif (check["EnforcingConsecutive5xx"] or 0) > 100:
            errors.append(
                "passive health check enforcing_consecutive_5xx must be a percentage "
                "between 0 and 100"
            )
        elif (check["MaxEjectionPercent"] or 0) > 100:
            errors.append(
                "passive health check max_ejection_percent must be a percentage between 0 and 100"
            )
        elif (check["BaseEjectionTime"] or 0) < 0:
            errors.append("passive health check base_ejection_time cannot be negative")
    limits = upstream["Limits"]
    if limits is not None:
        for field, text in (
            ("MaxConnections", "max connections"),
            ("MaxPendingRequests", "max pending requests"),
            ("MaxConcurrentRequests", "max concurrent requests"),
        ):
            if (limits[field] or 0) < 0:
                errors.append(f"{text} cannot be negative")
                break
    balance = upstream["BalanceOutboundConnections"]
    if balance not in ("", EXACT_BALANCE):
        errors.append(f"invalid value for balance_outbound_connections: {balance}")
    return errors


def _upstream_error(upstream: dict[str, Any], named: bool) -> str | None:
    """What ``ValidateWithName`` (or ``WithoutName``) returns, as text.

    A name problem is a plain error; the others come as a ``multierror``.
    """
    if named and (not upstream["Name"] or upstream["Name"] == "*"):
        return _upstream_errors(upstream, named)[0]
    if not named and upstream["Name"]:
        return "Name must be empty"
    errors = _upstream_errors(upstream, named)
    return multierror(errors) if errors else None


def _valid_address(address: str) -> bool:
    """``validateEndpointAddress``: an IP address, or a host name without a wildcard."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return "*" not in address and len(address) <= 255 and bool(_DOMAIN.match(address))
    return True


def validate(entry: Entry) -> None:
    """``ServiceConfigEntry.Validate``: every problem found, as one error."""
    name = entry["Name"]
    if not name:
        raise RPCError("Name is required")
    if name == "*":
        raise RPCError("service-defaults name must be the name of a service, and not a wildcard")
    errors = meta_errors(entry["Meta"])
    balance = entry["BalanceInboundConnections"]
    if balance not in ("", EXACT_BALANCE):
        errors.append(f"invalid value for balance_inbound_connections: {balance}")
    upstreams = entry["UpstreamConfig"]
    destination = entry["Destination"]
    if upstreams is not None and destination is not None:
        errors.append("UpstreamConfig and Destination are mutually exclusive for service defaults")
        fail(errors)
    if upstreams is not None:
        for override in upstreams["Overrides"] or []:
            problem = _upstream_error(override, named=True) if override is not None else None
            if problem:
                peer = f"{override['Peer']}/" if override["Peer"] else ""
                errors.append(f"error in upstream override for {peer}{override['Name']}: {problem}")
        if upstreams["Defaults"] is not None:
            problem = _upstream_error(upstreams["Defaults"], named=False)
            if problem:
                errors.append(f"error in upstream defaults: {problem}")
    if destination is not None:
        addresses = destination["Addresses"] or []
        if not addresses:
            errors.append("Destination must contain at least one valid address")
        seen: set[str] = set()
        for address in addresses:
            if address in seen:
                errors.append(f"Duplicate address '{address}' is not allowed")
                continue
            seen.add(address)
            if not _valid_address(address):
                errors.append(
                    f"Destination address '{address}' is invalid Could not validate address "
                    f"{address} as an IP or Hostname"
                )
        port = destination["Port"]
        if not 1 <= port <= 65535:
            errors.append(f"Invalid Port number {port}")
    if entry["RateLimits"] is not None:
        errors.append("invalid rate_limit config. Rate limiting is a consul enterprise feature")
    validate_mutual_tls_mode(entry["MutualTLSMode"])
    fail(errors)


def check_mutual_tls_mode(view: EntriesView, kind: str, name: str) -> None:
    """``checkMutualTLSMode`` for a write of ``service-defaults`` or ``proxy-defaults``.

    Changing to ``permissive`` needs ``AllowEnablingPermissiveMutualTLS`` in
    the ``mesh`` entry; an entry that stays permissive is left alone.
    """
    if kind not in (KIND.name, "proxy-defaults"):
        return
    new = view.get(kind, name)
    if new is None or new["MutualTLSMode"] != "permissive":
        return
    existing = view.existing()
    if existing is not None and existing["MutualTLSMode"] == "permissive":
        return
    mesh = view.get("mesh", "mesh")
    if mesh is None or not mesh["AllowEnablingPermissiveMutualTLS"]:
        raise RPCError(
            "cannot set MutualTLSMode=permissive because AllowEnablingPermissiveMutualTLS=false "
            "in the mesh config entry"
        )


def can_write(authz: Authorizer, entry: Entry) -> Denied | None:
    """``CanWrite``: ``service:write`` on the service."""
    return None if authz.service_write(entry["Name"]) else ("service:write", entry["Name"])


KIND = Kind(
    "service-defaults",
    SERVICE_DEFAULTS,
    normalize=normalize,
    validate=validate,
    can_read=can_read_service,
    can_write=can_write,
    filterable=True,
    check_graph=check_mutual_tls_mode,
)
