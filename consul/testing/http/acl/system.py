"""``/v1/acl/bootstrap`` and ``/v1/acl/replication``.

Request handling from ``agent/acl_endpoint.go``, the RPCs from
``agent/consul/acl_endpoint.go``.
"""

from __future__ import annotations

from ...state import structs
from ...state.acl.objects import GLOBAL_MANAGEMENT_ID, Token
from ...state.errors import RPCError
from ..context import Ctx
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import acl_store, new_uuid

routes = Routes()


@routes("/v1/acl/bootstrap", "PUT")
async def bootstrap(ctx: Ctx) -> Reply:
    """``ACLBootstrap``: the first management token, once."""
    store = acl_store(ctx)
    secret = ""
    if ctx.request.content_length:
        body = await ctx.decode(structs.ACL_BOOTSTRAP, "Request decoding failed: ")
        secret = body.get("BootstrapSecret", "")
    if not store.can_bootstrap():
        # The HTTP layer turns ACLBootstrapNotAllowedErr into a permission denial.
        raise RPCError(
            "Permission denied: ACL bootstrap no longer allowed "
            f"(reset index: {store.bootstrap_index})"
        )
    token = Token(
        new_uuid(store),
        secret or new_uuid(store),
        "Bootstrap Token (Global Management)",
        policies=[GLOBAL_MANAGEMENT_ID],
    )
    token.set_hash()
    store.put_token(token)
    store.bootstrap_index = token.create_index
    # aclBootstrapResponse: ID (the secret) first, then the token's fields.
    return json_reply({"ID": token.secret_id, **store.token_json(token)})


@routes("/v1/acl/replication", "GET")
async def replication(ctx: Ctx) -> Reply:
    """``ACLReplicationStatus``: the primary datacenter does not replicate."""
    acl_store(ctx)
    ctx.check_consistency()
    ctx.dc  # noqa: B018 - an unknown ?dc is an error here too
    return json_reply(
        {
            "Enabled": False,
            "Running": False,
            "SourceDatacenter": "",
            "ReplicationType": "",
            "ReplicatedIndex": 0,
            "ReplicatedRoleIndex": 0,
            "ReplicatedTokenIndex": 0,
            "LastSuccess": "0001-01-01T00:00:00Z",
            "LastError": "0001-01-01T00:00:00Z",
            "LastErrorMessage": "",
        }
    )
