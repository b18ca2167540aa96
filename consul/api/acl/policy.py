"""ACL policies: ``/v1/acl/policy`` (Consul docs: *ACL Policies*)."""

from __future__ import annotations

import builtins
import json
from typing import Any, TypeVar

from ... import _decode as d
from ..._endpoint import Group, endpoint, non_empty
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from ._types import ACLPolicy, ACLPolicyStub

M = TypeVar("M")

__all__ = ["Policy", "rules_text"]


def rules_text(rules: str | dict[str, Any] | None) -> str:
    """Policy rules as Consul takes them: HCL or JSON text, or a dict sent as JSON."""
    if rules is None:
        return ""
    if isinstance(rules, str):
        return rules
    if isinstance(rules, dict):
        return json.dumps(rules)
    raise TypeError(f"rules must be a str or a dict, not {type(rules).__name__}")


def _policy_body(
    name: str,
    description: str | None,
    rules: str | dict[str, Any] | None,
    datacenters: builtins.list[str] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": non_empty(name, "name")}
    if description:
        body["Description"] = description
    body["Rules"] = rules_text(rules)
    if datacenters is not None:
        names: object = datacenters
        if isinstance(names, str) or not all(isinstance(n, str) for n in datacenters):
            raise TypeError("datacenters must be a list of datacenter names")
        body["Datacenters"] = list(datacenters)
    return body


class Policy(Group[M]):
    """Create, read, update and delete ACL policies: named sets of rules.

    ``rules`` are HCL or JSON text (a dict is sent as JSON). Reading needs
    ``acl:read``, writing ``acl:write``.
    """

    @endpoint
    def create(
        self,
        name: str,
        token: str | None = None,
        description: str | None = None,
        rules: str | dict[str, Any] | None = None,
        datacenters: builtins.list[str] | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLPolicy]:
        """``PUT /v1/acl/policy``: a new policy (``datacenters``: where it applies)."""
        body = _policy_body(name, description, rules, datacenters)
        request = self._request(
            "PUT", path("acl", "policy"), token=token, json_body=body, ns=ns, partition=partition
        )
        return Call(request, d.json)

    @endpoint
    def read(
        self,
        uuid: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLPolicy | None]:
        """``GET /v1/acl/policy/:id``: the policy, or None if there is none."""
        request = self._request(
            "GET",
            path("acl", "policy", path_segment(uuid, "uuid")),
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
    ) -> Call[ACLPolicy | None]:
        """``GET /v1/acl/policy/name/:name``: the policy, or None if there is none."""
        request = self._request(
            "GET",
            path("acl", "policy", "name", path_segment(name, "name")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def update(
        self,
        policy_id: str,
        name: str,
        token: str | None = None,
        description: str | None = None,
        rules: str | dict[str, Any] | None = None,
        datacenters: builtins.list[str] | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLPolicy]:
        """``PUT /v1/acl/policy/:id``: replace the policy's name, description and rules."""
        body = _policy_body(name, description, rules, datacenters)
        body["ID"] = path_segment(policy_id, "policy_id")
        request = self._request(
            "PUT",
            path("acl", "policy", policy_id),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def delete(
        self,
        policy_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/acl/policy/:id``: True (also if there was no such policy)."""
        request = self._request(
            "DELETE",
            path("acl", "policy", path_segment(policy_id, "policy_id")),
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
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[ACLPolicyStub]]:
        """``GET /v1/acl/policies``: every policy, without its rules."""
        request = self._request(
            "GET", path("acl", "policies"), token=token, ns=ns, partition=partition
        )
        return Call(request, d.json)
