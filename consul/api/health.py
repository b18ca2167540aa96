"""Health checks and healthy instances: ``/v1/health`` (Consul docs: *Health*)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, flag, non_empty
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from .._meta import Indexed
from .catalog import Node, NodeService

M = TypeVar("M")

__all__ = ["Health", "HealthCheck", "ServiceEntry"]

#: The states ``/v1/health/state/:state`` knows (``any`` is every check).
STATES = ("any", "passing", "warning", "critical")


class HealthCheck(TypedDict):
    """A health check of a node or a service instance (``structs.HealthCheck``)."""

    Node: str
    CheckID: str
    Name: str
    Status: str
    Notes: str
    Output: str
    ServiceID: str
    ServiceName: str
    ServiceTags: list[str]
    Type: str
    Interval: str
    Timeout: str
    ExposedPort: int
    PeerName: NotRequired[str]
    Definition: dict[str, Any]
    CreateIndex: int
    ModifyIndex: int


class ServiceEntry(TypedDict):
    """An instance with its node and the checks that apply to it.

    ``Checks`` holds the node's checks, then the instance's own.
    """

    Node: Node
    Service: NodeService
    Checks: list[HealthCheck]


def _passing(passing: bool | None) -> list[tuple[str, str]]:
    """``?passing``: keep the instances whose checks all pass."""
    return [("passing", "true")] if passing is not None and flag(passing, "passing") else []


class Health(Group[M]):
    """Checks, and the instances of a service with their health.

    Reads return ``(index, data)`` (an :class:`~consul.Indexed` pair whose
    ``.meta`` holds the rest of the answer's metadata); pass ``index`` back
    (with an optional ``wait``) to block until the data changes. The query
    options (``near``, ``node_meta``, ``filter_expr``, ``cached``, ``peer``,
    ``merge_central_config``, ``ns``, ``partition``...) are those of
    :class:`~consul.QueryOptions`, as for :class:`~consul.api.catalog.Catalog`;
    ``consistency`` is ``"default"``, ``"consistent"`` or ``"stale"``.
    """

    def _instances(
        self,
        kind: str,
        service: str,
        passing: bool | None,
        *,
        token: str | None,
        dc: str | None,
        consistency: str | None,
        index: int | None,
        wait: str | float | None,
        tag: str | Sequence[str] | None,
        near: str | None,
        node_meta: Mapping[str, str] | None,
        filter_expr: str | None,
        cached: bool,
        max_age: str | float | None,
        stale_if_error: str | float | None,
        peer: str | None,
        merge_central_config: bool,
        ns: str | None,
        partition: str | None,
    ) -> Call[Indexed[list[ServiceEntry]]]:
        """The read of ``/v1/health/<kind>/:service`` (``service``, ``connect``, ``ingress``)."""
        return self._read(
            path("health", kind, tail=path_tail(service, "service")),
            d.json_list,
            _passing(passing),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            tag=tag,
            near=near,
            node_meta=node_meta,
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
    def service(
        self,
        service: str,
        index: int | None = None,
        wait: str | float | None = None,
        passing: bool | None = None,
        tag: str | Sequence[str] | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        peer: str | None = None,
        merge_central_config: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ServiceEntry]]]:
        """``GET /v1/health/service/:service``: the service's instances and their checks.

        ``passing=True`` keeps only the instances whose checks (node checks
        included) all pass; ``tag`` (one or a list) the instances with every
        tag given.
        """
        return self._instances(
            "service",
            service,
            passing,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            tag=tag,
            near=near,
            node_meta=node_meta,
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
        passing: bool | None = None,
        tag: str | Sequence[str] | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        peer: str | None = None,
        merge_central_config: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ServiceEntry]]]:
        """``GET /v1/health/connect/:service``: Connect-capable instances and their checks.

        The service's proxies, its Connect-native instances and the
        terminating gateways that reach it. Arguments as :meth:`service`.
        """
        return self._instances(
            "connect",
            service,
            passing,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            tag=tag,
            near=near,
            node_meta=node_meta,
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
    def ingress(
        self,
        service: str,
        index: int | None = None,
        wait: str | float | None = None,
        passing: bool | None = None,
        tag: str | Sequence[str] | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        peer: str | None = None,
        merge_central_config: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ServiceEntry]]]:
        """``GET /v1/health/ingress/:service``: the ingress gateways that expose the service.

        Each entry is a gateway instance with its checks (the gateways
        whose ``ingress-gateway`` configuration entry lists the service).
        Arguments as :meth:`service`.
        """
        return self._instances(
            "ingress",
            service,
            passing,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            tag=tag,
            near=near,
            node_meta=node_meta,
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
    def checks(
        self,
        service: str,
        index: int | None = None,
        wait: str | float | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        consistency: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[HealthCheck]]]:
        """``GET /v1/health/checks/:service``: the checks of the service's instances."""
        return self._read(
            path("health", "checks", tail=path_tail(service, "service")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            near=near,
            node_meta=node_meta,
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def state(
        self,
        name: str,
        index: int | None = None,
        wait: str | float | None = None,
        dc: str | None = None,
        near: str | None = None,
        token: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        *,
        consistency: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[HealthCheck]]]:
        """``GET /v1/health/state/:state``: the checks in state ``name``.

        ``name`` is ``"passing"``, ``"warning"``, ``"critical"`` or ``"any"``
        (every check).
        """
        if non_empty(name, "name") not in STATES:
            raise ValueError(f"name must be one of {', '.join(STATES)}, not {name!r}")
        return self._read(
            path("health", "state", name),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            near=near,
            node_meta=node_meta,
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def node(
        self,
        node: str,
        index: int | None = None,
        wait: str | float | None = None,
        dc: str | None = None,
        token: str | None = None,
        filter_expr: str | None = None,
        *,
        consistency: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[HealthCheck]]]:
        """``GET /v1/health/node/:node``: the node's checks (its services' too)."""
        return self._read(
            path("health", "node", tail=path_tail(node, "node")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )
