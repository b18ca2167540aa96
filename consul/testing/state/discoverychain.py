"""The discovery chain: a service's routers, splitters and resolvers compiled into one graph.

After ``agent/consul/discoverychain/compile.go`` (``Compile``) and the types
of ``agent/structs/discovery_chain.go``. The compiler reads configuration
entries as the table writes them in JSON (``service-router``,
``service-splitter``, ``service-resolver``, ``service-defaults`` and the
``global`` ``proxy-defaults``) through a lookup function, so it needs
nothing but the entries; :func:`compile_chain` returns the
``CompiledDiscoveryChain`` as Consul writes it in JSON.

What the compiler leaves out: sameness groups, peered targets' data
(locality, SNI), virtual IPs, and namespaces and partitions other than
``default`` (Consul CE has none).
"""

from __future__ import annotations

import copy
import math
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import RPCError
from .golang import format_duration, parse_duration_ns, quote

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "ChainEntries",
    "CompileRequest",
    "GraphError",
    "Lookup",
    "compile_chain",
    "is_http_like",
    "service_chain",
]

#: ``lookup(kind, name)``: the entry as JSON (Consul's field names), or None.
Lookup = Callable[[str, str], Mapping[str, Any] | None]

#: The one namespace and partition of Consul CE.
DEFAULT = "default"
#: A resolver's connect timeout when its entry sets none (``compile.go``).
DEFAULT_CONNECT_TIMEOUT = 5 * 10**9
#: The name of the one ``proxy-defaults`` entry (``structs.ProxyConfigGlobal``).
PROXY_DEFAULTS_NAME = "global"

ROUTER = "router"
SPLITTER = "splitter"
RESOLVER = "resolver"


class GraphError(Exception):
    """``structs.ConfigEntryGraphError``: no valid chain; ``str()`` is Consul's text."""


def is_http_like(protocol: str) -> bool:
    """``structs.IsProtocolHTTPLike``: the protocols that allow routing and splitting."""
    return protocol in ("http", "http2", "grpc")


@dataclass(frozen=True)
class CompileRequest:
    """``discoverychain.CompileRequest``.

    ``override_connect_timeout`` is in nanoseconds (0: none);
    ``override_mesh_gateway`` a mesh gateway mode (empty: none).
    ``trust_domain`` names the targets' SNI (:func:`service_chain` takes
    the datacenter's).
    """

    service: str
    datacenter: str
    trust_domain: str = ""
    namespace: str = DEFAULT
    partition: str = DEFAULT
    override_mesh_gateway: str = ""
    override_protocol: str = ""
    override_connect_timeout: int = 0


class ChainEntries:
    """The configuration entries a compilation reads, and whether it found any.

    Consul's ``DiscoveryChainSet``: a lookup remembered, so that each entry
    is read once and :attr:`empty` tells whether the chain rests on no
    entry at all (its blocking query then waits as for a missing result).
    """

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._read: dict[tuple[str, str], Mapping[str, Any] | None] = {}

    def get(self, kind: str, name: str) -> Mapping[str, Any] | None:
        """The entry of ``kind`` called ``name``, or None."""
        key = (kind, name)
        if key not in self._read:
            self._read[key] = self._lookup(kind, name)
        return self._read[key]

    @property
    def empty(self) -> bool:
        """True if no entry read so far exists (``DiscoveryChainSet.IsEmpty``)."""
        return all(entry is None for entry in self._read.values())

    def service_defaults(self, service: str) -> Mapping[str, Any] | None:
        """The ``service-defaults`` entry of ``service``."""
        return self.get("service-defaults", service)

    def proxy_defaults(self) -> Mapping[str, Any] | None:
        """The ``global`` ``proxy-defaults`` entry."""
        return self.get("proxy-defaults", PROXY_DEFAULTS_NAME)


# -- the graph ------------------------------------------------------------------


@dataclass(frozen=True)
class TargetOpts:
    """``structs.DiscoveryTargetOpts``."""

    service: str
    subset: str = ""
    namespace: str = ""
    partition: str = ""
    datacenter: str = ""
    peer: str = ""


