"""``/v1/kv``: the key/value store.

State rules from ``agent/consul/state/kvs.go`` (the ``kvs`` table and its
graveyard of tombstones) and ``agent/consul/state/session.go`` (what a
session's end does to its keys); request handling from
``agent/kvs_endpoint.go`` (Consul 1.22: key validation, ``Content-Length``
checks) and ``agent/consul/kvs_endpoint.go`` (ACLs, lock-delay, blocking).
"""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .._gofmt import quote as go_quote
from .._server import (
    BadRequest,
    Ctx,
    HTTPError,
    Reply,
    Routes,
    RPCError,
    json_reply,
    path_clean,
    unescape,
)

if TYPE_CHECKING:
    from .._state import Datacenter

routes = Routes()

#: ``kv_max_value_size`` of a default agent (``raft.SuggestedMaxDataSize``).
KV_MAX_VALUE_SIZE = 512 * 1024
#: ``structs.MaxLockDelay``: the longest lock-delay a session's end imposes.
MAX_LOCK_DELAY = 60.0


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
        """The entry as Consul encodes it (``Value`` base64 or null, ``Session`` omitempty).

        ``with_value=False`` nulls the value, as transaction results of writes do.
        """
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
    """The ``kvs`` table, its tombstones and lock-delays, for one datacenter.

    Writes take the index ``idx`` of their Raft apply and return whether they
    succeeded; the tables' indexes move only when something changed, which is
    what blocking queries watch (:attr:`max_index`).
    """

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        self.entries: dict[str, Entry] = {}
        #: The graveyard: key (or deleted prefix) -> index of its deletion.
        #: Consul reaps tombstones after ``tombstone_ttl`` (15 minutes); an
        #: embedded agent's life is shorter, so they stay.
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

    def held_by(self, session_id: str) -> list[Entry]:
        """The entries whose lock ``session_id`` holds (a UUID index: any case)."""
        wanted = session_id.lower()
        return sorted(
            (e for e in self.entries.values() if e.session and e.session.lower() == wanted),
            key=lambda e: e.key,
        )

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

    # -- writes ----------------------------------------------------------------

    def set(self, idx: int, entry: Entry, update_session: bool = False) -> bool:
        """``kvsSetTxn``: write ``entry``; False if that changed nothing.

        A plain write keeps the key's session (a write to a locked key
        succeeds and it stays locked) but not its ``LockIndex``, which comes
        from ``entry``: 0 for a plain write.
        """
        existing = self.entries.get(entry.key)
        entry.create_index = existing.create_index if existing else idx
        if not update_session:
            entry.session = existing.session if existing else ""
        if existing is not None and existing.same_as(entry):
            entry.modify_index = existing.modify_index
            return False
        entry.modify_index = idx
        self.entries[entry.key] = entry
        self.kvs_index = idx
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

        Raises :class:`RPCError` with the state store's text for a missing or
        unknown session.
        """
        if not entry.session:
            raise RPCError("missing session")
        if self.dc.sessions.get(entry.session) is None:
            raise RPCError(f"invalid session {go_quote(entry.session)}")
        existing = self.entries.get(entry.key)
        if existing is None:
            entry.lock_index = 1
        elif existing.session == entry.session:
            entry.lock_index = existing.lock_index
        elif existing.session:
            return False
        else:
            entry.lock_index = existing.lock_index + 1
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
        """``kvsDeleteTxn``: delete ``key``, leaving a tombstone; False if absent."""
        if self.entries.pop(key, None) is None:
            return False
        self.tombstones[key] = self.tombstones_index = idx
        self.kvs_index = idx
        return True

    def delete_cas(self, idx: int, key: str, cas: int) -> bool:
        """``kvsDeleteCASTxn``: delete if ``ModifyIndex == cas``; True if absent."""
        existing = self.entries.get(key)
        if existing is None or existing.modify_index != cas:
            return existing is None
        self.delete(idx, key)
        return True

    def delete_tree(self, idx: int, prefix: str) -> bool:
        """``kvsDeleteTreeTxn``: delete every key under ``prefix``; False if none.

        One tombstone marks the whole prefix (none for the empty prefix).
        """
        keys = [k for k in self.entries if k.startswith(prefix)]
        if not keys:
            return False
        for key in keys:
            del self.entries[key]
        if prefix:
            self.tombstones[prefix] = self.tombstones_index = idx
        self.kvs_index = idx
        return True

    def end_session(self, idx: int, session_id: str, behavior: str, lock_delay: float) -> None:
        """What ``deleteSessionTxn`` does to the keys a session holds.

        Under ``release`` the lock is let go (value, flags and ``LockIndex``
        stay), under ``delete`` the key goes; either way each key gets the
        session's lock-delay (at most :data:`MAX_LOCK_DELAY` seconds).
        """
        delay = min(lock_delay, MAX_LOCK_DELAY)
        now = time.monotonic()
        for held in self.held_by(session_id):
            if behavior == "delete":
                self.delete(idx, held.key)
            else:
                released = dataclasses.replace(held, session="")
                self.set(idx, released, update_session=True)
            if delay > 0:
                self.lock_delays[held.key] = now + delay


# -- HTTP ----------------------------------------------------------------------


def _clean_key(raw: str) -> str:
    """The key as ``KVSEndpoint`` cleans it: ``path.Clean``, keeping a trailing slash."""
    if not raw:
        return ""
    key = path_clean(raw)
    if raw.endswith("/") and not key.endswith("/"):
        key += "/"
    return key


def _key_problem(key: str) -> str | None:
    """``validateKVKey`` (Consul 1.22, PR #22850): what is wrong with ``key``, if anything."""
    spaces = "invalid key name, leading/trailing spaces are not allowed"
    traversal = "invalid key name, path traversal is not allowed"
    if key.startswith(" ") or key.endswith(" "):
        return spaces
    if ".." in key.split("/"):
        return traversal
    decoded = unescape(key)
    if decoded is not None and decoded != key:
        if ".." in decoded:
            return traversal
        if " " in decoded:
            return spaces
    return None


def _conflicting(ctx: Ctx, *flags: str) -> None:
    """``conflictingFlags``: 400 naming the whole (sorted, encoded) query."""
    if sum(ctx.flag(f) for f in flags) > 1:
        # url.Values.Encode: sorted by key, each key's values in their order.
        query = sorted(ctx.request.query.items(), key=lambda item: item[0])
        raise HTTPError(400, f"Conflicting flags: {urlencode(query)}\n")


def _uint(ctx: Ctx, name: str) -> int:
    """``strconv.ParseUint`` of a parameter; its error is a 500 as in Consul."""
    text = ctx.param(name) or ""
    if text.isascii() and text.isdigit():
        if int(text) < 2**64:
            return int(text)
        reason = "value out of range"
    else:
        reason = "invalid syntax"
    raise RPCError(f"strconv.ParseUint: parsing {go_quote(text)}: {reason}")


@routes("/v1/kv/", "GET", "PUT", "DELETE")
async def kv(ctx: Ctx) -> Reply:
    """``KVSEndpoint``: parse the query, clean and validate the key, dispatch."""
    ctx.check_consistency()
    key = _clean_key(ctx.tail)
    if key and (problem := _key_problem(key)) is not None:
        if not ctx.agent.config.disable_kv_key_validation:
            raise RPCError(problem)
        ctx.headers["X-Consul-KV-Warning"] = (
            f"KV key validation bypassed: {problem}. Consider enabling key validation for security."
        )
    if ctx.method == "GET":
        if ctx.flag("keys"):
            return await _get_keys(ctx, key)
        return await _get(ctx, key)
    if ctx.method == "PUT":
        return await _put(ctx, key)
    return await _delete(ctx, key)


async def _get(ctx: Ctx, key: str) -> Reply:
    recurse = ctx.flag("recurse")
    if not recurse and not key:
        raise BadRequest("Missing key name")
    ctx.check_enterprise_meta()
    store = ctx.dc.kv
    authz = ctx.authz
    filtered = False
    if recurse:
        if ctx.agent.config.acl_enable_key_list_policy:
            ctx.require(authz.key_list(key), "key:list", key)

        def listing() -> tuple[int, list[Entry]]:
            nonlocal filtered
            index, entries = store.list(key)
            readable = [e for e in entries if authz.key_read(e.key)]
            filtered = len(readable) != len(entries)
            return index, readable

        index, entries = await ctx.blocking(listing)
    else:

        def single() -> tuple[int, list[Entry]]:
            index, entry = store.get(key)
            ctx.require(authz.key_read(key), "key:read", key)
            if entry is None:
                return index, []
            return entry.modify_index, [entry]

        index, entries = await ctx.blocking(single, not_found=lambda found: not found)
    ctx.set_meta(index)
    ctx.set_filtered(filtered)
    if not entries:
        return Reply(404)
    if ctx.flag("raw") and not recurse:
        return Reply(
            200,
            entries[0].value or b"",
            "text/plain; charset=utf-8",
            {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
        )
    return json_reply([e.to_json() for e in entries])


async def _get_keys(ctx: Ctx, prefix: str) -> Reply:
    ctx.check_enterprise_meta()
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
        readable = [e for e in entries if authz.key_read(e.key)]
        filtered = len(readable) != len(entries)
        keys: list[str] = []
        seen: set[str] = set()
        for entry in readable:
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
    ctx.set_meta(index)
    ctx.set_filtered(filtered)
    if not keys and prefix:
        return Reply(404)
    return json_reply(keys)


async def _read_value(ctx: Ctx, limit: int) -> bytes:
    """The body as ``KVSPut`` reads it (Consul 1.22, PR #22916).

    A declared length over ``limit`` is refused before reading; a body of
    unknown length is read up to ``limit`` + 1 bytes (Go's
    ``http.MaxBytesReader(limit + 1)``) and refused beyond that.
    """
    length = ctx.request.content_length
    if length is not None and length > limit:
        raise HTTPError(
            413,
            f"Request body({length} bytes) too large, max size: {limit} bytes. "
            "See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.",
        )
    if length is not None:
        return await ctx.body()
    chunks: list[bytes] = []
    size = 0
    while chunk := await ctx.request.content.read(65536):
        size += len(chunk)
        if size > limit + 1:
            raise HTTPError(413, f"Request body too large. Max allowed is {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _put(ctx: Ctx, key: str) -> Reply:
    ctx.check_enterprise_meta()
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
    entry.value = await _read_value(ctx, KV_MAX_VALUE_SIZE) or None
    dc = ctx.dc
    store = dc.kv
    # kvsPreApply: ACLs, then the lock-delay, which answers false without
    # a Raft apply (agent/consul/kvs_endpoint.go).
    ctx.require(ctx.authz.key_write(key), "key:write", key)
    if op == "lock" and store.lock_delay(key) > 0:
        return json_reply(False)
    idx = dc.apply()
    before = store.max_index
    try:
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
    except RPCError as exc:
        # KVS.Apply wraps what the FSM answered.
        raise RPCError(f"raft apply failed: {exc}") from None
    finally:
        if store.max_index != before:
            dc.changed()
    return json_reply(done)


async def _delete(ctx: Ctx, key: str) -> Reply:
    ctx.check_enterprise_meta()
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
    before = store.max_index
    done = True
    if cas is not None:
        done = store.delete_cas(idx, key, cas)
    elif recurse:
        store.delete_tree(idx, key)
    else:
        store.delete(idx, key)
    if store.max_index != before:
        dc.changed()
    return json_reply(done)
