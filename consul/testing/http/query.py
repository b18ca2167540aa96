"""``/v1/query``: prepared queries.

The HTTP side follows ``agent/prepared_query_endpoint.go``; the RPCs
(``PreparedQuery.Apply``, ``Get``, ``List``, ``Explain``, ``Execute`` and
``ExecuteRemote``, with ``queryFailover``) follow
``agent/consul/prepared_query_endpoint.go``, the ACL filtering
``agent/structs/aclfilter/filter.go``; the table, templates and the
service lookup are :mod:`consul.testing.state.query`'s.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import uuid

from ..state.acl.authorizer import Authorizer
from ..state.datacenter import Datacenter
from ..state.errors import RPCError
from ..state.golang import parse_bool
from ..state.golang import quote as go_quote
from ..state.query import (
    QUERY_NOT_FOUND,
    REDACTED,
    acl_prefix,
    execute,
    failover_targets,
    new_query,
    query_problem,
)
from ..state.records import JSON
from ..state.structs import PREPARED_QUERY
from .cache import fetched
from .catalog import filtered
from .context import Ctx
from .errors import HTTPError, NotFound
from .reply import Reply, empty_reply, json_reply
from .routes import Routes

routes = Routes()

_PREFIX = "/v1/query/"


# -- ACL filtering (filterPreparedQueries, redactPreparedQueryTokens) ------------------


def _readable(authz: Authorizer, queries: list[JSON]) -> tuple[list[JSON], bool]:
    """The queries ``authz`` may read, tokens redacted; and whether a named one was dropped.

    A token that may write ACLs sees everything; others see the named
    queries (and templates) they may read, never an unnamed one.
    """
    if authz.acl_write():
        return queries, False
    kept, dropped = [], False
    for query in queries:
        prefix = acl_prefix(query)
        if prefix is None:
            continue
        if not authz.query_read(prefix):
            dropped = True
            continue
        kept.append(_redacted(authz, query))
    return kept, dropped


def _redacted(authz: Authorizer, query: JSON) -> JSON:
    """``redactPreparedQueryTokens``: the token hidden from those who may not write ACLs."""
    if query["Token"] and not authz.acl_write():
        return {**query, "Token": REDACTED}
    return query


# -- POST /v1/query, GET /v1/query -------------------------------------------------------


@routes("/v1/query", "GET", "POST")
async def queries(ctx: Ctx) -> Reply:
    """``POST /v1/query`` (create: ``{"ID": ...}``) and ``GET /v1/query`` (list)."""
    if ctx.method == "POST":
        dc = ctx.dc
        query = new_query(await ctx.decode(PREPARED_QUERY))
        return json_reply({"ID": _apply(ctx, dc, "create", query)})
    ctx.check_consistency()
    dc = ctx.dc
    authz = ctx.authz
    dropped = False

    def listing() -> tuple[int, list[JSON]]:
        nonlocal dropped
        index, found = dc.queries.all()
        kept, dropped = _readable(authz, found)
        return index, kept

    def render(index: int, found: list[JSON]) -> Reply:
        ctx.set_meta(index, consistency=True)
        ctx.set_filtered(dropped)
        return json_reply(found)

    return ctx.blocking_reply(listing, render, shared=True)


def _apply(ctx: Ctx, dc: Datacenter, op: str, query: JSON) -> str:
    """``PreparedQuery.Apply``: check, vet ACLs, then write (or delete) the query."""
    store = dc.queries
    if op == "create":
        if query["ID"]:
            raise RPCError("ID must be empty when creating a new prepared query")
        query["ID"] = str(uuid.uuid4())
        while store.queries.get(query["ID"].replace("-", "")) is not None:
            query["ID"] = str(uuid.uuid4())
    authz = ctx.authz
    prefix = acl_prefix(query)
    if prefix is not None:
        ctx.require(authz.query_write(prefix), "query:write", prefix)
    if op != "create":
        try:
            _, existing = store.get(query["ID"])
        except RPCError as exc:
            raise RPCError(f"Prepared Query lookup failed: {exc}") from None
        if existing is None:
            raise RPCError(f"Cannot modify non-existent prepared query: '{query['ID']}'")
        prefix = acl_prefix(existing)
        if prefix is not None:
            ctx.require(authz.query_write(prefix), "query:write", prefix)
    if op != "delete" and (problem := query_problem(query)):
        raise RPCError(f"Invalid prepared query: {problem}")
    idx = dc.apply()
    try:
        changed = store.delete(idx, query["ID"]) if op == "delete" else store.set(idx, query)
    except RPCError as exc:
        raise RPCError(f"raft apply failed: {exc}") from None
    if changed:
        dc.changed()
    return str(query["ID"])


# -- /v1/query/:id and /v1/query/:id/{execute,explain} -----------------------------------


def _method_not_allowed(ctx: Ctx, *allowed: str) -> HTTPError:
    """``MethodNotAllowedError``: 405 with ``Allow`` (without ``OPTIONS``)."""
    ctx.headers["Allow"] = ",".join(allowed)
    return HTTPError(405, f"method {ctx.method} not allowed")


@routes(_PREFIX)
async def query(ctx: Ctx) -> Reply:
    """``PreparedQuerySpecific``: get, update, delete, execute, explain (and OPTIONS).

    The route takes every method: this handler answers the ones it does
    not take with a 405 of its own, as Consul's does.
    """
    path = ctx.path
    target = path[len(_PREFIX) :]
    for suffix in ("/execute", "/explain"):
        if path.endswith(suffix):
            if ctx.method == "OPTIONS":
                return _options("OPTIONS", "GET")
            if ctx.method != "GET":
                raise _method_not_allowed(ctx, "GET")
            target = target.removesuffix(suffix)
            if suffix == "/execute":
                return await _execute(ctx, target)
            return _explain(ctx, target)
    if ctx.method == "OPTIONS":
        return _options("OPTIONS", "GET", "PUT", "DELETE")
    if ctx.method == "GET":
        return _get(ctx, target)
    if ctx.method == "PUT":
        dc = ctx.dc
        body = await ctx.body()
        # Only a body with content is decoded: an empty one is an empty query.
        query = new_query(await ctx.decode(PREPARED_QUERY) if body else {})
        query["ID"] = target
        _apply(ctx, dc, "update", query)
        return empty_reply()
    if ctx.method == "DELETE":
        dc = ctx.dc
        query = new_query({})
        query["ID"] = target
        _apply(ctx, dc, "delete", query)
        return empty_reply()
    raise _method_not_allowed(ctx, "GET", "PUT", "DELETE")


def _options(*allowed: str) -> Reply:
    reply = empty_reply()
    reply.headers["Allow"] = ",".join(allowed)
    return reply


def _get(ctx: Ctx, query_id: str) -> Reply:
    """``PreparedQuery.Get``: a list of one query; 404 ``Query not found``.

    An unnamed query is shown to anyone who has its ID (token redacted);
    a named one needs ``query:read`` (403 ``Permission denied``).
    """
    ctx.check_consistency()
    dc = ctx.dc
    store = dc.queries

    def render(index: int, found: JSON | None) -> Reply:
        ctx.set_meta(index, consistency=True)
        if found is None:
            raise NotFound(QUERY_NOT_FOUND)
        authz = ctx.authz
        if acl_prefix(found) is None:
            return json_reply([_redacted(authz, found)])
        kept, _ = _readable(authz, [found])
        if not kept:
            raise RPCError("Permission denied")
        return json_reply(kept)

    index, found = store.get(query_id)
    if found is None:
        return render(index, found)
    return ctx.blocking_reply(lambda: store.get(query_id), render, shared=True)


def _query_meta(ctx: Ctx, filtered_by_acls: bool) -> JSON:
    """The ``QueryMeta`` fields a response embeds (``Index`` 1: these RPCs do not block)."""
    return {
        "Index": 1,
        "LastContact": 0,
        "KnownLeader": True,
        "ConsistencyLevel": ctx.consistency_level(),
        "NotModified": False,
        "Backend": 0,
        "ResultsFilteredByACLs": filtered_by_acls,
    }


def _explain(ctx: Ctx, id_or_name: str) -> Reply:
    """``PreparedQuery.Explain``: the query a name resolves to, rendered.

    Answered only if the token may read it (403 ``Permission denied``).
    """
    _execute_params(ctx)
    dc = ctx.dc
    ctx.set_meta(1, consistency=True)
    _, found = dc.queries.resolve(id_or_name)
    if found is None:
        raise NotFound(QUERY_NOT_FOUND)
    kept, _ = _readable(ctx.authz, [found])
    if not kept:
        raise RPCError("Permission denied")
    return json_reply({"Query": kept[0], **_query_meta(ctx, False)})


#: ``strconv.Atoi``'s syntax: an optional sign and ASCII digits.
_ATOI = re.compile(r"[+-]?[0-9]+\Z")


def _execute_params(ctx: Ctx) -> tuple[int, bool]:
    """The options of execute and explain: ``parse``, ``?limit`` and ``?connect``."""
    ctx.check_consistency()
    limit = 0
    raw = ctx.param("limit")
    if raw:
        if not _ATOI.match(raw):
            raise RPCError(f"Bad limit: strconv.Atoi: parsing {go_quote(raw)}: invalid syntax")
        limit = int(raw)
        if not -(2**63) <= limit < 2**63:
            raise RPCError(f"Bad limit: strconv.Atoi: parsing {go_quote(raw)}: value out of range")
    connect = False
    raw = ctx.param("connect")
    if raw:
        parsed = parse_bool(raw)
        if parsed is None:
            raise RPCError(
                f"Error parsing 'connect' value: strconv.ParseBool: parsing {go_quote(raw)}: "
                "invalid syntax"
            )
        connect = parsed
    return limit, connect


async def _execute(ctx: Ctx, id_or_name: str) -> Reply:
    """``PreparedQuery.Execute``, through the agent's cache with ``?cached``."""
    limit, connect = _execute_params(ctx)
    dc = ctx.dc
    ctx.set_meta(1, consistency=True)
    reply, filtered_by_acls = fetched(
        ctx, "prepared-query", lambda: _run(ctx, dc, id_or_name, limit, connect)
    )
    if filtered_by_acls:
        ctx.headers["X-Consul-Results-Filtered-By-ACLs"] = "true"
    return json_reply({**reply, **_query_meta(ctx, filtered_by_acls)})


