"""``/v1/agent``: the agent's own services and checks, and the agent itself.

The agent keeps a local state of the services and checks registered with it
(``agent/local/state.go``), runs their checks (``agent/checks``) and keeps
the catalog of its datacenter in step with it (anti-entropy). Handlers follow
``agent/agent_endpoint.go``; registration rules come from ``agent/agent.go``
(``addServiceInternal``, ``addCheck``), ACL rules from ``agent/acl.go``.

Like ``consul agent -dev``, the agent persists nothing (it has no data
directory): ``PUT /v1/agent/reload`` drops what was registered through the
API, as Consul's ``reloadConfigInternal`` does when there is nothing on disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import _filter, _structs
from .._catalog import (
    LOCALITY,
    SERVICE_ADDRESS,
    SERVICE_CONNECT,
    WEIGHTS,
    go_map,
    is_any_address,
    node_service_problems,
    validate_service_meta,
    weights_problem,
)
from .._checks import (
    DEFAULT_BUF_SIZE,
    MIN_INTERVAL,
    CheckType,
    HTTPCheck,
    Runner,
    ScriptCheck,
    StatusHandler,
    TCPCheck,
    TTLCheck,
)
from .._config import CONSUL_VERSION
from .._gofmt import multierror, parse_bool
from .._gofmt import quote as go_quote
from .._server import (
    LOCAL_DEFAULT_QUERY_TIME,
    LOCAL_MAX_QUERY_TIME,
    BadRequest,
    Ctx,
    HTTPError,
    NotFound,
    Reply,
    Routes,
    RPCError,
    empty_reply,
    encode_json,
    json_reply,
    query_timeout,
)
from .._state import RANDOM, Wakeups
from .._structs import (
    ANY,
    BOOL,
    INT,
    STRING,
    DecodeError,
    ListOf,
    MapOf,
    Struct,
    format_duration,
    json_kind,
)

if TYPE_CHECKING:
    from .._acl import Authorizer
    from .._agent import AgentCore

routes = Routes()

PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"
MAINTENANCE = "maintenance"

#: ``structs.NodeMaint`` and ``structs.ServiceMaintPrefix``.
NODE_MAINT = "_node_maintenance"
SERVICE_MAINT_PREFIX = "_service_maintenance:"
_DEFAULT_NODE_MAINT_REASON = (
    "Maintenance mode is enabled for this node, but no reason was provided. "
    "This is a default message."
)
_DEFAULT_SERVICE_MAINT_REASON = (
    "Maintenance mode is enabled for this service, but no reason was provided. "
    "This is a default message."
)

#: A dev agent binds and advertises 127.0.0.1; its serf ports and server port.
ADVERTISE_ADDR = "127.0.0.1"
SERF_LAN_PORT = 8301
SERF_WAN_PORT = 8302
SERVER_PORT = 8300
GRPC_PORT = 8502
#: A build from source has no git revision and Go's placeholder build date
#: (``version/version.go``).
REVISION = ""
BUILD_DATE = "1970-01-01T00:00:01Z"


# -- request bodies (``lib.DecodeJSON`` into Consul's structs) ------------------------

# The definitions are decoded by custom UnmarshalJSON methods into anonymous
# "aux" structs, so Go names no struct in their errors (".Port", not
# "ServiceDefinition.Port"). Durations are interface{} there: a string is
# parsed afterwards, a number is nanoseconds, anything else is ignored.
_CHECK_COMMON: dict[str, _structs.Spec] = {
    "Name": STRING,
    "Status": STRING,
    "Notes": STRING,
    "ScriptArgs": ListOf(STRING),
    "HTTP": STRING,
    "H2PING": STRING,
    "H2PingUseTLS": BOOL,
    "Header": MapOf(ListOf(STRING)),
    "Method": STRING,
    "Body": STRING,
    "DisableRedirects": BOOL,
    "TCP": STRING,
    "UDP": STRING,
    "Interval": ANY,
    "AliasNode": STRING,
    "AliasService": STRING,
    "DockerContainerID": STRING,
    "Shell": STRING,
    "GRPC": STRING,
    "GRPCUseTLS": BOOL,
    "OSService": STRING,
    "TLSServerName": STRING,
    "TLSSkipVerify": BOOL,
    "Timeout": ANY,
    "TTL": ANY,
    "SuccessBeforePassing": INT,
    "FailuresBeforeWarning": INT,
    "FailuresBeforeCritical": INT,
    "DeregisterCriticalServiceAfter": ANY,
    "OutputMaxSize": INT,
}
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

#: ``structs.CheckType`` (a service's ``Check``/``Checks``); ``ServiceID`` is
#: accepted and ignored.
CHECK_TYPE = Struct(
    "",
    {
        "CheckID": STRING,
        **_CHECK_COMMON,
        "ProxyHTTP": STRING,
        "ProxyGRPC": STRING,
        "ServiceID": STRING,
    },
    aliases=_CHECK_SNAKE,
)

#: ``structs.CheckDefinition`` (``PUT /v1/agent/check/register``).
CHECK_DEFINITION = Struct(
    "",
    {"ID": STRING, "ServiceID": STRING, "Token": STRING, **_CHECK_COMMON},
    aliases={**_CHECK_SNAKE, "disable_redirects": "DisableRedirects"},
)

#: ``structs.ServiceDefinition`` (``PUT /v1/agent/service/register``).
SERVICE_DEFINITION = Struct(
    "",
    {
        "Kind": STRING,
        "ID": STRING,
        "Name": STRING,
        "Tags": ListOf(STRING),
        "Address": STRING,
        "TaggedAddresses": MapOf(SERVICE_ADDRESS),
        "Meta": MapOf(STRING),
        "Port": INT,
        "SocketPath": STRING,
        "Check": CHECK_TYPE,
        "Checks": ListOf(CHECK_TYPE),
        "Weights": WEIGHTS,
        "Token": STRING,
        "EnableTagOverride": BOOL,
        "Locality": LOCALITY,
        "Proxy": ANY,
        "Connect": SERVICE_CONNECT,
    },
    aliases={"enable_tag_override": "EnableTagOverride", "tagged_addresses": "TaggedAddresses"},
)

#: ``agent.checkUpdate`` (``PUT /v1/agent/check/update/:id``).
CHECK_UPDATE = Struct("agent.checkUpdate", {"Status": STRING, "Output": STRING})

# What Go names when a body is not a JSON object: the aux structs' types.
_SERVICE_DEFINITION_AUX = (
    'struct { EnableTagOverrideSnake bool "json:\\"enable_tag_override\\""; '
    'TaggedAddressesSnake map[string]structs.ServiceAddress "json:\\"tagged_addresses\\""; '
    "*structs.Alias }"
)
_CHECK_DEFINITION_AUX = (
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
    'DisableRedirectsSnake bool "json:\\"disable_redirects\\""; *structs.Alias }'
)


async def _decode_definition(ctx: Ctx, spec: Struct, aux_type: str) -> dict[str, Any]:
    """Decode a service or check definition as its custom ``UnmarshalJSON`` does."""
    try:
        data = _structs.decode_json(await ctx.body())
        if data is not None and not isinstance(data, dict):
            raise DecodeError(
                f"json: cannot unmarshal {json_kind(data)} into Go value of type {aux_type}"
            )
        return _structs.decode(data, spec)
    except DecodeError as exc:
        raise BadRequest(f"Request decode failed: {exc}") from None


def _check_type(decoded: dict[str, Any]) -> CheckType:
    """A :class:`CheckType` from a decoded definition; 400 for a bad duration string."""
    try:
        return CheckType.from_decoded(decoded)
    except ValueError as exc:
        raise BadRequest(f"Request decode failed: {exc}") from None


# -- Go's net.ParseIP ------------------------------------------------------------


def _ip_family(address: str) -> int:
    """4 or 6 as Go's ``net.ParseIP(address).To4()`` tells them apart; 0 if not an IP."""
    if "%" in address:
        return 0
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return 0
    if ip.version == 4 or (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped):
        return 4
    return 6