def target_id(opts: TargetOpts) -> str:
    """``chainID``: ``[subset.]service.namespace.partition.datacenter``, or a peer's form."""
    if opts.peer:
        return f"{opts.service}.{opts.namespace}.default.external.{opts.peer}"
    parts = [opts.service, opts.namespace, opts.partition, opts.datacenter]
    if opts.subset:
        parts.insert(0, opts.subset)
    return ".".join(parts)


def target_sni(opts: TargetOpts, trust_domain: str) -> str:
    """``connect.TargetSNI``: the TLS server name of a target in this cluster."""
    namespace = opts.namespace or DEFAULT
    partition = opts.partition or DEFAULT
    if partition == DEFAULT:
        parts = [opts.service, namespace, opts.datacenter, "internal", trust_domain]
    else:
        parts = [opts.service, namespace, partition, opts.datacenter, "internal-v1", trust_domain]
    if opts.subset:
        parts.insert(0, opts.subset)
    return ".".join(parts)


@dataclass
class Target:
    """``structs.DiscoveryTarget``: one set of instances a chain may send to."""

    opts: TargetOpts
    id: str
    sni: str = ""
    name: str = ""
    mesh_gateway: str = ""
    subset: Mapping[str, Any] = field(default_factory=dict)
    dialed_directly: bool = False
    connect_timeout: int = 0
    external: bool = False

    def to_json(self) -> dict[str, Any]:
        """The target as ``DiscoveryTarget.MarshalJSON`` writes it."""
        out: dict[str, Any] = {}
        if self.connect_timeout:
            out["ConnectTimeout"] = format_duration(self.connect_timeout)
        opts = self.opts
        for key, value in (
            ("ID", self.id),
            ("Service", opts.service),
            ("ServiceSubset", opts.subset),
            ("Namespace", opts.namespace),
            ("Partition", opts.partition),
            ("Datacenter", opts.datacenter),
            ("Peer", opts.peer),
        ):
            if value:
                out[key] = value
        out["MeshGateway"] = {"Mode": self.mesh_gateway} if self.mesh_gateway else {}
        out["Subset"] = copy.deepcopy(dict(self.subset))
        out["TransparentProxy"] = {"DialedDirectly": True} if self.dialed_directly else {}
        if self.external:
            out["External"] = True
        if self.sni:
            out["SNI"] = self.sni
        if self.name:
            out["Name"] = self.name
        return out


@dataclass
class Route:
    """``structs.DiscoveryRoute``: a route's definition and the node it leads to."""

    definition: dict[str, Any]
    next_node: str = ""


@dataclass
class Split:
    """``structs.DiscoverySplit``: a split's definition, its compiled weight and next node."""

    definition: dict[str, Any]
    weight: float
    next_node: str = ""


@dataclass
class Resolver:
    """``structs.DiscoveryResolver``; ``failover`` is (its targets, its policy or None)."""

    default: bool
    target: str
    connect_timeout: int
    request_timeout: int
    failover: tuple[list[str], Any] | None = None


@dataclass
class Node:
    """``structs.DiscoveryGraphNode``."""

    type: str
    name: str
    routes: list[Route] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)
    resolver: Resolver | None = None
    load_balancer: Any = None

    @property
    def key(self) -> str:
        """``MapKey``: ``type:name``."""
        return f"{self.type}:{self.name}"

    def to_json(self) -> dict[str, Any]:
        """The node as Consul writes it (``omitempty`` fields left out)."""
        out: dict[str, Any] = {"Type": self.type, "Name": self.name}
        if self.routes:
            out["Routes"] = [
                _omit_empty(Definition=r.definition, NextNode=r.next_node) for r in self.routes
            ]
        if self.splits:
            out["Splits"] = [
                _omit_empty(Definition=s.definition, Weight=_weight(s.weight), NextNode=s.next_node)
                for s in self.splits
            ]
        if self.resolver is not None:
            out["Resolver"] = _resolver_json(self.resolver)
        if self.load_balancer:
            out["LoadBalancer"] = copy.deepcopy(self.load_balancer)
        return out


