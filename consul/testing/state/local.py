"""The agent's local state: its services and checks, their runners, and anti-entropy.

The agent keeps a local state of the services and checks registered with it
(``agent/local/state.go``), runs their checks (``agent/checks``) and keeps
the catalog of its datacenter in step with it (anti-entropy). Registration
rules come from ``agent/agent.go`` (``addServiceInternal``, ``addCheck``).

Like ``consul agent -dev``, the agent persists nothing (it has no data
directory): a reload drops what was registered through the API, as Consul's
``reloadConfigInternal`` does when there is nothing on disk.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Required, TypedDict

from .checks import (
    CRITICAL,
    DEFAULT_BUF_SIZE,
    MIN_INTERVAL,
    PASSING,
    WARNING,
    CheckType,
    Probe,
    Runner,
    StatusHandler,
    TTLCheck,
)
from .config import CONSUL_VERSION, AgentConfig, join_host_port
from .datacenter import Datacenter
from .errors import RPCError
from .golang import format_duration
from .golang import quote as go_quote
from .log import Logger
from .records import JSON, same
from .structs import ServiceAddress, Weights
from .tokens import AgentTokens
from .wakeups import Wakeups

__all__ = [
    "MAINTENANCE",
    "NODE_MAINT",
    "SIDECAR_SUFFIX",
    "SERVICE_MAINT_PREFIX",
    "CheckState",
    "LocalCheck",
    "LocalService",
    "LocalAgent",
    "ServiceState",
    "health_check",
    "ip_family",
]

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


# -- Go's net.ParseIP ------------------------------------------------------------


def ip_family(address: str) -> int:
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


class LocalService(TypedDict, total=False):
    """A service registered with this agent: ``structs.NodeService`` as its definition gave it.

    The fields a definition may leave out are absent then.
    """

    Kind: str
    ID: Required[str]
    Service: Required[str]
    Tags: list[str] | None
    Address: str
    TaggedAddresses: dict[str, ServiceAddress]
    Meta: dict[str, str] | None
    Port: int
    SocketPath: str
    Weights: Weights | None
    EnableTagOverride: bool
    Locality: dict[str, Any]
    Proxy: dict[str, Any]
    Connect: dict[str, Any]


class LocalCheck(TypedDict):
    """A check registered with this agent: ``structs.HealthCheck`` (its definition
    lives in its runner, so ``Definition`` stays empty)."""

    Node: str
    CheckID: str
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
    Definition: dict[str, Any]


@dataclass
class ServiceState:
    """``local.ServiceState``: a service of the agent and its sync status."""

    service: LocalService
    token: str = ""
    in_sync: bool = False
    deleted: bool = False
    #: Registered as another service's ``Connect.SidecarService``
    #: (``LocallyRegisteredAsSidecar``): it goes when that service goes.
    sidecar: bool = False


@dataclass
class CheckState:
    """``local.CheckState``: a check of the agent and its sync status."""

    check: LocalCheck
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

    def __init__(
        self,
        config: AgentConfig,
        home: Datacenter,
        rng: random.Random,
        logger: Logger,
        tokens: AgentTokens,
        probe: Probe | None = None,
    ) -> None:
        self.config = config
        #: The agent's own datacenter, whose catalog it keeps in step.
        self.home = home
        self.random = rng
        #: The ``agent`` logger (``agent/local/state.go`` logs its syncs there).
        self.logger = logger
        #: The agent's ACL tokens (a sync without a token of its own uses the default one).
        self.tokens = tokens
        #: Makes the runners of checks that probe something (None: not run).
        self.probe = probe
        self.services: dict[str, ServiceState] = {}
        self.checks: dict[str, CheckState] = {}
        #: Node metadata the agent syncs (``State.Metadata``).
        self.metadata: dict[str, str] = {}
        #: Runners by kind and check ID, as the agent's ``checkTTLs``,
        #: ``checkHTTPs``... maps.
        self.runners: dict[tuple[str, str], Runner] = {}
        #: Check ID -> seconds after which its critical service is reaped.
        self.reap_after: dict[str, float] = {}
        #: Alias check ID -> the ID of the local service it mirrors.
        self.aliases: dict[str, str] = {}
        self._aliasing = False
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
        return self.config.node_name

    # -- reads -----------------------------------------------------------------------

    def service(self, service_id: str) -> LocalService | None:
        """``State.Service``: the local service, None if absent or being deleted."""
        state = self.services.get(service_id)
        return None if state is None or state.deleted else state.service

    def check(self, check_id: str) -> LocalCheck | None:
        """``State.Check``: the local check, None if absent or being deleted."""
        state = self.checks.get(check_id)
        return None if state is None or state.deleted else state.check

    def live_services(self) -> dict[str, LocalService]:
        return {sid: s.service for sid, s in self.services.items() if not s.deleted}

    def live_checks(self) -> dict[str, LocalCheck]:
        return {cid: c.check for cid, c in self.checks.items() if not c.deleted}

    def checks_for_service(self, service_id: str, node_checks: bool) -> dict[str, LocalCheck]:
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
        service: LocalService,
        check_types: list[CheckType],
        token: str,
        *,
        replace_existing_checks: bool = False,
        sidecar: bool = False,
    ) -> None:
        """``Agent.AddService``: add or replace a service and its checks.

        ``sidecar`` marks the sidecar of another service
        (``LocallyRegisteredAsSidecar``): without a port it gets the first
        free one of the sidecar range, without checks Consul's two default
        ones (``addServiceLocked``, ``agent/sidecar_service.go``). Raises
        :class:`RPCError` (a 500) with Consul's text when the agent refuses
        the registration.
        """
        if sidecar:
            if service.get("Port", 0) < 1:
                service["Port"] = self._sidecar_port(service["ID"])
            if not check_types:
                check_types = _sidecar_checks(service)
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
            if key in tagged and ip_family(tagged[key].get("Address", "")) != family:
                kind = "ipv4" if family == 4 else "ipv6"
                raise RPCError(
                    f"Service tagged address {go_quote(key)} must be a valid {kind} address"
                )
        self._add_service_internal(service, check_types, token, replace_existing_checks)
        self.services[service["ID"]].sidecar = sidecar

    def _sidecar_port(self, service_id: str) -> int:
        """``sidecarPortFromServiceIDLocked``: the sidecar's port from the sidecar range.

        The port it already has if it is being registered again, else the
        lowest one no other local service uses.
        """
        low, high = self.config.sidecar_min_port, self.config.sidecar_max_port
        if low < 1 or high < 1:
            raise RPCError(
                "no port provided for sidecar_service and auto-assignment disabled in config"
            )
        used = set()
        for other in self.live_services().values():
            port = other.get("Port", 0)
            if low <= port <= high:
                if other["ID"] == service_id:
                    return port
                used.add(port)
        for port in range(low, high + 1):
            if port not in used:
                return port
        raise RPCError(
            "no port provided for sidecar_service and none left in the configured range "
            f"[{low}, {high}]"
        )

    def _add_service_internal(
        self,
        service: LocalService,
        check_types: list[CheckType],
        token: str,
        replace_existing_checks: bool,
    ) -> None:
        """``addServiceInternal``: default tagged addresses, build and start the checks."""
        address = service.get("Address", "")
        family = ip_family(address)
        tagged = dict(service.get("TaggedAddresses") or {})
        lan, wan = ("lan_ipv4", "wan_ipv4") if family == 4 else ("lan_ipv6", "wan_ipv6")
        if family:
            for key in (lan, wan):
                tagged.setdefault(key, {"Address": address, "Port": service.get("Port", 0)})
        service["TaggedAddresses"] = tagged
        service_id = service["ID"]
        existing = dict.fromkeys(self.checks_for_service(service_id, node_checks=False), False)
        snapshot = self.live_checks()
        checks: list[LocalCheck] = []
        for i, check_type in enumerate(check_types):
            check_id = check_type.check_id
            if not check_id:
                check_id = f"service:{service_id}"
                if len(check_types) > 1:
                    check_id += f":{i + 1}"
            existing[check_id] = True
            check = health_check(
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

    def _set_service(self, service: LocalService, token: str) -> None:
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
        # removeServiceSidecars: the sidecar registered with it goes too.
        proxy = self.services.get(service_id + SIDECAR_SUFFIX)
        if proxy is not None and proxy.sidecar and not proxy.deleted:
            self.remove_service(proxy.service["ID"])
        self._changed()

    # -- checks ----------------------------------------------------------------------

    def add_check(
        self,
        check: LocalCheck,
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

    def _set_check(self, check: LocalCheck, token: str) -> None:
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
        self, check: LocalCheck, check_type: CheckType | None, *, source_local: bool
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
        config = self.config
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
        found: tuple[str, Runner] | None = None
        if check_type.is_ttl():
            found = ("ttl", TTLCheck(self.update_check, check_id, check_type.ttl, max_output))
        elif check_type.alias_service and not check_type.alias_node:
            self.aliases[check_id] = check_type.alias_service
        elif self.probe is not None:
            # Checks never run more often than once a second (checks.MinInterval).
            check_type.interval = max(check_type.interval, MIN_INTERVAL)
            found = self.probe(check_id, check_type, max_output, status)
        if found is not None:
            kind, runner = found
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
        self.aliases.pop(check_id, None)
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
        interval = self.config.check_update_interval
        if interval > 0 and check["Status"] == status:
            check["Output"] = output
            if state.deferred is None:
                delay = interval / 2 + self.random.uniform(0, interval)
                state.deferred = asyncio.get_running_loop().call_later(
                    delay, self._deferred_sync, check_id
                )
            self._changed(sync=False)
            return
        if check["Status"] != status:
            # agent/checks StatusHandler.updateCheck
            if status == CRITICAL:
                self.logger.warn("Check is now critical", "check", check_id)
            else:
                self.logger.debug("Check status updated", "check", check_id, "status", status)
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
            raise RPCError(f"No service registered with ID {go_quote(service_id)}")
        check_id = SERVICE_MAINT_PREFIX + service_id
        if self.check(check_id) is not None:
            return
        check = health_check(
            self.node,
            check_id,
            "Service Maintenance Mode",
            status=CRITICAL,
            notes=reason or _DEFAULT_SERVICE_MAINT_REASON,
            service=service,
            kind=MAINTENANCE,
        )
        self.add_check(check, None, token, source_local=True)
        self.logger.info("Service entered maintenance mode", "service", service_id)

    def disable_service_maintenance(self, service_id: str) -> None:
        """``Agent.DisableServiceMaintenance``."""
        if self.service(service_id) is None:
            raise RPCError(f"No service registered with ID {go_quote(service_id)}")
        check_id = SERVICE_MAINT_PREFIX + service_id
        if self.check(check_id) is not None:
            self.remove_check(check_id)
            self.logger.info("Service left maintenance mode", "service", service_id)

    def enable_node_maintenance(self, reason: str, token: str) -> None:
        """``Agent.EnableNodeMaintenance``."""
        if self.check(NODE_MAINT) is not None:
            return
        check = health_check(
            self.node,
            NODE_MAINT,
            "Node Maintenance Mode",
            status=CRITICAL,
            notes=reason or _DEFAULT_NODE_MAINT_REASON,
            kind=MAINTENANCE,
        )
        self.add_check(check, None, token, source_local=True)
        self.logger.info("Node entered maintenance mode")

    def disable_node_maintenance(self) -> None:
        """``Agent.DisableNodeMaintenance``."""
        if self.check(NODE_MAINT) is not None:
            self.remove_check(NODE_MAINT)
            self.logger.info("Node left maintenance mode")

    def reload(self) -> None:
        """``reloadConfigInternal`` with nothing on disk: unload every service and check."""
        self.logger.info("Reloading configuration...")
        for service_id in list(self.live_services()):
            self.remove_service(service_id)
        for check_id in list(self.live_checks()):
            self.remove_check(check_id)

    # -- reaping critical services (``reapServicesInternal``) ------------------------

    def _schedule_reaper(self) -> None:
        if self._reaper is None and not self.closed:
            self._reaper = asyncio.get_running_loop().call_later(
                self.config.check_reap_interval, self._reap
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
        """A local change: update alias checks, wake local blocking queries, sync."""
        self._update_aliases()
        self.wakeups.notify()
        if sync:
            self.sync_changes()

    def _update_aliases(self) -> None:
        """``CheckAlias.processChecks`` of every alias of a local service.

        Each mirrors the worst status among the node's checks and the
        aliased service's (``agent/checks/alias.go``); a service without
        checks that is not registered makes it critical. Aliases of another
        node's services (``AliasNode``) keep the status they were given.
        """
        if self._aliasing:
            return  # an alias's own update is a change too
        self._aliasing = True
        try:
            for check_id, service_id in list(self.aliases.items()):
                status, output = self._aliased(service_id)
                self.update_check(check_id, status, output)
        finally:
            self._aliasing = False

    def _aliased(self, service_id: str) -> tuple[str, str]:
        status, output, found = PASSING, "No checks found.", False
        for _, check in sorted(self.live_checks().items()):
            if check["ServiceID"] and check["ServiceID"] != service_id:
                continue
            found = found or check["ServiceID"] == service_id
            if check["Status"] in (CRITICAL, WARNING):
                status = check["Status"]
                output = f"Aliased check {go_quote(check['Name'])} failing: {check['Output']}"
                if status == CRITICAL:
                    break
            elif status == PASSING:
                output = "All checks passing."
        if not found and self.service(service_id) is None:
            return CRITICAL, f"Service {service_id} could not be found on node "
        return status, output

    def _schedule_full_sync(self) -> None:
        """The next periodic full sync: after ``ae_interval`` plus up to as much again."""
        interval = self.config.ae_interval
        delay = interval + self.random.uniform(0, interval)  # stagger
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
        catalog = self.home.catalog
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
                    placeholder: LocalService = {"ID": service_id, "Service": remote["Service"]}
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
                    unknown = health_check(self.node, check_id, "", status=CRITICAL)
                    unknown["ServiceID"] = remote["ServiceID"]
                    self.checks[check_id] = CheckState(unknown, deleted=True)
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
            catalog = self.home.catalog
            if self._apply(lambda idx: catalog.register(idx, request)):
                self.node_in_sync = True
                self.logger.info("Synced node info")
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
        return token or self.tokens.user

    def _register_request(self) -> JSON:
        """A ``RegisterRequest`` for the agent's node (node info already in sync)."""
        catalog = self.home.catalog
        return {
            "Datacenter": self.config.datacenter,
            "ID": self.config.node_id,
            "Node": self.node,
            "Address": self.config.advertise_addr,
            "TaggedAddresses": self.config.tagged_addresses(),
            "NodeMeta": dict(self.metadata),
            "SkipNodeUpdate": self.node_in_sync and catalog.node(self.node) is not None,
        }

    def _apply(self, write: Callable[[int], bool]) -> bool:
        """Apply one catalog write as one Raft apply; False if the catalog refused it."""
        dc = self.home
        idx = dc.apply()
        try:
            changed = write(idx)
        except RPCError:
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
        catalog = self.home.catalog
        if self._apply(lambda idx: catalog.register(idx, request)):
            state.in_sync = True
            self.logger.info("Synced service", "service", service_id)
            for check_state in checks:
                check_state.in_sync = True
        else:
            self.logger.warn("Service registration blocked by ACLs", "service", service_id)

    def _sync_check(self, check_id: str) -> None:
        state = self.checks[check_id]
        request = self._register_request()
        request["Check"] = _check_request(state.check)
        service = self.service(state.check["ServiceID"]) if state.check["ServiceID"] else None
        if service is not None:
            request["Service"] = _node_service_request(service)
        catalog = self.home.catalog
        if self._apply(lambda idx: catalog.register(idx, request)):
            state.in_sync = True
            self.logger.info("Synced check", "check", check_id)
        else:
            self.logger.warn("Check registration blocked by ACLs", "check", check_id)

    def _delete_service(self, service_id: str) -> None:
        catalog = self.home.catalog
        if self._apply(lambda idx: catalog.deregister(idx, self.node, service_id=service_id)):
            del self.services[service_id]
            self.logger.info("Deregistered service", "service", service_id)
            # Deregistering a service deletes its checks too.
            for check_id, check_state in list(self.checks.items()):
                if check_state.deleted and check_state.check["ServiceID"] == service_id:
                    del self.checks[check_id]

    def _delete_check(self, check_id: str) -> None:
        catalog = self.home.catalog
        if self._apply(lambda idx: catalog.deregister(idx, self.node, check_id=check_id)):
            del self.checks[check_id]
            self.logger.info("Deregistered check", "check", check_id)


# -- sidecars -------------------------------------------------------------------------

#: ``structs.SidecarProxySuffix``.
SIDECAR_SUFFIX = "-sidecar-proxy"


def _sidecar_checks(sidecar: LocalService) -> list[CheckType]:
    """``sidecarDefaultChecks``: a TCP check of the proxy, an alias of its service.

    The TCP check dials the sidecar's address, or its local service
    address without one.
    """
    address = sidecar.get("Address") or (sidecar.get("Proxy") or {}).get("LocalServiceAddress", "")
    parent = sidecar["ID"].removesuffix(SIDECAR_SUFFIX)
    return [
        CheckType(
            name="Connect Sidecar Listening",
            tcp=join_host_port(address, sidecar["Port"]),
            interval=10_000_000_000,
        ),
        CheckType(name=f"Connect Sidecar Aliasing {parent}", alias_service=parent),
    ]


# -- JSON shapes ------------------------------------------------------------------------


def health_check(
    node: str,
    check_id: str,
    name: str,
    *,
    status: str,
    notes: str = "",
    service: LocalService | None = None,
    kind: str = "",
    interval: str = "",
    timeout: str = "",
) -> LocalCheck:
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


def _same_check(a: LocalCheck, b: LocalCheck) -> bool:
    """``HealthCheck.IsSame`` (``Type``, ``Interval`` and ``Timeout`` are not compared)."""
    keys = ("Node", "CheckID", "Name", "Status", "Notes", "Output", "ServiceID", "ServiceName")
    return same(a, b, (*keys, "ServiceTags", "Definition"))


def _same_remote_service(local: LocalService, remote: Mapping[str, Any]) -> bool:
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


def _same_remote_check(local: LocalCheck, remote: Mapping[str, Any], ignore_output: bool) -> bool:
    """``HealthCheck.IsSame`` of the agent's check and the catalog's copy."""
    keys = ["CheckID", "Name", "Status", "Notes", "ServiceID", "ServiceName"]
    if not ignore_output:
        keys.append("Output")
    fields: Mapping[str, object] = local
    alike = all(fields[k] == remote.get(k) for k in keys)
    return alike and list(local["ServiceTags"] or []) == list(remote.get("ServiceTags") or [])


def _check_request(check: LocalCheck) -> JSON:
    """A check as the agent sends it in a ``RegisterRequest``."""
    out: JSON = dict(check)
    out["ServiceTags"] = list(check["ServiceTags"] or [])
    return out


def _node_service_request(service: LocalService) -> JSON:
    """A ``structs.NodeService`` as the agent sends it in a ``RegisterRequest``."""
    out: JSON = {}
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
