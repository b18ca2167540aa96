"""ACLs of the embedded agent: the authorizer every endpoint asks.

Endpoints ask a request's :class:`Authorizer` (``ctx.authz``) the questions
Consul's ``acl.Authorizer`` answers (``acl/authorizer.go``), one method each,
and refuse with ``ctx.require(...)`` or filter their results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._agent import AgentCore

__all__ = ["ALLOW_ALL", "ACLStore", "Authorizer"]


class Authorizer:
    """What a token may do. This base class allows everything (ACLs disabled).

    Resource names follow Consul: sessions and agents are named by node name,
    events by event name, queries by prefix.
    """

    #: The token's AccessorID, for permission-denied messages.
    accessor_id: str = ""
    #: True for the anonymous token (its denials say so).
    anonymous: bool = False

    def acl_read(self) -> bool:
        return True

    def acl_write(self) -> bool:
        return True

    def agent_read(self, node: str) -> bool:
        return True

    def agent_write(self, node: str) -> bool:
        return True

    def event_read(self, name: str) -> bool:
        return True

    def event_write(self, name: str) -> bool:
        return True

    def key_read(self, key: str) -> bool:
        return True

    def key_list(self, prefix: str) -> bool:
        return True

    def key_write(self, key: str) -> bool:
        return True

    def key_write_prefix(self, prefix: str) -> bool:
        return True

    def keyring_read(self) -> bool:
        return True

    def keyring_write(self) -> bool:
        return True

    def node_read(self, name: str) -> bool:
        return True

    def node_read_all(self) -> bool:
        return True

    def node_write(self, name: str) -> bool:
        return True

    def operator_read(self) -> bool:
        return True

    def operator_write(self) -> bool:
        return True

    def query_read(self, prefix: str) -> bool:
        return True

    def query_write(self, prefix: str) -> bool:
        return True

    def service_read(self, name: str) -> bool:
        return True

    def service_read_all(self) -> bool:
        return True

    def service_write(self, name: str) -> bool:
        return True

    def service_write_any(self) -> bool:
        return True

    def session_read(self, node: str) -> bool:
        return True

    def session_write(self, node: str) -> bool:
        return True

    def mesh_read(self) -> bool:
        return True

    def mesh_write(self) -> bool:
        return True

    def peering_read(self) -> bool:
        return True

    def peering_write(self) -> bool:
        return True

    def snapshot(self) -> bool:
        return True

    def denied_message(self, permission: str, resource: str | None) -> str:
        """Consul's permission-denied text (``acl/errors.go`` ``PermissionDeniedByACL``)."""
        subject = (
            "anonymous token" if self.anonymous else f"token with AccessorID '{self.accessor_id}'"
        )
        text = f"Permission denied: {subject} lacks permission '{permission}'"
        if resource is not None:
            text += f' on "{resource}"'
        if self.anonymous:
            text += (
                ". The anonymous token is used implicitly when a request does not specify a token."
            )
        return text


#: The authorizer of every request while ACLs are disabled.
ALLOW_ALL = Authorizer()


class ACLStore:
    """The ACL tables (tokens, policies, roles) and token resolution."""

    def __init__(self, agent: AgentCore) -> None:
        self.agent = agent

    def bootstrap(self) -> None:
        """Create what a leader creates at start (anonymous token, management...)."""

    @property
    def enabled(self) -> bool:
        """True if ACLs are on."""
        return self.agent.config.acl_enabled

    def authorizer(self, secret: str) -> Authorizer:
        """The authorizer for token ``secret`` (403 ``ACL not found`` if unknown)."""
        if not self.enabled:
            return ALLOW_ALL
        raise NotImplementedError("ACL enforcement is not written yet")
