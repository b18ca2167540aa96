"""The ``jwt-provider`` kind: a JSON Web Token issuer intentions can require.

After ``agent/structs/config_entry_jwt_provider.go``: the key set (local,
or fetched from a URI with its retry policy and cluster), where tokens are
found, how verified tokens are forwarded. Normalize sets the clock skew to
its default (30 seconds). Read with ``service:write`` on any service or
``mesh:read``; written with ``mesh:write``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import multierror, quote
from ..gotypes import ANY, BOOL, DURATION, INT, STRING, Field, Ptr, Slice, named, omitempty, struct
from .registry import Denied, Entry, Kind, can_write_mesh
from .types import HASH, META, entry_hash, validate_meta

if TYPE_CHECKING:
    from ..acl.authorizer import Authorizer

__all__ = ["JWT_PROVIDER", "KIND"]

LOCAL_JWKS = struct("structs.LocalJWKS", JWKS=omitempty(STRING), Filename=omitempty(STRING))
RETRY_POLICY = struct(
    "structs.JWKSRetryPolicy",
    aliases={"num_retries": "NumRetries", "retry_policy_back_off": "RetryPolicyBackOff"},
    NumRetries=omitempty(INT),
    RetryPolicyBackOff=omitempty(
        Ptr(
            struct(
                "structs.RetryPolicyBackOff",
                aliases={"base_interval": "BaseInterval", "max_interval": "MaxInterval"},
                BaseInterval=omitempty(DURATION),
                MaxInterval=omitempty(DURATION),
            )
        )
    ),
)
TRUSTED_CA = struct(
    "structs.JWKSTLSCertTrustedCA",
    aliases={
        "filename": "Filename",
        "environment_variable": "EnvironmentVariable",
        "inline_string": "InlineString",
        "inline_bytes": "InlineBytes",
    },
    Filename=omitempty(STRING),
    EnvironmentVariable=omitempty(STRING),
    InlineString=omitempty(STRING),
    # A []byte: kept as the body gave it (Consul would take a string's bytes).
    InlineBytes=Field("", ANY, opaque=True, omitempty=True),
)
TLS_CERTIFICATES = struct(
    "structs.JWKSTLSCertificate",
    aliases={
        "ca_certificate_provider_instance": "CaCertificateProviderInstance",
        "trusted_ca": "TrustedCA",
    },
    CaCertificateProviderInstance=omitempty(
        Ptr(
            struct(
                "structs.JWKSTLSCertProviderInstance",
                aliases={"instance_name": "InstanceName", "certificate_name": "CertificateName"},
                InstanceName=omitempty(STRING),
                CertificateName=omitempty(STRING),
            )
        )
    ),
    TrustedCA=omitempty(Ptr(TRUSTED_CA)),
)
JWKS_CLUSTER = struct(
    "structs.JWKSCluster",
    aliases={
        "discovery_type": "DiscoveryType",
        "tls_certificates": "TLSCertificates",
        "connect_timeout": "ConnectTimeout",
    },
    DiscoveryType=omitempty(named("structs.ClusterDiscoveryType")),
    TLSCertificates=omitempty(Ptr(TLS_CERTIFICATES)),
    ConnectTimeout=omitempty(DURATION),
)
REMOTE_JWKS = struct(
    "structs.RemoteJWKS",
    aliases={
        "request_timeout_ms": "RequestTimeoutMs",
        "cache_duration": "CacheDuration",
        "fetch_asynchronously": "FetchAsynchronously",
        "retry_policy": "RetryPolicy",
        "jwks_cluster": "JWKSCluster",
    },
    URI=omitempty(STRING),
    RequestTimeoutMs=omitempty(INT),
    CacheDuration=omitempty(DURATION),
    FetchAsynchronously=omitempty(BOOL),
    RetryPolicy=omitempty(Ptr(RETRY_POLICY)),
    JWKSCluster=omitempty(Ptr(JWKS_CLUSTER)),
)
LOCATION = struct(
    "structs.JWTLocation",
    aliases={"query_param": "QueryParam"},
    Header=omitempty(
        Ptr(
            struct(
                "structs.JWTLocationHeader",
                aliases={"value_prefix": "ValuePrefix"},
                Name=omitempty(STRING),
                ValuePrefix=omitempty(STRING),
                Forward=omitempty(BOOL),
            )
        )
    ),
    QueryParam=omitempty(Ptr(struct("structs.JWTLocationQueryParam", Name=omitempty(STRING)))),
    Cookie=omitempty(Ptr(struct("structs.JWTLocationCookie", Name=omitempty(STRING)))),
)
FORWARDING = struct(
    "structs.JWTForwardingConfig",
    aliases={
        "header_name": "HeaderName",
        "pad_forward_payload_header": "PadForwardPayloadHeader",
    },
    HeaderName=omitempty(STRING),
    PadForwardPayloadHeader=BOOL,
)
JWT_PROVIDER = struct(
    "structs.JWTProviderConfigEntry",
    aliases={
        "json_web_key_set": "JSONWebKeySet",
        "clock_skew_seconds": "ClockSkewSeconds",
        "cache_config": "CacheConfig",
    },
    Kind=omitempty(STRING),
    Name=omitempty(STRING),
    JSONWebKeySet=omitempty(
        Ptr(
            struct(
                "structs.JSONWebKeySet",
                Local=omitempty(Ptr(LOCAL_JWKS)),
                Remote=omitempty(Ptr(REMOTE_JWKS)),
            )
        )
    ),
    Issuer=omitempty(STRING),
    Audiences=omitempty(Slice(STRING)),
    Locations=omitempty(Slice(Ptr(LOCATION))),
    Forwarding=omitempty(Ptr(FORWARDING)),
    ClockSkewSeconds=omitempty(INT),
    CacheConfig=omitempty(Ptr(struct("structs.JWTCacheConfig", Size=omitempty(INT)))),
    Meta=META,
    Hash=HASH,
)

#: ``structs.DefaultClockSkewSeconds``.
DEFAULT_CLOCK_SKEW_SECONDS = 30
#: The ``ClusterDiscoveryType`` values.
DISCOVERY_TYPES = ("STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST")
#: What ``url.ParseRequestURI`` takes: an absolute URI (a scheme) or an absolute path.
_REQUEST_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|/")


def normalize(entry: Entry) -> None:
    """``JWTProviderConfigEntry.Normalize``: the kind and the default clock skew."""
    entry["Kind"] = KIND.name
    if entry["ClockSkewSeconds"] == 0:
        entry["ClockSkewSeconds"] = DEFAULT_CLOCK_SKEW_SECONDS
    entry["Hash"] = entry_hash(entry)


def _count(*present: Any) -> int:
    return sum(1 for value in present if value)


def _validate_local(local: dict[str, Any]) -> None:
    """``LocalJWKS.Validate``: a base64 key set or a file name, not both."""
    if _count(local["Filename"], local["JWKS"]) != 1:
        raise RPCError("must specify exactly one of String or filename for local keyset")
    if local["JWKS"]:
        try:
            base64.b64decode("".join(local["JWKS"].split("\r\n")), validate=True)
        except (binascii.Error, ValueError):
            raise RPCError("JWKS must be valid base64 encoded string") from None


def _validate_remote(remote: dict[str, Any]) -> None:
    """``RemoteJWKS.Validate``: a URI, the back-off's bounds, the cluster."""
    uri = remote["URI"]
    if not uri:
        raise RPCError("Remote JWKS URI is required")
    if not _REQUEST_URI.match(uri):
        raise RPCError(
            f"Remote JWKS URI is invalid: parse {quote(uri)}: invalid URI for request, uri: {uri}"
        )
    policy = remote["RetryPolicy"]
    back_off = policy["RetryPolicyBackOff"] if policy is not None else None
    if (
        back_off is not None
        and back_off["MaxInterval"] != 0
        and back_off["BaseInterval"] > back_off["MaxInterval"]
    ):
        raise RPCError(
            "retry policy backoff's MaxInterval should be greater or equal to BaseInterval"
        )
    cluster = remote["JWKSCluster"]
    if cluster is None:
        return
    kind = cluster["DiscoveryType"]
    if kind and kind not in DISCOVERY_TYPES:
        raise RPCError(f"unsupported jwks cluster discovery type: {quote(kind)}")
    certificates = cluster["TLSCertificates"]
    if certificates is None:
        return
    trusted = certificates["TrustedCA"]
    if _count(certificates["CaCertificateProviderInstance"] is not None, trusted is not None) != 1:
        raise RPCError(
            "must specify exactly one of: CaCertificateProviderInstance or TrustedCA for JKWS' "
            "TLSCertificates"
        )
    if trusted is not None and (
        _count(
            trusted["Filename"],
            trusted["EnvironmentVariable"],
            trusted["InlineString"],
            trusted["InlineBytes"],
        )
        != 1
    ):
        raise RPCError(
            "must specify exactly one of: Filename, EnvironmentVariable, InlineString or "
            "InlineBytes for JWKS' TrustedCA"
        )


