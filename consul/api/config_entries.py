"""The shapes of more kinds of configuration entries, for :class:`~consul.api.config.Config`.

The API gateway family (``api-gateway``, the ``bound-api-gateway`` its
controller writes, ``http-route``, ``tcp-route``, ``inline-certificate``,
``file-system-certificate``), ``jwt-provider`` and ``sameness-group`` (a
Consul Enterprise feature that Consul CE refuses), after Consul's
``api/config_entry_gateways.go``, ``config_entry_routes.go``,
``config_entry_inline_certificate.go``,
``config_entry_file_system_certificate.go``, ``config_entry_jwt_provider.go``,
``config_entry_sameness_group.go`` and ``config_entry_status.go``. Fields
are spelled as Consul answers them; nested settings Consul may extend are
plain mappings.
"""

from __future__ import annotations

from typing import Any, TypedDict

from .config import ConfigEntry

__all__ = [
    "APIGatewayEntry",
    "APIGatewayListener",
    "APIGatewayTLSConfiguration",
    "BoundAPIGatewayEntry",
    "BoundAPIGatewayListener",
    "ConfigEntryStatus",
    "FileSystemCertificateEntry",
    "GatewayCondition",
    "HTTPMatch",
    "HTTPRouteEntry",
    "HTTPRouteRule",
    "HTTPService",
    "InlineCertificateEntry",
    "JWTProviderEntry",
    "ResourceReference",
    "SamenessGroupEntry",
    "SamenessGroupMember",
    "TCPRouteEntry",
    "TCPService",
]


class ResourceReference(TypedDict, total=False):
    """A reference to another entry (``Kind``, ``Name``), or to a part of it (``SectionName``)."""

    Kind: str
    Name: str
    SectionName: str
    Partition: str
    Namespace: str


class GatewayCondition(TypedDict, total=False):
    """One condition a controller reports (``Type``: ``Accepted``, ``Bound``...)."""

    Type: str
    Status: str
    Reason: str
    Message: str
    Resource: ResourceReference | None
    LastTransitionTime: str | None


class ConfigEntryStatus(TypedDict, total=False):
    """What the controllers report about a gateway or route; a write's own is ignored."""

    Conditions: list[GatewayCondition] | None


class APIGatewayTLSConfiguration(TypedDict, total=False):
    """A listener's TLS: certificate entries, TLS versions (``TLSv1_2``...), cipher suites."""

    Certificates: list[ResourceReference] | None
    MaxVersion: str
    MinVersion: str
    CipherSuites: list[str] | None


class APIGatewayListener(TypedDict, total=False):
    """One listener of an API gateway (``Protocol``: ``http`` or ``tcp``)."""

    Name: str
    Hostname: str
    Port: int
    Protocol: str
    TLS: APIGatewayTLSConfiguration
    Override: dict[str, Any]
    Default: dict[str, Any]


class APIGatewayEntry(ConfigEntry, total=False):
    """An ``api-gateway`` entry: its listeners, and the status its controller reports."""

    Listeners: list[APIGatewayListener] | None
    Status: ConfigEntryStatus
    Hash: int


class BoundAPIGatewayListener(TypedDict, total=False):
    """A listener of a bound gateway: the routes and certificates bound to it."""

    Name: str
    Routes: list[ResourceReference] | None
    Certificates: list[ResourceReference] | None


class BoundAPIGatewayEntry(ConfigEntry, total=False):
    """A ``bound-api-gateway`` entry: written by Consul's controller only, never by a client."""

    Listeners: list[BoundAPIGatewayListener] | None
    Services: dict[str, list[ResourceReference]] | None
    Hash: int


class HTTPMatch(TypedDict, total=False):
    """What a request must match: ``Headers``, ``Method``, ``Path``, ``Query``."""

    Headers: list[dict[str, str]] | None
    Method: str
    Path: dict[str, str]
    Query: list[dict[str, str]] | None


class HTTPService(TypedDict, total=False):
    """A service an HTTP rule sends requests to, with its weight and filters."""

    Name: str
    Weight: int
    Filters: dict[str, Any]
    ResponseFilters: dict[str, Any]
    Partition: str
    Namespace: str


class HTTPRouteRule(TypedDict, total=False):
    """One rule of an HTTP route: its matches, filters and services."""

    Filters: dict[str, Any]
    ResponseFilters: dict[str, Any]
    Matches: list[HTTPMatch] | None
    Services: list[HTTPService] | None


class HTTPRouteEntry(ConfigEntry, total=False):
    """An ``http-route`` entry: the gateways (``Parents``) it binds to, its rules and hosts."""

    Parents: list[ResourceReference] | None
    Rules: list[HTTPRouteRule] | None
    Hostnames: list[str] | None
    Status: ConfigEntryStatus
    Hash: int


class TCPService(TypedDict, total=False):
    """The service a TCP route sends connections to."""

    Name: str
    Partition: str
    Namespace: str


class TCPRouteEntry(ConfigEntry, total=False):
    """A ``tcp-route`` entry: its gateways and (at most) one service."""

    Parents: list[ResourceReference] | None
    Services: list[TCPService] | None
    Status: ConfigEntryStatus
    Hash: int


class InlineCertificateEntry(ConfigEntry, total=False):
    """An ``inline-certificate`` entry: a certificate and its private key, in PEM."""

    Certificate: str
    PrivateKey: str
    Hash: int


class FileSystemCertificateEntry(ConfigEntry, total=False):
    """A ``file-system-certificate`` entry: the paths of a certificate and key on the gateway."""

    Certificate: str
    PrivateKey: str
    Hash: int


class JWTProviderEntry(ConfigEntry, total=False):
    """A ``jwt-provider`` entry: where its keys are (``JSONWebKeySet``), what tokens it accepts."""

    JSONWebKeySet: dict[str, Any]
    Issuer: str
    Audiences: list[str]
    Locations: list[dict[str, Any]]
    Forwarding: dict[str, Any]
    ClockSkewSeconds: int
    CacheConfig: dict[str, int]
    Hash: int


class SamenessGroupMember(TypedDict, total=False):
    """A member of a sameness group: a partition or a cluster peer."""

    Partition: str
    Peer: str


class SamenessGroupEntry(ConfigEntry, total=False):
    """A ``sameness-group`` entry (Consul Enterprise; Consul CE refuses it)."""

    DefaultForFailover: bool
    IncludeLocal: bool
    Members: list[SamenessGroupMember] | None
    Hash: int
