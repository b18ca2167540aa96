"""Binding rules: what a login's token is linked to, from the identity its auth method verified.

After ``agent/structs/acl.go`` (``ACLBindingRule``) and
``agent/consul/auth/binder.go``: a rule whose ``Selector`` (a go-bexpr
expression over the identity's selectable fields) matches binds the new
token to a service or node identity, a role or policy of that name (if one
exists), or a templated policy, named by ``BindName`` with the identity's
variables interpolated (HIL, values lower-cased).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..filter import FilterError, compile_expression
from ..golang import quote
from ..hil import HILError, interpolate
from ..structs import NodeIdentity, ServiceIdentity, TemplatedPolicy, TemplatedPolicyVariables
from .authmethods import AuthMethod, Identity
from .objects import valid_identity_name, valid_policy_name, valid_role_name
from .templated import TEMPLATES, validation_error

if TYPE_CHECKING:
    from .store import ACLStore

__all__ = ["BIND_TYPES", "BindingRule", "Bindings", "bind", "bind_error", "selector_error"]

#: ``structs.BindingRuleBindType*``.
BIND_TYPES = ("service", "node", "role", "policy", "templated-policy")

#: How each bind type checks a computed name (``acl.IsValid*Name``).
_VALID_NAME: dict[str, Callable[[str], bool]] = {
    "service": valid_identity_name,
    "node": valid_identity_name,
    "role": valid_role_name,
    "policy": valid_policy_name,
}


@dataclasses.dataclass
class BindingRule:
    """``structs.ACLBindingRule``."""

    id: str
    auth_method: str
    description: str = ""
    selector: str = ""
    bind_type: str = ""
    bind_name: str = ""
    bind_vars: TemplatedPolicyVariables | None = None
    create_index: int = 0
    modify_index: int = 0

    def to_json(self) -> dict[str, Any]:
        """The rule as Consul writes it (``BindVars`` only when set)."""
        out: dict[str, Any] = {
            "ID": self.id,
            "Description": self.description,
            "AuthMethod": self.auth_method,
            "Selector": self.selector,
            "BindType": self.bind_type,
            "BindName": self.bind_name,
        }
        if self.bind_vars is not None:
            out["BindVars"] = self.bind_vars
        out["CreateIndex"] = self.create_index
        out["ModifyIndex"] = self.modify_index
        return out


class _BindError(Exception):
    pass


def _bind_name(bind_name: str, variables: dict[str, str], valid: Callable[[str], bool]) -> str:
    """``computeBindName``."""
    try:
        computed = interpolate(bind_name, variables)
    except HILError as exc:
        raise _BindError(f"error interpreting template: {exc}") from None
    if not valid(computed):
        raise _BindError(f"invalid bind name: {quote(computed)}")
    return computed


def _templated(
    bind_name: str, bind_vars: TemplatedPolicyVariables | None, variables: dict[str, str]
) -> TemplatedPolicy:
    """``generateTemplatedPolicies``: the templated policy a rule binds."""
    template = TEMPLATES.get(bind_name)
    if template is None:
        raise _BindError(
            "Bind name for templated-policy bind type does not match existing template "
            f"name: {bind_name}"
        )
    computed: TemplatedPolicyVariables | None = None
    if bind_vars is not None:
        computed = {}
        if bind_vars.get("name"):
            try:
                computed["name"] = interpolate(bind_vars["name"], variables)
            except HILError as exc:
                raise _BindError(f"failed to interpret templated policy variables: {exc}") from None
    error = validation_error(bind_name, computed)
    if error is not None:
        raise _BindError(f"templated policy failed validation: {error}")
    policy: TemplatedPolicy = {"TemplateID": template.template_id, "TemplateName": bind_name}
    if computed is not None:
        policy["TemplateVariables"] = computed
    return policy


def bind_error(
    bind_type: str, bind_name: str, bind_vars: TemplatedPolicyVariables | None, names: list[str]
) -> str | None:
    """``auth.IsValidBindingRule``: why the rule could never bind, with every variable ``names``."""
    fake = dict.fromkeys(names, "fake")
    if bind_type not in BIND_TYPES:
        return f"invalid Binding Rule: unknown BindType {quote(bind_type)}"
    try:
        if bind_type == "templated-policy":
            _templated(bind_name, bind_vars, fake)
        else:
            _bind_name(bind_name, fake, _VALID_NAME[bind_type])
    except _BindError as exc:
        return f"failed to validate bindType {quote(bind_type)}: {exc}"
    return None


def selector_error(selector: str, identity: Identity) -> str | None:
    """Why go-bexpr refuses ``selector`` for the identity's fields, or None."""
    try:
        compile_expression(selector, identity.fields)
    except FilterError as exc:
        return str(exc)
    return None


def _matches(selector: str, identity: Identity) -> bool:
    """``doesSelectorMatch``: an empty selector matches; one that fails does not."""
    if not selector:
        return True
    try:
        return compile_expression(selector, identity.fields)(identity.selectable)
    except FilterError:
        return False


@dataclasses.dataclass
class Bindings:
    """``auth.Bindings``: what a login's token gets."""

    roles: list[str] = dataclasses.field(default_factory=list)
    services: list[ServiceIdentity] = dataclasses.field(default_factory=list)
    nodes: list[NodeIdentity] = dataclasses.field(default_factory=list)
    policies: list[str] = dataclasses.field(default_factory=list)
    templated: list[TemplatedPolicy] = dataclasses.field(default_factory=list)

    def none(self) -> bool:
        """True if the token would be allowed nothing (``Bindings.None``)."""
        return not (self.roles or self.services or self.nodes or self.policies or self.templated)


def bind(store: ACLStore, method: AuthMethod, identity: Identity, datacenter: str) -> Bindings:
    """``Binder.Bind``: apply the method's matching rules (in ID order) to ``identity``.

    A role or policy that does not exist is skipped; a name a rule cannot
    compute fails the login (ValueError with Consul's text).
    """
    bindings = Bindings()
    variables = identity.projected
    rules = sorted(store.binding_rules.values(), key=lambda r: r.id)
    for rule in rules:
        if rule.auth_method != method.name or not _matches(rule.selector, identity):
            continue
        try:
            if rule.bind_type == "templated-policy":
                bindings.templated.append(_templated(rule.bind_name, rule.bind_vars, variables))
                continue
            name = _bind_name(rule.bind_name, variables, _VALID_NAME[rule.bind_type])
        except _BindError as exc:
            raise ValueError(str(exc)) from None
        if rule.bind_type == "service":
            bindings.services.append({"ServiceName": name})
        elif rule.bind_type == "node":
            bindings.nodes.append({"NodeName": name, "Datacenter": datacenter})
        elif rule.bind_type == "policy":
            policy = store.policy_by_name(name)
            if policy is not None:
                bindings.policies.append(policy.id)
        else:
            role = store.role_by_name(name)
            if role is not None:
                bindings.roles.append(role.id)
    return bindings
