"""ACL rules: a policy's ``Rules`` (HCL or JSON) decoded and validated.

As ``acl/policy.go`` does it (``NewPolicyFromSource``), with Consul's error
texts. Unknown resources are ignored, as Go's HCL decoder ignores them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from ..golang import quote as go_quote
from ..hcl import HCLError, Items
from ..hcl import parse as parse_hcl

__all__ = [
    "DENY",
    "LIST",
    "READ",
    "RESOURCES",
    "SINGLE",
    "WRITE",
    "PolicyRules",
    "Rule",
    "RulesError",
    "parse_rules",
]

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
class Resource:
    """How one named resource appears in rules and in Go's ``%#v`` of its rule."""

    hcl: str
    attr: str
    go_type: str
    name_field: str
    enterprise: bool
    intentions: bool = False


RESOURCES = (
    Resource("agent", "agents", "AgentRule", "Node", False),
    Resource("agent_prefix", "agent_prefixes", "AgentRule", "Node", False),
    Resource("key", "keys", "KeyRule", "Prefix", True),
    Resource("key_prefix", "key_prefixes", "KeyRule", "Prefix", True),
    Resource("node", "nodes", "NodeRule", "Name", True),
    Resource("node_prefix", "node_prefixes", "NodeRule", "Name", True),
    Resource("service", "services", "ServiceRule", "Name", True, intentions=True),
    Resource("service_prefix", "service_prefixes", "ServiceRule", "Name", True, intentions=True),
    Resource("session", "sessions", "SessionRule", "Node", False),
    Resource("session_prefix", "session_prefixes", "SessionRule", "Node", False),
    Resource("event", "events", "EventRule", "Event", False),
    Resource("event_prefix", "event_prefixes", "EventRule", "Event", False),
    Resource("query", "queries", "PreparedQueryRule", "Prefix", False),
    Resource("query_prefix", "query_prefixes", "PreparedQueryRule", "Prefix", False),
)
_BY_HCL = {r.hcl: r for r in RESOURCES}
SINGLE = ("acl", "keyring", "operator", "mesh", "peering")


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


def _decode(text: str) -> Items:
    try:
        return parse_hcl(text)
    except HCLError as exc:
        raise RulesError(f"Failed to parse ACL rules: {exc}") from None


def _entries(value: Any) -> Iterator[tuple[str, Any]]:
    """The ``(name, body)`` entries of a block resource, in any of HCL's shapes."""
    if isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, Items):
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


def _check_duplicates(items: Items) -> None:
    seen: set[str] = set()
    for key, value in items:
        if isinstance(value, dict | Items | list):
            continue
        if key in seen:
            raise RulesError(
                f'Failed to parse ACL rules: The argument "{key}" was already set. '
                "Each argument can only be defined once"
            )
        seen.add(key)


def _rule(resource: Resource, name: str, body: Any) -> Rule:
    policy = intentions = ""
    if isinstance(body, dict):
        body = Items(body.items())
    if isinstance(body, list) and not isinstance(body, Items):
        merged = Items()
        for part in body:
            merged.extend(part.items() if isinstance(part, dict) else part)
        body = merged
    if not isinstance(body, Items):
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


def _go_rule(resource: Resource, rule: Rule) -> str:
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
        if key in SINGLE:
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
    for resource in RESOURCES:
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
