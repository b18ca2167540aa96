"""``/v1/event``: user events.

Request handling from ``agent/event_endpoint.go``; the server side of a fire
(ACLs, then the Serf broadcast) from ``Internal.EventFire`` in
``agent/consul/internal_endpoint.go``. What the agent keeps of the events it
receives is :class:`~consul.testing.state.event.EventBuffer`.
"""

from __future__ import annotations

import uuid

from ..state.errors import RPCError
from ..state.event import UserEvent, serf_size_error, uuid_to_index
from ..state.golang import multierror
from ..state.regexp import compile_regexp
from .context import LOCAL_MAX_QUERY_TIME, Ctx, park_while
from .errors import BadRequest, HTTPError
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: What a listing found: the events of its name, and those the token may read.
_Found = tuple[list[UserEvent], list[UserEvent]]


def _validate(event: UserEvent) -> None:
    """``validateUserEventParams``: its errors are 500s."""
    if event.tag_filter and not event.service_filter:
        raise HTTPError(500, "Cannot provide tag filter without service filter")
    for label, pattern in (
        ("node", event.node_filter),
        ("service", event.service_filter),
        ("tag", event.tag_filter),
    ):
        if pattern:
            try:
                compile_regexp(pattern)
            except ValueError as exc:
                raise HTTPError(500, f"Invalid {label} filter: {exc}") from None


# -- HTTP ----------------------------------------------------------------------


@routes("/v1/event/fire/", "PUT")
async def fire(ctx: Ctx) -> Reply:
    """``PUT /v1/event/fire/:name``: broadcast a user event (``event:write``)."""
    name = ctx.tail
    if not name:
        raise BadRequest("Missing name")
    event = UserEvent(
        id="",
        name=name,
        node_filter=ctx.param("node") or "",
        service_filter=ctx.param("service") or "",
        tag_filter=ctx.param("tag") or "",
    )
    # Go reads the body only when the request declares a positive length.
    length = ctx.request.content_length
    if length is not None and length > 0:
        event.payload = await ctx.body()
    _validate(event)
    event.id = str(uuid.uuid4())
    # From here on the handler has already written status 500, so every
    # error, "ACL not found" included, is a 500 except the permission
    # denial, which the handler answers with 403 and Consul's bare text.
    try:
        dc = ctx.dc
        authz = ctx.authz
    except RPCError as exc:
        raise HTTPError(500, str(exc)) from None
    if not authz.event_write(name):
        raise HTTPError(403, "Permission denied")
    events = ctx.agent.events
    problem = serf_size_error(event, events.clock(dc.name))
    if problem is not None:
        # Internal.EventFire fires on every LAN segment (only the default
        # one, "", here) and gathers the errors with go-multierror.
        raise HTTPError(500, multierror([f'error broadcasting event to segment "": {problem}']))
    events.broadcast(dc.name, event)
    return json_reply(event.to_json(ltime=0))


@routes("/v1/event/list", "GET")
async def list_events(ctx: Ctx) -> Reply:
    """``GET /v1/event/list``: the events this agent received, oldest first.

    Its blocking differs from the others (``EventList``): the index is the
    last event's ID folded to 64 bits (1 with no event), the query blocks
    only while that equals ``?index``, for ``?wait`` or else 10 minutes (the
    agent package's ``maxQueryTime``, not ``max_query_time``), with no
    jitter, and ``X-Consul-Index`` is the only meta header.
    """
    min_index, wait = ctx.wait_params()
    authz = ctx.authz
    name = ctx.param("name") or ""
    buffer = ctx.agent.events

    def query() -> tuple[int, _Found]:
        events = [e for e in buffer.events if not name or e.name == name]
        visible = [e for e in events if authz.event_read(e.name)]
        return uuid_to_index(visible[-1].id) if visible else 1, (events, visible)

    def render(index: int, found: _Found) -> Reply:
        events, visible = found
        ctx.set_filtered(len(visible) != len(events))
        ctx.set_index(index)
        return json_reply([e.to_json() for e in visible])

    def timeout() -> float:
        return min(wait if wait > 0 else LOCAL_MAX_QUERY_TIME, LOCAL_MAX_QUERY_TIME)

    return park_while(ctx, buffer.wakeups, min_index, query, render, timeout)
