"""The discovery chain kinds: ``service-router``, ``service-splitter``, ``service-resolver``.

After ``agent/structs/config_entry_discoverychain.go`` (the entries, their
``Normalize``, ``Validate``, ``ListRelatedServices`` and custom
``MarshalJSON``; ``canReadDiscoveryChain`` and ``canWriteDiscoveryChain``)
and ``agent/structs/config_entry_discoverychain_ce.go`` (what Consul CE
refuses). A write of any of them, or of ``service-defaults`` and
``proxy-defaults``, must leave every affected chain compilable
(:mod:`.chain`). Reading needs ``service:read`` on the entry's service;
writing ``service:write`` on it and ``service:read`` on every other
service it sends traffic to.
"""

from __future__ import annotations

import math
import re
import struct as binary
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..filter import FilterError, check_syntax
from ..golang import format_duration, quote
from ..gotypes import (
    BOOL,
    DURATION,
    FLOAT32,
    STRING,
    UINT64,
    Map,
    Ptr,
    Scalar,
    Slice,
    omitempty,
    struct,
)
from .chain import ROUTER, SPLITTER, check_service_graph, related_services
from .proxy_defaults import FAILOVER_POLICY, PRIORITIZE_BY_LOCALITY
from .registry import Denied, Entry, Kind, can_read_service
from .types import META, validate_meta

if TYPE_CHECKING:
    from ..acl.authorizer import Authorizer

__all__ = ["RESOLVER_KIND", "ROUTER_KIND", "SPLITTER_KIND"]

UINT32 = Scalar("uint32", "uint", 32)

