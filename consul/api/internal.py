"""Consul's internal endpoints that Go's client reaches: ``client.internal``.

Go's ``Internal`` (``api/internal.go``): endpoints for HashiCorp's own
tools, with no promise of compatibility between releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, non_empty, str_list
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path

M = TypeVar("M")

__all__ = ["AssignServiceManualVIPsResponse", "Internal"]


class AssignServiceManualVIPsResponse(TypedDict):
    """What assigning virtual IPs did (``api.AssignServiceManualVIPsResponse``).

    ``UnassignedFrom`` lists the services (``{"ServiceName": {...},
    "Peer": ...}``) the addresses were taken from.
    """

    Found: bool
    UnassignedFrom: list[dict[str, Any]] | None


class Internal(Group[M]):
    """Consul's internal endpoints (``client.internal``)."""

    @endpoint
    def assign_service_virtual_ip(
        self,
        service: str,
        manual_vips: Sequence[str],
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[AssignServiceManualVIPsResponse]:
        """``PUT /v1/internal/service-virtual-ip``: give ``service`` these virtual IPs.

        The addresses are taken from any other service that had them.
        ``Found`` is False if the service has no virtual IP to replace.
        """
        body = {
            "Service": non_empty(service, "service"),
            "ManualVIPs": str_list(manual_vips, "manual_vips", "IP addresses"),
        }
        request = self._request(
            "PUT",
            path("internal", "service-virtual-ip"),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)
