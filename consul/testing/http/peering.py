"""``/v1/peering``: cluster peering tokens, establishment, reads and deletion.

Handlers follow ``agent/peering_endpoint.go``; the work is the gRPC
``PeeringService`` of ``agent/rpc/peering/service.go``, which the HTTP
handlers call through a gRPC client. Its errors therefore reach the HTTP
answer as gRPC status texts (``rpc error: code = Unknown desc = ...``),
a 500, or a 403 when the text names a permission problem
(``agent/http.go`` ``handleErr``). Reads and lists block on the peering
table's index; an unknown name is a 404 and keeps a blocking read waiting.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import time
from typing import TYPE_CHECKING

from ..state.errors import RPCError
from ..state.golang import multierror
from ..state.gotypes import STRING, Map, Slice, struct
from ..state.peering import Peering, decode_token, validate_meta, validate_peer_name, validate_token
from .context import Ctx
from .errors import BadRequest, NotFound
from .reply import Reply, empty_reply, json_reply
from .routes import Routes

if TYPE_CHECKING:
    from ..state.datacenter import Datacenter

routes = Routes()

#: ``api.PeeringGenerateTokenRequest``.
GENERATE_TOKEN_REQUEST = struct(
    "api.PeeringGenerateTokenRequest",
    PeerName=STRING,
    Partition=STRING,
    Meta=Map(STRING),
    ServerExternalAddresses=Slice(STRING),
)

#: ``api.PeeringEstablishRequest``.
ESTABLISH_REQUEST = struct(
    "api.PeeringEstablishRequest",
    PeerName=STRING,
    PeeringToken=STRING,
    Partition=STRING,
    Meta=Map(STRING),
)

#: ``establishmentTimeout`` and the wait between two tries of ``retryExchange``.
ESTABLISHMENT_TIMEOUT = 3.0
RETRY_WAIT = 0.15


def _local_dc(ctx: Ctx) -> Datacenter:
    """The agent's own datacenter: the peering service ignores ``?dc``.

    The HTTP handlers parse it, but the gRPC calls they make are forwarded
    within the local datacenter only (``service.go``'s
    ``emptyDCSpecificRequest`` and ``writeRequest``).
    """
    return ctx.agent.datacenters[ctx.agent.config.datacenter]


def grpc_error(message: str, code: str = "Unknown") -> RPCError:
    """An error of the peering service as its gRPC client reports it."""
    return RPCError(f"rpc error: code = {code} desc = {message}")


def _check_partition(partition: str) -> None:
    """``EnterpriseCheckPartitions`` (``peering_backend_ce.go``): only ``default`` in CE."""
    if partition and partition.lower() != "default":
        raise grpc_error("Partitions are a Consul Enterprise feature", "InvalidArgument")


def _require_peering(ctx: Ctx, write: bool) -> None:
    """``PeeringReadAllowed`` / ``PeeringWriteAllowed`` on the request's token."""
    try:
        authz = ctx.authz
        if write:
            ctx.require(authz.peering_write(), "peering:write")
        else:
            ctx.require(authz.peering_read(), "peering:read")
    except RPCError as exc:
        raise grpc_error(str(exc)) from None


def _server_addresses(ctx: Ctx) -> list[str]:
    """``serverAddresses`` (``peering_backend.go``): the servers' gRPC addresses.

    Each ``consul`` instance's node address (its ``wan`` tagged address if it
    has one) joined to its ``grpc_tls_port``, or else its ``grpc_port``.
    """
    _, instances = _local_dc(ctx).catalog.service_nodes("consul")
    addresses = []
    for service, node in instances:
        meta = service["ServiceMeta"] or {}
        address = (node["TaggedAddresses"] or {}).get("wan") or node["Address"]
        for key in ("grpc_tls_port", "grpc_port"):
            port = meta.get(key, "")
            if port.isdigit() and int(port) > 0:
                addresses.append(f"{address}:{port}")
                break
    if not addresses:
        raise grpc_error("a grpc bind port must be specified in the configuration for all servers")
    return addresses


def _tls_materials(ctx: Ctx, *, generating_token: bool) -> tuple[str, list[str]]:
    """``GetTLSMaterials``: the peering server name and the CA's root certificates.

    A token needs gRPC over TLS: its port (``ports.grpc_tls``, 8503 in dev).
    """
    if generating_token and ctx.agent.config.grpc_tls_port <= 0:
        raise grpc_error("TLS for gRPC must be enabled when generating peering tokens")
    dc = _local_dc(ctx)
    ca = dc.ca
    server_name = f"server.{dc.name}.peering.{ca.trust_domain}"
    pems = [r.root_cert if r.root_cert.endswith("\n") else r.root_cert + "\n" for r in ca.roots]
    return server_name, pems


@routes("/v1/peering/token", "POST")
async def peering_generate_token(ctx: Ctx) -> Reply:
    """``PeeringGenerateToken``: a token for a peer to dial this cluster with.

    Writes (or keeps) the accepting peering, ``PENDING``, with a new
    establishment secret; the token carries the CA, the servers' gRPC
    addresses, the server name, the peering's ID and the secret.
    """
    args = await ctx.decode(GENERATE_TOKEN_REQUEST, "Body decoding failed: ")
    name = args.get("PeerName") or ""
    if not name:
        raise BadRequest("PeerName is required in the payload when generating a new peering token.")
    ctx.check_enterprise_meta(namespace=False)
    partition = args.get("Partition") or ""
    _check_partition(partition)
    meta = args.get("Meta") or {}
    try:
        validate_peer_name(name)
        validate_meta(meta)
    except RPCError as exc:
        raise grpc_error(str(exc)) from None
    dc = _local_dc(ctx)
    _require_peering(ctx, write=True)
    server_name, pems = _tls_materials(ctx, generating_token=True)
    try:
        dc.peerings.validate_peer(name, dial=False)
    except RPCError as exc:
        raise grpc_error(str(exc)) from None
    try:
        peering, secret = dc.peerings.generate_token(name, meta, dc.apply())
    except RPCError as exc:
        raise grpc_error(f"failed to write peering: {exc}") from None
    token = {
        "CA": pems,
        "ManualServerAddresses": args.get("ServerExternalAddresses"),
        "ServerAddresses": _server_addresses(ctx),
        "ServerName": server_name,
        "PeerID": peering.ID,
        "EstablishmentSecret": secret,
        "Remote": {"Partition": partition or "default", "Datacenter": dc.name, "Locality": None},
    }
    # EncodeToken: json.Marshal (compact), then standard base64.
    encoded = base64.b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()
    return json_reply({"PeeringToken": encoded})


@routes("/v1/peering/establish", "POST")
async def peering_establish(ctx: Ctx) -> Reply:
    """``PeeringEstablish``: dial the peer named in a token and exchange its secret.

    The dialing peering is written first (``PENDING``, with the peer's
    addresses); then the secret exchange needs the peer's gRPC peering
    service, which this agent does not speak to: the exchange fails as with
    an unreachable peer, after Consul's establishment timeout.
    """
    args = await ctx.decode(ESTABLISH_REQUEST, "Body decoding failed: ")
    name = args.get("PeerName") or ""
    if not name:
        raise BadRequest("PeerName is required in the payload when establishing a peering.")
    raw_token = args.get("PeeringToken") or ""
    if not raw_token:
        raise BadRequest("PeeringToken is required in the payload when establishing a peering.")
    ctx.check_enterprise_meta(namespace=False)
    meta = args.get("Meta") or {}
    try:
        validate_peer_name(name)
        token = decode_token(raw_token)
        validate_token(token)
        validate_meta(meta)
    except RPCError as exc:
        raise grpc_error(str(exc)) from None
    dc = _local_dc(ctx)
    _require_peering(ctx, write=True)
    server_name, _ = _tls_materials(ctx, generating_token=False)
    # validatePeeringLocality: a token of this very cluster.
    if token.get("ServerName") == server_name:
        raise grpc_error(
            f'cannot create a peering within the same cluster "{server_name}". Refer to the '
            "`exported-services` documentation if you want to export between partitions "
            "without peering"
        )
    try:
        dc.peerings.validate_peer(name, dial=True)
    except RPCError as exc:
        raise grpc_error(str(exc)) from None
    try:
        peering = dc.peerings.establish(name, meta, token, dc.apply())
    except RPCError as exc:
        raise grpc_error(f"failed to write peering: {exc}") from None
    raise grpc_error(await _exchange_secret(ctx, peering))


