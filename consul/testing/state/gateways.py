"""The ``gateway-services`` table: which services each gateway exposes or reaches.

After ``agent/consul/state/catalog.go`` (``updateGatewayServices``,
``ingressConfigGatewayServices``, ``terminatingConfigGatewayServices``,
``serviceGatewayNodes``, ``checkGatewayWildcardsAndUpdate``) and
``agent/structs/config_entry_gateways.go`` (``GatewayService``). Consul
fills the table when an ``ingress-gateway`` or ``terminating-gateway``
configuration entry is written (:meth:`GatewayServicesStore.set_ingress`,
:meth:`~GatewayServicesStore.set_terminating`) and empties it when the
entry is deleted (:meth:`~GatewayServicesStore.delete`).

A ``*`` service name maps the gateway to every service that fits (for an
ingress gateway the services with a Connect instance, for a terminating
gateway those with a typical one). Consul rewrites those rows as services
come and go; here they are expanded from the catalog when read, with the
wildcard row's indexes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = ["INGRESS", "TERMINATING", "GatewayService", "GatewayServicesStore"]

INGRESS = "ingress-gateway"
TERMINATING = "terminating-gateway"
WILDCARD = "*"


class GatewayService(TypedDict):
    """``structs.GatewayService``, in its JSON field order (``omitempty`` fields optional)."""

    Gateway: dict[str, str]
    Service: dict[str, str]
    GatewayKind: str
    Port: NotRequired[int]
    Protocol: NotRequired[str]
    Hosts: NotRequired[list[str]]
    CAFile: NotRequired[str]
    CertFile: NotRequired[str]
    KeyFile: NotRequired[str]
    SNI: NotRequired[str]
    FromWildcard: NotRequired[bool]
    ServiceKind: NotRequired[str]
    CreateIndex: int
    ModifyIndex: int
    AutoHostRewrite: NotRequired[bool]


#: The JSON field order of ``structs.GatewayService``.
_ORDER = tuple(GatewayService.__annotations__)


def _ordered(fields: dict[str, Any]) -> GatewayService:
    """A row from ``fields`` in Go's field order, empty ``omitempty`` fields left out."""
    return {  # type: ignore[return-value]
        name: fields[name]
        for name in _ORDER
        if fields.get(name) or name in ("GatewayKind", "CreateIndex", "ModifyIndex")
    }


def _mapping(gateway: str, service: str, kind: str, **fields: Any) -> GatewayService:
    return _ordered(
        {
            "Gateway": {"Name": gateway},
            "Service": {"Name": service},
            "GatewayKind": kind,
            "CreateIndex": 0,
            "ModifyIndex": 0,
            **fields,
        }
    )


