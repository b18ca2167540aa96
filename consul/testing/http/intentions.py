"""``/v1/connect/intentions``: intentions (Consul docs: *Connect - Intentions*).

Handlers follow ``agent/intentions_endpoint.go`` (``IntentionList``,
``IntentionCreate``, ``IntentionMatch``, ``IntentionCheck``,
``IntentionGetExact``, ``IntentionPutExact``, ``IntentionDeleteExact``,
``IntentionSpecific*``) and the RPCs of ``agent/consul/intention_endpoint.go``
(``Intention.Apply``, ``Get``, ``List``, ``Match``, ``Check``). Intentions
are stored as ``service-intentions`` configuration entries
(:mod:`consul.testing.state.intentions`): every write goes to the primary
datacenter, which the others copy.

The ID-based endpoints are Consul's deprecated legacy API: they still
work, on the sources they created (those with a ``LegacyID``), and refuse
an entry once it was written as a configuration entry.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

from ..state import intentions as ixns
from ..state.acl.authorizer import Authorizer
from ..state.acl.objects import format_time
from ..state.configentries import ConfigEntryStore
from ..state.configentries.service_intentions import JWT_REQUIREMENT, PERMISSION
from ..state.datacenter import Datacenter
from ..state.errors import RPCError
from ..state.gojson import DecodeError
from ..state.golang import multierror, quote
from ..state.gotypes import INT, STRING, UINT64, Map, Ptr, Slice, struct
from .config import announce
from .context import Ctx
from .errors import BadRequest, HTTPError, NotFound
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: ``structs.Intention`` as a request body decodes it (``lib.DecodeJSON``).
INTENTION_REQUEST = struct(
    "structs.Intention",
    ID=STRING,
    Description=STRING,
    SourcePeer=STRING,
    SourceSamenessGroup=STRING,
    SourceNS=STRING,
    SourceName=STRING,
    DestinationNS=STRING,
    DestinationName=STRING,
    SourcePartition=STRING,
    DestinationPartition=STRING,
    SourceType=STRING,
    Action=STRING,
    Permissions=Slice(Ptr(PERMISSION)),
    JWT=Ptr(JWT_REQUIREMENT),
    DefaultAddr=STRING,
    DefaultPort=INT,
    Meta=Map(STRING),
    Precedence=INT,
    # Intention.UnmarshalJSON takes these as any text (and ignores the times).
    CreatedAt=STRING,
    UpdatedAt=STRING,
    Hash=STRING,
    CreateIndex=UINT64,
    ModifyIndex=UINT64,
)

#: ``ErrIntentionNotFound`` (``agent/consul/intention_endpoint.go``).
NOT_FOUND = "Intention not found"
PERMISSION_DENIED = "Permission denied"


# -- names in query parameters ---------------------------------------------------------


def _component(text: str, allow_peer: bool) -> tuple[str, str, str, str]:
    """``parseIntentionStringComponent``: (peer, partition, namespace, name) of a name.

    ``name``, ``namespace/name``, ``partition/namespace/name``, or with
    ``allow_peer``: ``peer:name/name`` and ``peer:name/namespace/name``.
    Raises ValueError with Consul's text.
    """
    if text.startswith("peer:") and not allow_peer:
        raise ValueError("cannot specify a peer here")
    parts = text.split("/")
    if len(parts) == 1:
        if parts[0].startswith("peer:"):
            raise ValueError("need to specify the service name as well")
        return "", "", "", parts[0]
    if len(parts) == 2:
        if parts[0].startswith("peer:"):
            return parts[0][5:], "", "", parts[1]
        return "", "", parts[0], parts[1]
    if len(parts) == 3:
        if parts[0].startswith("peer:"):
            return parts[0][5:], "", parts[1], parts[2]
        return "", parts[0], parts[1], parts[2]
    raise ValueError("input can contain at most two '/'")


def _parsed(ctx: Ctx, param: str, allow_peer: bool, what: str = "") -> tuple[str, str, str, str]:
    """One required query parameter, parsed: a 500 with Consul's text when it is not right."""
    values = ctx.params(param)
    if len(values) != 1:
        raise RPCError(f"required query parameter '{param}' not set")
    try:
        return _component(values[0], allow_peer)
    except ValueError as exc:
        raise RPCError(f"{what or param} {quote(values[0])} is invalid: {exc}") from None


