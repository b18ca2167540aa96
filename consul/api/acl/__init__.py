"""Access control lists: ``/v1/acl`` (Consul docs: *ACLs*).

``acl.token``, ``acl.policy`` and ``acl.role`` (also ``tokens``, ``policies``,
``roles``) are the current ACL system; ``acl.bootstrap`` makes its first
management token. ``acl.list/info/create/update/clone/destroy`` are
python-consul's legacy ACL methods, kept working on current Consul (see
:mod:`consul.api.acl._legacy`); each warns with a ``DeprecationWarning``
naming its replacement.
"""

from __future__ import annotations

import builtins
import warnings
from typing import TYPE_CHECKING, Any, TypeVar

from ... import _decode as d
from ..._endpoint import Group, endpoint, flow, non_empty
from ..._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, path
from . import _legacy
from ._types import (
    ACLPolicy,
    ACLPolicyStub,
    ACLRole,
    ACLToken,
    ACLTokenExpanded,
    BootstrapToken,
    LegacyACL,
    Link,
    NodeIdentity,
    ServiceIdentity,
)
from .policy import Policy, rules_text
from .role import Role
from .token import Token

if TYPE_CHECKING:
    from ...base import ConsulBase

M = TypeVar("M")

__all__ = [
    "ACL",
    "ACLPolicy",
    "ACLPolicyStub",
    "ACLRole",
    "ACLToken",
    "ACLTokenExpanded",
    "BootstrapToken",
    "LegacyACL",
    "Link",
    "NodeIdentity",
    "Policy",
    "Role",
    "ServiceIdentity",
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
    """Consul's ACL system: tokens, policies, roles, and the legacy methods."""

    def __init__(self, client: ConsulBase[M]) -> None:
        super().__init__(client)
        self.token: Token[M] = Token(client)
        self.tokens = self.token
        self.policy: Policy[M] = Policy(client)
        self.policies = self.policy
        self.role: Role[M] = Role(client)
        self.roles = self.role

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
