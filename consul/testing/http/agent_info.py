"""What the agent tells of itself: ``/v1/agent/host``, ``version``, ``metrics``, ``monitor``.

Handlers follow ``agent/agent_endpoint.go`` (``AgentHost``, ``AgentVersion``,
``AgentMetrics``, ``AgentMetricsStream``, ``AgentMonitor``). The metrics are
:mod:`..state.metrics`'s, the log lines :mod:`..state.log`'s; the host's
figures come from ``psutil``, as Consul's come from ``gopsutil``
(``agent/debug/host.go``), under gopsutil's JSON names.
"""

from __future__ import annotations

import asyncio
import platform
import socket
import sys
import time
from typing import Any

import psutil

from ..state.config import CONSUL_VERSION
from ..state.log import parse_level
from ..state.metrics import Interval, Metrics
from .agent import BUILD_DATE, REVISION
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, Write, encode_json, json_reply, stream_reply
from .routes import Routes

routes = Routes()

#: How often a monitor writes the lines that came (``AgentMonitor``'s flush ticker).
MONITOR_FLUSH = 0.2
#: How often an idle metrics stream checks that its client is still there.
_STREAM_PROBE = 1.0


def _agent_read(ctx: Ctx) -> None:
    node = ctx.agent.config.node_name
    ctx.require(ctx.authz.agent_read(node), "agent:read", node)


# -- host and version ------------------------------------------------------------------


def _percent(used: float, total: float) -> float:
    return used / total * 100 if total else 0.0


def host_info(host_id: str) -> dict[str, Any]:
    """``debug.CollectHostInfo``: memory, CPUs, host and disk, as gopsutil names them.

    ``hostId`` is ``host_id`` (the agent's node ID); what psutil cannot tell
    (a CPU's vendor, family, flags...) is left empty, as gopsutil leaves what
    its platform does not report.
    """
    memory = psutil.virtual_memory()
    frequency = psutil.cpu_freq()
    mhz = float(frequency.max or frequency.current) if frequency else 0.0
    cpus = [
        {
            "cpu": n,
            "vendorId": "",
            "family": "",
            "model": "",
            "stepping": 0,
            "physicalId": "",
            "coreId": str(n),
            "cores": 1,
            "modelName": platform.processor(),
            "mhz": mhz,
            "cacheSize": 0,
            "flags": [],
            "microcode": "",
        }
        for n in range(psutil.cpu_count() or 1)
    ]
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        release = {}
    boot = int(psutil.boot_time())
    disk = psutil.disk_usage("/")
    return {
        "Memory": {
            "total": memory.total,
            "available": memory.available,
            "used": memory.used,
            "usedPercent": memory.percent,
            "free": getattr(memory, "free", 0),
            "active": getattr(memory, "active", 0),
            "inactive": getattr(memory, "inactive", 0),
            "buffers": getattr(memory, "buffers", 0),
            "cached": getattr(memory, "cached", 0),
            "shared": getattr(memory, "shared", 0),
            "slab": getattr(memory, "slab", 0),
        },
        "CPU": cpus,
        "Host": {
            "hostname": socket.gethostname(),
            "uptime": max(0, int(time.time()) - boot),
            "bootTime": boot,
            "procs": len(psutil.pids()),
            "os": sys.platform.rstrip("0123456789"),
            "platform": release.get("ID", ""),
            "platformFamily": release.get("ID_LIKE", release.get("ID", "")),
            "platformVersion": release.get("VERSION_ID", ""),
            "kernelVersion": platform.release(),
            "kernelArch": platform.machine(),
            "virtualizationSystem": "",
            "virtualizationRole": "",
            "hostId": host_id,
        },
        "Disk": {
            "path": "/",
            "fstype": "",
            "total": disk.total,
            "free": disk.free,
            "used": disk.used,
            "usedPercent": _percent(disk.used, disk.used + disk.free),
            "inodesTotal": 0,
            "inodesUsed": 0,
            "inodesFree": 0,
            "inodesUsedPercent": 0,
        },
        "CollectionTime": time.time_ns(),
        "Errors": None,
    }


