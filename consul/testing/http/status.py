"""``/v1/status``: the Raft leader and peers (``agent/status_endpoint.go``).

A dev agent is the single server of its datacenter; each extra datacenter of
the embedded agent is served by one server of its own. The address is the
advertised one with ``ports.server``.
"""

from __future__ import annotations

from .context import Ctx
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()


@routes("/v1/status/leader", "GET")
async def leader(ctx: Ctx) -> Reply:
    """``GET /v1/status/leader``: the leader's address (no ACL needed)."""
    _ = ctx.dc
    return json_reply(ctx.agent.config.server_addr)


@routes("/v1/status/peers", "GET")
async def peers(ctx: Ctx) -> Reply:
    """``GET /v1/status/peers``: the Raft peers' addresses (no ACL needed)."""
    _ = ctx.dc
    return json_reply([ctx.agent.config.server_addr])