def _namespace_ok(namespace: str) -> bool:
    """``validateEnterpriseIntentionNamespace`` in Consul CE: only ``default`` (or none)."""
    return namespace.lower() in ("", ixns.DEFAULT_NAMESPACE)


def _enterprise_namespace(namespace: str, context: str) -> None:
    if not _namespace_ok(namespace):
        raise RPCError(f"{context} {quote(namespace)}: Namespaces is a Consul Enterprise feature")


# -- ACLs --------------------------------------------------------------------------------


def can_read(authz: Authorizer, intention: dict[str, Any]) -> bool:
    """``Intention.CanRead``: ``intention:read`` on its source (unless a peer's) or destination."""
    source = intention["SourceName"] if not intention["SourcePeer"] else ""
    return any(
        name and authz.intention_read(name) for name in (source, intention["DestinationName"])
    )


def can_write(authz: Authorizer, destination: str) -> bool:
    """``Intention.CanWrite``: ``intention:write`` on the destination, which must be named.

    Without a destination it is false even with ACLs off (a legacy create
    without ``DestinationName`` is a 403).
    """
    return bool(destination) and authz.intention_write(destination)


def default_allow(ctx: Ctx, authz: Authorizer) -> bool:
    """``DefaultIntentionAllow`` (``agent/consul/util.go``): with no intention, allowed?

    ``default_intention_policy`` if set, else the ACL default policy.
    """
    policy = ctx.agent.config.default_intention_policy
    return policy == "allow" if policy else authz.intention_default_allow()


# -- reads -------------------------------------------------------------------------------


@routes("/v1/connect/intentions", "GET", "POST")
async def intentions(ctx: Ctx) -> Reply:
    """``IntentionEndpoint``: list (``GET``) or create a legacy intention (``POST``)."""
    if ctx.method == "POST":
        return await _create(ctx)
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    dc = ctx.dc
    authz = ctx.authz

    def query() -> tuple[int, list[dict[str, Any]]]:
        store = dc.config_entries
        return store.kind_index(ixns.KIND), ixns.listed(store)

    def render(_: int, found: list[dict[str, Any]]) -> Reply:
        ctx.set_meta(dc.config_entries.index)
        # Consul filters by ?filter first, then by ACLs, so that the ACL header
        # counts only what the token was refused.
        matching = ctx.filter(found, ixns.INTENTION)
        readable = [i for i in matching if can_read(authz, i)]
        ctx.set_filtered(len(readable) != len(matching))
        return json_reply([ixns.encode(i) for i in readable])

    return ctx.blocking_reply(query, render, shared=True)


