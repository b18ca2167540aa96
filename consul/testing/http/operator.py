"""``/v1/operator``: Raft, autopilot, the keyring, usage and utilization.

Handlers follow ``agent/operator_endpoint.go`` (and ``_ce.go``) and
``agent/utilization_endpoint.go``; the state they read is
:mod:`..state.operator`'s. Consul CE registers no ``area``, ``segment``,
``license``, ``audit-hash`` or feature-gate routes: those paths get the
mux's 404 (``HTTPHandlers.Index``), as here.
"""

from __future__ import annotations

import re

from ..state.errors import RPCError
from ..state.golang import parse_bool
from ..state.golang import quote as go_quote
from ..state.gotypes import BOOL, DURATION, STRING, UINT, UINT8, UINT64, struct
from ..state.operator import (
    AutopilotConfig,
    autopilot_health,
    autopilot_state,
    keyring_error,
    raft_configuration,
    remove_peer,
    transfer_leader,
    usage,
)
from .agent import _member
from .context import Ctx
from .errors import BadRequest, HTTPError
from .reply import Reply, empty_reply, json_reply
from .routes import Routes

routes = Routes()

_UINT = re.compile(r"[0-9]+\Z")
_ATOI = re.compile(r"[+-]?[0-9]+\Z")

#: ``api.AutopilotConfiguration`` as a ``PUT`` decodes it (durations are
#: ``ReadableDuration``: a Go duration string or nanoseconds).
AUTOPILOT_CONFIGURATION = struct(
    "api.AutopilotConfiguration",
    CleanupDeadServers=BOOL,
    LastContactThreshold=DURATION,
    MaxTrailingLogs=UINT64,
    MinQuorum=UINT,
    ServerStabilizationTime=DURATION,
    RedundancyZoneTag=STRING,
    DisableUpgradeMigration=BOOL,
    UpgradeVersionTag=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)
#: ``keyringArgs``: every field decodes, only ``Key`` matters.
KEYRING_ARGS = struct(
    "agent.keyringArgs", Key=STRING, Token=STRING, RelayFactor=UINT8, LocalOnly=BOOL
)


def _parse_uint(name: str, raw: str) -> int:
    """``strconv.ParseUint(raw, 10, 64)``, or its error text."""
    if _UINT.match(raw) and int(raw) < 2**64:
        return int(raw)
    reason = "value out of range" if _UINT.match(raw) else "invalid syntax"
    raise ValueError(f"strconv.ParseUint: parsing {go_quote(raw)}: {reason}")


# -- Raft ------------------------------------------------------------------------------


@routes("/v1/operator/raft/configuration", "GET")
async def raft_config(ctx: Ctx) -> Reply:
    """``OperatorRaftConfiguration`` (``operator:read``): no blocking, no meta headers."""
    ctx.check_consistency()
    dc = ctx.dc
    ctx.require(ctx.authz.operator_read(), "operator:read")
    return json_reply(raft_configuration(dc))


@routes("/v1/operator/raft/peer", "DELETE")
async def raft_peer(ctx: Ctx) -> Reply:
    """``OperatorRaftPeer``: remove a server by ``?id`` or ``?address`` (``operator:write``)."""
    dc = ctx.dc
    has_id, has_address = ctx.flag("id"), ctx.flag("address")
    if not has_id and not has_address:
        raise BadRequest(
            "Must specify either ?id with the server's ID "
            "or ?address with IP:port of peer to remove"
        )
    if has_id and has_address:
        raise BadRequest("Must specify only one of ?id or ?address")
    ctx.require(ctx.authz.operator_write(), "operator:write")
    if has_id:
        remove_peer(dc, peer_id=ctx.param("id") or "")
    else:
        remove_peer(dc, address=ctx.param("address") or "")
    return empty_reply()