def _omit_empty(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value}


def _weight(weight: float) -> float | int:
    """A ``float32`` weight as Go writes it: integral weights without a fraction."""
    return int(weight) if weight == int(weight) else weight


def _resolver_json(resolver: Resolver) -> dict[str, Any]:
    """``DiscoveryResolver.MarshalJSON``: the connect timeout as a duration string, first.

    The request timeout is not given the same care: Consul writes it in
    nanoseconds.
    """
    out: dict[str, Any] = {}
    if resolver.connect_timeout:
        out["ConnectTimeout"] = format_duration(resolver.connect_timeout)
    if resolver.default:
        out["Default"] = True
    if resolver.request_timeout:
        out["RequestTimeout"] = resolver.request_timeout
    if resolver.target:
        out["Target"] = resolver.target
    if resolver.failover is not None:
        targets, policy = resolver.failover
        out["Failover"] = _omit_empty(Targets=list(targets), Policy=copy.deepcopy(policy))
    return out


# -- reading entries --------------------------------------------------------------


def _duration(value: Any) -> int:
    """A duration field of an entry's JSON (a Go duration string, or nanoseconds)."""
    if isinstance(value, str):
        return parse_duration_ns(value) if value else 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return 0


def _text(value: Any) -> str:
    """A value ``mapstructure.WeakDecode`` turns into a string (others: empty)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return ""


def _resolver_is_default(resolver: Mapping[str, Any]) -> bool:
    """``ServiceResolverConfigEntry.IsDefault``."""
    return not (
        resolver.get("DefaultSubset")
        or resolver.get("Subsets")
        or resolver.get("Redirect")
        or resolver.get("Failover")
        or _duration(resolver.get("ConnectTimeout"))
        or _duration(resolver.get("RequestTimeout"))
        or resolver.get("LoadBalancer")
    )


def _is_hash_based(load_balancer: Any) -> bool:
    """``LoadBalancer.IsHashBased``: a ``maglev`` or ``ring_hash`` policy."""
    return bool(load_balancer) and load_balancer.get("Policy") in ("maglev", "ring_hash")


def _merge_headers(base: Any, overrides: Any) -> Any:
    """``MergeHTTPHeaderModifiers``: ``overrides``' additions and settings over ``base``'s."""
    if not base and not overrides:
        return copy.deepcopy(base if base is not None else overrides)
    merged = copy.deepcopy(dict(base or {}))
    overrides = overrides or {}
    for key in ("Add", "Set"):
        if overrides.get(key):
            merged[key] = {**(merged.get(key) or {}), **overrides[key]}
    if overrides.get("Remove"):
        merged["Remove"] = [*(merged.get("Remove") or []), *overrides["Remove"]]
    return merged


def _merge_split(inner: Mapping[str, Any], parent: Mapping[str, Any]) -> dict[str, Any]:
    """``ServiceSplit.MergeParent``: the inner split with its parent's header changes under it."""
    merged = copy.deepcopy(dict(inner))
    for key in ("RequestHeaders", "ResponseHeaders"):
        headers = _merge_headers(parent.get(key), inner.get(key))
        if headers:
            merged[key] = headers
        else:
            merged.pop(key, None)
    return merged


# -- the compiler ------------------------------------------------------------------


