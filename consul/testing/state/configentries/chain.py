"""The discovery chain checks a write must pass: protocols, subsets, redirects, loops.

Consul compiles every discovery chain a write affects before accepting it
(``validateProposedConfigEntryInServiceGraph`` in
``agent/consul/state/config_entry.go``, ``Compile`` in
``agent/consul/discoverychain/compile.go``) and refuses the write with the
compiler's graph errors. This module finds the chains a write affects and
compiles each with ``state/discoverychain.py`` (the compiler of
``/v1/discovery-chain``), then checks the ingress gateways' listeners
against the protocols of the chains they expose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..discoverychain import ChainEntries, CompileRequest, GraphError, compile_chain
from ..errors import RPCError
from ..golang import quote

if TYPE_CHECKING:
    from .registry import Entry
    from .store import EntriesView

__all__ = ["HTTP_LIKE", "check_service_graph", "protocol_of_service", "related_services"]

#: ``structs.IsProtocolHTTPLike``: the protocols routers and splitters need.
HTTP_LIKE = ("http", "http2", "grpc")
ROUTER, SPLITTER, RESOLVER = "service-router", "service-splitter", "service-resolver"
INGRESS = "ingress-gateway"
#: What ``testCompileDiscoveryChain`` compiles in: a datacenter and trust domain of its own.
_DATACENTER = "dc1"
_TRUST_DOMAIN = "b6fc9da3-03d4-4b5a-9134-c045e9b20152.consul"


def _compile(view: EntriesView, name: str) -> dict[str, Any]:
    """``testCompileDiscoveryChain``: the chain ``name`` compiled from the entries as they would be.

    Raises the compiler's graph errors as :class:`~..errors.RPCError`.
    """
    request = CompileRequest(name, _DATACENTER, _TRUST_DOMAIN)
    try:
        return compile_chain(request, ChainEntries(view.get))
    except GraphError as exc:
        raise RPCError(str(exc)) from None


def protocol_of_service(view: EntriesView, service: str) -> str:
    """The protocol of ``service``'s chain, compiled from the entries as they would be.

    What ``validateProposedConfigEntryInServiceGraph`` compares with the L7
    permissions of the service's intentions.
    """
    return str(_compile(view, service)["Protocol"])


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


def _check_ingress(ingress: Entry, compiled: dict[str, dict[str, Any]], enforce: bool) -> None:
    for listener in ingress["Listeners"] or []:
        expected = listener["Protocol"]
        for service in listener["Services"] or []:
            if service["Name"] == "*":
                continue
            chain = compiled[service["Name"]]
            protocol = chain["Protocol"]
            if protocol == expected:
                continue
            top_is_resolver = chain["StartNode"].startswith("resolver:")
            if enforce or expected != "tcp" or not top_is_resolver:
                raise RPCError(
                    f"service {quote(service['Name'])} has protocol {quote(protocol)}, "
                    f"which does not match defined listener protocol {quote(expected)}"
                )
