"""The ``http-route`` and ``tcp-route`` kinds: the routes an API gateway's listeners bind.

After ``agent/structs/config_entry_routes.go`` (``HTTPRouteConfigEntry``,
``TCPRouteConfigEntry`` and their checks), with the request and response
filters of ``api/config_entry_routes.go``; ``isValidHTTPMethod`` is in
``agent/structs/config_entry_discoverychain.go``. In Consul CE the route's
``JWT`` filter is an empty struct (``config_entry_apigw_jwt_ce.go``). Read
with ``mesh:read``, written with ``mesh:write``; controlled (their
``Status`` is the controllers').
"""

from __future__ import annotations

from typing import Any

from ..errors import RPCError
from ..golang import quote
from ..gotypes import BOOL, DURATION, INT, STRING, Map, Ptr, Scalar, Slice, named, struct
from .gateway_api import RESOURCE_REFERENCE, STATUS, is_domain_name
from .registry import Entry, Kind, can_read_mesh, can_write_mesh
from .types import HASH, META, entry_hash, validate_meta

__all__ = ["HTTP_KIND", "HTTP_ROUTE", "TCP_KIND", "TCP_ROUTE"]

UINT32 = Scalar("uint32", "uint", 32)
HEADER_MATCH = struct(
    "structs.HTTPHeaderMatch",
    Match=named("structs.HTTPHeaderMatchType"),
    Name=STRING,
    Value=STRING,
)
PATH_MATCH = struct("structs.HTTPPathMatch", Match=named("structs.HTTPPathMatchType"), Value=STRING)
QUERY_MATCH = struct(
    "structs.HTTPQueryMatch",
    Match=named("structs.HTTPQueryMatchType"),
    Name=STRING,
    Value=STRING,
)
MATCH = struct(
    "structs.HTTPMatch",
    Headers=Slice(HEADER_MATCH),
    Method=named("structs.HTTPMatchMethod"),
    Path=PATH_MATCH,
    Query=Slice(QUERY_MATCH),
)
HEADER_FILTER = struct(
    "structs.HTTPHeaderFilter", Add=Map(STRING), Remove=Slice(STRING), Set=Map(STRING)
)
FILTERS = struct(
    "structs.HTTPFilters",
    Headers=Slice(HEADER_FILTER),
    URLRewrite=Ptr(struct("structs.URLRewrite", Path=STRING)),
    RetryFilter=Ptr(
        struct(
            "structs.RetryFilter",
            NumRetries=Ptr(UINT32),
            RetryOn=Slice(STRING),
            RetryOnStatusCodes=Slice(UINT32),
            RetryOnConnectFailure=Ptr(BOOL),
        )
    ),
    TimeoutFilter=Ptr(
        struct("structs.TimeoutFilter", RequestTimeout=DURATION, IdleTimeout=DURATION)
    ),
    JWT=Ptr(struct("structs.JWTFilter")),
)
RESPONSE_FILTERS = struct("structs.HTTPResponseFilters", Headers=Slice(HEADER_FILTER))
HTTP_SERVICE = struct(
    "structs.HTTPService",
    Name=STRING,
    Weight=INT,
    Filters=FILTERS,
    ResponseFilters=RESPONSE_FILTERS,
)
RULE = struct(
    "structs.HTTPRouteRule",
    Filters=FILTERS,
    ResponseFilters=RESPONSE_FILTERS,
    Matches=Slice(MATCH),
    Services=Slice(HTTP_SERVICE),
)
HTTP_ROUTE = struct(
    "structs.HTTPRouteConfigEntry",
    Kind=STRING,
    Name=STRING,
    Parents=Slice(RESOURCE_REFERENCE),
    Rules=Slice(RULE),
    Hostnames=Slice(STRING),
    Meta=META,
    Status=STATUS,
    Hash=HASH,
)
TCP_ROUTE = struct(
    "structs.TCPRouteConfigEntry",
    Kind=STRING,
    Name=STRING,
    Parents=Slice(RESOURCE_REFERENCE),
    Services=Slice(struct("structs.TCPService", Name=STRING)),
    Meta=META,
    Status=STATUS,
    Hash=HASH,
)

#: ``isValidHTTPMethod``: Go's ``net/http`` method constants.
HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}
)


def _normalize_parents(entry: Entry) -> None:
    """A parent without a kind is an ``api-gateway``."""
    for parent in entry["Parents"] or []:
        if not parent["Kind"]:
            parent["Kind"] = "api-gateway"


def _validate_parents(entry: Entry) -> None:
    """The parents are API gateways, each named once (kind, name and section)."""
    seen: set[tuple[str, str, str]] = set()
    for parent in entry["Parents"] or []:
        if parent["Kind"] != "api-gateway":
            raise RPCError(
                f"unsupported parent kind: {quote(parent['Kind'])}, must be 'api-gateway'"
            )
        key = (parent["Kind"], parent["Name"], parent["SectionName"])
        if key in seen:
            raise RPCError("route parents must be unique")
        seen.add(key)


# -- http-route --------------------------------------------------------------------------


def normalize_http(entry: Entry) -> None:
    """``HTTPRouteConfigEntry.Normalize``: methods in upper case, a path match, weights."""
    entry["Kind"] = HTTP_KIND.name
    _normalize_parents(entry)
    for rule in entry["Rules"] or []:
        for match in rule["Matches"] or []:
            match["Method"] = match["Method"].upper()
            if not match["Path"]["Match"]:
                match["Path"] = {"Match": "prefix", "Value": "/"}
        for service in rule["Services"] or []:
            if service["Weight"] <= 0:
                service["Weight"] = 1
    entry["Hash"] = entry_hash(entry)


def validate_http(entry: Entry) -> None:
    """``HTTPRouteConfigEntry.Validate``: the first problem found."""
    for host in entry["Hostnames"] or []:
        if not is_domain_name(host):
            raise RPCError(f"host {quote(host)} must be a valid DNS hostname")
        if "*" in host:
            raise RPCError(f"host {quote(host)} must not be a wildcard")
    _validate_parents(entry)
    validate_meta(entry["Meta"])
    for i, rule in enumerate(entry["Rules"] or []):
        problem = _rule_error(rule)
        if problem:
            raise RPCError(f"Rule[{i}], {problem}")


def _rule_error(rule: dict[str, Any]) -> str | None:
    """``validateRule`` (its filters have no check that can fail)."""
    for i, match in enumerate(rule["Matches"] or []):
        problem = _match_error(match)
        if problem:
            return f"Match[{i}], {problem}"
    return None


def _match_error(match: dict[str, Any]) -> str | None:
    """``validateMatch``: the method, the query and header matches, then the path."""
    method = match["Method"]
    if method and method not in HTTP_METHODS:
        return f"Method contains an invalid method {quote(method)}"
    for i, query in enumerate(match["Query"] or []):
        if not query["Name"]:
            return f"Query[{i}], missing required Name field"
        if query["Match"] not in ("exact", "present", "regex"):
            return f"Query[{i}], match type should be one of present, exact, or regex"
    for i, header in enumerate(match["Headers"] or []):
        if not header["Name"]:
            return f"Headers[{i}], missing required Name field"
        if header["Match"] not in ("exact", "prefix", "regex", "suffix", "present"):
            return (
                f"Headers[{i}], match type should be one of present, exact, prefix, suffix, "
                "or regex"
            )
    path = match["Path"]
    if path["Match"] in ("exact", "prefix"):
        if not path["Value"].startswith("/"):
            return (
                f"Path, {path['Match']} type match doesn't start with '/': {quote(path['Value'])}"
            )
    elif path["Match"] != "regex":
        return "Path, match type should be one of exact, prefix, or regex"
    return None


HTTP_KIND = Kind(
    "http-route",
    HTTP_ROUTE,
    normalize=normalize_http,
    validate=validate_http,
    can_read=can_read_mesh,
    can_write=can_write_mesh,
    controlled=True,
)


# -- tcp-route ---------------------------------------------------------------------------


def normalize_tcp(entry: Entry) -> None:
    """``TCPRouteConfigEntry.Normalize``: parents default to API gateways."""
    entry["Kind"] = TCP_KIND.name
    _normalize_parents(entry)
    entry["Hash"] = entry_hash(entry)


def validate_tcp(entry: Entry) -> None:
    """``TCPRouteConfigEntry.Validate``: one service at most, then the parents."""
    if len(entry["Services"] or []) > 1:
        raise RPCError("tcp-route currently only supports one service")
    _validate_parents(entry)
    validate_meta(entry["Meta"])


TCP_KIND = Kind(
    "tcp-route",
    TCP_ROUTE,
    normalize=normalize_tcp,
    validate=validate_tcp,
    can_read=can_read_mesh,
    can_write=can_write_mesh,
    controlled=True,
)
