"""The catalog of nodes and services: ``/v1/catalog`` (Consul docs: *Catalog*)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, non_empty, optional_str, str_map, string
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from .._meta import Indexed

M = TypeVar("M")

__all__ = [
    "Catalog",
    "CatalogNode",
    "GatewayService",
    "GatewayServiceName",
    "Node",
    "NodeService",
    "NodeServiceList",
    "ServiceAddress",
    "ServiceNode",
    "Weights",
]


class Node(TypedDict):
    """A node of the catalog (``structs.Node``)."""

    ID: str
    Node: str
    Address: str
    Datacenter: str
    TaggedAddresses: dict[str, str] | None
    Meta: dict[str, str] | None
    Locality: NotRequired[dict[str, str]]
    CreateIndex: int
    ModifyIndex: int


class Weights(TypedDict):
    """DNS weights of a service instance by health."""

    Passing: int
    Warning: int


class ServiceAddress(TypedDict):
    """A tagged address of a service instance."""

    Address: str
    Port: int


class NodeService(TypedDict):
    """A service instance as part of its node (``structs.NodeService``)."""

    Kind: NotRequired[str]
    ID: str
    Service: str
    Tags: list[str]
    Address: str
    TaggedAddresses: NotRequired[dict[str, ServiceAddress]]
    Meta: dict[str, str] | None
    Port: NotRequired[int]
    SocketPath: NotRequired[str]
    Weights: Weights
    EnableTagOverride: bool
    Locality: NotRequired[dict[str, str]]
    Proxy: dict[str, Any]
    Connect: dict[str, Any]
    PeerName: str
    CreateIndex: int
    ModifyIndex: int


class ServiceNode(TypedDict):
    """A service instance with its node's fields (``structs.ServiceNode``)."""

    ID: str
    Node: str
    Address: str
    Datacenter: str
    TaggedAddresses: dict[str, str] | None
    NodeMeta: dict[str, str] | None
    ServiceKind: str
    ServiceID: str
    ServiceName: str
    ServiceTags: list[str]
    ServiceAddress: str
    ServiceTaggedAddresses: NotRequired[dict[str, ServiceAddress]]
    ServiceWeights: Weights
    ServiceMeta: dict[str, str]
    ServicePort: int
    ServiceSocketPath: str
    ServiceEnableTagOverride: bool
    ServiceProxy: dict[str, Any]
    ServiceConnect: dict[str, Any]
    ServiceLocality: dict[str, str] | None
    PeerName: NotRequired[str]
    CreateIndex: int
    ModifyIndex: int


class CatalogNode(TypedDict):
    """A node and its services by service ID (``GET /v1/catalog/node/:node``)."""

    Node: Node
    Services: dict[str, NodeService]


class NodeServiceList(TypedDict):
    """A node and the list of its services (``GET /v1/catalog/node-services/:node``).

    Both are None for an unknown node; ``Services`` is None for a node
    without services.
    """

    Node: Node | None
    Services: list[NodeService] | None


class GatewayServiceName(TypedDict):
    """A service's name in a gateway mapping (``structs.ServiceName``)."""

    Name: str


class GatewayService(TypedDict):
    """A service a gateway exposes or reaches (``structs.GatewayService``).

    Ingress gateways give the listener's ``Port``, ``Protocol`` and the
    service's ``Hosts``; terminating gateways the TLS files, ``SNI`` and
    ``AutoHostRewrite``. ``FromWildcard`` marks a mapping made by a ``*``
    service name.
    """

    Gateway: GatewayServiceName
    Service: GatewayServiceName
    GatewayKind: str
    Port: NotRequired[int]
    Protocol: NotRequired[str]
    Hosts: NotRequired[list[str]]
    CAFile: NotRequired[str]
    CertFile: NotRequired[str]
    KeyFile: NotRequired[str]
    SNI: NotRequired[str]
    FromWildcard: NotRequired[bool]
    ServiceKind: NotRequired[str]
    CreateIndex: int
    ModifyIndex: int
    AutoHostRewrite: NotRequired[bool]


