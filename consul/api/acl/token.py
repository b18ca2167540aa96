"""ACL tokens: ``/v1/acl/token`` (Consul docs: *ACL Tokens*)."""

from __future__ import annotations

import builtins
import datetime
from typing import Any, TypeVar

from ... import _decode as d
from ..._endpoint import Group, duration, endpoint, string
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from ._types import (
    ACLToken,
    ACLTokenExpanded,
    NodeIdentity,
    ServiceIdentity,
    TemplatedPolicies,
    links,
    templated_policies,
)

M = TypeVar("M")

__all__ = ["Token"]


def _accessor(accessor_id: str) -> str:
    """An AccessorID for ``/v1/acl/token/:id``; ``self`` would name ``/v1/acl/token/self``.

    Consul registers that path on its own (``agent/http_register.go``): a
    read of ``self`` would answer with the caller's own token.
    """
    if path_segment(accessor_id, "accessor_id") == "self":
        raise ValueError("accessor_id 'self' is not an AccessorID: use read_self()")
    return accessor_id


def _token_body(
    description: str,
    policies_id: builtins.list[str] | None,
    policies_name: builtins.list[str] | None,
    roles_id: builtins.list[str] | None,
    roles_name: builtins.list[str] | None,
    service_identities: builtins.list[ServiceIdentity] | None,
    node_identities: builtins.list[NodeIdentity] | None,
    templated: TemplatedPolicies | None,
    local: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Description": string(description, "description")}
    policies = links(policies_id, policies_name, "policies")
    if policies:
        body["Policies"] = policies
    roles = links(roles_id, roles_name, "roles")
    if roles:
        body["Roles"] = roles
    if service_identities:
        body["ServiceIdentities"] = list(service_identities)
    if node_identities:
        body["NodeIdentities"] = list(node_identities)
    if templated_list := templated_policies(templated):
        body["TemplatedPolicies"] = templated_list
    if local:
        body["Local"] = True
    return body


def _rfc3339(moment: datetime.datetime | str) -> str:
    """An expiration time as Consul reads it (RFC 3339); a naive datetime is refused."""
    if isinstance(moment, str):
        try:
            parsed = datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"expiration_time must be RFC 3339, not {moment!r}") from None
        if parsed.tzinfo is None:
            raise ValueError(f"expiration_time must have a time zone: {moment!r}")
        return moment
    if not isinstance(moment, datetime.datetime):
        kind = type(moment).__name__  # type: ignore[unreachable]  # untyped callers
        raise TypeError(f"expiration_time must be a datetime or a str, not {kind}")
    if moment.tzinfo is None:
        raise ValueError("expiration_time must be an aware datetime (with a time zone)")
    return moment.isoformat()