HEADER_MODIFIERS = struct(
    "structs.HTTPHeaderModifiers",
    Add=omitempty(Map(STRING)),
    Set=omitempty(Map(STRING)),
    Remove=omitempty(Slice(STRING)),
)
_MATCH_HEADER = struct(
    "structs.ServiceRouteHTTPMatchHeader",
    Name=STRING,
    Present=omitempty(BOOL),
    Exact=omitempty(STRING),
    Prefix=omitempty(STRING),
    Suffix=omitempty(STRING),
    Regex=omitempty(STRING),
    Invert=omitempty(BOOL),
)
_MATCH_QUERY = struct(
    "structs.ServiceRouteHTTPMatchQueryParam",
    Name=STRING,
    Present=omitempty(BOOL),
    Exact=omitempty(STRING),
    Regex=omitempty(STRING),
)
_HTTP_MATCH = struct(
    "structs.ServiceRouteHTTPMatch",
    aliases={
        "path_exact": "PathExact",
        "path_prefix": "PathPrefix",
        "path_regex": "PathRegex",
        "query_param": "QueryParam",
    },
    PathExact=omitempty(STRING),
    PathPrefix=omitempty(STRING),
    PathRegex=omitempty(STRING),
    Header=omitempty(Slice(_MATCH_HEADER)),
    QueryParam=omitempty(Slice(_MATCH_QUERY)),
    Methods=omitempty(Slice(STRING)),
)
_ROUTE_DESTINATION = struct(
    "structs.ServiceRouteDestination",
    aliases={
        "service_subset": "ServiceSubset",
        "prefix_rewrite": "PrefixRewrite",
        "request_timeout": "RequestTimeout",
        "idle_timeout": "IdleTimeout",
        "num_retries": "NumRetries",
        "retry_on_connect_failure": "RetryOnConnectFailure",
        "retry_on": "RetryOn",
        "retry_on_status_codes": "RetryOnStatusCodes",
        "request_headers": "RequestHeaders",
        "response_headers": "ResponseHeaders",
    },
    Service=omitempty(STRING),
    ServiceSubset=omitempty(STRING),
    Namespace=omitempty(STRING),
    Partition=omitempty(STRING),
    PrefixRewrite=omitempty(STRING),
    RequestTimeout=omitempty(DURATION),
    IdleTimeout=omitempty(DURATION),
    NumRetries=omitempty(UINT32),
    RetryOnConnectFailure=omitempty(BOOL),
    RetryOn=omitempty(Slice(STRING)),
    RetryOnStatusCodes=omitempty(Slice(UINT32)),
    RequestHeaders=omitempty(Ptr(HEADER_MODIFIERS)),
    ResponseHeaders=omitempty(Ptr(HEADER_MODIFIERS)),
)
SERVICE_ROUTER = struct(
    "structs.ServiceRouterConfigEntry",
    Kind=STRING,
    Name=STRING,
    Routes=Slice(
        struct(
            "structs.ServiceRoute",
            Match=omitempty(
                Ptr(struct("structs.ServiceRouteMatch", HTTP=omitempty(Ptr(_HTTP_MATCH))))
            ),
            Destination=omitempty(Ptr(_ROUTE_DESTINATION)),
        )
    ),
    Meta=META,
)
SERVICE_SPLITTER = struct(
    "structs.ServiceSplitterConfigEntry",
    Kind=STRING,
    Name=STRING,
    Splits=Slice(
        struct(
            "structs.ServiceSplit",
            aliases={
                "service_subset": "ServiceSubset",
                "request_headers": "RequestHeaders",
                "response_headers": "ResponseHeaders",
            },
            Weight=FLOAT32,
            Service=omitempty(STRING),
            ServiceSubset=omitempty(STRING),
            Namespace=omitempty(STRING),
            Partition=omitempty(STRING),
            RequestHeaders=omitempty(Ptr(HEADER_MODIFIERS)),
            ResponseHeaders=omitempty(Ptr(HEADER_MODIFIERS)),
        )
    ),
    Meta=META,
)
_FAILOVER_TARGET = struct(
    "structs.ServiceResolverFailoverTarget",
    aliases={"service_subset": "ServiceSubset"},
    Service=omitempty(STRING),
    ServiceSubset=omitempty(STRING),
    Partition=omitempty(STRING),
    Namespace=omitempty(STRING),
    Datacenter=omitempty(STRING),
    Peer=omitempty(STRING),
)
_LOAD_BALANCER = struct(
    "structs.LoadBalancer",
    aliases={
        "ring_hash_config": "RingHashConfig",
        "least_request_config": "LeastRequestConfig",
        "hash_policies": "HashPolicies",
    },
    Policy=omitempty(STRING),
    RingHashConfig=omitempty(
        Ptr(
            struct(
                "structs.RingHashConfig",
                aliases={
                    "minimum_ring_size": "MinimumRingSize",
                    "maximum_ring_size": "MaximumRingSize",
                },
                MinimumRingSize=omitempty(UINT64),
                MaximumRingSize=omitempty(UINT64),
            )
        )
    ),
    LeastRequestConfig=omitempty(
        Ptr(
            struct(
                "structs.LeastRequestConfig",
                aliases={"choice_count": "ChoiceCount"},
                ChoiceCount=omitempty(UINT32),
            )
        )
    ),
    HashPolicies=omitempty(
        Slice(
            struct(
                "structs.HashPolicy",
                aliases={
                    "field_value": "FieldValue",
                    "cookie_config": "CookieConfig",
                    "source_ip": "SourceIP",
                },
                Field=omitempty(STRING),
                FieldValue=omitempty(STRING),
                CookieConfig=omitempty(
                    Ptr(
                        struct(
                            "structs.CookieConfig",
                            Session=omitempty(BOOL),
                            TTL=omitempty(DURATION),
                            Path=omitempty(STRING),
                        )
                    )
                ),
                SourceIP=omitempty(BOOL),
                Terminal=omitempty(BOOL),
            )
        )
    ),
)
SERVICE_RESOLVER = struct(
    "structs.ServiceResolverConfigEntry",
    aliases={
        "default_subset": "DefaultSubset",
        "connect_timeout": "ConnectTimeout",
        "request_timeout": "RequestTimeout",
        "prioritize_by_locality": "PrioritizeByLocality",
        "load_balancer": "LoadBalancer",
    },
    Kind=STRING,
    Name=STRING,
    DefaultSubset=omitempty(STRING),
    Subsets=omitempty(
        Map(
            struct(
                "structs.ServiceResolverSubset",
                aliases={"only_passing": "OnlyPassing"},
                Filter=omitempty(STRING),
                OnlyPassing=omitempty(BOOL),
            )
        )
    ),
    Redirect=omitempty(
        Ptr(
            struct(
                "structs.ServiceResolverRedirect",
                aliases={"service_subset": "ServiceSubset", "sameness_group": "SamenessGroup"},
                Service=omitempty(STRING),
                ServiceSubset=omitempty(STRING),
                Namespace=omitempty(STRING),
                Partition=omitempty(STRING),
                Datacenter=omitempty(STRING),
                Peer=omitempty(STRING),
                SamenessGroup=omitempty(STRING),
            )
        )
    ),
    Failover=omitempty(
        Map(
            struct(
                "structs.ServiceResolverFailover",
                aliases={"service_subset": "ServiceSubset", "sameness_group": "SamenessGroup"},
                Service=omitempty(STRING),
                ServiceSubset=omitempty(STRING),
                Namespace=omitempty(STRING),
                Datacenters=omitempty(Slice(STRING)),
                Targets=omitempty(Slice(_FAILOVER_TARGET)),
                Policy=omitempty(Ptr(FAILOVER_POLICY)),
                SamenessGroup=omitempty(STRING),
            )
        )
    ),
    ConnectTimeout=omitempty(DURATION),
    RequestTimeout=omitempty(DURATION),
    PrioritizeByLocality=omitempty(Ptr(PRIORITIZE_BY_LOCALITY)),
    LoadBalancer=omitempty(Ptr(_LOAD_BALANCER)),
    Meta=META,
)


