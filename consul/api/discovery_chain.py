"""The discovery chain: ``/v1/discovery-chain`` (``client.discovery_chain``).

py-consul's name and arguments (``client.discovery_chain.get(service,
compile_dc, token, override_connect_timeout, override_protocol,
override_mesh_gateway_mode)``). The chain is what Consul compiles from
the service's configuration entries (``service-router``,
``service-splitter``, ``service-resolver``, ``service-defaults``,
``proxy-defaults``): a graph of router, splitter and resolver nodes from
``StartNode``, and the targets the resolvers send to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, duration_field, endpoint, optional_str
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment

if TYPE_CHECKING:
    from .._meta import Indexed

M = TypeVar("M")

__all__ = [
    "CompiledDiscoveryChain",
    "DiscoveryChain",
    "DiscoveryChainResponse",
    "DiscoveryFailover",
    "DiscoveryGraphNode",
    "DiscoveryResolver",
    "DiscoveryRoute",
    "DiscoverySplit",
    "DiscoveryTarget",
]

#: The mesh gateway modes an override may name.
MESH_GATEWAY_MODES = ("none", "local", "remote")


class DiscoveryRoute(TypedDict, total=False):
    """A route of a router node: its ``service-router`` definition and the node it leads to."""

    Definition: dict[str, Any]
    NextNode: str


class DiscoverySplit(TypedDict, total=False):
    """A split of a splitter node: its definition, its compiled weight and next node."""

    Definition: dict[str, Any]
    Weight: float
    NextNode: str


class DiscoveryFailover(TypedDict, total=False):
    """Where a resolver fails over to (target IDs), and how."""

    Targets: list[str]
    Policy: dict[str, Any]


class DiscoveryResolver(TypedDict, total=False):
    """A resolver node's settings (``ConnectTimeout`` as a duration string, ``5s``)."""

    ConnectTimeout: str
    Default: bool
    RequestTimeout: int
    Target: str
    Failover: DiscoveryFailover


class DiscoveryGraphNode(TypedDict, total=False):
    """A node of the chain: ``Type`` is ``router``, ``splitter`` or ``resolver``."""

    Type: str
    Name: str
    Routes: list[DiscoveryRoute]
    Splits: list[DiscoverySplit]
    Resolver: DiscoveryResolver
    LoadBalancer: dict[str, Any]


class DiscoveryTarget(TypedDict, total=False):
    """A set of instances the chain sends to (``ID``: ``[subset.]service.ns.partition.dc``)."""

    ConnectTimeout: str
    ID: str
    Service: str
    ServiceSubset: str
    Namespace: str
    Partition: str
    Datacenter: str
    Peer: str
    MeshGateway: dict[str, str]
    Subset: dict[str, Any]
    TransparentProxy: dict[str, Any]
    External: bool
    SNI: str
    Name: str


class CompiledDiscoveryChain(TypedDict, total=False):
    """A compiled chain: walk ``Nodes`` from ``StartNode`` down to ``Targets``."""

    ServiceName: str
    Namespace: str
    Partition: str
    Datacenter: str
    CustomizationHash: str
    Default: bool
    Protocol: str
    ServiceMeta: dict[str, str]
    EnvoyExtensions: list[dict[str, Any]]
    StartNode: str
    Nodes: dict[str, DiscoveryGraphNode]
    Targets: dict[str, DiscoveryTarget]


class DiscoveryChainResponse(TypedDict):
    """The answer: the chain."""

    Chain: CompiledDiscoveryChain


def _overrides(
    connect_timeout: str | float | None, protocol: str | None, mesh_gateway_mode: str | None
) -> dict[str, Any]:
    """The body of a read with overrides (empty: a plain ``GET``)."""
    body: dict[str, Any] = {}
    if connect_timeout is not None:
        body["OverrideConnectTimeout"] = duration_field(connect_timeout, "override_connect_timeout")
    if optional_str(protocol, "override_protocol"):
        body["OverrideProtocol"] = protocol
    if optional_str(mesh_gateway_mode, "override_mesh_gateway_mode"):
        if mesh_gateway_mode not in MESH_GATEWAY_MODES:
            raise ValueError(
                "override_mesh_gateway_mode must be 'none', 'local' or 'remote', "
                f"not {mesh_gateway_mode!r}"
            )
        body["OverrideMeshGateway"] = {"Mode": mesh_gateway_mode}
    return body


class DiscoveryChain(Group[M]):
    """The compiled discovery chain of a service (``client.discovery_chain``)."""

    @endpoint
    def get(
        self,
        service: str,
        compile_dc: str | None = None,
        token: str | None = None,
        override_connect_timeout: str | float | None = None,
        override_protocol: str | None = None,
        override_mesh_gateway_mode: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[DiscoveryChainResponse]]:
        """``GET /v1/discovery-chain/:service``: the chain as Consul compiles it (``service:read``).

        ``compile_dc`` compiles it as seen from that datacenter (default:
        the one answering). The overrides change the compiled chain, as an
        upstream's configuration does: the connect timeout (seconds, or a
        duration such as ``"7s"``) and the protocol of every resolver, the
        mesh gateway mode of every target (``none``, ``local`` or
        ``remote``); with any of them the read is a ``POST`` whose body
        carries them. ``index`` and ``wait`` block until the chain changes.
        Entries that make no valid chain are a :class:`~consul.ServerError`
        carrying Consul's message.
        """
        params: list[tuple[str, str]] = []
        if compile_datacenter := optional_str(compile_dc, "compile_dc"):
            params.append(("compile-dc", compile_datacenter))
        body = _overrides(override_connect_timeout, override_protocol, override_mesh_gateway_mode)
        request = self._request(
            "POST" if body else "GET",
            path("discovery-chain", path_segment(service, "service")),
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            read=True,
            json_body=body or None,
            cached=cached,
            max_age=max_age,
            stale_if_error=stale_if_error,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.indexed(d.json))