class _Compiler:
    """One compilation (Consul's ``compiler``): intermediate state, then the chain."""

    def __init__(self, request: CompileRequest, entries: ChainEntries) -> None:
        self.request = request
        self.entries = entries
        self.disable_advanced = bool(request.override_protocol) and not is_http_like(
            request.override_protocol
        )
        self.uses_advanced = False
        self.customized: set[str] = set()
        self.protocol = ""
        self.service_meta: Any = None
        self.envoy_extensions: list[Any] = []
        self.start_node = ""
        self.nodes: dict[str, Node] = {}
        self.splitter_nodes: dict[str, Node] = {}
        self.resolve_nodes: dict[str, Node] = {}
        self.resolvers: dict[str, Mapping[str, Any]] = {}
        self.loaded_targets: dict[str, Target] = {}
        self.retained_targets: set[str] = set()

    # -- recording ---------------------------------------------------------------

    def record_node(self, node: Node) -> None:
        if node.type == SPLITTER:
            self.splitter_nodes[node.name] = node
        elif node.type == RESOLVER:
            assert node.resolver is not None
            self.resolve_nodes[node.resolver.target] = node
        self.nodes[node.key] = node

    def record_service_protocol(self, service: str) -> None:
        """``recordServiceProtocol``: service-defaults first, then proxy-defaults' ``protocol``."""
        defaults = self.entries.service_defaults(service)
        if defaults is not None:
            self.record_protocol(service, defaults.get("Protocol") or "")
            return
        proxy = self.entries.proxy_defaults()
        if proxy is not None:
            protocol = _text((proxy.get("Config") or {}).get("protocol"))
            if protocol:
                self.record_protocol(service, protocol)
                return
        self.record_protocol(service, "")

    def record_protocol(self, service: str, protocol: str) -> None:
        protocol = protocol.lower() if protocol else "tcp"
        if not self.protocol:
            self.protocol = protocol
        elif self.protocol != protocol:
            raise GraphError(
                f"discovery chain {quote(self.request.service)} uses inconsistent protocols; "
                f"service {quote(service)} has {quote(protocol)} which is not "
                f"{quote(self.protocol)}"
            )

    # -- targets ---------------------------------------------------------------

    def new_target(self, opts: TargetOpts) -> Target:
        """``newTarget``: fill in the defaults, reuse a target already made."""
        request = self.request
        if not opts.peer:
            opts = replace(
                opts,
                datacenter=opts.datacenter or request.datacenter,
                namespace=opts.namespace or request.namespace,
                partition=opts.partition or request.partition,
            )
        else:
            opts = replace(
                opts, datacenter="", partition=DEFAULT, namespace=opts.namespace or DEFAULT
            )
        target = Target(opts, target_id(opts))
        if not opts.peer:
            target.sni = target.name = target_sni(opts, request.trust_domain)
        return self.loaded_targets.setdefault(target.id, target)

    def rewrite_target(self, target: Target, opts: TargetOpts) -> Target:
        """``rewriteTarget``: ``opts``' non-empty parts over the target's."""
        merged = target.opts
        if opts.service and opts.service != merged.service:
            # Another service: the subset chosen for this one means nothing there.
            merged = replace(merged, service=opts.service, subset="")
        if opts.subset:
            merged = replace(merged, subset=opts.subset)
        if opts.partition:
            merged = replace(merged, partition=opts.partition)
        if opts.namespace or opts.peer:
            merged = replace(merged, namespace=opts.namespace)
        if opts.datacenter:
            merged = replace(merged, datacenter=opts.datacenter)
        return self.new_target(replace(merged, peer=opts.peer))

    # -- assembling ------------------------------------------------------------

    def assemble(self) -> None:
        """``assembleChain``: the router (if any) and what it leads to."""
        service = self.request.service
        proxy = self.entries.proxy_defaults()
        if proxy is not None:
            self.envoy_extensions = list(proxy.get("EnvoyExtensions") or [])
        defaults = self.entries.service_defaults(service)
        if defaults is not None:
            self.service_meta = defaults.get("Meta") or None
            self.envoy_extensions += defaults.get("EnvoyExtensions") or []

        router = self.entries.get("service-router", service)
        if router is not None and self.disable_advanced:
            router = None
            self.customized.add("Protocol")
        if router is None:
            node = self.splitter_or_resolver(self.new_target(TargetOpts(service)))
            self.start_node = node.key
            return

        name = f"{service}.{DEFAULT}.{DEFAULT}"
        route_node = Node(ROUTER, name)
        self.uses_advanced = True
        self.record_service_protocol(service)
        for route in router.get("Routes") or []:
            compiled = Route(copy.deepcopy(dict(route)))
            route_node.routes.append(compiled)
            destination = route.get("Destination") or {}
            opts = TargetOpts(
                destination.get("Service") or service,
                namespace=destination.get("Namespace") or DEFAULT,
                partition=destination.get("Partition") or DEFAULT,
            )
            subset = destination.get("ServiceSubset") or ""
            if subset:
                node = self.resolver_node(self.new_target(replace(opts, subset=subset)))
            else:
                node = self.splitter_or_resolver(self.new_target(opts))
            compiled.next_node = node.key
        # The catch-all route to the router's own service comes last.
        fallback = self.splitter_or_resolver(
            self.new_target(TargetOpts(service, namespace=DEFAULT, partition=DEFAULT))
        )
        route_node.routes.append(Route(_default_route(service), fallback.key))
        self.start_node = route_node.key
        self.record_node(route_node)

    def splitter_or_resolver(self, target: Target) -> Node:
        node = self.splitter_node(target.opts.service)
        return node if node is not None else self.resolver_node(target)

    def splitter_node(self, service: str) -> Node | None:
        """``getSplitterNode``: the splitter of ``service``, recursing into other splitters."""
        name = f"{service}.{DEFAULT}.{DEFAULT}"
        if name in self.splitter_nodes:
            return self.splitter_nodes[name]
        splitter = self.entries.get("service-splitter", service)
        if splitter is not None and self.disable_advanced:
            splitter = None
            self.customized.add("Protocol")
        if splitter is None:
            return None
        node = Node(SPLITTER, name)
        # Recorded before recursing, so that a loop below finds it.
        self.record_node(node)
        has_lb = False
        for split in splitter.get("Splits") or []:
            compiled = Split(copy.deepcopy(dict(split)), float(split.get("Weight") or 0))
            node.splits.append(compiled)
            split_service = split.get("Service") or service
            subset = split.get("ServiceSubset") or ""
            if split_service != service and not subset:
                inner = self.splitter_node(split_service)
                if inner is not None:
                    compiled.next_node = inner.key
                    continue
            opts = TargetOpts(split_service, subset, DEFAULT, DEFAULT)
            resolved = self.resolver_node(self.new_target(opts))
            compiled.next_node = resolved.key
            # One hash policy per route: the first hash-based balancer met wins.
            if not has_lb and _is_hash_based(resolved.load_balancer):
                node.load_balancer = resolved.load_balancer
                has_lb = True
        self.uses_advanced = True
        return node

    def resolver_node(self, target: Target, for_failover: bool = False) -> Node:
        """``getResolverNode``: redirects, the default subset, failover, mesh gateways."""
        history: list[str] = []
        while True:
            if target.id in self.resolve_nodes:
                return self.resolve_nodes[target.id]
            service = target.opts.service
            if not target.opts.peer:
                self.record_service_protocol(service)
            resolver = self.resolvers.get(service)
            if resolver is None:
                resolver = self.entries.get("service-resolver", service) or {
                    "Kind": "service-resolver",
                    "Name": service,
                }
                self.resolvers[service] = resolver
            if target.id in history:
                history.append(target.id)
                raise GraphError(f"detected circular resolver redirect: [{' -> '.join(history)}]")
            history.append(target.id)
            redirect = resolver.get("Redirect")
            if redirect:
                redirected = self.rewrite_target(target, _opts_of(redirect))
                if redirected.id != target.id:
                    target = redirected
                    continue
            default_subset = resolver.get("DefaultSubset") or ""
            if not target.opts.subset and default_subset:
                target = self.rewrite_target(target, TargetOpts("", default_subset))
                continue
            break
        return self._build_resolver(target, resolver, for_failover)

    def _build_resolver(
        self, target: Target, resolver: Mapping[str, Any], for_failover: bool
    ) -> Node:
        service = target.opts.service
        subsets = resolver.get("Subsets") or {}
        if target.opts.subset and target.opts.subset not in subsets:
            raise GraphError(
                f"service {quote(service)} does not have a subset named {quote(target.opts.subset)}"
            )
        connect_timeout = _duration(resolver.get("ConnectTimeout"))
        if connect_timeout < 1:
            connect_timeout = DEFAULT_CONNECT_TIMEOUT
        override = self.request.override_connect_timeout
        if override > 0 and connect_timeout != override:
            connect_timeout = override
            self.customized.add("ConnectTimeout")
        target.connect_timeout = connect_timeout
        node = Node(
            RESOLVER,
            target.id,
            resolver=Resolver(
                _resolver_is_default(resolver),
                target.id,
                connect_timeout,
                _duration(resolver.get("RequestTimeout")),
            ),
            load_balancer=resolver.get("LoadBalancer") or None,
        )
        target.subset = subsets.get(target.opts.subset) or {}
        defaults = self.entries.service_defaults(service)
        if defaults is not None and defaults.get("ExternalSNI"):
            target.sni = defaults["ExternalSNI"]
            target.external = True
        if target.external:
            for field_name, what in (
                ("Redirect", "redirects"),
                ("Subsets", "subsets"),
                ("Failover", "failover"),
            ):
                if resolver.get(field_name):
                    raise GraphError(
                        f"service {quote(service)} has an external SNI set; cannot define "
                        f"{what} for external services"
                    )
            # An external service is reached directly, never through a mesh gateway.
            target.mesh_gateway = ""
        else:
            self._mesh_gateway(target, defaults)
        self.retained_targets.add(target.id)
        if for_failover:
            # Failover targets are emitted, not cached nor failed over again.
            return node
        self.record_node(node)
        self._failover(node, target, resolver)
        return node

    def _mesh_gateway(self, target: Target, defaults: Mapping[str, Any] | None) -> None:
        """The mesh gateway mode and direct dialing: service-defaults, proxy-defaults, override."""
        if defaults is not None:
            target.mesh_gateway = (defaults.get("MeshGateway") or {}).get("Mode") or ""
            target.dialed_directly = bool(
                (defaults.get("TransparentProxy") or {}).get("DialedDirectly")
            )
        proxy = self.entries.proxy_defaults()
        if proxy is not None:
            if not target.mesh_gateway:
                target.mesh_gateway = (proxy.get("MeshGateway") or {}).get("Mode") or ""
            if not target.dialed_directly:
                target.dialed_directly = bool(
                    (proxy.get("TransparentProxy") or {}).get("DialedDirectly")
                )
        override = self.request.override_mesh_gateway
        if override and target.mesh_gateway != override:
            target.mesh_gateway = override
            self.customized.add("MeshGateway")

    def _failover(self, node: Node, target: Target, resolver: Mapping[str, Any]) -> None:
        """The failover of the target's subset (or of ``*``), if it leads anywhere else."""
        failovers = resolver.get("Failover") or {}
        failover = failovers.get(target.opts.subset)
        if failover is None:
            failover = failovers.get("*")
        if failover is None:
            return
        rewritten: list[Target] = []
        base = _opts_of(failover)
        if failover.get("Datacenters"):
            rewritten = [
                self.rewrite_target(target, replace(base, datacenter=dc))
                for dc in failover["Datacenters"]
            ]
        elif failover.get("Targets"):
            rewritten = [self.rewrite_target(target, _opts_of(t)) for t in failover["Targets"]]
        else:
            rewritten = [self.rewrite_target(target, base)]
        # A target never fails over to itself.
        rewritten = [t for t in rewritten if t.id != target.id]
        if not rewritten:
            return
        policy = failover.get("Policy")
        if not policy or not policy.get("Mode"):
            proxy = self.entries.proxy_defaults()
            policy = proxy.get("FailoverPolicy") if proxy is not None else None
        targets = [self.resolver_node(t, for_failover=True).name for t in rewritten]
        assert node.resolver is not None
        node.resolver.failover = (targets, policy or None)

    # -- checks on the graph -------------------------------------------------

    def detect_cycles(self) -> None:
        """``detectCircularReferences``: a depth-first walk from the start node."""
        todo = [self.start_node]
        visited: set[str] = set()
        path: list[str] = []
        while todo:
            current = todo.pop()
            if current == "_popvisit":
                if path:
                    visited.discard(path.pop())
                continue
            path.append(current)
            if current in visited:
                raise GraphError(f"detected circular reference: [{' -> '.join(path)}]")
            visited.add(current)
            todo.append("_popvisit")
            node = self.nodes[current]
            todo.extend(route.next_node for route in node.routes)
            todo.extend(split.next_node for split in node.splits)

    def flatten_splitters(self) -> None:
        """``flattenAdjacentSplitterNodes``: a split into a splitter takes that one's splits."""
        changed = True
        while changed:
            changed = False
            for node in list(self.nodes.values()):
                if node.type != SPLITTER:
                    continue
                splits: list[Split] = []
                flattened = False
                for split in node.splits:
                    inner = self.nodes[split.next_node]
                    if inner.type != SPLITTER:
                        splits.append(split)
                        continue
                    flattened = True
                    for inner_split in inner.splits:
                        weight = split.weight * inner_split.weight / 100
                        splits.append(
                            Split(
                                _merge_split(inner_split.definition, split.definition),
                                _normalize_weight(weight),
                                inner_split.next_node,
                            )
                        )
                if flattened:
                    node.splits = splits
                    changed = True

    def remove_unused(self) -> None:
        """``removeUnusedNodes``: only what the start node leads to stays."""
        visited: set[str] = set()
        todo = [self.start_node]
        while todo:
            key = todo.pop()
            if key in visited:
                continue
            visited.add(key)
            node = self.nodes[key]
            todo.extend(route.next_node for route in node.routes)
            todo.extend(split.next_node for split in node.splits)
        self.nodes = {key: node for key, node in self.nodes.items() if key in visited}

    def is_default_chain(self) -> bool:
        """``determineIfDefaultChain``: one default resolver of the chain's own service."""
        node = self.nodes[self.start_node]
        if node.type != RESOLVER or node.resolver is None or not node.resolver.default:
            return False
        opts = self.loaded_targets[node.resolver.target].opts
        request = self.request
        return (
            opts.service == request.service
            and opts.namespace == request.namespace
            and opts.partition == request.partition
        )

    # -- the whole ---------------------------------------------------------------

    def compile(self) -> dict[str, Any]:
        self.assemble()
        self.detect_cycles()
        self.flatten_splitters()
        self.remove_unused()
        targets = {
            key: target
            for key, target in self.loaded_targets.items()
            if key in self.retained_targets
        }
        if not is_http_like(self.protocol) and self.uses_advanced:
            raise GraphError(
                f"discovery chain {quote(self.request.service)} uses a protocol "
                f"{quote(self.protocol)} that does not permit advanced routing or splitting "
                "behavior"
            )
        override = self.request.override_protocol
        if override and override != self.protocol:
            self.protocol = override
            self.customized.add("Protocol")
        request = self.request
        chain: dict[str, Any] = {
            "ServiceName": request.service,
            "Namespace": request.namespace,
            "Partition": request.partition,
            "Datacenter": request.datacenter,
        }
        if self.customized:
            chain["CustomizationHash"] = self.customization_hash()
        if self.is_default_chain():
            chain["Default"] = True
        chain["Protocol"] = self.protocol
        if self.service_meta:
            chain["ServiceMeta"] = dict(self.service_meta)
        if self.envoy_extensions:
            chain["EnvoyExtensions"] = copy.deepcopy(self.envoy_extensions)
        chain["StartNode"] = self.start_node
        chain["Nodes"] = {key: self.nodes[key].to_json() for key in sorted(self.nodes)}
        chain["Targets"] = {key: targets[key].to_json() for key in sorted(targets)}
        return chain

    def customization_hash(self) -> str:
        """The first eight hex digits of the hash of the overrides that changed the chain.

        ``compile.go`` hashes an anonymous struct of the three overrides
        (those that changed nothing at their zero value) with
        ``hashstructure`` v1: :func:`_hash_string`, :func:`_hash_struct`.
        """
        request = self.request
        mode = request.override_mesh_gateway if "MeshGateway" in self.customized else ""
        protocol = request.override_protocol if "Protocol" in self.customized else ""
        timeout = request.override_connect_timeout if "ConnectTimeout" in self.customized else 0
        mesh_gateway = _hash_struct("MeshGatewayConfig", {"Mode": _hash_string(mode)})
        value = _hash_struct(
            "",
            {
                "OverrideMeshGateway": mesh_gateway,
                "OverrideProtocol": _hash_string(protocol),
                "OverrideConnectTimeout": _fnv1(struct.pack("<q", timeout)),
            },
        )
        return f"{value:x}"[:8]


