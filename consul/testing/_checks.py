"""Health checks of the embedded agent: check definitions and their runners.

A :class:`CheckType` is Consul's ``structs.CheckType`` (``agent/structs/
check_type.go``): what a registration asked for, with its validation and its
type. A runner keeps one check's status up to date the way
``agent/checks/check.go`` does:

- :class:`TTLCheck`: critical with ``TTL expired`` unless its status is set
  again within the TTL;
- :class:`HTTPCheck`, :class:`TCPCheck` and :class:`ScriptCheck` (Consul's
  ``CheckMonitor``): run on their interval, after a random first pause, and
  report through a :class:`StatusHandler`, which applies
  ``SuccessBeforePassing``, ``FailuresBeforeWarning`` and
  ``FailuresBeforeCritical``.

Runners live on the agent's event loop and report with a ``notify(check_id,
status, output)`` callback (Consul's ``CheckNotifier.UpdateCheck``). Output
texts are Consul's, including the Go error texts a user sees in ``Output``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._state import RANDOM
from ._structs import format_duration, parse_duration_ns

__all__ = [
    "DEFAULT_BUF_SIZE",
    "MIN_INTERVAL",
    "CheckType",
    "HTTPCheck",
    "Runner",
    "ScriptCheck",
    "StatusHandler",
    "TCPCheck",
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
#: The User-Agent of HTTP checks (``checks.UserAgent``).
USER_AGENT = "Consul Health Check"

#: Seconds a check waits by default: HTTP and TCP 10s, scripts 30s.
_HTTP_TIMEOUT = 10_000_000_000
_SCRIPT_TIMEOUT = 30_000_000_000

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


class _OutputBuffer:
    """``circbuf.Buffer``: keeps the last ``size`` bytes and counts them all."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data = bytearray()
        self.total = 0

    def write(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > self.size:
            del self.data[: len(self.data) - self.size]

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


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


class _IntervalCheck(Runner):
    """A check run every ``interval`` after a random first pause (``lib.RandomStagger``)."""

    def __init__(self, check_id: str, interval: int, status: StatusHandler) -> None:
        self.check_id = check_id
        self.interval = interval
        self.status = status
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def wait_stopped(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def finished(self) -> bool:
        return self._task is None or self._task.done()

    async def _run(self) -> None:
        await asyncio.sleep(RANDOM.uniform(0, self.interval / 1e9))
        while True:
            await self.check()
            await asyncio.sleep(self.interval / 1e9)

    async def check(self) -> None:
        """Run the check once and report its result."""
        raise NotImplementedError

    def report(self, status: str, output: str) -> None:
        self.status.update(self.check_id, status, output)


def _dial_target(host: str, port: int | str) -> str:
    """``host:port`` as Go's ``net.JoinHostPort`` writes it."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _split_host_port(address: str) -> tuple[str, str] | None:
    """``net.SplitHostPort``; None if ``address`` has no port."""
    if address.startswith("["):
        end = address.find("]")
        if end < 0 or address[end + 1 : end + 2] != ":":
            return None
        return address[1:end], address[end + 2 :]
    host, sep, port = address.rpartition(":")
    if not sep or ":" in host:
        return None
    return host, port


def _errno_text(exc: OSError) -> str:
    """Go's text for a socket error number (``connection refused``...)."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc)


async def _dial(host: str, port: int, limit: float) -> tuple[asyncio.StreamWriter | None, str]:
    """Open a TCP connection as Go's dialer does; (writer, "") or (None, Go's error)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror:
            return None, f"dial tcp: lookup {host}: no such host"
        addresses = [str(info[4][0]) for info in infos]
    else:
        addresses = [str(ip)]
    error = ""
    for address in addresses:
        target = _dial_target(address, port)
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), limit)
        except TimeoutError:
            error = f"dial tcp {target}: i/o timeout"
        except OSError as exc:
            error = f"dial tcp {target}: connect: {_errno_text(exc)}"
        else:
            return writer, ""
    return None, error


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


class TCPCheck(_IntervalCheck):
    """``checks.CheckTCP``: passing if a TCP connection to ``address`` opens."""

    def __init__(
        self, check_id: str, address: str, interval: int, timeout: int, status: StatusHandler
    ) -> None:
        super().__init__(check_id, interval, status)
        self.address = address
        self.timeout = (timeout if timeout > 0 else _HTTP_TIMEOUT) / 1e9

    async def check(self) -> None:
        parts = _split_host_port(self.address)
        if parts is None:
            self.report(CRITICAL, f"dial tcp: address {self.address}: missing port in address")
            return
        host, port = parts
        if not port.isdigit():
            self.report(CRITICAL, f"dial tcp: lookup tcp/{port}: unknown port")
            return
        writer, error = await _dial(host or "127.0.0.1", int(port), self.timeout)
        if writer is None:
            self.report(CRITICAL, error)
            return
        await _close(writer)
        self.report(PASSING, f"TCP connect {self.address}: Success")


class HTTPCheck(_IntervalCheck):
    """``checks.CheckHTTP``: 2xx passing, 429 warning, anything else critical.

    Output is ``HTTP GET <url>: 200 OK Output: <body>`` with the last
    ``output_max_size`` bytes of the body, or the Go client's error text.
    """

    def __init__(
        self,
        check_id: str,
        definition: CheckType,
        output_max_size: int,
        status: StatusHandler,
    ) -> None:
        super().__init__(check_id, definition.interval, status)
        self._session: Any = None
        self.url = definition.http
        self.method = definition.method or "GET"
        self.header = definition.header
        self.body = definition.body
        self.disable_redirects = definition.disable_redirects
        self.tls_skip_verify = definition.tls_skip_verify
        self.tls_server_name = definition.tls_server_name
        timeout = definition.timeout if definition.timeout > 0 else _HTTP_TIMEOUT
        self.timeout = timeout / 1e9
        self.output_max_size = output_max_size if output_max_size >= 1 else DEFAULT_BUF_SIZE

    async def _run(self) -> None:
        import aiohttp

        # Keep-alives are off (a new connection per check), as in Consul.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(
            connector=connector, auto_decompress=True, skip_auto_headers=("User-Agent",)
        ) as session:
            self._session = session
            await super()._run()

    async def check(self) -> None:
        import aiohttp

        headers: list[tuple[str, str]] = []
        for name, values in self.header.items():
            headers.extend((name, value) for value in values or ())
        names = {name.lower() for name, _ in headers}
        if "user-agent" not in names:
            headers.append(("User-Agent", USER_AGENT))
        if "accept" not in names:
            headers.append(("Accept", "text/plain, text/*, */*"))
        ssl_context: ssl.SSLContext | bool = True
        if self.tls_skip_verify:
            ssl_context = False
        op = self.method[:1].upper() + self.method[1:].lower()
        quoted = '"' + self.url.replace("\\", "\\\\").replace('"', '\\"') + '"'
        output = _OutputBuffer(self.output_max_size)
        try:
            async with self._session.request(
                self.method,
                self.url,
                headers=headers,
                data=self.body.encode() if self.body else None,
                allow_redirects=not self.disable_redirects,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                ssl=ssl_context,
                server_hostname=self.tls_server_name or None,
            ) as response:
                async for chunk in response.content.iter_any():
                    output.write(chunk)
                code, reason = response.status, response.reason or ""
        except TimeoutError:
            self.report(
                CRITICAL,
                f"{op} {quoted}: context deadline exceeded "
                "(Client.Timeout exceeded while awaiting headers)",
            )
            return
        except aiohttp.InvalidURL:
            scheme = self.url.partition(":")[0] if ":" in self.url else ""
            self.report(CRITICAL, f'{op} {quoted}: unsupported protocol scheme "{scheme}"')
            return
        except aiohttp.ClientConnectorError as exc:
            target = _dial_target(exc.host, exc.port or 0)
            os_error = exc.os_error
            if isinstance(os_error, socket.gaierror):
                text = f"dial tcp: lookup {exc.host}: no such host"
            else:
                text = f"dial tcp {target}: connect: {_errno_text(os_error)}"
            self.report(CRITICAL, f"{op} {quoted}: {text}")
            return
        except (aiohttp.ClientError, OSError) as exc:
            self.report(CRITICAL, f"{op} {quoted}: {exc}")
            return
        result = f"HTTP {self.method} {self.url}: {code} {reason} Output: {output.text()}"
        if 200 <= code <= 299:
            self.report(PASSING, result)
        elif code == 429:
            self.report(WARNING, result)
        else:
            self.report(CRITICAL, result)


class ScriptCheck(_IntervalCheck):
    """``checks.CheckMonitor``: runs ``args``; exit 0 passing, 1 warning, else critical.

    The command is exec'd without a shell, in a process group of its own
    (killed whole on timeout, as ``exec.KillCommandSubtree`` does); stdout
    and stderr share one buffer of ``output_max_size`` bytes.
    """

    def __init__(
        self,
        check_id: str,
        args: list[str],
        interval: int,
        timeout: int,
        output_max_size: int,
        status: StatusHandler,
    ) -> None:
        super().__init__(check_id, interval, status)
        self.args = list(args)
        self.timeout = timeout if timeout > 0 else _SCRIPT_TIMEOUT
        self.output_max_size = output_max_size if output_max_size >= 1 else DEFAULT_BUF_SIZE

    def _output(self, buffer: _OutputBuffer) -> str:
        text = buffer.text()
        if buffer.total > len(buffer.data):
            text = f"Captured {len(buffer.data)} of {buffer.total} bytes\n...\n{text}"
        return text

    async def check(self) -> None:
        buffer = _OutputBuffer(self.output_max_size)
        try:
            process = await asyncio.create_subprocess_exec(
                *self.args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            self.report(CRITICAL, _exec_error(self.args[0], exc))
            return
        assert process.stdout is not None
        reader = asyncio.ensure_future(_drain(process.stdout, buffer))
        try:
            try:
                await asyncio.wait_for(asyncio.shield(process.wait()), self.timeout / 1e9)
            except TimeoutError:
                _kill_group(process.pid)
                message = f"Timed out ({format_duration(self.timeout)}) running check"
                output = self._output(buffer)
                if output:
                    message += "\n\n" + output
                self.report(CRITICAL, message)
                await process.wait()
                return
            await reader
        finally:
            if process.returncode is None:
                _kill_group(process.pid)
                await asyncio.shield(process.wait())
            if not reader.done():
                reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        code = process.returncode
        output = self._output(buffer)
        if code == 0:
            self.report(PASSING, output)
        elif code == 1:
            self.report(WARNING, output)
        else:
            self.report(CRITICAL, output)


async def _drain(stream: asyncio.StreamReader, buffer: _OutputBuffer) -> None:
    while chunk := await stream.read(65536):
        buffer.write(chunk)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _exec_error(program: str, exc: OSError) -> str:
    """Go's ``exec`` error text for a command that could not start."""
    if "/" not in program and isinstance(exc, FileNotFoundError):
        return f'exec: "{program}": executable file not found in $PATH'
    reason = exc.strerror.lower() if exc.strerror else str(exc)
    return f"fork/exec {program}: {reason}"
