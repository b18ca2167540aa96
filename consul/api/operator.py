"""Cluster operations: ``/v1/operator`` (Consul docs: *Operator*).

Raft (the servers' configuration, removing one, handing the leadership
over), autopilot (its configuration, the servers' health, its state), the
gossip keyring, the usage counts, and Consul Enterprise's utilization bundle,
network areas, LAN segments, license and audit hashes (Consul CE answers
these with its 404 for an unknown path), and the feature gates of Go's
client. The method names are py-consul's (and python-consul's ``raft_config``),
Go's for what py-consul lacks;
most need ``operator:read`` or ``operator:write``, the keyring
``keyring:read`` or ``keyring:write``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import (
    Group,
    duration_field,
    endpoint,
    flag,
    flow,
    integer,
    non_empty,
    optional_int,
    optional_str,
    str_list,
    string,
)
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, Response, path, path_segment
from .._meta import Indexed
from ..exceptions import ConsulException

M = TypeVar("M")

__all__ = [
    "Area",
    "AreaJoinResponse",
    "AutopilotConfiguration",
    "AutopilotServerHealth",
    "FeatureGate",
    "FeatureGateSetResponse",
    "KeyringResponse",
    "LicenseReply",
    "Operator",
    "OperatorHealthReply",
    "RaftConfiguration",
    "RaftServer",
    "SerfMember",
]


class RaftServer(TypedDict):
    """A server of the Raft configuration (``structs.RaftServer``)."""

    ID: str
    Node: str
    Address: str
    Leader: bool
    ProtocolVersion: str
    Voter: bool
    LastIndex: NotRequired[int]


class RaftConfiguration(TypedDict):
    """``structs.RaftConfigurationResponse``: the servers and the configuration's index."""

    Servers: list[RaftServer]
    Index: int


class AutopilotConfiguration(TypedDict):
    """``api.AutopilotConfiguration``: durations are Go duration strings (``"200ms"``)."""

    CleanupDeadServers: bool
    LastContactThreshold: str
    MaxTrailingLogs: int
    MinQuorum: int
    ServerStabilizationTime: str
    RedundancyZoneTag: str
    DisableUpgradeMigration: bool
    UpgradeVersionTag: str
    CreateIndex: int
    ModifyIndex: int


class AutopilotServerHealth(TypedDict):
    """``api.ServerHealth``: one server as autopilot sees it."""

    ID: str
    Name: str
    Address: str
    SerfStatus: str
    Version: str
    Leader: bool
    LastContact: str
    LastTerm: int
    LastIndex: int
    Healthy: bool
    Voter: bool
    StableSince: str


class OperatorHealthReply(TypedDict):
    """``api.OperatorHealthReply``: the servers' health and how many may fail."""

    Healthy: bool
    FailureTolerance: int
    Servers: list[AutopilotServerHealth] | None


class KeyringResponse(TypedDict):
    """``structs.KeyringResponse``: the keys of one gossip pool, and how many nodes hold each."""

    WAN: bool
    Datacenter: str
    Segment: str
    Partition: NotRequired[str]
    Messages: NotRequired[dict[str, str]]
    Keys: dict[str, int]
    PrimaryKeys: NotRequired[dict[str, int]]
    NumNodes: int


class Area(TypedDict, total=False):
    """A network area of Consul Enterprise (``api.Area``)."""

    ID: str
    PeerDatacenter: str
    RetryJoin: list[str] | None
    UseTLS: bool


class AreaJoinResponse(TypedDict):
    """How joining one address to a network area went (``api.AreaJoinResponse``)."""

    Address: str
    Joined: bool
    What: str


class SerfMember(TypedDict):
    """A member of a network area (``api.SerfMember``): ``RTT`` in nanoseconds."""

    ID: str
    Name: str
    Addr: str
    Port: int
    Datacenter: str
    Role: str
    Build: str
    Protocol: int
    Status: str
    RTT: int


class LicenseReply(TypedDict):
    """Consul Enterprise's license (``api.LicenseReply``)."""

    Valid: bool
    License: dict[str, Any] | None
    Warnings: list[str] | None


class FeatureGate(TypedDict):
    """A feature gate (``api.FeatureGate``)."""

    Name: str
    Stage: str
    MinVersion: str
    DefaultEnabled: bool
    BeforeMinimumVersion: str
    Description: str
    Owner: str
    DesiredEnabled: bool
    EffectiveEnabled: bool
    Eligible: bool
    Source: str
    Reason: str
    PolicyIndex: int
    StatusIndex: int


