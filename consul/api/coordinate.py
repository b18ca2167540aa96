"""Network coordinates: ``/v1/coordinate`` (Consul docs: *Network Coordinates*)."""

from __future__ import annotations

import math
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, string
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["Coord", "Coordinate", "DatacenterMap", "NodeCoordinate"]


class Coord(TypedDict):
    """A Vivaldi network coordinate (Serf's ``coordinate.Coordinate``)."""

    Vec: list[float]
    Error: float
    Adjustment: float
    Height: float


class NodeCoordinate(TypedDict):
    """A node's coordinate in one network segment."""

    Node: str
    Segment: str
    Partition: NotRequired[str]
    Coord: Coord


class DatacenterMap(TypedDict):
    """The WAN coordinates of one datacenter's servers."""

    Datacenter: str
    AreaID: str
    Coordinates: list[NodeCoordinate]


def _coord(coord: Coord | dict[str, Any]) -> dict[str, Any]:
    """Check a coordinate before sending it; Consul needs eight finite dimensions."""
    if not isinstance(coord, dict):
        raise TypeError(f"coord must be a dict, not {type(coord).__name__}")
    unknown = set(coord) - {"Vec", "Error", "Adjustment", "Height"}
    if unknown:
        raise ValueError(f"coord has unknown fields: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = dict(coord)
    vec = out.get("Vec")
    if not isinstance(vec, list | tuple):
        raise TypeError("coord['Vec'] must be a list of numbers")
    out["Vec"] = list(vec)
    for number in [*vec, *(out.get(k, 0.0) for k in ("Error", "Adjustment", "Height"))]:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise TypeError("coordinate components must be numbers")
        if not math.isfinite(number):
            raise ValueError("coordinate components must be finite")
    return out


class Coordinate(Group[M]):
    """Network coordinates of servers (WAN) and nodes (LAN)."""

    @endpoint
    def datacenters(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Call[list[DatacenterMap]]:
        """``GET /v1/coordinate/datacenters``: the WAN coordinates of each datacenter's servers."""
        return Call(self._request("GET", path("coordinate", "datacenters")), d.json)

    @endpoint
    def nodes(
        self,
        dc: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        token: str | None = None,
        segment: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[NodeCoordinate]]]:
        """``GET /v1/coordinate/nodes``: the LAN coordinates of a datacenter's nodes.

        A blocking query with ``index`` and ``wait``. Nodes the token may not
        read are left out. ``segment`` keeps only that network segment.
        """
        params = [] if segment is None else [("segment", segment)]
        return self._read(
            path("coordinate", "nodes"),
            d.json_list,
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            partition=partition,
        )

    @endpoint
    def node(
        self,
        node: str,
        dc: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        token: str | None = None,
        segment: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[NodeCoordinate] | None]]:
        """``GET /v1/coordinate/node/:node``: one node's LAN coordinates (None if it has none).

        Needs ``node:read`` on the node.
        """
        params = [] if segment is None else [("segment", segment)]
        return self._read(
            path("coordinate", "node", tail=path_tail(node, "node")),
            d.or_none(d.json),
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            partition=partition,
        )

    @endpoint
    def update(
        self,
        node: str,
        coord: Coord | dict[str, Any],
        segment: str = "",
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/coordinate/update``: set a node's LAN coordinate.

        Consul applies updates in batches (every 100 ms on a dev agent), and
        only to nodes in its catalog; watch :meth:`node` to see it land.
        Needs ``node:write`` on the node.
        """
        body = {"Node": string(node, "node"), "Segment": segment, "Coord": _coord(coord)}
        request = self._request(
            "PUT",
            path("coordinate", "update"),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)
