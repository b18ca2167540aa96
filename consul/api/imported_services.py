"""Services imported from cluster peers: ``/v1/imported-services`` (``client.imported_services``).

Go's ``Client.ImportedServices`` (``api/imported_services.go``). Consul's
agent, 1.22 included, registers no such path (``agent/http_register.go``):
it answers with its 404 for an unknown path, a :class:`~consul.NotFound`.
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["ImportedService", "ImportedServices"]


class ImportedService(TypedDict, total=False):
    """A service imported from a peer or partition (``api.ImportedService``)."""

    Service: str
    Partition: str
    Namespace: str
    SourcePeer: str
    SourcePartition: str


class ImportedServices(Group[M]):
    """Imported services (``client.imported_services``)."""

    @endpoint
    def list(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[ImportedService]]]:
        """``GET /v1/imported-services``: the services imported into this cluster.

        Go's client reads it; no Consul release read (1.22 included) serves it.
        """
        return self._read(
            path("imported-services"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=None,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )
