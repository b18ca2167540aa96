"""The agent's own ACL tokens (``agent/token/store.go``).

An agent keeps a few tokens of its own: the default (``user``) token, used
by requests that carry none and by syncs of registrations made without one;
the ``agent`` token, for its own node; the recovery token; the replication
token; the token of services registered from configuration files; and the
DNS token. They start from the configuration and are replaced at run time
with ``PUT /v1/agent/token/:type`` (``AgentToken``). They belong to the agent,
not to the cluster: a snapshot neither saves nor restores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import AgentConfig

__all__ = ["TOKEN_TARGETS", "AgentTokens"]

#: The targets ``PUT /v1/agent/token/:target`` takes, with their legacy
#: names (``agent/agent_endpoint.go`` ``AgentToken``), and the attribute each sets.
TOKEN_TARGETS = {
    "default": "user",
    "acl_token": "user",
    "agent": "agent",
    "acl_agent_token": "agent",
    "agent_recovery": "agent_recovery",
    "agent_master": "agent_recovery",
    "acl_agent_master_token": "agent_recovery",
    "replication": "replication",
    "acl_replication_token": "replication",
    "config_file_service_registration": "config_file_registration",
    "dns": "dns",
    "dns_token": "dns",
}


@dataclass
class AgentTokens:
    """The agent's tokens (``token.Store``); empty strings are none."""

    user: str = ""
    agent: str = ""
    agent_recovery: str = ""
    replication: str = ""
    config_file_registration: str = ""
    dns: str = ""

    @classmethod
    def from_config(cls, config: AgentConfig) -> AgentTokens:
        """The tokens the configuration gives (``acl.tokens``)."""
        return cls(user=config.acl_default_token, agent=config.acl_agent_token)
