"""Consul's own Go types (``agent/structs`` and friends), declared once.

The request bodies the HTTP API decodes and the elements ``?filter`` runs on
are these types (:mod:`.gotypes`). Field order is Go's; ``hidden`` fields
carry ``bexpr:"-"``; ``unchecked`` ones are taken as they come. Sources:
``agent/structs/structs.go``, ``connect_proxy_config.go``,
``check_type.go``, ``check_definition.go``, ``service_definition.go``,
``acl.go``, and ``agent/agent_endpoint.go`` for ``checkUpdate``.

Several types are decoded by custom ``UnmarshalJSON`` methods into anonymous
"aux" structs: Go names no struct in their field errors (``.Port``), and
their ``Go value of type`` errors print the aux struct's whole type.
"""

from __future__ import annotations

from .gotypes import (
    ANY,
    BOOL,
    DURATION,
    FLOAT64,
    INT,
    STRING,
    UINT64,
    Map,
    Ptr,
    Slice,
    Struct,
    fields,
    hidden,
    named,
    struct,
    unchecked,
)

__all__ = [
    "ACL_BOOTSTRAP",
    "ACL_POLICY",
    "ACL_ROLE",
    "ACL_TOKEN",
    "CHECK_DEFINITION",
    "CHECK_SERVICE_NODE",
    "CHECK_TYPE",
    "CHECK_UPDATE",
    "CONNECT_PROXY_CONFIG",
    "COORDINATE",
    "COORDINATE_UPDATE_REQUEST",
    "DEREGISTER_REQUEST",
    "HEALTH_CHECK",
    "HEALTH_CHECK_DEFINITION",
    "LOCALITY",
    "NODE",
    "NODE_SERVICE",
    "REGISTER_REQUEST",
    "SERVICE_ADDRESS",
    "SERVICE_CONNECT",
    "SERVICE_DEFINITION",
    "SERVICE_NODE",
    "SESSION",
    "WEIGHTS",
]

_NODE_ID = named("types.NodeID")
_CHECK_ID = named("types.CheckID")

WEIGHTS = struct("structs.Weights", Passing=INT, Warning=INT)
SERVICE_ADDRESS = struct("structs.ServiceAddress", Address=STRING, Port=INT)
LOCALITY = struct("structs.Locality", Region=STRING, Zone=STRING)

# -- Connect -------------------------------------------------------------------------

_MESH_GATEWAY = struct("structs.MeshGatewayConfig", Mode=named("structs.MeshGatewayMode"))
_TRANSPARENT_PROXY = struct(
    "structs.TransparentProxyConfig", OutboundListenerPort=INT, DialedDirectly=BOOL
)
_ACCESS_LOGS = struct(
    "structs.AccessLogsConfig",
    Enabled=BOOL,
    DisableListenerLogs=BOOL,
    Type=named("structs.LogSinkType"),
    Path=STRING,
    JSONFormat=STRING,
    TextFormat=STRING,
)
ENVOY_EXTENSION = struct(
    "structs.EnvoyExtension",
    Name=STRING,
    Required=BOOL,
    Arguments=hidden(Map(ANY)),
    ConsulVersion=STRING,
    EnvoyVersion=STRING,
)
UPSTREAM = struct(
    "structs.Upstream",
    DestinationType=STRING,
    DestinationNamespace=STRING,
    DestinationPartition=STRING,
    DestinationPeer=STRING,
    DestinationName=STRING,
    Datacenter=STRING,
    LocalBindAddress=STRING,
    LocalBindPort=INT,
    LocalBindSocketPath=STRING,
    LocalBindSocketMode=STRING,
    Config=hidden(Map(ANY)),
    MeshGateway=_MESH_GATEWAY,
)
EXPOSE_PATH = struct(
    "structs.ExposePath",
    ListenerPort=INT,
    Path=STRING,
    LocalPathPort=INT,
    Protocol=STRING,
    ParsedFromCheck=BOOL,
)
_EXPOSE = struct("structs.ExposeConfig", Checks=BOOL, Paths=unchecked(Slice(EXPOSE_PATH)))

#: ``structs.ConnectProxyConfig``; its ``UnmarshalJSON`` also takes the
#: snake_case spellings of a few fields. What its upstreams, extensions and
#: exposed paths hold is kept as given.
CONNECT_PROXY_CONFIG = struct(
    "structs.ConnectProxyConfig",
    EnvoyExtensions=unchecked(Slice(ENVOY_EXTENSION)),
    DestinationServiceName=STRING,
    DestinationServiceID=STRING,
    LocalServiceAddress=STRING,
    LocalServicePort=INT,
    LocalServiceSocketPath=STRING,
    Mode=named("structs.ProxyMode"),
    Config=hidden(Map(ANY)),
    Upstreams=unchecked(Slice(UPSTREAM)),
    MeshGateway=_MESH_GATEWAY,
    Expose=_EXPOSE,
    TransparentProxy=_TRANSPARENT_PROXY,
    AccessLogs=_ACCESS_LOGS,
    aliases={
        "destination_service_name": "DestinationServiceName",
        "destination_service_id": "DestinationServiceID",
        "local_service_address": "LocalServiceAddress",
        "local_service_port": "LocalServicePort",
        "local_service_socket_path": "LocalServiceSocketPath",
        "mesh_gateway": "MeshGateway",
        "transparent_proxy": "TransparentProxy",
        "access_logs": "AccessLogs",
    },
)

#: ``structs.ServiceConnect``: its ``UnmarshalJSON`` uses plain
#: ``json.Unmarshal``, so unknown fields inside are ignored.
SERVICE_CONNECT = struct(
    "structs.ServiceConnect",
    Native=BOOL,
    SidecarService=hidden(ANY),
    PeerMeta=hidden(ANY),
    aliases={"sidecar_service": "SidecarService"},
    allow_unknown=True,
)

# -- the catalog -----------------------------------------------------------------------

#: ``structs.Node``: ``GET /v1/catalog/nodes``.
NODE = struct(
    "structs.Node",
    ID=_NODE_ID,
    Node=STRING,
    Address=STRING,
    Datacenter=STRING,
    Partition=STRING,
    PeerName=STRING,
    TaggedAddresses=Map(STRING),
    Meta=Map(STRING),
    Locality=hidden(Ptr(LOCALITY)),
    CreateIndex=hidden(UINT64),
    ModifyIndex=hidden(UINT64),
)

#: ``structs.NodeService``: a registration's service, and the services of
#: ``/v1/catalog/node/:node`` and ``/v1/catalog/node-services/:node``.
NODE_SERVICE = struct(
    "structs.NodeService",
    Kind=named("structs.ServiceKind"),
    ID=STRING,
    Service=STRING,
    Tags=Slice(STRING),
    Address=STRING,
    TaggedAddresses=Map(SERVICE_ADDRESS),
    Meta=Map(STRING),
    Port=INT,
    SocketPath=STRING,
    Weights=Ptr(WEIGHTS),
    EnableTagOverride=BOOL,
    Locality=hidden(Ptr(LOCALITY)),
    Proxy=CONNECT_PROXY_CONFIG,
    Connect=SERVICE_CONNECT,
    PeerName=STRING,
    CreateIndex=hidden(UINT64),
    ModifyIndex=hidden(UINT64),
)

#: ``structs.ServiceNode``: ``/v1/catalog/service/:service`` and ``/v1/catalog/connect/:service``.
SERVICE_NODE = struct(
    "structs.ServiceNode",
    ID=_NODE_ID,
    Node=STRING,
    Address=STRING,
    Datacenter=STRING,
    TaggedAddresses=Map(STRING),
    NodeMeta=Map(STRING),
    ServiceKind=named("structs.ServiceKind"),
    ServiceID=STRING,
    ServiceName=STRING,
    ServiceTags=Slice(STRING),
    ServiceAddress=STRING,
    ServiceTaggedAddresses=Map(SERVICE_ADDRESS),
    ServiceWeights=WEIGHTS,
    ServiceMeta=Map(STRING),
    ServicePort=INT,
    ServiceSocketPath=STRING,
    ServiceEnableTagOverride=BOOL,
    ServiceProxy=CONNECT_PROXY_CONFIG,
    ServiceConnect=SERVICE_CONNECT,
    ServiceLocality=hidden(Ptr(LOCALITY)),
    PeerName=STRING,
    CreateIndex=hidden(UINT64),
    ModifyIndex=hidden(UINT64),
)

#: ``structs.HealthCheckDefinition``: decoded by its own ``UnmarshalJSON``
#: with plain ``json.Unmarshal`` (unknown fields ignored); durations are Go
#: duration strings or nanoseconds.
HEALTH_CHECK_DEFINITION = struct(
    "structs.HealthCheckDefinition",
    HTTP=STRING,
    TLSServerName=STRING,
    TLSSkipVerify=BOOL,
    Header=Map(Slice(STRING)),
    Method=STRING,
    Body=STRING,
    DisableRedirects=BOOL,
    TCP=STRING,
    UDP=STRING,
    H2PING=STRING,
    OSService=STRING,
    H2PingUseTLS=BOOL,
    Interval=DURATION,
    OutputMaxSize=UINT64,
    Timeout=DURATION,
    DeregisterCriticalServiceAfter=DURATION,
    ScriptArgs=Slice(STRING),
    DockerContainerID=STRING,
    Shell=STRING,
    GRPC=STRING,
    GRPCUseTLS=BOOL,
    AliasNode=STRING,
    AliasService=STRING,
    TTL=DURATION,
    allow_unknown=True,
)

#: ``structs.HealthCheck``: a registration's checks, ``/v1/agent/checks``,
#: ``/v1/health/node/:node``, ``/v1/health/checks/:service``, ``/v1/health/state/:state``.
HEALTH_CHECK = struct(
    "structs.HealthCheck",
    Node=STRING,
    CheckID=_CHECK_ID,
    Name=STRING,
    Status=STRING,
    Notes=STRING,
    Output=STRING,
    ServiceID=STRING,
    ServiceName=STRING,
    ServiceTags=Slice(STRING),
    Type=STRING,
    Interval=STRING,
    Timeout=STRING,
    ExposedPort=INT,
    PeerName=STRING,
    Definition=hidden(HEALTH_CHECK_DEFINITION),
    CreateIndex=hidden(UINT64),
    ModifyIndex=hidden(UINT64),
)

#: ``structs.CheckServiceNode``: ``/v1/health/service/:service`` and friends.
CHECK_SERVICE_NODE = struct(
    "structs.CheckServiceNode",
    Node=Ptr(NODE),
    Service=Ptr(NODE_SERVICE),
    Checks=Slice(Ptr(HEALTH_CHECK)),
)

#: ``structs.RegisterRequest`` (``Token`` and the Raft indexes come from its
#: embedded ``WriteRequest`` and ``RaftIndex``).
REGISTER_REQUEST = struct(
    "structs.RegisterRequest",
    Datacenter=STRING,
    ID=_NODE_ID,
    Node=STRING,
    Address=STRING,
    TaggedAddresses=Map(STRING),
    NodeMeta=Map(STRING),
    Service=Ptr(NODE_SERVICE),
    Check=Ptr(HEALTH_CHECK),
    Checks=Slice(Ptr(HEALTH_CHECK)),
    Locality=Ptr(LOCALITY),
    SkipNodeUpdate=BOOL,
    PeerName=STRING,
    Token=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)

#: ``structs.DeregisterRequest``; its ``UnmarshalJSON`` still accepts the
#: obsolete ``Address``.
DEREGISTER_REQUEST = struct(
    "structs.DeregisterRequest",
    Datacenter=STRING,
    Node=STRING,
    ServiceID=STRING,
    CheckID=_CHECK_ID,
    PeerName=STRING,
    Token=STRING,
    Address=STRING,
)

# -- the agent's definitions -----------------------------------------------------------

