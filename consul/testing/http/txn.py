"""``/v1/txn``: transactions.

Request handling from ``agent/txn_endpoint.go`` (decoding, limits) and the
read path from ``agent/consul/txn_endpoint.go``; the checks and operations
are :mod:`consul.testing.state.txn`'s.

A transaction is all or nothing: every operation is run, in order, each one
seeing what the earlier ones did; if any failed, every error is reported
(409) and the state is put back as it was, waking no blocking query. The
HTTP API takes KV, Node, Service and Check operations (``api.TxnOp``);
Consul's session operations exist only inside its servers.
"""

from __future__ import annotations

from typing import Any

from ..state.apitypes import TXN_OP
from ..state.datacenter import Savepoint
from ..state.gojson import DecodeError, decode, json_kind
from ..state.golang import quote
from ..state.kv import KV_MAX_VALUE_SIZE
from ..state.txn import Op, dispatch, pre_check, readable
from .context import Ctx
from .errors import HTTPError
from .reply import Reply, json_reply
from .routes import Routes

routes = Routes()

#: ``maxTxnOps`` (``agent/txn_endpoint.go``; 128 since Consul 1.14).
MAX_TXN_OPS = 128
#: ``txn_max_req_len`` of a default agent (``raft.SuggestedMaxDataSize``).
TXN_MAX_REQ_LEN = 512 * 1024

_TXN_MAX_REQ_LEN_DOCS = "https://www.consul.io/docs/agent/config/config-files#txn_max_req_len"


async def _convert(ctx: Ctx) -> list[Op]:
    """``convertOps``: the body's operations, with the 413s and 400s it answers."""
    # The larger of txn_max_req_len and kv_max_value_size bounds the body.
    limit = max(TXN_MAX_REQ_LEN, KV_MAX_VALUE_SIZE)
    length = ctx.request.content_length
    if length is not None and length > limit:
        raise HTTPError(
            413,
            f"Request body({length} bytes) too large, max size: {limit} bytes. "
            f"See {_TXN_MAX_REQ_LEN_DOCS}.",
        )
    body = await ctx.body(limit)  # Go's http.MaxBytesReader(maxTxnLen)
    if len(body) > limit:
        raise HTTPError(
            413, f"Request body too large, max size: {limit} bytes. See {_TXN_MAX_REQ_LEN_DOCS}."
        )
    try:
        raw = await ctx.decode_body()
        if raw is not None and not isinstance(raw, list):
            kind = json_kind(raw)
            raise DecodeError(f"json: cannot unmarshal {kind} into Go value of type api.TxnOps")
        decoded = [decode(item, TXN_OP) for item in raw or [] if item is not None]
    except DecodeError as exc:
        raise HTTPError(400, f"Failed to parse body: {exc}") from None
    count = len(raw or [])
    if count > MAX_TXN_OPS:
        raise HTTPError(413, f"Transaction contains too many operations ({count} > {MAX_TXN_OPS})")
    ops: list[Op] = []
    for item in decoded:
        # An operation of no known type is dropped, as convertOps does.
        if "KV" in item:
            kv = item["KV"]
            size = len(kv.get("Value") or b"")
            if size > KV_MAX_VALUE_SIZE:
                raise HTTPError(
                    413,
                    f"Value for key {quote(kv.get('Key', ''))} is too large "
                    f"({size} > {KV_MAX_VALUE_SIZE} bytes)",
                )
            ops.append(Op("KV", kv.get("Verb", ""), kv))
        elif "Node" in item:
            node = dict(item["Node"].get("Node") or {})
            node["Datacenter"] = node.get("Datacenter") or ctx.agent.config.datacenter
            ops.append(Op("Node", item["Node"].get("Verb", ""), node))
        elif "Service" in item:
            service = item["Service"]
            ops.append(
                Op(
                    "Service",
                    service.get("Verb", ""),
                    dict(service.get("Service") or {}),
                    service.get("Node", ""),
                )
            )
        elif "Check" in item:
            ops.append(
                Op("Check", item["Check"].get("Verb", ""), dict(item["Check"].get("Check") or {}))
            )
    return ops


@routes("/v1/txn", "PUT")
async def txn(ctx: Ctx) -> Reply:
    """``PUT /v1/txn``: apply operations atomically, or read several things at once."""
    ops = await _convert(ctx)
    writes = any(op.writes for op in ops)
    if not writes:
        return await _read(ctx, ops)
    dc = ctx.dc
    authz = ctx.authz
    errors = pre_check(ctx.authz, dc, ops)
    if errors:
        return json_reply({"Results": None, "Errors": errors}, 409)
    # The Raft apply: one index for every operation, taken even if they fail.
    idx = dc.apply()
    savepoint = Savepoint(dc)
    results, failures = dispatch(dc, idx, ops)
    if failures:
        savepoint.rollback()
        return json_reply({"Results": None, "Errors": failures}, 409)
    dc.changed()
    assert results is not None
    return json_reply({"Results": [r for r in results if readable(authz, r)], "Errors": None})


async def _read(ctx: Ctx, ops: list[Op]) -> Reply:
    """``Txn.Read``: the fast path of a transaction without writes.

    It takes the query options (consistency modes, but no blocking) and
    answers with the ``QueryMeta`` fields in the body; only
    ``X-Consul-LastContact`` and ``X-Consul-KnownLeader`` are set.
    """
    # parse(): the consistency modes and ?index/?wait are checked (400s).
    ctx.check_consistency()
    ctx.wait_params()
    dc = ctx.dc
    authz = ctx.authz
    errors = pre_check(ctx.authz, dc, ops)
    results: list[dict[str, Any]] | None = None
    filtered = False
    if not errors:
        results, failures = dispatch(dc, 0, ops)
        errors = failures or []
        if results is not None:
            kept = [r for r in results if readable(authz, r)]
            filtered = len(kept) != len(results) and bool(ctx.token)
            results = kept
    ctx.headers["X-Consul-LastContact"] = "0"
    ctx.headers["X-Consul-KnownLeader"] = "true"
    body = {
        "Results": results,
        "Errors": errors or None,
        "Index": 0,
        "LastContact": 0,
        "KnownLeader": True,
        "ConsistencyLevel": "",
        "NotModified": False,
        "Backend": 0,
        "ResultsFilteredByACLs": filtered,
    }
    return json_reply(body, 409 if errors else 200)
