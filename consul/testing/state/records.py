"""The catalog's records as Consul's Go code shapes them.

Records with Go's zero values, the ``IsSame`` rules, the JSON of
``structs.Node``, ``ServiceNode``, ``NodeService`` and ``HealthCheck``
(``agent/structs/structs.go``) and the validation of ``Catalog.Register``
(``agent/consul/catalog_endpoint.go``). Request bodies are decoded into the
types of :mod:`.structs` first; the store using the records is
:class:`~.catalog.CatalogStore`.

Records are dicts keyed by the Go field names, with Go's zero values filled
in and ``None`` where Go holds a nil map or slice: ``reflect.DeepEqual``
tells nil from empty, and so do the ``IsSame`` rules that decide whether a
write changes anything.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .checks import CheckType
from .errors import RPCError
from .golang import format_duration, multierror

Record = dict[str, Any]

# -- records -------------------------------------------------------------------

_DEFINITION_DURATIONS = ("Interval", "Timeout", "DeregisterCriticalServiceAfter", "TTL")
_DEFINITION_FIELDS: dict[str, Any] = {
    "HTTP": "",
    "TLSServerName": "",
    "TLSSkipVerify": False,
    "Header": None,
    "Method": "",
    "Body": "",
    "DisableRedirects": False,
    "TCP": "",
    "UDP": "",
    "H2PING": "",
    "OSService": "",
    "H2PingUseTLS": False,
    "Interval": 0,
    "OutputMaxSize": 0,
    "Timeout": 0,
    "DeregisterCriticalServiceAfter": 0,
    "ScriptArgs": None,
    "DockerContainerID": "",
    "Shell": "",
    "GRPC": "",
    "GRPCUseTLS": False,
    "AliasNode": "",
    "AliasService": "",
    "TTL": 0,
}

_PROXY_FIELDS: dict[str, Any] = {
    "EnvoyExtensions": None,
    "DestinationServiceName": "",
    "DestinationServiceID": "",
    "LocalServiceAddress": "",
    "LocalServicePort": 0,
    "LocalServiceSocketPath": "",
    "Mode": "",
    "Config": None,
    "Upstreams": None,
    "MeshGateway": {"Mode": ""},
    "Expose": {"Checks": False, "Paths": None},
    "TransparentProxy": {"OutboundListenerPort": 0, "DialedDirectly": False},
    "AccessLogs": {
        "Enabled": False,
        "DisableListenerLogs": False,
        "Type": "",
        "Path": "",
        "JSONFormat": "",
        "TextFormat": "",
    },
}


def _filled(value: Mapping[str, Any] | None, zero: Mapping[str, Any]) -> Record:
    """``value`` with Go's zero value for every field it lacks (nested structs too)."""
    value = value or {}
    out: Record = {}
    for name, default in zero.items():
        given = value.get(name)
        if isinstance(default, dict):
            out[name] = _filled(given, default)
        elif given is None:
            out[name] = copy.deepcopy(default)
        else:
            out[name] = copy.deepcopy(given)
    return out


def _nanoseconds(seconds: float | int) -> int:
    return round(seconds * 1e9)


def normalize_definition(definition: Mapping[str, Any] | None) -> Record:
    """A ``HealthCheckDefinition`` record: every field, durations in nanoseconds.

    ``definition`` is what :data:`HEALTH_CHECK_DEFINITION` decodes (durations
    in seconds, as the decoder gives ``time.Duration`` fields).
    """
    out = _filled(definition, _DEFINITION_FIELDS)
    for name in _DEFINITION_DURATIONS:
        out[name] = _nanoseconds(out[name])
    return out


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


def _weights(weights: Mapping[str, Any] | None) -> Record:
    """``ToServiceNode``: the given weights if ``ValidateWeights`` accepts them, else 1/1."""
    if weights is not None and weights_problem(weights) is None:
        return {"Passing": weights.get("Passing", 0), "Warning": weights.get("Warning", 0)}
    return {"Passing": 1, "Warning": 1}


