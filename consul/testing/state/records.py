"""The catalog's records as Consul's Go code shapes them.

Records with Go's zero values, the ``IsSame`` rules, the JSON of
``structs.Node``, ``ServiceNode``, ``NodeService`` and ``HealthCheck``
(``agent/structs/structs.go``) and the validation of ``Catalog.Register``
(``agent/consul/catalog_endpoint.go``). Request bodies are decoded into the
types of :mod:`.structs` first; the store using the records is
:class:`~.catalog.CatalogStore`.

Records are the TypedDicts of :mod:`.structs`, keyed by the Go field names,
with Go's zero values filled in and ``None`` where Go holds a nil map, slice
or pointer: ``reflect.DeepEqual`` tells nil from empty, and so do the
``IsSame`` rules that decide whether a write changes anything. What the
endpoints answer is JSON (:data:`JSON`), built from them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from .checks import CheckType
from .errors import RPCError
from .golang import format_duration, multierror
from .gotypes import zero_filled
from .structs import (
    HEALTH_CHECK,
    NODE,
    NODE_SERVICE,
    ConnectProxyConfig,
    HealthCheck,
    HealthCheckDefinition,
    Locality,
    Node,
    NodeService,
    ServiceAddress,
    ServiceConnect,
    ServiceNode,
    Weights,
)

#: A JSON object as an endpoint answers it.
JSON = dict[str, Any]

_DEFINITION_DURATIONS = ("Interval", "Timeout", "DeregisterCriticalServiceAfter", "TTL")


def _nanoseconds(seconds: float) -> int:
    return round(seconds * 1e9)


def node_record(node: Mapping[str, Any]) -> Node:
    """A ``structs.Node`` from decoded (or JSON) fields, Go's zero values filled in."""
    return cast(Node, zero_filled(node, NODE))


def node_service(service: Mapping[str, Any]) -> NodeService:
    """A request's ``NodeService`` with Go's zero values (``Weights`` stays a pointer)."""
    return cast(NodeService, zero_filled(service, NODE_SERVICE))


def check_record(check: Mapping[str, Any]) -> HealthCheck:
    """A request's ``HealthCheck`` with Go's zero values, definition durations in ns.

    The decoder gives a definition's ``time.Duration`` fields in seconds.
    """
    record = cast(HealthCheck, zero_filled(check, HEALTH_CHECK))
    definition: dict[str, Any] = dict(record["Definition"])
    for name in _DEFINITION_DURATIONS:
        definition[name] = _nanoseconds(definition[name])
    record["Definition"] = cast(HealthCheckDefinition, definition)
    return record


def weights_problem(weights: Mapping[str, Any]) -> str | None:
    """``ValidateWeights``: the error text for ``weights``, or None."""
    passing, warning = weights.get("Passing", 0), weights.get("Warning", 0)
    if passing < 1:
        return "Passing must be greater than 0"
    if warning < 0:
        return "Warning must be greater or equal than 0"
    if passing > 65535 or warning > 65535:
        return "DNS Weight must be between 0 and 65535"
    return None


def _weights(weights: Weights | None) -> Weights:
    """``ToServiceNode``: the given weights if ``ValidateWeights`` accepts them, else 1/1."""
    if weights is not None and weights_problem(weights) is None:
        return {"Passing": weights["Passing"], "Warning": weights["Warning"]}
    return {"Passing": 1, "Warning": 1}


def service_node(node: str, service: NodeService) -> ServiceNode:
    """``NodeService.ToServiceNode``: the services-table record of ``service``.

    The node's own fields stay blank: reads take them from the node.
    """
    return {
        "ID": "",
        "Node": node,
        "Address": "",
        "Datacenter": "",
        "TaggedAddresses": None,
        "NodeMeta": None,
        "ServiceKind": service["Kind"],
        "ServiceID": service["ID"],
        "ServiceName": service["Service"],
        # Strings: a copy of the list is a whole copy (and much faster).
        "ServiceTags": None if service["Tags"] is None else list(service["Tags"]),
        "ServiceAddress": service["Address"],
        "ServiceTaggedAddresses": copy.deepcopy(service["TaggedAddresses"]),
        "ServiceWeights": _weights(service["Weights"]),
        "ServiceMeta": copy.deepcopy(service["Meta"]),
        "ServicePort": service["Port"],
        "ServiceSocketPath": service["SocketPath"],
        "ServiceEnableTagOverride": service["EnableTagOverride"],
        "ServiceProxy": copy.deepcopy(service["Proxy"]),
        "ServiceConnect": copy.deepcopy(service["Connect"]),
        "ServiceLocality": copy.deepcopy(service["Locality"]),
        "PeerName": service["PeerName"],
        "CreateIndex": 0,
        "ModifyIndex": 0,
    }


