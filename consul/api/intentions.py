"""Intentions: ``/v1/connect/intentions`` (Consul docs: *Connect - Intentions*).

``client.connect.intentions``: which services may connect to which. Since
Consul 1.9 an intention is one source of the destination's
``service-intentions`` configuration entry (which ``client.config`` edits
whole); the calls here read and write one intention, named by its source
and destination: :meth:`~ConnectIntentions.list`,
:meth:`~ConnectIntentions.get_exact`, :meth:`~ConnectIntentions.upsert`,
:meth:`~ConnectIntentions.delete_exact`, :meth:`~ConnectIntentions.match`
and :meth:`~ConnectIntentions.check` (Go's ``Intentions``,
``IntentionGetExact``, ``IntentionUpsert``, ``IntentionDeleteExact``,
``IntentionMatch``, ``IntentionCheck``).

The ID-based calls (:meth:`~ConnectIntentions.get`,
:meth:`~ConnectIntentions.create`, :meth:`~ConnectIntentions.update`,
:meth:`~ConnectIntentions.delete`) are Consul's deprecated legacy API: it
only edits intentions it created, and refuses a destination once its
entry was written as an entry. They take ``ns=`` and ``partition=`` too, as
Go's client does: Consul CE refuses them on ``create`` and ``update``, and
its ``get`` and ``delete`` by ID do not read them
(``agent/intentions_endpoint.go``).

A source or destination is a service name, or ``*`` for any; Consul
Enterprise also takes ``namespace/name`` and ``partition/namespace/name``
(and, for :meth:`~ConnectIntentions.get_exact`'s source,
``peer:peer/name``), and ``ns=`` and ``partition=`` as the defaults of the
calls by name (Consul CE refuses both with a :class:`~consul.BadRequest`).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, mapping, non_empty, optional_str, str_map, string
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment

if TYPE_CHECKING:
    from .._meta import Indexed

M = TypeVar("M")

__all__ = ["ConnectIntentions", "Intention", "IntentionHTTPPermission", "IntentionPermission"]


class IntentionHTTPPermission(TypedDict, total=False):
    """What an L7 permission matches in an HTTP request (at most one path rule)."""

    PathExact: str
    PathPrefix: str
    PathRegex: str
    Header: list[dict[str, Any]]
    Methods: list[str]


class IntentionPermission(TypedDict, total=False):
    """One L7 permission: ``allow`` or ``deny`` the requests ``HTTP`` matches."""

    Action: str
    HTTP: IntentionHTTPPermission
    JWT: dict[str, Any]


class Intention(TypedDict, total=False):
    """An intention (``structs.Intention``).

    ``Action`` is ``allow`` or ``deny`` (an L7 intention has ``Permissions``
    instead); ``Precedence`` orders the intentions (9: both names exact).
    Only legacy intentions have an ``ID``, ``CreatedAt``, ``UpdatedAt`` and
    ``Hash``; ``Meta`` is the destination entry's (a legacy intention's own).
    """

    ID: str
    Description: str
    SourcePeer: str
    SourceNS: str
    SourceName: str
    DestinationNS: str
    DestinationName: str
    SourcePartition: str
    DestinationPartition: str
    SourceType: str
    Action: str
    Permissions: list[IntentionPermission]
    JWT: dict[str, Any]
    Meta: dict[str, str]
    Precedence: int
    CreatedAt: str
    UpdatedAt: str
    Hash: str
    CreateIndex: int
    ModifyIndex: int


def _action(action: str | None) -> str | None:
    """An L4 action: ``allow`` or ``deny`` (None: an L7 intention, with permissions)."""
    if action is None:
        return None
    if string(action, "action") not in ("allow", "deny"):
        raise ValueError(f"action must be 'allow' or 'deny', not {action!r}")
    return action


def _permissions(permissions: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    if permissions is None:
        return None
    if isinstance(permissions, str | bytes | Mapping) or not isinstance(permissions, Sequence):
        raise TypeError(
            f"permissions must be a sequence of mappings, not {type(permissions).__name__}"
        )
    out = []
    for permission in permissions:
        item = mapping(permission, "permissions item")
        assert item is not None
        out.append(item)
    return out


def _pair(source: str, destination: str) -> tuple[tuple[str, str], ...]:
    """The ``?source=&destination=`` of the calls on one intention."""
    return (
        ("source", non_empty(source, "source")),
        ("destination", non_empty(destination, "destination")),
    )


def _legacy_body(
    source: str,
    destination: str,
    action: str,
    description: str | None,
    meta: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The body of a legacy create or update (an L4 intention)."""
    body: dict[str, Any] = {
        "SourceName": non_empty(source, "source"),
        "DestinationName": non_empty(destination, "destination"),
        "SourceType": "consul",
        "Action": _action(non_empty(action, "action")),
    }
    if (text := optional_str(description, "description")) is not None:
        body["Description"] = text
    if (values := str_map(meta, "meta")) is not None:
        body["Meta"] = values
    return body


class ConnectIntentions(Group[M]):
    """Intentions (``client.connect.intentions``)."""

    @endpoint
    def list(
        self,
        filter_expr: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[builtins.list[Intention]]]:
        """``GET /v1/connect/intentions``: every intention the token may read, by precedence.

        A token sees the intentions it has ``intentions:read`` on (by
        source or destination). ``filter_expr`` filters them (``Action ==
        "deny"``...). ``index`` and ``wait`` block until an intention changes.
        """
        return self._read(
            path("connect", "intentions"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            filter_expr=filter_expr,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def get_exact(
        self,
        source: str,
        destination: str,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[Intention | None]]:
        """``GET /v1/connect/intentions/exact``: the intention from ``source`` to ``destination``.

        None if there is none. Needs ``intentions:read``; ``index`` and
        ``wait`` block until the destination's intentions change.
        """
        return self._read(
            path("connect", "intentions", "exact"),
            d.or_none(d.json),
            _pair(source, destination),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def upsert(
        self,
        source: str,
        destination: str,
        action: str | None = None,
        permissions: Sequence[Mapping[str, Any]] | None = None,
        description: str | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/connect/intentions/exact``: create or replace one intention.

        An L4 intention has an ``action`` (``allow`` or ``deny``); an L7 one
        ``permissions`` instead (:class:`IntentionPermission`, for a
        destination whose protocol is HTTP-like). Needs
        ``intentions:write`` on the destination. True once written.
        Consul's refusals (both or neither of ``action`` and
        ``permissions``...) are :class:`~consul.ServerError`.
        """
        body: dict[str, Any] = {"SourceType": "consul"}
        if (value := _action(action)) is not None:
            body["Action"] = value
        if (items := _permissions(permissions)) is not None:
            body["Permissions"] = items
        if (text := optional_str(description, "description")) is not None:
            body["Description"] = text
        request = self._request(
            "PUT",
            path("connect", "intentions", "exact"),
            _pair(source, destination),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    @endpoint
    def delete_exact(
        self,
        source: str,
        destination: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/connect/intentions/exact``: delete one intention (if there is one)."""
        request = self._request(
            "DELETE",
            path("connect", "intentions", "exact"),
            _pair(source, destination),
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    @endpoint
    def match(
        self,
        by: str,
        names: str | Sequence[str],
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[dict[str, builtins.list[Intention] | None]]]:
        """``GET /v1/connect/intentions/match``: the intentions that apply to each name.

        ``by`` is ``source`` or ``destination``: the side ``names`` are on.
        Each name maps to its intentions in the order they are evaluated
        (wildcards included), or None if none applies. Needs
        ``intentions:read`` on every name. ``index`` and ``wait`` block
        until an intention changes (while none matches: until one does).
        """
        if by not in ("source", "destination"):
            raise ValueError(f"by must be 'source' or 'destination', not {by!r}")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, Sequence) or not names:
            raise ValueError("names must be a name or a non-empty sequence of names")
        params = [("by", by)] + [("name", non_empty(name, "names item")) for name in names]
        return self._read(
            path("connect", "intentions", "match"),
            d.json,
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def check(
        self,
        source: str,
        destination: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``GET /v1/connect/intentions/check``: may ``source`` connect to ``destination``?

        Decided by the intention that applies (an L7 one counts as a
        denial), else by the ACL default policy (allowed with ACLs off).
        Needs ``service:read`` on the destination.
        """
        request = self._request(
            "GET",
            path("connect", "intentions", "check"),
            _pair(source, destination),
            token=token,
            dc=dc,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.mapped(d.json, lambda answer: bool(answer["Allowed"])))

    # -- the deprecated ID-based API ------------------------------------------------------

    @endpoint
    def get(
        self,
        intention_id: str,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[Intention | None]]:
        """``GET /v1/connect/intentions/:id`` (deprecated): a legacy intention, or None.

        An ID that is not a UUID is a :class:`~consul.BadRequest`.
        """
        return self._read(
            path("connect", "intentions", path_segment(intention_id, "intention_id")),
            d.or_none(d.json),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def create(
        self,
        source: str,
        destination: str,
        action: str,
        description: str | None = None,
        meta: Mapping[str, str] | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``POST /v1/connect/intentions`` (deprecated): a legacy L4 intention; returns its ID.

        Prefer :meth:`upsert`. ``meta`` is the intention's own. A second
        intention for the same pair is a :class:`~consul.ServerError`.
        """
        body = _legacy_body(source, destination, action, description, meta)
        request = self._request(
            "POST",
            path("connect", "intentions"),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.field("ID"))

    @endpoint
    def update(
        self,
        intention_id: str,
        source: str,
        destination: str,
        action: str,
        description: str | None = None,
        meta: Mapping[str, str] | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``PUT /v1/connect/intentions/:id`` (deprecated): replace a legacy intention.

        Its destination cannot change. Returns the ID.
        """
        body = _legacy_body(source, destination, action, description, meta)
        request = self._request(
            "PUT",
            path("connect", "intentions", path_segment(intention_id, "intention_id")),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.field("ID"))

    @endpoint
    def delete(
        self,
        intention_id: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/connect/intentions/:id`` (deprecated): delete a legacy intention."""
        request = self._request(
            "DELETE",
            path("connect", "intentions", path_segment(intention_id, "intention_id")),
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)
