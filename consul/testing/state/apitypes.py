"""Go types of Consul's ``api`` package that the HTTP API reads or filters, declared once.

``api.AgentService`` is what ``/v1/agent/services`` filters; the
``api.TxnOp`` family is what ``PUT /v1/txn`` decodes (``api/agent.go``,
``api/catalog.go``, ``api/health.go``, ``api/txn.go``). See :mod:`.gotypes`.
"""

from __future__ import annotations

from .gotypes import (
    ANY,
    BOOL,
    BYTES,
    DURATION,
    INT,
    STRING,
    UINT64,
    Map,
    Ptr,
    Slice,
    hidden,
    named,
    struct,
    unchecked,
)
from .structs import ENVOY_EXTENSION, EXPOSE_PATH, UPSTREAM

__all__ = ["AGENT_SERVICE", "TXN_OP"]

_LOCALITY = struct("api.Locality", Region=STRING, Zone=STRING)
_SERVICE_ADDRESS = struct("api.ServiceAddress", Address=STRING, Port=INT)
_MESH_GATEWAY = struct("api.MeshGatewayConfig", Mode=named("api.MeshGatewayMode"))
_ACCESS_LOGS = struct(
    "api.AccessLogsConfig",
    Enabled=BOOL,
    DisableListenerLogs=BOOL,
    Type=named("api.LogSinkType"),
    Path=STRING,
    JSONFormat=STRING,
    TextFormat=STRING,
)

#: ``api.AgentServiceConnectProxyConfig``.
_PROXY = struct(
    "api.AgentServiceConnectProxyConfig",
    EnvoyExtensions=Slice(ENVOY_EXTENSION),
    DestinationServiceName=STRING,
    DestinationServiceID=STRING,
    LocalServiceAddress=STRING,
    LocalServicePort=INT,
    LocalServiceSocketPath=STRING,
    Mode=named("api.ProxyMode"),
    TransparentProxy=Ptr(
        struct("api.TransparentProxyConfig", OutboundListenerPort=INT, DialedDirectly=BOOL)
    ),
    Config=hidden(Map(ANY)),
    Upstreams=Slice(UPSTREAM),
    MeshGateway=_MESH_GATEWAY,
    Expose=struct("api.ExposeConfig", Checks=BOOL, Paths=Slice(EXPOSE_PATH)),
    AccessLogs=Ptr(_ACCESS_LOGS),
)

#: ``api.AgentService``: the values of ``GET /v1/agent/services``, and a
#: transaction's service. A transaction takes its proxy and Connect settings
#: as they come.
AGENT_SERVICE = struct(
    "api.AgentService",
    Kind=named("api.ServiceKind"),
    ID=STRING,
    Service=STRING,
    Tags=Slice(STRING),
    Meta=Map(STRING),
    Port=INT,
    Address=STRING,
    SocketPath=STRING,
    TaggedAddresses=Map(_SERVICE_ADDRESS),
    Weights=struct("api.AgentWeights", Passing=INT, Warning=INT),
    EnableTagOverride=BOOL,
    CreateIndex=hidden(UINT64),
    ModifyIndex=hidden(UINT64),
    ContentHash=hidden(STRING),
    Proxy=unchecked(Ptr(_PROXY)),
    Connect=unchecked(
        Ptr(struct("api.AgentServiceConnect", Native=BOOL, SidecarService=hidden(ANY)))
    ),
    PeerName=STRING,
    Namespace=hidden(STRING),
    Partition=hidden(STRING),
    Datacenter=hidden(STRING),
    Locality=hidden(Ptr(_LOCALITY), opaque=True),
)

_NODE = struct(
    "api.Node",
    ID=STRING,
    Node=STRING,
    Address=STRING,
    Datacenter=STRING,
    TaggedAddresses=Map(STRING),
    Meta=Map(STRING),
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
    Partition=STRING,
    PeerName=STRING,
    Locality=Ptr(_LOCALITY),
)

_DEFINITION = struct(
    "api.HealthCheckDefinition",
    HTTP=STRING,
    Header=Map(Slice(STRING)),
    Method=STRING,
    Body=STRING,
    TLSServerName=STRING,
    TLSSkipVerify=BOOL,
    TCP=STRING,
    UDP=STRING,
    GRPC=STRING,
    OSService=STRING,
    GRPCUseTLS=BOOL,
    IntervalDuration=DURATION,
    TimeoutDuration=DURATION,
    DeregisterCriticalServiceAfterDuration=DURATION,
    Interval=DURATION,
    Timeout=DURATION,
    DeregisterCriticalServiceAfter=DURATION,
)

_CHECK = struct(
    "api.HealthCheck",
    Node=STRING,
    CheckID=STRING,
    Name=STRING,
    Status=STRING,
    Notes=STRING,
    Output=STRING,
    ServiceID=STRING,
    ServiceName=STRING,
    ServiceTags=Slice(STRING),
    Type=STRING,
    Namespace=STRING,
    Partition=STRING,
    ExposedPort=INT,
    PeerName=STRING,
    Definition=_DEFINITION,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)

_KV_OP = struct(
    "api.KVTxnOp",
    Verb=named("api.KVOp"),
    Key=STRING,
    Value=BYTES,
    Flags=UINT64,
    Index=UINT64,
    Session=STRING,
    Namespace=STRING,
    Partition=STRING,
)

#: ``api.TxnOp``: one operation of ``PUT /v1/txn``.
TXN_OP = struct(
    "api.TxnOp",
    KV=Ptr(_KV_OP),
    Node=Ptr(struct("api.NodeTxnOp", Verb=named("api.NodeOp"), Node=_NODE)),
    Service=Ptr(
        struct("api.ServiceTxnOp", Verb=named("api.ServiceOp"), Node=STRING, Service=AGENT_SERVICE)
    ),
    Check=Ptr(struct("api.CheckTxnOp", Verb=named("api.CheckOp"), Check=_CHECK)),
)
