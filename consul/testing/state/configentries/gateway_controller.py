"""The API gateway controller: bound gateways, and what gateways and routes report.

After ``agent/consul/gateways/controller_gateways.go`` (``reconcileGateway``,
``reconcileRoute``, ``gatewayMeta``, the condition helpers) and
``api/config_entry_status.go`` (the condition types and reasons). For each
``api-gateway`` the controller keeps a ``bound-api-gateway`` of the same
name: its listeners, the certificates of theirs that exist, the routes bound
to each and the services those routes reach. It sets the gateways' and the
routes' ``Status`` conditions:

- a gateway is ``Accepted`` unless a listener refers to a certificate that
  does not exist (``InvalidCertificates``; the listener's ``ResolvedRefs``
  is then ``InvalidCertificateRef``); a TCP listener with more than one
  route is ``Conflicted``;
- a route is ``Accepted`` if the services it targets have its protocol
  (their discovery chain's: ``service-defaults``, else ``proxy-defaults``,
  else ``tcp``), and ``Bound`` to each parent it could bind: a listener of
  the gateway named by its ``SectionName`` (any listener if empty) with the
  route's protocol and, for HTTP, a host name in common.

Consul runs the controller on the leader, asynchronously, after a write of
one of these kinds or of an entry of the discovery chains its routes use;
here it runs at once after any write of a configuration entry in the primary
datacenter (it is one of the store's ``WATCHERS``), each entry it changes
being a write of its own (its own index), as the controller's Raft writes
are. A status whose conditions did not change is not rewritten.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .chain import protocol_of_service
from .store import EntriesView
from .types import entry_hash

if TYPE_CHECKING:
    from ..datacenter import Datacenter
    from .registry import Entry
    from .store import ConfigEntryStore

__all__ = ["reconcile"]

GATEWAY, BOUND = "api-gateway", "bound-api-gateway"
#: The protocol of each kind of route (``BoundRoute.GetProtocol``).
ROUTE_PROTOCOLS = {"http-route": "http", "tcp-route": "tcp"}

#: The kinds the controller reads or writes (with none, it has nothing to do).
_KINDS = frozenset({GATEWAY, BOUND, *ROUTE_PROTOCOLS})
#: The datacenters whose controller is running (its own writes do not re-run it).
_RUNNING: set[int] = set()

Condition = dict[str, Any]
Reference = dict[str, str]


def reconcile(dc: Datacenter) -> None:
    """Bring the bound gateways and the statuses in line with the entries (primary only)."""
    if not dc.primary or id(dc) in _RUNNING:
        return
    if not any(kind in _KINDS for kind, _ in dc.config_entries.structs):
        return  # nothing to reconcile (the common case: no gateway anywhere)
    _RUNNING.add(id(dc))
    try:
        _Reconciler(dc).run()
    finally:
        _RUNNING.discard(id(dc))


def _reference(kind: str, name: str, section: str = "") -> Reference:
    return {"Kind": kind, "Name": name, "SectionName": section}


def _condition(kind: str, status: str, reason: str, message: str, resource: Reference) -> Condition:
    """``NewGatewayCondition``/``NewRouteCondition`` (its time set when written)."""
    return {
        "Type": kind,
        "Status": status,
        "Reason": reason,
        "Message": message,
        "Resource": resource,
        "LastTransitionTime": None,
    }


def _set(conditions: list[Condition], condition: Condition) -> None:
    """``StatusUpdater.SetCondition``: replace the condition of that type and resource, or add."""
    for i, existing in enumerate(conditions):
        if (existing["Type"], existing["Resource"]) == (condition["Type"], condition["Resource"]):
            conditions[i] = condition
            return
    conditions.append(condition)


def _same(old: list[Condition] | None, new: list[Condition]) -> bool:
    """``Status.SameConditions``: the same conditions (type, resource, status, reason, message)."""

    def key(condition: Condition) -> tuple[Any, ...]:
        resource = condition["Resource"] or {}
        return (
            condition["Type"],
            tuple(sorted(resource.items())),
            condition["Status"],
            condition["Reason"],
            condition["Message"],
        )

    return sorted(map(key, old or [])) == sorted(map(key, new))


def _now() -> str:
    """``time.Now().UTC()`` as Go's JSON writes it (RFC 3339, nanoseconds without trailing 0s)."""
    nanoseconds = time.time_ns()
    seconds, fraction = divmod(nanoseconds, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    digits = f"{fraction:09d}".rstrip("0")
    return f"{stamp}.{digits}Z" if digits else f"{stamp}Z"


def _filtered_hostnames(route: Entry, listener_hostname: str) -> list[str]:
    """``HTTPRouteConfigEntry.FilteredHostnames``: the route's hosts the listener serves."""
    hostnames = route["Hostnames"] or []
    if not hostnames:
        return [listener_hostname]
    wildcard = "*" in listener_hostname
    suffix = listener_hostname.removeprefix("*").removeprefix(".")
    if wildcard:
        return [host for host in hostnames if host.endswith(suffix)]
    return [host for host in hostnames if host == suffix]


def _route_services(route: Entry) -> list[str]:
    """``GetServiceNames``: every service the route targets, rule by rule."""
    if route["Kind"] == "tcp-route":
        return [service["Name"] for service in route["Services"] or []]
    return [service["Name"] for rule in route["Rules"] or [] for service in rule["Services"] or []]


class _Reconciler:
    """One pass of the controller over a datacenter's entries."""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        self.store: ConfigEntryStore = dc.config_entries
        self.view = EntriesView(self.store, ("", ""), None)
        self.gateways = list(self.view.of_kind(GATEWAY))
        self.routes = [entry for kind in ROUTE_PROTOCOLS for entry in self.view.of_kind(kind)]

    def run(self) -> None:
        gateway_conditions: dict[str, list[Condition]] = {}
        bounds: dict[str, Entry] = {}
        for gateway in self.gateways:
            gateway_conditions[gateway["Name"]], bounds[gateway["Name"]] = self._gateway(gateway)
        route_conditions = [self._bind(route, gateway_conditions, bounds) for route in self.routes]
        for gateway in self.gateways:
            self._conflicts(gateway, bounds[gateway["Name"]], gateway_conditions[gateway["Name"]])
        for gateway in self.gateways:
            self._write_status(gateway, gateway_conditions[gateway["Name"]])
        for route, conditions in zip(self.routes, route_conditions, strict=True):
            self._write_status(route, conditions)
        for name, bound in bounds.items():
            if self.store.decoded(BOUND, name) != bound:
                self.store.set(self.dc.apply(), bound)
        for bound in list(self.view.of_kind(BOUND)):
            if bound["Name"] not in bounds:
                self.store.delete(self.dc.apply(), BOUND, bound["Name"])

    # -- gateways ------------------------------------------------------------------------

    def _gateway(self, gateway: Entry) -> tuple[list[Condition], Entry]:
        """``reconcileGateway``'s checks: listeners' refs, certificates, acceptance."""
        conditions: list[Condition] = []
        errors: dict[str, str] = {}
        listeners = []
        for listener in gateway["Listeners"] or []:
            where = _reference(GATEWAY, gateway["Name"], listener["Name"])
            _set(
                conditions,
                _condition("ResolvedRefs", "True", "ResolvedRefs", "resolved refs", where),
            )
            certificates = []
            for ref in listener["TLS"]["Certificates"] or []:
                if self.view.get(ref["Kind"], ref["Name"]) is None:
                    errors[listener["Name"]] = f'certificate "{ref["Name"]}" not found'
                else:
                    certificates.append(dict(ref))
            listeners.append(
                {"Name": listener["Name"], "Routes": None, "Certificates": certificates or None}
            )
        for listener_name, message in errors.items():
            where = _reference(GATEWAY, gateway["Name"], listener_name)
            _set(
                conditions,
                _condition("ResolvedRefs", "False", "InvalidCertificateRef", message, where),
            )
        if errors:
            accepted = _condition(
                "Accepted",
                "False",
                "InvalidCertificates",
                "gateway references invalid certificates",
                _reference("", ""),
            )
        else:
            accepted = _condition(
                "Accepted", "True", "Accepted", "gateway is valid", _reference("", "")
            )
        _set(conditions, accepted)
        bound: Entry = {
            "Kind": BOUND,
            "Name": gateway["Name"],
            "Listeners": listeners,
            "Services": {} if self.routes else None,
            "Meta": None,
            "Hash": 0,
        }
        return conditions, bound

    def _conflicts(self, gateway: Entry, bound: Entry, conditions: list[Condition]) -> None:
        """``setConflicts``: a TCP listener may have one route; then the bound gateway's hash."""
        for listener, bound_listener in zip(
            gateway["Listeners"] or [], bound["Listeners"], strict=True
        ):
            where = _reference(GATEWAY, gateway["Name"], listener["Name"])
            if listener["Protocol"] == "tcp" and len(bound_listener["Routes"] or []) > 1:
                condition = _condition(
                    "Conflicted",
                    "True",
                    "RouteConflict",
                    "TCP-based listeners currently only support binding a single route",
                    where,
                )
            else:
                condition = _condition(
                    "Conflicted", "False", "NoConflict", "listener has no route conflicts", where
                )
            _set(conditions, condition)
        bound["Hash"] = entry_hash(bound)

    # -- routes --------------------------------------------------------------------------

    def _accepted(self, route: Entry) -> list[Condition]:
        """``reconcileRoute``'s check of the route's services: their protocol is the route's."""
        conditions: list[Condition] = []
        protocol = ROUTE_PROTOCOLS[route["Kind"]]
        services = _route_services(route)
        for service in services:
            if protocol_of_service(self.view, service) != protocol:
                condition = _condition(
                    "Accepted",
                    "False",
                    "InvalidDiscoveryChain",
                    "route protocol does not match targeted service protocol",
                    _reference("", ""),
                )
            else:
                condition = _condition(
                    "Accepted", "True", "Accepted", "route is valid", _reference("", "")
                )
            _set(conditions, condition)
        if not services:
            _set(
                conditions,
                _condition(
                    "Accepted",
                    "False",
                    "NoUpstreamServicesTargeted",
                    "route must target at least one upstream service",
                    _reference("", ""),
                ),
            )
        return conditions

    def _bind(
        self, route: Entry, gateway_conditions: dict[str, list[Condition]], bounds: dict[str, Entry]
    ) -> list[Condition]:
        """``bindRoutesToGateways``: bind the route where it can, and say how each parent went."""
        conditions = self._accepted(route)
        route_accepted = any(c["Type"] == "Accepted" and c["Status"] == "True" for c in conditions)
        protocol = ROUTE_PROTOCOLS[route["Kind"]]
        route_ref = _reference(route["Kind"], route["Name"])
        gateways = {gateway["Name"]: gateway for gateway in self.gateways}
        for parent in route["Parents"] or []:
            gateway = gateways.get(parent["Name"]) if parent["Kind"] in ("", GATEWAY) else None
            if gateway is None:
                _set(
                    conditions,
                    _condition(
                        "Bound", "False", "GatewayNotFound", "gateway was not found", dict(parent)
                    ),
                )
                continue
            gateway_accepted = any(
                c["Type"] == "Accepted" and c["Status"] == "True"
                for c in gateway_conditions[gateway["Name"]]
            )
            bound = bounds[gateway["Name"]]
            error = None
            did_bind = False
            for listener, bound_listener in zip(
                gateway["Listeners"] or [], bound["Listeners"], strict=True
            ):
                if parent["SectionName"] not in ("", listener["Name"]):
                    continue
                if not gateway_accepted:
                    error = (
                        f"failed to bind route to gateway {gateway['Name']}: gateway has not "
                        "been accepted"
                    )
                    continue
                if not route_accepted:
                    error = (
                        f"failed to bind route to gateway {gateway['Name']}: route has not "
                        "been accepted"
                    )
                    continue
                if route["Kind"] == "http-route" and not _filtered_hostnames(
                    route, listener["Hostname"] or "*"
                ):
                    error = (
                        f"failed to bind route to gateway {gateway['Name']}: listener "
                        f"{listener['Name']} is does not have any hostnames that match the route"
                    )
                    continue
                if listener["Protocol"] == protocol:
                    routes = bound_listener["Routes"] or []
                    if route_ref not in routes:
                        bound_listener["Routes"] = [*routes, dict(route_ref)]
                    did_bind = True
                elif parent["SectionName"]:
                    error = (
                        f"failed to bind route {route['Name']} to gateway {gateway['Name']}: "
                        f"listener {listener['Name']} is not a {protocol} listener"
                    )
            if not did_bind and error is None:
                error = (
                    f"failed to bind route {route['Name']} to gateway {gateway['Name']} with "
                    f"listener '{parent['SectionName']}'"
                )
            if did_bind:
                for service in _route_services(route):
                    references = bound["Services"].setdefault(service, [])
                    if route_ref not in references:
                        references.append(dict(route_ref))
            if error is not None:
                _set(conditions, _condition("Bound", "False", "FailedToBind", error, dict(parent)))
            else:
                _set(
                    conditions,
                    _condition("Bound", "True", "Bound", "successfully bound route", dict(parent)),
                )
        return conditions

    # -- writes --------------------------------------------------------------------------

    def _write_status(self, entry: Entry, conditions: list[Condition]) -> None:
        """``UpdateWithStatus`` if the conditions changed, each one dated now."""
        if _same(entry["Status"]["Conditions"], conditions):
            return
        now = _now()
        for condition in conditions:
            condition["LastTransitionTime"] = now
        updated = {**entry, "Status": {"Conditions": conditions}}
        self.store.set(self.dc.apply(), updated, with_status=True)
