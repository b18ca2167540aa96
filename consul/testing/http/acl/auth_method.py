"""``/v1/acl/auth-method``: ACL auth methods.

Request handling from ``agent/acl_endpoint.go``, the RPCs
(``AuthMethodSet``, ``AuthMethodRead``, ``AuthMethodDelete``,
``AuthMethodList`` and their checks) from ``agent/consul/acl_endpoint.go``;
the types and their configs are :mod:`consul.testing.state.acl.authmethods`.
"""

from __future__ import annotations

from typing import Any

from ...state import structs
from ...state.acl.authmethods import TYPES, AuthMethod, new_validator
from ...state.acl.objects import valid_policy_name
from ...state.acl.store import ACLStore
from ...state.errors import RPCError
from ...state.golang import format_duration, parse_duration_ns
from ..context import Ctx
from ..errors import BadRequest
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import acl_store, decode_write, read_list, read_one, require_acl, require_acl_to_delete
from .token import MAX_EXPIRATION_TTL, MIN_EXPIRATION_TTL

routes = Routes()


@routes("/v1/acl/auth-methods", "GET")
async def auth_method_list(ctx: Ctx) -> Reply:
    """``ACLAuthMethodList``: every auth method without its ``Config``, by name."""
    store = acl_store(ctx)

    def listing() -> tuple[int, list[dict[str, Any]]]:
        methods = sorted(store.auth_methods.values(), key=lambda m: m.name)
        return store.auth_methods_index, [m.stub() for m in methods]

    return read_list(ctx, listing)


@routes("/v1/acl/auth-method", "PUT")
async def auth_method_create(ctx: Ctx) -> Reply:
    """``ACLAuthMethodCreate``."""
    store = acl_store(ctx)
    return await _auth_method_write(ctx, store, "")


@routes("/v1/acl/auth-method/", "GET", "PUT", "DELETE")
async def auth_method_crud(ctx: Ctx) -> Reply:
    """``ACLAuthMethodCRUD``."""
    store = acl_store(ctx)
    name = ctx.tail
    if not name and ctx.method != "PUT":
        raise BadRequest("Missing auth method name")
    if ctx.method == "GET":
        return read_one(
            ctx,
            lambda: store.auth_methods_index,
            lambda: store.auth_methods.get(name),
            "auth method",
            lambda method: json_reply(method.to_json()),
        )
    if ctx.method == "PUT":
        return await _auth_method_write(ctx, store, name)
    require_acl_to_delete(ctx, "auth method")
    store.delete_auth_method(name)
    return json_reply(True)


def _max_token_ttl(value: Any) -> int:
    """``ACLAuthMethod.UnmarshalJSON``'s ``MaxTokenTTL``: nanoseconds (others are ignored)."""
    if isinstance(value, str):
        try:
            return parse_duration_ns(value)
        except ValueError as exc:
            raise BadRequest(f"AuthMethod decoding failed: {exc}") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return 0


async def _auth_method_write(ctx: Ctx, store: ACLStore, url_name: str) -> Reply:
    """``ACLAuthMethodWrite`` and ``AuthMethodSet``, Consul's checks in its order."""
    body = await decode_write(ctx, structs.ACL_AUTH_METHOD, "AuthMethod decoding failed: ")
    max_ttl = _max_token_ttl(body.get("MaxTokenTTL"))
    name = body.get("Name", "")
    if url_name:
        if name and name != url_name:
            raise BadRequest("AuthMethod Name in URL and payload do not match")
        name = url_name
    require_acl(ctx, write=True)
    if not name:
        raise RPCError("Invalid Auth Method: no Name is set")
    if not valid_policy_name(name):
        raise RPCError(
            "Invalid Auth Method: invalid Name. "
            "Only alphanumeric characters, '-' and '_' are allowed"
        )
    method_type = body.get("Type", "")
    existing = store.auth_methods.get(name)
    if existing is not None:
        if not method_type:
            method_type = existing.type
        elif method_type != existing.type:
            raise RPCError("the Type field of an Auth Method is immutable")
    if method_type not in TYPES:
        raise RPCError(f"Invalid Auth Method: Type should be one of: [{' '.join(TYPES)}]")
    if max_ttl:
        shown = format_duration(max_ttl)
        longest = int(MAX_EXPIRATION_TTL.total_seconds() * 1e9)
        shortest = int(MIN_EXPIRATION_TTL.total_seconds() * 1e9)
        if max_ttl > longest:
            raise RPCError(f"MaxTokenTTL {shown} cannot be more than {format_duration(longest)}")
        if max_ttl < shortest:
            raise RPCError(f"MaxTokenTTL {shown} cannot be less than {format_duration(shortest)}")
    locality = body.get("TokenLocality", "")
    if locality not in ("", "local", "global"):
        raise RPCError("Invalid Auth Method: TokenLocality should be one of 'local' or 'global'")
    method = AuthMethod(
        name,
        method_type,
        body.get("DisplayName", ""),
        body.get("Description", ""),
        max_ttl,
        locality,
        body.get("Config"),
    )
    try:
        new_validator(method)
    except ValueError as exc:
        raise RPCError(f"Invalid Auth Method: {exc}") from None
    store.put_auth_method(method)
    return json_reply(method.to_json())