def node_service(service: Mapping[str, Any]) -> Record:
    """A request's ``NodeService`` with Go's zero values (``Weights`` stays a pointer)."""
    return {
        "Kind": service.get("Kind", ""),
        "ID": service.get("ID", ""),
        "Service": service.get("Service", ""),
        "Tags": copy.deepcopy(service.get("Tags")),
        "Address": service.get("Address", ""),
        "TaggedAddresses": _service_addresses(service.get("TaggedAddresses")),
        "Meta": copy.deepcopy(service.get("Meta")),
        "Port": service.get("Port", 0),
        "SocketPath": service.get("SocketPath", ""),
        "Weights": copy.deepcopy(service.get("Weights")),
        "EnableTagOverride": service.get("EnableTagOverride", False),
        "Locality": copy.deepcopy(service.get("Locality")),
        "Proxy": _filled(service.get("Proxy"), _PROXY_FIELDS),
        "Connect": _connect(service.get("Connect")),
        "PeerName": service.get("PeerName", ""),
    }


def _service_addresses(addresses: Mapping[str, Any] | None) -> Record | None:
    if addresses is None:
        return None
    return {
        key: {"Address": value.get("Address", ""), "Port": value.get("Port", 0)}
        for key, value in addresses.items()
    }


def _connect(connect: Mapping[str, Any] | None) -> Record:
    connect = connect or {}
    return {
        "Native": connect.get("Native", False),
        "SidecarService": copy.deepcopy(connect.get("SidecarService")),
        "PeerMeta": copy.deepcopy(connect.get("PeerMeta")),
    }


