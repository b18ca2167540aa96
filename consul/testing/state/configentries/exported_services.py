"""The ``exported-services`` kind, and the services it exports (``/v1/exported-services``).

After ``agent/structs/config_entry_exports.go`` (the entry, which has no
``Kind`` field and writes it first, and its ``Validate``),
``agent/structs/config_entry_exports_ce.go`` (what Consul CE refuses) and
``agent/consul/state/config_entry_exported_services.go``
(``resolvedExportedServicesTxn``: wildcards expanded to the typical
services of the catalog, ``consul`` never exported, duplicates merged,
sorted by name). Reading and writing need ``mesh:read`` and ``mesh:write``.
The entry of a partition is named after it: ``default`` in Consul CE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from ..gotypes import STRING, Slice, omitempty, struct
from .registry import Entry, Kind, can_read_mesh, can_write_mesh
from .types import META, validate_meta

if TYPE_CHECKING:
    from ..datacenter import Datacenter

__all__ = ["EXPORTED_SERVICES", "KIND", "resolved_exports"]

#: The kind's name, and the one name its entry may have in Consul CE.
EXPORTED_SERVICES = "exported-services"
DEFAULT_PARTITION = "default"

EXPORTED_SERVICES_ENTRY = struct(
    "structs.ExportedServicesConfigEntry",
    Kind=STRING,
    Name=STRING,
    Services=omitempty(
        Slice(
            struct(
                "structs.ExportedService",
                Name=STRING,
                Namespace=omitempty(STRING),
                Consumers=omitempty(
                    Slice(
                        struct(
                            "structs.ServiceConsumer",
                            aliases={"peer_name": "Peer", "sameness_group": "SamenessGroup"},
                            Partition=omitempty(STRING),
                            Peer=omitempty(STRING),
                            SamenessGroup=omitempty(STRING),
                        )
                    )
                ),
            )
        )
    ),
    Meta=META,
)


def normalize(entry: Entry) -> None:
    """``ExportedServicesConfigEntry.Normalize``."""
    entry["Kind"] = EXPORTED_SERVICES


def validate(entry: Entry) -> None:
    """``ExportedServicesConfigEntry.Validate``: the first problem found."""
    if entry["Name"] != DEFAULT_PARTITION:
        raise RPCError('exported-services Name must be "default"')
    validate_meta(entry["Meta"])
    services = entry["Services"] or []
    for i, service in enumerate(services):
        for j, consumer in enumerate(service["Consumers"] or []):
            where = f"Services[{i}].Consumers[{j}]"
            if consumer["Partition"].lower() not in ("", DEFAULT_PARTITION):
                raise RPCError(f"{where}: partitions are an enterprise-only feature")
            if consumer["SamenessGroup"]:
                raise RPCError(f"{where}: sameness-groups are an enterprise-only feature")
    for i, service in enumerate(services):
        if not service["Name"]:
            raise RPCError(f"Services[{i}]: service name cannot be empty")
        if service["Namespace"] == "*" and service["Name"] != "*":
            raise RPCError(f"Services[{i}]: service name must be wildcard if namespace is wildcard")
        consumers = service["Consumers"] or []
        if not consumers:
            raise RPCError(f"Services[{i}]: must have at least one consumer")
        for j, consumer in enumerate(consumers):
            where = f"Services[{i}].Consumers[{j}]"
            if sum(bool(consumer[f]) for f in ("Peer", "Partition", "SamenessGroup")) > 1:
                raise RPCError(
                    f"{where}: must define at most one of Peer, Partition, or SamenessGroup"
                )
            if consumer["Partition"] == "*":
                raise RPCError(f"{where}: exporting to all partitions (wildcard) is not supported")
            if consumer["Peer"] == "*":
                raise RPCError(f"{where}: exporting to all peers (wildcard) is not supported")


def resolved_exports(dc: Datacenter) -> list[dict[str, Any]]:
    """``ResolvedExportedServices``: each exported service and who consumes it.

    As ``api.ResolvedExportedService``: ``Service`` and ``Consumers``
    (``Peers`` and ``Partitions``, sorted, left out when empty).
    """
    entry = dc.config_entries.decoded(EXPORTED_SERVICES, DEFAULT_PARTITION)
    if entry is None:
        return []
    consumers: dict[str, set[tuple[str, str]]] = {}
    for service in entry["Services"] or []:
        if service["Name"] == "consul":
            continue
        if service["Name"] == "*":
            names = [name for name in typical_services(dc) if name != "consul"]
        else:
            names = [service["Name"]]
        for name in names:
            found = consumers.setdefault(name, set())
            found.update(
                (consumer["Peer"], consumer["Partition"]) for consumer in service["Consumers"] or []
            )
    out = []
    for name in sorted(consumers):
        peers = sorted({peer for peer, _ in consumers[name] if peer})
        partitions = sorted({partition for _, partition in consumers[name] if partition})
        resolved: dict[str, Any] = {}
        if peers:
            resolved["Peers"] = peers
        if partitions:
            resolved["Partitions"] = partitions
        out.append({"Service": name, "Consumers": resolved})
    return out


def typical_services(dc: Datacenter) -> list[str]:
    """``serviceNamesOfKindTxn(typical)``: the names of the catalog's typical services."""
    return sorted(
        {
            record["ServiceName"]
            for record in dc.catalog.services.values()
            if not record["ServiceKind"] and not record["PeerName"]
        }
    )


KIND = Kind(
    EXPORTED_SERVICES,
    EXPORTED_SERVICES_ENTRY,
    normalize=normalize,
    validate=validate,
    can_read=can_read_mesh,
    can_write=can_write_mesh,
)
