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

from typing import Annotated, Any, NotRequired, TypedDict

from .gotypes import (
    ANY,
    BOOL,
    DURATION,
    HIDDEN,
    INT,
    STRING,
    UINT64,
    Go,
    Map,
    Ptr,
    Slice,
    Struct,
    fields,
    go_struct,
    hidden,
    named,
    struct,
    struct_of,
    unchecked,
)

__all__ = [
    "ACL_AUTHORIZATION_REQUEST",
    "ACL_AUTH_METHOD",
    "ACL_BINDING_RULE",
    "ACL_BOOTSTRAP",
    "ACL_LOGIN_PARAMS",
    "ACL_POLICY",
    "ACL_ROLE",
    "ACL_TOKEN",
    "ASSIGN_SERVICE_MANUAL_VIPS_REQUEST",
    "CHECK_DEFINITION",
    "CHECK_SERVICE_NODE",
    "CHECK_TYPE",
    "CHECK_UPDATE",
    "CONNECT_PROXY_CONFIG",
    "COORDINATE",
    "COORDINATE_UPDATE_REQUEST",
    "Coordinate",
    "NodeIdentity",
    "ServiceCheck",
    "ServiceIdentity",
    "CoordinateEntry",
    "DEREGISTER_REQUEST",
    "HEALTH_CHECK",
    "HEALTH_CHECK_DEFINITION",
    "LOCALITY",
    "NODE",
    "NODE_SERVICE",
    "PREPARED_QUERY",
    "QUERY_FAILOVER_TARGET",
    "QUERY_SOURCE",
    "REGISTER_REQUEST",
    "SERVICE_ADDRESS",
    "SERVICE_CONNECT",
    "SERVICE_DEFINITION",
    "SERVICE_NODE",
    "SESSION",
    "SIDECAR_DEFINITION",
    "TEMPLATED_POLICY_VARIABLES",
    "TemplatedPolicy",
    "TemplatedPolicyVariables",
    "WEIGHTS",
]

_NODE_ID = named("types.NodeID")
_CHECK_ID = named("types.CheckID")
_SERVICE_KIND = named("structs.ServiceKind")

#: A field of the ``RaftIndex`` every stored struct embeds (``bexpr:"-"``).
RaftIndex = Annotated[int, Go(UINT64, filter=False)]


@go_struct("structs.Weights")
class Weights(TypedDict):
    """``structs.Weights``: DNS SRV weights of a service instance."""

    Passing: int
    Warning: int


@go_struct("structs.ServiceAddress")
class ServiceAddress(TypedDict):
    """``structs.ServiceAddress``: one of a service's tagged addresses."""

    Address: str
    Port: int


@go_struct("structs.Locality")
class Locality(TypedDict):
    """``structs.Locality``."""

    Region: str
    Zone: str


WEIGHTS = struct_of(Weights)
SERVICE_ADDRESS = struct_of(ServiceAddress)
LOCALITY = struct_of(Locality)

# -- Connect -------------------------------------------------------------------------

# What upstreams, Envoy extensions and exposed paths hold is kept as given
# (``unchecked``); their types serve ``?filter``.
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
    MeshGateway=struct("structs.MeshGatewayConfig", Mode=named("structs.MeshGatewayMode")),
)
EXPOSE_PATH = struct(
    "structs.ExposePath",
    ListenerPort=INT,
    Path=STRING,
    LocalPathPort=INT,
    Protocol=STRING,
    ParsedFromCheck=BOOL,
)


@go_struct("structs.MeshGatewayConfig")
class MeshGatewayConfig(TypedDict):
    """``structs.MeshGatewayConfig``."""

    Mode: Annotated[str, Go(named("structs.MeshGatewayMode"))]


@go_struct("structs.TransparentProxyConfig")
class TransparentProxyConfig(TypedDict):
    """``structs.TransparentProxyConfig``."""

    OutboundListenerPort: int
    DialedDirectly: bool


@go_struct("structs.AccessLogsConfig")
class AccessLogsConfig(TypedDict):
    """``structs.AccessLogsConfig``."""

    Enabled: bool
    DisableListenerLogs: bool
    Type: Annotated[str, Go(named("structs.LogSinkType"))]
    Path: str
    JSONFormat: str
    TextFormat: str


@go_struct("structs.ExposeConfig")
class ExposeConfig(TypedDict):
    """``structs.ExposeConfig``."""

    Checks: bool
    Paths: Annotated[list[Any] | None, Go(Slice(EXPOSE_PATH), opaque=True)]


