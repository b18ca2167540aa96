"""``/v1/catalog``: nodes, services and checks of a datacenter.

The HTTP side follows ``agent/catalog_endpoint.go``; the tables, the checks
of ``Catalog.Register``/``Deregister`` and the read RPCs are
:class:`~consul.testing.state.catalog.CatalogStore`'s. Helpers the health
endpoints share (query options, ACL-filtered blocking reads) are here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..state import structs
from ..state.catalog import meta_matches
from ..state.datacenter import Datacenter
from ..state.errors import RPCError
from ..state.gojson import DecodeError
from ..state.gotypes import Struct
from ..state.records import (
    JSON,
    go_map,
    node_json,
    node_record,
    node_service_json,
    service_node_json,
)
from ..state.structs import ServiceNode
from .cache import fetched, refreshed_reply
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, json_reply
from .routes import Routes

__all__ = [
    "ServiceLookup",
    "filtered",
    "filtered_reply",
    "meta_filters",
    "node_name",
    "peer_name",
    "read_options",
    "routes",
    "service_name",
    "sort_near",
    "tag_filter",
]

routes = Routes()

T = TypeVar("T")


#: The ``?tag`` values of a request, or None without any (``TagFilter``).
Tags = list[str] | None


def read_options(ctx: Ctx, *, namespace: bool = True) -> None:
    """What ``parseEntMeta`` and ``parse`` (``agent/http.go``) refuse with a 400."""
    ctx.check_enterprise_meta(namespace=namespace)
    ctx.check_consistency()
    ctx.wait_params()


def meta_filters(ctx: Ctx) -> dict[str, str]:
    """``parseMetaFilter``: ``?node-meta=key:value`` pairs (a later key wins)."""
    filters: dict[str, str] = {}
    for raw in ctx.params("node-meta"):
        key, _, value = raw.partition(":")
        filters[key] = value
    return filters


def peer_name(ctx: Ctx) -> str:
    """``parsePeerName``: ``?peer`` scopes a service lookup to a cluster peer."""
    return ctx.param("peer") or ""


def tag_filter(ctx: Ctx) -> Tags:
    """Every ``?tag`` value, or None if the parameter is absent."""
    return ctx.params("tag") if ctx.flag("tag") else None


def filtered(items: list[Any], keep: Callable[[Any], bool]) -> tuple[list[Any], bool]:
    """ACL filtering: the items ``keep`` allows, and whether any were dropped."""
    kept = [item for item in items if keep(item)]
    return kept, len(kept) != len(items)


def filtered_reply(
    ctx: Ctx,
    query: Callable[[], tuple[int, T, bool]],
    render: Callable[[T], Reply],
    *,
    cache: str | None = None,
) -> Reply:
    """A catalog or health read: a blocking query, its meta headers, then ``render(result)``.

    ``query`` returns the index, the result and whether ACLs dropped part
    of it (for ``X-Consul-Results-Filtered-By-ACLs``). ``cache`` names the
    agent's cache type of a read that honours ``?cached`` (one refreshed
    in the background, see :func:`~.cache.refreshed_reply`). The reply a
    handler returns, as :meth:`Ctx.blocking_reply`: a query that has to
    wait does so with no coroutine (see :mod:`~.context`).
    """
    dropped = False

    def run() -> tuple[int, T]:
        nonlocal dropped
        index, result, dropped = query()
        return index, result

    def answer(index: int, result: T) -> Reply:
        ctx.set_meta(index, consistency=True)
        ctx.set_filtered(dropped)
        return render(result)

    # The answer depends on the request and the state alone: identical
    # watchers share it (not a ?cached read's: see refreshed_reply).
    if cache is None:
        return ctx.blocking_reply(run, answer, shared=True)
    return refreshed_reply(ctx, cache, run, answer, shared=True)


def sort_near(ctx: Ctx, items: list[T], node_of: Callable[[T], str]) -> None:
    """``?near``: sort ``items`` by round-trip time from a node (``parseSource``).

    ``_agent`` is the agent's own node. Coordinates of different
    datacenters do not compare: a request sent to another datacenter is not
    sorted (``sortNodesByDistanceFrom``, ``agent/consul/rtt.go``).
    """
    near = ctx.param("near") or ""
    config = ctx.agent.config
    if near == "_agent":
        near = config.node_name
    if near and ctx.dc.name == config.datacenter:
        ctx.dc.coordinates.sort_by_distance(near, items, node_of)


def node_name(ctx: Ctx, prefix: str) -> str:
    """The node name after ``prefix`` in the path (400 ``Missing node name``)."""
    name = ctx.path[len(prefix) :]
    if not name:
        raise BadRequest("Missing node name")
    return name


def service_name(ctx: Ctx, prefix: str) -> str:
    """The service name after ``prefix`` in the path (400 ``Missing service name``)."""
    name = ctx.path[len(prefix) :]
    if not name:
        raise BadRequest("Missing service name")
    return name


@dataclass(frozen=True)
class ServiceLookup:
    """What a lookup of a service's instances reads from the request.

    ``/v1/catalog/service/:service`` and ``/v1/health/service/:service`` (and
    their ``connect`` twins) read them in the same order, which decides
    which of several bad parameters answers: the read options, ``?node-meta``,
    ``?tag``, the name in the path, ``?peer``.
    """

    name: str
    tags: Tags
    meta: dict[str, str]
    peer: str

    @classmethod
    def read(cls, ctx: Ctx, prefix: str) -> ServiceLookup:
        read_options(ctx)
        meta = meta_filters(ctx)
        tags = tag_filter(ctx)
        return cls(service_name(ctx, prefix), tags, meta, peer_name(ctx))


async def _decode_body(ctx: Ctx, spec: Struct) -> dict[str, Any]:
    """``decodeBody`` plus ``rewordUnknownEnterpriseFieldError``; 400 on failure."""
    try:
        decoded: dict[str, Any] = await ctx.decode_body(spec)
    except DecodeError as exc:
        message = str(exc)
        if message == 'json: unknown field "Namespace"':
            message += " - Namespaces are a Consul Enterprise feature"
        raise BadRequest(f"Request decode failed: {message}") from None
    return decoded


def _request_dc(ctx: Ctx, name: str) -> Datacenter:
    dc = ctx.agent.datacenters.get(name or ctx.agent.config.datacenter)
    if dc is None:
        raise RPCError("No path to datacenter")
    return dc


@routes("/v1/catalog/register", "PUT")
async def register(ctx: Ctx) -> Reply:
    """``PUT /v1/catalog/register``: ``true`` once applied."""
    ctx.check_enterprise_meta()
    request = await _decode_body(ctx, structs.REGISTER_REQUEST)
    request.pop("Token", None)
    if not request.get("Datacenter"):
        request["Datacenter"] = ctx.agent.config.datacenter
    dc = _request_dc(ctx, request["Datacenter"])
    store = dc.catalog
    store.prepare_register(request, ctx.authz)
    if store.register(dc.apply(), request):
        dc.changed()
    return json_reply(True)


@routes("/v1/catalog/deregister", "PUT")
async def deregister(ctx: Ctx) -> Reply:
    """``PUT /v1/catalog/deregister``: ``true`` once applied (even if nothing was there)."""
    ctx.check_enterprise_meta()
    request = await _decode_body(ctx, structs.DEREGISTER_REQUEST)
    dc = _request_dc(ctx, request.get("Datacenter", ""))
    node = request.get("Node", "")
    if not node:
        raise RPCError("Must provide node")
    service_id = request.get("ServiceID", "")
    check_id = request.get("CheckID", "")
    dc.catalog.vet_deregister(ctx.authz, node, service_id, check_id)
    idx = dc.apply()
    # Only peering replication writes peered entries: naming a peer finds
    # nothing to delete.
    if not request.get("PeerName") and dc.catalog.deregister(idx, node, service_id, check_id):
        dc.changed()
    return json_reply(True)


@routes("/v1/catalog/datacenters", "GET")
async def datacenters(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/datacenters``: every datacenter, nearest first.

    ``Router.GetDatacentersByDistance`` sorts by name, then (stably) by the
    median round-trip time; the agent's own datacenter is at zero and all
    other servers of the embedded agent are equally far, so the others
    follow in name order. No meta headers; ``?cached`` answers from the
    agent's cache (a type it does not refresh).
    """
    ctx.check_consistency()
    own = ctx.agent.config.datacenter
    others = sorted(name for name in ctx.agent.datacenters if name != own)
    return json_reply(fetched(ctx, "catalog-datacenters", lambda: [own, *others]))


