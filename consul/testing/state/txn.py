"""Transactions: the operations of ``PUT /v1/txn``, run as one atomic write.

The checks before applying from ``agent/consul/txn_endpoint.go``
(``preCheck``), the operations from ``agent/consul/state/txn.go`` (with
``state/kvs.go`` and ``state/catalog.go`` for what each verb does), and the
ACL filtering of results (``FilterTxnResults``).

A transaction is all or nothing: every operation is run, in order, each one
seeing what the earlier ones did; if any failed, every error is reported and
the caller puts the state back (:class:`~.datacenter.Savepoint`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .acl.authorizer import Authorizer
from .datacenter import Datacenter
from .errors import RPCError
from .golang import is_any_address, quote, uuid_error
from .kv import Entry

__all__ = ["Op", "dispatch", "pre_check", "readable"]

#: The KV verbs that write (``isWrite``); every other KV verb reads.
_KV_WRITES = frozenset({"set", "delete", "delete-cas", "delete-tree", "cas", "lock", "unlock"})


class Op:
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


def pre_check(authz: Authorizer, dc: Datacenter, ops: list[Op]) -> list[dict[str, Any]]:
    """ACLs, lock-delays and validation, before applying; each failure is an error."""
    errors: list[dict[str, Any]] = []
    for index, op in enumerate(ops):
        problem = _check_one(authz, dc, op)
        if problem is not None:
            errors.append({"OpIndex": index, "What": problem})
    return errors


def _check_one(authz: Authorizer, dc: Datacenter, op: Op) -> str | None:
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


def _check_kv(authz: Authorizer, dc: Datacenter, op: Op) -> str | None:
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


def _check_node(authz: Authorizer, dc: Datacenter, op: Op) -> str | None:
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


def _check_service(authz: Authorizer, dc: Datacenter, op: Op) -> str | None:
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


def _check_check(authz: Authorizer, dc: Datacenter, op: Op) -> str | None:
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


def _run_kv(dc: Datacenter, idx: int, op: Op) -> list[dict[str, Any]]:
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
    op: Op,
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


def _run_node(dc: Datacenter, idx: int, op: Op) -> list[dict[str, Any]]:
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


def _run_service(dc: Datacenter, idx: int, op: Op) -> list[dict[str, Any]]:
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


def _run_check(dc: Datacenter, idx: int, op: Op) -> list[dict[str, Any]]:
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


_RUNNERS: dict[str, Callable[[Datacenter, int, Op], list[dict[str, Any]]]] = {
    "KV": _run_kv,
    "Node": _run_node,
    "Service": _run_service,
    "Check": _run_check,
}


def dispatch(
    dc: Datacenter, idx: int, ops: list[Op]
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


# -- results and ACL filtering -------------------------------------------------------------


def readable(authz: Authorizer, result: dict[str, Any]) -> bool:
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
