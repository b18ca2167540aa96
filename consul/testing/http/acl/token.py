"""``/v1/acl/token``: ACL tokens.

Request handling from ``agent/acl_endpoint.go``, the RPCs (``TokenSet``,
``TokenRead``, ``TokenClone``, ``TokenDelete``, ``TokenList`` and their
checks) from ``agent/consul/acl_endpoint.go``.
"""

from __future__ import annotations

import datetime
from typing import Any

from ...state import structs
from ...state.acl.objects import ANONYMOUS_ID, RESERVED_PREFIX, Token, is_uuid
from ...state.acl.store import ACLStore
from ...state.acl.templated import checked as checked_templated
from ...state.errors import RPCError
from ...state.golang import format_duration
from ..context import Ctx
from ..errors import HTTPError
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import (
    acl_store,
    decode_write,
    identities,
    links,
    new_uuid,
    read_one,
    require_acl,
    require_acl_to_delete,
)

routes = Routes()


#: ``ACLTokenMinExpirationTTL`` / ``ACLTokenMaxExpirationTTL`` of a default agent.
MIN_EXPIRATION_TTL = datetime.timedelta(minutes=1)
MAX_EXPIRATION_TTL = datetime.timedelta(hours=24)


def _parse_time(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise HTTPError(
            400, f'Token decoding failed: parsing time "{text}" as RFC3339: cannot parse'
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


@routes("/v1/acl/tokens", "GET")
async def token_list(ctx: Ctx) -> Reply:
    """``ACLTokenList``: stubs of the unexpired tokens, ``?policy``/``?role``/... narrowing."""
    store = acl_store(ctx)
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    authz = require_acl(ctx, write=False)
    redact = not authz.acl_write()
    policy = ctx.param("policy") or ""
    role = ctx.param("role") or ""
    method = ctx.param("authmethod") or ""
    service = ctx.param("servicename") or ""

    def listing() -> tuple[int, list[dict[str, Any]]]:
        tokens = []
        for token in sorted(store.tokens.values(), key=lambda t: t.accessor_id):
            if token.expired():
                continue
            if policy and policy not in token.policies:
                continue
            if role and role not in token.roles:
                continue
            if method and token.auth_method != method:
                continue
            if service and all(i["ServiceName"] != service for i in token.service_identities):
                continue
            tokens.append(store.token_json(token, redact=redact))
        return store.tokens_index, tokens

    def render(index: int, tokens: list[dict[str, Any]]) -> Reply:
        ctx.set_meta(index)
        return json_reply(tokens)

    return ctx.blocking_reply(listing, render, shared=True)


@routes("/v1/acl/token", "PUT")
async def token_create(ctx: Ctx) -> Reply:
    """``ACLTokenCreate``."""
    store = acl_store(ctx)
    body = await decode_write(ctx, structs.ACL_TOKEN, "Token decoding failed: ")
    require_acl(ctx, write=True)
    return json_reply(_token_set(ctx, store, body, create=True))


@routes("/v1/acl/token/self", "GET")
async def token_self(ctx: Ctx) -> Reply:
    """``ACLTokenSelf``: the token of the request's own secret (no privilege needed)."""
    store = acl_store(ctx)
    ctx.check_consistency()
    secret = ctx.token

    def lookup() -> tuple[int, Token | None]:
        token = store.token_by_secret(secret) if secret else None
        if token is not None and token.expired():
            token = None
        return store.tokens_index, token

    def render(index: int, token: Token | None) -> Reply:
        ctx.set_meta(index)
        if token is None:
            raise HTTPError(404, "Supplied token does not exist")
        return json_reply(store.token_json(token))

    return ctx.blocking_reply(lookup, render, not_found=lambda t: t is None, shared=True)


@routes("/v1/acl/token/", "GET", "PUT", "DELETE")
async def token_crud(ctx: Ctx) -> Reply:
    """``ACLTokenCRUD``: read, update, delete, and ``/clone``."""
    store = acl_store(ctx)
    accessor = ctx.tail
    if ctx.method == "PUT" and accessor.endswith("/clone"):
        return await _token_clone(ctx, store, accessor.removesuffix("/clone"))
    if not accessor and ctx.method != "PUT":
        raise HTTPError(400, "Missing token AccessorID")
    if ctx.method == "GET":
        return _token_read(ctx, store, accessor)
    if ctx.method == "PUT":
        body = await decode_write(ctx, structs.ACL_TOKEN, "Token decoding failed: ")
        body.setdefault("AccessorID", accessor)
        if body["AccessorID"] != accessor:
            raise HTTPError(400, "Token Accessor ID in URL and payload do not match")
        require_acl(ctx, write=True)
        return json_reply(_token_set(ctx, store, body, create=False))
    return _token_delete(ctx, store, accessor)


def _token_read(ctx: Ctx, store: ACLStore, accessor: str) -> Reply:
    def unexpired() -> Token | None:
        token = store.token(accessor)
        return None if token is None or token.expired() else token

    def answer(token: Token) -> Reply:
        out = store.token_json(token, redact=not ctx.authz.acl_write())
        if ctx.flag("expanded"):
            out = _expanded(store, token, out)
        return json_reply(out)

    return read_one(ctx, lambda: store.tokens_index, unexpired, "token", answer)


def _expanded(store: ACLStore, token: Token, out: dict[str, Any]) -> dict[str, Any]:
    """``ACLTokenExpanded``: the token, then what it resolves to (``ExpandedTokenInfo``)."""
    roles = [store.roles[r] for r in token.roles if r in store.roles]
    policy_ids = list(dict.fromkeys(token.policies + [p for r in roles for p in r.policies]))
    config = store.config
    return {
        **out,
        "ExpandedPolicies": [
            store.policies[p].to_json() for p in policy_ids if p in store.policies
        ],
        "ExpandedRoles": [store.role_json(r) for r in roles],
        "NamespaceDefaultPolicyIDs": None,
        "NamespaceDefaultRoleIDs": None,
        "AgentACLDefaultPolicy": config.acl_default_policy,
        "AgentACLDownPolicy": "extend-cache",
        "ResolvedByAgent": config.node_name,
    }


def _token_set(ctx: Ctx, store: ACLStore, body: dict[str, Any], *, create: bool) -> dict[str, Any]:
    """``tokenSetInternal``: create or update a token, with Consul's checks in its order."""
    accessor = body.get("AccessorID", "")
    secret = body.get("SecretID", "")
    local = bool(body.get("Local", False))
    accessor_match = store.tokens.get(accessor) if accessor else None
    now = datetime.datetime.now(datetime.UTC)
    expiration: datetime.datetime | None = None
    if body.get("ExpirationTime"):
        expiration = _parse_time(body["ExpirationTime"])
    ttl = body.get("ExpirationTTL") or 0.0
    if not accessor or create:
        if not accessor:
            accessor = new_uuid(store)
        elif not is_uuid(accessor):
            raise RPCError("Invalid Token: AccessorID is not a valid UUID")
        elif accessor_match is not None or store.token_by_secret(accessor) is not None:
            raise RPCError("Invalid Token: AccessorID is already in use")
        elif accessor.startswith(RESERVED_PREFIX):
            raise RPCError(f'Invalid Token: UUIDs with the prefix "{RESERVED_PREFIX}" are reserved')
        if not secret:
            secret = new_uuid(store)
        elif not is_uuid(secret):
            raise RPCError("Invalid Token: SecretID is not a valid UUID")
        elif store.token_by_secret(secret) is not None or secret in store.tokens:
            raise RPCError("Invalid Token: SecretID is already in use")
        elif secret.startswith(RESERVED_PREFIX):
            raise RPCError(f'Invalid Token: UUIDs with the prefix "{RESERVED_PREFIX}" are reserved')
        create_time = now
        if body.get("AuthMethod"):
            raise RPCError("AuthMethod field is disallowed outside of Login")
        if ttl:
            if ttl < 0:
                raise RPCError(
                    f"Token Expiration TTL '{format_duration(round(ttl * 1e9))}' should be > 0"
                )
            if expiration is not None:
                raise RPCError("Token Expiration TTL and Expiration Time cannot both be set")
            expiration = create_time + datetime.timedelta(seconds=ttl)
        if expiration is not None:
            if create_time > expiration:
                raise RPCError("ExpirationTime cannot be before CreateTime")
            expires_in = expiration - create_time
            if expires_in > MAX_EXPIRATION_TTL:
                raise RPCError(
                    "ExpirationTime cannot be more than 24h0m0s in the future "
                    f"(was {format_duration(round(expires_in.total_seconds() * 1e9))})"
                )
            if expires_in < MIN_EXPIRATION_TTL:
                raise RPCError(
                    "ExpirationTime cannot be less than 1m0s in the future "
                    f"(was {format_duration(round(expires_in.total_seconds() * 1e9))})"
                )
        auth_method = ""
    else:
        if not is_uuid(accessor):
            raise RPCError("AccessorID is not a valid UUID")
        if secret in ("allow", "deny", "manage"):
            raise RPCError("Permission denied: Cannot modify root ACL")
        if accessor_match is None or accessor_match.expired():
            raise RPCError(f'Cannot find token "{accessor}"')
        if not secret:
            secret = accessor_match.secret_id
        elif secret != accessor_match.secret_id:
            raise RPCError("Changing a tokens SecretID is not permitted")
        if local != accessor_match.local:
            raise RPCError(f"cannot toggle local mode of {accessor}")
        auth_method = body.get("AuthMethod") or accessor_match.auth_method
        if auth_method != accessor_match.auth_method:
            raise RPCError(f"Cannot change AuthMethod of {accessor}")
        if ttl:
            raise RPCError(f"Cannot change expiration time of {accessor}")
        if expiration is None:
            expiration = accessor_match.expiration_time
        elif accessor_match.expiration_time != expiration:
            raise RPCError(f"Cannot change expiration time of {accessor}")
        create_time = accessor_match.create_time
    policies = links(body.get("Policies") or [], "policy", store.policy_by_name, store.policies)
    roles = links(body.get("Roles") or [], "role", store.role_by_name, store.roles)
    services, nodes = identities(body, "token", local)
    templated = checked_templated(
        body.get("TemplatedPolicies") or [],
        "templated policy is missing the template name field on this token",
        "no such ACL templated policy with Name {quoted}",
        "validation error for templated policy {quoted}: {error}",
    )
    token = Token(
        accessor,
        secret,
        body.get("Description", ""),
        policies=policies,
        roles=roles,
        service_identities=services,
        node_identities=nodes,
        templated_policies=templated,
        local=local,
        auth_method=auth_method,
        expiration_time=expiration,
        create_time=create_time,
    )
    token.set_hash()
    store.put_token(token)
    return store.token_json(token)


async def _token_clone(ctx: Ctx, store: ACLStore, accessor: str) -> Reply:
    """``ACLTokenClone``: a new token with the same links; ``Description`` may change."""
    body = await decode_write(ctx, structs.ACL_TOKEN, "Token decoding failed: ")
    require_acl(ctx, write=True)
    source = store.token(accessor)
    if source is None or source.expired():
        raise RPCError("ACL not found")
    if source.auth_method:
        raise RPCError("Cannot clone a token created from an auth method")
    clone = {
        "Description": body.get("Description") or source.description,
        "Policies": [{"ID": p} for p in source.policies],
        "Roles": [{"ID": r} for r in source.roles],
        "ServiceIdentities": source.service_identities,
        "NodeIdentities": source.node_identities,
        "TemplatedPolicies": source.templated_policies,
        "Local": source.local,
    }
    if source.expiration_time is not None:
        clone["ExpirationTime"] = source.expiration_time.isoformat()
    return json_reply(_token_set(ctx, store, clone, create=True))


def _token_delete(ctx: Ctx, store: ACLStore, accessor: str) -> Reply:
    """``ACLTokenDelete``: true, also for a token that does not exist."""
    require_acl_to_delete(ctx, "token")
    if not is_uuid(accessor):
        raise RPCError("Accessor ID is missing or an invalid UUID")
    if accessor == ANONYMOUS_ID:
        raise RPCError("Delete operation not permitted on the anonymous token")
    token = store.token(accessor)
    if token is not None:
        if ctx.token == token.secret_id:
            raise RPCError("Deletion of the request's authorization token is not permitted")
        store.delete_token(token.accessor_id)
    return json_reply(True)