def service_node(node: str, service: Record) -> Record:
    """``NodeService.ToServiceNode``: the services-table record of ``service``."""
    return {
        "Node": node,
        "ServiceKind": service["Kind"],
        "ServiceID": service["ID"],
        "ServiceName": service["Service"],
        "ServiceTags": copy.deepcopy(service["Tags"]),
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


def to_node_service(record: Record) -> Record:
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


def same(a: Mapping[str, Any], b: Mapping[str, Any], fields: Iterable[str]) -> bool:
    return all(a[name] == b[name] for name in fields)


def check_record(check: Mapping[str, Any]) -> Record:
    """A request's ``HealthCheck`` with Go's zero values."""
    return {
        "Node": check.get("Node", ""),
        "CheckID": check.get("CheckID", ""),
        "Name": check.get("Name", ""),
        "Status": check.get("Status", ""),
        "Notes": check.get("Notes", ""),
        "Output": check.get("Output", ""),
        "ServiceID": check.get("ServiceID", ""),
        "ServiceName": check.get("ServiceName", ""),
        "ServiceTags": copy.deepcopy(check.get("ServiceTags")),
        "Type": check.get("Type", ""),
        "Interval": check.get("Interval", ""),
        "Timeout": check.get("Timeout", ""),
        "ExposedPort": check.get("ExposedPort", 0),
        "PeerName": check.get("PeerName", ""),
        "Definition": normalize_definition(check.get("Definition")),
        "CreateIndex": 0,
        "ModifyIndex": 0,
    }


def check_type(definition: Mapping[str, Any]) -> str:
    """``CheckType.Type()`` of a normalized definition (``agent/structs/check_type.go``)."""
    return CheckType.from_decoded(definition).type()


# -- JSON, in Go's field order --------------------------------------------------


def go_map(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A Go map as ``encoding/json`` writes it: keys sorted, nil as null."""
    if value is None:
        return None
    return {key: value[key] for key in sorted(value)}


def _locality_json(locality: Mapping[str, Any]) -> Record:
    out: Record = {}
    for name in ("Region", "Zone"):
        if locality.get(name):
            out[name] = locality[name]
    return out


def node_json(node: Record) -> Record:
    """``structs.Node`` (``Partition``, ``PeerName``, ``Locality`` omitted when empty)."""
    out: Record = {
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


def _address_map_json(addresses: Mapping[str, Any]) -> Record:
    return {
        key: {"Address": addresses[key]["Address"], "Port": addresses[key]["Port"]}
        for key in sorted(addresses)
    }


def proxy_json(proxy: Record) -> Record:
    """``ConnectProxyConfig.MarshalJSON``: transparent proxy and access logs
    first when set, then the remaining fields with their ``omitempty`` rules."""
    out: Record = {}
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
    logs = proxy["AccessLogs"]
    if any(logs.values()):
        out["AccessLogs"] = {k: v for k, v in logs.items() if v}
    for name in (
        "EnvoyExtensions",
        "DestinationServiceName",
        "DestinationServiceID",
        "LocalServiceAddress",
        "LocalServicePort",
        "LocalServiceSocketPath",
    ):
        if proxy[name]:
            out[name] = proxy[name]
    out["Mode"] = proxy["Mode"]
    if proxy["Config"]:
        out["Config"] = go_map(proxy["Config"])
    if proxy["Upstreams"]:
        out["Upstreams"] = proxy["Upstreams"]
    mesh = proxy["MeshGateway"]
    out["MeshGateway"] = {"Mode": mesh["Mode"]} if mesh["Mode"] else {}
    expose = proxy["Expose"]
    out["Expose"] = {k: v for k, v in expose.items() if v}
    return out


def connect_json(connect: Record) -> Record:
    """``structs.ServiceConnect`` (every field ``omitempty``)."""
    return {k: v for k, v in connect.items() if v}


def node_service_json(record: Record) -> Record:
    """``structs.NodeService`` of a services-table record (``ToNodeService``)."""
    service = to_node_service(record)
    out: Record = {}
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
    out["Weights"] = dict(service["Weights"])
    out["EnableTagOverride"] = service["EnableTagOverride"]
    if service["Locality"] is not None:
        out["Locality"] = _locality_json(service["Locality"])
    out["Proxy"] = proxy_json(service["Proxy"])
    out["Connect"] = connect_json(service["Connect"])
    out["PeerName"] = service["PeerName"]
    out["CreateIndex"] = record["CreateIndex"]
    out["ModifyIndex"] = record["ModifyIndex"]
    return out


def service_node_json(record: Record, node: Record) -> Record:
    """``structs.ServiceNode`` as catalog service queries return it.

    ``parseServiceNodes`` works on a ``PartialClone``, which always has tags
    and meta (possibly empty, never nil) and drops empty tagged addresses;
    the node fields come from ``node``.
    """
    out: Record = {
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


def definition_json(definition: Record) -> Record:
    """``HealthCheckDefinition.MarshalJSON``.

    Its wrapper writes ``Interval``, ``OutputMaxSize``, ``Timeout`` and
    ``DeregisterCriticalServiceAfter`` first, as duration strings; the other
    fields follow in struct order, all ``omitempty``. ``TTL`` is not wrapped,
    so it stays a number of nanoseconds.
    """
    out: Record = {}
    for name in ("Interval", "OutputMaxSize", "Timeout", "DeregisterCriticalServiceAfter"):
        value = definition[name]
        if value:
            out[name] = value if name == "OutputMaxSize" else format_duration(value)
    for name in _DEFINITION_FIELDS:
        if name in out or name in ("Interval", "Timeout", "DeregisterCriticalServiceAfter"):
            continue
        value = definition[name]
        if value:
            out[name] = go_map(value) if name == "Header" else value
    return out


def check_json(check: Record) -> Record:
    """``structs.HealthCheck`` (``ServiceTags`` may be null; endpoints make it ``[]``)."""
    out: Record = {
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


# -- validation (Catalog.Register's pre-apply) --------------------------------------


_GATEWAYS = ("mesh-gateway", "terminating-gateway", "ingress-gateway", "api-gateway")


def node_service_problems(service: Mapping[str, Any]) -> list[str]:
    """``NodeService.Validate`` (the checks that need no other state): its errors.

    ``service`` is a ``NodeService`` record or, from the agent's handler, the
    part of one a definition gave (absent fields are Go's zero values).
    """
    errors: list[str] = []
    kind = service.get("Kind") or ""
    port = service.get("Port") or 0
    socket_path = service.get("SocketPath") or ""
    proxy = service.get("Proxy") or {}
    connect = service.get("Connect") or {}
    if kind == "connect-proxy":
        if port == 0 and not socket_path:
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
    if connect.get("Native") and port == 0 and not socket_path:
        errors.append("Port or SocketPath must be set for a Connect native service.")
    return errors


def validate_node_service(service: Record) -> None:
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
        elif key.startswith("consul-") and not (
            kind == "mesh-gateway" and key == "consul-wan-federation"
        ):
            problem = "Key prefix 'consul-' is reserved for internal use"
        elif len(value.encode()) > 512:
            problem = "Value is too long (limit: 512 characters)"
        if problem:
            return f"Couldn't load metadata pair ('{key}', '{value}'): {problem}"
    return None


def is_any_address(address: str) -> bool:
    """``ipaddr.IsAny``: an unspecified address, which a service may not advertise."""
    return address in ("0.0.0.0", "::", "[::]")  # noqa: S104 - compared, not bound