# -- ACLs ---------------------------------------------------------------------------


def can_write(authz: Authorizer, entry: Entry) -> Denied | None:
    """``canWriteDiscoveryChain``: ``service:write`` on it, ``service:read`` on the others."""
    name = entry["Name"]
    if not authz.service_write(name):
        return ("service:write", name)
    for other in sorted(related_services(entry)):
        if not authz.service_read(other):
            return ("service:read", other)
    return None


# -- service-router -------------------------------------------------------------------

_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE")
_RETRY_ON = (
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
)


def normalize_router(entry: Entry) -> None:
    """``ServiceRouterConfigEntry.Normalize``: methods in upper case."""
    entry["Kind"] = ROUTER
    for route in entry["Routes"] or []:
        match = route["Match"]
        if match is None or match["HTTP"] is None:
            continue
        methods = match["HTTP"]["Methods"]
        if methods:
            match["HTTP"]["Methods"] = [method.upper() for method in methods]


def _count(*values: Any) -> int:
    return sum(1 for value in values if value)


def validate_router(entry: Entry) -> None:
    """``ServiceRouterConfigEntry.Validate``: the first problem found."""
    if not entry["Name"]:
        raise RPCError("Name is required")
    validate_meta(entry["Meta"])
    for i, route in enumerate(entry["Routes"] or []):
        prefix_rewrite_ok = False
        match = route["Match"]
        http = match["HTTP"] if match is not None else None
        if http is not None:
            for field in ("PathExact", "PathPrefix"):
                if http[field]:
                    prefix_rewrite_ok = True
                    if not http[field].startswith("/"):
                        raise RPCError(
                            f"Route[{i}] {field} doesn't start with '/': {quote(http[field])}"
                        )
            if _count(http["PathExact"], http["PathPrefix"], http["PathRegex"]) > 1:
                raise RPCError(
                    f"Route[{i}] should only contain at most one of PathExact, PathPrefix, or "
                    "PathRegex"
                )
            for j, header in enumerate(http["Header"] or []):
                if not header["Name"]:
                    raise RPCError(f"Route[{i}] Header[{j}] missing required Name field")
                parts = (header[f] for f in ("Present", "Exact", "Regex", "Prefix", "Suffix"))
                if _count(*parts) != 1:
                    raise RPCError(
                        f"Route[{i}] Header[{j}] should only contain one of Present, Exact, "
                        "Prefix, Suffix, or Regex"
                    )
            for j, param in enumerate(http["QueryParam"] or []):
                if not param["Name"]:
                    raise RPCError(f"Route[{i}] QueryParam[{j}] missing required Name field")
                if _count(param["Present"], param["Exact"], param["Regex"]) != 1:
                    raise RPCError(
                        f"Route[{i}] QueryParam[{j}] should only contain one of Present, Exact, "
                        "or Regex"
                    )
            seen: set[str] = set()
            for method in http["Methods"] or []:
                if method not in _HTTP_METHODS:
                    raise RPCError(f"Route[{i}] Methods contains an invalid method {quote(method)}")
                if method in seen:
                    raise RPCError(f"Route[{i}] Methods contains {quote(method)} more than once")
                seen.add(method)
        destination = route["Destination"]
        if destination is not None:
            if destination["PrefixRewrite"] and not prefix_rewrite_ok:
                raise RPCError(
                    f"Route[{i}] cannot make use of PrefixRewrite without configuring either "
                    "PathExact or PathPrefix"
                )
            for condition in destination["RetryOn"] or []:
                if condition not in _RETRY_ON:
                    raise RPCError(
                        f"Route[{i}] contains an invalid retry condition: {quote(condition)}"
                    )


