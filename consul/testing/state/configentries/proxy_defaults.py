"""The ``proxy-defaults`` kind: the proxies' global defaults (its one name: ``global``).

After ``agent/structs/config_entry.go`` (``ProxyConfigEntry``: ``Normalize``,
``ComputeProtocol``, ``Validate``, ``validateOpaqueProxyConfig``),
``agent/structs/config_entry_discoverychain_ce.go`` (what Consul CE refuses
in ``FailoverPolicy`` and ``PrioritizeByLocality``). Its graph checks (the
permissive mutual TLS mode, the chains' protocols) are those of
``service-defaults`` and the discovery chain kinds. Anyone may read it;
writing needs ``mesh:write``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import quote
from ..gotypes import ANY, STRING, Map, Ptr, Slice, omitempty, struct
from .decode import MapDecodeError, weak_decode
from .registry import Entry, Kind, can_write_mesh
from .types import (
    ACCESS_LOGS,
    ENVOY_EXTENSIONS,
    EXPOSE,
    HASH,
    MESH_GATEWAY,
    META,
    MUTUAL_TLS_MODE,
    PROXY_MODE,
    TRANSPARENT_PROXY,
    entry_hash,
    validate_access_logs,
    validate_meta,
    validate_mutual_tls_mode,
)

if TYPE_CHECKING:
    pass

__all__ = ["FAILOVER_POLICY", "GLOBAL", "KIND", "PRIORITIZE_BY_LOCALITY", "protocol_of"]

#: ``structs.ProxyConfigGlobal``: the one name of the entry.
GLOBAL = "global"
#: The longest ``envoy_hcp_metrics_bind_socket_dir`` (``validateOpaqueProxyConfig``).
MAX_SOCKET_DIR = 70

FAILOVER_POLICY = struct(
    "structs.ServiceResolverFailoverPolicy",
    Mode=omitempty(STRING),
    Regions=omitempty(Slice(STRING)),
)
PRIORITIZE_BY_LOCALITY = struct(
    "structs.ServiceResolverPrioritizeByLocality", Mode=omitempty(STRING)
)

PROXY_DEFAULTS = struct(
    "structs.ProxyConfigEntry",
    aliases={
        "transparent_proxy": "TransparentProxy",
        "mutual_tls_mode": "MutualTLSMode",
        "mesh_gateway": "MeshGateway",
        "access_logs": "AccessLogs",
        "envoy_extensions": "EnvoyExtensions",
        "failover_policy": "FailoverPolicy",
        "prioritize_by_locality": "PrioritizeByLocality",
    },
    Kind=STRING,
    Name=STRING,
    Config=Map(ANY),
    Mode=omitempty(PROXY_MODE),
    TransparentProxy=omitempty(TRANSPARENT_PROXY),
    MutualTLSMode=omitempty(MUTUAL_TLS_MODE),
    MeshGateway=omitempty(MESH_GATEWAY),
    Expose=omitempty(EXPOSE),
    AccessLogs=omitempty(ACCESS_LOGS),
    EnvoyExtensions=omitempty(ENVOY_EXTENSIONS),
    FailoverPolicy=omitempty(Ptr(FAILOVER_POLICY)),
    PrioritizeByLocality=omitempty(Ptr(PRIORITIZE_BY_LOCALITY)),
    Meta=META,
    Hash=HASH,
)

#: ``ComputeProtocol``'s ``proxyConfig``: ``Protocol string `mapstructure:"protocol"```.
_PROXY_CONFIG = struct("proxyConfig", protocol=STRING)


def protocol_of(config: dict[str, Any] | None) -> str:
    """``ComputeProtocol``: the ``protocol`` of a proxy ``Config`` (``mapstructure.WeakDecode``)."""
    decoded, _ = weak_decode(config or {}, _PROXY_CONFIG)
    return str(decoded["protocol"])


def _name_error(name: str) -> RPCError:
    return RPCError(f"invalid name ({quote(name)}), only {quote(GLOBAL)} is supported")


def normalize(entry: Entry) -> None:
    """``ProxyConfigEntry.Normalize``: the name is ``global``; the protocol must decode."""
    entry["Kind"] = KIND.name
    if entry["Name"] not in ("", GLOBAL):
        raise _name_error(entry["Name"])
    entry["Name"] = GLOBAL
    try:
        protocol_of(entry["Config"])
    except MapDecodeError as exc:
        raise RPCError(str(exc)) from None
    entry["Hash"] = entry_hash(entry)


def validate(entry: Entry) -> None:
    """``ProxyConfigEntry.Validate``: the first problem found."""
    if entry["Name"] != GLOBAL:
        raise _name_error(entry["Name"])
    validate_access_logs(entry["AccessLogs"])
    validate_meta(entry["Meta"])
    socket_dir = (entry["Config"] or {}).get("envoy_hcp_metrics_bind_socket_dir")
    if isinstance(socket_dir, str) and len(socket_dir.encode()) > MAX_SOCKET_DIR:
        raise RPCError(
            f"Config: envoy_hcp_metrics_bind_socket_dir length {len(socket_dir.encode())} "
            f"exceeds max {MAX_SOCKET_DIR}"
        )
    policy = entry["FailoverPolicy"]
    if policy is not None and policy["Mode"] not in ("", "sequential", "order-by-locality"):
        raise RPCError(
            "Failover-policy mode must be one of '', 'sequential', or 'order-by-locality'"
        )
    locality = entry["PrioritizeByLocality"]
    if locality is not None and locality["Mode"]:
        raise RPCError("Prioritize-by-locality requires Consul Enterprise ")
    validate_mutual_tls_mode(entry["MutualTLSMode"])


KIND = Kind(
    "proxy-defaults",
    PROXY_DEFAULTS,
    normalize=normalize,
    validate=validate,
    can_write=can_write_mesh,
)
