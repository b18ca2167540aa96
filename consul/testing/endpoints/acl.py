"""``/v1/acl``: bootstrap, tokens, policies and roles.

Request handling from ``agent/acl_endpoint.go`` (the HTTP layer: 401 while
ACLs are off, decoding, 404s, URL/body checks) and ``agent/consul/acl_endpoint.go``
(the RPCs: ``acl:read``/``acl:write``, validation and its messages). The
tables live in :class:`consul.testing._acl.ACLStore`.

The legacy endpoints (``/v1/acl/create``, ``/info``, ...) were removed in
Consul 1.11 and are not registered: they answer as unknown paths.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Container
from typing import Any, TypeVar

from .. import _structs as s
from .._acl import (
    ANONYMOUS_ID,
    GLOBAL_MANAGEMENT_ID,
    RESERVED_PREFIX,
    ACLStore,
    Authorizer,
    Policy,
    Role,
    RulesError,
    Token,
    is_uuid,
    parse_rules,
)
from .._server import Ctx, HTTPError, Reply, Routes, RPCError, json_reply
from .._structs import format_duration

routes = Routes()

T = TypeVar("T")

_LINK = s.Struct("structs.ACLTokenPolicyLink", {"ID": s.STRING, "Name": s.STRING})
_SERVICE_IDENTITY = s.Struct(
    "structs.ACLServiceIdentity", {"ServiceName": s.STRING, "Datacenters": s.ListOf(s.STRING)}
)
_NODE_IDENTITY = s.Struct("structs.ACLNodeIdentity", {"NodeName": s.STRING, "Datacenter": s.STRING})
_TOKEN = s.Struct(
    "structs.ACLToken",
    {
        "AccessorID": s.STRING,
        "SecretID": s.STRING,
        "Description": s.STRING,
        "Policies": s.ListOf(_LINK),
        "Roles": s.ListOf(_LINK),
        "ServiceIdentities": s.ListOf(_SERVICE_IDENTITY),
        "NodeIdentities": s.ListOf(_NODE_IDENTITY),
        "Local": s.BOOL,
        "AuthMethod": s.STRING,
        "ExpirationTime": s.STRING,
        "ExpirationTTL": s.DURATION,
        "CreateTime": s.STRING,
        "Hash": s.STRING,
        "CreateIndex": s.UINT,
        "ModifyIndex": s.UINT,
    },
)
_POLICY = s.Struct(
    "structs.ACLPolicy",
    {
        "ID": s.STRING,
        "Name": s.STRING,
        "Description": s.STRING,
        "Rules": s.STRING,
        "Datacenters": s.ListOf(s.STRING),
        "Hash": s.STRING,
        "CreateIndex": s.UINT,
        "ModifyIndex": s.UINT,
    },
)
_ROLE = s.Struct(
    "structs.ACLRole",
    {
        "ID": s.STRING,
        "Name": s.STRING,
        "Description": s.STRING,
        "Policies": s.ListOf(_LINK),
        "ServiceIdentities": s.ListOf(_SERVICE_IDENTITY),
        "NodeIdentities": s.ListOf(_NODE_IDENTITY),
        "Hash": s.STRING,
        "CreateIndex": s.UINT,
        "ModifyIndex": s.UINT,
    },
)
_BOOTSTRAP = s.Struct("api.BootstrapRequest", {"BootstrapSecret": s.STRING})

# agent/consul/acl_endpoint.go
_VALID_POLICY_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,128}$")
_VALID_ROLE_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")
_VALID_IDENTITY_NAME = re.compile(r"^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$")

#: ``ACLTokenMinExpirationTTL`` / ``ACLTokenMaxExpirationTTL`` of a default agent.
MIN_EXPIRATION_TTL = datetime.timedelta(minutes=1)
MAX_EXPIRATION_TTL = datetime.timedelta(hours=24)


def _store(ctx: Ctx) -> ACLStore:
    """The ACL store, or the 401 every ACL endpoint answers while ACLs are off."""
    store = ctx.agent.acl
    if not store.enabled:
        raise HTTPError(401, "ACL support disabled")
    return store


def _require_acl(ctx: Ctx, write: bool) -> Authorizer:
    """``ACLReadAllowed`` / ``ACLWriteAllowed`` for the request's token."""
    authz = ctx.authz
    if write:
        ctx.require(authz.acl_write(), "acl:write")
    else:
        ctx.require(authz.acl_read(), "acl:read")
    return authz


