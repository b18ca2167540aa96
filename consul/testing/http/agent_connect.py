"""``/v1/agent/connect``: authorize a connection, the CA roots, leaf certificates.

Handlers follow ``agent/agent_endpoint.go`` (``AgentConnectAuthorize``,
``AgentConnectCARoots``, ``AgentConnectCALeafCert``) and
``agent/connect_authz.go`` (``ConnectAuthorize``); client certificate URIs
are read as ``agent/connect/uri.go`` reads SPIFFE IDs.

The embedded agent has no intentions yet: authorization always falls to the
default decision (``Default behavior configured by ACLs``). The roots and
leaf certificates come from the datacenter's CA (``state/ca.py``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..state.gotypes import STRING, struct
from .context import Ctx
from .errors import BadRequest
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: ``structs.ConnectAuthorizeRequest`` in Consul CE (no namespace, no partition).
CONNECT_AUTHORIZE_REQUEST = struct(
    "structs.ConnectAuthorizeRequest",
    Target=STRING,
    ClientCertURI=STRING,
    ClientCertSerial=STRING,
)

#: The SPIFFE ID paths of ``agent/connect/uri.go``: services first, then the rest.
_SERVICE = re.compile(r"(?:/ap/([^/]+))?/ns/([^/]+)/dc/([^/]+)/svc/([^/]+)")
_OTHERS = (
    re.compile(r"(?:/ap/([^/]+))?/agent/client/dc/([^/]+)/id/([^/]+)"),
    re.compile(r"/agent/server/dc/([^/]+)"),
    re.compile(r"(?:/ap/([^/]+))?/gateway/mesh/dc/([^/]+)"),
)

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def spiffe_kind(uri: str) -> str | None:
    """``service``, ``other`` (an agent, server, gateway or signing ID), or None if not SPIFFE.

    ``connect.ParseCertURIFromString``: the scheme must be ``spiffe`` and the
    raw path one of the known forms (each part must unescape), or empty with
    a dotted trust domain (a signing ID).
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme != "spiffe":
        return None
    path = parts.path
    matched = _SERVICE.fullmatch(path)
    kind = "service"
    if matched is None:
        kind = "other"
        matched = next((m for r in _OTHERS if (m := r.fullmatch(path))), None)
    if matched is None:
        host = parts.netloc
        return "other" if not path and host.find(".") > 0 else None
    if any(group and _BAD_ESCAPE.search(group) for group in matched.groups()):
        return None  # url.PathUnescape refuses it
    return kind


@routes("/v1/agent/connect/authorize", "POST")
async def agent_connect_authorize(ctx: Ctx) -> Reply:
    """``AgentConnectAuthorize``: may ``ClientCertURI``'s service connect to ``Target``?

    Needs ``service:write`` on the target. With no intention to match, the
    default decision: allowed with ACLs off or ``default_policy = "allow"``.
    """
    ctx.check_enterprise_meta()
    args = await ctx.decode(CONNECT_AUTHORIZE_REQUEST)
    target = args.get("Target", "")
    if not target:
        raise BadRequest("Target service must be specified")
    kind = spiffe_kind(args.get("ClientCertURI", ""))
    if kind is None:
        raise BadRequest("ClientCertURI not a valid Connect identifier")
    if kind != "service":
        raise BadRequest("ClientCertURI not a valid Service identifier")
    authz = ctx.authz
    ctx.require(authz.service_write(target), "service:write", target)
    ctx.headers["X-Cache"] = "MISS"
    return json_reply(
        {
            "Authorized": authz.intention_default_allow(),
            "Reason": "Default behavior configured by ACLs",
        }
    )


@routes("/v1/agent/connect/ca/roots", "GET")
async def agent_connect_ca_roots(ctx: Ctx) -> Reply:
    """``AgentConnectCARoots``: the CA roots, as ``/v1/connect/ca/roots`` has them (blocking)."""
    ctx.check_consistency()
    ca = ctx.dc.ca
    index, roots = await ctx.blocking(lambda: (ca.roots_index, ca.roots_json()))
    ctx.set_meta(index)
    ctx.headers["X-Cache"] = "MISS"
    return json_reply(roots)


@routes("/v1/agent/connect/ca/leaf/", "GET")
async def agent_connect_ca_leaf(ctx: Ctx) -> Reply:
    """``AgentConnectCALeafCert``: the service's leaf certificate (``service:write``, blocking).

    A blocking query returns when the certificate is replaced: a new root
    was made active.
    """
    ctx.check_enterprise_meta()
    ctx.check_consistency()
    service = ctx.tail
    ctx.require(ctx.authz.service_write(service), "service:write", service)
    ca = ctx.dc.ca
    index, issued = await ctx.blocking(lambda: ca.leaf(service))
    ctx.set_index(index)
    ctx.headers["X-Cache"] = "MISS"
    return json_reply(issued)
