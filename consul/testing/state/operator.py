"""What ``/v1/operator`` reads and writes: Raft, autopilot, the keyring, usage.

A datacenter of the embedded agent has one server, its leader (the agent
itself, or ``<node>.<dc>`` for an extra datacenter). Its Raft configuration
holds that one voter; autopilot sees it alive and healthy; gossip encryption
is off, so every keyring operation fails as a dev agent's does. Rules from
``agent/consul/operator_raft_endpoint.go``, ``operator_autopilot_endpoint.go``,
``operator_backend.go``, ``agent/consul/state/autopilot.go`` and
``state/usage.go``, hashicorp/raft (``configuration.go``, ``api.go``) and
serf's key manager (``serf/keymanager.go``, ``internal_query.go``).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, ClassVar

from .config import CONSUL_VERSION
from .errors import RPCError
from .gojson import decode_base64
from .golang import format_duration, multierror
from .golang import quote as go_quote

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = [
    "AutopilotConfig",
    "AutopilotStore",
    "CONNECT_KINDS",
    "autopilot_health",
    "autopilot_state",
    "keyring_error",
    "raft_configuration",
    "remove_peer",
    "transfer_leader",
    "usage",
]

_MS = 1_000_000
_SECOND = 1_000_000_000


@dataclasses.dataclass
class AutopilotConfig:
    """``structs.AutopilotConfig``; durations in nanoseconds.

    The defaults are a dev agent's (``agent/config/default.go``), which are
    also what an omitted field of a ``PUT`` becomes (``api.NewAutopilotConfiguration``).
    """

    cleanup_dead_servers: bool = True
    last_contact_threshold: int = 200 * _MS
    max_trailing_logs: int = 250
    min_quorum: int = 0
    server_stabilization_time: int = 10 * _SECOND
    redundancy_zone_tag: str = ""
    disable_upgrade_migration: bool = False
    upgrade_version_tag: str = ""
    create_index: int = 0
    modify_index: int = 0

    def to_json(self) -> dict[str, Any]:
        """``api.AutopilotConfiguration``: durations as Go writes them (``200ms``)."""
        return {
            "CleanupDeadServers": self.cleanup_dead_servers,
            "LastContactThreshold": format_duration(self.last_contact_threshold),
            "MaxTrailingLogs": self.max_trailing_logs,
            "MinQuorum": self.min_quorum,
            "ServerStabilizationTime": format_duration(self.server_stabilization_time),
            "RedundancyZoneTag": self.redundancy_zone_tag,
            "DisableUpgradeMigration": self.disable_upgrade_migration,
            "UpgradeVersionTag": self.upgrade_version_tag,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
        }


class AutopilotStore:
    """The ``autopilot-config`` table of one datacenter (one row, once the leader wrote it)."""

    #: Tables a snapshot leaves out: stability is autopilot's own view.
    transient: ClassVar[tuple[str, ...]] = ("stable_since",)

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        self.config: AutopilotConfig | None = None
        #: When the leader came up: servers are stable since then.
        self.stable_since = time.time()

    def bootstrap(self) -> None:
        """The leader writes the configured defaults at start (``getOrCreateAutopilotConfig``)."""
        if self.config is None:
            self.set(self.dc.apply(), AutopilotConfig())

    def set(self, idx: int, config: AutopilotConfig, cas: int | None = None) -> bool:
        """``AutopilotSetConfig`` / ``AutopilotCASConfig``: False if ``cas`` is not the ModifyIndex.

        A write always stores the whole configuration (it is not merged), keeps
        the row's ``CreateIndex`` and takes ``idx`` as its ``ModifyIndex``.
        """
        existing = self.config
        if cas is not None and (existing is None or existing.modify_index != cas):
            return False
        config = dataclasses.replace(
            config,
            create_index=existing.create_index if existing is not None else idx,
            modify_index=idx,
        )
        self.config = config
        return True


# -- Raft ----------------------------------------------------------------------------


def _server(dc: Datacenter) -> tuple[str, str, str]:
    """The datacenter's one server: its Raft ID, its node name and its Raft address."""
    catalog = dc.catalog
    return catalog.server_node_id(), catalog.server_node_name(), dc.config.server_addr


def raft_configuration(dc: Datacenter) -> dict[str, Any]:
    """``structs.RaftConfigurationResponse``: the one voter, leader, and the entry's index (1)."""
    server_id, node, address = _server(dc)
    return {
        "Servers": [
            {
                "ID": server_id,
                "Node": node,
                "Address": address,
                "Leader": True,
                "ProtocolVersion": "3",
                "Voter": True,
                "LastIndex": dc.index,
            }
        ],
        "Index": 1,
    }


def remove_peer(dc: Datacenter, *, peer_id: str | None = None, address: str | None = None) -> None:
    """``RaftRemovePeerByID`` / ``ByAddress``: the peer must be known; Raft keeps its one voter.

    Removing the only server would leave a configuration without voters,
    which Raft refuses (``checkConfiguration``).
    """
    server_id, _, server_address = _server(dc)
    if address is not None and address != server_address:
        raise RPCError(f"address {go_quote(address)} was not found in the Raft configuration")
    if peer_id is not None and peer_id != server_id:
        raise RPCError(f"id {go_quote(peer_id)} was not found in the Raft configuration")
    raise RPCError("need at least one voter in configuration: {[]}")