@routes("/v1/agent/host", "GET")
async def agent_host(ctx: Ctx) -> Reply:
    """``AgentHost``: the host's memory, CPUs, system and disk (``operator:read``)."""
    ctx.require(ctx.authz.operator_read(), "operator:read")
    return json_reply(host_info(ctx.agent.config.node_id))


@routes("/v1/agent/version", "GET")
async def agent_version(ctx: Ctx) -> Reply:
    """``AgentVersion``: ``version.GetBuildInfo()``, for anyone (no ACL)."""
    return json_reply(
        {"SHA": REVISION, "BuildDate": BUILD_DATE, "HumanVersion": CONSUL_VERSION, "FIPS": ""}
    )


# -- metrics -------------------------------------------------------------------------


def _wants_prometheus(ctx: Ctx) -> bool:
    """``enablePrometheusOutput``: ``?format=prometheus`` or an OpenMetrics ``Accept``."""
    if ctx.param("format") == "prometheus":
        return True
    accept = ctx.request.headers.get("Accept", "")
    return any(
        item.split(";")[0].strip().lower() == "application/openmetrics-text"
        for item in accept.split(",")
    )


@routes("/v1/agent/metrics", "GET")
async def agent_metrics(ctx: Ctx) -> Reply:
    """``AgentMetrics``: the last finished interval (``agent:read``).

    Prometheus output needs ``telemetry.prometheus_retention_time``, which a
    dev agent leaves at 0: asked for, it is a 415.
    """
    _agent_read(ctx)
    if _wants_prometheus(ctx):
        reason = "Prometheus is not enabled since its retention time is not positive"
        return Reply(415, reason.encode(), "text/plain")
    return json_reply(ctx.agent.metrics.last_finished().summary())


@routes("/v1/agent/metrics/stream", "GET")
async def agent_metrics_stream(ctx: Ctx) -> Reply:
    """``AgentMetricsStream``: each interval's summary as it finishes (``agent:read``).

    One JSON document per interval, indented by ``json.Encoder`` with four
    spaces and ending with a newline, until the client goes away (or the
    agent stops).
    """
    _agent_read(ctx)
    metrics = ctx.agent.metrics

    async def stream(write: Write) -> None:
        await write(b"")
        interval = metrics.current
        while True:
            finished = await _finished(interval, metrics, write)
            if not finished:
                return
            await write(encode_json(interval.summary()) + b"\n")
            interval = metrics.current

    return stream_reply(stream)


async def _finished(interval: Interval, metrics: Metrics, write: Write) -> bool:
    """Wait until ``interval`` finishes (True) or the metrics stop (False)."""
    while not interval.done.is_set():
        try:
            await asyncio.wait_for(interval.done.wait(), _STREAM_PROBE)
        except TimeoutError:
            await write(b"")  # raises once the client has gone
    return metrics.running and interval is not metrics.current


# -- monitor ------------------------------------------------------------------------------


@routes("/v1/agent/monitor", "GET")
async def agent_monitor(ctx: Ctx) -> Reply:
    """``AgentMonitor``: the agent's log lines from ``?loglevel`` up, as they come.

    ``agent:read``. ``loglevel`` defaults to ``INFO`` (``TRACE``, ``DEBUG``,
    ``INFO``, ``WARN``, ``ERR``, ``ERROR``, any case); ``?logjson`` (present
    at all) asks for hclog's JSON lines. Lines logged from the moment of the
    request on are written every 200 ms until the client goes away.
    """
    _agent_read(ctx)
    raw = ctx.param("loglevel") or "INFO"
    level = parse_level(raw)
    if level is None:
        raise BadRequest(f"Unknown log level: {raw}")
    log = ctx.agent.log
    subscription = log.subscribe(level, ctx.flag("logjson"))
    logger = ctx.agent.logger

    async def stream(write: Write) -> None:
        try:
            while not subscription.closed:
                await subscription.wait(MONITOR_FLUSH)
                lines = subscription.take()
                await write("".join(lines).encode() if lines else b"")
        finally:
            log.unsubscribe(subscription)
            if subscription.dropped:
                logger.warn(
                    "Dropped logs during monitor request", "dropped_count", subscription.dropped
                )

    return stream_reply(stream)
