"""Health checks and healthy instances: ``/v1/health`` (Consul docs: *Health*)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, non_empty
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from .catalog import Node, NodeService, _read_params

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


class Health(Group[M]):
    """Checks, and the instances of a service with their health.

    Reads return ``(index, data)``; pass ``index`` back (with an optional
    ``wait``) to block until the data changes. ``near``, ``node_meta`` and
    ``filter_expr`` are as for :class:`~consul.api.catalog.Catalog`;
    ``consistency`` is ``"default"``, ``"consistent"`` or ``"stale"``.
    """

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
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[int, list[ServiceEntry]]]:
        """``GET /v1/health/service/:service``: the service's instances and their checks.

        ``passing=True`` keeps only the instances whose checks (node checks
        included) all pass; ``tag`` (one or a list) the instances with every
        tag given.
        """
        return self._read(
            path("health", "service", tail=path_tail(service, "service")),
            d.json_list,
            _read_params(
                near=near, node_meta=node_meta, tag=tag, filter_expr=filter_expr, passing=passing
            ),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
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
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[int, list[ServiceEntry]]]:
        """``GET /v1/health/connect/:service``: Connect-capable instances and their checks.

        Arguments as :meth:`service`.
        """
        return self._read(
            path("health", "connect", tail=path_tail(service, "service")),
            d.json_list,
            _read_params(
                near=near, node_meta=node_meta, tag=tag, filter_expr=filter_expr, passing=passing
            ),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
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
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[int, list[HealthCheck]]]:
        """``GET /v1/health/checks/:service``: the checks of the service's instances."""
        return self._read(
            path("health", "checks", tail=path_tail(service, "service")),
            d.json_list,
            _read_params(near=near, node_meta=node_meta, filter_expr=filter_expr),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
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
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[int, list[HealthCheck]]]:
        """``GET /v1/health/state/:state``: the checks in state ``name``.

        ``name`` is ``"passing"``, ``"warning"``, ``"critical"`` or ``"any"``
        (every check).
        """
        if non_empty(name, "name") not in STATES:
            raise ValueError(f"name must be one of {', '.join(STATES)}, not {name!r}")
        return self._read(
            path("health", "state", name),
            d.json_list,
            _read_params(near=near, node_meta=node_meta, filter_expr=filter_expr),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
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
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[int, list[HealthCheck]]]:
        """``GET /v1/health/node/:node``: the node's checks (its services' too)."""
        return self._read(
            path("health", "node", tail=path_tail(node, "node")),
            d.json_list,
            _read_params(filter_expr=filter_expr),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
        )