@routes("/v1/connect/intentions/match", "GET")
async def intention_match(ctx: Ctx) -> Reply:
    """``IntentionMatch``: for each ``name``, the intentions matching it as ``by``, by precedence.

    Needs ``intention:read`` on every name; blocks (with ``?index``) until
    at least one name has a match.
    """
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    by_values = ctx.params("by")
    if len(by_values) != 1:
        raise RPCError("required query parameter 'by' not set")
    by = by_values[0]
    if by not in ("source", "destination"):
        raise RPCError("'by' parameter must be one of 'source' or 'destination'")
    names = ctx.params("name")
    if not names:
        raise RPCError("required query parameter 'name' not set")
    entries = []
    for raw in names:
        try:
            _, partition, namespace, name = _component(raw, allow_peer=False)
        except ValueError as exc:
            raise RPCError(f"name {quote(raw)} is invalid: {exc}") from None
        entries.append((partition, namespace, name))
    dc = ctx.dc
    authz = ctx.authz
    for partition, namespace, _ in entries:
        _enterprise_namespace(namespace, "Invalid match entry namespace")
        if partition.lower() not in ("", "default"):
            raise RPCError(
                f"Invalid match entry partition {quote(partition)}: "
                "Partitions is a Consul Enterprise feature"
            )
    for _, _, name in entries:
        if name:
            ctx.require(authz.intention_read(name), "intention:read", name)

    def query() -> tuple[int, list[list[dict[str, Any]]]]:
        store = dc.config_entries
        return store.kind_index(ixns.KIND), [ixns.match(store, by, n) for _, _, n in entries]

    def render(_: int, matches: list[list[dict[str, Any]]]) -> Reply:
        ctx.set_meta(dc.config_entries.index)
        # An empty match is a nil slice in Go: JSON null.
        return json_reply(
            {
                raw: [ixns.encode(i) for i in found] or None
                for raw, found in zip(names, matches, strict=True)
            }
        )

    # Intention.Match (agent/consul/intention_endpoint.go) hashes the matches:
    # the same ones again are errNotChanged, none at all errNotFound.
    return ctx.blocking_reply(
        query,
        render,
        not_found=lambda found: not any(found),
        unchanged=lambda previous, found: previous == found,
    )


@routes("/v1/connect/intentions/check", "GET")
async def intention_check(ctx: Ctx) -> Reply:
    """``IntentionCheck``: would ``source`` be allowed to connect to ``destination``?

    Needs ``service:read`` on the destination; an L7 intention counts as a
    denial; with no intention, :func:`default_allow` decides.
    """
    ctx.check_consistency()
    ctx.check_enterprise_meta()
    source_type = next(iter(ctx.params("source-type")), "consul")
    sources = ctx.params("source")
    if len(sources) != 1:
        raise RPCError("required query parameter 'source' not set")
    if len(ctx.params("destination")) != 1:
        raise RPCError("required query parameter 'destination' not set")
    source_ns, source = "", sources[0]
    if source_type == "consul":
        _, _, source_ns, source = _parsed(ctx, "source", allow_peer=False)
    _, _, destination_ns, destination = _parsed(ctx, "destination", allow_peer=False)
    dc = ctx.dc
    authz = ctx.authz
    _enterprise_namespace(source_ns, "Invalid source namespace")
    _enterprise_namespace(destination_ns, "Invalid destination namespace")
    if source_type != "consul":
        raise RPCError(f"unsupported SourceType: {quote(source_type)}")
    if destination:
        ctx.require(authz.service_read(destination), "service:read", destination)
    matched = ixns.match(dc.config_entries, "source", source)
    allowed, _ = ixns.decide(
        matched,
        destination,
        "Destination",
        default_allow(ctx, authz),
        namespace=destination_ns or ixns.DEFAULT_NAMESPACE,
    )
    return json_reply({"Allowed": allowed})


def _exact_names(ctx: Ctx) -> tuple[tuple[str, str, str, str], tuple[str, str, str, str]]:
    """``parseIntentionQueryExact``: the source and destination of a write (both non-empty)."""
    for param in ("source", "destination"):
        values = ctx.params(param)
        if len(values) != 1 or not values[0]:
            raise RPCError(f"required query parameter '{param}' not set")
    return _parsed(ctx, "source", False), _parsed(ctx, "destination", False)


@routes("/v1/connect/intentions/exact", "GET", "PUT", "DELETE")
async def intention_exact(ctx: Ctx) -> Reply:
    """``IntentionExact``: read, upsert or delete one intention, by source and destination."""
    if ctx.method == "PUT":
        return await _put_exact(ctx)
    if ctx.method == "DELETE":
        return await _delete_exact(ctx)
    ctx.check_enterprise_meta()
    ctx.check_consistency()
    peer, _, source_ns, source = _parsed(ctx, "source", allow_peer=True)
    _, _, destination_ns, destination = _parsed(ctx, "destination", allow_peer=False)
    dc = ctx.dc
    authz = ctx.authz
    _enterprise_namespace(source_ns, "Invalid SourceNS")
    _enterprise_namespace(destination_ns, "Invalid DestinationNS")
    # IntentionQueryExact.Validate (agent/structs/intention.go); the namespaces are filled.
    missing = [
        f"{field} is missing"
        for field, value in (("SourceName", source), ("DestinationName", destination))
        if not value
    ]
    if missing:
        raise RPCError(multierror(missing))

    def query() -> tuple[int, dict[str, Any] | None]:
        store = dc.config_entries
        found = ixns.get_exact(store, source, destination, peer)
        return store.entry_index(ixns.KIND, destination), found

    return ctx.blocking_reply(query, _answer(ctx, dc, authz), shared=True)


