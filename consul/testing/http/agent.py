"""``/v1/agent``: the agent's own services and checks, and the agent itself.

Handlers follow ``agent/agent_endpoint.go``, ACL rules ``agent/acl.go``; the
services and checks registered with the agent, their runners and the
anti-entropy that keeps the catalog in step are
:class:`~consul.testing.state.local.LocalAgent`'s.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections.abc import Callable, Iterable
from typing import Any

from ..state import structs
from ..state.acl.authorizer import Authorizer
from ..state.apitypes import AGENT_SERVICE
from ..state.checks import CRITICAL, PASSING, WARNING, CheckType
from ..state.config import CONSUL_VERSION, AgentConfig
from ..state.core import AgentCore
from ..state.errors import RPCError
from ..state.gojson import DecodeError, decode
from ..state.golang import format_duration, is_any_address, multierror, parse_bool
from ..state.golang import quote as go_quote
from ..state.local import (
    MAINTENANCE,
    NODE_MAINT,
    SERVICE_MAINT_PREFIX,
    SIDECAR_SUFFIX,
    LocalAgent,
    LocalCheck,
    LocalService,
    health_check,
)
from ..state.records import (
    JSON,
    go_map,
    node_service_problems,
    validate_service_meta,
    weights_problem,
)
from .context import (
    LOCAL_DEFAULT_QUERY_TIME,
    LOCAL_MAX_QUERY_TIME,
    Ctx,
    park_while,
    query_timeout,
)
from .errors import BadRequest, NotFound
from .reply import Reply, empty_reply, encode_json, json_reply
from .routes import Routes

routes = Routes()

#: A build from source has no git revision and Go's placeholder build date
#: (``version/version.go``).
REVISION = ""
BUILD_DATE = "1970-01-01T00:00:01Z"
#: The Envoy versions this Consul release supports, newest first: one per
#: release line, 1.35 to 1.32 for Consul 1.22
#: (``envoyextensions/xdscommon/ENVOY_VERSIONS``). ``/v1/agent/self`` reports
#: them while the agent serves xDS.
ENVOY_VERSIONS = ("1.35.3", "1.34.7", "1.33.11", "1.32.12")


def _check_type(decoded: dict[str, Any]) -> CheckType:
    """A :class:`CheckType` from a decoded definition; 400 for a bad duration string."""
    try:
        return CheckType.from_decoded(decoded)
    except ValueError as exc:
        raise BadRequest(f"Request decode failed: {exc}") from None


def _check_json(check: LocalCheck) -> JSON:
    """A local check as ``/v1/agent/checks`` shows it (``ServiceTags`` never null)."""
    out = dict(check)
    if out["ServiceTags"] is None:
        out["ServiceTags"] = []
    out["Definition"] = {}
    out["CreateIndex"] = 0
    out["ModifyIndex"] = 0
    return out


def _agent_service(service: LocalService, dc: str) -> JSON:
    """``buildAgentService``: an ``api.AgentService``."""
    weights = {"Passing": 1, "Warning": 1}
    given = service.get("Weights")
    if given is not None:
        if given["Passing"] > 0:
            weights["Passing"] = given["Passing"]
        weights["Warning"] = given["Warning"]
    out: JSON = {}
    if service.get("Kind"):
        out["Kind"] = service["Kind"]
    out["ID"] = service["ID"]
    out["Service"] = service["Service"]
    out["Tags"] = service.get("Tags") or []
    out["Meta"] = go_map(service.get("Meta") or {})
    out["Port"] = service.get("Port", 0)
    out["Address"] = service.get("Address", "")
    if service.get("SocketPath"):
        out["SocketPath"] = service["SocketPath"]
    if service.get("TaggedAddresses"):
        out["TaggedAddresses"] = go_map(service["TaggedAddresses"])
    out["Weights"] = weights
    out["EnableTagOverride"] = service.get("EnableTagOverride", False)
    kind = service.get("Kind", "")
    if kind == "connect-proxy" or kind.endswith("-gateway"):
        proxy = dict(service.get("Proxy") or {})
        proxy.setdefault("MeshGateway", {})
        proxy.setdefault("Expose", {})
        out["Proxy"] = proxy
    if (service.get("Connect") or {}).get("Native"):
        out["Connect"] = {"Native": True}
    out["Datacenter"] = dc
    if service.get("Locality"):
        out["Locality"] = service["Locality"]
    return out


def _content_hash(agent_service: dict[str, Any]) -> str:
    """An opaque hash of an ``AgentService`` (Consul's is ``hashstructure``'s).

    ``Datacenter`` and ``Locality`` are left out, as their ``hash:"ignore"``
    tags say.
    """
    hashed = {k: v for k, v in agent_service.items() if k not in ("Datacenter", "Locality")}
    digest = hashlib.blake2b(json.dumps(hashed, sort_keys=True).encode(), digest_size=8)
    return format(int.from_bytes(digest.digest(), "big"), "x")


def _api_health_check(check: LocalCheck) -> JSON:
    """The ``api.HealthCheck`` that ``agentHealthService`` builds from a local check.

    Only the identifying fields are copied: ``Type`` stays empty and the
    ``Definition`` is the zero ``api.HealthCheckDefinition``.
    """
    return {
        "Node": check["Node"],
        "CheckID": check["CheckID"],
        "Name": check["Name"],
        "Status": check["Status"],
        "Notes": check["Notes"],
        "Output": check["Output"],
        "ServiceID": check["ServiceID"],
        "ServiceName": check["ServiceName"],
        "ServiceTags": check["ServiceTags"],
        "Type": "",
        "ExposedPort": 0,
        "Definition": {
            "Interval": "0s",
            "Timeout": "0s",
            "DeregisterCriticalServiceAfter": "0s",
            "HTTP": "",
            "Header": None,
            "Method": "",
            "Body": "",
            "TLSServerName": "",
            "TLSSkipVerify": False,
            "TCP": "",
            "UDP": "",
            "GRPC": "",
            "OSService": "",
            "GRPCUseTLS": False,
        },
        "CreateIndex": 0,
        "ModifyIndex": 0,
    }


def _aggregated_status(checks: Iterable[dict[str, Any]]) -> str:
    """``api.HealthChecks.AggregatedStatus``: maintenance > critical > warning > passing."""
    seen: set[str] = set()
    for check in checks:
        check_id = check["CheckID"]
        if check_id == NODE_MAINT or check_id.startswith(SERVICE_MAINT_PREFIX):
            seen.add(MAINTENANCE)
            continue
        if check["Status"] not in (PASSING, WARNING, CRITICAL):
            return ""
        seen.add(check["Status"])
    for status in (MAINTENANCE, CRITICAL, WARNING):
        if status in seen:
            return status
    return PASSING


def _member(agent: AgentCore, *, wan: bool) -> dict[str, Any]:
    """The agent's ``serf.Member`` in the LAN (or WAN) pool of a dev server."""
    config = agent.config
    tags = {
        "acls": "1" if config.acl_enabled else "0",
        "bootstrap": "1",
        "build": f"{CONSUL_VERSION}:{REVISION[:8]}",
        "dc": config.datacenter,
        "ft_fs": "1",
        "ft_si": "1",
        "id": config.node_id,
        "port": str(config.server_port),
        "raft_vsn": "3",
        "role": "consul",
        "vsn": "2",
        "vsn_max": "3",
        "vsn_min": "2",
    }
    if config.grpc_port > 0:
        tags["grpc_port"] = str(config.grpc_port)
    if not wan:
        tags["segment"] = ""
        tags["wan_join_port"] = str(config.serf_wan_port)
    # Serf advertises the agent's advertise address (agent/config/builder.go:
    # advertiseAddr defaults to bindAddr), the WAN pool its WAN one.
    return {
        "Name": f"{config.node_name}.{config.datacenter}" if wan else config.node_name,
        "Addr": config.advertise_addr_wan if wan else config.advertise_addr,
        "Port": config.serf_wan_port if wan else config.serf_lan_port,
        "Tags": go_map(tags),
        "Status": 1,
        "ProtocolMin": 1,
        "ProtocolMax": 5,
        "ProtocolCur": 2,
        "DelegateMin": 2,
        "DelegateMax": 5,
        "DelegateCur": 4,
    }


