"""User events: ``/v1/event`` (Consul docs: *Events*)."""

from __future__ import annotations

from typing import Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, optional_str
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_tail
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["Event", "UserEvent", "event_index"]


class UserEvent(TypedDict):
    """A user event, with its ``Payload`` decoded to bytes (None if empty)."""

    ID: str
    Name: str
    Payload: bytes | None
    NodeFilter: str
    ServiceFilter: str
    TagFilter: str
    Version: int
    LTime: int


def event_index(event_id: str) -> int:
    """The index an event stands for: its UUID's two halves XORed (Consul's ``IDToIndex``).

    ``event.list`` answers with the index of its newest event; pass it back as
    ``index=`` to wait for the next one.
    """
    hex_digits = event_id.replace("-", "")
    return int(hex_digits[:16], 16) ^ int(hex_digits[16:32], 16)


def _event(data: dict[str, Any]) -> UserEvent:
    payload = data.get("Payload")
    data["Payload"] = d.b64(payload or None)
    return data  # type: ignore[return-value]


def _events(data: list[dict[str, Any]] | None) -> list[UserEvent]:
    return [_event(e) for e in data or []]


def _filter(value: str | None, name: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (a regular expression), not {type(value).__name__}")
    return [(name, value)] if value else []


class Event(Group[M]):
    """Fire user events and list those the agent received.

    Events travel by gossip: each agent keeps the last 256 it received, and
    an event's filters (``node``, ``service``, ``tag``: regular expressions)
    decide which agents keep it.

    Both calls take ``ns`` and ``partition`` (Consul Enterprise) as Go's
    client does; Consul CE's handlers do not read them
    (``agent/event_endpoint.go``).
    """

    @endpoint
    def fire(
        self,
        name: str,
        body: str | bytes = "",
        node: str | None = None,
        service: str | None = None,
        tag: str | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[UserEvent]:
        """``PUT /v1/event/fire/:name``: broadcast an event; returns it (with its ``ID``).

        ``body`` becomes the payload (a ``str`` is sent as UTF-8); Consul
        refuses events whose name and payload do not fit in 512 bytes of
        gossip. ``tag`` needs ``service``. Needs ``event:write``.
        """
        path_tail(name, "name")
        if isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes | bytearray):
            data = bytes(body)
        else:
            raise TypeError(f"body must be str or bytes, not {type(body).__name__}")
        if tag is not None and tag and not service:
            raise ValueError("tag needs service: Consul filters tags of matching services")
        params = _filter(node, "node") + _filter(service, "service") + _filter(tag, "tag")
        request = self._request(
            "PUT",
            path("event", "fire", tail=name),
            params,
            token=token,
            dc=dc,
            body=data,
            content_type="application/octet-stream" if data else None,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.mapped(d.json, _event))

    @endpoint
    def list(
        self,
        name: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[UserEvent]]]:
        """``GET /v1/event/list``: the agent's recent events, oldest first.

        ``name`` keeps only events of that name. The index is that of the
        newest event listed (see :func:`event_index`); with ``index`` the call
        blocks until the newest event differs from it, or ``wait`` passes.
        Events the token may not read (``event:read``) are left out.
        """
        params: list[tuple[str, str]] = []
        if optional_str(name, "name"):
            params.append(("name", name or ""))
        request = self._request(
            "GET",
            path("event", "list"),
            params,
            token=token,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.indexed(d.mapped(d.json, _events)))
