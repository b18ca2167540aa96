"""``/v1/discovery-chain``: a service's compiled discovery chain (Consul docs: *Discovery Chain*).

The handler follows ``agent/discovery_chain_endpoint.go``
(``DiscoveryChainRead``), the RPC ``agent/consul/discovery_chain_endpoint.go``
(``DiscoveryChain.Get``: ``service:read`` on the service, a blocking query
that does not wake while the compiled chain stays the same, and waits as
for a missing result while no entry is involved). The compiler is
:mod:`consul.testing.state.discoverychain`.
"""

from __future__ import annotations

from typing import Any

from ..state.configentries.decode import MapDecodeError, weak_decode
from ..state.configentries.types import MESH_GATEWAY
from ..state.discoverychain import CompileRequest, service_chain
from ..state.gojson import DecodeError, json_kind
from ..state.gotypes import DURATION, STRING, struct
from .cache import refreshed_reply
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: ``discoveryChainReadRequest``: the overrides a ``POST`` body carries.
READ_REQUEST = struct(
    "agent.discoveryChainReadRequest",
    aliases={
        "override_mesh_gateway": "OverrideMeshGateway",
        "override_protocol": "OverrideProtocol",
        "override_connect_timeout": "OverrideConnectTimeout",
    },
    OverrideMeshGateway=MESH_GATEWAY,
    OverrideProtocol=STRING,
    OverrideConnectTimeout=DURATION,
)

#: The agent's cache type of the chain (``cachetype.CompiledDiscoveryChainName``).
CACHE_TYPE = "compiled-discovery-chain"


async def _overrides(ctx: Ctx) -> dict[str, Any]:
    """A ``POST`` body, decoded as ``decodeDiscoveryChainReadRequest`` does (weakly)."""
    try:
        raw = await ctx.decode_body()
    except DecodeError as exc:
        raise BadRequest(f"Request decoding failed: {exc}") from None
    if raw is not None and not isinstance(raw, dict):
        raise BadRequest(
            "Request decoding failed: json: cannot unmarshal "
            f"{json_kind(raw)} into Go value of type map[string]interface {{}}"
        )
    try:
        overrides, _ = weak_decode(raw, READ_REQUEST)
    except MapDecodeError as exc:
        raise BadRequest(f"Request decoding failed: {exc}") from None
    mode = overrides["OverrideMeshGateway"]["Mode"]
    if mode not in ("", "none", "local", "remote"):
        raise BadRequest("Invalid OverrideMeshGateway.Mode parameter")
    return overrides


@routes("/v1/discovery-chain/", "GET", "POST")
async def discovery_chain(ctx: Ctx) -> Reply:
    """``DiscoveryChainRead``: ``{"Chain": ...}``, compiled in ``?compile-dc`` if given."""
    ctx.check_consistency()
    name = ctx.tail
    if not name:
        raise BadRequest("Missing chain name")
    compile_dc = ctx.param("compile-dc") or ""
    ctx.check_enterprise_meta()
    overrides: dict[str, Any] = {}
    if ctx.method == "POST":
        overrides = await _overrides(ctx)
    dc = ctx.dc
    ctx.require(ctx.authz.service_read(name), "service:read", name)
    request = CompileRequest(
        name,
        compile_dc or dc.name,
        override_mesh_gateway=overrides.get("OverrideMeshGateway", {}).get("Mode", ""),
        override_protocol=overrides.get("OverrideProtocol", ""),
        override_connect_timeout=overrides.get("OverrideConnectTimeout", 0),
    )

    def query() -> tuple[int, tuple[dict[str, Any], bool]]:
        index, chain, empty = service_chain(dc, request)
        return index, (chain, empty)

    def render(index: int, found: tuple[dict[str, Any], bool]) -> Reply:
        # DiscoveryChainRead sets the consistency level of its answer, which
        # setMeta then sends (X-Consul-Effective-Consistency).
        ctx.set_meta(index, consistency=True)
        return json_reply({"Chain": found[0]})

    # DiscoveryChain.Get (agent/consul/discovery_chain_endpoint.go) hashes the
    # compiled chain: the same one again is errNotChanged, a chain of no
    # entries errNotFound.
    return refreshed_reply(
        ctx,
        CACHE_TYPE,
        query,
        render,
        not_found=lambda found: found[1],
        unchanged=lambda previous, found: previous[0] == found[0],
        body=(
            request.override_mesh_gateway,
            request.override_protocol,
            request.override_connect_timeout,
        ),
    )