def _answer(
    ctx: Ctx, dc: Datacenter, authz: Authorizer
) -> Callable[[int, dict[str, Any] | None], Reply]:
    """``Intention.Get``'s answer (a blocking read's render): 404 if none, 403 if not readable."""

    def render(_: int, found: dict[str, Any] | None) -> Reply:
        ctx.set_meta(dc.config_entries.index)
        if found is None:
            raise NotFound(NOT_FOUND)
        if not can_read(authz, found):
            raise RPCError(PERMISSION_DENIED)
        return json_reply(ixns.encode(found))

    return render


@routes("/v1/connect/intentions/", "GET", "PUT", "DELETE")
async def intention_specific(ctx: Ctx) -> Reply:
    """``IntentionSpecific``: the legacy intention of this ID (read, update, delete)."""
    legacy_id = ctx.tail
    if ctx.method == "PUT":
        return await _update(ctx, legacy_id)
    if ctx.method == "DELETE":
        return await _delete(ctx, legacy_id)
    ctx.check_consistency()
    dc = ctx.dc
    authz = ctx.authz

    def query() -> tuple[int, dict[str, Any] | None]:
        store = dc.config_entries
        try:
            found = ixns.get_legacy(store, legacy_id) if legacy_id else None
        except RPCError as exc:
            # Consul answers an ID that is not a UUID with a 400 (it looks for "UUID").
            if "UUID" in str(exc):
                raise BadRequest(str(exc)) from None
            raise
        return store.kind_index(ixns.KIND), found[1] if found is not None else None

    return ctx.blocking_reply(query, _answer(ctx, dc, authz), shared=True)


# -- writes ------------------------------------------------------------------------------


def _now() -> str:
    return format_time(datetime.datetime.now(datetime.UTC))


def _check_partitions(args: dict[str, Any]) -> None:
    """The 400s of the legacy writes for a partition in the body."""
    if args.get("DestinationPartition", "") not in ("", "default"):
        raise BadRequest("Cannot specify a destination partition with this endpoint")
    if args.get("SourcePartition", "") not in ("", "default"):
        raise BadRequest("Cannot specify a source partition with this endpoint")


def _fill_namespaces(args: dict[str, Any]) -> None:
    """``FillPartitionAndNamespace``: an empty namespace is ``default``."""
    for field in ("SourceNS", "DestinationNS"):
        if not args.get(field):
            args[field] = ixns.DEFAULT_NAMESPACE


def _apply_checks(args: dict[str, Any]) -> None:
    """What ``Intention.Apply`` refuses first."""
    if args.get("SourcePeer"):
        raise RPCError(
            "SourcePeer field is not supported on this endpoint. Use config entries instead"
        )


def _server_enterprise_checks(args: dict[str, Any]) -> None:
    """``validateEnterpriseIntention`` of the server (Consul CE)."""
    for side, label in (("Source", "source"), ("Destination", "destination")):
        partition = args.get(f"{side}Partition", "")
        if partition.lower() not in ("", "default"):
            raise RPCError(
                f"Invalid {label} partition {quote(partition)}: "
                "Partitions is a Consul Enterprise feature"
            )
        _enterprise_namespace(args[f"{side}NS"], f"Invalid {label} namespace")