# The definitions' durations are interface{} in their aux structs: a string
# is parsed afterwards, a number is nanoseconds, anything else is ignored.
_CHECK_FIELDS = fields(
    Name=STRING,
    Status=STRING,
    Notes=STRING,
    ScriptArgs=Slice(STRING),
    HTTP=STRING,
    H2PING=STRING,
    H2PingUseTLS=BOOL,
    Header=Map(Slice(STRING)),
    Method=STRING,
    Body=STRING,
    DisableRedirects=BOOL,
    TCP=STRING,
    UDP=STRING,
    Interval=ANY,
    AliasNode=STRING,
    AliasService=STRING,
    DockerContainerID=STRING,
    Shell=STRING,
    GRPC=STRING,
    GRPCUseTLS=BOOL,
    OSService=STRING,
    TLSServerName=STRING,
    TLSSkipVerify=BOOL,
    Timeout=ANY,
    TTL=ANY,
    SuccessBeforePassing=INT,
    FailuresBeforeWarning=INT,
    FailuresBeforeCritical=INT,
    DeregisterCriticalServiceAfter=ANY,
    OutputMaxSize=INT,
)
_CHECK_SNAKE = {
    "args": "ScriptArgs",
    "script_args": "ScriptArgs",
    "deregister_critical_service_after": "DeregisterCriticalServiceAfter",
    "docker_container_id": "DockerContainerID",
    "tls_server_name": "TLSServerName",
    "tls_skip_verify": "TLSSkipVerify",
    "grpc_use_tls": "GRPCUseTLS",
    "h2ping_use_tls": "H2PingUseTLS",
    "service_id": "ServiceID",
}

#: ``structs.CheckType`` (a service's ``Check``/``Checks``), through its aux
#: struct; ``ServiceID`` is accepted and ignored.
CHECK_TYPE = Struct(
    "structs.CheckType",
    (
        *fields(CheckID=STRING),
        *_CHECK_FIELDS,
        *fields(ProxyHTTP=STRING, ProxyGRPC=STRING, ServiceID=STRING),
    ),
    aliases=_CHECK_SNAKE,
)

#: ``structs.CheckDefinition`` (``PUT /v1/agent/check/register``), through its aux struct.
CHECK_DEFINITION = Struct(
    "struct { Interval interface {}; Timeout interface {}; TTL interface {}; "
    "DeregisterCriticalServiceAfter interface {}; "
    'Args []string "json:\\"args\\""; ScriptArgsSnake []string "json:\\"script_args\\""; '
    "DeregisterCriticalServiceAfterSnake interface {} "
    '"json:\\"deregister_critical_service_after\\""; '
    'DockerContainerIDSnake string "json:\\"docker_container_id\\""; '
    'TLSServerNameSnake string "json:\\"tls_server_name\\""; '
    'TLSSkipVerifySnake bool "json:\\"tls_skip_verify\\""; '
    'GRPCUseTLSSnake bool "json:\\"grpc_use_tls\\""; '
    'ServiceIDSnake string "json:\\"service_id\\""; '
    'H2PingUseTLSSnake bool "json:\\"h2ping_use_tls\\""; '
    'DisableRedirectsSnake bool "json:\\"disable_redirects\\""; *structs.Alias }',
    (*fields(ID=STRING, ServiceID=STRING, Token=STRING), *_CHECK_FIELDS),
    aliases={**_CHECK_SNAKE, "disable_redirects": "DisableRedirects"},
)

