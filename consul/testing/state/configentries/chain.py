"""The discovery chain checks a write must pass: protocols, subsets, redirects, loops.

Consul compiles every discovery chain a write affects before accepting it
(``validateProposedConfigEntryInServiceGraph`` in
``agent/consul/state/config_entry.go``, ``Compile`` in
``agent/consul/discoverychain/compile.go``) and refuses the write with the
compiler's graph errors. This module walks a chain as the compiler
assembles it (the router of the service, then splitters, then resolvers
with their redirects, default subsets and failover) and raises those
errors; the compiled chain itself (``/v1/discovery-chain``) is not built
here. Then the ingress gateways' listeners are checked against the
protocols of the chains they expose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..golang import quote
from .decode import MapDecodeError
from .proxy_defaults import GLOBAL, protocol_of

if TYPE_CHECKING:
    from .registry import Entry
    from .store import EntriesView

__all__ = ["HTTP_LIKE", "check_service_graph", "protocol_of_service"]

#: ``structs.IsProtocolHTTPLike``: the protocols routers and splitters need.
HTTP_LIKE = ("http", "http2", "grpc")
ROUTER, SPLITTER, RESOLVER = "service-router", "service-splitter", "service-resolver"
INGRESS = "ingress-gateway"
#: What ``testCompileDiscoveryChain`` evaluates in (the namespace, partition, datacenter).
_NAMESPACE, _PARTITION, _DATACENTER = "default", "default", "dc1"


def protocol_of_service(view: EntriesView, service: str) -> str:
    """``recordServiceProtocol``: the service's protocol (its defaults, else the proxies')."""
    defaults = view.get("service-defaults", service)
    if defaults is not None:
        protocol = str(defaults["Protocol"])
    else:
        protocol = ""
        proxy = view.get("proxy-defaults", GLOBAL)
        if proxy is not None:
            try:
                protocol = protocol_of(proxy["Config"])
            except MapDecodeError:
                protocol = ""  # the compiler ignores the error and takes the default
    return protocol.lower() if protocol else "tcp"


@dataclass(frozen=True)
class _Target:
    service: str
    subset: str = ""
    namespace: str = _NAMESPACE
    partition: str = _PARTITION
    datacenter: str = _DATACENTER
    peer: str = ""

    @property
    def id(self) -> str:
        """``ChainID``: ``subset.service.namespace.partition.datacenter``."""
        place = f"external.{self.peer}" if self.peer else f"{self.partition}.{self.datacenter}"
        head = f"{self.subset}." if self.subset else ""
        return f"{head}{self.service}.{self.namespace}.{place}"

    def rewrite(self, opts: dict[str, Any]) -> _Target:
        """``rewriteTarget``: ``opts``' non-empty fields over this target."""
        target = self
        service = opts.get("Service") or ""
        if service and service != target.service:
            target = replace(target, service=service, subset="")
        if opts.get("ServiceSubset"):
            target = replace(target, subset=opts["ServiceSubset"])
        if opts.get("Partition"):
            target = replace(target, partition=opts["Partition"])
        if opts.get("Namespace") or opts.get("Peer"):
            target = replace(target, namespace=opts.get("Namespace") or "")
        if opts.get("Datacenter"):
            target = replace(target, datacenter=opts["Datacenter"])
        target = replace(target, peer=opts.get("Peer") or "")
        if target.peer:
            return replace(
                target, datacenter="", partition=_PARTITION, namespace=target.namespace or "default"
            )
        return replace(
            target,
            datacenter=target.datacenter or _DATACENTER,
            namespace=target.namespace or _NAMESPACE,
            partition=target.partition or _PARTITION,
        )