def to_node_service(record: ServiceNode) -> NodeService:
    """``ServiceNode.ToNodeService`` (``Weights`` always set)."""
    return {
        "Kind": record["ServiceKind"],
        "ID": record["ServiceID"],
        "Service": record["ServiceName"],
        "Tags": record["ServiceTags"],
        "Address": record["ServiceAddress"],
        "TaggedAddresses": record["ServiceTaggedAddresses"],
        "Meta": record["ServiceMeta"],
        "Port": record["ServicePort"],
        "SocketPath": record["ServiceSocketPath"],
        "Weights": record["ServiceWeights"],
        "EnableTagOverride": record["ServiceEnableTagOverride"],
        "Locality": record["ServiceLocality"],
        "Proxy": record["ServiceProxy"],
        "Connect": record["ServiceConnect"],
        "PeerName": record["PeerName"],
        "CreateIndex": record["CreateIndex"],
        "ModifyIndex": record["ModifyIndex"],
    }


#: ``NodeService.IsSame`` compares every functional field ...
NODE_SERVICE_SAME = (
    "ID",
    "Service",
    "Tags",
    "Address",
    "Port",
    "SocketPath",
    "TaggedAddresses",
    "Weights",
    "Meta",
    "Locality",
    "EnableTagOverride",
    "Kind",
    "Proxy",
    "Connect",
    "PeerName",
)
#: ... while ``ServiceNode.IsSameService`` leaves out the socket path and
#: locality, so a change of those alone is never written.
SERVICENODE_SAME = (
    "ServiceKind",
    "ServiceID",
    "ServiceName",
    "ServiceTags",
    "ServiceAddress",
    "ServiceTaggedAddresses",
    "ServicePort",
    "ServiceMeta",
    "ServiceWeights",
    "ServiceEnableTagOverride",
    "ServiceProxy",
    "ServiceConnect",
)
#: ``HealthCheck.IsSame``: ``Type``, ``Interval``, ``Timeout`` and
#: ``ExposedPort`` are not compared.
CHECK_SAME = (
    "CheckID",
    "Name",
    "Status",
    "Notes",
    "Output",
    "ServiceID",
    "ServiceName",
    "ServiceTags",
    "Definition",
    "PeerName",
)
#: ``Node.IsSame`` (the locality is not compared).
NODE_SAME = ("ID", "Address", "Datacenter", "TaggedAddresses", "Meta")


def same(a: Mapping[str, object], b: Mapping[str, object], fields: Iterable[str]) -> bool:
    """Whether ``a`` and ``b`` agree on every one of ``fields`` (an ``IsSame`` rule)."""
    return all(a[name] == b[name] for name in fields)


def check_type(definition: Mapping[str, Any]) -> str:
    """``CheckType.Type()`` of a normalized definition (``agent/structs/check_type.go``)."""
    return CheckType.from_decoded(definition).type()


# -- JSON, in Go's field order --------------------------------------------------


