"""``/v1/kv``: the key/value store.

The table is :class:`~consul.testing.state.kv.KVStore`; request handling
from ``agent/kvs_endpoint.go`` (Consul 1.22: key validation, ``Content-Length``
checks) and ``agent/consul/kvs_endpoint.go`` (ACLs, lock-delay, blocking).
"""

from __future__ import annotations

import weakref
from urllib.parse import urlencode

from ..state.errors import RPCError
from ..state.golang import quote as go_quote
from ..state.kv import KV_MAX_VALUE_SIZE, Entry
from .context import BlockingRead, Ctx
from .errors import BadRequest, HTTPError
from .mux import path_clean, unescape
from .reply import Reply, encode_json, json_reply
from .routes import Routes

routes = Routes()

# -- HTTP ----------------------------------------------------------------------


def _clean_key(raw: str) -> str:
    """The key as ``KVSEndpoint`` cleans it: ``path.Clean``, keeping a trailing slash."""
    if "//" not in raw and "." not in raw:  # already clean (or empty)
        return raw
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
    if "." in key and ".." in key.split("/"):
        return traversal
    if "%" not in key and key.isascii():  # nothing to unescape
        return None
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
    authz = ctx.authz
    if recurse and ctx.agent.config.acl_enable_key_list_policy:
        ctx.require(authz.key_list(key), "key:list", key)
    return _Read(ctx, key, recurse).reply()


class _Read(BlockingRead[list[Entry]]):
    """``KVS.Get`` (one key) or ``KVS.List`` (``?recurse``), and its reply.

    The read's parameters are slots of the object: a waiting read is this
    one small object (the watchers of a key are many).
    """

    __slots__ = ("filtered", "key", "recurse")

    shared = True

    def __init__(self, ctx: Ctx, key: str, recurse: bool) -> None:
        super().__init__(ctx)
        self.key = key
        self.recurse = recurse
        #: Whether the ACLs hid entries of the last listing.
        self.filtered = False

    def query(self) -> tuple[int, list[Entry]]:
        ctx, key = self.ctx, self.key
        if self.recurse:
            index, entries = ctx.dc.kv.list(key)
            readable = [e for e in entries if ctx.authz.key_read(e.key)]
            self.filtered = len(readable) != len(entries)
            return index, readable
        index, entry = ctx.dc.kv.get(key)
        ctx.require(ctx.authz.key_read(key), "key:read", key)
        if entry is None:
            return index, []
        return entry.modify_index, [entry]

    def not_found(self, result: list[Entry]) -> bool:
        # KVS.Get's ErrNotFound; a listing finds nothing without it.
        return not self.recurse and not result

    def render(self, index: int, result: list[Entry]) -> Reply:
        ctx = self.ctx
        ctx.set_meta(index)
        ctx.set_filtered(self.filtered)
        if not result:
            return Reply(404)
        if not self.recurse and ctx.flag("raw"):
            return Reply(
                200,
                result[0].value or b"",
                "text/plain; charset=utf-8",
                {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
            )
        return Reply(200, _encoded.entries(result), "application/json")


class _EncodedEntries:
    """The JSON of KV entries, each encoded once for as long as it is stored.

    A read answers with the entries' JSON: a watch loop or a lock contender
    asks for the same ones over and over, and encoding is most of a read's
    cost. An entry is known by its identity and ``ModifyIndex`` (a write
    stores a new entry, or at least gives it a new index); what is
    remembered is forgotten at once when it passes :data:`_CACHE_BYTES`.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], tuple[weakref.ref[Entry], bytes]] = {}
        self._size = 0

    def entries(self, entries: list[Entry]) -> bytes:
        """``encode_json([e.to_json() for e in entries])``, for a non-empty list."""
        parts = []
        for entry in entries:
            key = (id(entry), entry.modify_index)
            known = self._known.get(key)
            if known is None or known[0]() is not entry:
                # As an element of the list: every line one level deeper.
                encoded = encode_json(entry.to_json()).replace(b"\n", b"\n    ")
                if self._size > _CACHE_BYTES:
                    self._known.clear()
                    self._size = 0
                self._known[key] = known = (weakref.ref(entry), encoded)
                self._size += len(encoded)
            parts.append(known[1])
        return b"[\n    " + b",\n    ".join(parts) + b"\n]"


#: How many bytes of encoded entries :class:`_EncodedEntries` keeps.
_CACHE_BYTES = 8 * 1024 * 1024
_encoded = _EncodedEntries()


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

    def render(index: int, keys: list[str]) -> Reply:
        ctx.set_meta(index)
        ctx.set_filtered(filtered)
        if not keys and prefix:
            return Reply(404)
        return json_reply(keys)

    return ctx.blocking_reply(listing, render, shared=True)


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
