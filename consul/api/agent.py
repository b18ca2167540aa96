"""The local agent: ``/v1/agent`` (Consul docs: *Agents*, *Services*, *Checks*).

Services and checks registered here belong to the agent, which runs the
checks and keeps the catalog in step (anti-entropy). ``client.agent`` has
three sub-groups: ``client.agent.service``, ``client.agent.check`` and
``client.agent.health``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import (
    Group,
    endpoint,
    endpoint_with_call_timeout,
    mapping,
    non_empty,
    optional_int,
    optional_str,
    str_list,
    str_map,
    stream,
)
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Request, Response, path, path_tail
from .._stream import Documents, Lines, StreamCall
from ..check import Check
from .agent_connect import AgentConnect
from .agent_token import AgentTokens
from .catalog import ServiceAddress, Weights
from .health import HealthCheck

if TYPE_CHECKING:
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = [
    "Agent",
    "AgentChecks",
    "AgentHealth",
    "AgentMember",
    "AgentService",
    "AgentVersion",
    "AgentServiceHealth",
    "AgentServices",
]

#: The statuses a check can be set to.
STATUSES = ("passing", "warning", "critical")


class AgentService(TypedDict):
    """A service registered with the agent (``api.AgentService``)."""

    Kind: NotRequired[str]
    ID: str
    Service: str
    Tags: list[str]
    Meta: dict[str, str]
    Port: int
    Address: str
    SocketPath: NotRequired[str]
    TaggedAddresses: NotRequired[dict[str, ServiceAddress]]
    Weights: Weights
    EnableTagOverride: bool
    ContentHash: NotRequired[str]
    Proxy: NotRequired[dict[str, Any]]
    Connect: NotRequired[dict[str, Any]]
    Datacenter: str


class AgentMember(TypedDict):
    """A member of the agent's gossip pool (``serf.Member``)."""

    Name: str
    Addr: str
    Port: int
    Tags: dict[str, str]
    Status: int
    ProtocolMin: int
    ProtocolMax: int
    ProtocolCur: int
    DelegateMin: int
    DelegateMax: int
    DelegateCur: int


class AgentVersion(TypedDict):
    """``version.BuildInfo``: the agent's build."""

    SHA: str
    BuildDate: str
    HumanVersion: str
    FIPS: str


class AgentServiceHealth(TypedDict):
    """A service instance with its checks and their aggregated status."""

    AggregatedStatus: str
    Service: AgentService | None
    Checks: list[HealthCheck] | None


def _enable(value: bool | str) -> str:
    """``enable=``: a bool, or the text python-consul passed on (``"true"``...)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value
    raise ValueError(f"enable must be True or False, not {value!r}")


def _check_definition(
    check: Mapping[str, Any] | None,
    script: str | Sequence[str] | None,
    interval: str | float | None,
    ttl: str | float | None,
    http: str | None,
    timeout: str | float | None,
) -> dict[str, Any] | None:
    """The check of a registration: ``check``, or the one the legacy arguments give."""
    legacy = _legacy_check(script, interval, ttl, http, timeout)
    if legacy is not None and check is not None:
        raise ValueError("give check, or script/ttl/http, not both")
    return mapping(check, "check") if check is not None else legacy


def _legacy_check(
    script: str | Sequence[str] | None,
    interval: str | float | None,
    ttl: str | float | None,
    http: str | None,
    timeout: str | float | None,
) -> dict[str, Any] | None:
    """The check of python-consul's ``script=``/``ttl=``/``http=`` arguments.

    A ``script`` string runs under ``sh -c`` (Consul 1.x only runs ``Args``).
    """
    given = [name for name, v in (("script", script), ("ttl", ttl), ("http", http)) if v]
    if not given:
        if interval is not None or timeout is not None:
            raise ValueError("interval and timeout need script, ttl or http")
        return None
    if len(given) > 1:
        raise ValueError(f"give only one of script, ttl and http, not {' and '.join(given)}")
    if ttl:
        if interval is not None:
            raise ValueError("a ttl check takes no interval")
        return Check.ttl(ttl)
    if interval is None:
        raise ValueError(f"a {given[0]} check needs an interval")
    if http:
        return Check.http(http, interval, timeout=timeout)
    args = ["sh", "-c", script] if isinstance(script, str) else list(script or [])
    return Check.script(args, interval, timeout=timeout)


def _status_text(response: Response) -> str:
    """The status word of the agent's health endpoints in text form (200, 429 or 503)."""
    return d.check(response, 429, 503).body.decode("utf-8").strip()