def transfer_leader(dc: Datacenter, peer_id: str) -> None:
    """``attemptLeadershipTransfer``: there is no other server to hand the leadership to."""
    server_id, _, _ = _server(dc)
    if not peer_id:
        raise RPCError("cannot find peer")
    if peer_id != server_id:
        raise RPCError(f"Could not find address for server id {peer_id}")
    raise RPCError("cannot transfer leadership to itself")


# -- autopilot ------------------------------------------------------------------------


def _utc(moment: float, fraction: bool) -> str:
    """A UTC time as Go's ``time.Time`` marshals it (RFC 3339, nanoseconds trimmed)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
    if fraction:
        micros = f"{int(moment * 1_000_000) % 1_000_000:06d}".rstrip("0")
        if micros:
            stamp += "." + micros
    return stamp + "Z"


def autopilot_health(dc: Datacenter) -> dict[str, Any]:
    """``api.OperatorHealthReply``: the one server, alive, leader and healthy."""
    server_id, node, address = _server(dc)
    stable = dc.autopilot.stable_since
    return {
        "Healthy": True,
        "FailureTolerance": 0,
        "Servers": [
            {
                "ID": server_id,
                "Name": node,
                "Address": address,
                "SerfStatus": "alive",
                "Version": CONSUL_VERSION,
                "Leader": True,
                "LastContact": "0s",
                "LastTerm": 2,
                "LastIndex": dc.index,
                "Healthy": True,
                "Voter": True,
                # Rounded to the second in the health reply, not in the state.
                "StableSince": _utc(round(stable), fraction=False),
            }
        ],
    }


def autopilot_state(dc: Datacenter, meta: dict[str, str]) -> dict[str, Any]:
    """``api.AutopilotState`` of Consul CE (``OptimisticFailureTolerance`` = ``FailureTolerance``).

    ``meta`` is the server's serf tags.
    """
    server_id, node, address = _server(dc)
    return {
        "Healthy": True,
        "FailureTolerance": 0,
        "OptimisticFailureTolerance": 0,
        "Servers": {
            server_id: {
                "ID": server_id,
                "Name": node,
                "Address": address,
                "NodeStatus": "alive",
                "Version": CONSUL_VERSION,
                "LastContact": "0s",
                "LastTerm": 2,
                "LastIndex": dc.index,
                "Healthy": True,
                "StableSince": _utc(dc.autopilot.stable_since, fraction=True),
                "ReadReplica": False,
                "Status": "leader",
                "Meta": meta,
                "NodeType": "voter",
            }
        },
        "Leader": server_id,
        "Voters": [server_id],
    }


# -- the keyring ------------------------------------------------------------------------


_NO_KEYRING = "Keyring is empty (encryption not enabled)"
_NO_KEYRING_TO_MODIFY = "No keyring to modify (encryption not enabled)"


def keyring_error(operation: str, key: str, pools: list[tuple[str, list[str]]]) -> str:
    """The 500 of a keyring ``operation`` (``list``, ``install``, ``use``, ``remove``).

    ``pools`` are the gossip pools asked, in order (``WAN``, then each
    datacenter's ``dc1 (LAN)``), each with its members. No member has a
    keyring, so each answers with serf's message and each pool fails
    (``keyringErrorsOrNil``). A key that is not base64 fails in each pool
    before any member is asked.
    """
    errors: list[str] = []
    bad_key = None
    if operation != "list":
        try:
            decode_base64(key)
        except ValueError as exc:
            bad_key = str(exc)
    message = _NO_KEYRING if operation == "list" else _NO_KEYRING_TO_MODIFY
    for pool, members in pools:
        if bad_key is not None:
            errors.append(f"{pool} error: {bad_key}")
            continue
        errors.append(f"{pool} error: {len(members)}/{len(members)} nodes reported failure")
        errors += [f"{member}: {message}" for member in sorted(members)]
    return multierror(errors)


# -- usage -------------------------------------------------------------------------------

#: The kinds ``ConnectServiceInstances`` counts (``allConnectKind``), as Go sorts the map.
CONNECT_KINDS = (
    "api-gateway",
    "connect-native",
    "connect-proxy",
    "ingress-gateway",
    "mesh-gateway",
    "terminating-gateway",
)


def usage(dc: Datacenter) -> tuple[int, dict[str, Any]]:
    """``ServiceUsage`` and ``NodeUsage`` of a datacenter, and the index a blocking read compares.

    Every instance counts (the ``consul`` service too); ``BillableServiceInstances``
    counts the instances of typical services (connect-native ones included),
    not of ``consul`` (``billableServiceInstancesDeltas``).
    """
    catalog = dc.catalog
    connect = dict.fromkeys(CONNECT_KINDS, 0)
    billable = 0
    for instance in catalog.services.values():
        kind = instance["ServiceKind"]
        if kind in connect:
            connect[kind] += 1
        if not kind:
            if instance["ServiceConnect"].get("Native"):
                connect["connect-native"] += 1
            if instance["ServiceName"] != "consul":
                billable += 1
    counts = {
        "Services": len({s["ServiceName"] for s in catalog.services.values()}),
        "ServiceInstances": len(catalog.services),
        "ConnectServiceInstances": connect,
        "BillableServiceInstances": billable,
        "Nodes": len(catalog.nodes),
    }
    return catalog.max_index("services", "nodes"), counts
