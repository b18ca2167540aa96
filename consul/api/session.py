"""Sessions: ``/v1/session`` (Consul docs: *Sessions*)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, duration, duration_field, endpoint, non_empty, optional_str, str_list
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["ServiceCheck", "Session", "SessionEntry"]

#: ``structs.SessionTTLMax``: Consul refuses longer TTLs (seconds).
SESSION_TTL_MAX = 86400.0


class ServiceCheck(TypedDict):
    """A service check a session depends on."""

    ID: str
    Namespace: str


class SessionEntry(TypedDict):
    """A session (``structs.Session``); ``LockDelay`` is in nanoseconds."""

    ID: str
    Name: str
    Node: str
    LockDelay: int
    Behavior: str
    TTL: str
    NodeChecks: list[str] | None
    ServiceChecks: list[ServiceCheck] | None
    Checks: NotRequired[list[str]]
    CreateIndex: int
    ModifyIndex: int


def _service_checks(value: Sequence[str | Mapping[str, str]] | None) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise TypeError(f"service_checks must be a list, not {type(value).__name__}")
    checks: list[Any] = []
    for item in value:
        if isinstance(item, str):
            checks.append({"ID": item})
        elif isinstance(item, Mapping) and isinstance(item.get("ID"), str):
            checks.append(dict(item))
        else:
            raise TypeError(
                f"service_checks must hold check IDs or {{'ID': ..., 'Namespace': ...}}, "
                f"not {item!r}"
            )
    return checks


class Session(Group[M]):
    """Create, renew, read and destroy sessions, which KV locks are held by.

    Reads return ``(index, data)``; pass ``index`` back (with an optional
    ``wait``, seconds or a duration such as ``"5m"``) to block until the
    data changes. ``consistency`` is ``"default"``, ``"consistent"`` or
    ``"stale"``.
    """

    @endpoint
    def create(
        self,
        name: str | None = None,
        node: str | None = None,
        checks: Sequence[str] | None = None,
        lock_delay: str | float = 15,
        behavior: str = "release",
        ttl: str | float | None = None,
        dc: str | None = None,
        token: str | None = None,
        *,
        node_checks: Sequence[str] | None = None,
        service_checks: Sequence[str | Mapping[str, str]] | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``PUT /v1/session/create``: a new session; returns its ID.

        ``node`` defaults to the agent's node. The session ends when one of
        its checks turns critical: by default the node's ``serfHealth``;
        ``node_checks`` (check IDs of the node) and ``service_checks``
        (check IDs, or ``{"ID": ..., "Namespace": ...}``) replace it, and an
        empty list means no check at all. ``checks`` is the deprecated form
        of ``node_checks``.

        ``lock_delay`` (seconds, or a duration such as ``"500ms"``) is how
        long the keys this session held stay unlockable once it ends
        (Consul caps it at 60s, and reads a duration under 1µs as that many
        seconds). ``behavior`` is ``"release"`` (its locks are released) or
        ``"delete"`` (the keys it holds are deleted).

        ``ttl`` (seconds, or a duration) makes the session end unless
        renewed (:meth:`renew`) within it (Consul waits up to twice as
        long). The agent's ``session_ttl_min`` (10s by default) is the
        shortest allowed, 24 hours the longest.
        """
        body: dict[str, Any] = {}
        if optional_str(name, "name") is not None:
            body["Name"] = name
        if node is not None:
            body["Node"] = non_empty(node, "node")
        if (ids := str_list(checks, "checks", of="check IDs")) is not None:
            body["Checks"] = ids
        if (ids := str_list(node_checks, "node_checks", of="check IDs")) is not None:
            body["NodeChecks"] = ids
        if (service := _service_checks(service_checks)) is not None:
            body["ServiceChecks"] = service
        body["LockDelay"] = duration_field(lock_delay, "lock_delay")
        if behavior not in ("release", "delete"):
            raise ValueError(f"behavior must be 'release' or 'delete', not {behavior!r}")
        body["Behavior"] = behavior
        if ttl is not None and ttl != 0:
            body["TTL"] = duration_field(ttl, "ttl")
            if duration(ttl, "ttl")[1] > SESSION_TTL_MAX:
                raise ValueError(f"ttl must be at most 24 hours, not {ttl!r}")
        request = self._request(
            "PUT",
            path("session", "create"),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.field("ID"))

    @endpoint
    def destroy(
        self,
        session_id: str,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/session/destroy/:id``: end a session (True, even if it did not exist).

        Its locks are released (or its keys deleted) as its ``behavior`` says.
        """
        request = self._request(
            "PUT",
            path("session", "destroy", tail=path_tail(session_id, "session_id")),
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    @endpoint
    def renew(
        self,
        session_id: str,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[SessionEntry]:
        """``PUT /v1/session/renew/:id``: restart a TTL session's clock; returns the session.

        Raises :class:`consul.NotFound` if the session does not exist (any
        more).
        """
        request = self._request(
            "PUT",
            path("session", "renew", tail=path_tail(session_id, "session_id")),
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.mapped(d.json, d.first))

    @endpoint
    def info(
        self,
        session_id: str,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[SessionEntry | None]]:
        """``GET /v1/session/info/:id``: the session, or None.

        Blocking on a session that does not exist waits until it exists or
        ``wait`` has passed, whatever other sessions do.
        """
        return self._read(
            path("session", "info", tail=path_tail(session_id, "session_id")),
            d.mapped(d.json, d.first),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def node(
        self,
        node: str,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[SessionEntry]]]:
        """``GET /v1/session/node/:node``: the sessions of a node."""
        return self._read(
            path("session", "node", tail=path_tail(node, "node")),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    # Defined last: in the class body, later annotations would read ``list``
    # as this method rather than the builtin.
    @endpoint
    def list(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[SessionEntry]]]:
        """``GET /v1/session/list``: every session of the datacenter."""
        return self._read(
            path("session", "list"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )
