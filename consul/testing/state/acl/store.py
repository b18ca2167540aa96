"""The ACL tables of the primary datacenter, and token resolution.

The tokens, policies and roles, what the leader creates at start
(``agent/consul/leader.go`` ``initializeACLs``) and how a request's secret
becomes an :class:`~.authorizer.Authorizer` (``agent/consul/acl.go``).
Endpoints ask a request's authorizer (``ctx.authz``) and refuse with
``ctx.require(...)`` or filter their results.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

from ..config import AgentConfig
from ..errors import RPCError
from ..golang import hex_decode_error
from .authmethods import AuthMethod
from .authorizer import ALLOW_ALL, Authorizer, PolicyAuthorizer, TokenAuthorizer
from .bindings import BindingRule
from .objects import (
    ANONYMOUS_ID,
    ANONYMOUS_SECRET,
    BUILTIN_POLICIES,
    GLOBAL_MANAGEMENT_ID,
    REDACTED,
    Policy,
    Role,
    Token,
    format_time,
    node_identity_rules,
    service_identity_rules,
)
from .rules import PolicyRules, parse_rules
from .templated import parsed_rules

if TYPE_CHECKING:
    from ..datacenter import Datacenter

__all__ = ["ACLStore"]

#: A record of one of the tables (each has Raft indexes).
_Record = Token | Policy | Role | AuthMethod | BindingRule


class ACLStore:
    """The ACL tables (tokens, policies, roles, auth methods, binding rules), token resolution.

    ACL objects live in the primary datacenter: every write takes an index of
    its state (``primary.apply()``) and wakes its blocking queries.
    """

    def __init__(self, config: AgentConfig, primary: Datacenter) -> None:
        self.config = config
        #: The primary datacenter, whose index space ACL writes take.
        self.dc = primary
        self.tokens: dict[str, Token] = {}
        self.policies: dict[str, Policy] = {}
        self.roles: dict[str, Role] = {}
        self.auth_methods: dict[str, AuthMethod] = {}
        self.binding_rules: dict[str, BindingRule] = {}
        self.tokens_index = 0
        self.policies_index = 0
        self.roles_index = 0
        self.auth_methods_index = 0
        self.binding_rules_index = 0
        #: Index of the bootstrap, once done (``ACLBootstrap`` in the state store).
        self.bootstrap_index = 0

    @property
    def enabled(self) -> bool:
        """True if ACLs are on."""
        return self.config.acl_enabled

    # -- start ------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Create what a leader creates at start (``leader.go`` ``initializeACLs``).

        The builtin policies, the initial management token when one is
        configured (which also marks the ACL system bootstrapped), and the
        anonymous token: each unless it is there already (after a snapshot
        restore, the leader creates only what the snapshot lacks).
        """
        if not self.enabled:
            return
        for policy_id, name, description, rules in BUILTIN_POLICIES:
            if policy_id in self.policies:
                continue
            policy = Policy(policy_id, name, description, rules, parsed=parse_rules(rules))
            policy.set_hash()
            self.put_policy(policy)
        secret = self.config.acl_initial_management
        if secret and self.token_by_secret(secret) is None:
            token = Token(
                str(uuid.uuid4()),
                secret,
                "Initial Management Token",
                policies=[GLOBAL_MANAGEMENT_ID],
            )
            token.set_hash()
            self.put_token(token)
            if self.can_bootstrap():
                self.bootstrap_index = token.create_index
        if ANONYMOUS_ID not in self.tokens:
            anonymous = Token(ANONYMOUS_ID, ANONYMOUS_SECRET, "Anonymous Token")
            anonymous.set_hash()
            self.put_token(anonymous)

    # -- writes -------------------------------------------------------------------

    def _apply(self) -> int:
        return self.dc.apply()

    def _put(self, table: str, key: str, record: _Record) -> None:
        """Insert or replace ``record`` (as ``key``) in ``table`` at a new index.

        The table's index attribute is ``<table>_index``.
        """
        idx = self._apply()
        rows: dict[str, _Record] = getattr(self, table)
        existing = rows.get(key)
        record.create_index = existing.create_index if existing else idx
        record.modify_index = idx
        rows[key] = record
        setattr(self, f"{table}_index", idx)
        self.dc.changed()

    def _delete(self, table: str, key: str) -> None:
        """Delete ``key`` from ``table`` at a new index (nothing changes if absent)."""
        idx = self._apply()
        if getattr(self, table).pop(key, None) is not None:
            setattr(self, f"{table}_index", idx)
            self.dc.changed()

    def put_token(self, token: Token) -> Token:
        """Insert or replace ``token`` at a new index."""
        self._put("tokens", token.accessor_id, token)
        return token

    def delete_token(self, accessor_id: str) -> None:
        self._delete("tokens", accessor_id)

    def put_policy(self, policy: Policy) -> Policy:
        self._put("policies", policy.id, policy)
        return policy

    def delete_policy(self, policy_id: str) -> None:
        self._delete("policies", policy_id)

    def put_role(self, role: Role) -> Role:
        self._put("roles", role.id, role)
        return role

    def delete_role(self, role_id: str) -> None:
        self._delete("roles", role_id)

    def put_auth_method(self, method: AuthMethod) -> AuthMethod:
        self._put("auth_methods", method.name, method)
        return method

    def delete_auth_method(self, name: str) -> None:
        """Delete the auth method, its binding rules and its logins' tokens.

        As the state store's ``aclAuthMethodDeleteTxn`` does, in one write.
        """
        idx = self._apply()
        if self.auth_methods.pop(name, None) is None:
            return
        self.auth_methods_index = idx
        rules = [r for r in self.binding_rules.values() if r.auth_method == name]
        for rule in rules:
            del self.binding_rules[rule.id]
        if rules:
            self.binding_rules_index = idx
        tokens = [t for t in self.tokens.values() if t.auth_method == name]
        for token in tokens:
            del self.tokens[token.accessor_id]
        if tokens:
            self.tokens_index = idx
        self.dc.changed()

    def put_binding_rule(self, rule: BindingRule) -> BindingRule:
        self._put("binding_rules", rule.id, rule)
        return rule

    def delete_binding_rule(self, rule_id: str) -> None:
        self._delete("binding_rules", rule_id)

    # -- lookups ------------------------------------------------------------------

    def token(self, accessor: str) -> Token | None:
        """``ACLTokenGetByAccessor``: the token with this AccessorID, or None.

        The accessor index is a UUID index (``acl_schema.go``): any case, and
        a value it cannot parse is an error (see :func:`_uuid_index_key`).
        """
        key = _uuid_index_key(accessor, "token")
        return next((t for t in self.tokens.values() if _uuid_key(t.accessor_id) == key), None)

    def policy(self, policy_id: str) -> Policy | None:
        """``ACLPolicyGetByID``: the policy with this ID (any case), or None."""
        key = _uuid_index_key(policy_id, "policy")
        return next((p for p in self.policies.values() if _uuid_key(p.id) == key), None)

    def role(self, role_id: str) -> Role | None:
        """``ACLRoleGetByID``: the role with this ID (any case), or None."""
        key = _uuid_index_key(role_id, "role")
        return next((r for r in self.roles.values() if _uuid_key(r.id) == key), None)

    def binding_rule(self, rule_id: str) -> BindingRule | None:
        """``ACLBindingRuleGetByID``: the rule with this ID (any case), or None."""
        key = _uuid_index_key(rule_id, "binding rule")
        return next((r for r in self.binding_rules.values() if _uuid_key(r.id) == key), None)

    def token_by_secret(self, secret: str) -> Token | None:
        for token in self.tokens.values():
            if token.secret_id == secret:
                return token
        return None

    def policy_by_name(self, name: str) -> Policy | None:
        for policy in self.policies.values():
            if policy.name == name:
                return policy
        return None

    def role_by_name(self, name: str) -> Role | None:
        for role in self.roles.values():
            if role.name == name:
                return role
        return None

    def can_bootstrap(self) -> bool:
        """``CanBootstrapACLToken``: no bootstrap has been done yet."""
        return self.bootstrap_index == 0

    # -- resolution -----------------------------------------------------------------

    def resolve(self, secret: str) -> Token:
        """The token of a request's secret (``ResolveIdentityFromToken``).

        No secret is the anonymous token. An unknown or expired secret is the
        error ``ACL not found`` (a 403), prefixed with a hint while the ACL
        system has not been bootstrapped (Consul 1.15+).
        """
        token = self.token_by_secret(secret or ANONYMOUS_SECRET)
        if token is None or token.expired():
            message = "ACL not found"
            if self.can_bootstrap():
                message = (
                    "ACL system must be bootstrapped before making any requests that "
                    f"require authorization: {message}"
                )
            raise RPCError(message)
        return token

    def identity_policies(self, token: Token) -> list[PolicyRules]:
        """The parsed policies a token holds, in the agent's datacenter.

        Its own policies, its roles' policies, and the synthetic policies of
        service and node identities and of templated policies (its own and
        its roles'); a policy whose ``Datacenters`` leave this datacenter out
        does not apply (``agent/consul/acl.go`` ``resolvePoliciesForIdentity``).
        """
        here = self.config.datacenter
        policy_ids = list(token.policies)
        services = list(token.service_identities)
        nodes = list(token.node_identities)
        templated = list(token.templated_policies)
        for role_id in token.roles:
            role = self.roles.get(role_id)
            if role is None:
                continue
            policy_ids += role.policies
            services += role.service_identities
            nodes += role.node_identities
            templated += role.templated_policies
        found: list[PolicyRules] = []
        for policy_id in dict.fromkeys(policy_ids):
            policy = self.policies.get(policy_id)
            if policy is None or (policy.datacenters and here not in policy.datacenters):
                continue
            found.append(policy.parsed)
        for service in services:
            datacenters = service.get("Datacenters") or []
            if not datacenters or here in datacenters:
                found.append(parse_rules(service_identity_rules(service["ServiceName"])))
        for node in nodes:
            if node["Datacenter"] == here:
                found.append(parse_rules(node_identity_rules(node["NodeName"])))
        for templated_policy in templated:
            datacenters = templated_policy.get("Datacenters") or []
            if not datacenters or here in datacenters:
                found.append(parsed_rules(templated_policy))
        return found

    def authorizer_for(self, token: Token) -> TokenAuthorizer:
        """The authorizer of a resolved token."""
        policies = self.identity_policies(token)
        default_allow = self.config.acl_default_policy == "allow"
        rules = PolicyAuthorizer(policies) if policies else None
        return TokenAuthorizer(token.accessor_id, rules, default_allow)

    def authorizer(self, secret: str) -> Authorizer:
        """The authorizer for token ``secret`` (403 ``ACL not found`` if unknown)."""
        if not self.enabled:
            return ALLOW_ALL
        return self.authorizer_for(self.resolve(secret))

    # -- JSON ------------------------------------------------------------------------

    def policy_links(self, ids: list[str]) -> list[dict[str, str]]:
        """Links with their current names; links to deleted policies drop out."""
        return [{"ID": pid, "Name": self.policies[pid].name} for pid in ids if pid in self.policies]

    def role_links(self, ids: list[str]) -> list[dict[str, str]]:
        return [{"ID": rid, "Name": self.roles[rid].name} for rid in ids if rid in self.roles]

    def token_json(
        self, token: Token, *, redact: bool = False, stub: bool = False
    ) -> dict[str, Any]:
        """A token as ``ACLToken`` (or ``ACLTokenListStub``) marshals, in field order."""
        out: dict[str, Any] = {
            "AccessorID": token.accessor_id,
            "SecretID": REDACTED if redact else token.secret_id,
            "Description": token.description,
        }
        policies = self.policy_links(token.policies)
        if policies:
            out["Policies"] = policies
        roles = self.role_links(token.roles)
        if roles:
            out["Roles"] = roles
        if token.service_identities:
            out["ServiceIdentities"] = token.service_identities
        if token.node_identities:
            out["NodeIdentities"] = token.node_identities
        if token.templated_policies:
            out["TemplatedPolicies"] = token.templated_policies
        out["Local"] = token.local
        if token.auth_method:
            out["AuthMethod"] = token.auth_method
        if token.expiration_time is not None:
            out["ExpirationTime"] = format_time(token.expiration_time)
        out["CreateTime"] = format_time(token.create_time)
        out["Hash"] = base64.b64encode(token.hash).decode()
        out["CreateIndex"] = token.create_index
        out["ModifyIndex"] = token.modify_index
        return out

    def role_json(self, role: Role) -> dict[str, Any]:
        out: dict[str, Any] = {"ID": role.id, "Name": role.name, "Description": role.description}
        policies = self.policy_links(role.policies)
        if policies:
            out["Policies"] = policies
        if role.service_identities:
            out["ServiceIdentities"] = role.service_identities
        if role.node_identities:
            out["NodeIdentities"] = role.node_identities
        if role.templated_policies:
            out["TemplatedPolicies"] = role.templated_policies
        out["Hash"] = base64.b64encode(role.hash).decode()
        out["CreateIndex"] = role.create_index
        out["ModifyIndex"] = role.modify_index
        return out


def _uuid_key(value: str) -> str:
    """What go-memdb's ``UUIDFieldIndex`` keeps of a UUID: its hex digits, any case."""
    return value.replace("-", "").lower()


def _uuid_index_key(value: str, table: str) -> str:
    """A lookup value as ``UUIDFieldIndex.FromArgs`` parses it (``parseString``).

    A value it refuses fails the lookup, which the RPC returns as a 500:
    ``failed acl token lookup: index error: UUID must be 36 characters``.
    """
    problem = None
    hyphens = value.count("-")
    if len(value.encode()) != 36:
        problem = "UUID must be 36 characters"
    elif hyphens > 4:
        problem = f'UUID should have maximum of 4 "-"; got {hyphens}'
    elif len(value.replace("-", "").encode()) % 2:
        problem = "Input (without hyphens) must be even length"
    elif (hex_error := hex_decode_error(value.replace("-", ""))) is not None:
        problem = f"Invalid UUID: {hex_error}"
    if problem is not None:
        raise RPCError(f"failed acl {table} lookup: index error: {problem}")
    return _uuid_key(value)
