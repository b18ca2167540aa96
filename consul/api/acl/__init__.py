"""Access control lists: ``/v1/acl`` (Consul docs: *ACLs*).

``acl.token``, ``acl.policy``, ``acl.role`` and ``acl.templated_policy``
(also ``tokens``, ``policies``, ``roles``, ``templated_policies``) are the
current ACL system; ``acl.bootstrap`` makes its first management token.
``acl.auth_method`` and ``acl.binding_rule`` (also ``auth_methods``,
``binding_rules``) say how ``acl.login`` turns a bearer token into a Consul
token; ``acl.logout`` deletes it. ``acl.authorize`` asks what a token may do,
``acl.replication`` how ACL replication fares.
``acl.list/info/create/update/clone/destroy`` are
python-consul's legacy ACL methods, kept working on current Consul (see
:mod:`consul.api.acl._legacy`); each warns with a ``DeprecationWarning``
naming its replacement.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ... import _decode as d
from ..._endpoint import Group, endpoint, flow, non_empty, str_map
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, path
from . import _legacy
from ._types import (
    ACLAuthMethod,
    ACLAuthMethodListEntry,
    ACLAuthorization,
    ACLAuthorizationRequest,
    ACLBindingRule,
    ACLPolicy,
    ACLPolicyStub,
    ACLReplicationStatus,
    ACLRole,
    ACLTemplatedPolicy,
    ACLTemplatedPolicyResponse,
    ACLToken,
    ACLTokenExpanded,
    BootstrapToken,
    LegacyACL,
    Link,
    NodeIdentity,
    ServiceIdentity,
    TemplatedPolicies,
    TemplatedPolicyVariables,
)
from .auth_method import AuthMethod
from .binding_rule import BindingRule
from .policy import Policy, rules_text
from .role import Role
from .templated_policy import TemplatedPolicy
from .token import Token

if TYPE_CHECKING:
    from ...base import ConsulBase

M = TypeVar("M")

__all__ = [
    "ACL",
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
    "AuthMethod",
    "BindingRule",
    "BootstrapToken",
    "LegacyACL",
    "Link",
    "NodeIdentity",
    "Policy",
    "Role",
    "ServiceIdentity",
    "TemplatedPolicies",
    "TemplatedPolicy",
    "TemplatedPolicyVariables",
    "Token",
]


def _deprecated(old: str, new: str) -> None:
    # stacklevel 4: warn here, the legacy method, the endpoint descriptor's
    # wrapper, then the caller's line. The method itself warns (not its flow,
    # which runs later and, for some clients, on another thread).
    warnings.warn(
        f"acl.{old}() uses the legacy ACL API that Consul removed in 1.11; it is "
        f"emulated with tokens and policies. Use {new} instead.",
        DeprecationWarning,
        stacklevel=4,
    )


def _legacy_type(type: str | None) -> str | None:
    if type not in (None, "client", "management"):
        raise ValueError(f"type must be 'client' or 'management', not {type!r}")
    return type


def _legacy_rules(rules: str | dict[str, Any] | None) -> str | None:
    return None if rules is None else rules_text(rules)


class ACL(Group[M]):
    """Consul's ACL system: tokens, policies, roles, and the legacy methods.

    ``login``, ``logout``, ``replication`` and the OIDC calls take ``ns`` and
    ``partition`` (Consul Enterprise) as Go's client does: Consul CE refuses
    them on ``login`` and does not read them on ``logout`` and
    ``replication`` (``agent/acl_endpoint.go``).
    """

    def __init__(self, client: ConsulBase[M]) -> None:
        super().__init__(client)
        self.token: Token[M] = Token(client)
        self.tokens = self.token
        self.policy: Policy[M] = Policy(client)
        self.policies = self.policy
        self.role: Role[M] = Role(client)
        self.roles = self.role
        self.templated_policy: TemplatedPolicy[M] = TemplatedPolicy(client)
        self.templated_policies = self.templated_policy
        self.auth_method: AuthMethod[M] = AuthMethod(client)
        self.auth_methods = self.auth_method
        self.binding_rule: BindingRule[M] = BindingRule(client)
        self.binding_rules = self.binding_rule

    @endpoint
    def bootstrap(
        self, bootstrap_secret: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Call[BootstrapToken]:
        """``PUT /v1/acl/bootstrap``: the first management token, once per cluster.

        ``bootstrap_secret`` chooses its secret. Once done, Consul answers
        ``ACLPermissionDenied`` (``ACL bootstrap no longer allowed``).
        """
        body = {"BootstrapSecret": bootstrap_secret} if bootstrap_secret else None
        request = self._request("PUT", path("acl", "bootstrap"), json_body=body)
        return Call(request, d.json)

    @endpoint
    def login(
        self,
        auth_method: str,
        bearer_token: str,
        meta: Mapping[str, str] | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken]:
        """``POST /v1/acl/login``: a new token for ``bearer_token``, verified by ``auth_method``.

        The auth method checks the bearer token (a JWT, a Kubernetes service
        account token...); its binding rules say what the new token is linked
        to. ``meta`` goes into its description. The request carries no token
        of the client's. A bearer token the auth method refuses is a
        ``ServerError``; one that no binding rule binds to anything,
        ``ACLPermissionDenied``. ``ns`` and ``partition`` (Consul Enterprise)
        are where the auth method is.
        """
        body: dict[str, Any] = {
            "AuthMethod": non_empty(auth_method, "auth_method"),
            "BearerToken": non_empty(bearer_token, "bearer_token"),
        }
        meta_map = str_map(meta, "meta")
        if meta_map:
            body["Meta"] = meta_map
        request = self._request(
            "POST", path("acl", "login"), token="", json_body=body, ns=ns, partition=partition
        )
        return Call(request, d.json)

    @endpoint
    def logout(
        self,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``POST /v1/acl/logout``: delete ``token`` (a login's secret), True.

        Without ``token``, the client's. Only tokens made by ``login`` can
        log out (others: ``ACLPermissionDenied``).
        """
        if not (token if token is not None else self._client.token):
            raise ValueError("logout needs the secret of a token made by login: pass token=")
        request = self._request(
            "POST", path("acl", "logout"), token=token, ns=ns, partition=partition
        )
        return Call(request, d.true)

    @endpoint
    def oidc_auth_url(
        self,
        auth_method: str,
        redirect_uri: str,
        client_nonce: str = "",
        meta: Mapping[str, str] | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``POST /v1/acl/oidc/auth-url``: where to send a user to log in (Enterprise).

        The authorization URL of an ``oidc`` auth method's provider. Consul
        CE does not serve it (``NotFound``).
        """
        body: dict[str, Any] = {
            "AuthMethod": non_empty(auth_method, "auth_method"),
            "RedirectURI": non_empty(redirect_uri, "redirect_uri"),
            "ClientNonce": client_nonce,
        }
        meta_map = str_map(meta, "meta")
        if meta_map:
            body["Meta"] = meta_map
        request = self._request(
            "POST",
            path("acl", "oidc", "auth-url"),
            token="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.field("AuthURL"))

    @endpoint
    def oidc_callback(
        self,
        auth_method: str,
        state: str,
        code: str,
        client_nonce: str = "",
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLToken]:
        """``POST /v1/acl/oidc/callback``: the token of a finished OIDC login (Enterprise).

        ``state`` and ``code`` are what the provider redirected back with.
        Consul CE does not serve it (``NotFound``).
        """
        body = {
            "AuthMethod": non_empty(auth_method, "auth_method"),
            "State": non_empty(state, "state"),
            "Code": non_empty(code, "code"),
            "ClientNonce": client_nonce,
        }
        request = self._request(
            "POST",
            path("acl", "oidc", "callback"),
            token="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def replication(
        self,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ACLReplicationStatus]:
        """``GET /v1/acl/replication``: how ACL replication into ``dc`` fares (no ACL needed)."""
        request = self._request(
            "GET", path("acl", "replication"), token=token, dc=dc, ns=ns, partition=partition
        )
        return Call(request, d.json)

    @endpoint
    def authorize(
        self,
        requests: Sequence[ACLAuthorizationRequest],
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[ACLAuthorization]]:
        """``POST /v1/internal/acl/authorize``: may the token do each of ``requests``?

        Each request is ``{"Resource": "service", "Segment": "web", "Access":
        "read"}`` (``Segment`` for the resources that have names; ``Access``
        ``read`` or ``write``, and for keys also ``list`` and
        ``write-prefix``); the answer repeats each with ``Allow``. At most 64
        at once; an unknown resource or access is ``BadRequest``.
        """
        if isinstance(requests, str | bytes | Mapping) or not isinstance(requests, Sequence):
            raise TypeError("requests must be a list of {Resource, Segment, Access} mappings")
        body = [str_map(cast("Mapping[str, str]", item), "requests") for item in requests]
        request = self._request(
            "POST", path("internal", "acl", "authorize"), token=token, dc=dc, json_body=body
        )
        return Call(request, d.json)

    # -- python-consul's legacy methods -------------------------------------------

    @flow
    def info(
        self, acl_id: str, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Flow[LegacyACL | None]:
        """The legacy ACL whose ID (secret) is ``acl_id``, or None (deprecated).

        Reads the token with ``GET /v1/acl/token/self`` and its rules policy
        with ``GET /v1/acl/policy/:id``. Use ``acl.token.read_self``.
        """
        _deprecated("info", "acl.token.read_self(token=...) or acl.token.read(accessor_id)")
        return _legacy.info(self._request, non_empty(acl_id, "acl_id"), token)

    @flow
    def create(
        self,
        name: str | None = None,
        type: str | None = "client",
        rules: str | dict[str, Any] | None = None,
        acl_id: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Flow[str]:
        """Create a legacy ACL; its ID, the secret of the new token (deprecated).

        A ``management`` ACL links the ``global-management`` policy; the
        legacy ``rules`` of a ``client`` one go, translated, into a policy of
        their own (``PUT /v1/acl/policy``, then ``PUT /v1/acl/token``).
        ``acl_id`` must be a UUID on current Consul. Use ``acl.token.create``
        and ``acl.policy.create``.
        """
        _deprecated("create", "acl.token.create() with acl.policy.create()")
        return _legacy.create(
            self._request, name, _legacy_type(type), _legacy_rules(rules), acl_id, token
        )

    @flow
    def update(
        self,
        acl_id: str,
        name: str | None = None,
        type: str | None = None,
        rules: str | dict[str, Any] | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Flow[str]:
        """Change a legacy ACL's name, type or rules; its ID (deprecated).

        What is not given is kept. Use ``acl.token.update`` and
        ``acl.policy.update``.
        """
        _deprecated("update", "acl.token.update() with acl.policy.update()")
        return _legacy.update(
            self._request,
            non_empty(acl_id, "acl_id"),
            name,
            _legacy_type(type),
            _legacy_rules(rules),
            token,
        )

    @flow
    def clone(
        self, acl_id: str, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Flow[str]:
        """Copy a legacy ACL; the new one's ID (deprecated). Use ``acl.token.clone``."""
        _deprecated("clone", "acl.token.clone()")
        return _legacy.clone(self._request, non_empty(acl_id, "acl_id"), token)

    @flow
    def destroy(
        self, acl_id: str, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Flow[bool]:
        """Delete a legacy ACL and its rules policy; True (deprecated).

        Use ``acl.token.delete``.
        """
        _deprecated("destroy", "acl.token.delete()")
        return _legacy.destroy(self._request, non_empty(acl_id, "acl_id"), token)

    # Defined last: later annotations in the class body would read ``list``
    # as this method.
    @flow
    def list(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Flow[builtins.list[LegacyACL]]:
        """Every token as a legacy ACL, ordered by ID (deprecated).

        ``GET /v1/acl/tokens`` and the rules policies. Use ``acl.token.list``.
        """
        _deprecated("list", "acl.token.list()")
        return _legacy.listing(self._request, token)