@go_struct(
    "structs.ConnectProxyConfig",
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
class ConnectProxyConfig(TypedDict):
    """``structs.ConnectProxyConfig``; its ``UnmarshalJSON`` also takes the
    snake_case spellings of a few fields."""

    EnvoyExtensions: Annotated[list[Any] | None, Go(Slice(ENVOY_EXTENSION), opaque=True)]
    DestinationServiceName: str
    DestinationServiceID: str
    LocalServiceAddress: str
    LocalServicePort: int
    LocalServiceSocketPath: str
    Mode: Annotated[str, Go(named("structs.ProxyMode"))]
    Config: Annotated[dict[str, Any] | None, HIDDEN]
    Upstreams: Annotated[list[Any] | None, Go(Slice(UPSTREAM), opaque=True)]
    MeshGateway: MeshGatewayConfig
    Expose: ExposeConfig
    TransparentProxy: TransparentProxyConfig
    AccessLogs: AccessLogsConfig


@go_struct(
    "structs.ServiceConnect", aliases={"sidecar_service": "SidecarService"}, allow_unknown=True
)
class ServiceConnect(TypedDict):
    """``structs.ServiceConnect``: its ``UnmarshalJSON`` uses plain
    ``json.Unmarshal``, so unknown fields inside are ignored."""

    Native: bool
    SidecarService: Annotated[Any, HIDDEN]
    PeerMeta: Annotated[Any, HIDDEN]


CONNECT_PROXY_CONFIG = struct_of(ConnectProxyConfig)
SERVICE_CONNECT = struct_of(ServiceConnect)

# -- the catalog -----------------------------------------------------------------------


@go_struct("structs.Node")
class Node(TypedDict):
    """``structs.Node``: a row of the ``nodes`` table; ``GET /v1/catalog/nodes``."""

    ID: Annotated[str, Go(_NODE_ID)]
    Node: str
    Address: str
    Datacenter: str
    Partition: str
    PeerName: str
    TaggedAddresses: dict[str, str] | None
    Meta: dict[str, str] | None
    Locality: Annotated[Locality | None, HIDDEN]
    CreateIndex: RaftIndex
    ModifyIndex: RaftIndex


@go_struct("structs.NodeService")
class NodeService(TypedDict):
    """``structs.NodeService``: a registration's service, and the services of
    ``/v1/catalog/node/:node`` and ``/v1/catalog/node-services/:node``."""

    Kind: Annotated[str, Go(_SERVICE_KIND)]
    ID: str
    Service: str
    Tags: list[str] | None
    Address: str
    TaggedAddresses: dict[str, ServiceAddress] | None
    Meta: dict[str, str] | None
    Port: int
    SocketPath: str
    Weights: Weights | None
    EnableTagOverride: bool
    Locality: Annotated[Locality | None, HIDDEN]
    Proxy: ConnectProxyConfig
    Connect: ServiceConnect
    PeerName: str
    CreateIndex: RaftIndex
    ModifyIndex: RaftIndex


@go_struct("structs.ServiceNode")
class ServiceNode(TypedDict):
    """``structs.ServiceNode``: a row of the ``services`` table (its node fields
    blank, filled from the node when read); ``/v1/catalog/service/:service``."""

    ID: Annotated[str, Go(_NODE_ID)]
    Node: str
    Address: str
    Datacenter: str
    TaggedAddresses: dict[str, str] | None
    NodeMeta: dict[str, str] | None
    ServiceKind: Annotated[str, Go(_SERVICE_KIND)]
    ServiceID: str
    ServiceName: str
    ServiceTags: list[str] | None
    ServiceAddress: str
    ServiceTaggedAddresses: dict[str, ServiceAddress] | None
    ServiceWeights: Weights
    ServiceMeta: dict[str, str] | None
    ServicePort: int
    ServiceSocketPath: str
    ServiceEnableTagOverride: bool
    ServiceProxy: ConnectProxyConfig
    ServiceConnect: ServiceConnect
    ServiceLocality: Annotated[Locality | None, HIDDEN]
    PeerName: str
    CreateIndex: RaftIndex
    ModifyIndex: RaftIndex


#: A ``time.Duration`` kept in nanoseconds.
_Duration = Annotated[int, Go(DURATION)]


@go_struct("structs.HealthCheckDefinition", allow_unknown=True)
class HealthCheckDefinition(TypedDict):
    """``structs.HealthCheckDefinition``: decoded by its own ``UnmarshalJSON``
    with plain ``json.Unmarshal`` (unknown fields ignored); durations are Go
    duration strings or nanoseconds."""

    HTTP: str
    TLSServerName: str
    TLSSkipVerify: bool
    Header: dict[str, list[str]] | None
    Method: str
    Body: str
    DisableRedirects: bool
    TCP: str
    UDP: str
    H2PING: str
    OSService: str
    H2PingUseTLS: bool
    Interval: _Duration
    OutputMaxSize: Annotated[int, Go(UINT64)]
    Timeout: _Duration
    DeregisterCriticalServiceAfter: _Duration
    ScriptArgs: list[str] | None
    DockerContainerID: str
    Shell: str
    GRPC: str
    GRPCUseTLS: bool
    AliasNode: str
    AliasService: str
    TTL: _Duration


@go_struct("structs.HealthCheck")
class HealthCheck(TypedDict):
    """``structs.HealthCheck``: a row of the ``checks`` table; a registration's
    checks, ``/v1/health/node/:node``, ``/v1/health/state/:state``..."""

    Node: str
    CheckID: Annotated[str, Go(_CHECK_ID)]
    Name: str
    Status: str
    Notes: str
    Output: str
    ServiceID: str
    ServiceName: str
    ServiceTags: list[str] | None
    Type: str
    Interval: str
    Timeout: str
    ExposedPort: int
    PeerName: str
    Definition: Annotated[HealthCheckDefinition, HIDDEN]
    CreateIndex: RaftIndex
    ModifyIndex: RaftIndex


NODE = struct_of(Node)
NODE_SERVICE = struct_of(NodeService)
SERVICE_NODE = struct_of(ServiceNode)
HEALTH_CHECK_DEFINITION = struct_of(HealthCheckDefinition)
HEALTH_CHECK = struct_of(HealthCheck)

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

#: ``structs.QuerySource``: where a read comes from.
QUERY_SOURCE = struct(
    "structs.QuerySource",
    Datacenter=STRING,
    Segment=STRING,
    Node=STRING,
    NodePartition=STRING,
    DisableNode=BOOL,
    Ip=STRING,
)

#: ``structs.AssignServiceManualVIPsRequest`` with its ``DCSpecificRequest``
#: (and that one's ``QueryOptions``) inlined: ``lib.DecodeJSON`` takes every
#: promoted field and refuses any other.
ASSIGN_SERVICE_MANUAL_VIPS_REQUEST = struct(
    "structs.AssignServiceManualVIPsRequest",
    Service=STRING,
    ManualVIPs=Slice(STRING),
    Datacenter=STRING,
    NodeMetaFilters=Map(STRING),
    Source=QUERY_SOURCE,
    PeerName=STRING,
    Token=STRING,
    MinQueryIndex=UINT64,
    MaxQueryTime=DURATION,
    AllowStale=BOOL,
    RequireConsistent=BOOL,
    UseCache=BOOL,
    MaxStaleDuration=DURATION,
    MaxAge=DURATION,
    MustRevalidate=BOOL,
    StaleIfError=DURATION,
    Filter=STRING,
    AllowNotModifiedResponse=BOOL,
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

#: ``Connect.SidecarService``: a ``ServiceDefinition`` too, but ``ServiceConnect``'s
#: ``UnmarshalJSON`` decodes it with plain ``json.Unmarshal``: unknown fields
#: are ignored.
SIDECAR_DEFINITION = Struct(
    SERVICE_DEFINITION.name,
    SERVICE_DEFINITION.fields,
    SERVICE_DEFINITION.aliases,
    allow_unknown=True,
)

#: ``agent.checkUpdate`` (``PUT /v1/agent/check/update/:id``).
CHECK_UPDATE = struct("agent.checkUpdate", Status=STRING, Output=STRING)

# -- prepared queries --------------------------------------------------------------------

#: ``structs.QueryFailoverTarget`` (its CE ``EnterpriseMeta`` is empty).
QUERY_FAILOVER_TARGET = struct("structs.QueryFailoverTarget", Peer=STRING, Datacenter=STRING)

#: ``structs.PreparedQuery``, decoded with ``DisallowUnknownFields``
#: (``POST /v1/query``, ``PUT /v1/query/:id``); ``RaftIndex`` is embedded,
#: so its indexes are top-level fields.
PREPARED_QUERY = struct(
    "structs.PreparedQuery",
    ID=STRING,
    Name=STRING,
    Session=STRING,
    Token=hidden(STRING),
    Template=struct(
        "structs.QueryTemplateOptions", Type=STRING, Regexp=STRING, RemoveEmptyTags=BOOL
    ),
    Service=struct(
        "structs.ServiceQuery",
        Service=STRING,
        SamenessGroup=STRING,
        Failover=struct(
            "structs.QueryFailoverOptions",
            NearestN=INT,
            Datacenters=Slice(STRING),
            Targets=Slice(QUERY_FAILOVER_TARGET),
        ),
        OnlyPassing=BOOL,
        IgnoreCheckIDs=Slice(_CHECK_ID),
        Near=STRING,
        Tags=Slice(STRING),
        NodeMeta=Map(STRING),
        ServiceMeta=Map(STRING),
        Connect=BOOL,
        Peer=STRING,
    ),
    DNS=struct("structs.QueryDNSOptions", TTL=STRING),
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)

# -- sessions ----------------------------------------------------------------------------


@go_struct("structs.ServiceCheck", allow_unknown=True)
class ServiceCheck(TypedDict):
    """``structs.ServiceCheck``: a service check a session depends on."""

    ID: str
    Namespace: str


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
    ServiceChecks=Slice(struct_of(ServiceCheck)),
    Checks=Slice(_CHECK_ID),
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
    allow_unknown=True,
)

# -- coordinates ---------------------------------------------------------------------------


@go_struct("coordinate.Coordinate")
class Coordinate(TypedDict):
    """``coordinate.Coordinate`` (``hashicorp/serf``): a Vivaldi network coordinate."""

    Vec: list[float]
    Error: float
    Adjustment: float
    Height: float


class CoordinateEntry(TypedDict):
    """``structs.Coordinate``: a row of the ``coordinates`` table."""

    Node: str
    Segment: str
    Coord: Coordinate


COORDINATE = struct_of(Coordinate)
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


@go_struct("structs.ACLServiceIdentity")
class ServiceIdentity(TypedDict):
    """``structs.ACLServiceIdentity`` (``Datacenters`` omitted when empty)."""

    ServiceName: str
    Datacenters: NotRequired[list[str]]


@go_struct("structs.ACLNodeIdentity")
class NodeIdentity(TypedDict):
    """``structs.ACLNodeIdentity``."""

    NodeName: str
    Datacenter: str


@go_struct("structs.ACLTemplatedPolicyVariables")
class TemplatedPolicyVariables(TypedDict):
    """``structs.ACLTemplatedPolicyVariables``: ``json:"name,omitempty"``."""

    name: NotRequired[str]


@go_struct("structs.ACLTemplatedPolicy")
class TemplatedPolicy(TypedDict):
    """``structs.ACLTemplatedPolicy`` (every field ``omitempty``)."""

    TemplateID: NotRequired[str]
    TemplateName: NotRequired[str]
    TemplateVariables: NotRequired[TemplatedPolicyVariables | None]
    Datacenters: NotRequired[list[str]]


_SERVICE_IDENTITY = struct_of(ServiceIdentity)
_NODE_IDENTITY = struct_of(NodeIdentity)
TEMPLATED_POLICY_VARIABLES = struct_of(TemplatedPolicyVariables)
_TEMPLATED_POLICY = struct_of(TemplatedPolicy)

ACL_TOKEN = struct(
    "structs.ACLToken",
    AccessorID=STRING,
    SecretID=STRING,
    Description=STRING,
    Policies=Slice(_LINK),
    Roles=Slice(_LINK),
    ServiceIdentities=Slice(Ptr(_SERVICE_IDENTITY)),
    NodeIdentities=Slice(Ptr(_NODE_IDENTITY)),
    TemplatedPolicies=Slice(Ptr(_TEMPLATED_POLICY)),
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
    TemplatedPolicies=Slice(Ptr(_TEMPLATED_POLICY)),
    Hash=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
ACL_BOOTSTRAP = struct("api.BootstrapRequest", BootstrapSecret=STRING)
#: ``MaxTokenTTL`` is read by the custom ``UnmarshalJSON`` (a duration string or
#: nanoseconds, anything else ignored); ``Config`` is a ``map[string]interface{}``.
ACL_AUTH_METHOD = struct(
    "structs.ACLAuthMethod",
    Name=STRING,
    Type=STRING,
    DisplayName=STRING,
    Description=STRING,
    MaxTokenTTL=unchecked(ANY),
    TokenLocality=STRING,
    Config=Map(ANY),
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
ACL_BINDING_RULE = struct(
    "structs.ACLBindingRule",
    ID=STRING,
    Description=STRING,
    AuthMethod=STRING,
    Selector=STRING,
    BindType=STRING,
    BindName=STRING,
    BindVars=Ptr(TEMPLATED_POLICY_VARIABLES),
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
ACL_LOGIN_PARAMS = struct(
    "structs.ACLLoginParams", AuthMethod=STRING, BearerToken=STRING, Meta=Map(STRING)
)
ACL_AUTHORIZATION_REQUEST = struct(
    "structs.ACLAuthorizationRequest",
    Resource=named("acl.Resource"),
    Segment=STRING,
    Access=STRING,
)
