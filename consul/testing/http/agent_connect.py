"""``/v1/agent/connect``: authorize a connection, the CA roots, leaf certificates.

Handlers follow ``agent/agent_endpoint.go`` (``AgentConnectAuthorize``,
``AgentConnectCARoots``, ``AgentConnectCALeafCert``) and
``agent/connect_authz.go`` (``ConnectAuthorize``); client certificate URIs
are read as ``agent/connect/uri.go`` reads SPIFFE IDs.

Authorization matches the target's intentions (``state/intentions.py``) as
``AgentConnectAuthorize`` does; the roots and leaf certificates come from
the datacenter's CA (``state/ca.py``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from ..state import intentions as ixns
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


def parse_spiffe(uri: str) -> tuple[str, tuple[str, ...]] | None:
    """The kind of a SPIFFE ID and its parts, or None if it is not one Consul knows.

    ``connect.ParseCertURIFromString``: the scheme must be ``spiffe`` and the
    raw path one of the known forms (each part must unescape), or empty with
    a dotted trust domain (a signing ID). The kind is ``service`` (its
    parts: partition, namespace, datacenter, service, unescaped) or
    ``other`` (an agent, server, gateway or signing ID).
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
        return ("other", ()) if not path and host.find(".") > 0 else None
    if any(group and _BAD_ESCAPE.search(group) for group in matched.groups()):
        return None  # url.PathUnescape refuses it
    return kind, tuple(unquote(group or "") for group in matched.groups())


@routes("/v1/agent/connect/authorize", "POST")
async def agent_connect_authorize(ctx: Ctx) -> Reply:
    """``AgentConnectAuthorize``: may ``ClientCertURI``'s service connect to ``Target``?

    Needs ``service:write`` on the target. The highest-precedence intention
    to the target whose source matches the certificate's service decides
    (one with L7 permissions denies: they need a request to judge); with
    none, ``default_intention_policy`` if set, else the ACL default:
    allowed with ACLs off or ``default_policy = "allow"``
    (``agent/agent_endpoint.go``).
    """
    ctx.check_enterprise_meta()
    args = await ctx.decode(CONNECT_AUTHORIZE_REQUEST)
    target = args.get("Target", "")
    if not target:
        raise BadRequest("Target service must be specified")
    parsed = parse_spiffe(args.get("ClientCertURI", ""))
    if parsed is None:
        raise BadRequest("ClientCertURI not a valid Connect identifier")
    kind, groups = parsed
    if kind != "service":
        raise BadRequest("ClientCertURI not a valid Service identifier")
    _, namespace, _, service = groups
    authz = ctx.authz
    ctx.require(authz.service_write(target), "service:write", target)
    # The intentions come from Intention.Match with the request's token.
    ctx.require(authz.intention_read(target), "intention:read", target)
    ctx.headers["X-Cache"] = "MISS"
    matched = ixns.match(ctx.dc.config_entries, "destination", target)
    allowed, intention = ixns.decide(
        matched, service, "Source", authz.intention_default_allow(), namespace=namespace
    )
    policy = ctx.agent.config.default_intention_policy
    if intention is None and policy:
        allowed, reason = policy == "allow", "Default intention policy"
    elif intention is None:
        reason = "Default behavior configured by ACLs"
    elif intention["Permissions"]:
        reason = f"Matched L7 intention: {ixns.describe(intention)}"
    else:
        reason = f"Matched L4 intention: {ixns.describe(intention)}"
    return json_reply({"Authorized": allowed, "Reason": reason})


@routes("/v1/agent/connect/ca/roots", "GET")
async def agent_connect_ca_roots(ctx: Ctx) -> Reply:
    """``AgentConnectCARoots``: the CA roots, as ``/v1/connect/ca/roots`` has them (blocking)."""
    ctx.check_consistency()
    ca = ctx.dc.ca

    def render(index: int, roots: dict[str, Any]) -> Reply:
        ctx.set_meta(index)
        ctx.headers["X-Cache"] = "MISS"
        return json_reply(roots)

    return ctx.blocking_reply(lambda: (ca.roots_index, ca.roots_json()), render, shared=True)


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

    def render(index: int, issued: dict[str, Any]) -> Reply:
        ctx.set_index(index)
        ctx.headers["X-Cache"] = "MISS"
        return json_reply(issued)

    return ctx.blocking_reply(lambda: ca.leaf(service), render, shared=True)
