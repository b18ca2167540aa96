"""``/v1/health``: checks and healthy service instances.

The HTTP side follows ``agent/health_endpoint.go``, the RPCs
``agent/consul/health_endpoint.go``; the data is the catalog's
(:class:`~consul.testing.state.catalog.CatalogStore`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..state import structs
from ..state.catalog import meta_matches
from ..state.errors import RPCError
from ..state.golang import parse_bool
from ..state.records import JSON, check_json, check_service_node_json
from .catalog import (
    ServiceLookup,
    filtered,
    filtered_reply,
    meta_filters,
    node_name,
    read_options,
    service_name,
    sort_near,
)
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()


def _checks_reply(items: list[JSON]) -> list[JSON]:
    """The handlers' last step: a list, never null, and ``ServiceTags`` never null."""
    for item in items:
        if item["ServiceTags"] is None:
            item["ServiceTags"] = []
    return items


def _checks_json(items: list[JSON]) -> Reply:
    """The reply of the checks handlers: :func:`_checks_reply` as JSON."""
    return json_reply(_checks_reply(items))


def _authorized_check(ctx: Ctx) -> Callable[[JSON], bool]:
    """``filterHealthChecks``: node read, and service read for a service's check."""
    authz = ctx.authz

    def allowed(check: JSON) -> bool:
        service = check["ServiceName"]
        return bool(authz.node_read(check["Node"]) and (not service or authz.service_read(service)))

    return allowed


@routes("/v1/health/node/", "GET")
async def node_checks(ctx: Ctx) -> Reply:
    """``GET /v1/health/node/:node``: the node's checks (ACL-filtered, then ``?filter``)."""
    read_options(ctx)
    name = node_name(ctx, "/v1/health/node/")
    store = ctx.dc.catalog
    allowed = _authorized_check(ctx)

    def query() -> tuple[int, list[JSON], bool]:
        index, checks = store.node_check_list(name)
        items, dropped = filtered([check_json(c) for c in checks], allowed)
        return index, ctx.filter(items, structs.HEALTH_CHECK), dropped

    return filtered_reply(ctx, query, _checks_json)


@routes("/v1/health/checks/", "GET")
async def service_checks(ctx: Ctx) -> Reply:
    """``GET /v1/health/checks/:service``: the checks of a service's instances.

    Here ``?filter`` runs before the ACL filtering (``Health.ServiceChecks``).
    """
    read_options(ctx)
    meta = meta_filters(ctx)
    name = service_name(ctx, "/v1/health/checks/")
    store = ctx.dc.catalog
    allowed = _authorized_check(ctx)

    def query() -> tuple[int, list[JSON], bool]:
        index, checks = store.service_check_list(name, meta)
        items, dropped = filtered(
            ctx.filter([check_json(c) for c in checks], structs.HEALTH_CHECK), allowed
        )
        sort_near(ctx, items, lambda c: c["Node"])
        return index, items, dropped

    return filtered_reply(ctx, query, _checks_json)


@routes("/v1/health/state/", "GET")
async def checks_in_state(ctx: Ctx) -> Reply:
    """``GET /v1/health/state/:state``: checks in a state (``any``: all of them).

    Consul does not validate the state: an unknown one matches nothing.
    """
    read_options(ctx)
    meta = meta_filters(ctx)
    state = ctx.path[len("/v1/health/state/") :]
    if not state:
        raise BadRequest("Missing check state")
    store = ctx.dc.catalog
    allowed = _authorized_check(ctx)

    def query() -> tuple[int, list[JSON], bool]:
        index, checks = store.checks_in_state(state, meta)
        items, dropped = filtered([check_json(c) for c in checks], allowed)
        items = ctx.filter(items, structs.HEALTH_CHECK)
        sort_near(ctx, items, lambda c: c["Node"])
        return index, items, dropped

    return filtered_reply(ctx, query, _checks_json)