# -- HTTP: the agent itself ----------------------------------------------------------


def _local(ctx: Ctx) -> LocalAgent:
    local: LocalAgent = ctx.agent.local
    return local


@routes("/v1/agent/self", "GET")
async def agent_self(ctx: Ctx) -> Reply:
    """``AgentSelf``: configuration, member, coordinate and metadata (``agent:read``)."""
    config = ctx.agent.config
    ctx.require(ctx.authz.agent_read(config.node_name), "agent:read", config.node_name)
    local = _local(ctx)
    return json_reply(
        {
            "Config": {
                "Datacenter": config.datacenter,
                "PrimaryDatacenter": config.primary_datacenter,
                "NodeName": config.node_name,
                "NodeID": config.node_id,
                "Revision": REVISION,
                "Server": True,
                "Version": CONSUL_VERSION,
                "BuildDate": BUILD_DATE,
            },
            "DebugConfig": {
                "ACLsEnabled": config.acl_enabled,
                "CheckDeregisterIntervalMin": format_duration(
                    round(config.check_deregister_interval_min * 1e9)
                ),
                "CheckReapInterval": format_duration(round(config.check_reap_interval * 1e9)),
                "CheckUpdateInterval": format_duration(round(config.check_update_interval * 1e9)),
                "Datacenter": config.datacenter,
                "DevMode": True,
                "EnableLocalScriptChecks": (
                    config.enable_local_script_checks or config.enable_script_checks
                ),
                "EnableRemoteScriptChecks": config.enable_script_checks,
                "NodeID": config.node_id,
                "NodeName": config.node_name,
                "PrimaryDatacenter": config.primary_datacenter,
                "ServerMode": True,
                "Version": CONSUL_VERSION,
            },
            # A lone dev server never moves from the origin (serf's
            # coordinate.NewCoordinate with its default config).
            "Coord": {"Vec": [0.0] * 8, "Error": 1.5, "Adjustment": 0.0, "Height": 1e-05},
            "Member": _member(ctx.agent, wan=False),
            "Stats": {
                "agent": {
                    "check_monitors": str(sum(k[0] == "script" for k in local.runners)),
                    "check_ttls": str(sum(k[0] == "ttl" for k in local.runners)),
                    "checks": str(len(local.live_checks())),
                    "services": str(len(local.live_services())),
                },
                "build": {
                    "prerelease": "",
                    "revision": REVISION[:8],
                    "version": CONSUL_VERSION,
                    "version_metadata": "",
                },
                "consul": {
                    "acl": "enabled" if config.acl_enabled else "disabled",
                    "bootstrap": "true",
                    "known_datacenters": str(len(config.datacenters)),
                    "leader": "true",
                    "leader_addr": config.server_addr,
                    "server": "true",
                },
            },
            "Meta": dict(local.metadata),
            **_xds(config),
        }
    )


