"""Raft status: ``/v1/status`` (Consul docs: *Status*)."""

from __future__ import annotations

from typing import TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path

M = TypeVar("M")

__all__ = ["Status"]


class Status(Group[M]):
    """The Raft leader and peers of a datacenter. No ACL is needed.

    ``ns`` and ``partition`` (Consul Enterprise) are sent as Go's client
    sends them; Consul CE's handlers do not read them
    (``agent/status_endpoint.go``).
    """

    @endpoint
    def leader(
        self,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``GET /v1/status/leader``: the leader's Raft address (``""`` if none)."""
        request = self._request("GET", path("status", "leader"), dc=dc, ns=ns, partition=partition)
        return Call(request, d.json)

    @endpoint
    def peers(
        self,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[list[str]]:
        """``GET /v1/status/peers``: the Raft addresses of the datacenter's servers."""
        request = self._request("GET", path("status", "peers"), dc=dc, ns=ns, partition=partition)
        return Call(request, d.json)
