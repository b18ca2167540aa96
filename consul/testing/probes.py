"""The checks that probe the outside world: HTTP, TCP and scripts.

Consul's ``CheckHTTP``, ``CheckTCP`` and ``CheckMonitor`` (``agent/checks/
check.go``): each runs on its interval, after a random first pause, and
reports through a :class:`~consul.testing.state.checks.StatusHandler`. Output
texts are Consul's, including the Go error texts a user sees in ``Output``.
They are the agent's own: the local state
(:class:`~consul.testing.state.local.LocalAgent`) gets them through
:func:`probe_factory`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import signal
import socket
import ssl
from typing import Any

import aiohttp

from .state.checks import (
    CRITICAL,
    DEFAULT_BUF_SIZE,
    PASSING,
    WARNING,
    CheckType,
    Probe,
    Runner,
    StatusHandler,
)
from .state.golang import format_duration

__all__ = ["HTTPCheck", "ScriptCheck", "TCPCheck", "probe_factory"]

#: The User-Agent of HTTP checks (``checks.UserAgent``).
USER_AGENT = "Consul Health Check"
#: Seconds a check waits by default: HTTP and TCP 10s, scripts 30s.
_HTTP_TIMEOUT = 10_000_000_000
_SCRIPT_TIMEOUT = 30_000_000_000


class OutputBuffer:
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


class _IntervalCheck(Runner):
    """A check run every ``interval`` after a random first pause (``lib.RandomStagger``)."""

    def __init__(
        self, check_id: str, interval: int, status: StatusHandler, rng: random.Random
    ) -> None:
        self.check_id = check_id
        self.interval = interval
        self.status = status
        self.rng = rng
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
        await asyncio.sleep(self.rng.uniform(0, self.interval / 1e9))
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
        self,
        check_id: str,
        address: str,
        interval: int,
        timeout: int,
        status: StatusHandler,
        rng: random.Random,
    ) -> None:
        super().__init__(check_id, interval, status, rng)
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
        rng: random.Random,
    ) -> None:
        super().__init__(check_id, definition.interval, status, rng)
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
        # Keep-alives are off (a new connection per check), as in Consul.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(
            connector=connector, auto_decompress=True, skip_auto_headers=("User-Agent",)
        ) as session:
            self._session = session
            await super()._run()

    async def check(self) -> None:
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
        output = OutputBuffer(self.output_max_size)
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
        rng: random.Random,
    ) -> None:
        super().__init__(check_id, interval, status, rng)
        self.args = list(args)
        self.timeout = timeout if timeout > 0 else _SCRIPT_TIMEOUT
        self.output_max_size = output_max_size if output_max_size >= 1 else DEFAULT_BUF_SIZE

    def _output(self, buffer: OutputBuffer) -> str:
        text = buffer.text()
        if buffer.total > len(buffer.data):
            text = f"Captured {len(buffer.data)} of {buffer.total} bytes\n...\n{text}"
        return text

    async def check(self) -> None:
        buffer = OutputBuffer(self.output_max_size)
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


async def _drain(stream: asyncio.StreamReader, buffer: OutputBuffer) -> None:
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


def probe_factory(rng: random.Random) -> Probe:
    """The runners of the checks this agent really runs (HTTP, TCP, scripts).

    UDP, gRPC, H2PING, Docker and OS service checks are accepted but not
    run: they keep the status they were registered with. ``rng`` staggers
    the first run of each.
    """

    def probe(
        check_id: str, check_type: CheckType, output_max_size: int, status: StatusHandler
    ) -> tuple[str, Runner] | None:
        if check_type.is_http():
            return "http", HTTPCheck(check_id, check_type, output_max_size, status, rng)
        if check_type.is_tcp():
            interval, timeout = check_type.interval, check_type.timeout
            return "tcp", TCPCheck(check_id, check_type.tcp, interval, timeout, status, rng)
        if (
            check_type.is_udp()
            or check_type.is_grpc()
            or check_type.is_docker()
            or check_type.is_os_service()
        ):
            return None
        if check_type.is_monitor():
            return "script", ScriptCheck(
                check_id,
                check_type.script_args,
                check_type.interval,
                check_type.timeout,
                output_max_size,
                status,
                rng,
            )
        return None

    return probe
