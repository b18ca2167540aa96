"""What a token may do: the decisions of its policies, then the default policy.

- :class:`PolicyAuthorizer`: the decisions of a set of policies
  (``acl/policy_authorizer.go``, merged as ``acl/policy_merger.go`` merges);
- the default policy (``acl/static_authorizer.go``) behind them, asked when
  no rule decides (``acl/chained_authorizer.go``);
- :class:`Authorizer`: the yes-or-no questions endpoints ask
  (``acl/authorizer.go``), one method each; :data:`ALLOW_ALL` answers them
  while ACLs are disabled, :class:`TokenAuthorizer` for a resolved token.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable
from typing import Any

from ..golang import quote as go_quote
from .objects import ANONYMOUS_ID
from .rules import DENY, LIST, READ, RESOURCES, SINGLE, WRITE, PolicyRules, Rule

__all__ = [
    "ALLOW_ALL",
    "Authorizer",
    "Decision",
    "PolicyAuthorizer",
    "TokenAuthorizer",
    "enforce",
    "merge_rules",
]


class Decision(enum.Enum):
    """``acl.EnforcementDecision``."""

    DENY = 0
    ALLOW = 1
    DEFAULT = 2


_ALLOW, _DENY, _DEFAULT = Decision.ALLOW, Decision.DENY, Decision.DEFAULT

_PRECEDENCE = {DENY: 4, WRITE: 3, LIST: 2, READ: 1}


def _takes_precedence(a: str, b: str) -> bool:
    """``takesPrecedenceOver``: deny, then write, then list, then read."""
    return _PRECEDENCE.get(a, 0) > _PRECEDENCE.get(b, 0)


def _enforce(rule: str, required: str) -> Decision:
    """``enforce``: what a rule's level grants for a required level."""
    if rule == WRITE:
        return _ALLOW
    if rule == LIST:
        return _ALLOW if required in (LIST, READ) else _DENY
    if rule == READ:
        return _ALLOW if required == READ else _DENY
    if rule == DENY:
        return _DENY
    return _DEFAULT


@dataclasses.dataclass
class _Leaf:
    exact: str | None = None
    prefix: str | None = None


class _Tree:
    """The rules of one resource, as the radix tree of ``policy_authorizer.go`` holds them."""

    def __init__(self) -> None:
        self.leaves: dict[str, _Leaf] = {}

    def insert(self, name: str, level: str, prefix: bool) -> None:
        leaf = self.leaves.setdefault(name, _Leaf())
        if prefix:
            leaf.prefix = level
        else:
            leaf.exact = level

    def walk_path(self, segment: str) -> list[tuple[str, _Leaf]]:
        """The leaves from the root down to ``segment`` (``WalkPath``)."""
        found = [(name, leaf) for name, leaf in self.leaves.items() if segment.startswith(name)]
        return sorted(found, key=lambda item: len(item[0]))

    def walk_prefix(self, prefix: str) -> list[_Leaf]:
        """The leaves at or below ``prefix`` (``WalkPrefix``)."""
        return [leaf for name, leaf in sorted(self.leaves.items()) if name.startswith(prefix)]

    def get(self, segment: str) -> str | None:
        """``getPolicy``: an exact rule for ``segment``, else the longest prefix rule."""
        level: str | None = None
        for name, leaf in self.walk_path(segment):
            if leaf.exact is not None and name == segment:
                return leaf.exact
            if leaf.prefix is not None:
                level = leaf.prefix
        return level

    def decide(self, segment: str, required: str) -> Decision:
        level = self.get(segment)
        return _DEFAULT if level is None else _enforce(level, required)

    def any_allowed(self, required: str) -> Decision:
        """``anyAllowed``: does some rule grant ``required``?"""
        decision = _DEFAULT
        root = self.leaves.get("")
        if root is not None and root.prefix is not None:
            decision = _enforce(root.prefix, required)
            if decision is _ALLOW:
                return _ALLOW
        for leaf in self.walk_prefix(""):
            result = _DEFAULT
            if leaf.prefix is not None:
                result = _enforce(leaf.prefix, required)
            if result is not _ALLOW and leaf.exact is not None:
                result = _enforce(leaf.exact, required)
            if result is _ALLOW:
                return _ALLOW
        return decision

    def all_allowed(self, required: str) -> Decision:
        """``allAllowed``: does every rule grant ``required``?"""
        decision = _DEFAULT
        root = self.leaves.get("")
        if root is not None:
            decision = _DEFAULT if root.prefix is None else _enforce(root.prefix, required)
            if decision is _DENY:
                return _DENY
        for leaf in self.walk_prefix(""):
            prefix_decision = _DEFAULT if leaf.prefix is None else _enforce(leaf.prefix, required)
            result = prefix_decision
            if prefix_decision is not _DENY and leaf.exact is not None:
                exact = _enforce(leaf.exact, required)
                result = prefix_decision if exact is _DEFAULT else exact
            if result is _DENY:
                return _DENY
        return decision