def _xds(config: AgentConfig) -> dict[str, Any]:
    """``Self.XDS`` (``xDS``, omitted when empty): set whenever the agent serves xDS.

    A dev agent does, on its gRPC port; ``Port`` prefers the TLS one and
    falls back to the plain one (``AgentSelf``, ``agent/agent_endpoint.go``).
    """
    if config.grpc_port <= 0 and config.grpc_tls_port <= 0:
        return {}
    port = config.grpc_tls_port if config.grpc_tls_port > 0 else config.grpc_port
    return {
        "xDS": {
            "SupportedProxies": {"envoy": list(ENVOY_VERSIONS)},
            "Port": port,
            "Ports": {"Plaintext": config.grpc_port, "TLS": config.grpc_tls_port},
        }
    }


@routes("/v1/agent/members", "GET")
async def agent_members(ctx: Ctx) -> Reply:
    """``AgentMembers``: the LAN (or ``?wan``) members a token may see (``node:read``)."""
    wan = bool(ctx.param("wan"))
    segment = ctx.param("segment") or ""
    if wan and segment not in ("", "_all"):
        raise BadRequest("Cannot provide a segment with wan=true")
    ctx.check_enterprise_meta(namespace=False)
    if not wan and segment not in ("", "_all"):
        # Server.LANSegmentMembers: segments are an Enterprise feature.
        raise RPCError("Network segments are not supported in this version of Consul")
    members = [_member(ctx.agent, wan=wan)]
    authz = ctx.authz
    visible = [m for m in members if authz.node_read(m["Name"])]
    ctx.set_filtered(len(visible) != len(members))
    return json_reply(visible)


@routes("/v1/agent/join/", "PUT")
async def agent_join(ctx: Ctx) -> Reply:
    """``AgentJoin``: a lone dev agent can only join itself (``agent:write``).

    Joining another address tries to reach its serf port as memberlist
    would, and fails with memberlist's error when nobody answers there.
    """
    config = ctx.agent.config
    ctx.require(ctx.authz.agent_write(config.node_name), "agent:write", config.node_name)
    ctx.check_enterprise_meta(namespace=False)
    wan = bool(ctx.param("wan"))
    default_port = config.serf_wan_port if wan else config.serf_lan_port
    own = config.advertise_addr_wan if wan else config.advertise_addr
    errors = await _join(ctx.tail, default_port, own)
    if errors:
        raise RPCError(multierror(errors))
    return empty_reply()


async def _join(address: str, default_port: int, own: str) -> list[str]:
    """Memberlist's join of one address: no errors once any of its IPs answered.

    Only the agent's own serf address answers; any other address is dialed
    as memberlist would and fails with its error.
    """
    host, port = address, default_port
    if address.startswith("["):
        end = address.find("]")
        host = address[1:end] if end > 0 else address
        rest = address[end + 1 :] if end > 0 else ""
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif address.count(":") == 1:
        head, _, tail = address.partition(":")
        if tail.isdigit():
            host, port = head, int(tail)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except OSError:
        return [f"Failed to resolve {address}: lookup {host}: no such host"]
    errors = []
    for ip in dict.fromkeys(str(info[4][0]) for info in infos):
        target = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        if ip == own and port == default_port:
            return []
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), 10.0)
        except TimeoutError:
            errors.append(f"Failed to join {target}: dial tcp {target}: i/o timeout")
        except ConnectionRefusedError:
            reason = "connect: connection refused"
            errors.append(f"Failed to join {target}: dial tcp {target}: {reason}")
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            errors.append(f"Failed to join {target}: dial tcp {target}: connect: {reason}")
        else:
            # Not a Consul agent: it hangs up on memberlist's push/pull.
            writer.close()
            errors.append(f"Failed to join {target}: EOF")
    return errors


@routes("/v1/agent/leave", "PUT")
async def agent_leave(ctx: Ctx) -> Reply:
    """``AgentLeave``: leave gracefully and shut down once the answer is out."""
    config = ctx.agent.config
    ctx.require(ctx.authz.agent_write(config.node_name), "agent:write", config.node_name)
    reply = empty_reply()
    reply.after = ctx.agent.on_leave
    return reply


@routes("/v1/agent/force-leave/", "PUT")
async def agent_force_leave(ctx: Ctx) -> Reply:
    """``AgentForceLeave`` (``operator:write``): with no other member, nothing to do.

    Serf's ``forceLeave`` only broadcasts the removal when other members
    are alive, so a lone agent accepts any node name.
    """
    ctx.require(ctx.authz.operator_write(), "operator:write")
    ctx.check_enterprise_meta(namespace=False)
    return empty_reply()


@routes("/v1/agent/reload", "PUT")
async def agent_reload(ctx: Ctx) -> Reply:
    """``AgentReload`` (``agent:write``): reload the (unchanged) configuration."""
    config = ctx.agent.config
    ctx.require(ctx.authz.agent_write(config.node_name), "agent:write", config.node_name)
    _local(ctx).reload()
    return empty_reply()


@routes("/v1/agent/maintenance", "PUT")
async def agent_node_maintenance(ctx: Ctx) -> Reply:
    """``AgentNodeMaintenance``: put the node in or out of maintenance (``node:write``)."""
    enable = _enable_param(ctx)
    node = ctx.agent.config.node_name
    ctx.require(ctx.authz.node_write(node), "node:write", node)
    local = _local(ctx)
    if enable:
        local.enable_node_maintenance(ctx.param("reason") or "", ctx.token)
    else:
        local.disable_node_maintenance()
    return empty_reply()


def _enable_param(ctx: Ctx) -> bool:
    if not ctx.flag("enable"):
        raise BadRequest("Missing value for enable")
    raw = ctx.param("enable") or ""
    enable = parse_bool(raw)
    if enable is None:
        raise BadRequest(f"Invalid value for enable: {go_quote(raw)}")
    return enable


# -- HTTP: services ------------------------------------------------------------------


@routes("/v1/agent/services", "GET")
async def agent_services(ctx: Ctx) -> Reply:
    """``AgentServices``: ``?filter`` first, then what the token may read."""
    ctx.check_enterprise_meta()
    local = _local(ctx)
    authz = ctx.authz
    dc = ctx.agent.config.datacenter
    services = {sid: _agent_service(s, dc) for sid, s in local.live_services().items()}
    services = ctx.filter_map(services, AGENT_SERVICE)
    total = len(services)
    services = {sid: s for sid, s in services.items() if authz.service_read(s["Service"])}
    ctx.set_filtered(total != len(services))
    return json_reply(go_map(services))


@routes("/v1/agent/service/", "GET")
async def agent_service(ctx: Ctx) -> Reply:
    """``AgentService``: one service, with hash-based blocking (``?hash``, ``?wait``)."""
    service_id = ctx.tail
    _, wait = ctx.wait_params()
    ctx.check_enterprise_meta()
    authz = ctx.authz
    local = _local(ctx)
    dc = ctx.agent.config.datacenter

    def query() -> tuple[str, dict[str, Any]]:
        service = local.service(service_id)
        if service is None:
            raise NotFound(f"unknown service ID: {service_id}")
        ctx.require(authz.service_read(service["Service"]), "service:read", service["Service"])
        reply = _agent_service(service, dc)
        reply["ContentHash"] = _content_hash(reply)
        # ContentHash sits before Datacenter in api.AgentService.
        reply = {k: reply[k] for k in _content_hash_order(reply)}
        return reply["ContentHash"], reply

    def render(hash_: str, service: dict[str, Any]) -> Reply:
        ctx.headers["X-Consul-ContentHash"] = hash_
        return json_reply(service)

    return _local_blocking(ctx, local, ctx.param("hash") or "", wait, query, render)


def _content_hash_order(reply: dict[str, Any]) -> list[str]:
    keys = [k for k in reply if k != "ContentHash"]
    position = next(
        (i for i, k in enumerate(keys) if k in ("Proxy", "Connect", "Datacenter")), len(keys)
    )
    return [*keys[:position], "ContentHash", *keys[position:]]


def _local_blocking(
    ctx: Ctx,
    local: LocalAgent,
    hash_: str,
    wait: float,
    query: Callable[[], tuple[str, dict[str, Any]]],
    render: Callable[[str, dict[str, Any]], Reply],
) -> Reply:
    """``Agent.LocalBlockingQuery``: block while the result's hash is still ``hash_``.

    Its wait is bounded by the agent package's constants, not by
    ``default_query_time``/``max_query_time`` (``agent/agent.go``). A
    query that has to wait parks (:func:`~.context.park_while`), with no
    coroutine; ``render(hash, result)`` makes the reply.
    """

    def timeout() -> float:
        return query_timeout(
            wait, LOCAL_DEFAULT_QUERY_TIME, LOCAL_MAX_QUERY_TIME, local.random.random
        )

    return park_while(ctx, local.wakeups, hash_, query, render, timeout)


@routes("/v1/agent/service/register", "PUT")
async def agent_register_service(ctx: Ctx) -> Reply:
    """``AgentRegisterService``: validate, vet ACLs, add the service and its checks.

    A ``Connect.SidecarService`` is registered too, as its own
    ``<service>-sidecar-proxy`` service (``agent/sidecar_service.go``).
    """
    ctx.check_enterprise_meta()
    args = await ctx.decode(structs.SERVICE_DEFINITION)
    sidecar_args = _sidecar_definition(args)
    if not args.get("Name"):
        raise BadRequest("Missing service name")
    if is_any_address(args.get("Address", "")):
        raise BadRequest("Invalid service address")
    authz = ctx.authz
    service = _node_service(args)
    weights = args.get("Weights")
    if weights is not None and (problem := weights_problem(weights)):
        raise BadRequest(f"Invalid Weights: {problem}")
    problem = validate_service_meta(service.get("Kind", ""), service.get("Meta"))
    if problem:
        raise BadRequest(f"Invalid Service Meta: {problem}")
    # NodeService.Validate still sees the sidecar, which is dropped afterwards.
    connect = {**(args.get("Connect") or {}), "SidecarService": sidecar_args}
    errors = node_service_problems({**service, "Connect": connect if args.get("Connect") else None})
    if errors:
        raise BadRequest(f"Validation failed: {multierror(errors)}")
    check_types = _service_check_types(args, "Invalid check")
    sidecar_checks = (
        []
        if sidecar_args is None
        else _service_check_types(sidecar_args, "Invalid check in sidecar_service")
    )
    local = _local(ctx)
    _vet_service_register(ctx, authz, local, service)
    sidecar = sidecar_token = None
    if sidecar_args is not None:
        sidecar, sidecar_token = _sidecar_service(service, sidecar_args, ctx.token)
        errors = node_service_problems(sidecar, for_agent=True)
        if errors:
            raise BadRequest(f"Failed Validation: {multierror(errors)}")
        sidecar_authz = authz
        if sidecar_token != ctx.token:
            sidecar_authz = ctx.agent.acl.authorizer(
                sidecar_token or ctx.agent.config.acl_default_token
            )
        _vet_service_register(ctx, sidecar_authz, local, sidecar)
    replace = False
    if ctx.flag("replace-existing-checks"):
        replace = (ctx.param("replace-existing-checks") or "") in ("", "true")
    local.add_service(service, check_types, ctx.token, replace_existing_checks=replace)
    if sidecar is not None:
        local.add_service(
            sidecar,
            sidecar_checks,
            sidecar_token or "",
            replace_existing_checks=replace,
            sidecar=True,
        )
    return empty_reply()


def _sidecar_definition(args: dict[str, Any]) -> dict[str, Any] | None:
    """The decoded ``Connect.SidecarService`` of a definition, or None."""
    raw = (args.get("Connect") or {}).get("SidecarService")
    if raw is None:
        return None
    try:
        return decode(raw, structs.SIDECAR_DEFINITION)
    except DecodeError as exc:
        raise BadRequest(f"Request decode failed: {exc}") from None


def _service_check_types(definition: dict[str, Any], invalid: str) -> list[CheckType]:
    """The ``Check`` and ``Checks`` of a service definition, validated (400s)."""
    check_types = []
    definitions = [definition["Check"]] if definition.get("Check") else []
    definitions += [c for c in definition.get("Checks") or [] if c is not None]
    for raw in definitions:
        check_type = _check_type(raw)
        if check_type.empty():
            continue
        error = check_type.validate()
        if error:
            raise BadRequest(f"{invalid}: {error}")
        check_types.append(check_type)
    for check_type in check_types:
        if check_type.status and check_type.status not in (PASSING, WARNING, CRITICAL):
            raise BadRequest("Status for checks must 'passing', 'warning', 'critical'")
    return check_types


def _vet_service_register(
    ctx: Ctx, authz: Authorizer, local: LocalAgent, service: LocalService
) -> None:
    """``vetServiceRegisterWithAuthorizer``: the service, the one it replaces, a proxy's
    destination."""
    ctx.require(authz.service_write(service["Service"]), "service:write", service["Service"])
    existing = local.service(service["ID"])
    if existing is not None:
        name = existing["Service"]
        ctx.require(authz.service_write(name), "service:write", name)
    if service.get("Kind") == "connect-proxy":
        target = (service.get("Proxy") or {}).get("DestinationServiceName", "")
        ctx.require(authz.service_write(target), "service:write", target)


def _sidecar_service(
    parent: LocalService, definition: dict[str, Any], token: str
) -> tuple[LocalService, str]:
    """``sidecarServiceFromNodeService``: the sidecar with Consul's defaults, and its token.

    Whatever the definition leaves empty comes from the parent service; the
    sidecar's port and default checks are the local state's to give.
    """
    sidecar = _node_service({**definition, "Name": definition.get("Name", "")})
    sidecar["ID"] = parent["ID"] + SIDECAR_SUFFIX
    if sidecar.get("Meta") is not None:
        problem = validate_service_meta(sidecar.get("Kind", ""), sidecar.get("Meta"))
        if problem:
            raise BadRequest(f"Invalid SidecarService: {problem}")
    if not sidecar.get("Meta") and parent.get("Meta"):
        sidecar["Meta"] = dict(parent.get("Meta") or {})
    if not sidecar.get("Tags") and parent.get("Tags"):
        sidecar["Tags"] = list(parent.get("Tags") or [])
    if definition.get("Token"):
        token = definition["Token"]
    sidecar["Kind"] = sidecar.get("Kind") or "connect-proxy"
    sidecar["Service"] = sidecar["Service"] or parent["Service"] + SIDECAR_SUFFIX
    sidecar["Address"] = sidecar.get("Address") or parent.get("Address", "")
    if not sidecar.get("Locality") and parent.get("Locality"):
        sidecar["Locality"] = parent["Locality"]
    proxy = dict(sidecar.get("Proxy") or {})
    proxy["DestinationServiceName"] = proxy.get("DestinationServiceName") or parent["Service"]
    proxy["DestinationServiceID"] = proxy.get("DestinationServiceID") or parent["ID"]
    if not proxy.get("LocalServiceSocketPath") and (
        not proxy.get("LocalServiceAddress") or proxy.get("LocalServicePort", 0) < 1
    ):
        if parent.get("SocketPath"):
            proxy["LocalServiceSocketPath"] = parent["SocketPath"]
        else:
            proxy["LocalServiceAddress"] = proxy.get("LocalServiceAddress") or "127.0.0.1"
            if proxy.get("LocalServicePort", 0) < 1:
                proxy["LocalServicePort"] = parent.get("Port", 0)
    sidecar["Proxy"] = proxy
    return sidecar, token


def _node_service(args: dict[str, Any]) -> LocalService:
    """``ServiceDefinition.NodeService``: the service to add (its sidecar is apart)."""
    weights = args.get("Weights")
    service: LocalService = {
        "Kind": args.get("Kind", ""),
        "ID": args.get("ID") or args["Name"],
        "Service": args["Name"],
        "Tags": args.get("Tags"),
        "Address": args.get("Address", ""),
        "Meta": args.get("Meta"),
        "Port": args.get("Port", 0),
        "SocketPath": args.get("SocketPath", ""),
        "Weights": (
            None
            if weights is None
            else {"Passing": weights.get("Passing", 0), "Warning": weights.get("Warning", 0)}
        ),
        "EnableTagOverride": args.get("EnableTagOverride", False),
    }
    if args.get("TaggedAddresses"):
        service["TaggedAddresses"] = {
            key: {"Address": value.get("Address", ""), "Port": value.get("Port", 0)}
            for key, value in args["TaggedAddresses"].items()
            if value is not None
        }
    if args.get("Locality"):
        service["Locality"] = args["Locality"]
    if args.get("Proxy") is not None:
        service["Proxy"] = args["Proxy"]
    connect = args.get("Connect")
    if connect:
        service["Connect"] = {k: v for k, v in connect.items() if k != "SidecarService"}
    return service


@routes("/v1/agent/service/deregister/", "PUT")
async def agent_deregister_service(ctx: Ctx) -> Reply:
    """``AgentDeregisterService``."""
    service_id = ctx.tail
    ctx.check_enterprise_meta()
    _vet_service_update(ctx, service_id)
    _local(ctx).remove_service(service_id)
    return empty_reply()


def _vet_service_update(ctx: Ctx, service_id: str) -> None:
    """``vetServiceUpdateWithAuthorizer``: 404 for an unknown service, else ``service:write``."""
    existing = _local(ctx).service(service_id)
    if existing is None:
        raise NotFound(
            f"Unknown service ID {go_quote(service_id)}. "
            "Ensure that the service ID is passed, not the service name."
        )
    name = existing["Service"]
    ctx.require(ctx.authz.service_write(name), "service:write", name)


@routes("/v1/agent/service/maintenance/", "PUT")
async def agent_service_maintenance(ctx: Ctx) -> Reply:
    """``AgentServiceMaintenance``: a critical ``_service_maintenance:<id>`` check."""
    service_id = ctx.tail
    if not service_id:
        raise BadRequest("Missing service ID")
    enable = _enable_param(ctx)
    ctx.check_enterprise_meta()
    _vet_service_update(ctx, service_id)
    local = _local(ctx)
    if enable:
        local.enable_service_maintenance(service_id, ctx.param("reason") or "", ctx.token)
    else:
        local.disable_service_maintenance(service_id)
    return empty_reply()


# -- HTTP: checks --------------------------------------------------------------------


@routes("/v1/agent/checks", "GET")
async def agent_checks(ctx: Ctx) -> Reply:
    """``AgentChecks``: ``?filter`` first, then what the token may read."""
    ctx.check_enterprise_meta()
    local = _local(ctx)
    authz = ctx.authz
    node = ctx.agent.config.node_name
    checks = {cid: _check_json(c) for cid, c in local.live_checks().items()}
    checks = ctx.filter_map(checks, structs.HEALTH_CHECK)
    total = len(checks)
    checks = {
        cid: c
        for cid, c in checks.items()
        if (authz.service_read(c["ServiceName"]) if c["ServiceName"] else authz.node_read(node))
    }
    ctx.set_filtered(total != len(checks))
    return json_reply(go_map(checks))


@routes("/v1/agent/check/register", "PUT")
async def agent_register_check(ctx: Ctx) -> Reply:
    """``AgentRegisterCheck``."""
    ctx.check_enterprise_meta()
    args = await ctx.decode(structs.CHECK_DEFINITION)
    if not args.get("Name"):
        raise BadRequest("Missing check name")
    status = args.get("Status", "")
    if status and status not in (PASSING, WARNING, CRITICAL):
        raise BadRequest("Bad check status")
    authz = ctx.authz
    definition = dict(args)
    definition["CheckID"] = definition.pop("ID", "")
    check_type = _check_type(definition)
    error = check_type.validate()
    if error:
        raise BadRequest(f"Invalid check: {error}")
    local = _local(ctx)
    node = ctx.agent.config.node_name
    # CheckDefinition.HealthCheck formats the durations even when zero.
    check = health_check(
        node,
        check_type.check_id or check_type.name,
        check_type.name,
        status=status or CRITICAL,
        notes=check_type.notes,
        kind=check_type.type(),
        interval=format_duration(check_type.interval),
        timeout=format_duration(check_type.timeout),
    )
    service_id = args.get("ServiceID", "")
    if service_id:
        service = local.service(service_id)
        if service is None:
            raise NotFound(f"ServiceID {go_quote(service_id)} does not exist")
        check["ServiceID"] = service_id
        check["ServiceName"] = service["Service"]
    _vet_check_register(ctx, authz, check)
    local.add_check(check, check_type, ctx.token)
    return empty_reply()


def _vet_check_register(ctx: Ctx, authz: Authorizer, check: LocalCheck) -> None:
    """``vetCheckRegisterWithAuthorizer``: the check and any check it replaces."""
    node = ctx.agent.config.node_name
    existing = _local(ctx).check(check["CheckID"])
    for subject in (check, existing):
        if subject is None:
            continue
        if subject["ServiceName"]:
            name = subject["ServiceName"]
            ctx.require(authz.service_write(name), "service:write", name)
        else:
            ctx.require(authz.node_write(node), "node:write", node)


def _vet_check_update(ctx: Ctx, check_id: str) -> None:
    """``vetCheckUpdateWithAuthorizer``: 404 for an unknown check, else write access."""
    existing = _local(ctx).check(check_id)
    if existing is None:
        raise NotFound(
            f"Unknown check ID {go_quote(check_id)}. "
            "Ensure that the check ID is passed, not the check name."
        )
    authz = ctx.authz
    if existing["ServiceName"]:
        name = existing["ServiceName"]
        ctx.require(authz.service_write(name), "service:write", name)
    else:
        node = ctx.agent.config.node_name
        ctx.require(authz.node_write(node), "node:write", node)


@routes("/v1/agent/check/deregister/", "PUT")
async def agent_deregister_check(ctx: Ctx) -> Reply:
    """``AgentDeregisterCheck``."""
    check_id = ctx.tail
    ctx.check_enterprise_meta()
    _vet_check_update(ctx, check_id)
    _local(ctx).remove_check(check_id)
    return empty_reply()


def _check_update(ctx: Ctx, check_id: str, status: str, output: str) -> Reply:
    """``agentCheckUpdate``: vet, then set a TTL check's status."""
    ctx.check_enterprise_meta()
    _vet_check_update(ctx, check_id)
    _local(ctx).update_ttl_check(check_id, status, output)
    return empty_reply()


