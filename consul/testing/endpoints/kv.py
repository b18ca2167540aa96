"""``/v1/kv``: the key/value store.

State rules from ``agent/consul/state/kvs.go`` (the ``kvs`` table and its
graveyard of tombstones), request handling from ``agent/kvs_endpoint.go`` and
``agent/consul/kvs_endpoint.go``.
"""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .._server import BadRequest, Ctx, HTTPError, Reply, Routes, RPCError, json_reply

if TYPE_CHECKING:
    from .._state import Datacenter

routes = Routes()

#: ``kv_max_value_size`` of a default agent (``raft.SuggestedMaxDataSize``).
KV_MAX_VALUE_SIZE = 512 * 1024


@dataclasses.dataclass
class Entry:
    """A ``structs.DirEntry``."""

    key: str
    value: bytes | None = None
    flags: int = 0
    session: str = ""
    lock_index: int = 0
    create_index: int = 0
    modify_index: int = 0

    def same_as(self, other: Entry) -> bool:
        """``DirEntry.Equal``: what a write must change to count as a change."""
        return (
            self.lock_index == other.lock_index
            and self.key == other.key
            and self.flags == other.flags
            and (self.value or b"") == (other.value or b"")
            and self.session == other.session
        )

    def to_json(self, with_value: bool = True) -> dict[str, Any]:
        """The entry as Consul encodes it (``Value`` base64, ``Session`` omitempty)."""
        out: dict[str, Any] = {
            "LockIndex": self.lock_index,
            "Key": self.key,
            "Flags": self.flags,
            "Value": (base64.b64encode(self.value).decode() if with_value and self.value else None),
        }
        if self.session:
            out["Session"] = self.session
        out["CreateIndex"] = self.create_index
        out["ModifyIndex"] = self.modify_index
        return out


class KVStore:
    """The ``kvs`` table, its tombstones and lock-delays, for one datacenter."""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        self.entries: dict[str, Entry] = {}
        #: key -> index of its deletion (``Graveyard``); kept so that list
        #: indexes never slide backwards.
        self.tombstones: dict[str, int] = {}
        #: key -> monotonic time its lock-delay ends.
        self.lock_delays: dict[str, float] = {}
        self.kvs_index = 0
        self.tombstones_index = 0

    # -- reads ----------------------------------------------------------------

    @property
    def max_index(self) -> int:
        """``kvsMaxIndex``: the highest index of the kvs and tombstones tables."""
        return max(self.kvs_index, self.tombstones_index)

    def get(self, key: str) -> tuple[int, Entry | None]:
        """``KVSGet``: the table index and the entry (or None)."""
        return self.max_index, self.entries.get(key)

    def list(self, prefix: str) -> tuple[int, list[Entry]]:
        """``kvsListTxn``: entries under ``prefix``, sorted, and the index to report.

        The index is the highest ``ModifyIndex`` of the entries and tombstones
        under the prefix; for an empty prefix, or when there is nothing
        under it, the table index.
        """
        entries = sorted(
            (e for k, e in self.entries.items() if k.startswith(prefix)), key=lambda e: e.key
        )
        if not prefix:
            return self.max_index, entries
        index = max((e.modify_index for e in entries), default=0)
        index = max(
            index, max((i for k, i in self.tombstones.items() if k.startswith(prefix)), default=0)
        )
        return index or self.max_index, entries

    def lock_delay(self, key: str) -> float:
        """Seconds left of ``key``'s lock-delay (0 if none)."""
        expires = self.lock_delays.get(key)
        if expires is None:
            return 0.0
        left = expires - time.monotonic()
        if left <= 0:
            del self.lock_delays[key]
            return 0.0
        return left

    # -- writes (each within one index ``idx``) --------------------------------

    def _insert(self, entry: Entry, idx: int) -> None:
        self.entries[entry.key] = entry
        self.tombstones.pop(entry.key, None)
        self.kvs_index = idx

    def set(self, idx: int, entry: Entry, update_session: bool = False) -> bool:
        """``kvsSetTxn``: write ``entry``; False if it changed nothing.

        A plain write keeps the key's session (a write to a locked key
        succeeds and it stays locked) but not its ``LockIndex``, which comes
        from ``entry``.
        """
        existing = self.entries.get(entry.key)
        entry.create_index = existing.create_index if existing else idx
        if not update_session:
            entry.session = existing.session if existing else ""
        if existing is not None and existing.same_as(entry):
            entry.modify_index = existing.modify_index
            return False
        entry.modify_index = idx
        self._insert(entry, idx)
        return True

    def set_cas(self, idx: int, entry: Entry, cas: int) -> bool:
        """``kvsSetCASTxn``: write only if the key's ``ModifyIndex`` is ``cas`` (0: absent)."""
        existing = self.entries.get(entry.key)
        if cas == 0 and existing is not None:
            return False
        if cas != 0 and (existing is None or existing.modify_index != cas):
            return False
        self.set(idx, entry)
        return True

    def lock(self, idx: int, entry: Entry) -> bool:
        """``kvsLockTxn``: take the key's lock for ``entry.session``.

        Raises :class:`RPCError` for a missing or unknown session.
        """
        if not entry.session:
            raise RPCError("missing session")
        if entry.session not in self.dc.sessions.sessions:
            raise RPCError(f'invalid session "{entry.session}"')
        existing = self.entries.get(entry.key)
        if existing is not None:
            if existing.session == entry.session:
                entry.lock_index = existing.lock_index
            elif existing.session:
                return False
            else:
                entry.lock_index = existing.lock_index + 1
        else:
            entry.lock_index = 1
        self.set(idx, entry, update_session=True)
        return True

    def unlock(self, idx: int, entry: Entry) -> bool:
        """``kvsUnlockTxn``: give up the lock ``entry.session`` holds; the value is replaced."""
        if not entry.session:
            raise RPCError("missing session")
        existing = self.entries.get(entry.key)
        if existing is None or existing.session != entry.session:
            return False
        entry.session = ""
        entry.lock_index = existing.lock_index
        self.set(idx, entry, update_session=True)
        return True

    def delete(self, idx: int, key: str) -> bool:
        """``kvsDeleteTxn``: delete ``key`` leaving a tombstone; False if absent."""
        if self.entries.pop(key, None) is None:
            return False
        self.tombstones[key] = idx
        self.kvs_index = self.tombstones_index = idx
        return True

    def delete_cas(self, idx: int, key: str, cas: int) -> bool:
        """``kvsDeleteCASTxn``: delete if ``ModifyIndex == cas``; True if absent."""
        existing = self.entries.get(key)
        if existing is None or existing.modify_index != cas:
            return existing is None
        self.delete(idx, key)
        return True

    def delete_tree(self, idx: int, prefix: str) -> bool:
        """``kvsDeleteTreeTxn``: delete every key under ``prefix``; False if none."""
        keys = [k for k in self.entries if k.startswith(prefix)]
        for key in keys:
            self.delete(idx, key)
        return bool(keys)