def _durations_first(value: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A custom ``MarshalJSON``: ``fields`` first, as duration strings, left out when zero."""
    head = {field: format_duration(value[field]) for field in fields if value.get(field)}
    return {**head, **{key: item for key, item in value.items() if key not in fields}}


def router_json(entry: dict[str, Any]) -> dict[str, Any]:
    """``ServiceRouteDestination.MarshalJSON``: its timeouts as duration strings, first."""
    for route in entry.get("Routes") or []:
        if route.get("Destination") is not None:
            route["Destination"] = _durations_first(
                route["Destination"], ("RequestTimeout", "IdleTimeout")
            )
    return entry


# -- service-splitter -----------------------------------------------------------------


def _float32(value: float) -> float:
    result: float = binary.unpack("f", binary.pack("f", value))[0]
    return result


def _shortest_float32(value: float) -> float:
    """The float32 ``value`` as the shortest decimal Go writes for it (``33.33``)."""
    single = _float32(value)
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if _float32(float(text)) == single:
            return float(text)
    return single


def _scale_weight(weight: float) -> int:
    """``scaleWeight``: a weight in hundredths of a percent (float32 arithmetic)."""
    scaled = _float32(_float32(weight) * 100.0)
    # math.Round: half away from zero.
    return math.floor(scaled + 0.5) if scaled >= 0 else -math.floor(-scaled + 0.5)


def normalize_splitter(entry: Entry) -> None:
    """``ServiceSplitterConfigEntry.Normalize``: weights rounded to 0.01."""
    entry["Kind"] = SPLITTER
    for split in entry["Splits"] or []:
        split["Weight"] = _shortest_float32(_float32(_scale_weight(split["Weight"])) / 100.0)


def validate_splitter(entry: Entry) -> None:
    """``ServiceSplitterConfigEntry.Validate``."""
    name = entry["Name"]
    if not name:
        raise RPCError("Name is required")
    splits = entry["Splits"] or []
    if not splits:
        raise RPCError("no splits configured")
    validate_meta(entry["Meta"])
    seen: set[tuple[Any, ...]] = set()
    for split in splits:
        key = (
            split["Service"] or name,
            split["ServiceSubset"],
            split["Namespace"],
            split["Partition"],
            repr(split["RequestHeaders"]),
            repr(split["ResponseHeaders"]),
        )
        if key in seen:
            raise RPCError(
                f"split destination occurs more than once: service={quote(key[0])}, "
                f"subset={quote(key[1])}, namespace={quote(key[2])}, partition={quote(key[3])}"
            )
        seen.add(key)
    total = sum(_scale_weight(split["Weight"]) for split in splits)
    if total != 100 * 100:
        raise RPCError(f"the sum of all split weights must be 100, not {_float32(total / 100):f}")


# -- service-resolver -----------------------------------------------------------------

_SUBSET_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
_LB_POLICIES = ("", "random", "round_robin", "least_request", "ring_hash", "maglev")
_HASH_FIELDS = ("header", "cookie", "query_parameter")


def normalize_resolver(entry: Entry) -> None:
    """``ServiceResolverConfigEntry.Normalize``."""
    entry["Kind"] = "service-resolver"


def _subset_error(subset: str) -> str | None:
    """``validateServiceSubset``: a DNS label."""
    if not subset or len(subset) > 63:
        return "must be non-empty and 63 characters or fewer"
    if not _SUBSET_NAME.match(subset):
        return (
            "must be 63 characters or fewer, begin or end with lower case alphanumeric "
            "characters, and contain lower case alphanumeric characters or '-' in between"
        )
    return None


def _validate_redirect(entry: Entry, subsets: dict[str, Any]) -> None:
    redirect = entry["Redirect"]
    if redirect["Partition"] and redirect["Datacenter"]:
        raise RPCError("Cross-datacenter and cross-partition redirect is not supported")
    for field, label in (
        ("Partition", "Partition"),
        ("Namespace", "Namespace"),
        ("SamenessGroup", "SamenessGroup"),
    ):
        if redirect[field]:
            raise RPCError(f"Redirect: Setting {label} requires Consul Enterprise")
    if entry["Failover"]:
        raise RPCError("Redirect and Failover cannot both be set")
    if not any(redirect.values()):
        raise RPCError("Redirect is empty")
    if redirect["Peer"] and redirect["ServiceSubset"]:
        raise RPCError("Redirect.Peer cannot be set with Redirect.ServiceSubset")
    if redirect["Peer"] and redirect["Datacenter"]:
        raise RPCError("Redirect.Peer cannot be set with Redirect.Datacenter")
    if not redirect["Service"]:
        for field in ("ServiceSubset", "Namespace", "Partition", "Peer"):
            if redirect[field]:
                raise RPCError(f"Redirect.{field} defined without Redirect.Service")
    elif (
        redirect["ServiceSubset"]
        and redirect["Service"] == entry["Name"]
        and redirect["ServiceSubset"] not in subsets
    ):
        raise RPCError(
            f"Redirect.ServiceSubset {quote(redirect['ServiceSubset'])} is not a valid "
            f"subset of {quote(entry['Name'])}"
        )


def _validate_failover(entry: Entry, subset: str, failover: dict[str, Any], subsets: Any) -> None:
    prefix = f"Bad Failover[{quote(subset)}]: "
    for field in ("Namespace", "SamenessGroup"):
        if failover[field]:
            raise RPCError(f"{prefix}Setting {field} requires Consul Enterprise")
    policy = failover["Policy"]
    if policy is not None and policy["Mode"]:
        raise RPCError(f"{prefix}Setting failover policies requires Consul Enterprise")
    if subset != "*" and subset not in subsets:
        raise RPCError(prefix + "not a valid subset subset")
    if not any(
        failover[f] for f in ("Service", "ServiceSubset", "Namespace", "Datacenters", "Targets")
    ):
        raise RPCError(
            prefix + "one of Service, ServiceSubset, Namespace, Targets, or Datacenters is required"
        )
    if (
        failover["ServiceSubset"]
        and failover["Service"] in ("", entry["Name"])
        and failover["ServiceSubset"] not in subsets
    ):
        raise RPCError(
            f"{prefix}ServiceSubset {quote(failover['ServiceSubset'])} is not a valid subset "
            f"of {quote(failover['Service'])}"
        )
    targets = failover["Targets"] or []
    for field in ("Datacenters", "ServiceSubset", "Service"):
        if failover[field] and targets:
            raise RPCError(f"{prefix}Targets cannot be set with {field}")
    for i, target in enumerate(targets):
        target_prefix = f"Bad Failover[{quote(subset)}].Targets[{i}]: "
        for field in ("Partition", "Namespace"):
            if target[field]:
                raise RPCError(f"{target_prefix}Setting {field} requires Consul Enterprise")
        if target["Peer"] and target["ServiceSubset"]:
            raise RPCError(target_prefix + "Peer cannot be set with ServiceSubset")
        if target["Peer"] and target["Datacenter"]:
            raise RPCError(target_prefix + "Peer cannot be set with Datacenter")
        if (
            target["ServiceSubset"]
            and target["Service"] in ("", entry["Name"])
            and target["ServiceSubset"] not in subsets
        ):
            raise RPCError(
                f"{target_prefix}ServiceSubset {quote(target['ServiceSubset'])} is not a valid "
                f"subset of {quote(entry['Name'])}"
            )
    for dc in failover["Datacenters"] or []:
        if not dc:
            raise RPCError(f"Bad Failover[{quote(subset)}].Datacenters: found empty datacenter")


def _validate_load_balancer(balancer: dict[str, Any]) -> None:
    policy = balancer["Policy"]
    if policy not in _LB_POLICIES:
        raise RPCError(f"Bad LoadBalancer policy: {quote(policy)} is not supported")
    if policy != "ring_hash" and balancer["RingHashConfig"] is not None:
        raise RPCError(
            "Bad LoadBalancer configuration. RingHashConfig specified for incompatible load "
            f"balancing policy {quote(policy)}"
        )
    if policy != "least_request" and balancer["LeastRequestConfig"] is not None:
        raise RPCError(
            "Bad LoadBalancer configuration. LeastRequestConfig specified for incompatible load "
            f"balancing policy {quote(policy)}"
        )
    if policy not in ("maglev", "ring_hash") and balancer["HashPolicies"]:
        raise RPCError(
            "Bad LoadBalancer configuration: HashPolicies specified for non-hash-based Policy: "
            f"{quote(policy)}"
        )
    for i, hashing in enumerate(balancer["HashPolicies"] or []):
        prefix = f"Bad LoadBalancer HashPolicy[{i}]: "
        field, value = hashing["Field"], hashing["FieldValue"]
        if field and field not in _HASH_FIELDS:
            raise RPCError(f"{prefix}{quote(field)} is not a supported field")
        if hashing["SourceIP"] and field:
            raise RPCError(
                f"{prefix}A single hash policy cannot hash both a source address and a "
                f"{quote(field)}"
            )
        if hashing["SourceIP"] and value:
            raise RPCError(f"{prefix}A FieldValue cannot be specified when hashing SourceIP")
        if field and not value:
            raise RPCError(f"{prefix}Field {quote(field)} was specified without a FieldValue")
        if value and not field:
            raise RPCError(f"{prefix}FieldValue requires a Field to apply to")
        cookie = hashing["CookieConfig"]
        if cookie is not None:
            if field != "cookie":
                raise RPCError(f"{prefix}cookie_config provided for {quote(field)}")
            if cookie["Session"] and cookie["TTL"]:
                raise RPCError(f"{prefix}a session cookie cannot have an associated TTL")


def validate_resolver(entry: Entry) -> None:
    """``ServiceResolverConfigEntry.Validate``: the first problem found."""
    if not entry["Name"]:
        raise RPCError("Name is required")
    validate_meta(entry["Meta"])
    subsets = entry["Subsets"] or {}
    for name in sorted(subsets):
        if not name:
            raise RPCError("Subset defined with empty name")
        problem = _subset_error(name)
        if problem:
            raise RPCError(f"Subset {quote(name)} is invalid: {problem}")
        if subsets[name]["Filter"]:
            try:
                check_syntax(subsets[name]["Filter"])
            except FilterError as exc:
                raise RPCError(
                    f"Filter for subset {quote(name)} is not a valid expression: {exc}"
                ) from None
    default = entry["DefaultSubset"]
    if default and default not in subsets:
        raise RPCError(f"DefaultSubset {quote(default)} is not a valid subset")
    if entry["Redirect"] is not None:
        _validate_redirect(entry, subsets)
    for subset in sorted(entry["Failover"] or {}):
        _validate_failover(entry, subset, entry["Failover"][subset], subsets)
    for field in ("ConnectTimeout", "RequestTimeout"):
        if entry[field] < 0:
            raise RPCError(f"Bad {field} '{format_duration(entry[field])}', must be >= 0")
    if entry["LoadBalancer"] is not None:
        _validate_load_balancer(entry["LoadBalancer"])
    locality = entry["PrioritizeByLocality"]
    if locality is not None and locality["Mode"]:
        raise RPCError("Prioritize-by-locality requires Consul Enterprise ")


def resolver_json(entry: dict[str, Any]) -> dict[str, Any]:
    """``ServiceResolverConfigEntry.MarshalJSON``: its timeouts as duration strings, first."""
    return _durations_first(entry, ("ConnectTimeout", "RequestTimeout"))


ROUTER_KIND = Kind(
    ROUTER,
    SERVICE_ROUTER,
    normalize=normalize_router,
    validate=validate_router,
    can_read=can_read_service,
    can_write=can_write,
    json_order=router_json,
)
SPLITTER_KIND = Kind(
    SPLITTER,
    SERVICE_SPLITTER,
    normalize=normalize_splitter,
    validate=validate_splitter,
    can_read=can_read_service,
    can_write=can_write,
)
RESOLVER_KIND = Kind(
    "service-resolver",
    SERVICE_RESOLVER,
    normalize=normalize_resolver,
    validate=validate_resolver,
    can_read=can_read_service,
    can_write=can_write,
    json_order=resolver_json,
    # One registration runs the discovery chain checks for every write.
    check_graph=check_service_graph,
)