@routes("/v1/catalog/nodes", "GET")
async def nodes(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/nodes``: every node (``?node-meta``, ``?filter``, ``?near``)."""
    read_options(ctx, namespace=False)
    meta = meta_filters(ctx)
    store = ctx.dc.catalog
    authz = ctx.authz

    def query() -> tuple[int, list[JSON], bool]:
        index, found = store.node_list(meta)
        items = ctx.filter([node_json(n) for n in found], structs.NODE)
        items, dropped = filtered(items, lambda n: authz.node_read(n["Node"]))
        sort_near(ctx, items, lambda n: n["Node"])
        return index, items, dropped

    return filtered_reply(ctx, query, json_reply)


@routes("/v1/catalog/services", "GET")
async def services(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/services``: service name -> its tags (``{}`` if none).

    ``?filter`` runs on the service instances before they are grouped by
    name (``Catalog.ListServices``); tags are deduplicated, in the order they
    are first met (Go builds the list from a map, in no set order).
    """
    read_options(ctx)
    meta = meta_filters(ctx)
    store = ctx.dc.catalog
    authz = ctx.authz

    def query() -> tuple[int, dict[str, list[str]], bool]:
        index, records = store.service_list(meta)
        instances = ctx.filter([_raw_service_node_json(r) for r in records], structs.SERVICE_NODE)
        names: dict[str, list[str]] = {}
        for instance in instances:
            tags = names.setdefault(instance["ServiceName"], [])
            for tag in instance["ServiceTags"] or []:
                if tag not in tags:
                    tags.append(tag)
        allowed = {n: t for n, t in names.items() if authz.service_read(n)}
        return index, go_map(allowed) or {}, len(allowed) != len(names)

    return filtered_reply(ctx, query, json_reply, cache="catalog-list-services")


def _raw_service_node_json(record: ServiceNode) -> JSON:
    """A services-table record as ``?filter`` sees it: the node fields are empty."""
    out = service_node_json(record, node_record({}))
    out["ServiceTags"] = record["ServiceTags"]
    out["ServiceMeta"] = go_map(record["ServiceMeta"])
    return out


@routes("/v1/catalog/service/", "GET")
async def service_nodes(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/service/:service``: its instances (``?tag`` repeatable)."""
    return await _service_nodes(ctx, "/v1/catalog/service/")


@routes("/v1/catalog/connect/", "GET")
async def connect_nodes(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/connect/:service``: Connect-capable instances (proxies, native).

    The state store's ``connect`` index: connect proxies whose destination is
    the service, and Connect-native instances of it (terminating gateways
    are not modelled).
    """
    return await _service_nodes(ctx, "/v1/catalog/connect/", connect=True)


async def _service_nodes(ctx: Ctx, prefix: str, *, connect: bool = False) -> Reply:
    lookup = ServiceLookup.read(ctx, prefix)
    name, tags, meta, peer = lookup.name, lookup.tags, lookup.meta, lookup.peer
    store = ctx.dc.catalog
    authz = ctx.authz
    if connect and not authz.service_read(name):
        ctx.set_meta(0, consistency=True)
        return json_reply([])

    def query() -> tuple[int, list[JSON], bool]:
        if connect:
            index, found = store.connect_service_nodes(name, peer)
        else:
            index, found = store.service_nodes(name, tags, peer)
        if meta:
            found = [(r, n) for r, n in found if meta_matches(n["Meta"], meta)]
        items = ctx.filter([service_node_json(r, n) for r, n in found], structs.SERVICE_NODE)
        items, dropped = filtered(
            items, lambda s: authz.node_read(s["Node"]) and authz.service_read(s["ServiceName"])
        )
        sort_near(ctx, items, lambda s: s["Node"])
        return index, items, dropped

    return filtered_reply(ctx, query, json_reply, cache="catalog-services")


@routes("/v1/catalog/node/", "GET")
async def node_services(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/node/:node``: the node and its services; ``null`` if unknown."""
    read_options(ctx)
    name = node_name(ctx, "/v1/catalog/node/")
    store = ctx.dc.catalog
    authz = ctx.authz

    def query() -> tuple[int, JSON | None, bool]:
        index, node, records = store.node_service_records(name)
        if node is None:
            return index, None, False
        # ?filter runs on the values of the ID -> service map.
        services = {r["ServiceID"]: node_service_json(r) for r in records}
        kept = {id(s) for s in ctx.filter(services.values(), structs.NODE_SERVICE)}
        services = {k: v for k, v in services.items() if id(v) in kept}
        if not authz.node_read(node["Node"]):
            return index, None, True
        # filterNodeServices checks service:read on the map key, the service ID.
        allowed = {k: v for k, v in services.items() if authz.service_read(k)}
        for service in allowed.values():
            if service["Tags"] is None:
                service["Tags"] = []
        result = {"Node": node_json(node), "Services": go_map(allowed)}
        return index, result, len(allowed) != len(services)

    return filtered_reply(ctx, query, json_reply)


@routes("/v1/catalog/node-services/", "GET")
async def node_service_list(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/node-services/:node``: the node and a list of its services.

    An unknown node is ``{"Node": null, "Services": null}``, and so is a
    node without services' ``Services`` (``NodeServiceList``).
    """
    read_options(ctx)
    name = node_name(ctx, "/v1/catalog/node-services/")
    store = ctx.dc.catalog
    authz = ctx.authz

    def query() -> tuple[int, JSON, bool]:
        index, node, records = store.node_service_records(name)
        if node is None or index == 0:
            return index, {"Node": None, "Services": None}, False
        services: list[JSON] | None = None
        if records:
            services = ctx.filter([node_service_json(r) for r in records], structs.NODE_SERVICE)
        if not authz.node_read(node["Node"]):
            return index, {"Node": None, "Services": None}, True
        dropped = False
        if services is not None:
            services, dropped = filtered(services, lambda s: authz.service_read(s["Service"]))
            for service in services:
                if service["Tags"] is None:
                    service["Tags"] = []
        return index, {"Node": node_json(node), "Services": services}, dropped

    return filtered_reply(ctx, query, json_reply)


@routes("/v1/catalog/gateway-services/", "GET")
async def gateway_services(ctx: Ctx) -> Reply:
    """``GET /v1/catalog/gateway-services/:gateway``: the gateway's service mappings.

    ``service:read`` on the gateway is needed (a 403 otherwise); mappings
    to services the token may not read are left out. A gateway without
    mappings is ``null`` (``Catalog.GatewayServices`` returns the table's
    rows unconverted).
    """
    read_options(ctx)
    name = ctx.path[len("/v1/catalog/gateway-services/") :]
    if not name:
        raise BadRequest("Missing gateway name")
    authz = ctx.authz
    ctx.require(authz.service_read(name), "service:read", name)
    store = ctx.dc.gateways

    def query() -> tuple[int, list[JSON] | None, bool]:
        index, rows = store.gateway_services(name)
        kept, dropped = filtered(
            [dict(row) for row in rows], lambda r: authz.service_read(r["Service"]["Name"])
        )
        return index, kept or None, dropped

    return filtered_reply(ctx, query, json_reply)
