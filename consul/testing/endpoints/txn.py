"""``/v1/txn``: transactions.

Request handling from ``agent/txn_endpoint.go``, checks and the read path
from ``agent/consul/txn_endpoint.go``, the operations from
``agent/consul/state/txn.go`` (with ``state/kvs.go`` and ``state/catalog.go``
for what each verb does).

A transaction is all or nothing: every operation is run, in order, each one
seeing what the earlier ones did; if any failed, every error is reported
(409) and the state is put back as it was, waking no blocking query. The
HTTP API takes KV, Node, Service and Check operations (``api.TxnOp``);
Consul's session operations exist only inside its servers.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._catalog import is_any_address
from .._gofmt import quote, uuid_error
from .._server import Ctx, HTTPError, Reply, Routes, RPCError, json_reply
from .._structs import (
    ANY,
    BOOL,
    DURATION,
    INT,
    STRING,
    UINT,
    DecodeError,
    ListOf,
    MapOf,
    Scalar,
    decode,
    decode_json,
    json_kind,
)
from .._structs import Struct as Spec
from .kv import KV_MAX_VALUE_SIZE, Entry

if TYPE_CHECKING:
    from .._acl import Authorizer
    from .._state import Datacenter

routes = Routes()

#: ``maxTxnOps`` (``agent/txn_endpoint.go``; 128 since Consul 1.14).
MAX_TXN_OPS = 128
#: ``txn_max_req_len`` of a default agent (``raft.SuggestedMaxDataSize``).
TXN_MAX_REQ_LEN = 512 * 1024

_TXN_MAX_REQ_LEN_DOCS = "https://www.consul.io/docs/agent/config/config-files#txn_max_req_len"

#: The KV verbs that write (``isWrite``); every other KV verb reads.
_KV_WRITES = frozenset({"set", "delete", "delete-cas", "delete-tree", "cas", "lock", "unlock"})


def _string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise TypeError


#: ``[]byte``: JSON carries it as a base64 string (decoded in :func:`_b64`).
_BYTES = Scalar("[]uint8", _string)

_KV_OP = Spec(
    "api.KVTxnOp",
    {
        "Verb": STRING,
        "Key": STRING,
        "Value": _BYTES,
        "Flags": UINT,
        "Index": UINT,
        "Session": STRING,
        "Namespace": STRING,
        "Partition": STRING,
    },
)
_NODE = Spec(
    "api.Node",
    {
        "ID": STRING,
        "Node": STRING,
        "Address": STRING,
        "Datacenter": STRING,
        "TaggedAddresses": MapOf(STRING),
        "Meta": MapOf(STRING),
        "CreateIndex": UINT,
        "ModifyIndex": UINT,
        "Partition": STRING,
        "PeerName": STRING,
        "Locality": Spec("api.Locality", {"Region": STRING, "Zone": STRING}),
    },
)
_SERVICE = Spec(
    "api.AgentService",
    {
        "Kind": STRING,
        "ID": STRING,
        "Service": STRING,
        "Tags": ListOf(STRING),
        "Meta": MapOf(STRING),
        "Port": INT,
        "Address": STRING,
        "SocketPath": STRING,
        "TaggedAddresses": MapOf(Spec("api.ServiceAddress", {"Address": STRING, "Port": INT})),
        "Weights": Spec("api.AgentWeights", {"Passing": INT, "Warning": INT}),
        "EnableTagOverride": BOOL,
        "CreateIndex": UINT,
        "ModifyIndex": UINT,
        "ContentHash": STRING,
        "Proxy": ANY,
        "Connect": ANY,
        "PeerName": STRING,
        "Namespace": STRING,
        "Partition": STRING,
        "Datacenter": STRING,
        "Locality": ANY,
    },
)
_DEFINITION = Spec(
    "api.HealthCheckDefinition",
    {
        "HTTP": STRING,
        "Header": MapOf(ListOf(STRING)),
        "Method": STRING,
        "Body": STRING,
        "TLSServerName": STRING,
        "TLSSkipVerify": BOOL,
        "TCP": STRING,
        "UDP": STRING,
        "GRPC": STRING,
        "OSService": STRING,
        "GRPCUseTLS": BOOL,
        "IntervalDuration": DURATION,
        "TimeoutDuration": DURATION,
        "DeregisterCriticalServiceAfterDuration": DURATION,
        "Interval": DURATION,
        "Timeout": DURATION,
        "DeregisterCriticalServiceAfter": DURATION,
    },
)
_CHECK = Spec(
    "api.HealthCheck",
    {
        "Node": STRING,
        "CheckID": STRING,
        "Name": STRING,
        "Status": STRING,
        "Notes": STRING,
        "Output": STRING,
        "ServiceID": STRING,
        "ServiceName": STRING,
        "ServiceTags": ListOf(STRING),
        "Type": STRING,
        "Namespace": STRING,
        "Partition": STRING,
        "ExposedPort": INT,
        "PeerName": STRING,
        "Definition": _DEFINITION,
        "CreateIndex": UINT,
        "ModifyIndex": UINT,
    },
)
_TXN_OP = Spec(
    "api.TxnOp",
    {
        "KV": _KV_OP,
        "Node": Spec("api.NodeTxnOp", {"Verb": STRING, "Node": _NODE}),
        "Service": Spec("api.ServiceTxnOp", {"Verb": STRING, "Node": STRING, "Service": _SERVICE}),
        "Check": Spec("api.CheckTxnOp", {"Verb": STRING, "Check": _CHECK}),
    },
)

_BASE64 = re.compile(r"[A-Za-z0-9+/]")


def _b64(text: str) -> bytes:
    """``base64.StdEncoding`` as Go's JSON decodes ``[]byte`` (newlines are skipped)."""
    data = text.replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        position = next((i for i, c in enumerate(data) if not _BASE64.match(c) and c != "="), None)
        if position is None:
            position = len(data) - len(data) % 4 if len(data) % 4 else data.find("=")
        raise DecodeError(f"illegal base64 data at input byte {max(position, 0)}") from None