class Token(Group[M]):
    """Create, read, update, clone and delete ACL tokens.

    A token has an ``AccessorID`` (its name, used in these paths) and a
    ``SecretID`` (what requests carry as their token). Listing and reading
    need ``acl:read`` (secrets are hidden without ``acl:write``), every write
    needs ``acl:write``. ``token=`` is the token of the request itself.
    """

    @endpoint
    def create(
        self,
        token: str | None = None,
        accessor_id: str | None = None,
        secret_id: str | None = None,
        policies_id: builtins.list[str] | None = None,
        description: str = "",
        policies_name: builtins.list[str] | None = None,
        roles_id: builtins.list[str] | None = None,
        roles_name: builtins.list[str] | None = None,
        service_identities: builtins.list[ServiceIdentity] | None = None,
        node_identities: builtins.list[NodeIdentity] | None = None,
        local: bool = False,
        expiration_ttl: str | float | None = None,
        templated_policies: TemplatedPolicies | None = None,
        expiration_time: datetime.datetime | str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken]:
        """``PUT /v1/acl/token``: a new token linked to policies, roles and identities.

        ``accessor_id`` and ``secret_id`` (UUIDs) are generated unless given.
        Policies and roles link by ID or by name. ``templated_policies``
        link builtin templates: ``["builtin/dns", {"builtin/service":
        {"Name": "api"}}]``, or Consul's ``{"TemplateName": ...,
        "TemplateVariables": ...}``. ``expiration_ttl`` (seconds, or a
        duration such as ``"1h"``) or ``expiration_time`` (an aware
        ``datetime`` or RFC 3339 text) makes the token expire, 1 minute to 24
        hours from now.
        """
        body = _token_body(
            description,
            policies_id,
            policies_name,
            roles_id,
            roles_name,
            service_identities,
            node_identities,
            templated_policies,
            local,
        )
        if accessor_id:
            body["AccessorID"] = accessor_id
        if secret_id:
            body["SecretID"] = secret_id
        if expiration_ttl is not None:
            body["ExpirationTTL"] = duration(expiration_ttl, "expiration_ttl")[0]
        if expiration_time is not None:
            body["ExpirationTime"] = _rfc3339(expiration_time)
        request = self._request(
            "PUT", path("acl", "token"), token=token, json_body=body, ns=ns, partition=partition
        )
        return Call(request, d.json)

    @endpoint
    def read(
        self,
        accessor_id: str,
        token: str | None = None,
        expanded: bool = False,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken | ACLTokenExpanded | None]:
        """``GET /v1/acl/token/:AccessorID``: the token, or None if there is none.

        ``expanded=True`` adds the policies and roles it resolves to.
        """
        params = [("expanded", "")] if expanded else []
        request = self._request(
            "GET",
            path("acl", "token", _accessor(accessor_id)),
            params,
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def read_self(
        self,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken | None]:
        """``GET /v1/acl/token/self``: the token whose secret the request carries.

        No privilege is needed; None if the secret belongs to no token.
        """
        request = self._request(
            "GET", path("acl", "token", "self"), token=token, ns=ns, partition=partition
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def update(
        self,
        accessor_id: str,
        token: str | None = None,
        secret_id: str | None = None,
        description: str = "",
        policies_id: builtins.list[str] | None = None,
        policies_name: builtins.list[str] | None = None,
        roles_id: builtins.list[str] | None = None,
        roles_name: builtins.list[str] | None = None,
        service_identities: builtins.list[ServiceIdentity] | None = None,
        node_identities: builtins.list[NodeIdentity] | None = None,
        local: bool = False,
        templated_policies: TemplatedPolicies | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken]:
        """``PUT /v1/acl/token/:AccessorID``: replace the token's description and links.

        What is not given is cleared, as in Consul. The secret, ``local`` and
        the expiration cannot change.
        """
        body = _token_body(
            description,
            policies_id,
            policies_name,
            roles_id,
            roles_name,
            service_identities,
            node_identities,
            templated_policies,
            local,
        )
        body["AccessorID"] = _accessor(accessor_id)
        if secret_id:
            body["SecretID"] = secret_id
        request = self._request(
            "PUT",
            path("acl", "token", accessor_id),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def clone(
        self,
        accessor_id: str,
        token: str | None = None,
        description: str = "",
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken]:
        """``PUT /v1/acl/token/:AccessorID/clone``: a new token with the same links."""
        body = {"Description": description} if description else {}
        request = self._request(
            "PUT",
            path("acl", "token", _accessor(accessor_id), "clone"),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def delete(
        self,
        accessor_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/acl/token/:AccessorID``: True (also if there was no such token)."""
        request = self._request(
            "DELETE",
            path("acl", "token", _accessor(accessor_id)),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    # Defined last: in the class body, later annotations would read ``list``
    # as this method rather than the builtin.
    @endpoint
    def list(
        self,
        token: str | None = None,
        policy: str | None = None,
        role: str | None = None,
        authmethod: str | None = None,
        servicename: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[ACLToken]]:
        """``GET /v1/acl/tokens``: every token, or those linked to a policy, role...

        ``policy`` and ``role`` are IDs, ``authmethod`` an auth method's name,
        ``servicename`` the name of a service identity.
        """
        params = [
            (name, value)
            for name, value in (
                ("policy", policy),
                ("role", role),
                ("authmethod", authmethod),
                ("servicename", servicename),
            )
            if value
        ]
        request = self._request(
            "GET", path("acl", "tokens"), params, token=token, ns=ns, partition=partition
        )
        return Call(request, d.json)
