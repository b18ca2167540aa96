"""``/v1/config`` and ``/v1/exported-services``: configuration entries (Consul docs: *Config*).

Handlers follow ``agent/config_endpoint.go`` (``Config``, ``configGet``,
``configDelete``, ``ConfigApply``) and the RPCs of
``agent/consul/config_endpoint.go`` (``ConfigEntry.Get``, ``List``,
``Apply``, ``Delete``): writes go to the primary datacenter, which the
secondaries copy; the kind's ``CanRead`` and ``CanWrite`` decide the ACLs;
a write that changes nothing is answered without a Raft apply
(``shouldSkipOperation``). The table and the kinds are
:mod:`consul.testing.state.configentries`.
"""

from __future__ import annotations

import re
from typing import Any

from ..state.configentries import (
    ConfigEntryStore,
    Entry,
    EntryDecodeError,
    Kind,
    decode_entry,
    kind_of,
)
from ..state.configentries.exported_services import EXPORTED_SERVICES, resolved_exports
from ..state.configentries.store import replicate
from ..state.core import AgentCore
from ..state.errors import RPCError
from ..state.filter import FilterError, compile_filter
from ..state.gojson import DecodeError
from ..state.golang import quote as go_quote
from .context import Ctx
from .errors import BadRequest, NotFound
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: A listing of entries: those the token may read, whether it may not read
#: some, and those ``?filter`` keeps.
_Listed = tuple[list[dict[str, Any]], bool, list[dict[str, Any]]]

#: ``configGet``'s 404 text, before the kind and name.
NOT_FOUND = "Config entry not found"
_UINT = re.compile(r"[0-9]+\Z")


def _cas(ctx: Ctx) -> int | None:
    """``?cas``, parsed as ``strconv.ParseUint``; its error is a 500, as Consul answers it."""
    raw = ctx.param("cas")
    if not raw:
        return None
    if not _UINT.match(raw):
        raise RPCError(f"strconv.ParseUint: parsing {go_quote(raw)}: invalid syntax")
    if int(raw) >= 2**64:
        raise RPCError(f"strconv.ParseUint: parsing {go_quote(raw)}: value out of range")
    return int(raw)


def _require(ctx: Ctx, denied: tuple[str, str | None] | None) -> None:
    if denied is not None:
        ctx.require(False, *denied)


@routes("/v1/config/", "GET", "DELETE")
async def config(ctx: Ctx) -> Reply:
    """``Config``: read one entry or a kind's list, or delete one entry."""
    if ctx.method == "DELETE":
        return await _delete(ctx)
    ctx.check_consistency()
    parts = ctx.tail.split("/", 1)
    if len(parts) == 2:
        return _get(ctx, parts[0], parts[1])
    return _list(ctx, parts[0])


def _get(ctx: Ctx, kind_name: str, name: str) -> Reply:
    """``ConfigEntry.Get``: 404 (after blocking) if there is no such entry."""
    ctx.check_enterprise_meta()
    dc = ctx.dc
    authz = ctx.authz
    kind = kind_of(kind_name)
    _require(ctx, kind.can_read(authz, kind.empty(name)))

    def query() -> tuple[int, dict[str, Any] | None]:
        store = dc.config_entries
        return store.entry_index(kind_name, name), store.get(kind_name, name)[1]

    def render(_: int, entry: dict[str, Any] | None) -> Reply:
        ctx.set_meta(dc.config_entries.index)
        if entry is None:
            raise NotFound(f"{NOT_FOUND} for {go_quote(kind_name)} / {go_quote(name)}")
        return json_reply(entry)

    return ctx.blocking_reply(query, render, not_found=lambda found: found is None, shared=True)


def _list(ctx: Ctx, kind_name: str) -> Reply:
    """``ConfigEntry.List``: the entries of a kind (every kind if empty) the token may read."""
    ctx.check_enterprise_meta()
    dc = ctx.dc
    authz = ctx.authz
    kind: Kind | None = None
    if kind_name:
        try:
            kind = kind_of(kind_name)
        except RPCError:
            raise RPCError(f"invalid config entry kind: {kind_name}") from None
    expression = ctx.param("filter")
    matches = None
    if expression:
        if kind is None or not kind.filterable:
            raise RPCError(f"filtering not supported for config entry kind={kind_name}")
        try:
            matches = compile_filter(expression, kind.spec)
        except FilterError as exc:
            raise RPCError(str(exc)) from None

    def query() -> tuple[int, _Listed]:
        """The entries the token may read, whether some were not, and those ``?filter`` keeps."""
        store = dc.config_entries
        _, entries = store.list(kind_name)
        readable = [e for e in entries if _readable(store, authz, e)]
        kept = readable
        if matches is not None:
            try:
                kept = [entry for entry in readable if matches(entry)]
            except FilterError as exc:
                raise RPCError(str(exc)) from None
        return store.kind_index(kind_name), (readable, len(readable) != len(entries), kept)

    def render(_: int, found: _Listed) -> Reply:
        ctx.set_meta(dc.config_entries.index)
        ctx.set_filtered(found[1])
        return json_reply(found[2])

    # ConfigEntry.List (agent/consul/config_endpoint.go) hashes the entries
    # the token may read: the same ones again are errNotChanged. What the
    # filter kept, if nothing, is errNotFound.
    return ctx.blocking_reply(
        query,
        render,
        not_found=lambda found: not found[2],
        unchanged=lambda previous, found: previous[0] == found[0],
    )