async def _exchange_secret(ctx: Ctx, peering: Peering) -> str:
    """``retryExchange`` against a peer that never answers: the text of its dial errors.

    Every ``RETRY_WAIT`` (with Consul's 25% jitter) the next address is
    tried, until ``ESTABLISHMENT_TIMEOUT`` has passed.
    """
    # GetAddressesToDial: the addresses given by hand, else the servers'.
    addresses = peering.ManualServerAddresses or peering.PeerServerAddresses
    deadline = time.monotonic() + ESTABLISHMENT_TIMEOUT
    errors = []
    attempt = 0
    while True:
        address = addresses[attempt % len(addresses)]
        attempt += 1
        errors.append(
            f'failed to exchange peering secret through address "{address}": rpc error: '
            'code = Unavailable desc = connection error: desc = "transport: Error while '
            f'dialing: dial tcp {address}: connect: connection refused"'
        )
        # retry.NewJitter(25): up to a quarter of the wait taken off, at random.
        await asyncio.sleep(RETRY_WAIT * (1 - ctx.agent.random.random() * 0.25))
        if time.monotonic() >= deadline:
            break
    return multierror(errors)


@routes("/v1/peerings", "GET")
async def peering_list(ctx: Ctx) -> Reply:
    """``PeeringList``: every peering (``peering:read``); blocks on the peering table."""
    ctx.check_enterprise_meta(namespace=False)
    ctx.check_consistency()
    dc = _local_dc(ctx)
    _require_peering(ctx, write=False)
    store = dc.peerings

    def render(index: int, peerings: list[Peering]) -> Reply:
        ctx.set_meta(index)
        return json_reply([p.to_api() for p in peerings])

    return ctx.blocking_reply(store.listing, render, shared=True, dc=dc)


@routes("/v1/peering/", "GET", "DELETE")
async def peering_endpoint(ctx: Ctx) -> Reply:
    """``PeeringEndpoint``: read (``GET``, blocking) or delete (``DELETE``) one peering."""
    name = ctx.tail
    if not name:
        raise BadRequest("Must specify a name to fetch.")
    ctx.check_enterprise_meta(namespace=False)
    if ctx.method == "DELETE":
        return _delete(ctx, name)
    ctx.check_consistency()
    dc = _local_dc(ctx)
    _require_peering(ctx, write=False)
    store = dc.peerings

    def render(index: int, peering: Peering | None) -> Reply:
        if peering is None:
            raise NotFound(f'Peering not found for "{name}"')
        ctx.set_meta(index)
        return json_reply(peering.to_api())

    return ctx.blocking_reply(
        lambda: store.get(name), render, not_found=lambda p: p is None, shared=True, dc=dc
    )


def _delete(ctx: Ctx, name: str) -> Reply:
    """``peeringDelete``: mark the peering ``DELETING``; the leader then removes it.

    The answer is a 200 with no body, whether or not the peering existed.
    Consul's leader (``leader_peering.go``) deletes the peering's imported
    data and then the peering, moments after; here it is removed on the
    agent's next turn of its loop.
    """
    dc = _local_dc(ctx)
    _require_peering(ctx, write=True)
    store = dc.peerings
    now = datetime.datetime.now(datetime.UTC)
    if store.mark_deleted(name, dc.apply(), now):
        dc.call_later(0, lambda: store.remove(name, dc.apply()))
    return empty_reply()
