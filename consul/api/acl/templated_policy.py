"""ACL templated policies: ``/v1/acl/templated-policy`` (Consul docs: *ACL Templated Policies*).

Consul's builtin policy templates (``builtin/service``, ``builtin/node``,
``builtin/dns``...), which tokens and roles link with ``templated_policies=``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TypeVar

from ... import _decode as d
from ..._endpoint import Group, endpoint, str_map
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from ._types import ACLPolicy, ACLTemplatedPolicyResponse

M = TypeVar("M")

__all__ = ["TemplatedPolicy"]


class TemplatedPolicy(Group[M]):
    """List, read and preview the builtin templated policies (``acl:read``).

    A template's name holds a ``/`` (``builtin/service``); it goes into the
    path as it is, as Consul's Go client sends it (Consul reads the rest of
    the path as the name). ``ns`` and ``partition`` are for Consul Enterprise.
    """

    @endpoint
    def read(
        self,
        name: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLTemplatedPolicyResponse]:
        """``GET /v1/acl/templated-policy/name/:name``: one template.

        Consul answers an unknown name with ``BadRequest`` (a 400, not a 404).
        """
        request = self._request(
            "GET",
            path("acl", "templated-policy", "name", tail=path_tail(name, "name")),
            token=token,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def preview(
        self,
        name: str,
        template_variables: Mapping[str, str] | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLPolicy]:
        """``POST /v1/acl/templated-policy/preview/:name``: the policy the template renders.

        ``template_variables`` are its variables (``{"Name": "api"}``); the
        answer is the synthetic policy a token linking it would hold.
        """
        body = str_map(template_variables, "template_variables") or {}
        request = self._request(
            "POST",
            path("acl", "templated-policy", "preview", tail=path_tail(name, "name")),
            token=token,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

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
    ) -> Call[builtins.dict[str, ACLTemplatedPolicyResponse]]:
        """``GET /v1/acl/templated-policies``: every template, by name."""
        request = self._request(
            "GET", path("acl", "templated-policies"), token=token, ns=ns, partition=partition
        )
        return Call(request, d.json)
