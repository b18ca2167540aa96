"""The agent's own ACL tokens: ``PUT /v1/agent/token/:type`` (``client.agent.token``).

The tokens an agent uses for itself and for requests without one: its
default token, its agent token, its recovery token, its replication token,
the token of services registered from configuration files and the DNS
token. Setting one needs ``agent:write``, and ACLs enabled (else
:class:`~consul.exceptions.ACLDisabled`). py-consul's names.
"""

from __future__ import annotations

from typing import TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, string
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment

M = TypeVar("M")

__all__ = ["TOKEN_TYPES", "AgentTokens"]

#: The token types Consul takes (their current names; it also takes the legacy ones).
TOKEN_TYPES = (
    "default",
    "agent",
    "agent_recovery",
    "replication",
    "config_file_service_registration",
    "dns",
)


class AgentTokens(Group[M]):
    """Replace the agent's own tokens (``client.agent.token``)."""

    @endpoint
    def set(
        self,
        token_type: str,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/:token_type``: set the agent's ``token_type`` token to ``secret``.

        ``token_type`` is one of :data:`TOKEN_TYPES` (or a legacy name Consul
        still takes, such as ``acl_token``); the secret travels in the body,
        ``token`` is the one the request is made with. Every setter takes ``ns``
        and ``partition`` (Consul Enterprise) as Go's client does; Consul CE's
        handler does not read them.
        """
        return self._set(path_segment(token_type, "token_type"), secret, token, ns, partition)

    def _set(
        self,
        token_type: str,
        secret: str,
        token: str | None,
        ns: str | None,
        partition: str | None,
    ) -> Call[bool]:
        request = self._request(
            "PUT",
            path("agent", "token", token_type),
            token=token,
            dc="",
            json_body={"Token": string(secret, "secret")},
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def set_default(
        self,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/default``: the token of requests that carry none."""
        return self._set("default", secret, token, ns, partition)

    @endpoint
    def set_agent(
        self,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/agent``: the token of the agent's own work (its node)."""
        return self._set("agent", secret, token, ns, partition)

    @endpoint
    def set_agent_recovery(
        self,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/agent_recovery``: the token for the agent when servers are gone."""
        return self._set("agent_recovery", secret, token, ns, partition)

    @endpoint
    def set_replication(
        self,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/replication``: the token a secondary replicates ACLs with."""
        return self._set("replication", secret, token, ns, partition)

    @endpoint
    def set_config_file_service_registration(
        self,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/config_file_service_registration``.

        The token of the services and checks registered from configuration files.
        """
        return self._set("config_file_service_registration", secret, token, ns, partition)

    @endpoint
    def set_dns(
        self,
        secret: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/token/dns``: the token of the agent's DNS answers."""
        return self._set("dns", secret, token, ns, partition)