class _Op:
    """One converted operation (``structs.TxnOp``): its kind, verb and data."""

    def __init__(self, kind: str, verb: str, data: dict[str, Any], node: str = "") -> None:
        self.kind = kind
        self.verb = verb
        self.data = data
        self.node = node

    @property
    def writes(self) -> bool:
        if self.kind == "KV":
            return self.verb in _KV_WRITES
        return self.verb != "get"


async def _convert(ctx: Ctx) -> list[_Op]:
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
    body = await ctx.body()
    if len(body) > limit:
        raise HTTPError(
            413, f"Request body too large, max size: {limit} bytes. See {_TXN_MAX_REQ_LEN_DOCS}."
        )
    try:
        raw = decode_json(body)
        if raw is not None and not isinstance(raw, list):
            kind = json_kind(raw)
            raise DecodeError(f"json: cannot unmarshal {kind} into Go value of type api.TxnOps")
        decoded = [decode(item, _TXN_OP) for item in raw or [] if item is not None]
        for item in decoded:
            kv = item.get("KV")
            if kv is not None and "Value" in kv:
                kv["Value"] = _b64(kv["Value"])
    except DecodeError as exc:
        raise HTTPError(400, f"Failed to parse body: {exc}") from None
    count = len(raw or [])
    if count > MAX_TXN_OPS:
        raise HTTPError(413, f"Transaction contains too many operations ({count} > {MAX_TXN_OPS})")
    ops: list[_Op] = []
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
            ops.append(_Op("KV", kv.get("Verb", ""), kv))
        elif "Node" in item:
            node = dict(item["Node"].get("Node") or {})
            node["Datacenter"] = node.get("Datacenter") or ctx.agent.config.datacenter
            ops.append(_Op("Node", item["Node"].get("Verb", ""), node))
        elif "Service" in item:
            service = item["Service"]
            ops.append(
                _Op(
                    "Service",
                    service.get("Verb", ""),
                    dict(service.get("Service") or {}),
                    service.get("Node", ""),
                )
            )
        elif "Check" in item:
            ops.append(
                _Op("Check", item["Check"].get("Verb", ""), dict(item["Check"].get("Check") or {}))
            )
    return ops