@routes("/v1/agent/check/pass/", "PUT")
async def agent_check_pass(ctx: Ctx) -> Reply:
    """``AgentCheckPass``: ``?note`` becomes the output."""
    return _check_update(ctx, ctx.tail, PASSING, ctx.param("note") or "")


@routes("/v1/agent/check/warn/", "PUT")
async def agent_check_warn(ctx: Ctx) -> Reply:
    """``AgentCheckWarn``."""
    return _check_update(ctx, ctx.tail, WARNING, ctx.param("note") or "")


@routes("/v1/agent/check/fail/", "PUT")
async def agent_check_fail(ctx: Ctx) -> Reply:
    """``AgentCheckFail``."""
    return _check_update(ctx, ctx.tail, CRITICAL, ctx.param("note") or "")


@routes("/v1/agent/check/update/", "PUT")
async def agent_check_update(ctx: Ctx) -> Reply:
    """``AgentCheckUpdate``: ``{"Status", "Output"}``."""
    update = await ctx.decode(structs.CHECK_UPDATE)
    status = update.get("Status", "")
    if status not in (PASSING, WARNING, CRITICAL):
        raise BadRequest(f"Invalid check status: '{status}'")
    return _check_update(ctx, ctx.tail, status, update.get("Output", ""))


# -- HTTP: local service health ----------------------------------------------------


def _status_code(status: str) -> int:
    return {PASSING: 200, WARNING: 429}.get(status, 503)


def _health_reply(obj: Any, status: int, reason: str, text: bool) -> Reply:
    """A ``CodeWithPayloadError`` reply: ``X-Consul-Reason`` and a JSON or text body."""
    if text:
        body = obj.encode() if isinstance(obj, str) else b""
        reply = Reply(status, body, "text/plain")
    else:
        reply = Reply(status, encode_json(obj), "application/json")
    reply.headers["X-Consul-Reason"] = reason
    return reply


def _wants_text(ctx: Ctx) -> bool:
    """``returnTextPlain``: ``Accept: text/plain...`` or ``?format=text``."""
    if ctx.request.headers.get("Accept", "").startswith("text/plain"):
        return True
    fmt = ctx.param("format")
    return bool(fmt) and fmt == "text"


def _service_health(local: LocalAgent, service_id: str) -> tuple[int, str, list[dict[str, Any]]]:
    """``agentHealthService``: status code, aggregated status, checks (node's included)."""
    checks = [_api_health_check(c) for c in local.checks_for_service(service_id, True).values()]
    status = _aggregated_status(checks)
    return _status_code(status), status, checks


@routes("/v1/agent/health/service/id/", "GET")
async def agent_health_service_by_id(ctx: Ctx) -> Reply:
    """``AgentHealthServiceByID``: 200 passing, 429 warning, 503 critical or maintenance."""
    service_id = ctx.tail
    if not service_id:
        raise BadRequest("Missing serviceID")
    ctx.check_enterprise_meta()
    authz = ctx.authz
    local = _local(ctx)
    text = _wants_text(ctx)
    service = local.service(service_id)
    if service is not None:
        ctx.require(authz.service_read(service["Service"]), "service:read", service["Service"])
        code, status, checks = _service_health(local, service_id)
        if text:
            return _health_reply(status, code, status, text=True)
        info = {
            "AggregatedStatus": status,
            "Service": _agent_service(service, ctx.agent.config.datacenter),
            "Checks": checks,
        }
        return _health_reply(info, code, status, text=False)
    reason = f"ServiceId {service_id} not found"
    if text:
        return _health_reply(reason, 404, reason, text=True)
    missing: dict[str, Any] = {"AggregatedStatus": CRITICAL, "Service": None, "Checks": None}
    return _health_reply(missing, 404, reason, text=False)


@routes("/v1/agent/health/service/name/", "GET")
async def agent_health_service_by_name(ctx: Ctx) -> Reply:
    """``AgentHealthServiceByName``: every instance, and the worst status of them."""
    name = ctx.tail
    if not name:
        raise BadRequest("Missing service Name")
    ctx.check_enterprise_meta()
    ctx.require(ctx.authz.service_read(name), "service:read", name)
    local = _local(ctx)
    dc = ctx.agent.config.datacenter
    code, status = 404, f"ServiceName {name} Not Found"
    result = []
    for service_id, service in local.live_services().items():
        if service["Service"] != name:
            continue
        service_code, service_status, checks = _service_health(local, service_id)
        result.append(
            {
                "AggregatedStatus": service_status,
                "Service": _agent_service(service, dc),
                "Checks": checks,
            }
        )
        if code == 404 or code < service_code:
            code, status = service_code, service_status
    return _health_reply(status if _wants_text(ctx) else result, code, status, _wants_text(ctx))