@routes("/v1/operator/raft/transfer-leader", "POST")
async def raft_transfer_leader(ctx: Ctx) -> Reply:
    """``OperatorRaftTransferLeader`` (``operator:write``): a lone server keeps the leadership."""
    ctx.check_enterprise_meta(namespace=False)
    ctx.require(ctx.authz.operator_write(), "operator:write")
    transfer_leader(ctx.agent.home, ctx.param("id") or "")
    return json_reply({"Success": True})


# -- autopilot --------------------------------------------------------------------------


@routes("/v1/operator/autopilot/configuration", "GET", "PUT")
async def autopilot_configuration(ctx: Ctx) -> Reply:
    """``OperatorAutopilotConfiguration``: read it, or replace it whole (``?cas`` to compare).

    A ``PUT`` body is decoded over the defaults, not over the stored
    configuration: a field left out goes back to its default. Without
    ``?cas`` the answer is ``true``; with it, whether the ``ModifyIndex``
    matched.
    """
    if ctx.method == "GET":
        ctx.check_consistency()
        dc = ctx.dc
        ctx.require(ctx.authz.operator_read(), "operator:read")
        config = dc.autopilot.config
        if config is None:
            raise RPCError("autopilot config not initialized yet")
        return json_reply(config.to_json())
    dc = ctx.dc
    args = await ctx.decode(AUTOPILOT_CONFIGURATION, "Error parsing autopilot config: ")
    defaults = AutopilotConfig()
    config = AutopilotConfig(
        cleanup_dead_servers=args.get("CleanupDeadServers", defaults.cleanup_dead_servers),
        last_contact_threshold=_nanoseconds(
            args.get("LastContactThreshold"), defaults.last_contact_threshold
        ),
        max_trailing_logs=args.get("MaxTrailingLogs", defaults.max_trailing_logs),
        min_quorum=args.get("MinQuorum", defaults.min_quorum),
        server_stabilization_time=_nanoseconds(
            args.get("ServerStabilizationTime"), defaults.server_stabilization_time
        ),
        redundancy_zone_tag=args.get("RedundancyZoneTag", ""),
        disable_upgrade_migration=args.get("DisableUpgradeMigration", False),
        upgrade_version_tag=args.get("UpgradeVersionTag", ""),
    )
    cas = None
    if ctx.flag("cas"):
        try:
            cas = _parse_uint("cas", ctx.param("cas") or "")
        except ValueError as exc:
            raise BadRequest(f"Error parsing cas value: {exc}") from None
    ctx.require(ctx.authz.operator_write(), "operator:write")
    applied = dc.autopilot.set(dc.apply(), config, cas)
    return json_reply(applied if cas is not None else True)


def _nanoseconds(seconds: float | None, default: int) -> int:
    """A decoded duration (seconds) in nanoseconds; ``default`` if it was left out."""
    return default if seconds is None else round(seconds * 1e9)


@routes("/v1/operator/autopilot/health", "GET")
async def autopilot_server_health(ctx: Ctx) -> Reply:
    """``OperatorServerHealth`` (``operator:read``): 200 when healthy, 429 (same body) when not."""
    ctx.check_consistency()
    dc = ctx.dc
    ctx.require(ctx.authz.operator_read(), "operator:read")
    health = autopilot_health(dc)
    return json_reply(health, 200 if health["Healthy"] else 429)


@routes("/v1/operator/autopilot/state", "GET")
async def autopilot_state_endpoint(ctx: Ctx) -> Reply:
    """``OperatorAutopilotState`` (``operator:read``)."""
    ctx.check_consistency()
    dc = ctx.dc
    ctx.require(ctx.authz.operator_read(), "operator:read")
    meta = _member(ctx.agent, wan=False)["Tags"]
    return json_reply(autopilot_state(dc, meta))


# -- the keyring ---------------------------------------------------------------------------


@routes("/v1/operator/keyring", "GET", "POST", "PUT", "DELETE")
async def keyring(ctx: Ctx) -> Reply:
    """``OperatorKeyringEndpoint``: list (GET), install (POST), use (PUT), remove (DELETE).

    Gossip encryption is off on a dev agent: every operation fails in every
    pool (a 500), as Consul answers it (``keyringErrorsOrNil``).
    """
    key = ""
    if ctx.method != "GET":
        args = await ctx.decode(KEYRING_ARGS)
        key = args.get("Key", "")
    relay = ctx.param("relay-factor")
    if relay:
        if not _ATOI.match(relay):
            raise BadRequest(
                f"Error parsing relay factor: strconv.Atoi: parsing {go_quote(relay)}: "
                "invalid syntax"
            )
        if not 0 <= int(relay) <= 5:
            raise BadRequest("Invalid relay-factor: Relay factor must be in range: [0, 5]")
    local_only = False
    raw_local = ctx.param("local-only")
    if raw_local:
        parsed = parse_bool(raw_local)
        if parsed is None:
            raise BadRequest(
                f"Error parsing local-only: strconv.ParseBool: parsing {go_quote(raw_local)}: "
                "invalid syntax"
            )
        local_only = parsed
        if local_only and ctx.method != "GET":
            raise BadRequest(
                "Invalid use of local-only: local-only can only be set for list requests"
            )
    authz = ctx.authz
    if ctx.method == "GET":
        ctx.require(authz.keyring_read(), "keyring:read")
    else:
        ctx.require(authz.keyring_write(), "keyring:write")
    agent = ctx.agent
    config = agent.config
    # The WAN pool as /v1/agent/members?wan=1 shows it, then each datacenter's
    # LAN pool (only the agent's own with ?local-only).
    pools: list[tuple[str, list[str]]] = []
    if not local_only:
        pools.append(("WAN", [_member(agent, wan=True)["Name"]]))
    for dc in agent.datacenters.values():
        if not local_only or dc.name == config.datacenter:
            pools.append((f"{dc.name} (LAN)", [dc.catalog.server_node_name()]))
    operation = {"GET": "list", "POST": "install", "PUT": "use", "DELETE": "remove"}[ctx.method]
    raise RPCError(keyring_error(operation, key, pools))


# -- usage and utilization ---------------------------------------------------------------


@routes("/v1/operator/usage", "GET")
async def operator_usage(ctx: Ctx) -> Reply:
    """``OperatorUsage`` (``operator:read``): counts of the catalog, blocking on it.

    The ``structs.Usage`` reply embeds its ``QueryMeta``, so the meta
    fields are in the body too; ``?global`` counts every datacenter.
    """
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    dc = ctx.dc
    ctx.require(ctx.authz.operator_read(), "operator:read")
    datacenters = list(ctx.agent.datacenters.values()) if ctx.flag("global") else [dc]

    def query() -> tuple[int, dict[str, dict[str, object]]]:
        index, counts = usage(dc)
        found = {dc.name: counts}
        for other in datacenters:
            if other is not dc:
                found[other.name] = usage(other)[1]
        return index, found

    def render(index: int, found: dict[str, dict[str, object]]) -> Reply:
        ctx.set_meta(index)
        consistency = (
            "stale" if ctx.flag("stale") else "consistent" if ctx.flag("consistent") else "leader"
        )
        body = {
            "Usage": found,
            "Index": index,
            "LastContact": 0,
            "KnownLeader": True,
            "ConsistencyLevel": consistency,
            "NotModified": False,
            "Backend": 0,
            "ResultsFilteredByACLs": False,
        }
        return json_reply(body)

    return ctx.blocking_reply(query, render, shared=True)


@routes("/v1/operator/utilization", "GET", "PUT", "POST", "DELETE")
async def operator_utilization(ctx: Ctx) -> Reply:
    """``OperatorUtilizationEndpoint``: Consul CE has no census bundle (404, any method)."""
    raise HTTPError(404, "operator utilization requires Consul Enterprise")
