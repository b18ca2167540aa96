"""Cluster peering: ``/v1/peering`` (``client.peering``).

Tokens, establishment, reads, deletion and the list, after Go's
``api/peering.go`` (``Peerings``). A token is generated on the cluster that
accepts the peering and handed to the one that dials it (``establish``).
Reads need ``peering:read``, the rest ``peering:write``. Consul's peering
service answers through gRPC: its errors carry the gRPC status text
(``rpc error: code = ... desc = ...``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, non_empty, optional_str, str_list, str_map
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["Peering", "PeeringRemoteInfo", "PeeringStreamStatus", "Peerings"]


class PeeringStreamStatus(TypedDict):
    """What the peering's stream reports (``api.PeeringStreamStatus``)."""

    ImportedServices: list[str] | None
    ExportedServices: list[str] | None
    LastHeartbeat: str | None
    LastReceive: str | None
    LastSend: str | None


class PeeringRemoteInfo(TypedDict, total=False):
    """The peer's partition and datacenter (``api.PeeringRemoteInfo``)."""

    Partition: str
    Datacenter: str
    Locality: dict[str, str]


class Peering(TypedDict, total=False):
    """A peering (``api.Peering``); the fields Go leaves out when empty may be absent.

    ``State`` is ``PENDING``, ``ESTABLISHING``, ``ACTIVE``, ``FAILING``,
    ``DELETING`` or ``TERMINATED``.
    """

    ID: str
    Name: str
    Partition: str
    DeletedAt: str
    Meta: dict[str, str]
    State: str
    PeerID: str
    PeerCAPems: list[str]
    PeerServerName: str
    PeerServerAddresses: list[str]
    StreamStatus: PeeringStreamStatus
    CreateIndex: int
    ModifyIndex: int
    Remote: PeeringRemoteInfo


def _partition_body(body: dict[str, Any], partition: str | None, meta: Any) -> None:
    """Add the optional ``Partition`` and ``Meta`` fields of a token or establish request."""
    if optional_str(partition, "partition"):
        body["Partition"] = partition
    if meta := str_map(meta, "meta"):
        body["Meta"] = meta


class Peerings(Group[M]):
    """Cluster peering (``client.peering``): Go's ``Peerings``."""

    @endpoint
    def generate_token(
        self,
        peer_name: str,
        meta: Mapping[str, str] | None = None,
        server_external_addresses: Sequence[str] | None = None,
        partition: str | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[str]:
        """``POST /v1/peering/token``: a peering token for the peer ``peer_name`` to dial with.

        Makes (or keeps) the peering ``peer_name`` here, ``PENDING`` until
        the peer uses the token; every new token carries a new secret.
        ``server_external_addresses`` (``host:port``) replace the servers'
        own addresses in the token (a load balancer, say); ``partition``
        is Consul Enterprise's. Returns the token, an opaque string.
        """
        body: dict[str, Any] = {"PeerName": non_empty(peer_name, "peer_name")}
        _partition_body(body, partition, meta)
        if addresses := str_list(server_external_addresses, "server_external_addresses"):
            body["ServerExternalAddresses"] = addresses
        request = self._request(
            "POST", path("peering", "token"), token=token, dc=dc, json_body=body
        )
        return Call(request, d.field("PeeringToken"))

    @endpoint
    def establish(
        self,
        peer_name: str,
        peering_token: str,
        meta: Mapping[str, str] | None = None,
        partition: str | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``POST /v1/peering/establish``: dial the peer whose token is ``peering_token``.

        ``peer_name`` is this side's name for the peering. True once the
        peer took the token's secret; a peer it cannot reach, or a token of
        this very cluster, is a :class:`~consul.ServerError`.
        """
        body: dict[str, Any] = {
            "PeerName": non_empty(peer_name, "peer_name"),
            "PeeringToken": non_empty(peering_token, "peering_token"),
        }
        _partition_body(body, partition, meta)
        request = self._request(
            "POST", path("peering", "establish"), token=token, dc=dc, json_body=body
        )
        return Call(request, d.true)

    @endpoint
    def read(
        self,
        name: str,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[Peering | None]]:
        """``GET /v1/peering/:name``: the peering, or None if there is none.

        With ``index``, waits for a change, or for the peering to appear. An
        absent peering comes with the index 0: Consul's 404 carries none
        (``agent/peering_endpoint.go`` answers it before setting the meta headers).
        """
        request = self._request(
            "GET",
            path("peering", path_segment(name, "name")),
            token=token,
            dc=dc,
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
        dc: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/peering/:name``: mark the peering for deletion.

        Consul shows it ``DELETING`` until its leader has removed it and
        what was imported from it. True even if there was no such peering.
        """
        request = self._request(
            "DELETE",
            path("peering", path_segment(name, "name")),
            token=token,
            dc=dc,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def list(
        self,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[Peering]]]:
        """``GET /v1/peerings``: every peering; with ``index``, waits for a change."""
        return self._read(
            path("peerings"),
            d.json_list,
            token=token,
            dc=dc,
            consistency=None,
            index=index,
            wait=wait,
            partition=partition,
        )
