"""Exported services: ``/v1/exported-services`` (Consul docs: *Exported Services*).

The services the ``exported-services`` configuration entry exports, with
their consumers, as Go's ``Client.ExportedServices`` reads them:
``client.exported_services()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path

if TYPE_CHECKING:
    from .._meta import Indexed

M = TypeVar("M")

__all__ = ["ExportedServices", "ResolvedConsumers", "ResolvedExportedService"]


class ResolvedConsumers(TypedDict, total=False):
    """Who may consume an exported service: cluster peers (and, in Enterprise, partitions)."""

    Peers: list[str]
    Partitions: list[str]


class ResolvedExportedService(TypedDict, total=False):
    """One exported service (``api.ResolvedExportedService``), wildcards resolved."""

    Service: str
    Partition: str
    Namespace: str
    Consumers: ResolvedConsumers


class ExportedServices(Group[M]):
    """``client.exported_services``: call it for the exported services."""

    @endpoint
    def __call__(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ResolvedExportedService]]]:
        """``GET /v1/exported-services``: every exported service and its consumers, by name.

        Needs ``mesh:read``. A ``*`` in the entry stands for every service
        of the catalog (but ``consul``); an empty list without an entry.
        ``index`` and ``wait`` block until the entry or the catalog's
        services change.
        """
        return self._read(
            path("exported-services"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            partition=partition,
        )