class _Compiler:
    """One chain's walk (``compiler.assembleChain``), for its errors and its protocol."""

    def __init__(self, view: EntriesView, name: str) -> None:
        self.view = view
        self.name = name
        self.protocol = ""
        self.advanced = False
        #: Node key -> the node keys it leads to (routers and splitters).
        self.edges: dict[str, list[str]] = {}
        self.resolved: set[str] = set()
        self.start = ""

    def record(self, service: str) -> None:
        protocol = protocol_of_service(self.view, service)
        if not self.protocol:
            self.protocol = protocol
        elif self.protocol != protocol:
            raise RPCError(
                f"discovery chain {quote(self.name)} uses inconsistent protocols; service "
                f"{quote(service)} has {quote(protocol)} which is not {quote(self.protocol)}"
            )

    def compile(self) -> str:
        router = self.view.get(ROUTER, self.name)
        if router is None:
            self.start = self.splitter_or_resolver(_Target(self.name))
        else:
            key = f"router:{self.name}.{_NAMESPACE}.{_PARTITION}"
            self.advanced = True
            self.record(self.name)
            nexts = []
            for route in router["Routes"] or []:
                dest = route["Destination"] or {}
                service = dest.get("Service") or self.name
                if dest.get("ServiceSubset"):
                    nexts.append(self.resolver(_Target(service, dest["ServiceSubset"])))
                else:
                    nexts.append(self.splitter_or_resolver(_Target(service)))
            nexts.append(self.splitter_or_resolver(_Target(self.name)))
            self.edges[key] = nexts
            self.start = key
        self.detect_cycles()
        if self.protocol not in HTTP_LIKE and self.advanced:
            raise RPCError(
                f"discovery chain {quote(self.name)} uses a protocol {quote(self.protocol)} "
                "that does not permit advanced routing or splitting behavior"
            )
        return self.start

    def splitter_or_resolver(self, target: _Target) -> str:
        return self.splitter(target.service) or self.resolver(target)

    def splitter(self, service: str) -> str | None:
        key = f"splitter:{service}.{_NAMESPACE}.{_PARTITION}"
        if key in self.edges:
            return key
        splitter = self.view.get(SPLITTER, service)
        if splitter is None:
            return None
        nexts: list[str] = []
        self.edges[key] = nexts
        for split in splitter["Splits"] or []:
            other = split["Service"] or service
            if other != service and not split["ServiceSubset"]:
                inner = self.splitter(other)
                if inner is not None:
                    nexts.append(inner)
                    continue
            nexts.append(self.resolver(_Target(other, split["ServiceSubset"])))
        self.advanced = True
        return key

    def resolver(self, target: _Target, for_failover: bool = False) -> str:
        history: list[str] = []
        while True:
            key = f"resolver:{target.id}"
            if key in self.resolved:
                return key
            if not target.peer:
                self.record(target.service)
            resolver = self.view.get(RESOLVER, target.service)
            if target.id in history:
                history.append(target.id)
                raise RPCError(f"detected circular resolver redirect: [{' -> '.join(history)}]")
            history.append(target.id)
            if resolver is not None and resolver["Redirect"] is not None:
                redirected = target.rewrite(resolver["Redirect"])
                if redirected.id != target.id:
                    target = redirected
                    continue
            if resolver is not None and not target.subset and resolver["DefaultSubset"]:
                target = target.rewrite({"ServiceSubset": resolver["DefaultSubset"]})
                continue
            subsets = (resolver or {}).get("Subsets") or {}
            if target.subset and target.subset not in subsets:
                raise RPCError(
                    f"service {quote(target.service)} does not have a subset named "
                    f"{quote(target.subset)}"
                )
            break
        self.external_checks(target, resolver)
        key = f"resolver:{target.id}"
        if for_failover:
            return key
        self.resolved.add(key)
        failovers = (resolver or {}).get("Failover") or {}
        failover = failovers.get(target.subset, failovers.get("*"))
        if failover is not None:
            for other in self.failover_targets(target, failover):
                self.resolver(other, for_failover=True)
        return key

    def external_checks(self, target: _Target, resolver: Entry | None) -> None:
        defaults = self.view.get("service-defaults", target.service)
        if defaults is None or not defaults["ExternalSNI"] or resolver is None:
            return
        service = quote(target.service)
        for field, what in (
            ("Redirect", "redirects"),
            ("Subsets", "subsets"),
            ("Failover", "failover"),
        ):
            if resolver[field]:
                raise RPCError(
                    f"service {service} has an external SNI set; cannot define {what} "
                    "for external services"
                )

    @staticmethod
    def failover_targets(target: _Target, failover: dict[str, Any]) -> list[_Target]:
        base = {
            "Service": failover["Service"],
            "ServiceSubset": failover["ServiceSubset"],
            "Namespace": failover["Namespace"],
        }
        if failover["Datacenters"]:
            options = [{**base, "Datacenter": dc} for dc in failover["Datacenters"]]
        elif failover["Targets"]:
            options = list(failover["Targets"])
        else:
            options = [base]
        found = [target.rewrite(option) for option in options]
        return [other for other in found if other.id != target.id]

    def detect_cycles(self) -> None:
        """``detectCircularReferences`` over the routers' and splitters' nodes."""

        def visit(key: str, path: list[str]) -> None:
            if key in path:
                chain = " -> ".join([*path, key])
                raise RPCError(f"detected circular reference: [{chain}]")
            for following in self.edges.get(key, []):
                visit(following, [*path, key])

        visit(self.start, [])


