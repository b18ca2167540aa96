"""``/v1/connect/ca``: the Connect CA's roots and configuration.

Handlers follow ``agent/connect_ca_endpoint.go`` (``ConnectCARoots``,
``ConnectCAConfiguration``) and the RPCs of
``agent/consul/connect_ca_endpoint.go``: the roots need no ACL and block;
the configuration needs ``operator:write`` even to read (it may hold the
provider's secrets) and does not block.
"""

from __future__ import annotations

from typing import Any

from ..state.ca import CAConfigError
from ..state.golang import parse_bool
from ..state.gotypes import ANY, BOOL, STRING, UINT64, Map, struct
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, empty_reply, json_reply
from .routes import Routes

routes = Routes()

#: ``structs.CAConfiguration`` as a ``PUT`` body (``ClusterID`` is not JSON).
CA_CONFIGURATION = struct(
    "structs.CAConfiguration",
    aliases={"force_without_cross_signing": "ForceWithoutCrossSigning"},
    Provider=STRING,
    Config=Map(ANY),
    State=Map(STRING),
    ForceWithoutCrossSigning=BOOL,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)

#: ``ConnectCARoots`` answers ``?pem=true`` with this type.
PEM_CHAIN = "application/pem-certificate-chain"


@routes("/v1/connect/ca/roots", "GET")
async def connect_ca_roots(ctx: Ctx) -> Reply:
    """``ConnectCARoots``: every root (``?pem``: their certificates as one PEM chain)."""
    pem = False
    raw = ctx.param("pem")
    if raw:
        parsed = parse_bool(raw)
        if parsed is None:
            raise BadRequest("The 'pem' query parameter must be a boolean value")
        pem = parsed
    ctx.check_consistency()
    dc = ctx.dc
    ca = dc.ca

    def render(index: int, roots: dict[str, Any]) -> Reply:
        ctx.set_meta(index)
        if pem:
            chain = "".join(root["RootCert"] for root in roots["Roots"])
            return Reply(200, chain.encode(), PEM_CHAIN)
        return json_reply(roots)

    return ctx.blocking_reply(lambda: (ca.roots_index, ca.roots_json()), render, shared=True)


@routes("/v1/connect/ca/configuration", "GET", "PUT")
async def connect_ca_configuration(ctx: Ctx) -> Reply:
    """``ConnectCAConfiguration``: read or replace the CA configuration (``operator:write``).

    A ``PUT`` answers 200 with no body; one whose key settings changed makes
    a new active root.
    """
    if ctx.method == "GET":
        ctx.check_consistency()
        dc = ctx.dc
        ctx.require(ctx.authz.operator_write(), "operator:write")
        return json_reply(dc.ca.configuration)
    dc = ctx.dc
    args = await ctx.decode(CA_CONFIGURATION)
    ctx.require(ctx.authz.operator_write(), "operator:write")
    try:
        dc.ca.update(
            args.get("Provider", ""),
            args.get("Config") or {},
            args.get("State"),
            bool(args.get("ForceWithoutCrossSigning")),
        )
    except CAConfigError as exc:
        raise BadRequest(str(exc)) from None
    return empty_reply()
