"""Transactions: ``/v1/txn`` (Consul docs: *Transactions*)."""

from __future__ import annotations

import base64
import json
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint
from .._http import Call, Response, path
from ..exceptions import Conflict
from .kv import KVPair

M = TypeVar("M")

__all__ = ["Txn", "TxnConflict", "TxnError", "TxnResponse", "TxnResult"]


class TxnError(TypedDict):
    """Why one operation of a transaction failed (``OpIndex`` counts from 0)."""

    OpIndex: int
    What: str


class TxnResult(TypedDict, total=False):
    """The result of one operation: exactly one of its keys is present.

    ``KV`` entries have their ``Value`` decoded to bytes; Consul sends a
    value only for the reading verbs (``get``, ``get-or-empty``, ``get-tree``).
    """

    KV: KVPair
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
    ``Errors``: the index of each failed operation and why it failed.
    """

    def __init__(self, message: str, errors: list[TxnError], **kwargs: Any) -> None:
        self.errors = errors
        super().__init__(message, **kwargs)


def _encode_op(op: Any, position: int) -> Any:
    """One operation as Consul's JSON, with a bytes KV ``Value`` base64-encoded."""
    if not isinstance(op, dict):
        raise TypeError(f"payload[{position}] must be a dict, not {type(op).__name__}")
    kv = op.get("KV")
    if not isinstance(kv, dict) or "Value" not in kv:
        return op
    value = kv["Value"]
    if isinstance(value, bytes | bytearray | memoryview):
        value = base64.b64encode(bytes(value)).decode("ascii")
    elif value is not None and not isinstance(value, str):
        raise TypeError(
            f"payload[{position}]['KV']['Value'] must be bytes, a base64 str or None, "
            f"not {type(value).__name__}"
        )
    return {**op, "KV": {**kv, "Value": value}}


def _response(data: dict[str, Any]) -> TxnResponse:
    for result in data.get("Results") or ():
        if result.get("KV") is not None:
            d.kv_entry(result["KV"])
    return data  # type: ignore[return-value]


def _decode(response: Response) -> TxnResponse:
    if response.status == 409:
        body = response.body.decode("utf-8", "replace")
        errors = json.loads(body).get("Errors") or []
        raise TxnConflict(
            body.strip(),
            errors,
            status=409,
            method=response.request.method,
            path=response.request.path,
        )
    return _response(d.json(response))


class Txn(Group[M]):
    """Apply several operations atomically: all of them or none."""

    @endpoint
    def put(
        self,
        payload: list[dict[str, Any]],
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
    ) -> Call[TxnResponse]:
        """``PUT /v1/txn``: run the operations of ``payload`` as one transaction.

        ``payload`` is a list of operations in Consul's JSON, each a dict with
        one key (``KV``, ``Node``, ``Service`` or ``Check``), e.g.
        ``{"KV": {"Verb": "set", "Key": "k", "Value": b"v"}}``. A KV
        ``Value`` may be bytes (encoded here) or, as python-consul required,
        a str already in base64. Consul takes at most 128 operations.

        Returns Consul's answer with KV values decoded to bytes. If any
        operation fails, nothing is applied and :class:`TxnConflict` (a
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
        )
        return Call(request, _decode)
