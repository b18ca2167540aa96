"""ACL auth methods: ``/v1/acl/auth-method`` (Consul docs: *ACL Auth Methods*)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, TypeVar

from ... import _decode as d
from ..._endpoint import Group, duration_field, endpoint, mapping, non_empty, optional_str
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from ._types import ACLAuthMethod, ACLAuthMethodListEntry

M = TypeVar("M")

__all__ = ["AuthMethod"]


def _method_body(
    name: str,
    method_type: str | None,
    display_name: str,
    description: str,
    config: Mapping[str, Any] | None,
    max_token_ttl: str | float | None,
    token_locality: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": path_segment(name, "name")}
    if method_type:
        body["Type"] = method_type
    if display_name:
        body["DisplayName"] = display_name
    if description:
        body["Description"] = description
    if max_token_ttl is not None:
        body["MaxTokenTTL"] = duration_field(max_token_ttl, "max_token_ttl")
    if optional_str(token_locality, "token_locality"):
        body["TokenLocality"] = token_locality
    config_map = mapping(config, "config")
    if config_map is not None:
        body["Config"] = config_map
    return body


class AuthMethod(Group[M]):
    """Create, read, update and delete the auth methods tokens are got from by logging in.

    The types Consul CE knows are ``kubernetes``, ``jwt`` and ``aws-iam``
    (``oidc`` is Enterprise); ``config`` holds the type's settings. Reading
    needs ``acl:read``, writing ``acl:write``. py-consul's
    ``token_name_format`` is not taken: it is no Consul field (Consul refuses
    the body with ``BadRequest``).
    """

    @endpoint
    def create(
        self,
        name: str,
        method_type: str,
        token: str | None = None,
        display_name: str = "",
        description: str = "",
        config: Mapping[str, Any] | None = None,
        max_token_ttl: str | float | None = None,
        token_locality: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLAuthMethod]:
        """``PUT /v1/acl/auth-method``: a new auth method.

        ``max_token_ttl`` (seconds, or a duration such as ``"10m"``) makes
        the tokens of its logins expire; ``token_locality`` is ``"local"``
        (the default) or ``"global"``.
        """
        body = _method_body(
            name,
            non_empty(method_type, "method_type"),
            display_name,
            description,
            config,
            max_token_ttl,
            token_locality,
        )
        request = self._request(
            "PUT",
            path("acl", "auth-method"),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def update(
        self,
        name: str,
        method_type: str | None = None,
        token: str | None = None,
        display_name: str = "",
        description: str = "",
        config: Mapping[str, Any] | None = None,
        max_token_ttl: str | float | None = None,
        token_locality: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLAuthMethod]:
        """``PUT /v1/acl/auth-method/:name``: replace the auth method's settings.

        The type cannot change (without ``method_type`` the current one is
        kept); what else is not given is cleared, as in Consul.
        """
        body = _method_body(
            name,
            optional_str(method_type, "method_type"),
            display_name,
            description,
            config,
            max_token_ttl,
            token_locality,
        )
        request = self._request(
            "PUT",
            path("acl", "auth-method", name),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def read(
        self,
        name: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLAuthMethod | None]:
        """``GET /v1/acl/auth-method/:name``: the auth method, or None if there is none."""
        request = self._request(
            "GET",
            path("acl", "auth-method", path_segment(name, "name")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def delete(
        self,
        name: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/acl/auth-method/:name``: True (also if there was none).

        Its binding rules, and the tokens its logins made, go with it.
        """
        request = self._request(
            "DELETE",
            path("acl", "auth-method", path_segment(name, "name")),
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
    ) -> Call[builtins.list[ACLAuthMethodListEntry]]:
        """``GET /v1/acl/auth-methods``: every auth method, without its ``Config``."""
        request = self._request(
            "GET", path("acl", "auth-methods"), token=token, ns=ns, partition=partition
        )
        return Call(request, d.json)