def _compile(view: EntriesView, name: str) -> _Compiler:
    compiler = _Compiler(view, name)
    compiler.compile()
    return compiler


def related_services(entry: Entry) -> set[str]:
    """``ListRelatedServices`` of a router, splitter or resolver (its own name left out)."""
    kind, name = entry["Kind"], entry["Name"]
    found: set[str] = set()
    if kind == ROUTER:
        for route in entry["Routes"] or []:
            if route["Destination"] is not None:
                found.add(route["Destination"]["Service"] or name)
    elif kind == SPLITTER:
        found.update(split["Service"] or name for split in entry["Splits"] or [])
    elif kind == RESOLVER:
        if entry["Redirect"] is not None:
            found.add(entry["Redirect"]["Service"] or name)
        for failover in (entry["Failover"] or {}).values():
            if not failover["Targets"]:
                found.add(failover["Service"] or name)
            found.update(
                target["Service"] or name
                for target in failover["Targets"] or []
                if not target["Peer"]
            )
    elif kind == INGRESS:
        for listener in entry["Listeners"] or []:
            found.update(
                service["Name"] for service in listener["Services"] or [] if service["Name"] != "*"
            )
    found.discard(name)
    return found


def check_service_graph(view: EntriesView, kind: str, name: str) -> None:
    """``validateProposedConfigEntryInServiceGraph`` for a write (or delete) of ``kind``/``name``.

    Compiles every chain the change may affect and checks the ingress
    gateways' listeners; raises :class:`~..errors.RPCError` with Consul's
    graph errors.
    """
    chains: set[str] = set()
    ingresses: list[Entry] = []
    enforce_match = False
    if kind in ("mesh", "exported-services"):
        return
    if kind == "proxy-defaults":
        for chain_kind in (ROUTER, SPLITTER, RESOLVER):
            chains.update(entry["Name"] for entry in view.of_kind(chain_kind))
        ingresses.extend(view.of_kind(INGRESS))
    elif kind == INGRESS:
        entry = view.get(INGRESS, name)
        if entry is None:
            return
        ingresses.append(entry)
        enforce_match = True
    elif kind in ("service-defaults", ROUTER, SPLITTER, RESOLVER):
        chains.add(name)
        # The "link" index: the entries that name this service.
        for other_kind in (ROUTER, SPLITTER, RESOLVER, INGRESS):
            for entry in view.of_kind(other_kind):
                if name not in related_services(entry):
                    continue
                if other_kind == INGRESS:
                    ingresses.append(entry)
                else:
                    chains.add(entry["Name"])
    else:
        return
    for ingress in ingresses:
        chains.update(related_services(ingress))
    compiled = {chain: _compile(view, chain) for chain in sorted(chains)}
    for ingress in ingresses:
        _check_ingress(ingress, compiled, enforce_match)


def _check_ingress(ingress: Entry, compiled: dict[str, _Compiler], enforce: bool) -> None:
    for listener in ingress["Listeners"] or []:
        expected = listener["Protocol"]
        for service in listener["Services"] or []:
            if service["Name"] == "*":
                continue
            chain = compiled[service["Name"]]
            if chain.protocol == expected:
                continue
            top_is_resolver = chain.start.startswith("resolver:")
            if enforce or expected != "tcp" or not top_is_resolver:
                raise RPCError(
                    f"service {quote(service['Name'])} has protocol {quote(chain.protocol)}, "
                    f"which does not match defined listener protocol {quote(expected)}"
                )