def _run(ctx: Ctx, dc: Datacenter, id_or_name: str, limit: int, connect: bool) -> tuple[JSON, bool]:
    """Resolve and execute, then fail over if nothing was found; and whether ACLs dropped any.

    The query's own token, if it has one, is the one the results are
    filtered with.
    """
    _, found = dc.queries.resolve(id_or_name)
    if found is None:
        raise NotFound(QUERY_NOT_FOUND)
    token = found["Token"] or ctx.token
    authz = ctx.agent.acl.authorizer(token)
    reply = execute(dc, found, connect)
    reply["Nodes"], dropped = _readable_nodes(authz, reply["Nodes"])
    ctx.agent.random.shuffle(reply["Nodes"])
    source = _source_node(ctx, dc, found)
    if source:
        nodes = reply["Nodes"]
        dc.coordinates.sort_by_distance(source, nodes, lambda e: e["Node"]["Node"])
        # The source node first, if it is among the first ten.
        for i, entry in enumerate(nodes[:10]):
            if entry["Node"]["Node"].lower() == source.lower():
                nodes[0], nodes[i] = nodes[i], nodes[0]
                break
    reply["Nodes"] = _limited(reply["Nodes"], limit)
    failovers = 0
    if not reply["Nodes"]:
        own = dc.name
        others = sorted(name for name in ctx.agent.datacenters if name != own)
        for name, peer in failover_targets(found, others):
            failovers += 1
            remote_query = copy.deepcopy(found)
            remote_query["Service"]["Peer"] = peer
            remote = ctx.agent.datacenters[name] if name else dc
            reply = execute(remote, remote_query, connect)
            reply["Nodes"], remote_dropped = _readable_nodes(authz, reply["Nodes"])
            dropped = dropped or remote_dropped
            ctx.agent.random.shuffle(reply["Nodes"])
            reply["Nodes"] = _limited(reply["Nodes"], limit)
            if reply["Nodes"]:
                break
    reply["Failovers"] = failovers
    return reply, dropped and bool(token)