# -- pre-checks (agent/consul/txn_endpoint.go preCheck) -----------------------------


def _kv_entry(data: dict[str, Any]) -> Entry:
    """The ``DirEntry`` of a KV operation (its ``Index`` is the ``ModifyIndex``)."""
    return Entry(
        data.get("Key", ""),
        data.get("Value") or None,
        data.get("Flags", 0),
        data.get("Session", ""),
        modify_index=data.get("Index", 0),
    )


def _pre_check(ctx: Ctx, dc: Datacenter, ops: list[_Op]) -> list[dict[str, Any]]:
    """ACLs, lock-delays and validation, before applying; each failure is an error."""
    authz = ctx.authz
    errors: list[dict[str, Any]] = []
    for index, op in enumerate(ops):
        problem = _check_one(authz, dc, op)
        if problem is not None:
            errors.append({"OpIndex": index, "What": problem})
    return errors


def _check_one(authz: Authorizer, dc: Datacenter, op: _Op) -> str | None:
    if op.kind == "KV":
        return _check_kv(authz, dc, op)
    # nodeVerbValidate, serviceVerbValidate, checkVerbValidate; a read needs
    # no other check (its result is filtered instead).
    if op.verb not in _NODE_VERBS:
        return f"unknown {op.kind.lower()} operation: {op.verb}"
    if op.verb == "get":
        return None
    if op.kind == "Node":
        return _check_node(authz, dc, op)
    if op.kind == "Service":
        return _check_service(authz, dc, op)
    return _check_check(authz, dc, op)


def _check_kv(authz: Authorizer, dc: Datacenter, op: _Op) -> str | None:
    """``kvsPreApply``."""
    key = op.data.get("Key", "")
    if not key and op.verb != "delete-tree":
        return "Must provide key"
    if op.verb == "delete-tree":
        allowed, permission = authz.key_write_prefix(key), "key:write"
    elif op.verb in ("get", "get-tree", "get-or-empty"):
        allowed, permission = True, ""  # results are filtered instead
    elif op.verb in ("check-session", "check-index"):
        allowed, permission = authz.key_read(key), "key:read"
    else:
        allowed, permission = authz.key_write(key), "key:write"
    if not allowed:
        return authz.denied_message(permission, key)
    if op.verb == "lock" and dc.kv.lock_delay(key) > 0:
        return f"failed to lock key {quote(key)} due to lock delay"
    return None


_NODE_VERBS = ("get", "set", "cas", "delete", "delete-cas")


def _node_by_id(dc: Datacenter, node_id: str) -> dict[str, Any] | None:
    for record in dc.catalog.nodes.values():
        if record["ID"] and record["ID"].lower() == node_id.lower():
            return dc.catalog.node(record["Node"])
    return None


def _check_node(authz: Authorizer, dc: Datacenter, op: _Op) -> str | None:
    """``nodePreApply`` and ``vetNodeTxnOp``."""
    name, node_id = op.data.get("Node", ""), op.data.get("ID", "")
    if not name:
        return "Must provide node"
    if node_id and (problem := uuid_error(node_id)):
        return f"Invalid node ID: {problem}"
    names = [name]
    existing = _node_by_id(dc, node_id) if node_id else None
    if existing is not None:
        names = [existing["Node"]]
        if existing["Node"].lower() != name.lower():
            names.append(name)
    for wanted in names:
        if not authz.node_write(wanted):
            return authz.denied_message("node:write", wanted)
    return None


