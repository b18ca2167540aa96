"""The shapes of Consul's ACL objects, as their JSON comes back (``api/acl.go``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

__all__ = [
    "ACLAuthMethod",
    "ACLAuthMethodListEntry",
    "ACLAuthorization",
    "ACLAuthorizationRequest",
    "ACLBindingRule",
    "ACLPolicy",
    "ACLPolicyStub",
    "ACLReplicationStatus",
    "ACLRole",
    "ACLTemplatedPolicy",
    "ACLTemplatedPolicyResponse",
    "ACLToken",
    "ACLTokenExpanded",
    "BootstrapToken",
    "LegacyACL",
    "Link",
    "NodeIdentity",
    "ServiceIdentity",
    "TemplatedPolicies",
    "TemplatedPolicyVariables",
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


class TemplatedPolicyVariables(TypedDict, total=False):
    """The variables of a templated policy (Consul writes the key in lower case)."""

    name: str


class ACLTemplatedPolicy(TypedDict):
    """A templated policy on a token or role: a builtin template and its variables."""

    TemplateName: str
    TemplateID: NotRequired[str]
    TemplateVariables: NotRequired[TemplatedPolicyVariables]
    Datacenters: NotRequired[list[str]]


class ACLTemplatedPolicyResponse(TypedDict):
    """A builtin template: its rules with ``{{.Name}}`` placeholders, and their schema."""

    TemplateName: str
    Schema: str
    Template: str
    Description: str


class ACLToken(TypedDict):
    """A token (also the shape of each entry of a token list)."""

    AccessorID: str
    SecretID: str
    Description: str
    Policies: NotRequired[list[Link]]
    Roles: NotRequired[list[Link]]
    ServiceIdentities: NotRequired[list[ServiceIdentity]]
    NodeIdentities: NotRequired[list[NodeIdentity]]
    TemplatedPolicies: NotRequired[list[ACLTemplatedPolicy]]
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
    TemplatedPolicies: NotRequired[list[ACLTemplatedPolicy]]
    Hash: str
    CreateIndex: int
    ModifyIndex: int


class ACLAuthMethod(TypedDict):
    """An auth method: how tokens are got by logging in (``MaxTokenTTL`` as ``"10m0s"``)."""

    MaxTokenTTL: NotRequired[str]
    Name: str
    Type: str
    DisplayName: NotRequired[str]
    Description: NotRequired[str]
    TokenLocality: NotRequired[str]
    Config: dict[str, Any] | None
    CreateIndex: int
    ModifyIndex: int


class ACLAuthMethodListEntry(TypedDict):
    """An auth method as listed: no ``Config``."""

    MaxTokenTTL: NotRequired[str]
    Name: str
    Type: str
    DisplayName: NotRequired[str]
    Description: NotRequired[str]
    TokenLocality: NotRequired[str]
    CreateIndex: int
    ModifyIndex: int


class ACLBindingRule(TypedDict):
    """A binding rule: what a login through its auth method links to the new token."""

    ID: str
    Description: str
    AuthMethod: str
    Selector: str
    BindType: str
    BindName: str
    BindVars: NotRequired[TemplatedPolicyVariables]
    CreateIndex: int
    ModifyIndex: int


class ACLReplicationStatus(TypedDict):
    """The state of ACL replication in a datacenter (times in RFC 3339)."""

    Enabled: bool
    Running: bool
    SourceDatacenter: str
    ReplicationType: str
    ReplicatedIndex: int
    ReplicatedRoleIndex: int
    ReplicatedTokenIndex: int
    LastSuccess: str
    LastError: str
    LastErrorMessage: str


class ACLAuthorizationRequest(TypedDict):
    """One question to ``authorize``: may the token have ``Access`` to ``Resource``?

    ``Segment`` names the resource (a key, a service...) where it has names.
    """

    Resource: str
    Segment: NotRequired[str]
    Access: str


class ACLAuthorization(ACLAuthorizationRequest):
    """A question to ``authorize`` and its answer."""

    Allow: bool


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


#: What ``templated_policies=`` takes: see :func:`templated_policies`.
TemplatedPolicies = Sequence[ACLTemplatedPolicy | Mapping[str, Mapping[str, str]] | str]


def templated_policies(value: TemplatedPolicies | None) -> list[dict[str, Any]] | None:
    """Templated policies for a token or role body, checked before any request.

    Each is Consul's shape (``{"TemplateName": ..., "TemplateVariables":
    {"Name": ...}}``), py-consul's (``{"builtin/service": {"Name": "api"}}``)
    or only a template's name (``"builtin/dns"``).
    """
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError("templated_policies must be a list")
    out: list[dict[str, Any]] = []
    for item in value:
        if isinstance(item, str) and item:
            out.append({"TemplateName": item})
        elif isinstance(item, Mapping) and "TemplateName" in item:
            out.append(dict(item))
        elif isinstance(item, Mapping) and len(item) == 1:
            ((name, variables),) = item.items()
            if not isinstance(name, str) or not isinstance(variables, Mapping):
                raise TypeError(f"templated_policies: {item!r} is not {{name: variables}}")
            out.append({"TemplateName": name, "TemplateVariables": dict(variables)})
        else:
            raise TypeError(
                "templated_policies items must be a template name, "
                f"{{name: variables}} or an ACLTemplatedPolicy, not {item!r}"
            )
    return out
