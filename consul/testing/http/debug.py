"""``/debug/pprof/``: Go's profiles, which the embedded agent does not have.

Consul serves ``net/http/pprof`` behind ``handlePProf`` (``agent/http.go``):
when neither ``enable_debug`` nor ACLs are on, every such path is a 404 with
an empty body; with ACLs on, a token that cannot be resolved, or lacks
``operator:read``, gets a 403 with an empty body. The embedded agent runs
no Go runtime to profile: it answers as an agent without ``enable_debug``,
and a token allowed to read gets pprof's ``Unknown profile`` (404).
"""

from __future__ import annotations

from ..state.errors import RPCError
from .context import Ctx
from .reply import Reply
from .routes import Routes

routes = Routes()


@routes("/debug/pprof/", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
async def pprof(ctx: Ctx) -> Reply:
    """``handlePProf`` with ``enable_debug`` off."""
    if not ctx.agent.config.acl_enabled:
        return Reply(404)
    try:
        allowed = ctx.authz.operator_read()
    except RPCError:
        allowed = False
    if not allowed:
        return Reply(403)
    reply = Reply(404, b"Unknown profile\n", "text/plain; charset=utf-8")
    reply.headers["X-Go-Pprof"] = "1"
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply
