"""Health checks: check definitions, status thresholds, and the runners' interface.

A :class:`CheckType` is Consul's ``structs.CheckType`` (``agent/structs/
check_type.go``): what a registration asked for, with its validation and its
type. A :class:`Runner` keeps one check's status up to date the way
``agent/checks/check.go`` does; :class:`TTLCheck` is the one that needs
nothing but time: critical with ``TTL expired`` unless its status is set
again within the TTL. The runners that probe the outside world (HTTP, TCP,
scripts) are the agent's (:mod:`consul.testing.probes`), handed to the local
state as a :data:`Probe` factory; they report through a
:class:`StatusHandler`, which applies ``SuccessBeforePassing``,
``FailuresBeforeWarning`` and ``FailuresBeforeCritical``.

Runners live on the agent's event loop and report with a ``notify(check_id,
status, output)`` callback (Consul's ``CheckNotifier.UpdateCheck``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .golang import parse_duration_ns

__all__ = [
    "CRITICAL",
    "DEFAULT_BUF_SIZE",
    "MIN_INTERVAL",
    "PASSING",
    "WARNING",
    "CheckType",
    "Notify",
    "Probe",
    "Runner",
    "StatusHandler",
    "TTLCheck",
    "parse_check_duration",
]

PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"

#: ``checks.MinInterval``: checks never run more often than this (ns).
MIN_INTERVAL = 1_000_000_000
#: ``checks.DefaultBufSize``: the default limit of a check's output (bytes).
DEFAULT_BUF_SIZE = 4 * 1024

Notify = Callable[[str, str, str], None]


# -- Go durations ----------------------------------------------------------------


def parse_check_duration(value: Any) -> int | None:
    """A duration field of a check definition, as ``CheckType.UnmarshalJSON`` reads it.

    A string is a Go duration (ValueError with Go's message if bad), a number
    is nanoseconds; any other JSON value is ignored (None), as the Go code's
    type switch has no default case.
    """
    if isinstance(value, str):
        return parse_duration_ns(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return None


# -- check definitions -------------------------------------------------------------


@dataclass
class CheckType:
    """``structs.CheckType``: the definition of a check (durations in ns)."""

    check_id: str = ""
    name: str = ""
    status: str = ""
    notes: str = ""
    script_args: list[str] = field(default_factory=list)
    http: str = ""
    h2ping: str = ""
    h2ping_use_tls: bool = False
    header: dict[str, list[str]] = field(default_factory=dict)
    method: str = ""
    body: str = ""
    disable_redirects: bool = False
    tcp: str = ""
    udp: str = ""
    interval: int = 0
    alias_node: str = ""
    alias_service: str = ""
    docker_container_id: str = ""
    shell: str = ""
    grpc: str = ""
    grpc_use_tls: bool = False
    os_service: str = ""
    tls_server_name: str = ""
    tls_skip_verify: bool = False
    timeout: int = 0
    ttl: int = 0
    success_before_passing: int = 0
    failures_before_warning: int = 0
    failures_before_critical: int = 0
    deregister_critical_service_after: int = 0
    output_max_size: int = 0

    #: Go field name -> attribute, for building from a decoded body.
    FIELDS: ClassVar[dict[str, str]] = {
        "CheckID": "check_id",
        "Name": "name",
        "Status": "status",
        "Notes": "notes",
        "ScriptArgs": "script_args",
        "HTTP": "http",
        "H2PING": "h2ping",
        "H2PingUseTLS": "h2ping_use_tls",
        "Header": "header",
        "Method": "method",
        "Body": "body",
        "DisableRedirects": "disable_redirects",
        "TCP": "tcp",
        "UDP": "udp",
        "AliasNode": "alias_node",
        "AliasService": "alias_service",
        "DockerContainerID": "docker_container_id",
        "Shell": "shell",
        "GRPC": "grpc",
        "GRPCUseTLS": "grpc_use_tls",
        "OSService": "os_service",
        "TLSServerName": "tls_server_name",
        "TLSSkipVerify": "tls_skip_verify",
        "SuccessBeforePassing": "success_before_passing",
        "FailuresBeforeWarning": "failures_before_warning",
        "FailuresBeforeCritical": "failures_before_critical",
        "OutputMaxSize": "output_max_size",
    }
    DURATIONS: ClassVar[dict[str, str]] = {
        "Interval": "interval",
        "Timeout": "timeout",
        "TTL": "ttl",
        "DeregisterCriticalServiceAfter": "deregister_critical_service_after",
    }

    @classmethod
    def from_decoded(cls, data: Mapping[str, Any]) -> CheckType:
        """A check type from a decoded definition (``ValueError``: a bad duration).

        ``data`` maps Go field names to decoded values; the duration fields
        hold the raw JSON values (see :func:`parse_check_duration`).
        ``H2PingUseTLS`` defaults to true when ``H2PING`` is set, as in
        ``CheckType.UnmarshalJSON``.
        """
        check = cls()
        for key, attr in cls.FIELDS.items():
            if data.get(key) is not None:
                setattr(check, attr, data[key])
        if check.h2ping and "H2PingUseTLS" not in data:
            check.h2ping_use_tls = True
        for key, attr in cls.DURATIONS.items():
            if key in data:
                parsed = parse_check_duration(data[key])
                if parsed is not None:
                    setattr(check, attr, parsed)
        return check

    def is_alias(self) -> bool:
        return bool(self.alias_node or self.alias_service)

    def is_script(self) -> bool:
        return bool(self.script_args)

    def is_ttl(self) -> bool:
        return self.ttl > 0

    def is_monitor(self) -> bool:
        return self.is_script() and not self.docker_container_id and self.interval > 0

    def is_http(self) -> bool:
        return bool(self.http) and self.interval > 0

    def is_tcp(self) -> bool:
        return bool(self.tcp) and self.interval > 0

    def is_udp(self) -> bool:
        return bool(self.udp) and self.interval > 0

    def is_docker(self) -> bool:
        return self.is_script() and bool(self.docker_container_id) and self.interval > 0

    def is_grpc(self) -> bool:
        return bool(self.grpc) and self.interval > 0

    def is_h2ping(self) -> bool:
        return bool(self.h2ping) and self.interval > 0

    def is_os_service(self) -> bool:
        return bool(self.os_service) and self.interval > 0

    def type(self) -> str:
        """``CheckType.Type()``: ``http``, ``ttl``, ``tcp``... or ``""``."""
        for kind, test in (
            ("grpc", self.is_grpc),
            ("http", self.is_http),
            ("ttl", self.is_ttl),
            ("tcp", self.is_tcp),
            ("udp", self.is_udp),
            ("alias", self.is_alias),
            ("docker", self.is_docker),
            ("script", self.is_script),
            ("h2ping", self.is_h2ping),
            ("os_service", self.is_os_service),
        ):
            if test():
                return kind
        return ""

    def empty(self) -> bool:
        """True if nothing was set (an absent ``Check`` of a service definition)."""
        return self == CheckType()

    def validate(self) -> str | None:
        """``CheckType.Validate()``: the error text, or None if valid."""
        interval_check = (
            self.is_script()
            or bool(self.http or self.tcp or self.udp or self.grpc)
            or bool(self.h2ping or self.os_service)
        )
        if self.interval > 0 and self.ttl > 0:
            return "Interval and TTL cannot both be specified"
        if interval_check and self.interval <= 0:
            return "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks"
        if interval_check and self.is_alias():
            return "Interval cannot be set for Alias checks"
        if self.is_alias() and self.ttl > 0:
            return "TTL must be not be set for Alias checks"
        if not interval_check and not self.is_alias() and self.ttl <= 0:
            return "TTL must be > 0 for TTL checks"
        if self.output_max_size < 0:
            return "MaxOutputMaxSize must be positive"
        if self.failures_before_warning > self.failures_before_critical:
            return "FailuresBeforeWarning can't be higher than FailuresBeforeCritical"
        return None


# -- status handling ---------------------------------------------------------------


class StatusHandler:
    """``checks.StatusHandler``: thresholds of consecutive successes and failures.

    The counters start at their thresholds, so the first result is reported
    at once; afterwards a status needs its number of consecutive results.
    """

    def __init__(
        self,
        notify: Notify,
        success_before_passing: int,
        failures_before_warning: int,
        failures_before_critical: int,
    ) -> None:
        self.notify = notify
        self.success_before_passing = success_before_passing
        self.success_counter = success_before_passing
        self.failures_before_warning = failures_before_warning
        self.failures_before_critical = failures_before_critical
        self.failures_counter = failures_before_critical

    def update(self, check_id: str, status: str, output: str) -> None:
        """Report a result, subject to the thresholds."""
        if status in (PASSING, WARNING):
            self.success_counter += 1
            self.failures_counter = 0
            if self.success_counter >= self.success_before_passing:
                self.notify(check_id, status, output)
            return
        self.failures_counter += 1
        self.success_counter = 0
        if self.failures_counter >= self.failures_before_critical:
            self.notify(check_id, status, output)
        elif self.failures_counter >= self.failures_before_warning:
            self.notify(check_id, WARNING, output)


# -- runners ------------------------------------------------------------------------


class Runner:
    """A check's runner: started when the check is added, stopped when removed."""

    def start(self) -> None:
        """Start keeping the check's status up to date."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop for good (idempotent)."""
        raise NotImplementedError

    async def wait_stopped(self) -> None:
        """Wait until a stopped runner has released what it held."""

    def finished(self) -> bool:
        """True once a stopped runner holds nothing any more."""
        return True


class TTLCheck(Runner):
    """``checks.CheckTTL``: critical once ``ttl`` passes without a status update."""

    def __init__(self, notify: Notify, check_id: str, ttl: int, output_max_size: int) -> None:
        self.notify = notify
        self.check_id = check_id
        self.ttl = ttl
        self.output_max_size = output_max_size if output_max_size >= 1 else DEFAULT_BUF_SIZE
        self.last_output = ""
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        self.stop()
        self._timer = asyncio.get_running_loop().call_later(self.ttl / 1e9, self._expire)

    def _expire(self) -> None:
        self._timer = None
        output = "TTL expired"
        if self.last_output:
            output += f" (last output before timeout follows): {self.last_output}"
        self.notify(self.check_id, CRITICAL, output)

    def set_status(self, status: str, output: str) -> str:
        """Set the status and restart the TTL; returns the (possibly truncated) output."""
        raw = output.encode("utf-8")
        if len(raw) > self.output_max_size:
            head = raw[: self.output_max_size].decode("utf-8", "replace")
            output = f"{head} ... (captured {self.output_max_size} of {len(raw)} bytes)"
        self.notify(self.check_id, status, output)
        self.last_output = output
        self._arm()
        return output


#: What the local state asks for a check that probes something: given the
#: check's ID, its definition (its interval already raised to
#: :data:`MIN_INTERVAL`), the output limit and its status handler, the kind
#: of runner (``http``, ``tcp``, ``script``: the agent's ``checkHTTPs``,
#: ``checkTCPs``, ``checkMonitors``) and the runner, or None for a kind of
#: check that is accepted but not run.
Probe = Callable[[str, CheckType, int, StatusHandler], "tuple[str, Runner] | None"]
