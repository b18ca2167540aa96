"""The shapes of Consul's ACL objects, as their JSON comes back (``api/acl.go``)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

__all__ = [
    "ACLPolicy",
    "ACLPolicyStub",
    "ACLRole",
    "ACLToken",
    "ACLTokenExpanded",
    "BootstrapToken",
    "LegacyACL",
    "Link",
    "NodeIdentity",
    "ServiceIdentity",
]


class Link(TypedDict):
    """A policy or role link: its ID and current name."""

    ID: str
    Name: str


class ServiceIdentity(TypedDict):
    """A service identity: the rights of a service and its sidecar proxy."""

    ServiceName: str
    Datacenters: NotRequired[list[str]]


class NodeIdentity(TypedDict):
    """A node identity: the rights of a node, in one datacenter."""

    NodeName: str
    Datacenter: str


class ACLToken(TypedDict):
    """A token (also the shape of each entry of a token list)."""

    AccessorID: str
    SecretID: str
    Description: str
    Policies: NotRequired[list[Link]]
    Roles: NotRequired[list[Link]]
    ServiceIdentities: NotRequired[list[ServiceIdentity]]
    NodeIdentities: NotRequired[list[NodeIdentity]]
    Local: bool
    AuthMethod: NotRequired[str]
    ExpirationTime: NotRequired[str]
    CreateTime: str
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class ACLTokenExpanded(ACLToken):
    """A token read with ``expanded=True``: also what it resolves to."""

    ExpandedPolicies: list[ACLPolicy]
    ExpandedRoles: list[ACLRole]
    NamespaceDefaultPolicyIDs: list[str] | None
    NamespaceDefaultRoleIDs: list[str] | None
    AgentACLDefaultPolicy: str
    AgentACLDownPolicy: str
    ResolvedByAgent: str


class BootstrapToken(ACLToken):
    """The token ``/v1/acl/bootstrap`` made; ``ID`` repeats its secret."""

    ID: str


class ACLPolicy(TypedDict):
    """A policy."""

    ID: str
    Name: str
    Description: str
    Rules: str
    Datacenters: NotRequired[list[str]]
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class ACLPolicyStub(TypedDict):
    """A policy as listed: no rules."""

    ID: str
    Name: str
    Description: str
    Datacenters: list[str] | None
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class ACLRole(TypedDict):
    """A role: policies and identities a token can link as one."""

    ID: str
    Name: str
    Description: str
    Policies: NotRequired[list[Link]]
    ServiceIdentities: NotRequired[list[ServiceIdentity]]
    NodeIdentities: NotRequired[list[NodeIdentity]]
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class LegacyACL(TypedDict):
    """An ACL as the legacy API (Consul before 1.11) described it."""

    CreateIndex: int
    ModifyIndex: int
    ID: str
    Name: str
    Type: str
    Rules: str


def links(ids: list[str] | None, names: list[str] | None, what: str) -> list[dict[str, str]]:
    """Policy or role links from IDs and names, checked before any request."""
    out: list[dict[str, str]] = []
    for key, values in (("ID", ids), ("Name", names)):
        if values is None:
            continue
        given: object = values
        if isinstance(given, str) or not all(isinstance(v, str) and v for v in values):
            raise TypeError(f"{what}_{key.lower()} must be a list of non-empty strings")
        out.extend({key: v} for v in values)
    return out
