"""Check definitions for service and check registration.

Each factory returns the JSON definition Consul takes in a service's
``Check``/``Checks`` or in ``PUT /v1/agent/check/register``
(``structs.CheckType``), so the result can be passed as ``check=`` or
extended before registering. Durations are seconds (a number) or a Go
duration string such as ``"10s"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._endpoint import duration_field, integer

__all__ = ["Check"]


def _optional(check: dict[str, Any], key: str, value: str | float | None, name: str) -> None:
    if value is not None:
        check[key] = duration_field(value, name)


class Check:
    """Factories of Consul check definitions.

    ``deregister`` (where taken) is ``DeregisterCriticalServiceAfter``: once
    the check has been critical that long, the agent deregisters its
    service (Consul's minimum is one minute).
    """

    @classmethod
    def script(
        cls,
        args: Sequence[str],
        interval: str | float,
        timeout: str | float | None = None,
        deregister: str | float | None = None,
    ) -> dict[str, Any]:
        """Run ``args`` (a command and its arguments, no shell) every ``interval``.

        Exit code 0 is passing, 1 warning, anything else critical. The agent
        runs script checks only if started with ``enable_script_checks``.
        """
        if isinstance(args, str | bytes) or not isinstance(args, Sequence):
            raise TypeError("args must be a list of str (the command and its arguments)")
        if not args or not all(isinstance(a, str) for a in args):
            raise ValueError("args must be a non-empty list of str")
        check: dict[str, Any] = {
            "Args": list(args),
            "Interval": duration_field(interval, "interval"),
        }
        _optional(check, "Timeout", timeout, "timeout")
        _optional(check, "DeregisterCriticalServiceAfter", deregister, "deregister")
        return check

    @classmethod
    def http(
        cls,
        url: str,
        interval: str | float,
        timeout: str | float | None = None,
        deregister: str | float | None = None,
        header: Mapping[str, Sequence[str]] | None = None,
        *,
        method: str | None = None,
        body: str | None = None,
        tls_skip_verify: bool = False,
        tls_server_name: str | None = None,
    ) -> dict[str, Any]:
        """Request ``url`` every ``interval``: 2xx passing, 429 warning, else critical.

        ``header`` maps a header name to its values.
        """
        if not isinstance(url, str) or not url:
            raise ValueError("url must be a non-empty str")
        check: dict[str, Any] = {"HTTP": url, "Interval": duration_field(interval, "interval")}
        _optional(check, "Timeout", timeout, "timeout")
        _optional(check, "DeregisterCriticalServiceAfter", deregister, "deregister")
        if header is not None:
            if not isinstance(header, Mapping):
                raise TypeError("header must map a header name to a list of values")
            values: dict[str, list[str]] = {}
            for name, items in header.items():
                if isinstance(items, str) or not all(isinstance(i, str) for i in items):
                    raise TypeError(f"header {name!r} must have a list of str values")
                values[name] = list(items)
            check["Header"] = values
        if method is not None:
            check["Method"] = method
        if body is not None:
            check["Body"] = body
        if tls_skip_verify:
            check["TLSSkipVerify"] = True
        if tls_server_name is not None:
            check["TLSServerName"] = tls_server_name
        return check

    @classmethod
    def tcp(
        cls,
        host: str,
        port: int,
        interval: str | float,
        timeout: str | float | None = None,
        deregister: str | float | None = None,
    ) -> dict[str, Any]:
        """Connect to ``host:port`` every ``interval``: passing if it connects."""
        if not isinstance(host, str) or not host:
            raise ValueError("host must be a non-empty str")
        integer(port, "port")
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        check: dict[str, Any] = {"TCP": address, "Interval": duration_field(interval, "interval")}
        _optional(check, "Timeout", timeout, "timeout")
        _optional(check, "DeregisterCriticalServiceAfter", deregister, "deregister")
        return check

    @classmethod
    def ttl(cls, ttl: str | float, deregister: str | float | None = None) -> dict[str, Any]:
        """A check the application updates: critical unless set again within ``ttl``.

        Update it with ``client.agent.check.ttl_pass`` (and ``ttl_warn``,
        ``ttl_fail``).
        """
        check: dict[str, Any] = {"TTL": duration_field(ttl, "ttl")}
        _optional(check, "DeregisterCriticalServiceAfter", deregister, "deregister")
        return check

    @classmethod
    def docker(
        cls,
        container_id: str,
        shell: str,
        script: str,
        interval: str | float,
        deregister: str | float | None = None,
    ) -> dict[str, Any]:
        """Run ``script`` with ``shell -c`` inside a Docker container every ``interval``."""
        for name, value in (("container_id", container_id), ("shell", shell), ("script", script)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty str")
        check: dict[str, Any] = {
            "DockerContainerID": container_id,
            "Shell": shell,
            "Args": [shell, "-c", script],
            "Interval": duration_field(interval, "interval"),
        }
        _optional(check, "DeregisterCriticalServiceAfter", deregister, "deregister")
        return check

    @classmethod
    def grpc(
        cls,
        grpc: str,
        interval: str | float,
        deregister: str | float | None = None,
        *,
        use_tls: bool = False,
        timeout: str | float | None = None,
    ) -> dict[str, Any]:
        """Ask ``grpc`` (``host:port``, or ``host:port/service``) for its gRPC health."""
        if not isinstance(grpc, str) or not grpc:
            raise ValueError("grpc must be a non-empty str")
        check: dict[str, Any] = {"GRPC": grpc, "Interval": duration_field(interval, "interval")}
        if use_tls:
            check["GRPCUseTLS"] = True
        _optional(check, "Timeout", timeout, "timeout")
        _optional(check, "DeregisterCriticalServiceAfter", deregister, "deregister")
        return check