def _validate_legacy(args: dict[str, Any]) -> None:
    """``Intention.Validate``: every problem of a legacy intention, as one error."""
    problems = []
    for field in ("SourceNS", "SourceName", "DestinationNS", "DestinationName"):
        if not args.get(field):
            problems.append(f"{field} must be set")
    for ns_field, name_field in (("SourceNS", "SourceName"), ("DestinationNS", "DestinationName")):
        namespace, name = args.get(ns_field, ""), args.get(name_field, "")
        if namespace != "*" and "*" in namespace:
            problems.append(
                f"{ns_field}: wildcard character '*' cannot be used with partial values"
            )
        if name != "*":
            if "*" in name:
                problems.append(
                    f"{name_field}: wildcard character '*' cannot be used with partial values"
                )
            if namespace == "*":
                problems.append(f"{name_field}: exact value cannot follow wildcard namespace")
    if len(args.get("Description", "").encode()) > 512:
        problems.append("Description exceeds maximum length 512")
    meta = args.get("Meta") or {}
    if len(meta) > 64:
        problems.append("Meta exceeds maximum element count 64")
    for key, value in meta.items():
        if len(key.encode()) > 128:
            problems.append(f"Meta key {quote(key)} exceeds maximum length 128")
        if len(value.encode()) > 512:
            problems.append(f"Meta value for key {quote(key)} exceeds maximum length 512")
    if args.get("Action") not in ("allow", "deny"):
        problems.append("Action must be set to 'allow' or 'deny'")
    if args.get("Permissions"):
        problems.append("Permissions must not be set when using the legacy APIs")
    if args.get("SourceType") != "consul":
        problems.append("SourceType must be set to 'consul'")
    if problems:
        raise RPCError(multierror(problems))


async def _decode_intention(ctx: Ctx, prefix: str, status: int) -> dict[str, Any]:
    try:
        args = await ctx.decode_body(INTENTION_REQUEST)
    except DecodeError as exc:
        if status == 500:
            raise RPCError(f"{prefix}{exc}") from None
        raise HTTPError(status, f"{prefix}{exc}") from None
    return dict(args or {})


def _legacy_source(args: dict[str, Any], legacy_id: str) -> dict[str, Any]:
    """The source a legacy write stores, its times now (``UpdateOver`` keeps the creation's)."""
    source = ixns.source_of({**args, "ID": legacy_id}, legacy=True)
    now = _now()
    source["LegacyCreateTime"] = now
    source["LegacyUpdateTime"] = now
    return source


async def _create(ctx: Ctx) -> Reply:
    """``IntentionCreate``: a legacy intention with a new ID; answers ``{"ID": ...}``."""
    ctx.check_enterprise_meta()
    args = await _decode_intention(ctx, "Failed to decode request body: ", 500)
    _check_partitions(args)
    _fill_namespaces(args)
    for field, value in (("SourceNS", args["SourceNS"]), ("DestinationNS", args["DestinationNS"])):
        if not _namespace_ok(value):
            raise BadRequest(f"Invalid {field}({value}): Namespaces is a Consul Enterprise feature")
    core = ctx.agent
    authz = ctx.authz
    _apply_checks(args)
    if not can_write(authz, args.get("DestinationName", "")):
        raise RPCError(PERMISSION_DENIED)
    if args.get("ID"):
        raise RPCError("ID must be empty when creating a new intention")
    legacy_id = str(uuid.uuid4())
    if not args.get("SourceType"):
        args["SourceType"] = "consul"
    _server_enterprise_checks(args)
    _validate_legacy(args)
    primary = core.primary
    ixns.legacy_create(
        primary.config_entries,
        primary.apply(),
        args["DestinationName"],
        _legacy_source(args, legacy_id),
    )
    announce(core)
    return json_reply({"ID": legacy_id})