def passing_flag(ctx: Ctx) -> bool:
    """``getBoolQueryParam(params, "passing")``: bare is true, else ``strconv.ParseBool``."""
    if not ctx.flag("passing"):
        return False
    value = ctx.param("passing") or ""
    passing = True if value == "" else parse_bool(value)
    if passing is None:
        raise BadRequest("Invalid value for ?passing")
    return passing


def only_passing(entries: list[JSON]) -> list[JSON]:
    """``CheckServiceNodes.Filter`` with only-passing: drop entries with any other check.

    Go swaps a dropped entry with the last one still kept and looks at the
    same position again, so the order of what remains changes; so does it
    here.
    """
    nodes = list(entries)
    n = len(nodes)
    i = 0
    while i < n:
        if any(check["Status"] != "passing" for check in nodes[i]["Checks"]):
            nodes[i], nodes[n - 1] = nodes[n - 1], nodes[i]
            n -= 1
            continue
        i += 1
    return nodes[:n]


@routes("/v1/health/service/", "GET")
async def service_nodes(ctx: Ctx) -> Reply:
    """``GET /v1/health/service/:service``: instances with their node and checks."""
    return await _service_nodes(ctx, "/v1/health/service/", "service")


@routes("/v1/health/connect/", "GET")
async def connect_nodes(ctx: Ctx) -> Reply:
    """``GET /v1/health/connect/:service``: Connect-capable instances with their checks.

    Proxies for the service, its Connect-native instances and the
    terminating gateways that reach it; ``?tag`` is not applied
    (``Health.ServiceNodes`` picks the Connect lookup first). Reading them
    needs ``service:read`` on the service itself (403 ``Permission
    denied`` otherwise).
    """
    return await _service_nodes(ctx, "/v1/health/connect/", "connect")


@routes("/v1/health/ingress/", "GET")
async def ingress_nodes(ctx: Ctx) -> Reply:
    """``GET /v1/health/ingress/:service``: the ingress gateways exposing the service.

    The instances of every ingress gateway whose mappings (its
    configuration entry) list the service; ``service:read`` on the service
    is needed, as for ``/v1/health/connect``.
    """
    return await _service_nodes(ctx, "/v1/health/ingress/", "ingress")


async def _service_nodes(ctx: Ctx, prefix: str, kind: str) -> Reply:
    """``healthServiceNodes`` and ``Health.ServiceNodes`` for the three lookups."""
    lookup = ServiceLookup.read(ctx, prefix)
    name, tags, meta, peer = lookup.name, lookup.tags, lookup.meta, lookup.peer
    passing = passing_flag(ctx)
    store = ctx.dc.catalog
    authz = ctx.authz
    if kind != "service" and not authz.service_read(name):
        raise RPCError("Permission denied")

    def query() -> tuple[int, list[JSON], bool]:
        if kind == "connect":
            index, found = store.check_connect_service_nodes(name, peer)
        elif kind == "ingress":
            index, found = store.check_ingress_service_nodes(name)
        else:
            index, found = store.check_service_nodes(name, tags, peer)
        if meta:
            found = [e for e in found if meta_matches(e[1]["Meta"], meta)]
        entries = [check_service_node_json(*instance) for instance in found]
        entries, dropped = filtered(
            entries,
            lambda e: (
                authz.node_read(e["Node"]["Node"]) and authz.service_read(e["Service"]["Service"])
            ),
        )
        entries = ctx.filter(entries, structs.CHECK_SERVICE_NODE)
        sort_near(ctx, entries, lambda e: e["Node"]["Node"])
        if passing:
            entries = only_passing(entries)
        return index, entries, dropped

    return filtered_reply(ctx, query, _service_nodes_json, cache="health-services")


def _service_nodes_json(entries: list[JSON]) -> Reply:
    """The reply of the service lookups: no null ``Tags`` or ``ServiceTags``, as JSON."""
    for entry in entries:
        _checks_reply(entry["Checks"])
        if entry["Service"]["Tags"] is None:
            entry["Service"]["Tags"] = []
    return json_reply(entries)
