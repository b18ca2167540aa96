"""Namespaces: ``/v1/namespace`` (``client.namespace``), a Consul Enterprise feature.

After Go's ``api/namespace.go`` (``Namespaces``). Consul's community edition
registers none of these paths (``agent/http_register.go``): it answers each
with its 404 for an unknown path, a :class:`~consul.NotFound` here (and
:meth:`Namespaces.read` cannot tell that from a missing namespace: it
answers None). Elsewhere, ``ns=`` scopes a call to a namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, mapping, non_empty, optional_str, str_map
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["Namespace", "NamespaceACLConfig", "Namespaces"]


class NamespaceACLConfig(TypedDict, total=False):
    """The namespace's default policies and roles (``api.NamespaceACLConfig``)."""

    PolicyDefaults: list[dict[str, str]]
    RoleDefaults: list[dict[str, str]]


class Namespace(TypedDict, total=False):
    """A namespace (``api.Namespace``); the fields Go leaves out when empty may be absent."""

    Name: str
    Description: str
    ACLs: NamespaceACLConfig
    Meta: dict[str, str]
    DeletedAt: str
    Partition: str
    CreateIndex: int
    ModifyIndex: int


def _namespace_body(
    name: str,
    description: str | None,
    acls: Mapping[str, Sequence[Mapping[str, str]]] | None,
    meta: Mapping[str, str] | None,
    partition: str | None,
) -> dict[str, Any]:
    """The ``api.Namespace`` a create or an update sends."""
    body: dict[str, Any] = {"Name": non_empty(name, "name")}
    if optional_str(description, "description"):
        body["Description"] = description
    if (config := mapping(acls, "acls")) is not None:
        body["ACLs"] = config
    if meta := str_map(meta, "meta"):
        body["Meta"] = meta
    if optional_str(partition, "partition"):
        body["Partition"] = partition
    return body


class Namespaces(Group[M]):
    """Namespaces (``client.namespace``): Go's ``Namespaces``. Consul Enterprise only."""

    @endpoint
    def create(
        self,
        name: str,
        description: str | None = None,
        acls: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
        meta: Mapping[str, str] | None = None,
        partition: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Namespace]:
        """``PUT /v1/namespace``: create the namespace ``name`` (Consul Enterprise).

        ``acls`` holds its ``PolicyDefaults`` and ``RoleDefaults`` (lists of
        ``{"ID": ...}`` or ``{"Name": ...}``). Returns the namespace.
        """
        body = _namespace_body(name, description, acls, meta, partition)
        request = self._request("PUT", path("namespace"), token=token, json_body=body)
        return Call(request, d.json)

    @endpoint
    def update(
        self,
        name: str,
        description: str | None = None,
        acls: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
        meta: Mapping[str, str] | None = None,
        partition: str | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Namespace]:
        """``PUT /v1/namespace/:name``: replace the namespace's settings (Consul Enterprise)."""
        body = _namespace_body(name, description, acls, meta, partition)
        request = self._request(
            "PUT", path("namespace", path_segment(name, "name")), token=token, json_body=body
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
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[Namespace | None]]:
        """``GET /v1/namespace/:name``: the namespace, or None (Consul Enterprise)."""
        request = self._request(
            "GET",
            path("namespace", path_segment(name, "name")),
            token=token,
            index=index,
            wait=wait,
            read=True,
            partition=partition,
        )
        return Call(request, d.indexed_or_none(d.json))

    @endpoint
    def delete(
        self,
        name: str,
        token: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/namespace/:name``: mark the namespace for deletion (Consul Enterprise)."""
        request = self._request(
            "DELETE",
            path("namespace", path_segment(name, "name")),
            token=token,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def list(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[Namespace]]]:
        """``GET /v1/namespaces``: every namespace the token may see (Consul Enterprise)."""
        return self._read(
            path("namespaces"),
            d.json_list,
            token=token,
            dc=None,
            consistency=None,
            index=index,
            wait=wait,
            partition=partition,
        )