#: ``structs.ServiceDefinition`` (``PUT /v1/agent/service/register``), through its aux struct.
SERVICE_DEFINITION = struct(
    'struct { EnableTagOverrideSnake bool "json:\\"enable_tag_override\\""; '
    'TaggedAddressesSnake map[string]structs.ServiceAddress "json:\\"tagged_addresses\\""; '
    "*structs.Alias }",
    Kind=named("structs.ServiceKind"),
    ID=STRING,
    Name=STRING,
    Tags=Slice(STRING),
    Address=STRING,
    TaggedAddresses=Map(SERVICE_ADDRESS),
    Meta=Map(STRING),
    Port=INT,
    SocketPath=STRING,
    Check=CHECK_TYPE,
    Checks=Slice(Ptr(CHECK_TYPE)),
    Weights=Ptr(WEIGHTS),
    Token=STRING,
    EnableTagOverride=BOOL,
    Locality=Ptr(LOCALITY),
    Proxy=unchecked(Ptr(CONNECT_PROXY_CONFIG)),
    Connect=Ptr(SERVICE_CONNECT),
    aliases={"enable_tag_override": "EnableTagOverride", "tagged_addresses": "TaggedAddresses"},
)

#: ``agent.checkUpdate`` (``PUT /v1/agent/check/update/:id``).
CHECK_UPDATE = struct("agent.checkUpdate", Status=STRING, Output=STRING)

# -- sessions ----------------------------------------------------------------------------

#: ``structs.Session`` as ``Session.UnmarshalJSON`` decodes it: into an aux
#: struct with plain ``json.Unmarshal`` (unknown fields are ignored) and
#: ``LockDelay`` as an ``interface{}``.
SESSION = struct(
    "struct { LockDelay interface {}; *structs.Alias }",
    ID=STRING,
    Name=STRING,
    Node=STRING,
    LockDelay=ANY,
    Behavior=named("structs.SessionBehavior"),
    TTL=STRING,
    NodeChecks=Slice(STRING),
    ServiceChecks=Slice(
        struct("structs.ServiceCheck", ID=STRING, Namespace=STRING, allow_unknown=True)
    ),
    Checks=Slice(_CHECK_ID),
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
    allow_unknown=True,
)

# -- coordinates ---------------------------------------------------------------------------

#: ``coordinate.Coordinate`` (``hashicorp/serf``).
COORDINATE = struct(
    "coordinate.Coordinate",
    Vec=Slice(FLOAT64),
    Error=FLOAT64,
    Adjustment=FLOAT64,
    Height=FLOAT64,
)
#: ``structs.CoordinateUpdateRequest`` (its ``WriteRequest`` brings ``Token``).
COORDINATE_UPDATE_REQUEST = struct(
    "structs.CoordinateUpdateRequest",
    Datacenter=STRING,
    Node=STRING,
    Segment=STRING,
    Coord=Ptr(COORDINATE),
    Token=STRING,
)

# -- ACLs ----------------------------------------------------------------------------------

_LINK = struct("structs.ACLTokenPolicyLink", ID=STRING, Name=STRING)
_SERVICE_IDENTITY = struct(
    "structs.ACLServiceIdentity", ServiceName=STRING, Datacenters=Slice(STRING)
)
_NODE_IDENTITY = struct("structs.ACLNodeIdentity", NodeName=STRING, Datacenter=STRING)

ACL_TOKEN = struct(
    "structs.ACLToken",
    AccessorID=STRING,
    SecretID=STRING,
    Description=STRING,
    Policies=Slice(_LINK),
    Roles=Slice(_LINK),
    ServiceIdentities=Slice(Ptr(_SERVICE_IDENTITY)),
    NodeIdentities=Slice(Ptr(_NODE_IDENTITY)),
    Local=BOOL,
    AuthMethod=STRING,
    ExpirationTime=STRING,
    ExpirationTTL=DURATION,
    CreateTime=STRING,
    Hash=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
ACL_POLICY = struct(
    "structs.ACLPolicy",
    ID=STRING,
    Name=STRING,
    Description=STRING,
    Rules=STRING,
    Datacenters=Slice(STRING),
    Hash=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
ACL_ROLE = struct(
    "structs.ACLRole",
    ID=STRING,
    Name=STRING,
    Description=STRING,
    Policies=Slice(_LINK),
    ServiceIdentities=Slice(Ptr(_SERVICE_IDENTITY)),
    NodeIdentities=Slice(Ptr(_NODE_IDENTITY)),
    Hash=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
ACL_BOOTSTRAP = struct("api.BootstrapRequest", BootstrapSecret=STRING)