def go_map(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A Go map as ``encoding/json`` writes it: keys sorted, nil as null."""
    if value is None:
        return None
    return {key: value[key] for key in sorted(value)}


def _locality_json(locality: Locality) -> JSON:
    out: JSON = {}
    if locality["Region"]:
        out["Region"] = locality["Region"]
    if locality["Zone"]:
        out["Zone"] = locality["Zone"]
    return out


def node_json(node: Node) -> JSON:
    """``structs.Node`` (``Partition``, ``PeerName``, ``Locality`` omitted when empty)."""
    out: JSON = {
        "ID": node["ID"],
        "Node": node["Node"],
        "Address": node["Address"],
        "Datacenter": node["Datacenter"],
        "TaggedAddresses": go_map(node["TaggedAddresses"]),
        "Meta": go_map(node["Meta"]),
    }
    if node["Locality"] is not None:
        out["Locality"] = _locality_json(node["Locality"])
    out["CreateIndex"] = node["CreateIndex"]
    out["ModifyIndex"] = node["ModifyIndex"]
    return out


def _address_map_json(addresses: Mapping[str, ServiceAddress]) -> JSON:
    return {
        key: {"Address": addresses[key]["Address"], "Port": addresses[key]["Port"]}
        for key in sorted(addresses)
    }


def proxy_json(proxy: ConnectProxyConfig) -> JSON:
    """``ConnectProxyConfig.MarshalJSON``: transparent proxy and access logs
    first when set, then the remaining fields with their ``omitempty`` rules."""
    out: JSON = {}
    tproxy = proxy["TransparentProxy"]
    if tproxy["OutboundListenerPort"] or tproxy["DialedDirectly"]:
        out["TransparentProxy"] = {
            k: v
            for k, v in (
                ("OutboundListenerPort", tproxy["OutboundListenerPort"]),
                ("DialedDirectly", tproxy["DialedDirectly"]),
            )
            if v
        }
    logs: Mapping[str, object] = proxy["AccessLogs"]
    if any(logs.values()):
        out["AccessLogs"] = {k: v for k, v in logs.items() if v}
    fields: Mapping[str, object] = proxy
    for name in (
        "EnvoyExtensions",
        "DestinationServiceName",
        "DestinationServiceID",
        "LocalServiceAddress",
        "LocalServicePort",
        "LocalServiceSocketPath",
    ):
        if fields[name]:
            out[name] = fields[name]
    out["Mode"] = proxy["Mode"]
    if proxy["Config"]:
        out["Config"] = go_map(proxy["Config"])
    if proxy["Upstreams"]:
        out["Upstreams"] = proxy["Upstreams"]
    mesh = proxy["MeshGateway"]
    out["MeshGateway"] = {"Mode": mesh["Mode"]} if mesh["Mode"] else {}
    expose: Mapping[str, object] = proxy["Expose"]
    out["Expose"] = {k: v for k, v in expose.items() if v}
    return out


def connect_json(connect: ServiceConnect) -> JSON:
    """``structs.ServiceConnect`` (every field ``omitempty``)."""
    fields: Mapping[str, object] = connect
    return {k: v for k, v in fields.items() if v}


def node_service_json(record: ServiceNode) -> JSON:
    """``structs.NodeService`` of a services-table record (``ToNodeService``)."""
    service = to_node_service(record)
    out: JSON = {}
    if service["Kind"]:
        out["Kind"] = service["Kind"]
    out["ID"] = service["ID"]
    out["Service"] = service["Service"]
    out["Tags"] = service["Tags"]
    out["Address"] = service["Address"]
    if service["TaggedAddresses"]:
        out["TaggedAddresses"] = _address_map_json(service["TaggedAddresses"])
    out["Meta"] = go_map(service["Meta"])
    if service["Port"]:
        out["Port"] = service["Port"]
    if service["SocketPath"]:
        out["SocketPath"] = service["SocketPath"]
    out["Weights"] = dict(record["ServiceWeights"])
    out["EnableTagOverride"] = service["EnableTagOverride"]
    if service["Locality"] is not None:
        out["Locality"] = _locality_json(service["Locality"])
    out["Proxy"] = proxy_json(service["Proxy"])
    out["Connect"] = connect_json(service["Connect"])
    out["PeerName"] = service["PeerName"]
    out["CreateIndex"] = record["CreateIndex"]
    out["ModifyIndex"] = record["ModifyIndex"]
    return out


def service_node_json(record: ServiceNode, node: Node) -> JSON:
    """``structs.ServiceNode`` as catalog service queries return it.

    ``parseServiceNodes`` works on a ``PartialClone``, which always has tags
    and meta (possibly empty, never nil) and drops empty tagged addresses;
    the node fields come from ``node``.
    """
    out: JSON = {
        "ID": node["ID"],
        "Node": record["Node"],
        "Address": node["Address"],
        "Datacenter": node["Datacenter"],
        "TaggedAddresses": go_map(node["TaggedAddresses"]),
        "NodeMeta": go_map(node["Meta"]),
        "ServiceKind": record["ServiceKind"],
        "ServiceID": record["ServiceID"],
        "ServiceName": record["ServiceName"],
        "ServiceTags": list(record["ServiceTags"] or []),
        "ServiceAddress": record["ServiceAddress"],
    }
    if record["ServiceTaggedAddresses"]:
        out["ServiceTaggedAddresses"] = _address_map_json(record["ServiceTaggedAddresses"])
    out["ServiceWeights"] = dict(record["ServiceWeights"])
    out["ServiceMeta"] = go_map(record["ServiceMeta"] or {})
    out["ServicePort"] = record["ServicePort"]
    out["ServiceSocketPath"] = record["ServiceSocketPath"]
    out["ServiceEnableTagOverride"] = record["ServiceEnableTagOverride"]
    out["ServiceProxy"] = proxy_json(record["ServiceProxy"])
    out["ServiceConnect"] = connect_json(record["ServiceConnect"])
    locality = record["ServiceLocality"]
    out["ServiceLocality"] = None if locality is None else _locality_json(locality)
    if record["PeerName"]:
        out["PeerName"] = record["PeerName"]
    out["CreateIndex"] = record["CreateIndex"]
    out["ModifyIndex"] = record["ModifyIndex"]
    return out


def definition_json(definition: HealthCheckDefinition) -> JSON:
    """``HealthCheckDefinition.MarshalJSON``.

    Its wrapper writes ``Interval``, ``OutputMaxSize``, ``Timeout`` and
    ``DeregisterCriticalServiceAfter`` first, as duration strings; the other
    fields follow in struct order, all ``omitempty``. ``TTL`` is not wrapped,
    so it stays a number of nanoseconds.
    """
    out: JSON = {}
    fields: Mapping[str, Any] = definition
    for name in ("Interval", "OutputMaxSize", "Timeout", "DeregisterCriticalServiceAfter"):
        value = fields[name]
        if value:
            out[name] = value if name == "OutputMaxSize" else format_duration(value)
    for name, value in fields.items():
        if name in out or name in ("Interval", "Timeout", "DeregisterCriticalServiceAfter"):
            continue
        if value:
            out[name] = go_map(value) if name == "Header" else value
    return out


def check_json(check: HealthCheck) -> JSON:
    """``structs.HealthCheck`` (``ServiceTags`` may be null; endpoints make it ``[]``)."""
    out: JSON = {
        "Node": check["Node"],
        "CheckID": check["CheckID"],
        "Name": check["Name"],
        "Status": check["Status"],
        "Notes": check["Notes"],
        "Output": check["Output"],
        "ServiceID": check["ServiceID"],
        "ServiceName": check["ServiceName"],
        "ServiceTags": check["ServiceTags"],
        "Type": check["Type"],
        "Interval": check["Interval"],
        "Timeout": check["Timeout"],
        "ExposedPort": check["ExposedPort"],
    }
    if check["PeerName"]:
        out["PeerName"] = check["PeerName"]
    out["Definition"] = definition_json(check["Definition"])
    out["CreateIndex"] = check["CreateIndex"]
    out["ModifyIndex"] = check["ModifyIndex"]
    return out


def check_service_node_json(record: ServiceNode, node: Node, checks: Iterable[HealthCheck]) -> JSON:
    """``structs.CheckServiceNode``: an instance with its node and checks."""
    return {
        "Node": node_json(node),
        "Service": node_service_json(record),
        "Checks": [check_json(c) for c in checks],
    }


# -- validation (Catalog.Register's pre-apply) --------------------------------------


_GATEWAYS = ("mesh-gateway", "terminating-gateway", "ingress-gateway", "api-gateway")


def node_service_problems(service: Mapping[str, Any], *, for_agent: bool = False) -> list[str]:
    """``NodeService.Validate`` (the checks that need no other state): its errors.

    ``service`` is a ``NodeService`` record or, from the agent's handler, the
    part of one a definition gave (absent fields are Go's zero values).
    ``for_agent`` is ``ValidateForAgent``: the agent gives a sidecar its
    port, so none is required.
    """
    errors: list[str] = []
    kind = service.get("Kind") or ""
    port = service.get("Port") or 0
    socket_path = service.get("SocketPath") or ""
    proxy = service.get("Proxy") or {}
    connect = service.get("Connect") or {}
    if kind == "connect-proxy":
        if port == 0 and not socket_path and not for_agent:
            errors.append(f"Port or SocketPath must be set for a {kind}")
        destination = str(proxy.get("DestinationServiceName") or "")
        if not destination.strip():
            errors.append(
                "Proxy.DestinationServiceName must be non-empty for Connect proxy services"
            )
        if destination == "*":
            errors.append(
                "Proxy.DestinationServiceName must not be a wildcard for Connect proxy services"
            )
        if connect.get("Native"):
            errors.append("A Proxy cannot also be Connect Native, only typical services")
    if kind in _GATEWAYS:
        if port == 0 and kind not in ("ingress-gateway", "api-gateway"):
            errors.append(f"Port must be non-zero for a {kind}")
        if connect.get("SidecarService") is not None:
            errors.append(f"A {kind} cannot have a sidecar service defined")
        for field, label in (
            ("DestinationServiceName", "Proxy.DestinationServiceName"),
            ("DestinationServiceID", "Proxy.DestinationServiceID"),
            ("LocalServiceAddress", "Proxy.LocalServiceAddress"),
            ("LocalServicePort", "Proxy.LocalServicePort"),
            ("LocalServiceSocketPath", "Proxy.LocalServiceSocketPath"),
            ("Upstreams", "Proxy.Upstreams"),
        ):
            if proxy.get(field):
                errors.append(f"The {label} configuration is invalid for a {kind}")
    if connect.get("Native") and port == 0 and not socket_path and not for_agent:
        errors.append("Port or SocketPath must be set for a Connect native service.")
    sidecar = connect.get("SidecarService")
    if sidecar is not None:
        if sidecar.get("ID"):
            errors.append("A SidecarService cannot specify an ID as this is managed by the agent")
        if (sidecar.get("Connect") or {}).get("SidecarService") is not None:
            errors.append("A SidecarService cannot have a nested SidecarService")
    return errors


def validate_node_service(service: Mapping[str, Any]) -> None:
    """:func:`node_service_problems`, raised as ``Catalog.Register`` returns them."""
    errors = node_service_problems(service)
    if errors:
        raise RPCError(multierror(errors))


_META_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def validate_service_meta(kind: str, meta: Mapping[str, str] | None) -> str | None:
    """``ValidateServiceMetadata(kind, meta, false)``: the error text, or None.

    Go walks the map in random order; the first bad pair in key order is
    reported here.
    """

    def reserved(key: str) -> bool:
        return key.startswith("consul-") and not (
            kind == "mesh-gateway" and key == "consul-wan-federation"
        )

    return _meta_problem(meta, reserved)


def validate_node_meta(meta: Mapping[str, str] | None) -> str | None:
    """``ValidateNodeMetadata(meta, true)``: as :func:`validate_service_meta`, and
    ``consul-`` keys are allowed."""
    return _meta_problem(meta, lambda key: False)


def validate_meta_tags(meta: Mapping[str, str] | None) -> str | None:
    """``structs.ValidateMetaTags``: metadata whose keys may not start with ``consul-``."""
    return _meta_problem(meta, lambda key: key.startswith("consul-"))


def _meta_problem(meta: Mapping[str, str] | None, reserved: Callable[[str], bool]) -> str | None:
    meta = meta or {}
    if len(meta) > 64:
        return "Node metadata cannot contain more than 64 key/value pairs"
    for key in sorted(meta):
        value = meta[key]
        problem = None
        if key == "":
            problem = "Key cannot be blank"
        elif not set(key) <= _META_KEY_CHARS:
            problem = "Key contains invalid characters"
        elif len(key) > 128:
            problem = "Key is too long (limit: 128 characters)"
        elif reserved(key):
            problem = "Key prefix 'consul-' is reserved for internal use"
        elif len(value.encode()) > 512:
            problem = "Value is too long (limit: 512 characters)"
        if problem:
            return f"Couldn't load metadata pair ('{key}', '{value}'): {problem}"
    return None
