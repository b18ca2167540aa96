"""``/v1/acl/binding-rule``: ACL binding rules.

Request handling from ``agent/acl_endpoint.go``, the RPCs
(``BindingRuleSet``, ``BindingRuleRead``, ``BindingRuleDelete``,
``BindingRuleList`` and their checks) from ``agent/consul/acl_endpoint.go``;
bind names and selectors are checked as ``agent/consul/auth/binder.go``
does (:mod:`consul.testing.state.acl.bindings`).
"""

from __future__ import annotations

import uuid
from typing import Any

from ...state import structs
from ...state.acl.authmethods import new_validator
from ...state.acl.bindings import BindingRule, bind_error, selector_error
from ...state.acl.objects import is_uuid
from ...state.acl.store import ACLStore
from ...state.errors import RPCError
from ...state.golang import quote
from ..context import Ctx
from ..errors import BadRequest
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import acl_store, decode_write, read_list, read_one, require_acl, require_acl_to_delete

routes = Routes()


@routes("/v1/acl/binding-rules", "GET")
async def binding_rule_list(ctx: Ctx) -> Reply:
    """``ACLBindingRuleList``: every rule (by ID), or those of ``?authmethod``."""
    store = acl_store(ctx)
    method = ctx.param("authmethod") or ""

    def listing() -> tuple[int, list[dict[str, Any]]]:
        rules = sorted(store.binding_rules.values(), key=lambda r: r.id)
        found = [r.to_json() for r in rules if not method or r.auth_method == method]
        return store.binding_rules_index, found

    return read_list(ctx, listing)


@routes("/v1/acl/binding-rule", "PUT")
async def binding_rule_create(ctx: Ctx) -> Reply:
    """``ACLBindingRuleCreate``."""
    store = acl_store(ctx)
    return await _binding_rule_write(ctx, store, "")


@routes("/v1/acl/binding-rule/", "GET", "PUT", "DELETE")
async def binding_rule_crud(ctx: Ctx) -> Reply:
    """``ACLBindingRuleCRUD``."""
    store = acl_store(ctx)
    rule_id = ctx.tail
    if not rule_id and ctx.method != "PUT":
        raise BadRequest("Missing binding rule ID")
    if ctx.method == "GET":
        return read_one(
            ctx,
            lambda: store.binding_rules_index,
            lambda: store.binding_rule(rule_id),
            "binding rule",
            lambda rule: json_reply(rule.to_json()),
        )
    if ctx.method == "PUT":
        return await _binding_rule_write(ctx, store, rule_id)
    require_acl_to_delete(ctx, "binding rule")
    existing = store.binding_rule(rule_id)
    if existing is not None:
        store.delete_binding_rule(existing.id)
    return json_reply(True)


async def _binding_rule_write(ctx: Ctx, store: ACLStore, url_id: str) -> Reply:
    """``ACLBindingRuleWrite`` and ``BindingRuleSet``, Consul's checks in its order."""
    body = await decode_write(ctx, structs.ACL_BINDING_RULE, "BindingRule decoding failed: ")
    rule_id = body.get("ID", "")
    if rule_id and rule_id != url_id:
        raise BadRequest("BindingRule ID in URL and payload do not match")
    rule_id = rule_id or url_id
    require_acl(ctx, write=True)
    method_name = body.get("AuthMethod", "")
    if not rule_id:
        rule_id = str(uuid.uuid4())
    else:
        if not is_uuid(rule_id):
            raise RPCError("Binding Rule ID invalid UUID")
        existing = store.binding_rules.get(rule_id)
        if existing is None:
            raise RPCError(f"cannot find binding rule {rule_id}")
        if not method_name:
            method_name = existing.auth_method
        elif method_name != existing.auth_method:
            raise RPCError("the AuthMethod field of an Binding Rule is immutable")
    if not method_name:
        raise RPCError("Invalid Binding Rule: no AuthMethod is set")
    method = store.auth_methods.get(method_name)
    if method is None:
        raise RPCError(f"cannot find auth method with name {quote(method_name)}")
    blank = new_validator(method).new_identity()
    selector = body.get("Selector", "")
    if selector and (problem := selector_error(selector, blank)) is not None:
        raise RPCError(f"invalid Binding Rule: Selector is invalid: {problem}")
    bind_type, bind_name = body.get("BindType", ""), body.get("BindName", "")
    if not bind_type:
        raise RPCError("Invalid Binding Rule: no BindType is set")
    if not bind_name:
        raise RPCError("Invalid Binding Rule: no BindName is set")
    bind_vars = body.get("BindVars")
    if bind_type != "templated-policy" and bind_vars is not None:
        raise RPCError(
            "invalid Binding Rule: BindVars cannot be set when bind type is not templated-policy."
        )
    problem = bind_error(bind_type, bind_name, bind_vars, list(blank.projected))
    if problem is not None:
        raise RPCError(f"Invalid Binding Rule: invalid BindName or BindVars: {problem}")
    rule = BindingRule(
        rule_id,
        method_name,
        body.get("Description", ""),
        selector,
        bind_type,
        bind_name,
        bind_vars,
    )
    store.put_binding_rule(rule)
    return json_reply(rule.to_json())
