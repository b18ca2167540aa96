"""The Connect CA: ``/v1/connect/ca`` (``client.connect.ca``); ``client.connect``.

Its root certificates and its configuration, py-consul's names
(``client.connect.ca.roots``, ``client.connect.ca.configuration``); setting
the configuration (py-consul has no such call) is Go's ``CASetConfig``.
The agent's own view of the CA (its roots, leaf certificates) is
``client.agent.connect.ca``. ``client.connect`` holds this group and the
intentions' (``client.connect.intentions``, :mod:`.intentions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, flag, mapping, non_empty
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Response, path
from .intentions import ConnectIntentions

if TYPE_CHECKING:
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = ["CAConfiguration", "CARoot", "CARoots", "Connect", "ConnectCA"]


class CARoot(TypedDict):
    """One root certificate of the CA (``structs.CARoot``)."""

    ID: str
    Name: str
    SerialNumber: int
    SigningKeyID: str
    ExternalTrustDomain: str
    NotBefore: str
    NotAfter: str
    RootCert: str
    IntermediateCerts: list[str] | None
    Active: bool
    PrivateKeyType: str
    PrivateKeyBits: int
    CreateIndex: int
    ModifyIndex: int


class CARoots(TypedDict):
    """The CA's roots, the one that signs, and the trust domain (``structs.IndexedCARoots``)."""

    ActiveRootID: str
    TrustDomain: str
    Roots: list[CARoot]


class CAConfiguration(TypedDict):
    """The CA provider and its configuration (``structs.CAConfiguration``)."""

    Provider: str
    Config: dict[str, Any]
    State: dict[str, str] | None
    ForceWithoutCrossSigning: bool
    CreateIndex: int
    ModifyIndex: int


def _pem_text(response: Response) -> str:
    """The body of a ``?pem=true`` answer: the PEM chain as text."""
    return d.check(response).body.decode("ascii")


class ConnectCA(Group[M]):
    """The Connect CA of a datacenter (``client.connect.ca``).

    Every call takes ``ns`` and ``partition`` (Consul Enterprise) as Go's
    client does; the CA is the datacenter's, and Consul CE's handlers do not
    read them (``agent/connect_ca_endpoint.go``).
    """

    @endpoint
    def roots(
        self,
        pem: bool = False,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Any]:
        """``GET /v1/connect/ca/roots``: the CA's root certificates. No ACL is needed.

        A :class:`CARoots` (``ActiveRootID`` names the root that signs); with
        ``pem=True``, every root certificate as one PEM text instead.
        """
        params = (("pem", "true"),) if flag(pem, "pem") else ()
        request = self._request(
            "GET",
            path("connect", "ca", "roots"),
            params,
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, _pem_text if pem else d.json)

    @endpoint
    def configuration(
        self,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[CAConfiguration]:
        """``GET /v1/connect/ca/configuration``: the CA provider and its configuration.

        Needs ``operator:write`` (the configuration may hold the provider's secrets).
        """
        request = self._request(
            "GET",
            path("connect", "ca", "configuration"),
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def set_configuration(
        self,
        provider: str,
        config: Mapping[str, Any] | None = None,
        force_without_cross_signing: bool = False,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/connect/ca/configuration``: replace the CA configuration (``operator:write``).

        ``provider`` is ``consul``, ``vault`` or ``aws-pca``; ``config`` its
        settings (``LeafCertTTL``, ``PrivateKeyType``...). A new key, or a
        new provider, makes a new root the active one; the old root is kept.
        True once done.
        """
        body: dict[str, Any] = {
            "Provider": non_empty(provider, "provider"),
            "Config": mapping(config, "config") or {},
        }
        if flag(force_without_cross_signing, "force_without_cross_signing"):
            body["ForceWithoutCrossSigning"] = True
        request = self._request(
            "PUT",
            path("connect", "ca", "configuration"),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)


class Connect(Group[M]):
    """Connect, the service mesh (``client.connect``).

    Its CA is ``client.connect.ca``, its intentions ``client.connect.intentions``.
    """

    def __init__(self, client: ConsulBase[M]) -> None:
        super().__init__(client)
        self.ca: ConnectCA[M] = ConnectCA(client)
        self.intentions: ConnectIntentions[M] = ConnectIntentions(client)