def _check_service(authz: Authorizer, dc: Datacenter, op: _Op) -> str | None:
    """``servicePreApplyValidate`` and ``vetServiceTxnOp``."""
    service = op.data
    if not service.get("ID") and service.get("Service"):
        service["ID"] = service["Service"]
    if service.get("ID") and not service.get("Service"):
        return "Must provide service name with ID"
    if is_any_address(service.get("Address", "")):
        return "Invalid service address"
    existing = dc.catalog.service(op.node, service.get("ID", ""))
    if existing is not None and existing["Service"] != service.get("Service"):
        return (
            "service name does not match existing service name for service ID "
            f"{quote(service.get('ID', ''))} on node {quote(op.node)}"
        )
    if not authz.service_write(service.get("Service", "")):
        return authz.denied_message("service:write", service.get("Service", ""))
    return None


def _check_check(authz: Authorizer, dc: Datacenter, op: _Op) -> str | None:
    """``checkPreApply`` and ``vetCheckTxnOp``."""
    check = op.data
    if not check.get("CheckID") and check.get("Name"):
        check["CheckID"] = check["Name"]
    bound = dc.catalog.check(check.get("Node", ""), check.get("CheckID", "")) or check
    node = bound.get("Node", "")
    if not bound.get("ServiceID"):
        if not authz.node_write(node):
            return authz.denied_message("node:write", node)
        return None
    service = dc.catalog.service(node, bound["ServiceID"])
    if service is not None:
        name = service["Service"]
    elif bound.get("ServiceName"):
        name = bound["ServiceName"]
    else:
        return (
            f"unknown service ID {quote(bound['ServiceID'])} for check ID "
            f"{quote(bound.get('CheckID', ''))}"
        )
    if not authz.service_write(name):
        return authz.denied_message("service:write", name)
    return None


# -- the operations (agent/consul/state/txn.go) --------------------------------------


class _Failed(Exception):
    """An operation failed; ``str()`` is its ``What``."""


def _kv_result(entry: Entry, with_value: bool) -> dict[str, Any]:
    return {"KV": entry.to_json(with_value)}


def _run_kv(dc: Datacenter, idx: int, op: _Op) -> list[dict[str, Any]]:
    """``txnKVS``."""
    store = dc.kv
    entry = _kv_entry(op.data)
    key = entry.key
    verb = op.verb
    try:
        if verb == "set":
            store.set(idx, entry)
            return [_kv_result(entry, False)]
        if verb == "delete":
            store.delete(idx, key)
            return []
        if verb == "delete-cas":
            if not store.delete_cas(idx, key, entry.modify_index):
                raise _Failed(f"failed to delete key {quote(key)}, index is stale")
            return []
        if verb == "delete-tree":
            store.delete_tree(idx, key)
            return []
        if verb == "cas":
            if not store.set_cas(idx, entry, entry.modify_index):
                raise _Failed(f"failed to set key {quote(key)}, index is stale")
            return [_kv_result(entry, False)]
        if verb == "lock":
            if not store.lock(idx, entry):
                raise _Failed(f"failed to lock key {quote(key)}, lock is already held")
            return [_kv_result(entry, False)]
        if verb == "unlock":
            if not store.unlock(idx, entry):
                raise _Failed(
                    f"failed to unlock key {quote(key)}, lock isn't held, "
                    "or is held by another session"
                )
            return [_kv_result(entry, False)]
    except RPCError as exc:
        raise _Failed(str(exc)) from None
    _, existing = store.get(key)
    if verb == "get":
        if existing is None:
            raise _Failed(f"key {quote(key)} doesn't exist")
        return [_kv_result(existing, True)]
    if verb == "get-or-empty":
        # A missing key answers with the operation's own entry, valueless.
        entry.value = None
        return [_kv_result(existing or entry, True)]
    if verb == "get-tree":
        return [_kv_result(e, True) for e in store.list(key)[1]]
    if verb == "check-session":
        if existing is None:
            raise _Failed(f"failed to check session, key {quote(key)} doesn't exist")
        if existing.session != entry.session:
            raise _Failed(
                f"failed session check for key {quote(key)}, current session "
                f"{quote(existing.session)} != {quote(entry.session)}"
            )
        return [_kv_result(existing, False)]
    if verb == "check-index":
        if existing is None:
            raise _Failed(f"failed to check index, key {quote(key)} doesn't exist")
        if existing.modify_index != entry.modify_index:
            raise _Failed(
                f"failed index check for key {quote(key)}, current modify index "
                f"{existing.modify_index} != {entry.modify_index}"
            )
        return [_kv_result(existing, False)]
    if verb == "check-not-exists":
        if existing is not None:
            raise _Failed(f"key {quote(key)} exists")
        return []
    raise _Failed(f"unknown KV verb {quote(verb)}")