def _location_error(location: dict[str, Any] | None) -> str | None:
    """``JWTLocation.Validate``: exactly one place, and its name."""
    location = location or {"Header": None, "QueryParam": None, "Cookie": None}
    header, query, cookie = location["Header"], location["QueryParam"], location["Cookie"]
    if _count(header is not None, query is not None, cookie is not None) != 1:
        return "must set exactly one of: JWT location header, query param or cookie"
    if header is not None:
        return None if header["Name"] else "JWT location header name must be specified"
    if cookie is not None:
        return None if cookie["Name"] else "JWT location cookie name must be specified"
    return None if query["Name"] else "JWT location query param name must be specified"


def validate(entry: Entry) -> None:
    """``JWTProviderConfigEntry.Validate``: the first problem found (locations all at once)."""
    if not entry["Name"]:
        raise RPCError("Name is required")
    validate_meta(entry["Meta"])
    key_set = entry["JSONWebKeySet"]
    if key_set is None:
        raise RPCError("JSONWebKeySet is required")
    if _count(key_set["Local"] is not None, key_set["Remote"] is not None) != 1:
        raise RPCError("must specify exactly one of Local or Remote JSON Web key set")
    if key_set["Remote"] is not None:
        _validate_remote(key_set["Remote"])
    else:
        _validate_local(key_set["Local"])
    problems = [
        problem
        for problem in (_location_error(location) for location in entry["Locations"] or [])
        if problem
    ]
    if problems:
        raise RPCError(multierror(problems))
    forwarding = entry["Forwarding"]
    if forwarding is not None and not forwarding["HeaderName"]:
        raise RPCError("Header name required for forwarding config")


def can_read(authz: Authorizer, entry: Entry) -> Denied | None:
    """``CanRead``: ``service:write`` on any service (what sidecars hold), else ``mesh:read``."""
    if authz.service_write_any() or authz.mesh_read():
        return None
    return ("mesh:read", None)


KIND = Kind(
    "jwt-provider",
    JWT_PROVIDER,
    normalize=normalize,
    validate=validate,
    can_read=can_read,
    can_write=can_write_mesh,
)
