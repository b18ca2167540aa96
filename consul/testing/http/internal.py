"""``/v1/internal/service-virtual-ip``: a service's manual virtual IPs.

The one internal endpoint Go's client reaches (``Internal.AssignServiceVirtualIP``
in ``api/internal.go``). The HTTP side is ``AssignManualServiceVIPs`` in
``agent/catalog_endpoint.go``, the checks are the RPC's
(``Internal.AssignManualServiceVIPs``, ``agent/consul/internal_endpoint.go``)
and the tables :class:`~consul.testing.state.virtualips.VirtualIPStore`.
"""

from __future__ import annotations

from typing import Any

from ..state import structs
from ..state.errors import RPCError
from ..state.gojson import DecodeError
from ..state.virtualips import ServiceVirtualIP, check_manual_ips
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, json_reply
from .routes import Routes

__all__ = ["routes"]

routes = Routes()


def _peered_service_name(row: ServiceVirtualIP) -> dict[str, Any]:
    """``structs.PeeredServiceName`` as JSON (Consul CE's ``EnterpriseMeta`` has no fields)."""
    return {"ServiceName": {"Name": row.service}, "Peer": row.peer}


@routes("/v1/internal/service-virtual-ip", "PUT")
async def assign_service_virtual_ip(ctx: Ctx) -> Reply:
    """``AssignManualServiceVIPs``: give a service manual virtual IPs (``mesh:write``).

    The datacenter is the body's ``Datacenter`` (the handler reads no
    ``?dc``). An assignment that would change nothing takes no index.
    """
    ctx.check_enterprise_meta()
    try:
        args = await ctx.decode_body(structs.ASSIGN_SERVICE_MANUAL_VIPS_REQUEST)
    except DecodeError as exc:
        message = str(exc)  # rewordUnknownEnterpriseFieldError
        if message == 'json: unknown field "Namespace"':
            message += " - Namespaces are a Consul Enterprise feature"
        raise BadRequest(f"Request decode failed: {message}") from None
    dc = ctx.agent.datacenters.get(args.get("Datacenter") or ctx.agent.config.datacenter)
    if dc is None:
        raise RPCError("No path to datacenter")
    ctx.require(ctx.authz.mesh_write(), "mesh:write")
    ips = check_manual_ips(list(args.get("ManualVIPs") or []))
    service = args.get("Service", "")
    existing = dc.virtual_ips.lookup(service)
    if existing is not None and set(existing.manual_ips or ()) == set(ips):
        return json_reply({"Found": True, "UnassignedFrom": None})
    found, unassigned = dc.virtual_ips.assign_manual(dc.apply(), service, ips)
    return json_reply(
        {
            "Found": found,
            "UnassignedFrom": [_peered_service_name(row) for row in unassigned] or None,
        }
    )
