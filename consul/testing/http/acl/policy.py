"""``/v1/acl/policy``: ACL policies.

Request handling from ``agent/acl_endpoint.go``, the RPCs (``PolicySet``,
``PolicyRead``, ``PolicyDelete``, ``PolicyList`` and their checks) from
``agent/consul/acl_endpoint.go``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...state import structs
from ...state.acl.objects import GLOBAL_MANAGEMENT_ID, Policy, is_uuid, valid_policy_name
from ...state.acl.rules import RulesError, parse_rules
from ...state.acl.store import ACLStore
from ...state.errors import RPCError
from ..context import Ctx
from ..errors import HTTPError
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import (
    acl_store,
    decode_write,
    new_id,
    read_list,
    read_one,
    require_acl,
    require_acl_to_delete,
)

routes = Routes()


@routes("/v1/acl/policies", "GET")
async def policy_list(ctx: Ctx) -> Reply:
    """``ACLPolicyList``: stubs of every policy (no rules)."""
    store = acl_store(ctx)

    def listing() -> tuple[int, list[dict[str, Any]]]:
        policies = sorted(store.policies.values(), key=lambda p: p.id)
        return store.policies_index, [p.stub() for p in policies]

    return read_list(ctx, listing)


@routes("/v1/acl/policy", "PUT")
async def policy_create(ctx: Ctx) -> Reply:
    """``ACLPolicyCreate``."""
    store = acl_store(ctx)
    body = await decode_write(ctx, structs.ACL_POLICY, "Policy decoding failed: ")
    if body.get("ID"):
        raise HTTPError(400, "Cannot specify the ID when creating a new policy")
    require_acl(ctx, write=True)
    return json_reply(_policy_set(store, body))


@routes("/v1/acl/policy/name/", "GET")
async def policy_read_by_name(ctx: Ctx) -> Reply:
    """``ACLPolicyReadByName``."""
    store = acl_store(ctx)
    if not ctx.tail:
        raise HTTPError(400, "Missing policy Name")
    return _policy_read(ctx, store, lambda: store.policy_by_name(ctx.tail))


@routes("/v1/acl/policy/", "GET", "PUT", "DELETE")
async def policy_crud(ctx: Ctx) -> Reply:
    """``ACLPolicyCRUD``."""
    store = acl_store(ctx)
    policy_id = ctx.tail
    if not policy_id and ctx.method != "PUT":
        raise HTTPError(400, "Missing policy ID")
    if ctx.method == "GET":
        return _policy_read(ctx, store, lambda: store.policy(policy_id))
    if ctx.method == "PUT":
        body = await decode_write(ctx, structs.ACL_POLICY, "Policy decoding failed: ")
        body.setdefault("ID", policy_id)
        if body["ID"] != policy_id:
            raise HTTPError(400, "Policy ID in URL and payload do not match")
        require_acl(ctx, write=True)
        return json_reply(_policy_set(store, body))
    require_acl_to_delete(ctx, "policy")
    policy = store.policy(policy_id)
    if policy is not None:
        if policy.id == GLOBAL_MANAGEMENT_ID:
            raise RPCError("Delete operation not permitted on the builtin global-management policy")
        store.delete_policy(policy.id)
    return json_reply(True)


def _policy_read(ctx: Ctx, store: ACLStore, find: Callable[[], Policy | None]) -> Reply:
    def answer(policy: Policy) -> Reply:
        return json_reply(policy.to_json())

    return read_one(ctx, lambda: store.policies_index, find, "policy", answer)


def _policy_set(store: ACLStore, body: dict[str, Any]) -> dict[str, Any]:
    """``PolicySet``: validate the name, the ID and the rules, then write."""
    name = body.get("Name", "")
    if not name:
        raise RPCError("Invalid Policy: no Name is set")
    if not valid_policy_name(name):
        raise RPCError(
            "Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"
        )
    policy_id = body.get("ID", "")
    name_match = store.policy_by_name(name)
    rules = body.get("Rules", "")
    datacenters = body.get("Datacenters")
    if not policy_id:
        policy_id = new_id(store.policies.__contains__)
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