def _valid_identity_name(name: str) -> bool:
    return 0 < len(name) <= 256 and bool(_VALID_IDENTITY_NAME.match(name))


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


def _identities(
    body: dict[str, Any], owner: str, local: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Validate and dedupe service and node identities (``tokenSetInternal``, ``RoleSet``)."""
    services: dict[str, dict[str, Any]] = {}
    for identity in body.get("ServiceIdentities") or []:
        name = identity.get("ServiceName", "")
        if not name:
            raise RPCError(f"Service identity is missing the service name field on this {owner}")
        datacenters = identity.get("Datacenters") or []
        if local and datacenters:
            raise RPCError(
                f'Service identity "{name}" cannot specify a list of datacenters on a local token'
            )
        if not _valid_identity_name(name):
            raise RPCError(
                f'Service identity "{name}" has an invalid name. '
                "Only alphanumeric characters, '-' and '_' are allowed"
            )
        # dedupeServiceIdentities: one per name, datacenters merged and sorted.
        if name in services:
            merged = set(services[name].get("Datacenters") or []) | set(datacenters)
            services[name]["Datacenters"] = sorted(merged)
        else:
            services[name] = {"ServiceName": name}
            if datacenters:
                services[name]["Datacenters"] = sorted(datacenters)
    nodes: list[dict[str, Any]] = []
    for identity in body.get("NodeIdentities") or []:
        name = identity.get("NodeName", "")
        if not name:
            raise RPCError(f"Node identity is missing the node name field on this {owner}")
        if not identity.get("Datacenter"):
            raise RPCError(f"Node identity is missing the datacenter field on this {owner}")
        if not _valid_identity_name(name):
            raise RPCError(
                "Node identity has an invalid name. "
                "Only alphanumeric characters, '-' and '_' are allowed"
            )
        node = {"NodeName": name, "Datacenter": identity["Datacenter"]}
        if node not in nodes:
            nodes.append(node)
    return list(services.values()), nodes


def _links(
    links: list[dict[str, Any]],
    noun: str,
    by_name: Callable[[str], Policy | Role | None],
    known: Container[str] | None,
) -> list[str]:
    """Links by ID or name resolved to IDs, deduplicated (``tokenSetInternal``, ``RoleSet``).

    A name must exist; an ID only if ``known`` is given (a role's policy
    links are checked later, by the state store).
    """
    ids: list[str] = []
    for link in links:
        link_id = link.get("ID", "")
        if not link_id:
            name = link.get("Name", "")
            found = by_name(name)
            if found is None:
                raise RPCError(f'No such ACL {noun} with name "{name}"')
            link_id = found.id
        elif known is not None and link_id not in known:
            raise RPCError(f'No such ACL {noun} with ID "{link_id}"')
        if link_id not in ids:
            ids.append(link_id)
    return ids


def _new_id(taken: Callable[[str], bool]) -> str:
    """A fresh UUID outside the reserved range that ``taken`` does not claim."""
    while True:
        value = str(uuid.uuid4())
        if not value.startswith(RESERVED_PREFIX) and not taken(value):
            return value


def _new_uuid(store: ACLStore) -> str:
    """A fresh token UUID, unused as accessor or secret."""
    return _new_id(lambda value: value in store.tokens or store.token_by_secret(value) is not None)


def _require_acl_to_delete(ctx: Ctx, noun: str) -> None:
    """``ACLWriteAllowed`` before a delete: an unknown token is a 404 naming ``noun``."""
    try:
        _require_acl(ctx, write=True)
    except RPCError as exc:
        if "ACL not found" in str(exc):
            raise HTTPError(404, f"Cannot find {noun} to delete") from None
        raise


async def _read_one(
    ctx: Ctx, index: Callable[[], int], find: Callable[[], T | None], noun: str
) -> T:
    """A blocking read of one ACL object (``acl:read``); 404 if there is none.

    ``index`` is its table's index and ``find`` the object (None if absent).
    """
    ctx.check_consistency()
    _require_acl(ctx, write=False)
    index_now, found = await ctx.blocking(
        lambda: (index(), find()), not_found=lambda item: item is None
    )
    ctx.set_meta(index_now)
    if found is None:
        raise HTTPError(404, f"Requested {noun} does not exist: ACL not found")
    return found


# -- bootstrap -------------------------------------------------------------------


@routes("/v1/acl/bootstrap", "PUT")
async def bootstrap(ctx: Ctx) -> Reply:
    """``ACLBootstrap``: the first management token, once."""
    store = _store(ctx)
    secret = ""
    if ctx.request.content_length:
        body = await ctx.decode(_BOOTSTRAP, "Request decoding failed: ")
        secret = body.get("BootstrapSecret", "")
    if not store.can_bootstrap():
        # The HTTP layer turns ACLBootstrapNotAllowedErr into a permission denial.
        raise RPCError(
            "Permission denied: ACL bootstrap no longer allowed "
            f"(reset index: {store.bootstrap_index})"
        )
    token = Token(
        _new_uuid(store),
        secret or _new_uuid(store),
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
    _store(ctx)
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


# -- tokens ----------------------------------------------------------------------


@routes("/v1/acl/tokens", "GET")
async def token_list(ctx: Ctx) -> Reply:
    """``ACLTokenList``: stubs of the unexpired tokens, ``?policy``/``?role``/... narrowing."""
    store = _store(ctx)
    ctx.check_consistency()
    authz = _require_acl(ctx, write=False)
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

    index, tokens = await ctx.blocking(listing)
    ctx.set_meta(index)
    return json_reply(tokens)


@routes("/v1/acl/token", "PUT")
async def token_create(ctx: Ctx) -> Reply:
    """``ACLTokenCreate``."""
    store = _store(ctx)
    body = await ctx.decode(_TOKEN, "Token decoding failed: ")
    _require_acl(ctx, write=True)
    return json_reply(_token_set(ctx, store, body, create=True))


@routes("/v1/acl/token/self", "GET")
async def token_self(ctx: Ctx) -> Reply:
    """``ACLTokenSelf``: the token of the request's own secret (no privilege needed)."""
    store = _store(ctx)
    ctx.check_consistency()
    secret = ctx.token

    def lookup() -> tuple[int, Token | None]:
        token = store.token_by_secret(secret) if secret else None
        if token is not None and token.expired():
            token = None
        return store.tokens_index, token

    index, token = await ctx.blocking(lookup, not_found=lambda t: t is None)
    ctx.set_meta(index)
    if token is None:
        raise HTTPError(404, "Supplied token does not exist")
    return json_reply(store.token_json(token))


@routes("/v1/acl/token/", "GET", "PUT", "DELETE")
async def token_crud(ctx: Ctx) -> Reply:
    """``ACLTokenCRUD``: read, update, delete, and ``/clone``."""
    store = _store(ctx)
    accessor = ctx.tail
    if ctx.method == "PUT" and accessor.endswith("/clone"):
        return await _token_clone(ctx, store, accessor.removesuffix("/clone"))
    if not accessor and ctx.method != "PUT":
        raise HTTPError(400, "Missing token AccessorID")
    if ctx.method == "GET":
        return await _token_read(ctx, store, accessor)
    if ctx.method == "PUT":
        body = await ctx.decode(_TOKEN, "Token decoding failed: ")
        body.setdefault("AccessorID", accessor)
        if body["AccessorID"] != accessor:
            raise HTTPError(400, "Token Accessor ID in URL and payload do not match")
        _require_acl(ctx, write=True)
        return json_reply(_token_set(ctx, store, body, create=False))
    return _token_delete(ctx, store, accessor)


async def _token_read(ctx: Ctx, store: ACLStore, accessor: str) -> Reply:
    def unexpired() -> Token | None:
        token = store.tokens.get(accessor)
        return None if token is None or token.expired() else token

    token = await _read_one(ctx, lambda: store.tokens_index, unexpired, "token")
    out = store.token_json(token, redact=not ctx.authz.acl_write())
    if ctx.flag("expanded"):
        out = _expanded(store, token, out)
    return json_reply(out)


def _expanded(store: ACLStore, token: Token, out: dict[str, Any]) -> dict[str, Any]:
    """``ACLTokenExpanded``: the token, then what it resolves to (``ExpandedTokenInfo``)."""
    roles = [store.roles[r] for r in token.roles if r in store.roles]
    policy_ids = list(dict.fromkeys(token.policies + [p for r in roles for p in r.policies]))
    config = store.agent.config
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
            accessor = _new_uuid(store)
        elif not is_uuid(accessor):
            raise RPCError("Invalid Token: AccessorID is not a valid UUID")
        elif accessor_match is not None or store.token_by_secret(accessor) is not None:
            raise RPCError("Invalid Token: AccessorID is already in use")
        elif accessor.startswith(RESERVED_PREFIX):
            raise RPCError(f'Invalid Token: UUIDs with the prefix "{RESERVED_PREFIX}" are reserved')
        if not secret:
            secret = _new_uuid(store)
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
    policies = _links(body.get("Policies") or [], "policy", store.policy_by_name, store.policies)
    roles = _links(body.get("Roles") or [], "role", store.role_by_name, store.roles)
    services, nodes = _identities(body, "token", local)
    token = Token(
        accessor,
        secret,
        body.get("Description", ""),
        policies=policies,
        roles=roles,
        service_identities=services,
        node_identities=nodes,
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
    body = await ctx.decode(_TOKEN, "Token decoding failed: ")
    _require_acl(ctx, write=True)
    source = store.tokens.get(accessor)
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
        "Local": source.local,
    }
    if source.expiration_time is not None:
        clone["ExpirationTime"] = source.expiration_time.isoformat()
    return json_reply(_token_set(ctx, store, clone, create=True))


def _token_delete(ctx: Ctx, store: ACLStore, accessor: str) -> Reply:
    """``ACLTokenDelete``: true, also for a token that does not exist."""
    _require_acl_to_delete(ctx, "token")
    if not is_uuid(accessor):
        raise RPCError("Accessor ID is missing or an invalid UUID")
    if accessor == ANONYMOUS_ID:
        raise RPCError("Delete operation not permitted on the anonymous token")
    token = store.tokens.get(accessor)
    if token is not None:
        if ctx.token == token.secret_id:
            raise RPCError("Deletion of the request's authorization token is not permitted")
        store.delete_token(accessor)
    return json_reply(True)


# -- policies --------------------------------------------------------------------


@routes("/v1/acl/policies", "GET")
async def policy_list(ctx: Ctx) -> Reply:
    """``ACLPolicyList``: stubs of every policy (no rules)."""
    store = _store(ctx)
    ctx.check_consistency()
    _require_acl(ctx, write=False)

    def listing() -> tuple[int, list[dict[str, Any]]]:
        policies = sorted(store.policies.values(), key=lambda p: p.id)
        return store.policies_index, [p.stub() for p in policies]

    index, policies = await ctx.blocking(listing)
    ctx.set_meta(index)
    return json_reply(policies)


@routes("/v1/acl/policy", "PUT")
async def policy_create(ctx: Ctx) -> Reply:
    """``ACLPolicyCreate``."""
    store = _store(ctx)
    body = await ctx.decode(_POLICY, "Policy decoding failed: ")
    if body.get("ID"):
        raise HTTPError(400, "Cannot specify the ID when creating a new policy")
    _require_acl(ctx, write=True)
    return json_reply(_policy_set(store, body))


@routes("/v1/acl/policy/name/", "GET")
async def policy_read_by_name(ctx: Ctx) -> Reply:
    """``ACLPolicyReadByName``."""
    store = _store(ctx)
    if not ctx.tail:
        raise HTTPError(400, "Missing policy Name")
    return await _policy_read(ctx, store, lambda: store.policy_by_name(ctx.tail))


@routes("/v1/acl/policy/", "GET", "PUT", "DELETE")
async def policy_crud(ctx: Ctx) -> Reply:
    """``ACLPolicyCRUD``."""
    store = _store(ctx)
    policy_id = ctx.tail
    if not policy_id and ctx.method != "PUT":
        raise HTTPError(400, "Missing policy ID")
    if ctx.method == "GET":
        return await _policy_read(ctx, store, lambda: store.policies.get(policy_id))
    if ctx.method == "PUT":
        body = await ctx.decode(_POLICY, "Policy decoding failed: ")
        body.setdefault("ID", policy_id)
        if body["ID"] != policy_id:
            raise HTTPError(400, "Policy ID in URL and payload do not match")
        _require_acl(ctx, write=True)
        return json_reply(_policy_set(store, body))
    _require_acl_to_delete(ctx, "policy")
    policy = store.policies.get(policy_id)
    if policy is not None:
        if policy.id == GLOBAL_MANAGEMENT_ID:
            raise RPCError("Delete operation not permitted on the builtin global-management policy")
        store.delete_policy(policy_id)
    return json_reply(True)


async def _policy_read(ctx: Ctx, store: ACLStore, find: Callable[[], Policy | None]) -> Reply:
    policy = await _read_one(ctx, lambda: store.policies_index, find, "policy")
    return json_reply(policy.to_json())


def _policy_set(store: ACLStore, body: dict[str, Any]) -> dict[str, Any]:
    """``PolicySet``: validate the name, the ID and the rules, then write."""
    name = body.get("Name", "")
    if not name:
        raise RPCError("Invalid Policy: no Name is set")
    if not _VALID_POLICY_NAME.match(name):
        raise RPCError(
            "Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"
        )
    policy_id = body.get("ID", "")
    name_match = store.policy_by_name(name)
    rules = body.get("Rules", "")
    datacenters = body.get("Datacenters")
    if not policy_id:
        policy_id = _new_id(store.policies.__contains__)
        if name_match is not None:
            raise RPCError(f'Invalid Policy: A Policy with Name "{name}" already exists')
    else:
        if not is_uuid(policy_id):
            raise RPCError("Policy ID invalid UUID")
        id_match = store.policies.get(policy_id)
        if id_match is None:
            raise RPCError(f"cannot find policy {policy_id}")
        if id_match.name != name and name_match is not None:
            raise RPCError(f'Invalid Policy: A policy with name "{name}" already exists')
        if policy_id == GLOBAL_MANAGEMENT_ID:
            if datacenters is not None:
                raise RPCError(
                    "Changing the Datacenters of the builtin global-management policy "
                    "is not permitted"
                )
            if rules != id_match.rules:
                raise RPCError(
                    "Changing the Rules for the builtin global-management policy is not permitted"
                )
    try:
        parsed = parse_rules(rules)
    except RulesError as exc:
        raise RPCError(str(exc)) from None
    policy = Policy(
        policy_id,
        name,
        body.get("Description", ""),
        rules,
        datacenters or None,
        parsed=parsed,
    )
    policy.set_hash()
    store.put_policy(policy)
    return policy.to_json()


# -- roles -----------------------------------------------------------------------


@routes("/v1/acl/roles", "GET")
async def role_list(ctx: Ctx) -> Reply:
    """``ACLRoleList``: every role (in full), ``?policy`` narrowing."""
    store = _store(ctx)
    ctx.check_consistency()
    _require_acl(ctx, write=False)
    policy = ctx.param("policy") or ""

    def listing() -> tuple[int, list[dict[str, Any]]]:
        roles = sorted(store.roles.values(), key=lambda r: r.id)
        found = [r for r in roles if not policy or policy in r.policies]
        return store.roles_index, [store.role_json(r) for r in found]

    index, roles = await ctx.blocking(listing)
    ctx.set_meta(index)
    return json_reply(roles)


@routes("/v1/acl/role", "PUT")
async def role_create(ctx: Ctx) -> Reply:
    """``ACLRoleCreate``."""
    store = _store(ctx)
    return await _role_write(ctx, store, "")


@routes("/v1/acl/role/name/", "GET")
async def role_read_by_name(ctx: Ctx) -> Reply:
    """``ACLRoleReadByName``."""
    store = _store(ctx)
    if not ctx.tail:
        raise HTTPError(400, "Missing role Name")
    return await _role_read(ctx, store, lambda: store.role_by_name(ctx.tail))


@routes("/v1/acl/role/", "GET", "PUT", "DELETE")
async def role_crud(ctx: Ctx) -> Reply:
    """``ACLRoleCRUD``."""
    store = _store(ctx)
    role_id = ctx.tail
    if not role_id and ctx.method != "PUT":
        raise HTTPError(400, "Missing role ID")
    if ctx.method == "GET":
        return await _role_read(ctx, store, lambda: store.roles.get(role_id))
    if ctx.method == "PUT":
        return await _role_write(ctx, store, role_id)
    _require_acl_to_delete(ctx, "role")
    if role_id in store.roles:
        store.delete_role(role_id)
    return json_reply(True)


async def _role_read(ctx: Ctx, store: ACLStore, find: Callable[[], Role | None]) -> Reply:
    role = await _read_one(ctx, lambda: store.roles_index, find, "role")
    return json_reply(store.role_json(role))


async def _role_write(ctx: Ctx, store: ACLStore, role_id: str) -> Reply:
    """``ACLRoleWrite`` and ``RoleSet``."""
    body = await ctx.decode(_ROLE, "Role decoding failed: ")
    if body.get("ID") and body["ID"] != role_id:
        raise HTTPError(400, "Role ID in URL and payload do not match")
    _require_acl(ctx, write=True)
    name = body.get("Name", "")
    if not name:
        raise RPCError("Invalid Role: no Name is set")
    if not _VALID_ROLE_NAME.match(name):
        raise RPCError(
            "Invalid Role: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"
        )
    if not role_id:
        role_id = _new_id(store.roles.__contains__)
        if store.role_by_name(name) is not None:
            raise RPCError(f'Invalid Role: A Role with Name "{name}" already exists')
    else:
        if not is_uuid(role_id):
            raise RPCError("Role ID invalid UUID")
        existing = store.roles.get(role_id)
        if existing is None:
            raise RPCError(f"cannot find role {role_id}")
        if existing.name != name and store.role_by_name(name) is not None:
            raise RPCError(f'Invalid Role: A role with name "{name}" already exists')
    policies = _links(body.get("Policies") or [], "policy", store.policy_by_name, None)
    services, nodes = _identities(body, "role")
    for policy_id in policies:
        # The state store refuses links to policies that do not exist.
        if policy_id not in store.policies:
            raise RPCError(
                f"Failed to apply role upsert request: No such policy with ID: {policy_id}"
            )
    role = Role(role_id, name, body.get("Description", ""), policies, services, nodes)
    role.set_hash()
    store.put_role(role)
    return json_reply(store.role_json(role))