def merge_rules(policies: Iterable[PolicyRules]) -> PolicyRules:
    """``MergePolicies``: for each name the most precedent level wins."""
    policies = list(policies)
    merged = PolicyRules()
    for name in SINGLE:
        for policy in policies:
            level = getattr(policy, name)
            if _takes_precedence(level, getattr(merged, name)):
                setattr(merged, name, level)
    for resource in RESOURCES:
        chosen: dict[str, Rule] = {}
        for policy in policies:
            for rule in policy.rules(resource.attr):
                existing = chosen.get(rule.name)
                if existing is None:
                    chosen[rule.name] = dataclasses.replace(rule)
                    continue
                if _takes_precedence(rule.policy, existing.policy):
                    existing.policy = rule.policy
                if _takes_precedence(rule.intentions, existing.intentions):
                    existing.intentions = rule.intentions
        merged.rules(resource.attr).extend(chosen.values())
    return merged


class PolicyAuthorizer:
    """The decisions of a set of policies (``acl/policy_authorizer.go``).

    Each method answers ALLOW, DENY or DEFAULT (no rule applies).
    """

    def __init__(self, policies: Iterable[PolicyRules]) -> None:
        rules = merge_rules(list(policies))
        self.rules = rules
        self.trees: dict[str, _Tree] = {}
        for kind in ("agent", "key", "node", "service", "session", "event", "query", "intention"):
            self.trees[kind] = _Tree()
        for resource in RESOURCES:
            kind = resource.hcl.removesuffix("_prefix")
            prefix = resource.hcl.endswith("_prefix")
            for rule in rules.rules(resource.attr):
                self.trees[kind].insert(rule.name, rule.policy, prefix)
                if kind == "service":
                    # A service rule without intentions grants intention read
                    # with read or write, and denies them otherwise.
                    intention = rule.intentions or (READ if rule.policy in (READ, WRITE) else DENY)
                    self.trees["intention"].insert(rule.name, intention, prefix)

    def _single(self, level: str, required: str) -> Decision:
        return _enforce(level, required) if level else _DEFAULT

    def acl_read(self) -> Decision:
        return self._single(self.rules.acl, READ)

    def acl_write(self) -> Decision:
        return self._single(self.rules.acl, WRITE)

    def snapshot(self) -> Decision:
        return self._single(self.rules.acl, WRITE)

    def keyring_read(self) -> Decision:
        return self._single(self.rules.keyring, READ)

    def keyring_write(self) -> Decision:
        return self._single(self.rules.keyring, WRITE)

    def operator_read(self) -> Decision:
        return self._single(self.rules.operator, READ)

    def operator_write(self) -> Decision:
        return self._single(self.rules.operator, WRITE)

    def mesh_read(self) -> Decision:
        # Without a mesh rule, operator decides (MeshRead).
        return self._single(self.rules.mesh, READ) if self.rules.mesh else self.operator_read()

    def mesh_write(self) -> Decision:
        return self._single(self.rules.mesh, WRITE) if self.rules.mesh else self.operator_write()

    def peering_read(self) -> Decision:
        if self.rules.peering:
            return self._single(self.rules.peering, READ)
        return self.operator_read()

    def peering_write(self) -> Decision:
        if self.rules.peering:
            return self._single(self.rules.peering, WRITE)
        return self.operator_write()

    def agent_read(self, node: str) -> Decision:
        return self.trees["agent"].decide(node, READ)

    def agent_write(self, node: str) -> Decision:
        return self.trees["agent"].decide(node, WRITE)

    def event_read(self, name: str) -> Decision:
        return self.trees["event"].decide(name, READ)

    def event_write(self, name: str) -> Decision:
        return self.trees["event"].decide(name, WRITE)

    def intention_default_allow(self) -> Decision:
        return _DEFAULT

    def intention_read(self, name: str) -> Decision:
        if name == "*":
            return self.trees["intention"].any_allowed(READ)
        return self.trees["intention"].decide(name, READ)

    def intention_write(self, name: str) -> Decision:
        if name == "*":
            return self.trees["intention"].all_allowed(WRITE)
        return self.trees["intention"].decide(name, WRITE)

    def key_read(self, key: str) -> Decision:
        return self.trees["key"].decide(key, READ)

    def key_list(self, prefix: str) -> Decision:
        return self.trees["key"].decide(prefix, LIST)

    def key_write(self, key: str) -> Decision:
        return self.trees["key"].decide(key, WRITE)

    def key_write_prefix(self, prefix: str) -> Decision:
        """``KeyWritePrefix``: write on the prefix, and no rule below it short of write."""
        tree = self.trees["key"]
        base = _DEFAULT
        for _name, leaf in tree.walk_path(prefix):
            if leaf.prefix is not None:
                base = _ALLOW if leaf.prefix == WRITE else _DENY
        if base is _DENY:
            return _DENY
        for leaf in tree.walk_prefix(prefix):
            if leaf.prefix is not None and leaf.prefix != WRITE:
                return _DENY
            if leaf.exact is not None and leaf.exact != WRITE:
                return _DENY
        return base

    def node_read(self, name: str) -> Decision:
        return self.trees["node"].decide(name, READ)

    def node_read_all(self) -> Decision:
        return self.trees["node"].all_allowed(READ)

    def node_write(self, name: str) -> Decision:
        return self.trees["node"].decide(name, WRITE)

    def query_read(self, prefix: str) -> Decision:
        return self.trees["query"].decide(prefix, READ)

    def query_write(self, prefix: str) -> Decision:
        return self.trees["query"].decide(prefix, WRITE)

    def service_read(self, name: str) -> Decision:
        return self.trees["service"].decide(name, READ)

    def service_read_all(self) -> Decision:
        return self.trees["service"].all_allowed(READ)

    def service_write(self, name: str) -> Decision:
        return self.trees["service"].decide(name, WRITE)

    def service_write_any(self) -> Decision:
        return self.trees["service"].any_allowed(WRITE)

    def session_read(self, node: str) -> Decision:
        return self.trees["session"].decide(node, READ)

    def session_write(self, node: str) -> Decision:
        return self.trees["session"].decide(node, WRITE)


class _Static:
    """``staticAuthorizer``: the default policy, asked when no rule decides.

    ``allow`` allows everything but ``acl`` and snapshots, which only a rule
    (global-management's ``acl = "write"``) grants.
    """

    def __init__(self, allow: bool) -> None:
        self.default = _ALLOW if allow else _DENY

    def __getattr__(self, name: str) -> Callable[..., Decision]:
        if name in ("acl_read", "acl_write", "snapshot"):
            return lambda *args: _DENY
        return lambda *args: self.default


# -- the Authorizer endpoints ask ---------------------------------------------


class Authorizer:
    """What a token may do. This base class allows everything (ACLs disabled).

    Resource names follow Consul: sessions and agents are named by node name,
    events by event name, queries by prefix. Each method is one of Consul's
    ``acl.Authorizer`` questions answered with a yes or no.
    """

    #: The token's AccessorID, for permission-denied messages.
    accessor_id: str = ""
    #: True for the anonymous token (its denials say so).
    anonymous: bool = False

    def _allowed(self, question: str, *args: str) -> bool:
        return True

    def acl_read(self) -> bool:
        return self._allowed("acl_read")

    def acl_write(self) -> bool:
        return self._allowed("acl_write")

    def agent_read(self, node: str) -> bool:
        return self._allowed("agent_read", node)

    def agent_write(self, node: str) -> bool:
        return self._allowed("agent_write", node)

    def event_read(self, name: str) -> bool:
        return self._allowed("event_read", name)

    def event_write(self, name: str) -> bool:
        return self._allowed("event_write", name)

    def intention_default_allow(self) -> bool:
        return self._allowed("intention_default_allow")

    def intention_read(self, name: str) -> bool:
        return self._allowed("intention_read", name)

    def intention_write(self, name: str) -> bool:
        return self._allowed("intention_write", name)

    def key_read(self, key: str) -> bool:
        return self._allowed("key_read", key)

    def key_list(self, prefix: str) -> bool:
        return self._allowed("key_list", prefix)

    def key_write(self, key: str) -> bool:
        return self._allowed("key_write", key)

    def key_write_prefix(self, prefix: str) -> bool:
        return self._allowed("key_write_prefix", prefix)

    def keyring_read(self) -> bool:
        return self._allowed("keyring_read")

    def keyring_write(self) -> bool:
        return self._allowed("keyring_write")

    def node_read(self, name: str) -> bool:
        return self._allowed("node_read", name)

    def node_read_all(self) -> bool:
        return self._allowed("node_read_all")

    def node_write(self, name: str) -> bool:
        return self._allowed("node_write", name)

    def operator_read(self) -> bool:
        return self._allowed("operator_read")

    def operator_write(self) -> bool:
        return self._allowed("operator_write")

    def query_read(self, prefix: str) -> bool:
        return self._allowed("query_read", prefix)

    def query_write(self, prefix: str) -> bool:
        return self._allowed("query_write", prefix)

    def service_read(self, name: str) -> bool:
        return self._allowed("service_read", name)

    def service_read_all(self) -> bool:
        return self._allowed("service_read_all")

    def service_write(self, name: str) -> bool:
        return self._allowed("service_write", name)

    def service_write_any(self) -> bool:
        return self._allowed("service_write_any")

    def session_read(self, node: str) -> bool:
        return self._allowed("session_read", node)

    def session_write(self, node: str) -> bool:
        return self._allowed("session_write", node)

    def mesh_read(self) -> bool:
        return self._allowed("mesh_read")

    def mesh_write(self) -> bool:
        return self._allowed("mesh_write")

    def peering_read(self) -> bool:
        return self._allowed("peering_read")

    def peering_write(self) -> bool:
        return self._allowed("peering_write")

    def snapshot(self) -> bool:
        return self._allowed("snapshot")

    def denied_message(self, permission: str, resource: str | None) -> str:
        """Consul's permission-denied text (``acl/errors.go`` ``PermissionDeniedError``).

        ``permission`` is ``resource:level`` (``key:read``); ``resource`` is
        the name it was asked for, or None for unnamed resources (``acl``,
        ``operator``...). An empty name is not shown, as in Consul.
        """
        subject = (
            "anonymous token" if self.anonymous else f"token with AccessorID '{self.accessor_id}'"
        )
        text = f"Permission denied: {subject} lacks permission '{permission}'"
        if resource:
            text += f' on "{resource}"'
        if self.anonymous:
            text += (
                ". The anonymous token is used implicitly when a request does not specify a token."
            )
        return text


#: The authorizer of every request while ACLs are disabled.
ALLOW_ALL = Authorizer()


class TokenAuthorizer(Authorizer):
    """A resolved token: its policies' decisions, then the default policy."""

    def __init__(
        self, accessor_id: str, policies: PolicyAuthorizer | None, default_allow: bool
    ) -> None:
        self.accessor_id = accessor_id
        self.anonymous = accessor_id == ANONYMOUS_ID
        self.chain: list[Any] = [policies] if policies is not None else []
        self.chain.append(_Static(default_allow))

    def decide(self, question: str, *args: str) -> Decision:
        """``ChainedAuthorizer``: the first decision that is not DEFAULT (else DENY)."""
        for authorizer in self.chain:
            decision: Decision = getattr(authorizer, question)(*args)
            if decision is not _DEFAULT:
                return decision
        return _DENY

    def _allowed(self, question: str, *args: str) -> bool:
        return self.decide(question, *args) is _ALLOW


# -- acl.Enforce: a resource and access level by name ----------------------------------------

_Check = Callable[[Authorizer, str], bool]
_READ_WRITE_NAMED: dict[str, tuple[_Check, _Check]] = {
    "agent": (Authorizer.agent_read, Authorizer.agent_write),
    "event": (Authorizer.event_read, Authorizer.event_write),
    "intention": (Authorizer.intention_read, Authorizer.intention_write),
    "node": (Authorizer.node_read, Authorizer.node_write),
    "query": (Authorizer.query_read, Authorizer.query_write),
    "service": (Authorizer.service_read, Authorizer.service_write),
    "session": (Authorizer.session_read, Authorizer.session_write),
}
_READ_WRITE: dict[str, tuple[Callable[[Authorizer], bool], Callable[[Authorizer], bool]]] = {
    "acl": (Authorizer.acl_read, Authorizer.acl_write),
    "keyring": (Authorizer.keyring_read, Authorizer.keyring_write),
    "mesh": (Authorizer.mesh_read, Authorizer.mesh_write),
    "operator": (Authorizer.operator_read, Authorizer.operator_write),
    "peering": (Authorizer.peering_read, Authorizer.peering_write),
}
_KEY: dict[str, _Check] = {
    "read": Authorizer.key_read,
    "list": Authorizer.key_list,
    "write": Authorizer.key_write,
    "write-prefix": Authorizer.key_write_prefix,
}


def enforce(authz: Authorizer, resource: str, segment: str, access: str) -> bool:
    """``acl.Enforce``: is ``access`` to ``resource`` (named ``segment``) allowed?

    ``access`` is read in any case. ValueError with Consul's text for a
    resource or an access level it does not know.
    """
    level = access.lower()
    if resource == "key":
        check = _KEY.get(level)
        if check is not None:
            return check(authz, segment)
    elif resource in _READ_WRITE_NAMED:
        if level in ("read", "write"):
            return _READ_WRITE_NAMED[resource][level == "write"](authz, segment)
    elif resource in _READ_WRITE:
        if level in ("read", "write"):
            return _READ_WRITE[resource][level == "write"](authz)
    else:
        raise ValueError(f"Invalid ACL resource requested: {go_quote(resource)}")
    raise ValueError(f"Invalid access level for {resource} resource: {access}")