def _cas_refused(existing: dict[str, Any] | None, wanted: int) -> bool:
    """A set-CAS check: 0 means "only if absent", else the current ModifyIndex."""
    if wanted == 0:
        return existing is not None
    return existing is None or existing["ModifyIndex"] != wanted


def _run_record(
    op: _Op,
    result_key: str,
    what: str,
    *,
    lookup: Callable[[], dict[str, Any] | None],
    current: Callable[[], dict[str, Any] | None],
    write: Callable[[], object],
    delete: Callable[[], object],
) -> list[dict[str, Any]]:
    """The verbs node, service and check operations share: get, set, cas, delete, delete-cas.

    ``txnNode``, ``txnService`` and ``txnCheck`` differ only in the record:
    ``what`` names it in errors (``node "n"``), ``lookup`` reads it as
    ``get`` answers it, ``current`` as the CAS verbs compare it.
    """
    wanted = op.data.get("ModifyIndex", 0)
    try:
        if op.verb == "get":
            found = lookup()
            if found is None:
                raise _Failed(f"{what} doesn't exist")
            return [{result_key: found}]
        if op.verb in ("set", "cas"):
            if op.verb == "cas" and _cas_refused(current(), wanted):
                raise _Failed(f"failed to set {what}, index is stale")
            write()
            found = lookup()
            return [] if found is None else [{result_key: found}]
        if op.verb == "delete-cas":
            existing = current()
            if existing is None or existing["ModifyIndex"] != wanted:
                raise _Failed(f"failed to delete {what}, index is stale")
        delete()
        return []
    except RPCError as exc:
        raise _Failed(str(exc)) from None


def _run_node(dc: Datacenter, idx: int, op: _Op) -> list[dict[str, Any]]:
    """``txnNode``: a node is read by its ID when the operation gives one."""
    catalog = dc.catalog
    node = op.data
    name = node.get("Node", "")

    def lookup() -> dict[str, Any] | None:
        if node.get("ID"):
            return _node_by_id(dc, node["ID"])
        return catalog.node(name)

    return _run_record(
        op,
        "Node",
        f"node {quote(name)}",
        lookup=lookup,
        current=lambda: catalog.node(name),
        write=lambda: catalog.ensure_node(idx, node),
        delete=lambda: catalog.delete_node(idx, name),
    )


def _run_service(dc: Datacenter, idx: int, op: _Op) -> list[dict[str, Any]]:
    """``txnService``."""
    catalog = dc.catalog
    service, node = op.data, op.node
    service_id = service.get("ID", "")

    def lookup() -> dict[str, Any] | None:
        return catalog.service(node, service_id)

    return _run_record(
        op,
        "Service",
        f"service {quote(service_id)} on node {quote(node)}",
        lookup=lookup,
        current=lookup,
        write=lambda: catalog.ensure_service(idx, node, service),
        delete=lambda: catalog.delete_service(idx, node, service_id),
    )


def _run_check(dc: Datacenter, idx: int, op: _Op) -> list[dict[str, Any]]:
    """``txnCheck``."""
    catalog = dc.catalog
    check = op.data
    node, check_id = check.get("Node", ""), check.get("CheckID", "")

    def lookup() -> dict[str, Any] | None:
        return catalog.check(node, check_id)

    return _run_record(
        op,
        "Check",
        f"check {quote(check_id)} on node {quote(node)}",
        lookup=lookup,
        current=lookup,
        write=lambda: catalog.ensure_check(idx, check),
        delete=lambda: catalog.delete_check(idx, node, check_id),
    )