# -- hashstructure v1 (github.com/mitchellh/hashstructure), for the customization hash -----

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_UINT64 = 2**64 - 1


def _fnv1(data: bytes) -> int:
    """64-bit FNV-1 (Go's ``fnv.New64``, hashstructure's default hasher)."""
    value = _FNV_OFFSET
    for byte in data:
        value = (value * _FNV_PRIME) & _UINT64
        value ^= byte
    return value


def _hash_string(text: str) -> int:
    """A string: its bytes hashed."""
    return _fnv1(text.encode())


def _hash_struct(name: str, fields: Mapping[str, int]) -> int:
    """A struct: its type's name, XOR each field's name and value hashed in order.

    ``fields`` maps each exported field to the hash of its value.
    """
    value = _hash_string(name)
    for field_name, field_hash in fields.items():
        value ^= _fnv1(struct.pack("<QQ", _hash_string(field_name), field_hash))
    return value


def _opts_of(spec: Mapping[str, Any]) -> TargetOpts:
    """``ToDiscoveryTargetOpts`` of a redirect, a failover or a failover target."""
    return TargetOpts(
        spec.get("Service") or "",
        spec.get("ServiceSubset") or "",
        spec.get("Namespace") or "",
        spec.get("Partition") or "",
        spec.get("Datacenter") or "",
        spec.get("Peer") or "",
    )