class FeatureGateSetResponse(TypedDict):
    """What setting a feature gate did (``api.FeatureGateSetResponse``)."""

    Applied: bool
    Feature: FeatureGate


def _area_body(
    peer_datacenter: str, retry_join: Sequence[str] | None, use_tls: bool
) -> dict[str, Any]:
    """The ``api.Area`` of a create or an update."""
    return {
        "PeerDatacenter": non_empty(peer_datacenter, "peer_datacenter"),
        "RetryJoin": str_list(retry_join, "retry_join"),
        "UseTLS": flag(use_tls, "use_tls"),
    }


def _area_path(area_id: str, *rest: str) -> str:
    """``/v1/operator/area/:id`` (and what follows it)."""
    return path("operator", "area", path_segment(area_id, "area_id"), *rest)


#: The body fields of an autopilot configuration, by keyword argument.
_AUTOPILOT_FIELDS = {
    "cleanup_dead_servers": "CleanupDeadServers",
    "last_contact_threshold": "LastContactThreshold",
    "max_trailing_logs": "MaxTrailingLogs",
    "min_quorum": "MinQuorum",
    "server_stabilization_time": "ServerStabilizationTime",
    "redundancy_zone_tag": "RedundancyZoneTag",
    "disable_upgrade_migration": "DisableUpgradeMigration",
    "upgrade_version_tag": "UpgradeVersionTag",
}
#: How many times a read-modify-write of the autopilot configuration is
#: tried when another writer changes it in between.
_AUTOPILOT_TRIES = 5


def _health(response: Response) -> OperatorHealthReply:
    """The health reply: a 429 means unhealthy (or not evaluated yet), with the same body."""
    health: OperatorHealthReply = json.loads(d.check(response, 429).body)
    return health


def _count(value: int, argument: str) -> int:
    if integer(value, argument) < 0:
        raise ValueError(f"{argument} must not be negative, not {value}")
    return value


def _relay(params: list[tuple[str, str]], relay_factor: int | None) -> list[tuple[str, str]]:
    if optional_int(relay_factor, "relay_factor") is not None:
        if not 0 <= (relay_factor or 0) <= 5:
            raise ValueError(f"relay_factor must be from 0 to 5, not {relay_factor}")
        params.append(("relay-factor", str(relay_factor)))
    return params


