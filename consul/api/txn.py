"""Transactions: ``/v1/txn`` (Consul docs: *Transactions*)."""

from __future__ import annotations

import base64
import json
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Response, path
from ..exceptions import Conflict

M = TypeVar("M")

__all__ = ["Txn", "TxnConflict", "TxnError", "TxnKVPair", "TxnResponse", "TxnResult"]


class TxnError(TypedDict):
    """Why one operation of a transaction failed (``OpIndex`` counts from 0)."""

    OpIndex: int
    What: str


class TxnKVPair(TypedDict):
    """A KV entry in a transaction's results, ``Value`` as Consul sent it.

    ``Value`` is base64 text (``base64.b64decode`` gives the bytes), as
    python-consul returned it; Consul sends one only for the reading verbs
    (``get``, ``get-or-empty``, ``get-tree``), None otherwise.
    """

    LockIndex: int
    Key: str
    Flags: int
    Value: str | None
    Session: NotRequired[str]
    CreateIndex: int
    ModifyIndex: int


class TxnResult(TypedDict, total=False):
    """The result of one operation: exactly one of its keys is present."""

    KV: TxnKVPair
    Node: dict[str, Any]
    Service: dict[str, Any]
    Check: dict[str, Any]


class TxnResponse(TypedDict):
    """What Consul answers to a transaction.

    A transaction without writes is served as a read and also carries the
    query metadata (``Index``, ``KnownLeader``...).
    """

    Results: list[TxnResult] | None
    Errors: list[TxnError] | None
    Index: NotRequired[int]
    LastContact: NotRequired[int]
    KnownLeader: NotRequired[bool]
    ConsistencyLevel: NotRequired[str]
    NotModified: NotRequired[bool]
    Backend: NotRequired[int]
    ResultsFilteredByACLs: NotRequired[bool]


class TxnConflict(Conflict):
    """409: the transaction was rolled back; nothing of it was applied.

    A :class:`consul.Conflict` (catch either). ``errors`` lists Consul's
    ``Errors``: the index of each failed operation and why it failed; the
    message names them, and ``body`` is Consul's whole answer.
    """

    def __init__(self, message: str, errors: list[TxnError], body: str = "", **kwargs: Any) -> None:
        self.errors = errors
        self.body = body
        super().__init__(message, **kwargs)


def _encode_op(op: Any, position: int) -> Any:
    """One operation as Consul's JSON, with a bytes KV ``Value`` base64-encoded."""
    if not isinstance(op, dict):
        raise TypeError(f"payload[{position}] must be a dict, not {type(op).__name__}")
    kv = op.get("KV")
    if not isinstance(kv, dict) or "Value" not in kv:
        return op
    value = kv["Value"]
    name = f"payload[{position}]['KV']['Value']"
    if isinstance(value, bytes | bytearray | memoryview):
        value = base64.b64encode(bytes(value)).decode("ascii")
    elif isinstance(value, str):
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            raise ValueError(
                f"{name} must be base64 text when a str (give bytes for the value itself), "
                f"not {value!r}"
            ) from None
    elif value is not None:
        raise TypeError(f"{name} must be bytes, a base64 str or None, not {type(value).__name__}")
    return {**op, "KV": {**kv, "Value": value}}


def _conflict(response: Response) -> TxnConflict:
    """The exception of a rolled-back transaction: its errors, in one short line."""
    body = response.body.decode("utf-8", "replace")
    try:
        errors = json.loads(body).get("Errors") or []
    except (ValueError, AttributeError):
        errors = []
    described = [f"operation {e.get('OpIndex')}: {e.get('What')}" for e in errors]
    message = "transaction rolled back: " + ("; ".join(described) or body.strip())
    return TxnConflict(
        message,
        errors,
        body,
        status=409,
        method=response.request.method,
        path=response.request.path,
    )


def _decode(response: Response) -> TxnResponse:
    if response.status == 409:
        raise _conflict(response)
    result: TxnResponse = d.json(response)
    return result


class Txn(Group[M]):
    """Apply several operations atomically: all of them or none."""

    @endpoint
    def put(
        self,
        payload: list[dict[str, Any]],
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[TxnResponse]:
        """``PUT /v1/txn``: run the operations of ``payload`` as one transaction.

        ``payload`` is a list of operations in Consul's JSON, each a dict with
        one key (``KV``, ``Node``, ``Service`` or ``Check``), e.g.
        ``{"KV": {"Verb": "set", "Key": "k", "Value": b"v"}}``. A KV
        ``Value`` given as bytes is the value itself (encoded here); a str
        is taken as the base64 text of the value, as Consul's JSON and
        python-consul have it (``"aGk="`` stores ``b"hi"``). Consul takes
        at most 128 operations.

        Returns Consul's answer as Consul sent it: KV values are base64
        text, as in python-consul (:class:`TxnKVPair`). If any operation
        fails, nothing is applied and :class:`TxnConflict` (a
        :class:`consul.Conflict`) is raised with Consul's ``Errors``.
        ``consistency`` applies when no operation writes (Consul then serves
        the transaction as a read).
        """
        if not isinstance(payload, list | tuple):
            raise TypeError(f"payload must be a list of operations, not {type(payload).__name__}")
        ops = [_encode_op(op, position) for position, op in enumerate(payload)]
        request = self._request(
            "PUT",
            path("txn"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=consistency is not None,
            json_body=ops,
            ns=ns,
            partition=partition,
        )
        return Call(request, _decode)