_RUNNERS: dict[str, Callable[[Datacenter, int, _Op], list[dict[str, Any]]]] = {
    "KV": _run_kv,
    "Node": _run_node,
    "Service": _run_service,
    "Check": _run_check,
}


def _dispatch(
    dc: Datacenter, idx: int, ops: list[_Op]
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    """``txnDispatch``: run every operation, collecting results and errors."""
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, op in enumerate(ops):
        try:
            results.extend(_RUNNERS[op.kind](dc, idx, op))
        except _Failed as exc:
            errors.append({"OpIndex": index, "What": str(exc)})
    if errors:
        return None, errors
    return results, None


# -- rollback ------------------------------------------------------------------------


class _Savepoint:
    """The tables a transaction may write, captured so a failure leaves no trace.

    Consul runs a transaction in one memdb write transaction and aborts it on
    any error. Here the tables of every store a transaction reaches are copied
    before the operations run and put back if any fails: KV and the catalog,
    and the sessions and coordinates that a node or check deletion takes with
    it. A table is a store's public attribute (timers and other private
    state are left alone: a deletion does not touch them). Nothing is
    announced (``dc.changed()``) until the transaction has succeeded, so no
    blocking query sees the attempt.
    """

    def __init__(self, dc: Datacenter) -> None:
        stores = (dc.kv, dc.catalog, dc.sessions, dc.coordinates)
        self._saved = [(store, self._capture(store)) for store in stores]

    @staticmethod
    def _capture(store: object) -> dict[str, Any]:
        return {
            name: copy.deepcopy(value) if isinstance(value, dict | list | set) else value
            for name, value in vars(store).items()
            if not name.startswith("_") and name != "dc"
        }

    def rollback(self) -> None:
        """Put every captured store back as it was."""
        for store, attributes in self._saved:
            vars(store).update(attributes)


# -- results and ACL filtering -------------------------------------------------------------


def _readable(authz: Authorizer, result: dict[str, Any]) -> bool:
    """``FilterTxnResults``: may the token read this result?"""
    if "KV" in result:
        return authz.key_read(result["KV"]["Key"])
    if "Node" in result:
        return authz.node_read(result["Node"]["Node"])
    if "Service" in result:
        return authz.service_read(result["Service"]["Service"])
    check = result["Check"]
    if check.get("ServiceName"):
        return authz.service_read(check["ServiceName"])
    return authz.node_read(check["Node"])


@routes("/v1/txn", "PUT")
async def txn(ctx: Ctx) -> Reply:
    """``PUT /v1/txn``: apply operations atomically, or read several things at once."""
    ops = await _convert(ctx)
    writes = any(op.writes for op in ops)
    if not writes:
        return await _read(ctx, ops)
    dc = ctx.dc
    authz = ctx.authz
    errors = _pre_check(ctx, dc, ops)
    if errors:
        return json_reply({"Results": None, "Errors": errors}, 409)
    # The Raft apply: one index for every operation, taken even if they fail.
    idx = dc.apply()
    savepoint = _Savepoint(dc)
    results, failures = _dispatch(dc, idx, ops)
    if failures:
        savepoint.rollback()
        return json_reply({"Results": None, "Errors": failures}, 409)
    dc.changed()
    assert results is not None
    return json_reply({"Results": [r for r in results if _readable(authz, r)], "Errors": None})


async def _read(ctx: Ctx, ops: list[_Op]) -> Reply:
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
    errors = _pre_check(ctx, dc, ops)
    results: list[dict[str, Any]] | None = None
    filtered = False
    if not errors:
        results, failures = _dispatch(dc, 0, ops)
        errors = failures or []
        if results is not None:
            kept = [r for r in results if _readable(authz, r)]
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
