"""Admin partitions: ``/v1/partition`` (``client.partition``), a Consul Enterprise feature.

After Go's ``api/partition.go`` (``Partitions``). Consul's community edition
registers none of these paths (``agent/http_register.go``): it answers each
with its 404 for an unknown path, a :class:`~consul.NotFound` here (and
:meth:`Partitions.read` cannot tell that from a missing partition: it
answers None). Elsewhere, ``partition=`` scopes a call to a partition.
"""

from __future__ import annotations

from typing import Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, non_empty, optional_str
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["AdminPartition", "Partitions"]


class AdminPartition(TypedDict, total=False):
    """An admin partition (``api.AdminPartition``); empty fields may be absent."""

    Name: str
    Description: str
    DeletedAt: str
    CreateIndex: int
    ModifyIndex: int


def _partition_body(name: str, description: str | None) -> dict[str, Any]:
    """The ``api.AdminPartition`` a create or an update sends."""
    body: dict[str, Any] = {"Name": non_empty(name, "name")}
    if optional_str(description, "description"):
        body["Description"] = description
    return body


def _partitions(body: dict[str, Any] | None) -> list[AdminPartition]:
    """``api.AdminPartitions``: the list under ``Partitions``."""
    return list((body or {}).get("Partitions") or [])


class Partitions(Group[M]):
    """Admin partitions (``client.partition``): Go's ``Partitions``. Consul Enterprise only."""

    @endpoint
    def create(
        self,
        name: str,
        description: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[AdminPartition]:
        """``PUT /v1/partition``: create the partition ``name`` (Consul Enterprise)."""
        body = _partition_body(name, description)
        request = self._request("PUT", path("partition"), token=token, json_body=body)
        return Call(request, d.json)

    @endpoint
    def update(
        self,
        name: str,
        description: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[AdminPartition]:
        """``PUT /v1/partition/:name``: replace the partition's description (Consul Enterprise)."""
        body = _partition_body(name, description)
        request = self._request(
            "PUT", path("partition", path_segment(name, "name")), token=token, json_body=body
        )
        return Call(request, d.json)

    @endpoint
    def read(
        self,
        name: str,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[AdminPartition | None]]:
        """``GET /v1/partition/:name``: the partition, or None (Consul Enterprise)."""
        request = self._request(
            "GET",
            path("partition", path_segment(name, "name")),
            token=token,
            index=index,
            wait=wait,
            read=True,
        )
        return Call(request, d.indexed_or_none(d.json))

    @endpoint
    def delete(
        self,
        name: str,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/partition/:name``: mark the partition for deletion (Consul Enterprise)."""
        request = self._request(
            "DELETE", path("partition", path_segment(name, "name")), token=token
        )
        return Call(request, d.true)

    @endpoint
    def list(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[AdminPartition]]]:
        """``GET /v1/partitions``: every admin partition (Consul Enterprise)."""
        return self._read(
            path("partitions"),
            d.mapped(d.json, _partitions),
            token=token,
            dc=None,
            consistency=None,
            index=index,
            wait=wait,
        )
