"""``PUT /v1/agent/token/:target``: replace one of the agent's own ACL tokens.

``AgentToken`` (``agent/agent_endpoint.go``); the tokens are
:class:`~consul.testing.state.tokens.AgentTokens`.
"""

from __future__ import annotations

from ..state.golang import quote as go_quote
from ..state.gotypes import STRING, struct
from ..state.tokens import TOKEN_TARGETS
from .context import Ctx
from .errors import HTTPError, NotFound
from .reply import Reply, empty_reply
from .routes import Routes

routes = Routes()

#: ``api.AgentToken``: the body.
AGENT_TOKEN = struct("api.AgentToken", Token=STRING)


@routes("/v1/agent/token/", "PUT")
async def agent_token(ctx: Ctx) -> Reply:
    """``AgentToken``: 401 with ACLs off, then ``agent:write``, the body, the target.

    A new ``default`` or ``agent`` token triggers a full anti-entropy sync,
    as the registrations it syncs may now be allowed.
    """
    agent = ctx.agent
    if not agent.config.acl_enabled:
        raise HTTPError(401, "ACL support disabled")
    node = agent.config.node_name
    ctx.require(ctx.authz.agent_write(node), "agent:write", node)
    args = await ctx.decode(AGENT_TOKEN)
    target = ctx.tail
    attribute = TOKEN_TARGETS.get(target)
    if attribute is None:
        raise NotFound(f"Token {go_quote(target)} is unknown")
    secret = args.get("Token", "")
    changed = getattr(agent.tokens, attribute) != secret
    setattr(agent.tokens, attribute, secret)
    if changed and attribute in ("user", "agent"):
        agent.local.sync_full()
    agent.logger.info("Updated agent's ACL token", "token", target)
    return empty_reply()
