"""Connect on the local agent: ``/v1/agent/connect`` (``client.agent.connect``).

Whether a connection may be made (``authorize``), and the agent's view of
the Connect CA: its roots and the leaf certificate of a service
(``client.agent.connect.ca``). py-consul's names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, non_empty, optional_str
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment

if TYPE_CHECKING:
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = ["AgentConnect", "AgentConnectCA", "ConnectAuthorization"]


class ConnectAuthorization(TypedDict):
    """Whether a connection is allowed, and why."""

    Authorized: bool
    Reason: str


class AgentConnectCA(Group[M]):
    """The Connect CA as the agent serves it (``client.agent.connect.ca``)."""

    @endpoint
    def roots(
        self,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, Any]]:
        """``GET /v1/agent/connect/ca/roots``: the CA's root certificates.

        ``ActiveRootID`` names the one that signs, ``Roots`` has them all.
        ``ns`` and ``partition`` (Consul Enterprise) are sent as Go's client
        sends them; the roots are the same in every one of them.
        """
        request = self._request(
            "GET",
            path("agent", "connect", "ca", "roots"),
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def leaf(
        self,
        service: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, Any]]:
        """``GET /v1/agent/connect/ca/leaf/:service``: a leaf certificate for ``service`` (a name).

        Needs ``service:write`` on it. The answer has the certificate and its
        private key (``CertPEM``, ``PrivateKeyPEM``) and when it is valid.
        ``ns`` and ``partition`` (Consul Enterprise) name the service's
        namespace and partition.
        """
        request = self._request(
            "GET",
            path("agent", "connect", "ca", "leaf", path_segment(service, "service")),
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)


class AgentConnect(Group[M]):
    """Connect authorization and the CA on the agent (``client.agent.connect``)."""

    def __init__(self, client: ConsulBase[M]) -> None:
        super().__init__(client)
        self.ca: AgentConnectCA[M] = AgentConnectCA(client)

    @endpoint
    def authorize(
        self,
        target: str,
        client_cert_uri: str,
        client_cert_serial: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ConnectAuthorization]:
        """``POST /v1/agent/connect/authorize``: may a client connect to ``target``?

        ``client_cert_uri`` is the client certificate's SPIFFE ID
        (``spiffe://<trust domain>/ns/default/dc/dc1/svc/web``). Needs
        ``service:write`` on ``target``. (py-consul sends a ``PUT``, which
        Consul refuses with 405; this sends the ``POST`` Consul takes.)
        """
        body = {
            "Target": non_empty(target, "target"),
            "ClientCertURI": non_empty(client_cert_uri, "client_cert_uri"),
        }
        if optional_str(client_cert_serial, "client_cert_serial"):
            body["ClientCertSerial"] = client_cert_serial or ""
        request = self._request(
            "POST", path("agent", "connect", "authorize"), token=token, dc="", json_body=body
        )
        return Call(request, d.json)
