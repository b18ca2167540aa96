"""``/v1/coordinate``: network coordinates.

Request handling from ``agent/coordinate_endpoint.go``, the server side from
``agent/consul/coordinate_endpoint.go``; the table is
:class:`~consul.testing.state.coordinate.CoordinateStore`.
"""

from __future__ import annotations

import math

from ..state.coordinate import (
    AREA_WAN,
    DIMENSIONALITY,
    coordinate_json,
    new_coordinate,
)
from ..state.errors import RPCError
from ..state.structs import COORDINATE_UPDATE_REQUEST, CoordinateEntry
from .context import Ctx
from .errors import HTTPError
from .reply import Reply, empty_reply, json_reply
from .routes import Routes

routes = Routes()


def _segment_filter(ctx: Ctx, rows: list[CoordinateEntry]) -> list[CoordinateEntry]:
    """``filterCoordinates``: ``?segment`` (even empty) keeps that segment only."""
    if "segment" not in ctx.request.query:
        return rows
    segment = ctx.param("segment") or ""
    return [row for row in rows if row["Segment"] == segment]


@routes("/v1/coordinate/datacenters", "GET")
async def datacenters(ctx: Ctx) -> Reply:
    """``GET /v1/coordinate/datacenters``: each datacenter's servers in the WAN pool.

    No ACL is needed. Node names are the servers' names without the
    ``.dc`` suffix of their WAN names. Consul lists the datacenters in map
    order (random); this agent sorts them by name.
    """
    out = []
    for name in sorted(ctx.agent.datacenters):
        dc = ctx.agent.datacenters[name]
        out.append(
            {
                "Datacenter": name,
                "AreaID": AREA_WAN,
                "Coordinates": [
                    {
                        "Node": dc.catalog.server_node_name(),
                        "Segment": "",
                        "Coord": new_coordinate(),
                    }
                ],
            }
        )
    return json_reply(out)


@routes("/v1/coordinate/nodes", "GET")
async def nodes(ctx: Ctx) -> Reply:
    """``GET /v1/coordinate/nodes``: the LAN coordinates of a datacenter's nodes.

    Nodes the token may not read (``node:read``) are left out. A partition
    is refused as CE refuses it (``parseEntMetaPartition``).
    """
    ctx.check_consistency()
    ctx.check_enterprise_meta(namespace=False)
    store = ctx.dc.coordinates
    authz = ctx.authz
    filtered = False

    def query() -> tuple[int, list[CoordinateEntry]]:
        nonlocal filtered
        index, rows = store.all()
        visible = [row for row in rows if authz.node_read(row["Node"])]
        filtered = len(visible) != len(rows)
        return index, visible

    def render(index: int, rows: list[CoordinateEntry]) -> Reply:
        ctx.set_meta(index)
        ctx.set_filtered(filtered)
        return json_reply(_segment_filter(ctx, rows))

    return ctx.blocking_reply(query, render, shared=True)


@routes("/v1/coordinate/node/", "GET")
async def node(ctx: Ctx) -> Reply:
    """``GET /v1/coordinate/node/:node``: one node's LAN coordinates (404 if none)."""
    ctx.check_consistency()
    ctx.check_enterprise_meta(namespace=False)
    name = ctx.tail
    store = ctx.dc.coordinates
    ctx.require(ctx.authz.node_read(name), "node:read", name)

    def render(index: int, rows: list[CoordinateEntry]) -> Reply:
        ctx.set_meta(index)
        found = [
            CoordinateEntry(Node=name, Segment=row["Segment"], Coord=row["Coord"]) for row in rows
        ]
        entries = _segment_filter(ctx, found)
        if not entries:
            return Reply(404)
        return json_reply(entries)

    return ctx.blocking_reply(lambda: store.node(name), render, shared=True)


@routes("/v1/coordinate/update", "PUT")
async def update(ctx: Ctx) -> Reply:
    """``PUT /v1/coordinate/update``: queue a node's new LAN coordinate (``node:write``)."""
    body = await ctx.decode(COORDINATE_UPDATE_REQUEST)
    ctx.check_enterprise_meta()  # parseEntMetaNoWildcard, after the body
    dc = ctx.dc
    coord = body.get("Coord")
    if coord is None:
        # Consul dereferences the missing coordinate and its handler panics:
        # the connection is dropped without an answer.
        transport = ctx.request.transport
        if transport is not None:
            transport.abort()
        raise HTTPError(500, "")
    vec = coord.get("Vec") or []
    numbers = [*vec, coord.get("Error", 0.0), coord.get("Adjustment", 0.0), coord.get("Height")]
    if not all(math.isfinite(x) for x in numbers if x is not None):
        raise RPCError("invalid coordinate")
    if len(vec) != DIMENSIONALITY:
        raise RPCError("incompatible coordinate")
    node_name = body.get("Node", "")
    ctx.require(ctx.authz.node_write(node_name), "node:write", node_name)
    dc.coordinates.queue(
        {
            "Node": node_name,
            "Segment": body.get("Segment", ""),
            "Coord": coordinate_json(
                vec,
                coord.get("Error", 0.0),
                coord.get("Adjustment", 0.0),
                coord.get("Height", 0.0),
            ),
        }
    )
    return empty_reply()
