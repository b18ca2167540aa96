"""ACL binding rules: ``/v1/acl/binding-rule`` (Consul docs: *ACL Binding Rules*)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, TypeVar

from ... import _decode as d
from ..._endpoint import Group, endpoint, non_empty, str_map, string
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from ._types import ACLBindingRule

M = TypeVar("M")

__all__ = ["BindingRule"]


def _rule_body(
    auth_method: str,
    bind_type: str,
    bind_name: str,
    description: str,
    selector: str,
    bind_vars: Mapping[str, str] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AuthMethod": non_empty(auth_method, "auth_method"),
        "BindType": non_empty(bind_type, "bind_type"),
        "BindName": non_empty(bind_name, "bind_name"),
    }
    if string(description, "description"):
        body["Description"] = description
    if string(selector, "selector"):
        body["Selector"] = selector
    variables = str_map(bind_vars, "bind_vars")
    if variables is not None:
        body["BindVars"] = variables
    return body


class BindingRule(Group[M]):
    """Create, read, update and delete binding rules: what a login's token is linked to.

    At login, each rule of the auth method whose ``selector`` matches the
    verified identity binds the new token to something named by
    ``bind_name`` (which may use ``${value.x}`` from the identity):
    ``bind_type`` ``"service"`` or ``"node"`` (an identity), ``"role"`` or
    ``"policy"`` (an existing one of that name), ``"templated-policy"`` (a
    builtin template, with ``bind_vars`` such as ``{"Name":
    "${value.name}"}``). Reading needs ``acl:read``, writing ``acl:write``.
    """

    @endpoint
    def create(
        self,
        auth_method: str,
        bind_type: str,
        bind_name: str,
        token: str | None = None,
        description: str = "",
        selector: str = "",
        bind_vars: Mapping[str, str] | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLBindingRule]:
        """``PUT /v1/acl/binding-rule``: a new binding rule of ``auth_method``."""
        body = _rule_body(auth_method, bind_type, bind_name, description, selector, bind_vars)
        request = self._request(
            "PUT",
            path("acl", "binding-rule"),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def update(
        self,
        binding_rule_id: str,
        auth_method: str,
        bind_type: str,
        bind_name: str,
        token: str | None = None,
        description: str = "",
        selector: str = "",
        bind_vars: Mapping[str, str] | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLBindingRule]:
        """``PUT /v1/acl/binding-rule/:id``: replace the rule (its auth method cannot change)."""
        body = _rule_body(auth_method, bind_type, bind_name, description, selector, bind_vars)
        body["ID"] = path_segment(binding_rule_id, "binding_rule_id")
        request = self._request(
            "PUT",
            path("acl", "binding-rule", binding_rule_id),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def read(
        self,
        binding_rule_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLBindingRule | None]:
        """``GET /v1/acl/binding-rule/:id``: the rule, or None if there is none."""
        request = self._request(
            "GET",
            path("acl", "binding-rule", path_segment(binding_rule_id, "binding_rule_id")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def delete(
        self,
        binding_rule_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/acl/binding-rule/:id``: True (also if there was none)."""
        request = self._request(
            "DELETE",
            path("acl", "binding-rule", path_segment(binding_rule_id, "binding_rule_id")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    # Defined last: later annotations in the class body would read ``list``
    # as this method.
    @endpoint
    def list(
        self,
        auth_method: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[ACLBindingRule]]:
        """``GET /v1/acl/binding-rules``: every rule, or those of ``auth_method``."""
        params = [("authmethod", auth_method)] if auth_method else []
        request = self._request(
            "GET", path("acl", "binding-rules"), params, token=token, ns=ns, partition=partition
        )
        return Call(request, d.json)