class Operator(Group[M]):
    """Raft, autopilot, the keyring, usage (``client.operator``).

    The calls whose Go counterparts take query or write options take ``ns``
    and ``partition`` (Consul Enterprise), sent as Go's client sends them.
    Consul CE refuses both on ``usage`` and a partition on
    ``raft_transfer_leader`` (which takes only that); its other handlers do
    not read them (``agent/operator_endpoint.go``).
    """

    # -- Raft -----------------------------------------------------------------------

    @endpoint
    def raft_config(
        self,
        dc: str | None = None,
        token: str | None = None,
        consistency: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[RaftConfiguration]:
        """``GET /v1/operator/raft/configuration``: the Raft servers (python-consul's name).

        ``consistency="stale"`` asks any server, for a cluster without a leader.
        """
        request = self._request(
            "GET",
            path("operator", "raft", "configuration"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def raft_remove_peer(
        self,
        address: str | None = None,
        peer_id: str | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/operator/raft/peer``: remove a server from the Raft configuration.

        Give exactly one of ``address`` (``IP:port``) and ``peer_id``.
        """
        if (address is None) == (peer_id is None):
            raise ValueError("give address or peer_id, one of them")
        if address is not None:
            params = [("address", non_empty(address, "address"))]
        else:
            params = [("id", non_empty(peer_id or "", "peer_id"))]
        request = self._request(
            "DELETE",
            path("operator", "raft", "peer"),
            params,
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def raft_transfer_leader(
        self,
        peer_id: str | None = None,
        token: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``POST /v1/operator/raft/transfer-leader``: hand the leadership to ``peer_id`` (or any).

        True once transferred (``{"Success": true}``); a failure is a :class:`ServerError`.
        ``partition`` is for Consul Enterprise.
        """
        params = [("id", non_empty(peer_id, "peer_id"))] if peer_id is not None else []
        request = self._request(
            "POST",
            path("operator", "raft", "transfer-leader"),
            params,
            token=token,
            dc="",
            partition=partition,
        )
        return Call(request, d.mapped(d.json, lambda body: bool(body["Success"])))

    # -- autopilot ----------------------------------------------------------------------

    @endpoint
    def autopilot_configuration(
        self,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[AutopilotConfiguration]:
        """``GET /v1/operator/autopilot/configuration``."""
        request = self._request(
            "GET",
            path("operator", "autopilot", "configuration"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @flow
    def update_autopilot_configuration(
        self,
        cleanup_dead_servers: bool | None = None,
        last_contact_threshold: str | float | None = None,
        max_trailing_logs: int | None = None,
        min_quorum: int | None = None,
        server_stabilization_time: str | float | None = None,
        redundancy_zone_tag: str | None = None,
        disable_upgrade_migration: bool | None = None,
        upgrade_version_tag: str | None = None,
        cas: int | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Flow[bool]:
        """Change the autopilot settings given, and only those.

        ``GET``, then ``PUT /v1/operator/autopilot/configuration?cas=``.

        Consul replaces the whole configuration on a ``PUT``, filling what the
        body leaves out with the defaults, not with the current values: a
        ``PUT`` of one setting resets the others (py-consul sends only the
        given ones, and so resets them). This method reads the configuration,
        changes the given settings and writes it back with ``?cas=`` of what it
        read; if another writer came in between, it reads again (a few times).
        With ``cas``, it writes only if the configuration's ``ModifyIndex`` is
        still ``cas``, and returns whether it did. Durations are seconds or Go
        duration strings (``"200ms"``).
        """
        changes: dict[str, Any] = {}
        given: tuple[tuple[str, Any, Callable[[Any, str], Any]], ...] = (
            ("cleanup_dead_servers", cleanup_dead_servers, flag),
            ("last_contact_threshold", last_contact_threshold, duration_field),
            ("max_trailing_logs", max_trailing_logs, _count),
            ("min_quorum", min_quorum, _count),
            ("server_stabilization_time", server_stabilization_time, duration_field),
            ("redundancy_zone_tag", redundancy_zone_tag, string),
            ("disable_upgrade_migration", disable_upgrade_migration, flag),
            ("upgrade_version_tag", upgrade_version_tag, string),
        )
        for name, value, check in given:
            if value is not None:
                changes[_AUTOPILOT_FIELDS[name]] = check(value, name)
        optional_int(cas, "cas")
        target = path("operator", "autopilot", "configuration")
        for _ in range(_AUTOPILOT_TRIES):
            read = self._request(
                "GET",
                target,
                token=token,
                dc=dc,
                consistency="consistent",
                read=True,
                ns=ns,
                partition=partition,
            )
            current: AutopilotConfiguration = yield Call(read, d.json)
            body = {k: v for k, v in current.items() if not k.endswith("Index")}
            body.update(changes)
            expected = cas if cas is not None else current["ModifyIndex"]
            request = self._request(
                "PUT",
                target,
                [("cas", str(expected))],
                token=token,
                dc=dc,
                json_body=body,
                ns=ns,
                partition=partition,
            )
            written: bool = yield Call(request, d.json)
            if written or cas is not None:
                return bool(written)
        raise ConsulException(
            f"the autopilot configuration kept changing: not updated after {_AUTOPILOT_TRIES} tries"
        )

    @endpoint
    def autopilot_health(
        self,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[OperatorHealthReply]:
        """``GET /v1/operator/autopilot/health``: each server's health.

        Consul answers 429 when the servers are not all healthy, or autopilot
        has not looked at them yet (just after a leader came up): that is
        returned as data, with ``Healthy`` false, not raised.
        """
        request = self._request(
            "GET",
            path("operator", "autopilot", "health"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, _health)

    @endpoint
    def autopilot_state(
        self,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, Any]]:
        """``GET /v1/operator/autopilot/state``: autopilot's view (``api.AutopilotState``)."""
        request = self._request(
            "GET",
            path("operator", "autopilot", "state"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    # -- the keyring -------------------------------------------------------------------

    @endpoint
    def keyring_list(
        self,
        relay_factor: int | None = None,
        local_only: bool | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[list[KeyringResponse]]:
        """``GET /v1/operator/keyring``: the gossip keys of each pool (WAN, then each LAN).

        ``local_only`` asks only the agent's own datacenter. Without gossip
        encryption every pool fails, which Consul answers with a 500.
        """
        params = _relay([], relay_factor)
        if local_only is not None:
            params.append(("local-only", "true" if local_only else "false"))
        request = self._request(
            "GET",
            path("operator", "keyring"),
            params,
            token=token,
            dc="",
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json_list)

    def _key(
        self,
        method: str,
        key: str,
        relay_factor: int | None,
        token: str | None,
        ns: str | None,
        partition: str | None,
    ) -> Call[bool]:
        params = _relay([], relay_factor)
        request = self._request(
            method,
            path("operator", "keyring"),
            params,
            token=token,
            dc="",
            json_body={"Key": non_empty(key, "key")},
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def keyring_install(
        self,
        key: str,
        relay_factor: int | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``POST /v1/operator/keyring``: install a gossip key (base64) on every node."""
        return self._key("POST", key, relay_factor, token, ns, partition)

    @endpoint
    def keyring_use(
        self,
        key: str,
        relay_factor: int | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/operator/keyring``: make an installed key the primary one."""
        return self._key("PUT", key, relay_factor, token, ns, partition)

    @endpoint
    def keyring_remove(
        self,
        key: str,
        relay_factor: int | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/operator/keyring``: remove a key that is not the primary one."""
        return self._key("DELETE", key, relay_factor, token, ns, partition)

    # -- usage -------------------------------------------------------------------------

    @endpoint
    def usage(
        self,
        global_: bool | None = None,
        stale: bool | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, Any]]:
        """``GET /v1/operator/usage``: service, instance and node counts, by datacenter.

        ``global_`` counts every datacenter. The answer's ``Usage`` maps each
        datacenter to its counts; ``Index`` and the other query meta fields
        are in it too. ``ns`` and ``partition`` are for Consul Enterprise.
        """
        params = [("global", "")] if global_ else []
        request = self._request(
            "GET",
            path("operator", "usage"),
            params,
            token=token,
            dc=dc,
            consistency="stale" if stale else None,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def utilization(
        self,
        message: str | None = None,
        today_only: bool | None = None,
        send_report: bool | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[dict[str, Any]]:
        """``GET /v1/operator/utilization``: Consul Enterprise's census bundle (JSON).

        Consul CE answers 404 (:class:`~consul.exceptions.NotFound`):
        ``operator utilization requires Consul Enterprise``.
        """
        params = []
        if optional_str(message, "message"):
            params.append(("message", message or ""))
        if today_only is not None:
            params.append(("today_only", "true" if today_only else "false"))
        if send_report is not None:
            params.append(("send_report", "true" if send_report else "false"))
        request = self._request("GET", path("operator", "utilization"), params, token=token, dc="")
        return Call(request, d.json)

    # -- Consul Enterprise: network areas, segments, license, audit ---------------------
    # Consul CE registers none of these paths (agent/http_register.go): each
    # answers Consul's 404 for an unknown path, a NotFound.

    @endpoint
    def area_create(
        self,
        peer_datacenter: str,
        retry_join: Sequence[str] | None = None,
        use_tls: bool = False,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``POST /v1/operator/area``: a network area with ``peer_datacenter`` (Consul Enterprise).

        ``retry_join`` are addresses of the peer's servers to join. Returns
        the new area's ID.
        """
        body = _area_body(peer_datacenter, retry_join, use_tls)
        request = self._request(
            "POST", path("operator", "area"), token=token, dc=dc, json_body=body
        )
        return Call(request, d.field("ID"))

    @endpoint
    def area_update(
        self,
        area_id: str,
        peer_datacenter: str,
        retry_join: Sequence[str] | None = None,
        use_tls: bool = False,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``PUT /v1/operator/area/:id``: change a network area (Consul Enterprise); its ID."""
        body = _area_body(peer_datacenter, retry_join, use_tls)
        request = self._request(
            "PUT",
            _area_path(area_id),
            token=token,
            dc=dc,
            json_body=body,
        )
        return Call(request, d.field("ID"))

    @endpoint
    def area_get(
        self,
        area_id: str,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[Area]]]:
        """``GET /v1/operator/area/:id``: the network area, as a list of one (Consul Enterprise)."""
        return self._read(
            _area_path(area_id),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=None,
            wait=None,
        )

    @endpoint
    def area_list(
        self,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[Area]]]:
        """``GET /v1/operator/area``: every network area (Consul Enterprise)."""
        return self._read(
            path("operator", "area"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=None,
            wait=None,
        )

    @endpoint
    def area_delete(
        self,
        area_id: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/operator/area/:id``: remove a network area (Consul Enterprise)."""
        request = self._request("DELETE", _area_path(area_id), token=token, dc=dc)
        return Call(request, d.true)

    @endpoint
    def area_join(
        self,
        area_id: str,
        addresses: Sequence[str],
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[list[AreaJoinResponse]]:
        """``PUT /v1/operator/area/:id/join``: join servers to a network area (Consul Enterprise).

        One :class:`AreaJoinResponse` per address.
        """
        body = str_list(addresses, "addresses")
        request = self._request(
            "PUT",
            _area_path(area_id, "join"),
            token=token,
            dc=dc,
            json_body=body,
        )
        return Call(request, d.json_list)

    @endpoint
    def area_members(
        self,
        area_id: str,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[SerfMember]]]:
        """``GET /v1/operator/area/:id/members``: the servers in a network area (Enterprise)."""
        return self._read(
            _area_path(area_id, "members"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=None,
            wait=None,
        )

    @endpoint
    def segment_list(
        self,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[str]]]:
        """``GET /v1/operator/segment``: the names of the LAN segments (Consul Enterprise)."""
        return self._read(
            path("operator", "segment"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=None,
            wait=None,
        )

    @endpoint
    def license_get(
        self,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[LicenseReply]:
        """``GET /v1/operator/license``: the license and whether it is valid (Consul Enterprise)."""
        request = self._request("GET", path("operator", "license"), token=token, dc=dc, read=True)
        return Call(request, d.json)

    @endpoint
    def license_get_signed(
        self,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``GET /v1/operator/license?signed=1``: the signed license blob (Consul Enterprise)."""
        request = self._request(
            "GET", path("operator", "license"), (("signed", "1"),), token=token, dc=dc, read=True
        )
        return Call(request, lambda response: d.check(response).body.decode())

    @endpoint
    def license_put(
        self,
        license: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[LicenseReply]:
        """``PUT /v1/operator/license``: install a license (Consul Enterprise before 1.10).

        Deprecated in Go's client: Consul 1.10 removed the endpoint (licenses
        come from the agent's configuration).
        """
        body = non_empty(license, "license").encode()
        request = self._request("PUT", path("operator", "license"), token=token, dc=dc, body=body)
        return Call(request, d.json)

    @endpoint
    def license_reset(
        self,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[LicenseReply]:
        """``DELETE /v1/operator/license``: back to the built-in license (Enterprise before 1.10).

        Deprecated in Go's client: Consul 1.10 removed the endpoint.
        """
        request = self._request("DELETE", path("operator", "license"), token=token, dc=dc)
        return Call(request, d.json)

    @endpoint
    def audit_hash(
        self,
        text: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``POST /v1/operator/audit-hash``: ``text`` hashed as audit logs hash (Enterprise)."""
        body = {"Input": string(text, "text")}
        request = self._request(
            "POST", path("operator", "audit-hash"), token=token, dc=dc, json_body=body
        )
        return Call(request, d.field("Hash"))

    # -- feature gates: in Go's client, served by no Consul release read ------------------

    @endpoint
    def feature_gate_list(
        self,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[FeatureGate]]]:
        """``GET /v1/operator/features``: every feature gate (Go's ``FeatureGateList``).

        Go's client has it, but Consul's agent, 1.22 included, registers no
        such path (``agent/http_register.go``): it answers 404 for an
        unknown path, a :class:`~consul.NotFound`.
        """
        return self._read(
            path("operator", "features"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=None,
            index=None,
            wait=None,
        )

    @endpoint
    def feature_gate_get(
        self,
        name: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[FeatureGate]]:
        """``GET /v1/operator/feature/:name``: one feature gate (Go's ``FeatureGateGet``).

        Not served by Consul's agent, 1.22 included (see :meth:`feature_gate_list`).
        """
        return self._read(
            path("operator", "feature", path_segment(name, "name")),
            d.json,
            token=token,
            dc=dc,
            consistency=None,
            index=None,
            wait=None,
        )

    @endpoint
    def feature_gate_set(
        self,
        name: str,
        enabled: bool,
        cas: int | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[FeatureGateSetResponse]:
        """``PUT /v1/operator/feature/:name``: turn a feature gate on or off (``FeatureGateSet``).

        ``cas`` is the gate's ``PolicyIndex`` the change expects (none:
        no check). Not served by Consul's agent, 1.22 included (see
        :meth:`feature_gate_list`).
        """
        params = []
        if optional_int(cas, "cas"):
            params.append(("cas", str(cas)))
        body = {"Enabled": flag(enabled, "enabled")}
        request = self._request(
            "PUT",
            path("operator", "feature", path_segment(name, "name")),
            params,
            token=token,
            dc=dc,
            json_body=body,
        )
        return Call(request, d.json)