def _existing_legacy(store: ConfigEntryStore, legacy_id: str, verb: str) -> dict[str, Any]:
    """The legacy intention ``legacy_id`` that an update or delete (``verb``) is about.

    Raises ``Intention lookup failed: ...`` for a bad ID, ``Cannot <verb>
    non-existent intention: '<id>'`` for none (``agent/consul/intention_endpoint.go``).
    """
    try:
        found = ixns.get_legacy(store, legacy_id)
    except RPCError as exc:
        raise RPCError(f"Intention lookup failed: {exc}") from None
    if found is None:
        raise RPCError(f"Cannot {verb} non-existent intention: '{legacy_id}'")
    return found[1]


async def _update(ctx: Ctx, legacy_id: str) -> Reply:
    """``IntentionSpecificUpdate``: replace a legacy intention; answers ``{"ID": ...}``."""
    ctx.check_enterprise_meta()
    args = await _decode_intention(ctx, "Request decode failed: ", 400)
    _check_partitions(args)
    _fill_namespaces(args)
    core = ctx.agent
    authz = ctx.authz
    _apply_checks(args)
    store = core.primary.config_entries
    existing = _existing_legacy(store, legacy_id, "modify")
    if not can_write(authz, existing["DestinationName"]):
        raise RPCError(PERMISSION_DENIED)
    if (args["DestinationNS"], args.get("DestinationName", "")) != (
        existing["DestinationNS"],
        existing["DestinationName"],
    ):
        raise RPCError(
            "Cannot modify Destination partition/namespace/name for an intention once it exists."
        )
    if not args.get("SourceType"):
        args["SourceType"] = "consul"
    _server_enterprise_checks(args)
    _validate_legacy(args)
    primary = core.primary
    ixns.legacy_update(store, primary.apply(), legacy_id, _legacy_source(args, legacy_id))
    announce(core)
    return json_reply({"ID": legacy_id})


async def _delete(ctx: Ctx, legacy_id: str) -> Reply:
    """``IntentionSpecificDelete``: delete a legacy intention; answers ``true``."""
    core = ctx.agent
    authz = ctx.authz
    store = core.primary.config_entries
    existing = _existing_legacy(store, legacy_id, "delete")
    if not can_write(authz, existing["DestinationName"]):
        raise RPCError(PERMISSION_DENIED)
    ixns.legacy_delete(store, core.primary.apply(), legacy_id)
    announce(core)
    return json_reply(True)


async def _put_exact(ctx: Ctx) -> Reply:
    """``IntentionPutExact``: create or replace the intention of a source and destination.

    The body gives the rest (``Action`` or ``Permissions``, ``Description``);
    ``Meta`` belongs to the destination's entry and may only repeat it.
    """
    ctx.check_enterprise_meta()
    (_, _, _, source), (_, _, _, destination) = _exact_names(ctx)
    args = await _decode_intention(ctx, "Request decode failed: ", 400)
    args.update(ID="", SourceName=source, DestinationName=destination)
    core = ctx.agent
    authz = ctx.authz
    _apply_checks(args)
    if not can_write(authz, destination):
        raise RPCError(PERMISSION_DENIED)
    store = core.primary.config_entries
    previous = store.decoded(ixns.KIND, destination)
    meta = args.get("Meta") or {}
    if meta:
        if previous is None:
            raise RPCError("Meta must not be specified")
        if meta != (previous["Meta"] or {}):
            raise RPCError("Meta must not be specified, or should be unchanged during an update.")
        args["Meta"] = None  # the entry's own, sent back: safe to drop
    ixns.upsert(store, core.primary.apply(), destination, ixns.source_of(args, legacy=False))
    announce(core)
    return json_reply(True)


async def _delete_exact(ctx: Ctx) -> Reply:
    """``IntentionDeleteExact``: delete one intention (none there is no error); ``true``."""
    ctx.check_enterprise_meta()
    (_, _, _, source), (_, _, _, destination) = _exact_names(ctx)
    core = ctx.agent
    if not can_write(ctx.authz, destination):
        raise RPCError(PERMISSION_DENIED)
    store = core.primary.config_entries
    if ixns.get_exact(store, source, destination) is not None:
        ixns.delete_exact(store, core.primary.apply(), source, destination)
        announce(core)
    return json_reply(True)