def _readable(store: ConfigEntryStore, authz: Any, entry: dict[str, Any]) -> bool:
    kind = kind_of(entry["Kind"])
    decoded = store.decoded(kind.name, kind.get_name(entry))
    return decoded is not None and kind.can_read(authz, decoded) is None


@routes("/v1/config", "PUT")
async def config_apply(ctx: Ctx) -> Reply:
    """``ConfigApply``: create or replace an entry (``?cas``); answers ``true`` or ``false``."""
    try:
        raw = await ctx.decode_body()
    except DecodeError as exc:
        raise BadRequest(f"Request decoding failed: {exc}") from None
    try:
        kind, entry = decode_entry(raw)
    except EntryDecodeError as exc:
        raise BadRequest(f"Request decoding failed: {exc}") from None
    ctx.check_enterprise_meta()
    cas = _cas(ctx)
    core = ctx.agent
    if kind.name == EXPORTED_SERVICES:
        _gate_write_to_secondary(ctx)
    authz = ctx.authz
    kind.normalize(entry)
    kind.validate(entry)
    _require(ctx, kind.can_write(authz, entry))
    primary = core.primary
    store = primary.config_entries
    if store.is_same(entry):
        return json_reply(True)
    idx = primary.apply()
    done = store.set(idx, entry, cas)
    if done:
        announce(core)
    return json_reply(done)


async def _delete(ctx: Ctx) -> Reply:
    """``configDelete``: ``{}``, or with ``?cas`` whether the entry went."""
    parts = ctx.tail.split("/", 1)
    if len(parts) != 2:
        raise NotFound("Must provide both a kind and name to delete")
    try:
        kind = kind_of(parts[0])
    except RPCError as exc:
        raise BadRequest(str(exc)) from None
    entry: Entry = kind.empty(parts[1])
    ctx.check_enterprise_meta()
    cas = _cas(ctx)
    core = ctx.agent
    authz = ctx.authz
    kind.normalize(entry)
    _require(ctx, kind.can_write(authz, entry))
    primary = core.primary
    name = kind.get_name(entry)
    deleted = True
    if primary.config_entries.decoded(kind.name, name) is not None:
        idx = primary.apply()
        deleted = primary.config_entries.delete(idx, kind.name, name, cas)
        if deleted:
            announce(core)
    return json_reply(deleted if cas is not None else {})


def _gate_write_to_secondary(ctx: Ctx) -> None:
    """``gateWriteToSecondary``: an agent of a secondary datacenter must name the primary."""
    config = ctx.agent.config
    target = ctx.param("dc") or ""
    if not target and config.datacenter != config.primary_datacenter:
        raise RPCError(
            "exported-services writes in secondary datacenters must target the primary "
            "datacenter explicitly."
        )


@routes("/v1/exported-services", "GET")
async def exported_services(ctx: Ctx) -> Reply:
    """``ExportedServices``: the services the ``exported-services`` entry exports (``mesh:read``).

    Blocks on the entry and, for a wildcard, on the catalog's services.
    """
    ctx.check_enterprise_meta(namespace=False)
    ctx.check_consistency()
    dc = ctx.dc
    ctx.require(ctx.authz.mesh_read(), "mesh:read")

    def query() -> tuple[int, list[dict[str, Any]]]:
        index = max(
            dc.config_entries.kind_index(EXPORTED_SERVICES), dc.catalog.max_index("services")
        )
        return index, resolved_exports(dc)

    def render(index: int, services: list[dict[str, Any]]) -> Reply:
        ctx.set_meta(index)
        return json_reply(services)

    return ctx.blocking_reply(query, render, shared=True)


def announce(core: AgentCore) -> None:
    """Wake the primary's blocking queries, and copy its entries to the other datacenters."""
    primary = core.primary
    primary.changed()
    for dc in core.datacenters.values():
        if dc is not primary and replicate(primary.config_entries, dc.config_entries):
            dc.changed()