def _limited(nodes: list[JSON], limit: int) -> list[JSON]:
    return nodes[:limit] if limit > 0 else nodes


def _readable_nodes(authz: Authorizer, nodes: list[JSON]) -> tuple[list[JSON], bool]:
    """``filterCheckServiceNodes``: node and service read."""
    return filtered(
        nodes,
        lambda e: (
            authz.node_read(e["Node"]["Node"]) and authz.service_read(e["Service"]["Service"])
        ),
    )


def _source_node(ctx: Ctx, dc: Datacenter, query: JSON) -> str:
    """The node results are sorted from: ``?near``, else the query's ``Near``.

    ``_agent`` is the agent's node; ``_ip`` the node whose address is the
    request's source (``X-Forwarded-For`` first), none if no node has it.
    """
    near = ctx.param("near") or query["Service"]["Near"]
    if near == "_agent":
        return str(ctx.agent.config.node_name)
    if near != "_ip":
        return str(near)
    source = _source_ip(ctx)
    if source:
        for node in dc.catalog.node_list()[1]:
            if node["Address"] == source:
                return str(node["Node"])
    return ""


def _source_ip(ctx: Ctx) -> str:
    """``sourceAddrFromRequest``: the first ``X-Forwarded-For`` address, else the peer's."""
    forwarded = ctx.request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    for candidate in (forwarded, ctx.request.remote or ""):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return ""