def _health(response: Response) -> tuple[str, Any]:
    """``(status, body)`` of the agent's service health endpoints.

    200, 429 and 503 carry the health (``X-Consul-Reason`` is the status);
    404 means no such service: ``("critical", None)``.
    """
    if response.status == 404:
        return "critical", None
    d.check(response, 429, 503)
    status = response.header("X-Consul-Reason") or ""
    return status, json.loads(response.body)


class Agent(Group[M]):
    """The local agent: itself, its gossip pool, and node maintenance.

    ``service``, ``check`` and ``health`` are the sub-groups for the agent's
    services, checks and local service health.
    """

    # The sub-groups' classes under python-consul's names (set below them).
    # ``service`` is made from ``Service``, which a subclass may replace: the
    # clients' agent group has one with ``keep_registered``.
    Service: ClassVar[type[AgentServices[Any]]]
    Check: ClassVar[type[AgentChecks[Any]]]

    def __init__(self, client: ConsulBase[M]) -> None:
        super().__init__(client)
        self.service: AgentServices[M] = self.Service(client)
        self.check: AgentChecks[M] = AgentChecks(client)
        self.health: AgentHealth[M] = AgentHealth(client)
        self.token: AgentTokens[M] = AgentTokens(client)
        self.connect: AgentConnect[M] = AgentConnect(client)

    @endpoint
    def self(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Call[dict[str, Any]]:
        """``GET /v1/agent/self``: the agent's configuration, member and metadata."""
        return Call(self._request("GET", path("agent", "self"), token=token, dc=""), d.json)

    @endpoint
    def services(
        self,
        filter_expr: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, AgentService]]:
        """``GET /v1/agent/services``: the agent's services by ID.

        ``filter_expr`` is a filter expression on the services (``?filter``);
        ``ns`` and ``partition`` are for Consul Enterprise.
        """
        request = self._request(
            "GET",
            path("agent", "services"),
            token=token,
            dc="",
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def checks(
        self,
        filter_expr: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, HealthCheck]]:
        """``GET /v1/agent/checks``: the agent's checks by ID (``filter_expr``: ``?filter``;
        ``ns`` and ``partition``: Consul Enterprise)."""
        request = self._request(
            "GET",
            path("agent", "checks"),
            token=token,
            dc="",
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def members(
        self,
        wan: bool = False,
        segment: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[list[AgentMember]]:
        """``GET /v1/agent/members``: the LAN gossip pool (``wan=True``: the WAN pool)."""
        params = []
        if wan:
            params.append(("wan", "1"))
        if optional_str(segment, "segment"):
            params.append(("segment", segment or ""))
        request = self._request("GET", path("agent", "members"), params, token=token, dc="")
        return Call(request, d.json)

    @endpoint
    def maintenance(
        self,
        enable: bool | str,
        reason: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/maintenance``: put the node in (or out of) maintenance.

        In maintenance the node's services are left out of healthy results;
        ``reason`` is shown as the maintenance check's notes.
        """
        params = [("enable", _enable(enable))]
        if optional_str(reason, "reason"):
            params.append(("reason", reason or ""))
        request = self._request("PUT", path("agent", "maintenance"), params, token=token, dc="")
        return Call(request, d.true)

    @endpoint
    def join(
        self,
        address: str,
        wan: bool = False,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/join/:address``: join a gossip pool through ``address``."""
        params = [("wan", "1")] if wan else []
        request = self._request(
            "PUT",
            path("agent", "join", tail=path_tail(address, "address")),
            params,
            token=token,
            dc="",
        )
        return Call(request, d.true)

    @endpoint
    def force_leave(
        self,
        node: str,
        prune: bool = False,
        wan: bool = False,
        token: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/force-leave/:node``: mark a failed member as left.

        ``prune`` removes it from the member list at once. ``partition`` is
        for Consul Enterprise (members belong to no namespace).
        """
        params = []
        if prune:
            params.append(("prune", "1"))
        if wan:
            params.append(("wan", "1"))
        request = self._request(
            "PUT",
            path("agent", "force-leave", tail=path_tail(node, "node")),
            params,
            token=token,
            dc="",
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def leave(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Call[bool]:
        """``PUT /v1/agent/leave``: leave the cluster gracefully and shut the agent down."""
        return Call(self._request("PUT", path("agent", "leave"), token=token, dc=""), d.true)

    @endpoint
    def host(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Call[dict[str, Any]]:
        """``GET /v1/agent/host``: the agent's host: ``Memory``, ``CPU``, ``Host``, ``Disk``.

        Needs ``operator:read``.
        """
        return Call(self._request("GET", path("agent", "host"), token=token, dc=""), d.json)

    @endpoint
    def version(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Call[AgentVersion]:
        """``GET /v1/agent/version``: the agent's build (no token needed)."""
        return Call(self._request("GET", path("agent", "version"), token="", dc=""), d.json)

    @endpoint
    def metrics(
        self,
        format_prometheus: bool = False,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Any]:
        """``GET /v1/agent/metrics``: the agent's metrics of the last finished interval.

        A dict (``Gauges``, ``Counters``, ``Samples``...); with
        ``format_prometheus``, Prometheus' text (which Consul serves only with
        ``telemetry.prometheus_retention_time`` set: else a 415,
        :class:`~consul.exceptions.ClientError`). Needs ``agent:read``.
        """
        params = [("format", "prometheus")] if format_prometheus else []
        request = self._request("GET", path("agent", "metrics"), params, token=token, dc="")
        if format_prometheus:
            return Call(request, lambda response: d.check(response).body.decode("utf-8"))
        return Call(request, d.json)

    @stream
    def metrics_stream(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> StreamCall[dict[str, Any]]:
        """``GET /v1/agent/metrics/stream``: each interval's metrics as it ends (every 10 s).

        The client's kind of stream of dicts (as :meth:`metrics` returns),
        until it is closed. Needs ``agent:read``.
        """
        request = self._request("GET", path("agent", "metrics", "stream"), token=token, dc="")
        return StreamCall(request, d.check, Documents)

    @stream
    def monitor(
        self,
        loglevel: str | None = None,
        logjson: bool = False,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> StreamCall[str]:
        """``GET /v1/agent/monitor``: the agent's log lines from ``loglevel`` up, as they come.

        ``loglevel`` is ``trace``, ``debug``, ``info`` (Consul's default),
        ``warn`` or ``error``; ``logjson`` asks for one JSON object per line.
        The client's kind of stream of lines (without their line break),
        until it is closed. (py-consul's ``monitor`` read until the agent
        closed the connection, which it never does.) Needs ``agent:read``.
        ``ns`` and ``partition`` (Consul Enterprise) are sent as Go's client
        sends them; Consul CE's handler does not read them.
        """
        params = []
        if optional_str(loglevel, "loglevel"):
            params.append(("loglevel", loglevel or ""))
        if logjson:
            params.append(("logjson", "true"))
        request = self._request(
            "GET", path("agent", "monitor"), params, token=token, dc="", ns=ns, partition=partition
        )
        return StreamCall(request, d.check, Lines)

    @endpoint
    def reload(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Call[bool]:
        """``PUT /v1/agent/reload``: reload the agent's configuration.

        A dev agent has no files: services and checks registered through
        the API are dropped.
        """
        return Call(self._request("PUT", path("agent", "reload"), token=token, dc=""), d.true)


class AgentServices(Group[M]):
    """The agent's services (``client.agent.service``).

    ``client.agent.service(service_id)`` reads one service.
    """

    @endpoint
    def __call__(
        self,
        service_id: str,
        hash: str | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[AgentService | None]:
        """``GET /v1/agent/service/:service_id``: one service, None if unknown.

        Its ``ContentHash``, passed back as ``hash`` (with an optional
        ``wait``), makes this a blocking query: it returns once the service
        differs from that hash, or after ``wait`` (default 5 minutes).
        """
        request = self._request(
            "GET",
            path("agent", "service", tail=path_tail(service_id, "service_id")),
            token=token,
            dc="",
            hash=hash,
            wait=wait,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint_with_call_timeout
    def register(
        self,
        name: str,
        service_id: str | None = None,
        address: str | None = None,
        port: int | None = None,
        tags: Sequence[str] | None = None,
        check: Mapping[str, Any] | None = None,
        token: str | None = None,
        meta: Mapping[str, str] | None = None,
        script: str | Sequence[str] | None = None,
        interval: str | float | None = None,
        ttl: str | float | None = None,
        http: str | None = None,
        timeout: str | float | None = None,
        enable_tag_override: bool = False,
        *,
        checks: Sequence[Mapping[str, Any]] | None = None,
        extra_checks: Sequence[Mapping[str, Any]] | None = None,
        weights: Mapping[str, int] | None = None,
        tagged_addresses: Mapping[str, Mapping[str, Any]] | None = None,
        kind: str | None = None,
        socket_path: str | None = None,
        proxy: Mapping[str, Any] | None = None,
        connect: Mapping[str, Any] | None = None,
        replace_existing_checks: bool = False,
        ns: str | None = None,
        partition: str | None = None,
        call_timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/service/register``: add (or replace) a service.

        ``check`` is one check definition (see :class:`consul.Check`) and
        ``checks`` (or py-consul's ``extra_checks``) more of them. For
        python-consul compatibility a single check can also be given with
        ``script`` (a command string, run with ``sh -c``), ``ttl`` or
        ``http``, with ``interval`` and ``timeout``. ``weights`` is
        ``{"Passing": n, "Warning": m}``; ``tagged_addresses`` maps a tag
        (``lan``, ``wan``...) to ``{"Address": ..., "Port": ...}``.
        ``replace_existing_checks`` removes the service's checks that are
        not in this registration. ``timeout`` being python-consul's, the
        call's own timeout is ``call_timeout``.
        """
        if checks is not None and extra_checks is not None:
            raise ValueError("give checks or extra_checks, not both")
        more = checks if checks is not None else extra_checks
        definition = _check_definition(check, script, interval, ttl, http, timeout)
        body: dict[str, Any] = {"Name": non_empty(name, "name")}
        if optional_str(service_id, "service_id"):
            body["ID"] = service_id
        if optional_str(address, "address") is not None:
            body["Address"] = address
        if optional_int(port, "port") is not None:
            body["Port"] = port
        if (tag_list := str_list(tags, "tags")) is not None:
            body["Tags"] = tag_list
        if (meta_map := str_map(meta, "meta")) is not None:
            body["Meta"] = meta_map
        if enable_tag_override:
            body["EnableTagOverride"] = True
        if definition is not None:
            body["Check"] = definition
        if more is not None:
            if isinstance(more, Mapping) or not isinstance(more, Sequence):
                raise TypeError("checks must be a list of check definitions")
            body["Checks"] = [mapping(c, "checks") for c in more]
        if (weights_map := mapping(weights, "weights")) is not None:
            body["Weights"] = weights_map
        if (addresses := mapping(tagged_addresses, "tagged_addresses")) is not None:
            body["TaggedAddresses"] = addresses
        if optional_str(kind, "kind"):
            body["Kind"] = kind
        if optional_str(socket_path, "socket_path"):
            body["SocketPath"] = socket_path
        if (proxy_map := mapping(proxy, "proxy")) is not None:
            body["Proxy"] = proxy_map
        if (connect_map := mapping(connect, "connect")) is not None:
            body["Connect"] = connect_map
        params = [("replace-existing-checks", "true")] if replace_existing_checks else []
        request = self._request(
            "PUT",
            path("agent", "service", "register"),
            params,
            token=token,
            dc="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def deregister(
        self,
        service_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/service/deregister/:service_id``: remove a service and its checks."""
        request = self._request(
            "PUT",
            path("agent", "service", "deregister", tail=path_tail(service_id, "service_id")),
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def maintenance(
        self,
        service_id: str,
        enable: bool | str,
        reason: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/service/maintenance/:service_id``: service maintenance mode.

        In maintenance the service gets a critical ``_service_maintenance``
        check, which keeps it out of healthy results.
        """
        params = [("enable", _enable(enable))]
        if optional_str(reason, "reason"):
            params.append(("reason", reason or ""))
        request = self._request(
            "PUT",
            path("agent", "service", "maintenance", tail=path_tail(service_id, "service_id")),
            params,
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)


class AgentChecks(Group[M]):
    """The agent's checks (``client.agent.check``)."""

    @endpoint_with_call_timeout
    def register(
        self,
        name: str,
        check: Mapping[str, Any] | None = None,
        check_id: str | None = None,
        notes: str | None = None,
        service_id: str | None = None,
        token: str | None = None,
        script: str | Sequence[str] | None = None,
        interval: str | float | None = None,
        ttl: str | float | None = None,
        http: str | None = None,
        timeout: str | float | None = None,
        *,
        status: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        call_timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/check/register``: add (or replace) a check.

        ``check`` is the definition (see :class:`consul.Check`), or give
        python-consul's ``script``/``ttl``/``http`` with ``interval`` and
        ``timeout``. ``check_id`` defaults to ``name``; ``service_id`` ties
        the check to a service of the agent; ``status`` is the initial one
        (default critical). ``timeout`` being python-consul's, the call's own
        timeout is ``call_timeout``.
        """
        definition = _check_definition(check, script, interval, ttl, http, timeout)
        if definition is None:
            raise ValueError("a check needs check=, or one of script, ttl and http")
        body: dict[str, Any] = {"Name": non_empty(name, "name"), **definition}
        if optional_str(check_id, "check_id"):
            body["ID"] = check_id
        if optional_str(notes, "notes"):
            body["Notes"] = notes
        if optional_str(service_id, "service_id"):
            body["ServiceID"] = service_id
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
            body["Status"] = status
        request = self._request(
            "PUT",
            path("agent", "check", "register"),
            token=token,
            dc="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def deregister(
        self,
        check_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/check/deregister/:check_id``: remove a check."""
        request = self._request(
            "PUT",
            path("agent", "check", "deregister", tail=path_tail(check_id, "check_id")),
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    def _ttl(
        self,
        verb: str,
        check_id: str,
        notes: str | None,
        token: str | None,
        ns: str | None,
        partition: str | None,
    ) -> Call[bool]:
        params = []
        if optional_str(notes, "notes"):
            params.append(("note", notes or ""))
        request = self._request(
            "PUT",
            path("agent", "check", verb, tail=path_tail(check_id, "check_id")),
            params,
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def ttl_pass(
        self,
        check_id: str,
        notes: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/check/pass/:check_id``: set a TTL check passing (``notes``: output)."""
        return self._ttl("pass", check_id, notes, token, ns, partition)

    @endpoint
    def ttl_warn(
        self,
        check_id: str,
        notes: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/check/warn/:check_id``: set a TTL check warning."""
        return self._ttl("warn", check_id, notes, token, ns, partition)

    @endpoint
    def ttl_fail(
        self,
        check_id: str,
        notes: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/check/fail/:check_id``: set a TTL check critical."""
        return self._ttl("fail", check_id, notes, token, ns, partition)

    @endpoint
    def update(
        self,
        check_id: str,
        status: str,
        output: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/agent/check/update/:check_id``: set a TTL check's status and output."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        body = {"Status": status, "Output": optional_str(output, "output") or ""}
        request = self._request(
            "PUT",
            path("agent", "check", "update", tail=path_tail(check_id, "check_id")),
            token=token,
            dc="",
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)


class AgentHealth(Group[M]):
    """The health of the agent's own services (``client.agent.health``).

    Each lookup returns ``(status, info)``: the aggregated status
    (``passing``, ``warning``, ``critical`` or ``maintenance``) and the
    service with its checks, node checks included. ``ns`` and ``partition``
    are for Consul Enterprise.
    """

    def _lookup(
        self,
        kind: str,
        value: str,
        argument: str,
        text: bool,
        token: str | None,
        ns: str | None,
        partition: str | None,
    ) -> Request:
        return self._request(
            "GET",
            path("agent", "health", "service", kind, tail=path_tail(value, argument)),
            [("format", "text" if text else "json")],
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )

    @endpoint
    def service_by_id(
        self,
        service_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[str, AgentServiceHealth | None]]:
        """``GET /v1/agent/health/service/id/:service_id``.

        ``("critical", None)`` if the agent has no such service.
        """
        request = self._lookup("id", service_id, "service_id", False, token, ns, partition)
        return Call(request, _health)

    @endpoint
    def service_by_name(
        self,
        name: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[tuple[str, list[AgentServiceHealth]]]:
        """``GET /v1/agent/health/service/name/:name``: every instance, and the worst status.

        ``("critical", [])`` if the agent has no service of that name.
        """

        def decode(response: Response) -> tuple[str, list[AgentServiceHealth]]:
            status, data = _health(response)
            return status, data or []

        return Call(self._lookup("name", name, "name", False, token, ns, partition), decode)

    @endpoint
    def status_by_id(
        self,
        service_id: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``GET /v1/agent/health/service/id/:service_id?format=text``: the status word only.

        ``passing``, ``warning``, ``critical`` or ``maintenance``; a service
        the agent does not have is :class:`~consul.exceptions.NotFound`.
        """
        request = self._lookup("id", service_id, "service_id", True, token, ns, partition)
        return Call(request, _status_text)

    @endpoint
    def status_by_name(
        self,
        name: str,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``GET /v1/agent/health/service/name/:name?format=text``: the worst status of them.

        A name the agent has no service of is :class:`~consul.exceptions.NotFound`.
        """
        request = self._lookup("name", name, "name", True, token, ns, partition)
        return Call(request, _status_text)


Agent.Service = AgentServices
Agent.Check = AgentChecks