class Catalog(Group[M]):
    """Register and read the nodes, services and checks of a datacenter.

    Reads return ``(index, data)`` (an :class:`~consul.Indexed` pair whose
    ``.meta`` holds the rest of the answer's metadata); pass ``index`` back
    (with an optional ``wait``) to block until the data changes.
    ``consistency`` is ``"default"``, ``"consistent"`` or ``"stale"``. The
    other query options are those of :class:`~consul.QueryOptions`:
    ``near`` sorts by round-trip time from a node (``"_agent"``: the
    agent's); ``node_meta`` keeps the nodes with all the given metadata;
    ``filter_expr`` is a filter expression (Consul's ``?filter``);
    ``cached`` (with ``max_age`` and ``stale_if_error``) lets the agent
    answer from its cache; ``peer`` reads what a cluster peer exported;
    ``merge_central_config`` merges proxies with their central
    configuration; ``ns`` and ``partition`` are for Consul Enterprise.
    """

    @endpoint
    def register(
        self,
        node: str,
        address: str,
        service: Mapping[str, Any] | None = None,
        check: Mapping[str, Any] | None = None,
        dc: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        *,
        node_id: str | None = None,
        tagged_addresses: Mapping[str, str] | None = None,
        checks: Sequence[Mapping[str, Any]] | None = None,
        skip_node_update: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/catalog/register``: register or update a node, service and checks.

        ``service`` is a service definition as the catalog takes it
        (``{"Service": "redis", "ID": "redis1", "Tags": [...], "Port": 8000}``;
        the ID defaults to the name); ``check`` (or several, ``checks``) a
        health check (``{"Name": ..., "CheckID": ..., "Status": "passing",
        "ServiceID": ...}``). ``node_id`` is the node's UUID,
        ``skip_node_update`` leaves an existing node's fields alone. The
        datacenter goes in the body (Consul ignores ``?dc`` here). True once
        applied.
        """
        body: dict[str, Any] = {}
        datacenter = dc if dc is not None else self._client.dc
        if optional_str(datacenter, "dc"):
            body["Datacenter"] = datacenter
        if optional_str(node_id, "node_id"):
            body["ID"] = node_id
        body["Node"] = non_empty(node, "node")
        body["Address"] = string(address, "address")
        if (addresses := str_map(tagged_addresses, "tagged_addresses")) is not None:
            body["TaggedAddresses"] = addresses
        if (meta := str_map(node_meta, "node_meta")) is not None:
            body["NodeMeta"] = meta
        for value, argument in ((service, "service"), (check, "check")):
            if value is not None and not isinstance(value, Mapping):
                raise TypeError(f"{argument} must be a dict, not {type(value).__name__}")
        if service is not None:
            body["Service"] = dict(service)
        if check is not None:
            body["Check"] = dict(check)
        if checks is not None:
            if isinstance(checks, Mapping | str) or not all(isinstance(c, Mapping) for c in checks):
                raise TypeError("checks must be a list of dicts")
            body["Checks"] = [dict(c) for c in checks]
        if skip_node_update:
            body["SkipNodeUpdate"] = True
        request = self._request(
            "PUT",
            path("catalog", "register"),
            token=token,
            dc="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    @endpoint
    def deregister(
        self,
        node: str,
        service_id: str | None = None,
        check_id: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/catalog/deregister``: remove a service (with its checks), a check,
        or with neither the whole node. True once applied, even if there was
        nothing to remove. At most one of ``service_id`` and ``check_id``.
        """
        if service_id is not None and check_id is not None:
            raise ValueError("only one of service_id and check_id may be given")
        body: dict[str, Any] = {}
        datacenter = dc if dc is not None else self._client.dc
        if optional_str(datacenter, "dc"):
            body["Datacenter"] = datacenter
        body["Node"] = non_empty(node, "node")
        if service_id is not None:
            body["ServiceID"] = non_empty(service_id, "service_id")
        if check_id is not None:
            body["CheckID"] = non_empty(check_id, "check_id")
        request = self._request(
            "PUT",
            path("catalog", "deregister"),
            token=token,
            dc="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    @endpoint
    def datacenters(
        self,
        *,
        token: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[list[str]]:
        """``GET /v1/catalog/datacenters``: every known datacenter, nearest first.

        ``cached`` lets the agent answer from its cache (not refreshed in
        the background: ``max_age`` bounds how old the answer may be).
        """
        request = self._request(
            "GET",
            path("catalog", "datacenters"),
            token=token,
            dc="",
            read=True,
            consistency="default",
            cached=cached,
            max_age=max_age,
            stale_if_error=stale_if_error,
        )
        return Call(request, d.json_list)

    @endpoint
    def nodes(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[Node]]]:
        """``GET /v1/catalog/nodes``: the datacenter's nodes."""
        return self._read(
            path("catalog", "nodes"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            near=near,
            node_meta=node_meta,
            filter_expr=filter_expr,
            partition=partition,
        )

    @endpoint
    def services(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[dict[str, list[str]]]]:
        """``GET /v1/catalog/services``: service name -> the tags of its instances."""
        return self._read(
            path("catalog", "services"),
            d.mapped(d.json, lambda v: v or {}),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            node_meta=node_meta,
            filter_expr=filter_expr,
            cached=cached,
            max_age=max_age,
            stale_if_error=stale_if_error,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def node(
        self,
        node: str,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        filter_expr: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[CatalogNode | None]]:
        """``GET /v1/catalog/node/:node``: the node and its services, None if unknown.

        ``node`` may also be a unique prefix of the node's ID.
        """
        return self._read(
            path("catalog", "node", tail=path_tail(node, "node")),
            d.json,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def node_services(
        self,
        node: str,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        filter_expr: str | None = None,
        *,
        merge_central_config: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[NodeServiceList]]:
        """``GET /v1/catalog/node-services/:node``: the node and a list of its services."""
        return self._read(
            path("catalog", "node-services", tail=path_tail(node, "node")),
            d.json,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            filter_expr=filter_expr,
            merge_central_config=merge_central_config,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def service(
        self,
        service: str,
        index: int | None = None,
        wait: str | float | None = None,
        tag: str | Sequence[str] | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        peer: str | None = None,
        merge_central_config: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ServiceNode]]]:
        """``GET /v1/catalog/service/:service``: the service's instances.

        ``tag`` (one tag or a list) keeps the instances that have every tag
        given (compared case-insensitively).
        """
        return self._read(
            path("catalog", "service", tail=path_tail(service, "service")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            near=near,
            node_meta=node_meta,
            tag=tag,
            filter_expr=filter_expr,
            cached=cached,
            max_age=max_age,
            stale_if_error=stale_if_error,
            peer=peer,
            merge_central_config=merge_central_config,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def connect(
        self,
        service: str,
        index: int | None = None,
        wait: str | float | None = None,
        tag: str | Sequence[str] | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        peer: str | None = None,
        merge_central_config: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ServiceNode]]]:
        """``GET /v1/catalog/connect/:service``: Connect-capable instances of the service
        (its proxies, Connect-native instances and the terminating gateways
        that reach it). Arguments as :meth:`service`.
        """
        return self._read(
            path("catalog", "connect", tail=path_tail(service, "service")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            near=near,
            node_meta=node_meta,
            tag=tag,
            filter_expr=filter_expr,
            cached=cached,
            max_age=max_age,
            stale_if_error=stale_if_error,
            peer=peer,
            merge_central_config=merge_central_config,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def gateway_services(
        self,
        gateway: str,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[GatewayService]]]:
        """``GET /v1/catalog/gateway-services/:gateway``: what a gateway exposes or reaches.

        The mappings come from the gateway's ``ingress-gateway`` or
        ``terminating-gateway`` configuration entry; an empty list for a
        gateway without any. Unlike py-consul's, this is a blocking read
        returning ``(index, data)``, as every catalog read does.
        """
        return self._read(
            path("catalog", "gateway-services", tail=path_tail(gateway, "gateway")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )
