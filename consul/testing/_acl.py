"""ACLs of the embedded agent: tokens, policies, roles and the authorizer every endpoint asks.

Endpoints ask a request's :class:`Authorizer` (``ctx.authz``) the questions
Consul's ``acl.Authorizer`` answers (``acl/authorizer.go``), one method each,
and refuse with ``ctx.require(...)`` or filter their results.

The pieces, each after its Consul source:

- :func:`parse_rules`: a policy's ``Rules`` (HCL or JSON) decoded and
  validated as ``acl/policy.go`` does, with Consul's error texts;
- :class:`PolicyAuthorizer`: the decisions of a set of policies
  (``acl/policy_authorizer.go``, merged as ``acl/policy_merger.go`` merges);
- the default policy (``acl/static_authorizer.go``) behind them, asked when
  no rule decides (``acl/chained_authorizer.go``);
- :class:`ACLStore`: the tokens, policies and roles of the primary
  datacenter, what the leader creates at start (``agent/consul/leader.go``
  ``initializeACLs``) and token resolution (``agent/consul/acl.go``).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._gofmt import quote as go_quote
from ._gofmt import uuid_error
from ._server import RPCError

if TYPE_CHECKING:
    from ._agent import AgentCore
    from ._state import Datacenter

__all__ = [
    "ALLOW_ALL",
    "ANONYMOUS_ID",
    "ANONYMOUS_SECRET",
    "GLOBAL_MANAGEMENT_ID",
    "GLOBAL_READ_ONLY_ID",
    "ACLStore",
    "Authorizer",
    "Decision",
    "PolicyAuthorizer",
    "PolicyRules",
    "RulesError",
    "parse_rules",
]

#: ``structs.ACLTokenAnonymousID`` and the anonymous token's secret.
ANONYMOUS_ID = "00000000-0000-0000-0000-000000000002"
ANONYMOUS_SECRET = "anonymous"  # noqa: S105 - Consul's well-known value
#: The builtin policies (``agent/structs/acl.go`` ``ACLBuiltinPolicies``).
GLOBAL_MANAGEMENT_ID = "00000000-0000-0000-0000-000000000001"
GLOBAL_READ_ONLY_ID = "00000000-0000-0000-0000-000000000002"
#: IDs with this prefix are reserved for builtin objects (``ACLIDReserved``).
RESERVED_PREFIX = "00000000-0000-0000-0000-0000000000"
#: What a reader without ``acl:write`` sees instead of a secret (``redactedToken``).
REDACTED = "<hidden>"


def _builtin_rules(level: str) -> str:
    """The rules of ``global-management`` (``write``) or ``global-read-only`` (``read``).

    Kept byte for byte as ``ACLPolicyGlobalManagementRules`` is written, since
    the rules (and so the policy's ``Hash``) are visible through the API.
    """
    blocks = []
    for resource in ("agent_prefix", "event_prefix", "key_prefix"):
        blocks.append(f'{resource} "" {{\n\tpolicy = "{level}"\n}}')
    blocks.append(f'keyring = "{level}"')
    blocks.append(f'node_prefix "" {{\n\tpolicy = "{level}"\n}}')
    blocks.append(f'operator = "{level}"\nmesh = "{level}"\npeering = "{level}"')
    blocks.append(f'query_prefix "" {{\n\tpolicy = "{level}"\n}}')
    blocks.append(f'service_prefix "" {{\n\tpolicy = "{level}"\n\tintentions = "{level}"\n}}')
    blocks.append(f'session_prefix "" {{\n\tpolicy = "{level}"\n}}')
    return f'\nacl = "{level}"\n' + "\n".join(blocks)


BUILTIN_POLICIES = (
    (
        GLOBAL_MANAGEMENT_ID,
        "global-management",
        "Builtin Policy that grants unlimited access",
        _builtin_rules("write"),
    ),
    (
        GLOBAL_READ_ONLY_ID,
        "builtin/global-read-only",
        "Builtin Policy that grants unlimited read-only access to all components",
        _builtin_rules("read"),
    ),
)


# -- rules -----------------------------------------------------------------------

DENY, READ, LIST, WRITE = "deny", "read", "list", "write"


class RulesError(ValueError):
    """Rules Consul refuses; ``str()`` is Consul's message."""


@dataclasses.dataclass
class Rule:
    """One named rule: ``key "foo" { policy = "read" }``."""

    name: str
    policy: str
    intentions: str = ""


@dataclasses.dataclass(frozen=True)
class _Resource:
    """How one named resource appears in rules and in Go's ``%#v`` of its rule."""

    hcl: str
    attr: str
    go_type: str
    name_field: str
    enterprise: bool
    intentions: bool = False


_RESOURCES = (
    _Resource("agent", "agents", "AgentRule", "Node", False),
    _Resource("agent_prefix", "agent_prefixes", "AgentRule", "Node", False),
    _Resource("key", "keys", "KeyRule", "Prefix", True),
    _Resource("key_prefix", "key_prefixes", "KeyRule", "Prefix", True),
    _Resource("node", "nodes", "NodeRule", "Name", True),
    _Resource("node_prefix", "node_prefixes", "NodeRule", "Name", True),
    _Resource("service", "services", "ServiceRule", "Name", True, intentions=True),
    _Resource("service_prefix", "service_prefixes", "ServiceRule", "Name", True, intentions=True),
    _Resource("session", "sessions", "SessionRule", "Node", False),
    _Resource("session_prefix", "session_prefixes", "SessionRule", "Node", False),
    _Resource("event", "events", "EventRule", "Event", False),
    _Resource("event_prefix", "event_prefixes", "EventRule", "Event", False),
    _Resource("query", "queries", "PreparedQueryRule", "Prefix", False),
    _Resource("query_prefix", "query_prefixes", "PreparedQueryRule", "Prefix", False),
)
_BY_HCL = {r.hcl: r for r in _RESOURCES}
_SINGLE = ("acl", "keyring", "operator", "mesh", "peering")


@dataclasses.dataclass
class PolicyRules:
    """``acl.PolicyRules``: what one policy's rules say."""

    acl: str = ""
    keyring: str = ""
    operator: str = ""
    mesh: str = ""
    peering: str = ""
    agents: list[Rule] = dataclasses.field(default_factory=list)
    agent_prefixes: list[Rule] = dataclasses.field(default_factory=list)
    keys: list[Rule] = dataclasses.field(default_factory=list)
    key_prefixes: list[Rule] = dataclasses.field(default_factory=list)
    nodes: list[Rule] = dataclasses.field(default_factory=list)
    node_prefixes: list[Rule] = dataclasses.field(default_factory=list)
    services: list[Rule] = dataclasses.field(default_factory=list)
    service_prefixes: list[Rule] = dataclasses.field(default_factory=list)
    sessions: list[Rule] = dataclasses.field(default_factory=list)
    session_prefixes: list[Rule] = dataclasses.field(default_factory=list)
    events: list[Rule] = dataclasses.field(default_factory=list)
    event_prefixes: list[Rule] = dataclasses.field(default_factory=list)
    queries: list[Rule] = dataclasses.field(default_factory=list)
    query_prefixes: list[Rule] = dataclasses.field(default_factory=list)

    def rules(self, attr: str) -> list[Rule]:
        """The rules of one resource (``keys``, ``service_prefixes``...)."""
        found: list[Rule] = getattr(self, attr)
        return found


class _Items(list[tuple[str, Any]]):
    """An HCL/JSON object with every entry kept, duplicates and order included."""


def _hcl_parser() -> Any:
    """pyhcl's parser, made to keep every entry of an object.

    pyhcl merges repeated keys (and lets a repeated attribute overwrite the
    first); Consul needs them all: two rules for the same key are merged by
    precedence, and a repeated attribute is an error
    (``hcl.DecodeErrorOnDuplicates``, ``acl/policy_ce.go``).
    """
    from hcl.parser import HclParser

    class KeepAll(HclParser):  # type: ignore[misc]
        def objectlist_flat(self, lt: list[tuple[str, Any]], replace: bool) -> _Items:
            return _Items(lt)

    return KeepAll()


_PARSER: Any = None


def _decode(text: str) -> _Items:
    global _PARSER
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text, object_pairs_hook=_Items)
        except ValueError as exc:
            raise RulesError(f"Failed to parse ACL rules: {exc}") from None
        if not isinstance(data, _Items):
            raise RulesError("Failed to parse ACL rules: rules must be an object")
        return data
    if _PARSER is None:
        _PARSER = _hcl_parser()
    try:
        parsed = _PARSER.parse(text)
    except ValueError as exc:
        raise RulesError(f"Failed to parse ACL rules: {exc}") from None
    return parsed if isinstance(parsed, _Items) else _Items()


def _entries(value: Any) -> Iterator[tuple[str, Any]]:
    """The ``(name, body)`` entries of a block resource, in any of HCL's shapes."""
    if isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, _Items):
        yield from value
    elif isinstance(value, list):
        for item in value:
            yield from _entries(item)
    else:
        raise RulesError(f"Failed to parse ACL rules: unexpected value {value!r}")


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise RulesError(f"Failed to parse ACL rules: {where}: unknown type for string")


def _check_duplicates(items: _Items) -> None:
    seen: set[str] = set()
    for key, value in items:
        if isinstance(value, dict | _Items | list):
            continue
        if key in seen:
            raise RulesError(
                f'Failed to parse ACL rules: The argument "{key}" was already set. '
                "Each argument can only be defined once"
            )
        seen.add(key)


def _rule(resource: _Resource, name: str, body: Any) -> Rule:
    policy = intentions = ""
    if isinstance(body, dict):
        body = _Items(body.items())
    if isinstance(body, list) and not isinstance(body, _Items):
        merged = _Items()
        for part in body:
            merged.extend(part.items() if isinstance(part, dict) else part)
        body = merged
    if not isinstance(body, _Items):
        raise RulesError(f"Failed to parse ACL rules: {resource.hcl}.{name}: expected an object")
    _check_duplicates(body)
    for key, value in body:
        # Go's decoder matches field names case-insensitively and ignores
        # fields it does not know.
        if key.lower() == "policy":
            policy = _scalar(value, f"{resource.hcl}.{name}.policy").lower()
        elif key.lower() == "intentions" and resource.intentions:
            intentions = _scalar(value, f"{resource.hcl}.{name}.intentions").lower()
    return Rule(name, policy, intentions)


def _go_rule(resource: _Resource, rule: Rule) -> str:
    """``%#v`` of a rule pointer: ``&acl.KeyRule{Prefix:"a", Policy:"b", ...}``."""
    fields = [f"{resource.name_field}:{go_quote(rule.name)}", f"Policy:{go_quote(rule.policy)}"]
    if resource.intentions:
        fields.append(f"Intentions:{go_quote(rule.intentions)}")
    if resource.enterprise:
        fields.append("EnterpriseRule:acl.EnterpriseRule{}")
    return f"&acl.{resource.go_type}{{{', '.join(fields)}}}"


def _valid(level: str, allow_list: bool = False) -> bool:
    """``isPolicyValid``."""
    return level in (DENY, READ, WRITE) or (allow_list and level == LIST)


def parse_rules(text: str) -> PolicyRules:
    """Decode and validate a policy's rules (``acl.NewPolicyFromSource``).

    Raises :class:`RulesError` with Consul's message: ``Failed to parse ACL
    rules: ...`` for text that is not HCL or JSON, ``Invalid key policy:
    &acl.KeyRule{...}`` for a level that does not exist. Unknown resources
    are ignored, as Go's HCL decoder ignores them.
    """
    rules = PolicyRules()
    if not text:
        return rules
    items = _decode(text)
    _check_duplicates(items)
    for key, value in items:
        if key in _SINGLE:
            setattr(rules, key, _scalar(value, key).lower())
        elif key in _BY_HCL:
            resource = _BY_HCL[key]
            target = rules.rules(resource.attr)
            for name, body in _entries(value):
                target.append(_rule(resource, str(name), body))
    _validate(rules)
    return rules


def _validate(rules: PolicyRules) -> None:
    """``PolicyRules.Validate``, in its order and with its messages."""
    if rules.acl and not _valid(rules.acl):
        raise RulesError(f"Invalid acl policy: {go_quote(rules.acl)}")
    for resource in _RESOURCES:
        allow_list = resource.hcl in ("key", "key_prefix")
        for rule in rules.rules(resource.attr):
            if not _valid(rule.policy, allow_list):
                raise RulesError(f"Invalid {resource.hcl} policy: {_go_rule(resource, rule)}")
            if rule.intentions and not _valid(rule.intentions):
                raise RulesError(
                    f"Invalid {resource.hcl} intentions policy: {_go_rule(resource, rule)}"
                )
    for name in ("keyring", "operator", "mesh", "peering"):
        level = getattr(rules, name)
        if level and not _valid(level):
            raise RulesError(f"Invalid {name} policy: {go_quote(level)}")


# -- decisions -----------------------------------------------------------------


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
    for name in _SINGLE:
        for policy in policies:
            level = getattr(policy, name)
            if _takes_precedence(level, getattr(merged, name)):
                setattr(merged, name, level)
    for resource in _RESOURCES:
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
        for resource in _RESOURCES:
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


# -- objects ---------------------------------------------------------------------


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def format_time(moment: datetime.datetime) -> str:
    """A time as Go's ``time.Time`` marshals it (RFC 3339, fraction trimmed)."""
    text = moment.isoformat()
    if moment.microsecond:
        head, _, tail = text.partition(".")
        fraction, _, zone = tail.partition("+")
        text = f"{head}.{fraction.rstrip('0')}+{zone}"
    return text.replace("+00:00", "Z")


def _hash(*parts: str) -> bytes:
    """The blake2b-256 ``Hash`` of an ACL object's content fields (``SetHash``)."""
    digest = hashlib.blake2b(digest_size=32)
    for part in parts:
        digest.update(part.encode())
    return digest.digest()


def _identity_parts(services: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> list[str]:
    parts: list[str] = []
    for service in services:
        parts.append(service["ServiceName"])
        parts.extend(service.get("Datacenters") or [])
    for node in nodes:
        parts.extend((node["NodeName"], node["Datacenter"]))
    return parts


@dataclasses.dataclass
class Policy:
    """``structs.ACLPolicy``."""

    id: str
    name: str
    description: str = ""
    rules: str = ""
    datacenters: list[str] | None = None
    hash: bytes = b""
    create_index: int = 0
    modify_index: int = 0
    parsed: PolicyRules = dataclasses.field(default_factory=PolicyRules)

    def set_hash(self) -> None:
        self.hash = _hash(self.name, self.description, self.rules, *(self.datacenters or []))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ID": self.id,
            "Name": self.name,
            "Description": self.description,
            "Rules": self.rules,
        }
        if self.datacenters:
            out["Datacenters"] = self.datacenters
        out["Hash"] = base64.b64encode(self.hash).decode()
        out["CreateIndex"] = self.create_index
        out["ModifyIndex"] = self.modify_index
        return out

    def stub(self) -> dict[str, Any]:
        """``ACLPolicyListStub``: no rules, and ``Datacenters`` always present."""
        return {
            "ID": self.id,
            "Name": self.name,
            "Description": self.description,
            "Datacenters": self.datacenters or None,
            "Hash": base64.b64encode(self.hash).decode(),
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
        }


@dataclasses.dataclass
class Role:
    """``structs.ACLRole``."""

    id: str
    name: str
    description: str = ""
    policies: list[str] = dataclasses.field(default_factory=list)
    service_identities: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    node_identities: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    hash: bytes = b""
    create_index: int = 0
    modify_index: int = 0

    def set_hash(self) -> None:
        parts = [self.name, self.description, *self.policies]
        parts += _identity_parts(self.service_identities, self.node_identities)
        self.hash = _hash(*parts)


@dataclasses.dataclass
class Token:
    """``structs.ACLToken``."""

    accessor_id: str
    secret_id: str
    description: str = ""
    policies: list[str] = dataclasses.field(default_factory=list)
    roles: list[str] = dataclasses.field(default_factory=list)
    service_identities: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    node_identities: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    local: bool = False
    auth_method: str = ""
    expiration_time: datetime.datetime | None = None
    create_time: datetime.datetime = dataclasses.field(default_factory=_now)
    hash: bytes = b""
    create_index: int = 0
    modify_index: int = 0

    def set_hash(self) -> None:
        parts = [self.description, "local" if self.local else "global"]
        parts += [*self.policies, *self.roles]
        parts += _identity_parts(self.service_identities, self.node_identities)
        self.hash = _hash(*parts)

    def expired(self, now: datetime.datetime | None = None) -> bool:
        """``IsExpired``."""
        if self.expiration_time is None:
            return False
        return self.expiration_time < (now or _now())


# -- the store ---------------------------------------------------------------------


def _service_identity_rules(name: str) -> str:
    """The synthetic policy of a service identity (``agent/structs/acl_ce.go``)."""
    return (
        f'\nservice "{name}" {{\n\tpolicy = "write"\n}}\n'
        f'service "{name}-sidecar-proxy" {{\n\tpolicy = "write"\n}}\n'
        'service_prefix "" {\n\tpolicy = "read"\n}\n'
        'node_prefix "" {\n\tpolicy = "read"\n}'
    )


def _node_identity_rules(name: str) -> str:
    """The synthetic policy of a node identity (``agent/structs/acl_ce.go``)."""
    return (
        f'\nnode "{name}" {{\n\tpolicy = "write"\n}}\nservice_prefix "" {{\n\tpolicy = "read"\n}}'
    )


class ACLStore:
    """The ACL tables (tokens, policies, roles) and token resolution.

    ACL objects live in the primary datacenter: every write takes an index of
    its state (``primary.apply()``) and wakes its blocking queries.
    """

    def __init__(self, agent: AgentCore) -> None:
        self.agent = agent
        self.tokens: dict[str, Token] = {}
        self.policies: dict[str, Policy] = {}
        self.roles: dict[str, Role] = {}
        self.tokens_index = 0
        self.policies_index = 0
        self.roles_index = 0
        #: Index of the bootstrap, once done (``ACLBootstrap`` in the state store).
        self.bootstrap_index = 0

    @property
    def dc(self) -> Datacenter:
        """The primary datacenter, whose index space ACL writes take."""
        return self.agent.primary

    @property
    def enabled(self) -> bool:
        """True if ACLs are on."""
        return self.agent.config.acl_enabled

    # -- start ------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Create what a leader creates at start (``leader.go`` ``initializeACLs``).

        The builtin policies, the initial management token when one is
        configured (which also marks the ACL system bootstrapped), and the
        anonymous token.
        """
        if not self.enabled:
            return
        for policy_id, name, description, rules in BUILTIN_POLICIES:
            policy = Policy(policy_id, name, description, rules, parsed=parse_rules(rules))
            policy.set_hash()
            self.put_policy(policy)
        secret = self.agent.config.acl_initial_management
        if secret:
            token = Token(
                str(uuid.uuid4()),
                secret,
                "Initial Management Token",
                policies=[GLOBAL_MANAGEMENT_ID],
            )
            token.set_hash()
            self.put_token(token)
            self.bootstrap_index = token.create_index
        anonymous = Token(ANONYMOUS_ID, ANONYMOUS_SECRET, "Anonymous Token")
        anonymous.set_hash()
        self.put_token(anonymous)

    # -- writes -------------------------------------------------------------------

    def _apply(self) -> int:
        return self.dc.apply()

    def put_token(self, token: Token) -> Token:
        """Insert or replace ``token`` at a new index."""
        idx = self._apply()
        existing = self.tokens.get(token.accessor_id)
        token.create_index = existing.create_index if existing else idx
        token.modify_index = idx
        self.tokens[token.accessor_id] = token
        self.tokens_index = idx
        self.dc.changed()
        return token

    def delete_token(self, accessor_id: str) -> None:
        idx = self._apply()
        if self.tokens.pop(accessor_id, None) is not None:
            self.tokens_index = idx
            self.dc.changed()

    def put_policy(self, policy: Policy) -> Policy:
        idx = self._apply()
        existing = self.policies.get(policy.id)
        policy.create_index = existing.create_index if existing else idx
        policy.modify_index = idx
        self.policies[policy.id] = policy
        self.policies_index = idx
        self.dc.changed()
        return policy

    def delete_policy(self, policy_id: str) -> None:
        idx = self._apply()
        if self.policies.pop(policy_id, None) is not None:
            self.policies_index = idx
            self.dc.changed()

    def put_role(self, role: Role) -> Role:
        idx = self._apply()
        existing = self.roles.get(role.id)
        role.create_index = existing.create_index if existing else idx
        role.modify_index = idx
        self.roles[role.id] = role
        self.roles_index = idx
        self.dc.changed()
        return role

    def delete_role(self, role_id: str) -> None:
        idx = self._apply()
        if self.roles.pop(role_id, None) is not None:
            self.roles_index = idx
            self.dc.changed()

    # -- lookups ------------------------------------------------------------------

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
        service and node identities (its own and its roles'); a policy whose
        ``Datacenters`` leave this datacenter out does not apply
        (``agent/consul/acl.go`` ``resolvePoliciesForIdentity``).
        """
        here = self.agent.config.datacenter
        policy_ids = list(token.policies)
        services = list(token.service_identities)
        nodes = list(token.node_identities)
        for role_id in token.roles:
            role = self.roles.get(role_id)
            if role is None:
                continue
            policy_ids += role.policies
            services += role.service_identities
            nodes += role.node_identities
        found: list[PolicyRules] = []
        for policy_id in dict.fromkeys(policy_ids):
            policy = self.policies.get(policy_id)
            if policy is None or (policy.datacenters and here not in policy.datacenters):
                continue
            found.append(policy.parsed)
        for service in services:
            datacenters = service.get("Datacenters") or []
            if not datacenters or here in datacenters:
                found.append(parse_rules(_service_identity_rules(service["ServiceName"])))
        for node in nodes:
            if node["Datacenter"] == here:
                found.append(parse_rules(_node_identity_rules(node["NodeName"])))
        return found

    def authorizer_for(self, token: Token) -> TokenAuthorizer:
        """The authorizer of a resolved token."""
        policies = self.identity_policies(token)
        default_allow = self.agent.config.acl_default_policy == "allow"
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
        out["Hash"] = base64.b64encode(role.hash).decode()
        out["CreateIndex"] = role.create_index
        out["ModifyIndex"] = role.modify_index
        return out


def is_uuid(value: str) -> bool:
    """True if go-uuid's ``uuid.ParseUUID`` accepts ``value``."""
    return uuid_error(value) is None