def _default_route(service: str) -> dict[str, Any]:
    """``newDefaultServiceRoute``: every path (``/``) to the router's own service."""
    return {
        "Match": {"HTTP": {"PathPrefix": "/"}},
        "Destination": {"Service": service, "Namespace": DEFAULT, "Partition": DEFAULT},
    }


def _normalize_weight(weight: float) -> float:
    """``NormalizeServiceSplitWeight``: rounded (half away from zero) to two decimals."""
    return math.floor(weight * 100 + 0.5) / 100


def compile_chain(request: CompileRequest, entries: ChainEntries) -> dict[str, Any]:
    """``discoverychain.Compile``: the chain of ``request.service`` as Consul writes it in JSON.

    Raises :class:`GraphError` (Consul's ``ConfigEntryGraphError`` texts)
    when the entries make no valid chain: mixed protocols, routing or
    splitting over a protocol that is not HTTP-like, a missing subset,
    circular redirects or splits, an external service with redirects,
    subsets or failover.
    """
    return _Compiler(request, entries).compile()


def service_chain(dc: Datacenter, request: CompileRequest) -> tuple[int, dict[str, Any], bool]:
    """``serviceDiscoveryChainTxn``: the chain compiled from ``dc``'s entries.

    Returns the index of the configuration entries table, the chain (its
    targets named in the trust domain of ``dc``'s CA), and whether it rests
    on no entry at all. Raises :class:`~.errors.RPCError`.
    """
    store = dc.config_entries
    if dc.ca.configuration is None:
        raise RPCError("no cluster ca config setup")
    entries = ChainEntries(lambda kind, name: store.get(kind, name)[1])
    try:
        chain = compile_chain(replace(request, trust_domain=dc.ca.trust_domain), entries)
    except GraphError as exc:
        raise RPCError(f"failed to compile discovery chain: {exc}") from None
    return store.index, chain, entries.empty
