"""Configuration entries: ``/v1/config`` (Consul docs: *Config*), ``client.config``.

py-consul's group and method names (``client.config.get``, ``list``,
``set``, ``delete``); reads return an :class:`~consul.Indexed` pair and
block as the other reads do. An entry is a mapping with its ``Kind`` (and,
but for ``mesh``, its ``Name``) and the kind's fields in Consul's spelling;
the TypedDicts here describe the kinds this client knows. Consul answers
with every field of the kind's Go struct, empty structs included.

``client.config`` also answers the attributes of the client's settings
(``client.config.base_url``, ``client.config.timeout``...), which are
:attr:`client.settings <consul.base.ConsulBase.settings>`.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, mapping, optional_uint64
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Response, path, path_segment

if TYPE_CHECKING:
    from .._meta import Indexed

M = TypeVar("M")

__all__ = [
    "Config",
    "ConfigEntry",
    "ExportedServicesEntry",
    "IngressGatewayEntry",
    "MeshEntry",
    "MeshGatewayConfig",
    "ProxyDefaultsEntry",
    "ServiceDefaultsEntry",
    "ServiceResolverEntry",
    "ServiceRouterEntry",
    "ServiceSplitterEntry",
    "TerminatingGatewayEntry",
    "TransparentProxyConfig",
]


class ConfigEntry(TypedDict, total=False):
    """What every configuration entry has (Consul answers with its kind's other fields)."""

    Kind: str
    Name: str
    Meta: dict[str, str]
    CreateIndex: int
    ModifyIndex: int


class MeshGatewayConfig(TypedDict, total=False):
    """How a proxy reaches other datacenters (``Mode``: ``local``, ``remote`` or ``none``)."""

    Mode: str


class TransparentProxyConfig(TypedDict, total=False):
    """Transparent proxy settings of a service."""

    OutboundListenerPort: int
    DialedDirectly: bool


class ServiceDefaultsEntry(ConfigEntry, total=False):
    """A ``service-defaults`` entry: one service's defaults (``Protocol``...)."""

    Protocol: str
    Mode: str
    TransparentProxy: TransparentProxyConfig
    MutualTLSMode: str
    MeshGateway: MeshGatewayConfig
    Expose: dict[str, Any]
    ExternalSNI: str
    UpstreamConfig: dict[str, Any]
    Destination: dict[str, Any]
    MaxInboundConnections: int
    LocalConnectTimeoutMs: int
    LocalRequestTimeoutMs: int
    BalanceInboundConnections: str
    EnvoyExtensions: list[dict[str, Any]]
    Hash: int


class ProxyDefaultsEntry(ConfigEntry, total=False):
    """The ``proxy-defaults`` entry (its one name is ``global``): every proxy's defaults."""

    Config: dict[str, Any] | None
    Mode: str
    TransparentProxy: TransparentProxyConfig
    MutualTLSMode: str
    MeshGateway: MeshGatewayConfig
    Expose: dict[str, Any]
    AccessLogs: dict[str, Any]
    EnvoyExtensions: list[dict[str, Any]]
    FailoverPolicy: dict[str, Any]
    PrioritizeByLocality: dict[str, Any]
    Hash: int


class MeshEntry(TypedDict, total=False):
    """The ``mesh`` entry (no ``Name``: it is always ``mesh``): the mesh's own settings."""

    Kind: str
    TransparentProxy: dict[str, bool]
    AllowEnablingPermissiveMutualTLS: bool
    TLS: dict[str, Any]
    HTTP: dict[str, bool]
    Peering: dict[str, bool]
    Meta: dict[str, str]
    CreateIndex: int
    ModifyIndex: int


class ServiceRouterEntry(ConfigEntry, total=False):
    """A ``service-router`` entry: L7 routes (``Match``, ``Destination``) of a service."""

    Routes: list[dict[str, Any]]


class ServiceSplitterEntry(ConfigEntry, total=False):
    """A ``service-splitter`` entry: ``Splits``, whose weights add up to 100."""

    Splits: list[dict[str, Any]]


class ServiceResolverEntry(ConfigEntry, total=False):
    """A ``service-resolver`` entry: subsets, redirect, failover, timeouts (``"5s"``)."""

    DefaultSubset: str
    Subsets: dict[str, dict[str, Any]]
    Redirect: dict[str, Any]
    Failover: dict[str, dict[str, Any]]
    ConnectTimeout: str
    RequestTimeout: str
    PrioritizeByLocality: dict[str, Any]
    LoadBalancer: dict[str, Any]


class IngressGatewayEntry(ConfigEntry, total=False):
    """An ``ingress-gateway`` entry: its ``Listeners`` (``Port``, ``Protocol``, ``Services``)."""

    TLS: dict[str, Any]
    Listeners: list[dict[str, Any]] | None
    Defaults: dict[str, Any]
    Hash: int


class TerminatingGatewayEntry(ConfigEntry, total=False):
    """A ``terminating-gateway`` entry: the ``Services`` it reaches (TLS files, ``SNI``)."""

    Services: list[dict[str, Any]] | None
    Hash: int


class ExportedServicesEntry(ConfigEntry, total=False):
    """The ``exported-services`` entry (named ``default``): ``Services`` and their ``Consumers``."""

    Services: list[dict[str, Any]]


def _cas(value: int | None) -> tuple[tuple[str, str], ...]:
    """``?cas``: a ``ModifyIndex`` (0: only if the entry does not exist)."""
    if (value := optional_uint64(value, "cas")) is None:
        return ()
    return (("cas", str(value)),)


def _entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a write: a mapping whose ``Kind`` (or ``kind``) is a non-empty string."""
    body = mapping(entry, "entry")
    assert body is not None
    kind = body.get("Kind", body.get("kind"))
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"entry must have a Kind, a non-empty str: {kind!r}")
    return body


def _deleted(response: Response) -> bool:
    """A delete's answer: ``{}`` without ``?cas`` (done), else whether the entry went."""
    answer = d.json(response)
    return answer if isinstance(answer, bool) else True


class Config(Group[M]):
    """Configuration entries (``client.config``).

    The client's settings are :attr:`client.settings
    <consul.base.ConsulBase.settings>`; their attributes are read here too,
    as they were before this group existed (``client.config.timeout``).
    """

    def __getattr__(self, name: str) -> Any:
        # Only called for what the group does not have: the settings' attributes.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._client.settings, name)

    @endpoint
    def get(
        self,
        kind: str,
        name: str,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[ConfigEntry | None]]:
        """``GET /v1/config/:kind/:name``: one entry, or None if there is none.

        Needs what the kind's reads need (``service:read`` on the service
        for ``service-defaults``; nothing for ``proxy-defaults`` and
        ``mesh``). ``index`` and ``wait`` block until this entry changes (a
        missing entry: until it appears). An unknown kind is a
        :class:`~consul.ServerError`.
        """
        return self._read(
            path("config", path_segment(kind, "kind"), path_segment(name, "name")),
            d.or_none(d.json),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def list(
        self,
        kind: str,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        filter_expr: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[builtins.list[ConfigEntry]]]:
        """``GET /v1/config/:kind``: the entries of ``kind`` the token may read, by name.

        ``filter_expr`` filters them (Consul takes it for ``service-defaults``
        only). Blocking as :meth:`get`, on any entry of the kind; an empty
        list blocks until an entry appears.
        """
        return self._read(
            path("config", path_segment(kind, "kind")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def set(
        self,
        entry: Mapping[str, Any],
        cas: int | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/config``: create or replace an entry, its kind taken from ``Kind``.

        ``cas``: write only if the entry's ``ModifyIndex`` is still this (0:
        only if it does not exist yet). True once written, False if the
        check failed. Consul writes to the primary datacenter, which the
        others copy. Its decoding errors (an unknown key, a wrong type) are
        :class:`~consul.BadRequest`, its validation errors
        :class:`~consul.ServerError`.
        """
        request = self._request(
            "PUT",
            path("config"),
            _cas(cas),
            token=token,
            dc=dc,
            json_body=_entry(entry),
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    @endpoint
    def delete(
        self,
        kind: str,
        name: str,
        cas: int | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/config/:kind/:name``: delete an entry (none there is no error).

        ``cas``: delete only if its ``ModifyIndex`` is still this. True once
        done, False if the check failed.
        """
        request = self._request(
            "DELETE",
            path("config", path_segment(kind, "kind"), path_segment(name, "name")),
            _cas(cas),
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, _deleted)
