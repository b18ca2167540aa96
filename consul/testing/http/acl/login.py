"""``/v1/acl/login`` and ``/v1/acl/logout``: tokens for the identities auth methods verify.

Request handling from ``agent/acl_endpoint.go`` (``ACLLogin``,
``ACLLogout``), the RPCs from ``agent/consul/acl_endpoint.go`` (``Login``,
``Logout``), the token from ``agent/consul/auth/login.go`` and
``token_writer.go``: the auth method verifies the bearer token, its binding
rules say what the token is linked to, and the token is local unless the
method's ``TokenLocality`` is ``global``, expiring after its ``MaxTokenTTL``.
"""

from __future__ import annotations

import datetime

from ...state import structs
from ...state.acl.authmethods import LoginError, new_validator
from ...state.acl.bindings import bind
from ...state.acl.objects import Token
from ...state.errors import RPCError
from ...state.golang import quote
from ..context import Ctx
from ..errors import HTTPError
from ..reply import Reply, json_reply, marshal_string_map
from ..routes import Routes
from .common import acl_store, decode_write, new_uuid

routes = Routes()


@routes("/v1/acl/login", "POST")
async def login(ctx: Ctx) -> Reply:
    """``ACLLogin``: no token is needed; the new token (with its secret) is the answer."""
    store = acl_store(ctx)
    ctx.dc  # noqa: B018 - an unknown ?dc is an error here too
    body = await decode_write(ctx, structs.ACL_LOGIN_PARAMS, "Failed to decode request body: ")
    name = body.get("AuthMethod", "")
    method = store.auth_methods.get(name)
    if method is None:
        # loadAuthMethod wraps acl.ErrNotFound: a 403.
        raise RPCError(f"ACL not found: auth method {quote(name)} not found")
    try:
        identity = new_validator(method).validate_login(body.get("BearerToken", ""))
        bindings = bind(store, method, identity, store.config.datacenter)
    except (LoginError, ValueError) as exc:
        raise RPCError(str(exc)) from None
    if bindings.none():
        raise RPCError("Permission denied")
    description = "token created via login"
    if meta := body.get("Meta"):
        description += f": {marshal_string_map(meta)}"
    now = datetime.datetime.now(datetime.UTC)
    expiration = None
    if method.max_token_ttl:
        expiration = now + datetime.timedelta(microseconds=method.max_token_ttl // 1000)
    token = Token(
        new_uuid(store),
        new_uuid(store),
        description,
        policies=bindings.policies,
        roles=bindings.roles,
        service_identities=bindings.services,
        node_identities=bindings.nodes,
        templated_policies=bindings.templated,
        local=method.token_locality != "global",  # noqa: S105 - not a secret
        auth_method=method.name,
        expiration_time=expiration,
        create_time=now,
    )
    token.set_hash()
    store.put_token(token)
    return json_reply(store.token_json(token))


@routes("/v1/acl/logout", "POST")
async def logout(ctx: Ctx) -> Reply:
    """``ACLLogout``: delete the request's own token, if a login made it."""
    store = acl_store(ctx)
    ctx.dc  # noqa: B018
    secret = ctx.token
    if not secret:
        raise HTTPError(401, "Supplied token does not exist")
    # TokenWriter.Delete: found by secret, expired or not.
    token = store.token_by_secret(secret)
    if token is None:
        raise RPCError("ACL not found")
    if not token.auth_method:
        raise RPCError("Permission denied: token wasn't created via login")
    store.delete_token(token.accessor_id)
    return json_reply(True)