# -- HTTP ----------------------------------------------------------------------


def _conflicting(ctx: Ctx, *flags: str) -> None:
    """``conflictingFlags``: 400 naming the whole (sorted, encoded) query."""
    if sum(ctx.flag(f) for f in flags) > 1:
        query = sorted((k, v) for k, v in ctx.request.query.items())
        raise HTTPError(400, f"Conflicting flags: {urlencode(query)}\n")


def _uint(ctx: Ctx, name: str) -> int:
    """``strconv.ParseUint`` of a parameter; its error is a 500 as in Consul."""
    text = ctx.param(name) or ""
    if text.isdigit() and int(text) < 2**64:
        return int(text)
    reason = "value out of range" if text.isdigit() else "invalid syntax"
    raise RPCError(f'strconv.ParseUint: parsing "{text}": {reason}')


@routes("/v1/kv/", "GET", "PUT", "DELETE")
async def kv(ctx: Ctx) -> Reply:
    """``KVSEndpoint``: dispatch on method and ``?keys``."""
    ctx.check_consistency()
    if ctx.method == "GET":
        if ctx.flag("keys"):
            return await _get_keys(ctx)
        return await _get(ctx)
    if ctx.method == "PUT":
        return await _put(ctx)
    return await _delete(ctx)


async def _get(ctx: Ctx) -> Reply:
    key = ctx.tail
    recurse = ctx.flag("recurse")
    if not recurse and not key:
        raise BadRequest("Missing key name")
    store = ctx.dc.kv
    authz = ctx.authz
    if recurse:
        if ctx.agent.config.acl_enable_key_list_policy:
            ctx.require(authz.key_list(key), "key:list", key)

        filtered = False

        def listing() -> tuple[int, list[Entry]]:
            nonlocal filtered
            index, entries = store.list(key)
            readable = [e for e in entries if authz.key_read(e.key)]
            filtered = len(readable) < len(entries)
            return index, readable

        index, entries = await ctx.blocking(listing)
        ctx.set_filtered(filtered)
    else:

        def single() -> tuple[int, list[Entry]]:
            index, entry = store.get(key)
            ctx.require(authz.key_read(key), "key:read", key)
            if entry is None:
                return index, []
            return entry.modify_index, [entry]

        index, entries = await ctx.blocking(single, not_found=lambda found: not found)
    ctx.set_meta(index)
    if not entries:
        return Reply(404)
    if ctx.flag("raw") and not recurse:
        body = entries[0].value or b""
        return Reply(
            200,
            body,
            "text/plain",
            {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
        )
    return json_reply([e.to_json() for e in entries])


async def _get_keys(ctx: Ctx) -> Reply:
    prefix = ctx.tail
    separator = ""
    if ctx.flag("seperator"):  # Consul still honours its historic misspelling.
        separator = ctx.param("seperator") or ""
    if ctx.flag("separator"):
        separator = ctx.param("separator") or ""
    store = ctx.dc.kv
    authz = ctx.authz
    if ctx.agent.config.acl_enable_key_list_policy:
        ctx.require(authz.key_list(prefix), "key:list", prefix)

    filtered = False

    def listing() -> tuple[int, list[str]]:
        nonlocal filtered
        index, entries = store.list(prefix)
        keys: list[str] = []
        seen: set[str] = set()
        filtered = False
        for entry in entries:
            if not authz.key_read(entry.key):
                filtered = True
                continue
            name = entry.key
            if separator:
                position = name.find(separator, len(prefix))
                if position >= 0:
                    name = name[: position + len(separator)]
                    if name in seen:
                        continue
                    seen.add(name)
            keys.append(name)
        return index, keys

    index, keys = await ctx.blocking(listing)
    ctx.set_filtered(filtered)
    ctx.set_meta(index)
    if not keys and prefix:
        return Reply(404)
    return json_reply(keys)


async def _put(ctx: Ctx) -> Reply:
    key = ctx.tail
    if not key:
        raise BadRequest("Missing key name")
    _conflicting(ctx, "cas", "acquire", "release")
    entry = Entry(key)
    if ctx.flag("flags"):
        entry.flags = _uint(ctx, "flags")
    cas = _uint(ctx, "cas") if ctx.flag("cas") else None
    op = "set" if cas is None else "cas"
    if ctx.flag("acquire"):
        entry.session, op = ctx.param("acquire") or "", "lock"
    if ctx.flag("release"):
        entry.session, op = ctx.param("release") or "", "unlock"
    length = ctx.request.content_length
    if length is not None and length > KV_MAX_VALUE_SIZE:
        raise HTTPError(
            413,
            f"Request body({length} bytes) too large, max size: {KV_MAX_VALUE_SIZE} bytes. "
            "See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.",
        )
    entry.value = await ctx.body() or None
    dc = ctx.dc
    # kvsPreApply: ACLs, then the lock-delay (which answers false without a
    # Raft apply).
    ctx.require(ctx.authz.key_write(key), "key:write", key)
    if op == "lock" and dc.kv.lock_delay(key) > 0:
        return json_reply(False)
    idx = dc.apply()
    store = dc.kv
    before = store.max_index
    if op == "set":
        store.set(idx, entry)
        done = True
    elif op == "cas":
        assert cas is not None
        done = store.set_cas(idx, entry, cas)
    elif op == "lock":
        done = store.lock(idx, entry)
    else:
        done = store.unlock(idx, entry)
    if store.max_index != before:
        dc.changed()
    return json_reply(done)


async def _delete(ctx: Ctx) -> Reply:
    key = ctx.tail
    _conflicting(ctx, "recurse", "cas")
    recurse = ctx.flag("recurse")
    if not recurse and not key:
        raise BadRequest("Missing key name")
    cas = _uint(ctx, "cas") if ctx.flag("cas") else None
    authz = ctx.authz
    if recurse:
        ctx.require(authz.key_write_prefix(key), "key:write", key)
    else:
        ctx.require(authz.key_write(key), "key:write", key)
    dc = ctx.dc
    idx = dc.apply()
    store = dc.kv
    if recurse:
        changed = store.delete_tree(idx, key)
        done = True
    elif cas is not None:
        had = key in store.entries
        done = store.delete_cas(idx, key, cas)
        changed = had and key not in store.entries
    else:
        changed = store.delete(idx, key)
        done = True
    if changed:
        dc.changed()
    return json_reply(done)
