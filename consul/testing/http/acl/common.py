"""What the ACL endpoints share: the 401 while ACLs are off, ACL checks, links, identities.

After ``agent/acl_endpoint.go`` (the HTTP layer) and
``agent/consul/acl_endpoint.go`` (the RPCs' ``acl:read``/``acl:write``
checks and the validation of links and identities, with their messages).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Container
from typing import Any, TypeVar

from ...state.acl.authorizer import Authorizer
from ...state.acl.objects import RESERVED_PREFIX, Policy, Role, valid_identity_name
from ...state.acl.store import ACLStore
from ...state.errors import RPCError
from ...state.gotypes import Struct
from ...state.structs import NodeIdentity, ServiceIdentity
from ..context import Ctx
from ..errors import BadRequest, HTTPError
from ..reply import Reply, json_reply

__all__ = [
    "decode_write",
    "identities",
    "links",
    "new_id",
    "new_uuid",
    "read_list",
    "read_one",
    "require_acl",
    "require_acl_to_delete",
    "acl_store",
]

T = TypeVar("T")


def acl_store(ctx: Ctx) -> ACLStore:
    """The ACL store, or the 401 every ACL endpoint answers while ACLs are off."""
    store = ctx.agent.acl
    if not store.enabled:
        raise HTTPError(401, "ACL support disabled")
    return store


def require_acl(ctx: Ctx, write: bool) -> Authorizer:
    """``ACLReadAllowed`` / ``ACLWriteAllowed`` for the request's token."""
    authz = ctx.authz
    if write:
        ctx.require(authz.acl_write(), "acl:write")
    else:
        ctx.require(authz.acl_read(), "acl:read")
    return authz


def identities(
    body: dict[str, Any], owner: str, local: bool = False
) -> tuple[list[ServiceIdentity], list[NodeIdentity]]:
    """Validate and dedupe service and node identities (``tokenSetInternal``, ``RoleSet``)."""
    services: dict[str, ServiceIdentity] = {}
    for identity in body.get("ServiceIdentities") or []:
        name = identity.get("ServiceName", "")
        if not name:
            raise RPCError(f"Service identity is missing the service name field on this {owner}")
        datacenters = identity.get("Datacenters") or []
        if local and datacenters:
            raise RPCError(
                f'Service identity "{name}" cannot specify a list of datacenters on a local token'
            )
        if not valid_identity_name(name):
            raise RPCError(
                f'Service identity "{name}" has an invalid name. '
                "Only alphanumeric characters, '-' and '_' are allowed"
            )
        # dedupeServiceIdentities: one per name, datacenters merged and sorted.
        if name in services:
            merged = set(services[name].get("Datacenters") or []) | set(datacenters)
            services[name]["Datacenters"] = sorted(merged)
        else:
            services[name] = {"ServiceName": name}
            if datacenters:
                services[name]["Datacenters"] = sorted(datacenters)
    nodes: list[NodeIdentity] = []
    for identity in body.get("NodeIdentities") or []:
        name = identity.get("NodeName", "")
        if not name:
            raise RPCError(f"Node identity is missing the node name field on this {owner}")
        if not identity.get("Datacenter"):
            raise RPCError(f"Node identity is missing the datacenter field on this {owner}")
        if not valid_identity_name(name):
            raise RPCError(
                "Node identity has an invalid name. "
                "Only alphanumeric characters, '-' and '_' are allowed"
            )
        node: NodeIdentity = {"NodeName": name, "Datacenter": identity["Datacenter"]}
        if node not in nodes:
            nodes.append(node)
    return list(services.values()), nodes


def links(
    links: list[dict[str, Any]],
    noun: str,
    by_name: Callable[[str], Policy | Role | None],
    known: Container[str] | None,
) -> list[str]:
    """Links by ID or name resolved to IDs, deduplicated (``tokenSetInternal``, ``RoleSet``).

    A name must exist; an ID only if ``known`` is given (a role's policy
    links are checked later, by the state store).
    """
    ids: list[str] = []
    for link in links:
        link_id = link.get("ID", "")
        if not link_id:
            name = link.get("Name", "")
            found = by_name(name)
            if found is None:
                raise RPCError(f'No such ACL {noun} with name "{name}"')
            link_id = found.id
        elif known is not None and link_id not in known:
            raise RPCError(f'No such ACL {noun} with ID "{link_id}"')
        if link_id not in ids:
            ids.append(link_id)
    return ids


def new_id(taken: Callable[[str], bool]) -> str:
    """A fresh UUID outside the reserved range that ``taken`` does not claim."""
    while True:
        value = str(uuid.uuid4())
        if not value.startswith(RESERVED_PREFIX) and not taken(value):
            return value


def new_uuid(store: ACLStore) -> str:
    """A fresh token UUID, unused as accessor or secret."""
    return new_id(lambda value: value in store.tokens or store.token_by_secret(value) is not None)


async def decode_write(ctx: Ctx, spec: Struct, prefix: str) -> Any:
    """The body of an ACL write, as ``agent/acl_endpoint.go`` reads it.

    ``parseEntMeta`` first (CE refuses ``?ns`` and ``?partition``), then the
    body, where an unknown ``Namespace`` field gets CE's explanation
    (``rewordUnknownEnterpriseFieldError``, ``agent/http_ce.go``).
    """
    ctx.check_enterprise_meta()
    try:
        return await ctx.decode(spec, prefix)
    except BadRequest as exc:
        if exc.reason.endswith('json: unknown field "Namespace"'):
            raise BadRequest(f"{exc.reason} - Namespaces are a Consul Enterprise feature") from None
        raise


def require_acl_to_delete(ctx: Ctx, noun: str) -> None:
    """``ACLWriteAllowed`` before a delete: an unknown token is a 404 naming ``noun``.

    The namespace and partition are checked first (``parseEntMeta``).
    """
    ctx.check_enterprise_meta()
    try:
        require_acl(ctx, write=True)
    except RPCError as exc:
        if "ACL not found" in str(exc):
            raise HTTPError(404, f"Cannot find {noun} to delete") from None
        raise


def read_list(ctx: Ctx, listing: Callable[[], tuple[int, Any]]) -> Reply:
    """A blocking list of ACL objects (``acl:read``), answered with the query meta.

    ``listing`` returns its table's index and the JSON of what it lists.
    """
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    require_acl(ctx, write=False)

    def render(index: int, found: Any) -> Reply:
        ctx.set_meta(index)
        return json_reply(found)

    return ctx.blocking_reply(listing, render, shared=True)


def read_one(
    ctx: Ctx,
    index: Callable[[], int],
    find: Callable[[], T | None],
    noun: str,
    answer: Callable[[T], Reply],
) -> Reply:
    """A blocking read of one ACL object (``acl:read``); 404 if there is none.

    ``index`` is its table's index and ``find`` the object (None if absent);
    ``answer(found)`` makes the reply.
    """
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    require_acl(ctx, write=False)

    def render(index_now: int, found: T | None) -> Reply:
        ctx.set_meta(index_now)
        if found is None:
            raise HTTPError(404, f"Requested {noun} does not exist: ACL not found")
        return answer(found)

    return ctx.blocking_reply(
        lambda: (index(), find()), render, not_found=lambda item: item is None, shared=True
    )
