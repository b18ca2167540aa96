"""The ``service-virtual-ips`` and ``free-virtual-ips`` tables of one datacenter.

After ``agent/consul/state/catalog.go`` (``assignServiceVirtualIP``,
``AssignManualServiceVIPs``, ``freeServiceVirtualIP``, ``ServiceManualVIPs``)
and ``catalog_schema.go`` (``ServiceVirtualIP``, ``FreeVirtualIP``): a
service of the mesh gets one virtual IP from ``240.0.0.0/4``, counted up
from ``240.0.0.1``, and keeps it while anything still names it; an address
given back is the next one handed out. Operators may add up to eight
addresses of their own to a service (its manual virtual IPs), which are
taken from any other service that had them.

Consul's leader turns virtual IPs on (the ``virtual-ips`` system metadata,
``agent/consul/leader_connect.go``) as soon as every server is recent
enough, which a dev agent's single server is from the start: they are
always on here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import RPCError
from .gateways import TERMINATING, WILDCARD
from .golang import quote

if TYPE_CHECKING:
    from .datacenter import Datacenter
    from .structs import ServiceAddress

__all__ = [
    "CONFIG_ENTRY_KINDS",
    "MAX_MANUAL_VIPS",
    "TAGGED_ADDRESS",
    "ServiceVirtualIP",
    "VirtualIPStore",
    "check_manual_ips",
    "entry_has_virtual_ip",
]

#: The tagged address a service instance shows its virtual IP under
#: (``structs.TaggedAddressVirtualIP``); a terminating gateway's instances
#: show those of the services it reaches as ``consul-virtual:<service>``.
TAGGED_ADDRESS = "consul-virtual"

#: The first address of the range (``startingVirtualIP``); offsets count from it.
_START = int(ipaddress.IPv4Address("240.0.0.0"))
#: The offset the counter may not reach (``virtualIPMaxOffset``, 15.255.255.254).
_MAX_OFFSET = int(ipaddress.IPv4Address("15.255.255.254"))

#: The kinds of configuration entry that give the service they name a virtual
#: IP (``configEntryHasVirtualIP``, ``agent/consul/state/config_entry.go``).
CONFIG_ENTRY_KINDS = (
    "service-router",
    "service-resolver",
    "service-splitter",
    "service-defaults",
    "service-intentions",
)


#: How many addresses of its own a service may have (``MaximumManualVIPsPerService``).
MAX_MANUAL_VIPS = 8


def check_manual_ips(ips: list[str]) -> list[str]:
    """``Internal.AssignManualServiceVIPs``' checks: the addresses, duplicates dropped.

    At most :data:`MAX_MANUAL_VIPS` (duplicates counted), each an IPv4
    address as ``net.ParseIP`` reads it (an IPv4-mapped IPv6 one is taken
    as it is written); the error quotes ``ParseIP``'s result, ``<nil>`` for
    what it cannot parse.
    """
    if len(ips) > MAX_MANUAL_VIPS:
        raise RPCError(
            f"cannot associate more than {MAX_MANUAL_VIPS} manual virtual IPs with the same service"
        )
    for ip in ips:
        shown = "<nil>"
        try:
            parsed = ipaddress.ip_address(ip)
        except ValueError:
            parsed = None
        if isinstance(parsed, ipaddress.IPv6Address):
            if parsed.scope_id is None:  # ParseIP takes no zone
                if parsed.ipv4_mapped is not None:
                    continue
                shown = parsed.compressed
        elif parsed is not None:
            continue
        raise RPCError(f"{quote(shown)} is not a valid IPv4 address")
    return list(dict.fromkeys(ips))


def entry_has_virtual_ip(kind: str, name: str) -> bool:
    """``configEntryHasVirtualIP``: a named entry of those kinds (no wildcard intentions)."""
    if not name or kind not in CONFIG_ENTRY_KINDS:
        return False
    return kind != "service-intentions" or "*" not in name


@dataclass
class ServiceVirtualIP:
    """A row of ``service-virtual-ips`` (``state.ServiceVirtualIP``).

    ``service`` is the name as first given (the key is case-insensitive);
    ``offset`` the address's offset from ``240.0.0.0``; ``manual_ips`` the
    operator's own addresses, sorted (None: none were ever given).
    """

    service: str
    peer: str
    offset: int
    create_index: int
    modify_index: int
    manual_ips: list[str] | None = field(default=None)

    @property
    def address(self) -> str:
        """``IPWithOffset``: the virtual IP itself."""
        return str(ipaddress.IPv4Address(_START + self.offset))


class VirtualIPStore:
    """The virtual IP tables of one datacenter.

    The catalog calls :meth:`assign` when it stores a Connect proxy or a
    Connect-native service (for the service it stands for) and :meth:`free`
    when a service's last instance goes; the configuration entry table does
    the same for the entries :func:`entry_has_virtual_ip` names, and for
    the services of terminating gateways
    (:meth:`update_terminating_gateway`). :meth:`assign_manual` is
    ``AssignManualServiceVIPs``.
    """

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: (lower-cased peer, lower-cased service) -> its row
        #: (``indexFromPeeredServiceName`` lower-cases both).
        self.services: dict[tuple[str, str], ServiceVirtualIP] = {}
        #: The counter row of ``free-virtual-ips``: the last offset it gave (0: none yet).
        self.counter = 0
        #: The freed row of ``free-virtual-ips``, if any. The table's ``id``
        #: index is a go-memdb ``StringFieldIndex`` on a ``net.IP`` field,
        #: which indexes every address as the same string (reflect's
        #: ``"<net.IP Value>"``): it holds one freed address at most, and
        #: freeing another replaces it.
        self.freed: int | None = None
        #: The tables' index (``updateVirtualIPMaxIndexes``).
        self.index = 0

    def _bump(self, idx: int) -> None:
        self.index = max(self.index, idx)

    # -- reads ---------------------------------------------------------------

    def lookup(self, service: str, peer: str = "") -> ServiceVirtualIP | None:
        """``ServiceManualVIPs``: the service's row, or None."""
        return self.services.get((peer.lower(), service.lower()))

    # -- writes --------------------------------------------------------------

    def assign(self, idx: int, service: str, peer: str = "") -> str:
        """``assignServiceVirtualIP``: the service's virtual IP, given one if it had none.

        The freed address is taken first, else the counter's next one.
        """
        row = self.lookup(service, peer)
        if row is not None:
            return row.address
        if self.freed is not None:
            offset = self.freed
            self.freed = None
        else:
            offset = self.counter + 1
            if offset == _MAX_OFFSET:
                raise RPCError("cannot allocate any more unique service virtual IPs")
            self.counter = offset
        row = ServiceVirtualIP(service, peer, offset, idx, idx)
        self.services[(peer.lower(), service.lower())] = row
        self._bump(idx)
        return row.address

    def free(
        self,
        idx: int,
        service: str,
        peer: str = "",
        *,
        wildcard_mapped: bool = False,
        exclude_gateway: str | None = None,
    ) -> bool:
        """``freeServiceVirtualIP``: give the service's address back if nothing names it.

        It stays while an instance of the service is registered, an entry of
        :data:`CONFIG_ENTRY_KINDS` is named after it, or a terminating
        gateway other than ``exclude_gateway`` maps it (``wildcard_mapped``:
        a ``*`` of a terminating gateway still maps the instance being
        deregistered, as Consul drops those rows after freeing). True if an
        address was freed.
        """
        dc = self.dc
        name = service.lower()
        if any(
            record["ServiceName"].lower() == name and record["PeerName"] == peer
            for record in dc.catalog.services.values()
        ):
            return False
        if any(dc.config_entries.decoded(kind, service) for kind in CONFIG_ENTRY_KINDS):
            return False
        for mapping in dc.gateways.rows.values():
            if mapping["GatewayKind"] != TERMINATING:
                continue
            if mapping["Gateway"]["Name"] == exclude_gateway:
                continue
            mapped = mapping["Service"]["Name"]
            if mapped.lower() == name or (mapped == WILDCARD and wildcard_mapped):
                return False
        row = self.services.pop((peer.lower(), name), None)
        if row is None:
            return False
        self.freed = row.offset
        self._bump(idx)
        return True

    def gateway_addresses(self, idx: int, services: list[str]) -> dict[str, ServiceAddress]:
        """``getTermGatewayVirtualIPs``: a ``consul-virtual:<service>`` tagged address
        (no port) for each service a terminating gateway reaches, assigned if need be."""
        return {
            f"{TAGGED_ADDRESS}:{name}": {"Address": self.assign(idx, name), "Port": 0}
            for name in services
        }

    def update_terminating_gateway(
        self, idx: int, gateway: str, services: list[str], previous: list[str]
    ) -> None:
        """``updateTerminatingGatewayVirtualIPs``: a terminating gateway's entry now
        reaches ``services`` (it reached ``previous``).

        Its instances get the tagged addresses of :meth:`gateway_addresses`
        instead of their ``consul-virtual:`` ones; a service it no longer
        reaches, with no Connect instance, gives its address back unless
        something else names it.
        """
        addresses = self.gateway_addresses(idx, services)
        self.dc.catalog.retag_gateway(idx, gateway, addresses)
        for name in previous:
            if f"{TAGGED_ADDRESS}:{name}" in addresses or self.dc.catalog.connect_instances(name):
                continue
            self.free(idx, name, exclude_gateway=gateway)

    def assign_manual(
        self, idx: int, service: str, ips: list[str]
    ) -> tuple[bool, list[ServiceVirtualIP]]:
        """``AssignManualServiceVIPs``: give ``service`` these addresses (no duplicates).

        Any other service holding one of them loses it. Returns whether the
        service has a virtual IP (if not, nothing changes) and the rows that
        lost addresses, sorted by name.
        """
        target = self.lookup(service)
        if target is None:
            return False, []
        wanted = set(ips)
        unassigned: list[ServiceVirtualIP] = []
        for row in self.services.values():
            if not wanted.intersection(row.manual_ips or ()):
                continue
            # ServiceName.Matches compares the names as they are, case included.
            if row.service == service and row.peer == "":
                continue
            kept = sorted(ip for ip in row.manual_ips or () if ip not in wanted)
            row.manual_ips = kept or None
            row.modify_index = idx
            unassigned.append(row)
            self._bump(idx)
        if set(target.manual_ips or ()) != wanted:
            target.manual_ips = sorted(wanted)
            target.modify_index = idx
            self._bump(idx)
        return True, sorted(unassigned, key=lambda row: (row.peer, row.service))
