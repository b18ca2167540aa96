"""``/v1/acl/role``: ACL roles.

Request handling from ``agent/acl_endpoint.go``, the RPCs (``RoleSet``,
``RoleRead``, ``RoleDelete``, ``RoleList`` and their checks) from
``agent/consul/acl_endpoint.go``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...state import structs
from ...state.acl.objects import Role, is_uuid, valid_role_name
from ...state.acl.store import ACLStore
from ...state.acl.templated import checked as checked_templated
from ...state.errors import RPCError
from ..context import Ctx
from ..errors import HTTPError
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import (
    acl_store,
    decode_write,
    identities,
    links,
    new_id,
    read_list,
    read_one,
    require_acl,
    require_acl_to_delete,
)

routes = Routes()


@routes("/v1/acl/roles", "GET")
async def role_list(ctx: Ctx) -> Reply:
    """``ACLRoleList``: every role (in full), ``?policy`` narrowing."""
    store = acl_store(ctx)
    policy = ctx.param("policy") or ""

    def listing() -> tuple[int, list[dict[str, Any]]]:
        roles = sorted(store.roles.values(), key=lambda r: r.id)
        found = [r for r in roles if not policy or policy in r.policies]
        return store.roles_index, [store.role_json(r) for r in found]

    return read_list(ctx, listing)


@routes("/v1/acl/role", "PUT")
async def role_create(ctx: Ctx) -> Reply:
    """``ACLRoleCreate``."""
    store = acl_store(ctx)
    return await _role_write(ctx, store, "")


@routes("/v1/acl/role/name/", "GET")
async def role_read_by_name(ctx: Ctx) -> Reply:
    """``ACLRoleReadByName``."""
    store = acl_store(ctx)
    if not ctx.tail:
        raise HTTPError(400, "Missing role Name")
    return _role_read(ctx, store, lambda: store.role_by_name(ctx.tail))


@routes("/v1/acl/role/", "GET", "PUT", "DELETE")
async def role_crud(ctx: Ctx) -> Reply:
    """``ACLRoleCRUD``."""
    store = acl_store(ctx)
    role_id = ctx.tail
    if not role_id and ctx.method != "PUT":
        raise HTTPError(400, "Missing role ID")
    if ctx.method == "GET":
        return _role_read(ctx, store, lambda: store.role(role_id))
    if ctx.method == "PUT":
        return await _role_write(ctx, store, role_id)
    require_acl_to_delete(ctx, "role")
    role = store.role(role_id)
    if role is not None:
        store.delete_role(role.id)
    return json_reply(True)


def _role_read(ctx: Ctx, store: ACLStore, find: Callable[[], Role | None]) -> Reply:
    return read_one(
        ctx, lambda: store.roles_index, find, "role", lambda role: json_reply(store.role_json(role))
    )


async def _role_write(ctx: Ctx, store: ACLStore, role_id: str) -> Reply:
    """``ACLRoleWrite`` and ``RoleSet``."""
    body = await decode_write(ctx, structs.ACL_ROLE, "Role decoding failed: ")
    if body.get("ID") and body["ID"] != role_id:
        raise HTTPError(400, "Role ID in URL and payload do not match")
    require_acl(ctx, write=True)
    name = body.get("Name", "")
    if not name:
        raise RPCError("Invalid Role: no Name is set")
    if not valid_role_name(name):
        raise RPCError(
            "Invalid Role: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"
        )
    if not role_id:
        role_id = new_id(store.roles.__contains__)
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
    policies = links(body.get("Policies") or [], "policy", store.policy_by_name, None)
    services, nodes = identities(body, "role")
    templated = checked_templated(
        body.get("TemplatedPolicies") or [],
        "templated policy is missing the template name field on this role",
        "templated policy with an invalid templated name: {name} for this role",
        "encountered role with invalid templated policy: {error}",
    )
    for policy_id in policies:
        # The state store refuses links to policies that do not exist.
        if policy_id not in store.policies:
            raise RPCError(
                f"Failed to apply role upsert request: No such policy with ID: {policy_id}"
            )
    role = Role(role_id, name, body.get("Description", ""), policies, services, nodes, templated)
    role.set_hash()
    store.put_role(role)
    return json_reply(store.role_json(role))
