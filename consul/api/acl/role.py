"""ACL roles: ``/v1/acl/role`` (Consul docs: *ACL Roles*)."""

from __future__ import annotations

import builtins
from typing import Any, TypeVar

from ... import _decode as d
from ..._endpoint import Group, endpoint, non_empty
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from ._types import (
    ACLRole,
    NodeIdentity,
    ServiceIdentity,
    TemplatedPolicies,
    links,
    templated_policies,
)

M = TypeVar("M")

__all__ = ["Role"]


def _role_body(
    name: str,
    description: str,
    policies_id: builtins.list[str] | None,
    policies_name: builtins.list[str] | None,
    service_identities: builtins.list[ServiceIdentity] | None,
    node_identities: builtins.list[NodeIdentity] | None,
    templated: TemplatedPolicies | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": non_empty(name, "name")}
    if description:
        body["Description"] = description
    policies = links(policies_id, policies_name, "policies")
    if policies:
        body["Policies"] = policies
    if service_identities:
        body["ServiceIdentities"] = list(service_identities)
    if node_identities:
        body["NodeIdentities"] = list(node_identities)
    if templated_list := templated_policies(templated):
        body["TemplatedPolicies"] = templated_list
    return body


class Role(Group[M]):
    """Create, read, update and delete ACL roles: policies and identities tokens link as one."""

    @endpoint
    def create(
        self,
        name: str,
        token: str | None = None,
        description: str = "",
        policies_id: builtins.list[str] | None = None,
        policies_name: builtins.list[str] | None = None,
        service_identities: builtins.list[ServiceIdentity] | None = None,
        node_identities: builtins.list[NodeIdentity] | None = None,
        templated_policies: TemplatedPolicies | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLRole]:
        """``PUT /v1/acl/role``: a new role (``templated_policies`` as for tokens)."""
        body = _role_body(
            name,
            description,
            policies_id,
            policies_name,
            service_identities,
            node_identities,
            templated_policies,
        )
        request = self._request(
            "PUT", path("acl", "role"), token=token, json_body=body, ns=ns, partition=partition
        )
        return Call(request, d.json)

    @endpoint
    def read(
        self,
        role_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLRole | None]:
        """``GET /v1/acl/role/:id``: the role, or None if there is none."""
        request = self._request(
            "GET",
            path("acl", "role", path_segment(role_id, "role_id")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def read_by_name(
        self,
        name: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLRole | None]:
        """``GET /v1/acl/role/name/:name``: the role, or None if there is none."""
        request = self._request(
            "GET",
            path("acl", "role", "name", path_segment(name, "name")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def update(
        self,
        role_id: str,
        name: str,
        token: str | None = None,
        description: str = "",
        policies_id: builtins.list[str] | None = None,
        policies_name: builtins.list[str] | None = None,
        service_identities: builtins.list[ServiceIdentity] | None = None,
        node_identities: builtins.list[NodeIdentity] | None = None,
        templated_policies: TemplatedPolicies | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLRole]:
        """``PUT /v1/acl/role/:id``: replace the role (what is not given is cleared)."""
        body = _role_body(
            name,
            description,
            policies_id,
            policies_name,
            service_identities,
            node_identities,
            templated_policies,
        )
        body["ID"] = path_segment(role_id, "role_id")
        request = self._request(
            "PUT",
            path("acl", "role", role_id),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def delete(
        self,
        role_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/acl/role/:id``: True (also if there was no such role)."""
        request = self._request(
            "DELETE",
            path("acl", "role", path_segment(role_id, "role_id")),
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
        policy: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[ACLRole]]:
        """``GET /v1/acl/roles``: every role, or those linking the policy ``policy`` (an ID)."""
        params = [("policy", policy)] if policy else []
        request = self._request(
            "GET", path("acl", "roles"), params, token=token, ns=ns, partition=partition
        )
        return Call(request, d.json)