class GatewayServicesStore:
    """The ``gateway-services`` table of one datacenter."""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: (lower-cased gateway, service, port) -> the row, in the table's order.
        self.rows: dict[tuple[str, str, int], GatewayService] = {}
        #: The table's index.
        self.index = 0

    # -- writes (configuration entries) ------------------------------------------

    def set_ingress(self, idx: int, gateway: str, listeners: list[dict[str, Any]]) -> bool:
        """``ingressConfigGatewayServices``: the mappings of an ``ingress-gateway`` entry.

        Each listener (``Port``, ``Protocol``, ``Services``) maps the gateway
        to each of its services (``Name``, ``Hosts``).
        """
        rows = [
            _mapping(
                gateway,
                service["Name"],
                INGRESS,
                Port=listener.get("Port", 0),
                Protocol=listener.get("Protocol", ""),
                Hosts=list(service.get("Hosts") or []),
            )
            for listener in listeners
            for service in listener.get("Services") or []
        ]
        return self._replace(idx, gateway, rows)

    def set_terminating(self, idx: int, gateway: str, services: list[dict[str, Any]]) -> bool:
        """``terminatingConfigGatewayServices``: the mappings of a ``terminating-gateway`` entry.

        ``AutoHostRewrite`` is the negation of the entry's
        ``DisableAutoHostRewrite``.
        """
        rows = [
            _mapping(
                gateway,
                service["Name"],
                TERMINATING,
                CAFile=service.get("CAFile", ""),
                CertFile=service.get("CertFile", ""),
                KeyFile=service.get("KeyFile", ""),
                SNI=service.get("SNI", ""),
                AutoHostRewrite=not service.get("DisableAutoHostRewrite", False),
            )
            for service in services
        ]
        return self._replace(idx, gateway, rows)

    def delete(self, idx: int, gateway: str) -> bool:
        """The gateway's entry was deleted: so are its mappings."""
        return self._replace(idx, gateway, [])

    def _replace(self, idx: int, gateway: str, rows: list[GatewayService]) -> bool:
        """``updateGatewayServices``: replace the gateway's rows; nothing if they are the same."""
        key = gateway.lower()
        old = {k: r for k, r in self.rows.items() if k[0] == key}
        new: dict[tuple[str, str, int], GatewayService] = {}
        for row in rows:
            row_key = (key, row["Service"]["Name"], row.get("Port", 0))
            previous = old.get(row_key)
            if previous is not None and _same(previous, row):
                new[row_key] = previous
                continue
            row["CreateIndex"] = row["ModifyIndex"] = idx
            new[row_key] = row
        if new == old:
            return False
        for row_key in old:
            del self.rows[row_key]
        self.rows.update(new)
        self.rows = dict(sorted(self.rows.items()))
        self.index = idx
        return True

    # -- reads --------------------------------------------------------------------

    def mapped(self, gateway: str) -> list[str]:
        """The services the gateway's rows name, as its entry names them (``*`` included)."""
        key = gateway.lower()
        return [row["Service"]["Name"] for k, row in self.rows.items() if k[0] == key]

    def gateway_services(self, gateway: str) -> tuple[int, list[GatewayService]]:
        """``GatewayServices``: the gateway's mappings, wildcards expanded; the table index."""
        key = gateway.lower()
        rows = [r for k, r in self.rows.items() if k[0] == key]
        return self.index, self._expanded(rows)

    def gateways_for(self, service: str, kind: str) -> tuple[int, list[str]]:
        """``serviceGatewayNodes``' lookup: the gateways of ``kind`` mapped to ``service``."""
        rows = [r for r in self.rows.values() if r["GatewayKind"] == kind]
        names = [
            row["Gateway"]["Name"]
            for row in self._expanded(rows)
            if row["Service"]["Name"].lower() == service.lower()
        ]
        return self.index, names

    def _expanded(self, rows: list[GatewayService]) -> list[GatewayService]:
        """Wildcard rows replaced by one row per fitting service (explicit rows win);
        a terminating gateway's rows get their ``ServiceKind``."""
        out: list[GatewayService] = []
        for row in rows:
            if row["Service"]["Name"] != WILDCARD:
                out.append(self._with_kind(row))
                continue
            explicit = {
                r["Service"]["Name"].lower()
                for r in rows
                if r["Gateway"] == row["Gateway"] and r["Service"]["Name"] != WILDCARD
            }
            for name in self._wildcard_services(row["GatewayKind"]):
                if name.lower() not in explicit:
                    fields = {**row, "Service": {"Name": name}, "FromWildcard": True}
                    out.append(self._with_kind(_ordered(fields)))
        return out

    def _wildcard_services(self, kind: str) -> list[str]:
        """The services a ``*`` maps to: typical ones but ``consul``, with a Connect
        instance (ingress) or a typical instance (terminating)."""
        catalog = self.dc.catalog
        names: dict[str, None] = {}
        for record in catalog.services.values():
            name = record["ServiceName"]
            if record["ServiceKind"] or name == "consul" or record["PeerName"]:
                continue
            if kind == INGRESS:
                if catalog.connect_instances(name):
                    names[name] = None
            elif not record["ServiceConnect"]["Native"]:
                names[name] = None
        return sorted(names)

    def _with_kind(self, row: GatewayService) -> GatewayService:
        """``ServiceKind`` of a terminating gateway's row: ``service`` for a catalog
        service (``destination`` needs a ``service-defaults`` entry)."""
        if row["GatewayKind"] != TERMINATING:
            return row
        name = row["Service"]["Name"].lower()
        if not any(r["ServiceName"].lower() == name for r in self.dc.catalog.services.values()):
            return row
        return _ordered({**row, "ServiceKind": "service"})


def _same(a: GatewayService, b: GatewayService) -> bool:
    """Rows equal but for their indexes."""
    fields: dict[str, Any] = dict(a)
    other: dict[str, Any] = dict(b)
    for row in (fields, other):
        row.pop("CreateIndex")
        row.pop("ModifyIndex")
    return fields == other
