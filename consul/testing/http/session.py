"""``/v1/session``: sessions, their TTLs and their invalidation.

Request handling from ``agent/session_endpoint.go``, the RPC side (ACLs)
from ``agent/consul/session_endpoint.go``; the table, its TTL timers and the
checks of ``Session.Apply`` are :mod:`consul.testing.state.session`'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ..state.errors import RPCError
from ..state.gojson import DecodeError
from ..state.session import Session, SessionStore, decode_into, fixup_checks, validate
from .context import Ctx
from .errors import BadRequest, HTTPError
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: What a read found: the sessions, and those the token may read.
_Found = tuple[list[Session], list[Session]]

# -- HTTP ----------------------------------------------------------------------


def _path_parameter(ctx: Ctx, missing: str) -> str:
    """The session ID or node name the path ends with (after the Enterprise checks)."""
    ctx.check_enterprise_meta()
    if not ctx.tail:
        raise BadRequest(missing)
    return ctx.tail


@routes("/v1/session/create", "PUT")
async def create(ctx: Ctx) -> Reply:
    """``PUT /v1/session/create``: a session on the agent's node by default."""
    session = Session(node=ctx.agent.config.node_name)
    ctx.check_enterprise_meta()
    length = ctx.request.content_length
    if length is not None and length > 0:
        try:
            decode_into(session, await ctx.body())
        except DecodeError as exc:
            raise BadRequest(f"Request decode failed: {exc}") from None
    fixup_checks(session)
    dc = ctx.dc
    if not session.node:
        raise RPCError("Must provide Node")
    ctx.require(ctx.authz.session_write(session.node), "session:write", session.node)
    validate(session, ctx.agent.config.session_ttl_min)
    store = dc.sessions
    session.id = str(uuid.uuid4())
    while store.get(session.id) is not None:
        session.id = str(uuid.uuid4())
    idx = dc.apply()
    store.create(idx, session)
    dc.changed()
    store.reset_timer(session)
    return json_reply({"ID": session.id})


@routes("/v1/session/destroy/", "PUT")
async def destroy(ctx: Ctx) -> Reply:
    """``PUT /v1/session/destroy/:id``: true, even for a session that does not exist."""
    session_id = _path_parameter(ctx, "Missing session")
    dc = ctx.dc
    authz = ctx.authz
    existing = dc.sessions.get(session_id)
    if existing is None:
        return json_reply(True)
    ctx.require(authz.session_write(existing.node), "session:write", existing.node)
    idx = dc.apply()
    if dc.sessions.destroy(idx, session_id):
        dc.changed()
    dc.sessions.clear_timer(session_id)
    return json_reply(True)


@routes("/v1/session/renew/", "PUT")
async def renew(ctx: Ctx) -> Reply:
    """``PUT /v1/session/renew/:id``: restart a TTL session's clock; 404 if unknown."""
    ctx.check_consistency()
    session_id = _path_parameter(ctx, "Missing session")
    dc = ctx.dc
    authz = ctx.authz
    session = dc.sessions.get(session_id)
    if session is None:
        raise HTTPError(404, f"Session id '{session_id}' not found")
    ctx.require(authz.session_write(session.node), "session:write", session.node)
    dc.sessions.reset_timer(session)
    return json_reply([session.to_json()])


def _read(
    ctx: Ctx, lookup: Callable[[SessionStore], list[Session]], *, single: bool = False
) -> Reply:
    """A blocking read of sessions, filtered by ``session:read`` on their node.

    ``single``: a missing session is ``ErrNotFound`` (the query then blocks
    until it exists). ``setMeta`` is deferred in Consul's handlers, so even
    an error carries the (zero) query meta headers.
    """
    try:
        dc = ctx.dc
        authz = ctx.authz
    except RPCError:
        ctx.headers.update(
            {
                "X-Consul-LastContact": "0",
                "X-Consul-Index": "1",
                "X-Consul-KnownLeader": "false",
                "X-Consul-Query-Backend": "blocking-query",
            }
        )
        raise

    def query() -> tuple[int, _Found]:
        found = lookup(dc.sessions)
        return dc.sessions.index, (found, [s for s in found if authz.session_read(s.node)])

    def render(index: int, result: _Found) -> Reply:
        found, sessions = result
        ctx.set_meta(index)
        ctx.set_filtered(len(sessions) != len(found))
        return json_reply([s.to_json() for s in sessions])

    not_found = (lambda result: not result[0]) if single else None
    return ctx.blocking_reply(query, render, not_found=not_found, shared=True)


@routes("/v1/session/info/", "GET")
async def info(ctx: Ctx) -> Reply:
    """``GET /v1/session/info/:id``: ``[session]``, or ``[]``; blocks until it exists."""
    ctx.check_consistency()
    session_id = _path_parameter(ctx, "Missing session")

    def lookup(store: SessionStore) -> list[Session]:
        session = store.get(session_id)
        return [] if session is None else [session]

    return _read(ctx, lookup, single=True)


@routes("/v1/session/node/", "GET")
async def node(ctx: Ctx) -> Reply:
    """``GET /v1/session/node/:node``: the node's sessions."""
    ctx.check_consistency()
    name = _path_parameter(ctx, "Missing node name")
    return _read(ctx, lambda store: store.for_node(name))


@routes("/v1/session/list", "GET")
async def list_sessions(ctx: Ctx) -> Reply:
    """``GET /v1/session/list``: every session."""
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    return _read(ctx, lambda store: store.all())
