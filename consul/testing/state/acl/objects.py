"""The ACL objects: tokens, policies and roles, with their hashes and JSON.

``structs.ACLToken``, ``ACLPolicy`` and ``ACLRole`` (``agent/structs/acl.go``),
the builtin policies and well-known IDs, and the synthetic policies of
service and node identities (``agent/structs/acl_ce.go``).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import re
from typing import Any

from ..golang import uuid_error
from ..structs import NodeIdentity, ServiceIdentity, TemplatedPolicy
from .rules import PolicyRules

__all__ = [
    "ANONYMOUS_ID",
    "ANONYMOUS_SECRET",
    "BUILTIN_POLICIES",
    "GLOBAL_MANAGEMENT_ID",
    "GLOBAL_READ_ONLY_ID",
    "REDACTED",
    "RESERVED_PREFIX",
    "Policy",
    "Role",
    "Token",
    "format_time",
    "is_uuid",
    "node_identity_rules",
    "service_identity_rules",
    "valid_identity_name",
    "valid_policy_name",
    "valid_role_name",
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


def _identity_parts(
    services: list[ServiceIdentity],
    nodes: list[NodeIdentity],
    templated: list[TemplatedPolicy],
) -> list[str]:
    parts: list[str] = []
    for service in services:
        parts.append(service["ServiceName"])
        parts.extend(service.get("Datacenters") or [])
    for node in nodes:
        parts.extend((node["NodeName"], node["Datacenter"]))
    for policy in templated:
        # ACLTemplatedPolicy.AddToHash
        parts.extend((policy.get("TemplateID", ""), policy.get("TemplateName", "")))
        variables = policy.get("TemplateVariables")
        if variables is not None:
            parts.append(variables.get("name", ""))
        parts.extend(policy.get("Datacenters") or [])
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
    service_identities: list[ServiceIdentity] = dataclasses.field(default_factory=list)
    node_identities: list[NodeIdentity] = dataclasses.field(default_factory=list)
    templated_policies: list[TemplatedPolicy] = dataclasses.field(default_factory=list)
    hash: bytes = b""
    create_index: int = 0
    modify_index: int = 0

    def set_hash(self) -> None:
        parts = [self.name, self.description, *self.policies]
        parts += _identity_parts(
            self.service_identities, self.node_identities, self.templated_policies
        )
        self.hash = _hash(*parts)


@dataclasses.dataclass
class Token:
    """``structs.ACLToken``."""

    accessor_id: str
    secret_id: str
    description: str = ""
    policies: list[str] = dataclasses.field(default_factory=list)
    roles: list[str] = dataclasses.field(default_factory=list)
    service_identities: list[ServiceIdentity] = dataclasses.field(default_factory=list)
    node_identities: list[NodeIdentity] = dataclasses.field(default_factory=list)
    templated_policies: list[TemplatedPolicy] = dataclasses.field(default_factory=list)
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
        parts += _identity_parts(
            self.service_identities, self.node_identities, self.templated_policies
        )
        self.hash = _hash(*parts)

    def expired(self, now: datetime.datetime | None = None) -> bool:
        """``IsExpired``."""
        if self.expiration_time is None:
            return False
        return self.expiration_time < (now or _now())


def service_identity_rules(name: str) -> str:
    """The synthetic policy of a service identity (``agent/structs/acl_ce.go``)."""
    return (
        f'\nservice "{name}" {{\n\tpolicy = "write"\n}}\n'
        f'service "{name}-sidecar-proxy" {{\n\tpolicy = "write"\n}}\n'
        'service_prefix "" {\n\tpolicy = "read"\n}\n'
        'node_prefix "" {\n\tpolicy = "read"\n}'
    )


def node_identity_rules(name: str) -> str:
    """The synthetic policy of a node identity (``agent/structs/acl_ce.go``)."""
    return (
        f'\nnode "{name}" {{\n\tpolicy = "write"\n}}\nservice_prefix "" {{\n\tpolicy = "read"\n}}'
    )


_VALID_IDENTITY_NAME = re.compile(r"^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$")


def valid_identity_name(name: str) -> bool:
    """``acl.IsValidServiceIdentityName`` (and the node one, which is the same rule)."""
    return 0 < len(name) <= 256 and bool(_VALID_IDENTITY_NAME.match(name))


_VALID_POLICY_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,128}$")
_VALID_ROLE_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")


def valid_policy_name(name: str) -> bool:
    """``acl.IsValidPolicyName`` (also ``IsValidAuthMethodName``: the same rule)."""
    return bool(_VALID_POLICY_NAME.match(name))


def valid_role_name(name: str) -> bool:
    """``acl.IsValidRoleName``."""
    return bool(_VALID_ROLE_NAME.match(name))


def is_uuid(value: str) -> bool:
    """True if go-uuid's ``uuid.ParseUUID`` accepts ``value``."""
    return uuid_error(value) is None