# -- local state ---------------------------------------------------------------------


@dataclass
class ServiceState:
    """``local.ServiceState``: a service of the agent and its sync status."""

    service: dict[str, Any]
    token: str = ""
    in_sync: bool = False
    deleted: bool = False


@dataclass
class CheckState:
    """``local.CheckState``: a check of the agent and its sync status."""

    check: dict[str, Any]
    token: str = ""
    #: Monotonic time it went critical (``CriticalTime``), None if not critical.
    critical_since: float | None = None
    #: The timer of a deferred output-only sync (``DeferCheck``).
    deferred: asyncio.TimerHandle | None = None
    in_sync: bool = False
    deleted: bool = False


class LocalAgent:
    """The agent's local services and checks, their check runners, and anti-entropy.

    Every change is pushed to the catalog of the agent's datacenter at once
    (``SyncChanges``), through :meth:`CatalogStore.register` and
    :meth:`CatalogStore.deregister`; the only delay is Consul's: a check
    whose output changed but not its status is synced after
    ``check_update_interval``.
    """

    def __init__(self, agent: AgentCore) -> None:
        self.agent = agent
        self.services: dict[str, ServiceState] = {}
        self.checks: dict[str, CheckState] = {}
        #: Node metadata the agent syncs (``State.Metadata``).
        self.metadata: dict[str, str] = {}
        #: Runners by kind and check ID, as the agent's ``checkTTLs``,
        #: ``checkHTTPs``... maps.
        self.runners: dict[tuple[str, str], Runner] = {}
        #: Check ID -> seconds after which its critical service is reaped.
        self.reap_after: dict[str, float] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._full_sync: asyncio.TimerHandle | None = None
        #: Whether the catalog holds the node as the agent would register it.
        self.node_in_sync = True
        self._stopped: list[Runner] = []
        #: The agent-local blocking queries (hash-based blocking).
        self.wakeups = Wakeups()
        self.closed = False

    # -- lifecycle -----------------------------------------------------------------

    def bootstrap(self) -> None:
        """Set up a fresh agent's local state: no services, no checks.

        The node itself, its ``serfHealth`` check and the ``consul``
        service are the catalog's (its leader registers them).
        """
        self.metadata = {"consul-network-segment": "", "consul-version": CONSUL_VERSION}
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # Not serving (a core built outside a loop): no anti-entropy.
        self._schedule_full_sync()

    def close(self) -> None:
        """Stop every check runner and timer; release local blocking queries."""
        self.closed = True
        for key in list(self.runners):
            self._stop_runner(key)
        for state in self.checks.values():
            if state.deferred is not None:
                state.deferred.cancel()
                state.deferred = None
        for timer in (self._reaper, self._full_sync):
            if timer is not None:
                timer.cancel()
        self._reaper = self._full_sync = None
        self.wakeups.close()

    async def wait_closed(self) -> None:
        """Wait until stopped runners have let go of their tasks and processes."""
        stopped, self._stopped = self._stopped, []
        await asyncio.gather(*(r.wait_stopped() for r in stopped), return_exceptions=True)

    @property
    def node(self) -> str:
        return self.agent.config.node_name

    # -- reads -----------------------------------------------------------------------

    def service(self, service_id: str) -> dict[str, Any] | None:
        """``State.Service``: the local service, None if absent or being deleted."""
        state = self.services.get(service_id)
        return None if state is None or state.deleted else state.service

    def check(self, check_id: str) -> dict[str, Any] | None:
        """``State.Check``: the local check, None if absent or being deleted."""
        state = self.checks.get(check_id)
        return None if state is None or state.deleted else state.check

    def live_services(self) -> dict[str, dict[str, Any]]:
        return {sid: s.service for sid, s in self.services.items() if not s.deleted}

    def live_checks(self) -> dict[str, dict[str, Any]]:
        return {cid: c.check for cid, c in self.checks.items() if not c.deleted}

    def checks_for_service(self, service_id: str, node_checks: bool) -> dict[str, dict[str, Any]]:
        """``State.ChecksForService``: a service's checks (and the node's, if asked)."""
        out = {}
        for cid, check in self.live_checks().items():
            if check["ServiceID"]:
                if check["ServiceID"] != service_id:
                    continue
            elif not node_checks:
                continue
            out[cid] = check
        return out

    # -- services --------------------------------------------------------------------

    def add_service(
        self,
        service: dict[str, Any],
        check_types: list[CheckType],
        token: str,
        *,
        replace_existing_checks: bool = False,
    ) -> None:
        """``Agent.AddService``: add or replace a service and its checks.

        Raises :class:`RPCError` (a 500) with Consul's text when the agent
        refuses the registration.
        """
        # validateService
        if not service["Service"]:
            raise RPCError("Service name missing")
        if not service["ID"]:
            service["ID"] = service["Service"]
        for check_type in check_types:
            error = check_type.validate()
            if error:
                raise RPCError(f"Check is not valid: {error}")
        if service.get("Weights") is None:
            service["Weights"] = {"Passing": 1, "Warning": 1}
        tagged = service.get("TaggedAddresses") or {}
        # Consul checks lan_ipv6 twice and never wan_ipv6 (agent.go).
        for key, family in (("lan_ipv4", 4), ("wan_ipv4", 4), ("lan_ipv6", 6), ("lan_ipv6", 6)):
            if key in tagged and _ip_family(tagged[key].get("Address", "")) != family:
                kind = "ipv4" if family == 4 else "ipv6"
                raise RPCError(
                    f"Service tagged address {go_quote(key)} must be a valid {kind} address"
                )
        self._add_service_internal(service, check_types, token, replace_existing_checks)

    def _add_service_internal(
        self,
        service: dict[str, Any],
        check_types: list[CheckType],
        token: str,
        replace_existing_checks: bool,
    ) -> None:
        """``addServiceInternal``: default tagged addresses, build and start the checks."""
        address = service.get("Address", "")
        family = _ip_family(address)
        tagged = dict(service.get("TaggedAddresses") or {})
        lan, wan = ("lan_ipv4", "wan_ipv4") if family == 4 else ("lan_ipv6", "wan_ipv6")
        if family:
            for key in (lan, wan):
                tagged.setdefault(key, {"Address": address, "Port": service.get("Port", 0)})
        service["TaggedAddresses"] = tagged
        service_id = service["ID"]
        existing = dict.fromkeys(self.checks_for_service(service_id, node_checks=False), False)
        snapshot = self.live_checks()
        checks: list[dict[str, Any]] = []
        for i, check_type in enumerate(check_types):
            check_id = check_type.check_id
            if not check_id:
                check_id = f"service:{service_id}"
                if len(check_types) > 1:
                    check_id += f":{i + 1}"
            existing[check_id] = True
            check = _health_check(
                self.node,
                check_id,
                check_type.name or f"Service '{service['Service']}' check",
                status=check_type.status or CRITICAL,
                notes=check_type.notes,
                service=service,
                kind=check_type.type(),
                interval=format_duration(check_type.interval) if check_type.interval else "",
                timeout=format_duration(check_type.timeout) if check_type.timeout else "",
            )
            previous = snapshot.get(check_id)
            if previous is not None:
                check["Output"] = previous["Output"]
                check["Status"] = previous["Status"]
            checks.append(check)
        new_service = self.service(service_id) is None
        new_checks = [c["CheckID"] for c in checks if self.check(c["CheckID"]) is None]
        self._set_service(service, token)
        for check in checks:
            self._set_check(check, token)
        for check, check_type in zip(checks, check_types, strict=True):
            try:
                self._start_check(check, check_type, source_local=False)
            except RPCError:
                # cleanupRegistration: forget what this registration created.
                if new_service:
                    self.services.pop(service_id, None)
                for cid in new_checks:
                    self._cancel_runners(cid)
                    self.checks.pop(cid, None)
                raise
        if replace_existing_checks:
            for cid, keep in existing.items():
                if not keep:
                    self._remove_check(cid)
        self._changed()

    def _set_service(self, service: dict[str, Any], token: str) -> None:
        """``setServiceStateLocked``: in sync only if nothing changed."""
        old = self.services.get(service["ID"])
        state = ServiceState(service, token)
        if old is not None and not old.deleted:
            state.in_sync = old.in_sync and old.service == service
        self.services[service["ID"]] = state

    def remove_service(self, service_id: str) -> None:
        """``Agent.RemoveService``: the service and its checks."""
        state = self.services.get(service_id)
        if state is None or state.deleted:
            raise RPCError(
                f"Unknown service ID {go_quote(service_id)}. "
                "Ensure that the service ID is passed, not the service name."
            )
        checks = self.checks_for_service(service_id, node_checks=False)
        state.deleted = True
        state.in_sync = False
        for cid in checks:
            self._remove_check(cid)
        self._changed()

    # -- checks ----------------------------------------------------------------------

    def add_check(
        self,
        check: dict[str, Any],
        check_type: CheckType | None,
        token: str,
        *,
        source_local: bool = False,
    ) -> None:
        """``Agent.AddCheck``: add or replace a check, keeping a replaced one's status."""
        service = None
        if check["ServiceID"]:
            service = self.service(check["ServiceID"])
            if service is None:
                raise RPCError(f"ServiceID {go_quote(check['ServiceID'])} does not exist")
        existing = self.check(check["CheckID"])
        previous = (existing["Status"], existing["Output"]) if existing is not None else None
        if service is not None:
            check["ServiceName"] = service["Service"]
            check["ServiceTags"] = service.get("Tags")
        try:
            self._start_check(check, check_type, source_local=source_local)
        except RPCError:
            self._remove_check(check["CheckID"])
            self._changed()
            raise
        self._set_check(check, token)
        if previous is not None:
            # addCheckLocked snapshots the check it replaces to avoid flapping.
            self.update_check(check["CheckID"], *previous)
        self._changed()

    def _set_check(self, check: dict[str, Any], token: str) -> None:
        """``setCheckStateLocked``: in sync only if ``HealthCheck.IsSame``."""
        old = self.checks.get(check["CheckID"])
        check["Node"] = self.node
        # A new check state is not "critical" for reaping until a status
        # update says so (CriticalTime is only set by UpdateCheck).
        state = CheckState(check, token)
        if old is not None:
            state.in_sync = not old.deleted and old.in_sync and _same_check(old.check, check)
            if old.deferred is not None:
                old.deferred.cancel()
        self.checks[check["CheckID"]] = state

    def _start_check(
        self, check: dict[str, Any], check_type: CheckType | None, *, source_local: bool
    ) -> None:
        """``Agent.addCheck``: start the runner of ``check_type`` (raises RPCError)."""
        check_id = check["CheckID"]
        if not check_id:
            raise RPCError("CheckID missing")
        if check_type is None:
            return
        error = check_type.validate()
        if error:
            raise RPCError(f"Check is not valid: {error}")
        config = self.agent.config
        if check_type.is_script():
            if source_local and not (
                config.enable_local_script_checks or config.enable_script_checks
            ):
                raise RPCError(
                    "Scripts are disabled on this agent; to enable, configure "
                    "'enable_script_checks' or 'enable_local_script_checks' to true"
                )
            if not source_local and not config.enable_script_checks:
                raise RPCError(
                    "Scripts are disabled on this agent from remote calls; to enable, "
                    "configure 'enable_script_checks' to true"
                )
        max_output = DEFAULT_BUF_SIZE
        if 0 < check_type.output_max_size < max_output:
            max_output = check_type.output_max_size
        # FailuresBeforeWarning defaults to FailuresBeforeCritical.
        if check_type.failures_before_warning == 0:
            check_type.failures_before_warning = check_type.failures_before_critical
        status = StatusHandler(
            self.update_check,
            check_type.success_before_passing,
            check_type.failures_before_warning,
            check_type.failures_before_critical,
        )
        # Checks never run more often than once a second (checks.MinInterval).
        interval = max(check_type.interval, MIN_INTERVAL)
        runner: Runner | None = None
        kind = ""
        if check_type.is_ttl():
            kind = "ttl"
            runner = TTLCheck(self.update_check, check_id, check_type.ttl, max_output)
        elif check_type.is_http():
            kind = "http"
            check_type.interval = interval
            runner = HTTPCheck(check_id, check_type, max_output, status)
        elif check_type.is_tcp():
            kind = "tcp"
            runner = TCPCheck(check_id, check_type.tcp, interval, check_type.timeout, status)
        elif (
            check_type.is_udp()
            or check_type.is_grpc()
            or check_type.is_docker()
            or check_type.is_os_service()
        ):
            # UDP, gRPC, Docker and OS service checks (and H2PING and alias
            # checks below) are accepted but not run: they keep the status
            # they were registered with.
            pass
        elif check_type.is_monitor():
            kind = "script"
            runner = ScriptCheck(
                check_id,
                check_type.script_args,
                interval,
                check_type.timeout,
                max_output,
                status,
            )
        if runner is not None:
            self._stop_runner((kind, check_id))
            self.runners[(kind, check_id)] = runner
            runner.start()
        if check_type.deregister_critical_service_after > 0:
            timeout = check_type.deregister_critical_service_after / 1e9
            self.reap_after[check_id] = max(timeout, config.check_deregister_interval_min)
            self._schedule_reaper()
        else:
            self.reap_after.pop(check_id, None)

    def _stop_runner(self, key: tuple[str, str]) -> None:
        runner = self.runners.pop(key, None)
        if runner is not None:
            runner.stop()
            self._stopped = [r for r in self._stopped if not r.finished()]
            self._stopped.append(runner)

    def _cancel_runners(self, check_id: str) -> None:
        """``cancelCheckMonitors``."""
        self.reap_after.pop(check_id, None)
        for key in [k for k in self.runners if k[1] == check_id]:
            self._stop_runner(key)

    def remove_check(self, check_id: str) -> None:
        """``Agent.RemoveCheck``."""
        if not check_id:
            raise RPCError("CheckID missing")
        self._remove_check(check_id)
        self._changed()

    def _remove_check(self, check_id: str) -> None:
        self._cancel_runners(check_id)
        state = self.checks.get(check_id)
        if state is None or state.deleted:
            return
        state.deleted = True
        state.in_sync = False
        if state.deferred is not None:
            state.deferred.cancel()
            state.deferred = None

    def update_ttl_check(self, check_id: str, status: str, output: str) -> None:
        """``Agent.updateTTLCheck``: 500 unless the check is a TTL check."""
        runner = self.runners.get(("ttl", check_id))
        if not isinstance(runner, TTLCheck):
            raise RPCError(f"CheckID {go_quote(check_id)} does not have associated TTL")
        runner.set_status(status, output)

    def update_check(self, check_id: str, status: str, output: str) -> None:
        """``State.UpdateCheck``: a new status or output from a runner or the API.

        A status change is synced at once; an output-only change is kept
        locally and synced after ``check_update_interval`` (Consul's
        ``DeferCheck``), to spare the servers chatty checks.
        """
        state = self.checks.get(check_id)
        if state is None or state.deleted:
            return
        if status == CRITICAL:
            if state.critical_since is None:
                state.critical_since = time.monotonic()
        else:
            state.critical_since = None
        check = state.check
        if check["Status"] == status and check["Output"] == output:
            return
        interval = self.agent.config.check_update_interval
        if interval > 0 and check["Status"] == status:
            check["Output"] = output
            if state.deferred is None:
                delay = interval / 2 + RANDOM.uniform(0, interval)
                state.deferred = asyncio.get_running_loop().call_later(
                    delay, self._deferred_sync, check_id
                )
            self._changed(sync=False)
            return
        check["Status"] = status
        check["Output"] = output
        state.in_sync = False
        self._changed()

    def _deferred_sync(self, check_id: str) -> None:
        state = self.checks.get(check_id)
        if state is None:
            return
        state.deferred = None
        if not state.deleted:
            state.in_sync = False
            self.sync_changes()

    # -- maintenance -----------------------------------------------------------------

    def enable_service_maintenance(self, service_id: str, reason: str, token: str) -> None:
        """``Agent.EnableServiceMaintenance``."""
        service = self.service(service_id)
        if service is None:
            raise NotFound(f"No service registered with ID {go_quote(service_id)}")
        check_id = SERVICE_MAINT_PREFIX + service_id
        if self.check(check_id) is not None:
            return
        check = _health_check(
            self.node,
            check_id,
            "Service Maintenance Mode",
            status=CRITICAL,
            notes=reason or _DEFAULT_SERVICE_MAINT_REASON,
            service=service,
            kind=MAINTENANCE,
        )
        self.add_check(check, None, token, source_local=True)

    def disable_service_maintenance(self, service_id: str) -> None:
        """``Agent.DisableServiceMaintenance``."""
        if self.service(service_id) is None:
            raise NotFound(f"No service registered with ID {go_quote(service_id)}")
        check_id = SERVICE_MAINT_PREFIX + service_id
        if self.check(check_id) is not None:
            self.remove_check(check_id)

    def enable_node_maintenance(self, reason: str, token: str) -> None:
        """``Agent.EnableNodeMaintenance``."""
        if self.check(NODE_MAINT) is not None:
            return
        check = _health_check(
            self.node,
            NODE_MAINT,
            "Node Maintenance Mode",
            status=CRITICAL,
            notes=reason or _DEFAULT_NODE_MAINT_REASON,
            kind=MAINTENANCE,
        )
        self.add_check(check, None, token, source_local=True)

    def disable_node_maintenance(self) -> None:
        """``Agent.DisableNodeMaintenance``."""
        if self.check(NODE_MAINT) is not None:
            self.remove_check(NODE_MAINT)

    def reload(self) -> None:
        """``reloadConfigInternal`` with nothing on disk: unload every service and check."""
        for service_id in list(self.live_services()):
            self.remove_service(service_id)
        for check_id in list(self.live_checks()):
            self.remove_check(check_id)

    # -- reaping critical services (``reapServicesInternal``) ------------------------

    def _schedule_reaper(self) -> None:
        if self._reaper is None and not self.closed:
            self._reaper = asyncio.get_running_loop().call_later(
                self.agent.config.check_reap_interval, self._reap
            )

    def _reap(self) -> None:
        self._reaper = None
        now = time.monotonic()
        reaped: set[str] = set()
        for check_id, state in list(self.checks.items()):
            service_id = state.check["ServiceID"]
            if state.deleted or state.critical_since is None or not service_id:
                continue
            if service_id in reaped:
                continue
            timeout = self.reap_after.get(check_id, 0.0)
            if timeout > 0 and now - state.critical_since > timeout:
                reaped.add(service_id)
                if self.service(service_id) is not None:
                    self.remove_service(service_id)
        if self.reap_after:
            self._schedule_reaper()

    # -- anti-entropy ----------------------------------------------------------------

    def _changed(self, *, sync: bool = True) -> None:
        """A local change: wake local blocking queries and sync to the catalog."""
        self.wakeups.notify()
        if sync:
            self.sync_changes()

    def _schedule_full_sync(self) -> None:
        """The next periodic full sync: after ``ae_interval`` plus up to as much again."""
        interval = self.agent.config.ae_interval
        delay = interval + RANDOM.uniform(0, interval)  # stagger
        self._full_sync = asyncio.get_running_loop().call_later(delay, self._full_sync_tick)

    def _full_sync_tick(self) -> None:
        self._full_sync = None
        if not self.closed:
            self.sync_full()
            self._schedule_full_sync()

    def sync_full(self) -> None:
        """``State.SyncFull``: compare with the catalog, then push the differences.

        What someone else changed in the catalog on the agent's node is put
        back: services and checks the agent does not know are deregistered
        (except the ``consul`` service and ``serfHealth``), changed ones are
        registered again.
        """
        self._update_sync_state()
        self.sync_changes()

    def _update_sync_state(self) -> None:
        """``State.updateSyncState``: mark what differs from the catalog."""
        catalog = self.agent.home.catalog
        node = catalog.node(self.node)
        request = self._register_request()
        self.node_in_sync = node is not None and (
            node["ID"] == request["ID"]
            and node.get("TaggedAddresses") == request["TaggedAddresses"]
            and node.get("Meta") == request["NodeMeta"]
        )
        remote_services = {s["ID"]: s for s in catalog.node_services(self.node)}
        remote_checks = {c["CheckID"]: c for c in catalog.node_checks(self.node)}
        for service_id, state in self.services.items():
            if service_id not in remote_services:
                state.in_sync = False
        for service_id, remote in remote_services.items():
            local = self.services.get(service_id)
            if local is None:
                if service_id != "consul":
                    placeholder = {"ID": service_id, "Service": remote["Service"]}
                    self.services[service_id] = ServiceState(placeholder, deleted=True)
                continue
            if local.deleted:
                continue
            if local.service.get("EnableTagOverride"):
                local.service["Tags"] = list(remote.get("Tags") or [])
            reserved = {
                k: v
                for k, v in (remote.get("TaggedAddresses") or {}).items()
                if k.startswith("consul-")
            }
            if reserved:
                local.service["TaggedAddresses"] = {
                    **(local.service.get("TaggedAddresses") or {}),
                    **reserved,
                }
            local.in_sync = _same_remote_service(local.service, remote)
        for check_id, check_state in self.checks.items():
            if check_id not in remote_checks:
                check_state.in_sync = False
        for check_id, remote in remote_checks.items():
            local_check = self.checks.get(check_id)
            if local_check is None:
                if check_id != "serfHealth":
                    placeholder = _health_check(self.node, check_id, "", status=CRITICAL)
                    placeholder["ServiceID"] = remote["ServiceID"]
                    self.checks[check_id] = CheckState(placeholder, deleted=True)
                continue
            if local_check.deleted:
                continue
            # While an output-only change waits, the output is not compared.
            ignore_output = local_check.deferred is not None
            local_check.in_sync = _same_remote_check(local_check.check, remote, ignore_output)

    def sync_changes(self) -> None:
        """``State.SyncChanges``: push what is out of sync to the catalog."""
        if self.closed:
            return
        if not self.node_in_sync:
            request = self._register_request()
            request["SkipNodeUpdate"] = False
            catalog = self.agent.home.catalog
            if self._apply(lambda idx: catalog.register(idx, request)):
                self.node_in_sync = True
        for service_id, service_state in list(self.services.items()):
            if service_state.deleted:
                self._delete_service(service_id)
            elif not service_state.in_sync:
                self._sync_service(service_id)
        for check_id, check_state in list(self.checks.items()):
            if check_state.deleted:
                self._delete_check(check_id)
            elif not check_state.in_sync:
                if check_state.deferred is not None:
                    check_state.deferred.cancel()
                    check_state.deferred = None
                self._sync_check(check_id)

    def _sync_token(self, token: str) -> str:
        """The token a sync uses: the registration's, else the agent's default."""
        return token or self.agent.config.acl_default_token

    def _register_request(self) -> dict[str, Any]:
        """A ``RegisterRequest`` for the agent's node (node info already in sync)."""
        catalog = self.agent.home.catalog
        tagged = {"lan": ADVERTISE_ADDR, "lan_ipv4": ADVERTISE_ADDR}
        tagged.update({"wan": ADVERTISE_ADDR, "wan_ipv4": ADVERTISE_ADDR})
        return {
            "Datacenter": self.agent.config.datacenter,
            "ID": self.agent.config.node_id,
            "Node": self.node,
            "Address": ADVERTISE_ADDR,
            "TaggedAddresses": tagged,
            "NodeMeta": dict(self.metadata),
            "SkipNodeUpdate": self.node_in_sync and catalog.node(self.node) is not None,
        }

    def _apply(self, write: Callable[[int], bool]) -> bool:
        """Apply one catalog write as one Raft apply; False if the catalog refused it."""
        dc = self.agent.home
        idx = dc.apply()
        try:
            changed = write(idx)
        except (RPCError, HTTPError):
            return False
        if changed:
            dc.changed()
        return True

    def _sync_service(self, service_id: str) -> None:
        state = self.services[service_id]
        token = self._sync_token(state.token)
        checks = [
            c
            for c in self.checks.values()
            if not c.deleted
            and not c.in_sync
            and c.check["ServiceID"] == service_id
            and self._sync_token(c.token) == token
        ]
        request = self._register_request()
        request["Service"] = _node_service_request(state.service)
        if len(checks) == 1:
            request["Check"] = _check_request(checks[0].check)
        elif checks:
            request["Checks"] = [_check_request(c.check) for c in checks]
        catalog = self.agent.home.catalog
        if self._apply(lambda idx: catalog.register(idx, request)):
            state.in_sync = True
            for check_state in checks:
                check_state.in_sync = True

    def _sync_check(self, check_id: str) -> None:
        state = self.checks[check_id]
        request = self._register_request()
        request["Check"] = _check_request(state.check)
        service = self.service(state.check["ServiceID"]) if state.check["ServiceID"] else None
        if service is not None:
            request["Service"] = _node_service_request(service)
        catalog = self.agent.home.catalog
        if self._apply(lambda idx: catalog.register(idx, request)):
            state.in_sync = True

    def _delete_service(self, service_id: str) -> None:
        catalog = self.agent.home.catalog
        if self._apply(lambda idx: catalog.deregister(idx, self.node, service_id=service_id)):
            del self.services[service_id]
            # Deregistering a service deletes its checks too.
            for check_id, check_state in list(self.checks.items()):
                if check_state.deleted and check_state.check["ServiceID"] == service_id:
                    del self.checks[check_id]

    def _delete_check(self, check_id: str) -> None:
        catalog = self.agent.home.catalog
        if self._apply(lambda idx: catalog.deregister(idx, self.node, check_id=check_id)):
            del self.checks[check_id]


# -- JSON shapes ------------------------------------------------------------------------


def _health_check(
    node: str,
    check_id: str,
    name: str,
    *,
    status: str,
    notes: str = "",
    service: dict[str, Any] | None = None,
    kind: str = "",
    interval: str = "",
    timeout: str = "",
) -> dict[str, Any]:
    """A ``structs.HealthCheck`` of this agent (its ``Definition`` is empty)."""
    return {
        "Node": node,
        "CheckID": check_id,
        "Name": name,
        "Status": status,
        "Notes": notes,
        "Output": "",
        "ServiceID": service["ID"] if service else "",
        "ServiceName": service["Service"] if service else "",
        "ServiceTags": service.get("Tags") if service else None,
        "Type": kind,
        "Interval": interval,
        "Timeout": timeout,
        "ExposedPort": 0,
        "Definition": {},
    }


def _same_check(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``HealthCheck.IsSame`` (``Type``, ``Interval`` and ``Timeout`` are not compared)."""
    keys = ("Node", "CheckID", "Name", "Status", "Notes", "Output", "ServiceID", "ServiceName")
    return all(a[k] == b[k] for k in keys) and (
        a["ServiceTags"] == b["ServiceTags"] and a["Definition"] == b["Definition"]
    )


def _same_remote_service(local: dict[str, Any], remote: dict[str, Any]) -> bool:
    """``NodeService.IsSame`` of the agent's service and the catalog's copy.

    The catalog's JSON leaves out empty fields the agent sends (and the
    other way round), so any empty value counts as Go's zero value.
    """
    wanted = _node_service_request(local)
    keys = (
        *("ID", "Service", "Tags", "Address", "TaggedAddresses", "Meta", "Port", "Weights"),
        *("EnableTagOverride", "Kind", "SocketPath"),
    )
    return all((wanted.get(k) or None) == (remote.get(k) or None) for k in keys)


def _same_remote_check(local: dict[str, Any], remote: dict[str, Any], ignore_output: bool) -> bool:
    """``HealthCheck.IsSame`` of the agent's check and the catalog's copy."""
    keys = ["CheckID", "Name", "Status", "Notes", "ServiceID", "ServiceName"]
    if not ignore_output:
        keys.append("Output")
    same = all(local[k] == remote.get(k) for k in keys)
    return same and list(local["ServiceTags"] or []) == list(remote.get("ServiceTags") or [])


def _check_json(check: dict[str, Any]) -> dict[str, Any]:
    """A local check as ``/v1/agent/checks`` shows it (``ServiceTags`` never null)."""
    out = dict(check)
    if out["ServiceTags"] is None:
        out["ServiceTags"] = []
    out["Definition"] = {}
    out["CreateIndex"] = 0
    out["ModifyIndex"] = 0
    return out


def _check_request(check: dict[str, Any]) -> dict[str, Any]:
    """A check as the agent sends it in a ``RegisterRequest``."""
    out = dict(check)
    out["ServiceTags"] = list(out["ServiceTags"] or [])
    return out


def _node_service_request(service: dict[str, Any]) -> dict[str, Any]:
    """A ``structs.NodeService`` as the agent sends it in a ``RegisterRequest``."""
    out: dict[str, Any] = {}
    if service.get("Kind"):
        out["Kind"] = service["Kind"]
    out["ID"] = service["ID"]
    out["Service"] = service["Service"]
    out["Tags"] = list(service.get("Tags") or [])
    out["Address"] = service.get("Address", "")
    if service.get("TaggedAddresses"):
        out["TaggedAddresses"] = service["TaggedAddresses"]
    out["Meta"] = dict(service.get("Meta") or {})
    out["Port"] = service.get("Port", 0)
    if service.get("SocketPath"):
        out["SocketPath"] = service["SocketPath"]
    out["Weights"] = service["Weights"]
    out["EnableTagOverride"] = service.get("EnableTagOverride", False)
    for key in ("Locality", "Proxy", "Connect"):
        if service.get(key):
            out[key] = service[key]
    return out


def _agent_service(service: dict[str, Any], dc: str) -> dict[str, Any]:
    """``buildAgentService``: an ``api.AgentService``."""
    weights = {"Passing": 1, "Warning": 1}
    if service.get("Weights") is not None:
        if service["Weights"].get("Passing", 0) > 0:
            weights["Passing"] = service["Weights"]["Passing"]
        weights["Warning"] = service["Weights"].get("Warning", 0)
    out: dict[str, Any] = {}
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


def _api_health_check(check: dict[str, Any]) -> dict[str, Any]:
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
        "grpc_port": str(GRPC_PORT),
        "id": config.node_id,
        "port": str(SERVER_PORT),
        "raft_vsn": "3",
        "role": "consul",
        "vsn": "2",
        "vsn_max": "3",
        "vsn_min": "2",
    }
    if not wan:
        tags["segment"] = ""
        tags["wan_join_port"] = str(SERF_WAN_PORT)
    return {
        "Name": f"{config.node_name}.{config.datacenter}" if wan else config.node_name,
        "Addr": ADVERTISE_ADDR,
        "Port": SERF_WAN_PORT if wan else SERF_LAN_PORT,
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
                    "leader_addr": f"{ADVERTISE_ADDR}:{SERVER_PORT}",
                    "server": "true",
                },
            },
            "Meta": dict(local.metadata),
        }
    )


@routes("/v1/agent/members", "GET")
async def agent_members(ctx: Ctx) -> Reply:
    """``AgentMembers``: the LAN (or ``?wan``) members a token may see (``node:read``)."""
    wan = bool(ctx.param("wan"))
    segment = ctx.param("segment") or ""
    if wan and segment not in ("", "_all"):
        raise BadRequest("Cannot provide a segment with wan=true")
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
    wan = bool(ctx.param("wan"))
    default_port = SERF_WAN_PORT if wan else SERF_LAN_PORT
    errors = await _join(ctx.tail, default_port)
    if errors:
        raise RPCError(multierror(errors))
    return empty_reply()


async def _join(address: str, default_port: int) -> list[str]:
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
        if ip == ADVERTISE_ADDR and port == default_port:
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
    local = _local(ctx)
    authz = ctx.authz
    dc = ctx.agent.config.datacenter
    services = {sid: _agent_service(s, dc) for sid, s in local.live_services().items()}
    services = ctx.filter_map(services, _filter.AGENT_SERVICE)
    total = len(services)
    services = {sid: s for sid, s in services.items() if authz.service_read(s["Service"])}
    ctx.set_filtered(total != len(services))
    return json_reply(go_map(services))


@routes("/v1/agent/service/", "GET")
async def agent_service(ctx: Ctx) -> Reply:
    """``AgentService``: one service, with hash-based blocking (``?hash``, ``?wait``)."""
    service_id = ctx.tail
    _, wait = ctx.wait_params()
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

    hash_, service = await _local_blocking(local, ctx.param("hash") or "", wait, query)
    ctx.headers["X-Consul-ContentHash"] = hash_
    return json_reply(service)


def _content_hash_order(reply: dict[str, Any]) -> list[str]:
    keys = [k for k in reply if k != "ContentHash"]
    position = next(
        (i for i, k in enumerate(keys) if k in ("Proxy", "Connect", "Datacenter")), len(keys)
    )
    return [*keys[:position], "ContentHash", *keys[position:]]


async def _local_blocking(
    local: LocalAgent,
    hash_: str,
    wait: float,
    query: Callable[[], tuple[str, dict[str, Any]]],
) -> tuple[str, dict[str, Any]]:
    """``Agent.LocalBlockingQuery``: block while the result's hash is still ``hash_``.

    Its wait is bounded by the agent package's constants, not by
    ``default_query_time``/``max_query_time`` (``agent/agent.go``).
    """
    if not hash_:
        return query()
    wait = query_timeout(wait, LOCAL_DEFAULT_QUERY_TIME, LOCAL_MAX_QUERY_TIME)
    deadline = time.monotonic() + wait
    while True:
        current, result = query()
        if current != hash_ or not await local.wakeups.wait(deadline):
            return current, result


@routes("/v1/agent/service/register", "PUT")
async def agent_register_service(ctx: Ctx) -> Reply:
    """``AgentRegisterService``: validate, vet ACLs, add the service and its checks."""
    args = await _decode_definition(ctx, SERVICE_DEFINITION, _SERVICE_DEFINITION_AUX)
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
    errors = node_service_problems({**service, "Connect": args.get("Connect")})
    if errors:
        raise BadRequest(f"Validation failed: {multierror(errors)}")
    check_types = []
    definitions = [args["Check"]] if args.get("Check") else []
    definitions += [c for c in args.get("Checks") or [] if c is not None]
    for definition in definitions:
        check_type = _check_type(definition)
        if check_type.empty():
            continue
        error = check_type.validate()
        if error:
            raise BadRequest(f"Invalid check: {error}")
        check_types.append(check_type)
    for check_type in check_types:
        if check_type.status and check_type.status not in (PASSING, WARNING, CRITICAL):
            raise BadRequest("Status for checks must 'passing', 'warning', 'critical'")
    # vetServiceRegisterWithAuthorizer
    ctx.require(authz.service_write(service["Service"]), "service:write", service["Service"])
    local = _local(ctx)
    existing = local.service(service["ID"])
    if existing is not None:
        name = existing["Service"]
        ctx.require(authz.service_write(name), "service:write", name)
    if service.get("Kind") == "connect-proxy":
        target = (service.get("Proxy") or {}).get("DestinationServiceName", "")
        ctx.require(authz.service_write(target), "service:write", target)
    replace = False
    if ctx.flag("replace-existing-checks"):
        replace = (ctx.param("replace-existing-checks") or "") in ("", "true")
    local.add_service(service, check_types, ctx.token, replace_existing_checks=replace)
    return empty_reply()


def _node_service(args: dict[str, Any]) -> dict[str, Any]:
    """``ServiceDefinition.NodeService``: the service to add (a sidecar is not registered)."""
    service: dict[str, Any] = {
        "Kind": args.get("Kind", ""),
        "ID": args.get("ID") or args["Name"],
        "Service": args["Name"],
        "Tags": args.get("Tags"),
        "Address": args.get("Address", ""),
        "Meta": args.get("Meta"),
        "Port": args.get("Port", 0),
        "SocketPath": args.get("SocketPath", ""),
        "Weights": args.get("Weights"),
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
    local = _local(ctx)
    authz = ctx.authz
    node = ctx.agent.config.node_name
    checks = {cid: _check_json(c) for cid, c in local.live_checks().items()}
    checks = ctx.filter_map(checks, _filter.HEALTH_CHECK)
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
    args = await _decode_definition(ctx, CHECK_DEFINITION, _CHECK_DEFINITION_AUX)
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
    check = _health_check(
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


def _vet_check_register(ctx: Ctx, authz: Authorizer, check: dict[str, Any]) -> None:
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
    _vet_check_update(ctx, check_id)
    _local(ctx).remove_check(check_id)
    return empty_reply()


def _check_update(ctx: Ctx, check_id: str, status: str, output: str) -> Reply:
    """``agentCheckUpdate``: vet, then set a TTL check's status."""
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
    update = await ctx.decode(CHECK_UPDATE)
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
