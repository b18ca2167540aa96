"""The catalog: the nodes, services and checks of a datacenter.

The state rules come from ``agent/consul/state/catalog.go`` and
``catalog_ce.go`` (the ``nodes``, ``services`` and ``checks`` tables and the
index entries blocking queries read), the pre-apply checks and ACL vetting of
``Catalog.Register``/``Deregister`` from ``agent/consul/catalog_endpoint.go``
and the read RPCs from the same file. The shapes of requests, records and
JSON are in :mod:`.structs`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .acl.authorizer import Authorizer
from .config import CONSUL_VERSION
from .errors import RPCError
from .gateways import INGRESS, TERMINATING
from .golang import is_any_address, uuid_error
from .records import (
    CHECK_SAME,
    JSON,
    NODE_SAME,
    NODE_SERVICE_SAME,
    SERVICENODE_SAME,
    check_json,
    check_record,
    check_type,
    node_json,
    node_record,
    node_service,
    node_service_json,
    same,
    service_node,
    to_node_service,
    validate_node_service,
    validate_service_meta,
)
from .structs import HealthCheck, Node, ServiceNode

if TYPE_CHECKING:
    from .datacenter import Datacenter

#: A service instance as health queries see it: its row, its node, its checks.
Instance = tuple[ServiceNode, Node, list[HealthCheck]]

__all__ = [
    "SERF_CHECK_ALIVE_OUTPUT",
    "SERF_CHECK_ID",
    "SERF_CHECK_NAME",
    "CatalogStore",
    "meta_matches",
]

#: The health check of every agent's node, kept by the servers from Serf
#: (``structs.SerfCheckID``, ``SerfCheckName``, ``SerfCheckAliveOutput``).
SERF_CHECK_ID = "serfHealth"
SERF_CHECK_NAME = "Serf Health Status"
SERF_CHECK_ALIVE_OUTPUT = "Agent alive and reachable"


class CatalogStore:
    """The catalog tables (nodes, services, checks) of one datacenter.

    The interface other stores and the agent's local state rely on:
    :meth:`register` and :meth:`deregister` are ``ensureRegistrationTxn`` and
    the deregistration of ``agent/consul/state/catalog.go``; the reads return
    Consul's JSON shapes. Check status changes and deletions notify
    ``dc.sessions`` so that sessions are invalidated as Consul does.

    Writes take the index of their Raft apply (``dc.apply()``) and return
    True if they changed anything; the caller then wakes the blocking queries
    (``dc.changed()``). A write that changes nothing leaves every index alone.
    Errors of the state store are raised as :class:`RPCError` with Consul's
    text. Names are matched case-insensitively, as the memdb indexes do.

    - :meth:`prepare_register` then :meth:`register` is ``Catalog.Register``
      (validation, defaults and ACL vetting, then the state write);
      :meth:`vet_deregister` then :meth:`deregister` is ``Catalog.Deregister``.
    - :meth:`ensure_node`, :meth:`ensure_service`, :meth:`ensure_check` and
      the ``delete_*`` methods are the single-table writes they are built on
      (for transactions).
    - :meth:`node`, :meth:`service`, :meth:`check`, :meth:`node_services`
      and :meth:`node_checks` read single entries as JSON.
    - :meth:`server_registration` is the registration of the datacenter's
      server node, which the agent's own sync must leave as it is.
    """

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: lower-cased node name -> ``structs.Node`` record.
        self.nodes: dict[str, Node] = {}
        #: (lower-cased node, lower-cased service ID) -> ``structs.ServiceNode`` record.
        self.services: dict[tuple[str, str], ServiceNode] = {}
        #: (lower-cased node, lower-cased check ID) -> ``structs.HealthCheck`` record.
        self.checks: dict[tuple[str, str], HealthCheck] = {}
        #: The ``index`` table: ``nodes``, ``services``, ``checks``,
        #: ``node.<name>``, ``service.<name>`` and the extinction indexes
        #: (keys lower-cased, as its memdb index is).
        self.indexes: dict[str, int] = {}
        self._writes = 0

    # -- the index table -------------------------------------------------------

    def _bump(self, key: str, idx: int) -> None:
        """``indexUpdateMaxTxn``: raise an index entry to ``idx`` (never lower it)."""
        key = key.lower()
        if idx > self.indexes.get(key, 0):
            self.indexes[key] = idx
            self._writes += 1

    def _drop_index(self, key: str) -> None:
        if self.indexes.pop(key.lower(), None) is not None:
            self._writes += 1

    def max_index(self, *keys: str) -> int:
        """``maxIndexTxn``: the highest of the named index entries (0 if none)."""
        return max((self.indexes.get(k.lower(), 0) for k in keys), default=0)

    def service_index(self, name: str, exists: bool, checks: bool, peer: str = "") -> int:
        """``maxIndexForService``: the index a query on service ``name`` reports.

        Once services have gone extinct, a query that found nothing gets the
        last extinction index; otherwise the service's own index, or the
        table indexes for a service that never had one. A peer's entries
        have index entries of their own (``peeredIndexEntryName``); only
        peering replication writes them, which this agent does not run, so
        a query scoped to a peer reports 0.
        """
        if peer:
            return 0
        if not exists and "service_last_extinction" in self.indexes:
            return self.indexes["service_last_extinction"]
        own = self.indexes.get(f"service.{name}".lower())
        if own is not None:
            return own
        if checks:
            return self.max_index("checks", "services", "nodes")
        return self.max_index("services", "nodes")

    def _update_service_indexes_of_node(self, idx: int, node: str) -> None:
        """``updateAllServiceIndexesOfNode``."""
        for record in self._node_services(node):
            self._bump(f"service.{record['ServiceName']}", idx)

    # -- lookups ------------------------------------------------------------------

    def _node(self, name: str) -> Node | None:
        return self.nodes.get(name.lower())

    def _node_by_id(self, node_id: str) -> Node | None:
        for record in self.nodes.values():
            if record["ID"] and record["ID"].lower() == node_id.lower():
                return record
        return None

    def _node_services(self, node: str) -> list[ServiceNode]:
        key = node.lower()
        return [r for (n, s), r in sorted(self.services.items()) if n == key]

    def _node_checks(self, node: str) -> list[HealthCheck]:
        key = node.lower()
        return [r for (n, c), r in sorted(self.checks.items()) if n == key]

    def _service_checks(self, node: str, service_id: str) -> list[HealthCheck]:
        """Checks of one service instance (``node_service`` index): by check ID."""
        return [c for c in self._node_checks(node) if c["ServiceID"].lower() == service_id.lower()]

    def lookup_node(self, name_or_id: str) -> tuple[Node | None, bool]:
        """``nodeServices``' node lookup: by name, else by a unique node-ID prefix.

        Returns the node (or None) and whether an ID lookup was tried and
        failed, in which case queries report the node extinction index.
        """
        node = self._node(name_or_id)
        if node is not None:
            return node, False
        if len(name_or_id) < 2:
            return None, False
        key = name_or_id[: len(name_or_id) - len(name_or_id) % 2]  # resizeNodeLookupKey
        prefix = key.replace("-", "")
        try:
            if len(prefix) % 2:
                raise ValueError
            wanted = bytes.fromhex(prefix)
        except ValueError:
            return None, True
        matches = []
        for record in sorted(self.nodes.values(), key=lambda r: r["ID"].lower()):
            try:
                node_id = bytes.fromhex(record["ID"].replace("-", ""))
            except ValueError:
                continue
            if record["ID"] and node_id.startswith(wanted):
                matches.append(record)
        if not matches:
            return None, True
        if len(matches) > 1:
            return None, False
        return matches[0], False

    # -- reads for other stores -------------------------------------------------------

    def node(self, name: str) -> JSON | None:
        """The ``structs.Node`` JSON of ``name``, or None."""
        record = self._node(name)
        return None if record is None else node_json(record)

    def check(self, node: str, check_id: str) -> JSON | None:
        """The ``structs.HealthCheck`` JSON of a check, or None."""
        record = self.checks.get((node.lower(), check_id.lower()))
        return None if record is None else check_json(record)

    def service(self, node: str, service_id: str) -> JSON | None:
        """The ``structs.NodeService`` JSON of a service instance, or None."""
        record = self.services.get((node.lower(), service_id.lower()))
        return None if record is None else node_service_json(record)

    def node_services(self, node: str) -> list[JSON]:
        """The ``structs.NodeService`` JSON of every service of ``node``, by ID."""
        return [node_service_json(r) for r in self._node_services(node)]

    def node_checks(self, node: str) -> list[JSON]:
        """The ``structs.HealthCheck`` JSON of every check of ``node``, by ID."""
        return [check_json(r) for r in self._node_checks(node)]

    # -- the leader's registration ---------------------------------------------------------

    def server_node_name(self) -> str:
        """The name of this datacenter's server node.

        The agent's own datacenter uses the agent's node name; an extra
        datacenter's server is named ``<node name>.<datacenter>``, as it
        appears in the WAN pool.
        """
        config = self.dc.config
        if self.dc.name == config.datacenter:
            return config.node_name
        return f"{config.node_name}.{self.dc.name}"

    def server_node_id(self) -> str:
        """The node ID of this datacenter's server (stable for extra datacenters)."""
        config = self.dc.config
        if self.dc.name == config.datacenter:
            return config.node_id
        return str(uuid.uuid5(uuid.UUID(config.node_id), self.dc.name))

    def server_registration(self) -> dict[str, Any]:
        """The ``RegisterRequest`` that puts this datacenter's server in the catalog.

        What a dev agent's catalog holds once its leader registered the
        member (``leader_registrator_v1.go`` ``HandleAliveMember``: the
        ``consul`` service and the passing ``serfHealth`` check) and the
        agent synced its node (tagged addresses, node meta).
        """
        name = self.server_node_name()
        config = self.dc.config
        meta = {
            "non_voter": "false",
            "raft_version": "3",
            "read_replica": "false",
            "serf_protocol_current": "2",
            "serf_protocol_max": "5",
            "serf_protocol_min": "1",
            "version": CONSUL_VERSION,
        }
        if config.grpc_port > 0:
            meta["grpc_port"] = str(config.grpc_port)
        if config.grpc_tls_port > 0:
            meta["grpc_tls_port"] = str(config.grpc_tls_port)
        return {
            "Datacenter": self.dc.name,
            "ID": self.server_node_id(),
            "Node": name,
            "Address": config.advertise_addr,
            "TaggedAddresses": config.tagged_addresses(),
            "NodeMeta": {"consul-network-segment": "", "consul-version": CONSUL_VERSION},
            "Service": {
                "ID": "consul",
                "Service": "consul",
                "Port": config.server_port,
                "Weights": {"Passing": 1, "Warning": 1},
                "Meta": meta,
            },
            "Check": {
                "Node": name,
                "CheckID": SERF_CHECK_ID,
                "Name": SERF_CHECK_NAME,
                "Status": "passing",
                "Output": SERF_CHECK_ALIVE_OUTPUT,
            },
        }

    def bootstrap(self) -> None:
        """Register the datacenter's server node, as its leader does at start."""
        self.register(self.dc.apply(), self.server_registration())

    # -- Catalog.Register / Deregister: the RPC side -------------------------------------

    def prepare_register(self, request: dict[str, Any], authz: Authorizer) -> None:
        """``Catalog.Register`` before its Raft apply: validate, default, vet ACLs.

        Mutates ``request`` (a decoded ``RegisterRequest``) as Consul does:
        the service ID defaults to its name, the single ``Check`` joins
        ``Checks``, checks get the request's node, their name as ID and
        their type. Raises :class:`RPCError` with Consul's text.
        """
        peers = [request.get("PeerName", "")]
        if request.get("Service") is not None:
            peers.append(request["Service"].get("PeerName", ""))
        # A null element of Checks would be a nil pointer Go dereferences;
        # here it is skipped.
        checks = [c for c in request.get("Checks") or [] if c is not None]
        if request.get("Check") is not None:
            checks.append(request["Check"])
        peers.extend(c.get("PeerName", "") for c in checks)
        if any(peers):
            raise RPCError("cannot register requests with PeerName in them")
        node = request.get("Node", "")
        if not node:
            raise RPCError("Must provide node")
        node_id = request.get("ID", "")
        if node_id and (problem := uuid_error(node_id)):
            raise RPCError(f"Bad node ID: {problem}")
        if not request.get("Address") and not request.get("SkipNodeUpdate"):
            raise RPCError("Must provide address if SkipNodeUpdate is not set")
        service = request.get("Service")
        if service is not None:
            validate_node_service(node_service(service))
            if not service.get("ID") and service.get("Service"):
                service["ID"] = service["Service"]
            if service.get("ID") and not service.get("Service"):
                raise RPCError(
                    "Must provide service name (Service.Service) when service ID is provided"
                )
            if is_any_address(service.get("Address", "")):
                raise RPCError("Invalid service address")
            name = service.get("Service", "")
            if name != "consul" and not authz.service_write(name):
                raise RPCError(authz.denied_message("service:write", name))
            if service.get("Kind") == "connect-proxy":
                destination = (service.get("Proxy") or {}).get("DestinationServiceName", "")
                if not authz.service_write(destination):
                    raise RPCError(authz.denied_message("service:write", destination))
        request.pop("Check", None)
        for check in checks:
            if not check.get("Node"):
                check["Node"] = node
            if not check.get("CheckID") and check.get("Name"):
                check["CheckID"] = check["Name"]
            if not check.get("Type"):
                check["Type"] = check_type(check_record(check)["Definition"])
        request["Checks"] = checks
        self._vet_register(request, authz)

    def _vet_register(self, request: dict[str, Any], authz: Authorizer) -> None:
        """``vetRegisterWithACL`` (run whether or not ACLs are enabled)."""
        node_name = request["Node"]
        existing, _ = self.lookup_node(node_name)
        services = (
            {}
            if existing is None
            else {r["ServiceID"]: r for r in self._node_services(existing["Node"])}
        )
        needs_node = existing is None or self._changes_node(request, existing)
        if needs_node and not authz.node_write(node_name):
            raise RPCError(authz.denied_message("node:write", node_name))
        service = request.get("Service")
        if service is not None:
            name = service.get("Service", "")
            if not authz.service_write(name):
                raise RPCError(authz.denied_message("service:write", name))
            other = services.get(service.get("ID", ""))
            if other is not None and not authz.service_write(other["ServiceName"]):
                raise RPCError("Permission denied")
        for check in request["Checks"]:
            if check["Node"].lower() != node_name.lower():
                raise RPCError(
                    f"Node '{check['Node']}' for check '{check.get('CheckID', '')}' "
                    f"doesn't match register request node '{node_name}'"
                )
            service_id = check.get("ServiceID", "")
            if not service_id:
                if not authz.node_write(node_name):
                    raise RPCError(authz.denied_message("node:write", node_name))
                continue
            if service is not None and service.get("ID") == service_id:
                continue
            other = services.get(service_id)
            if other is None:
                raise RPCError(
                    f"Unknown service ID '{service_id}' for check ID '{check.get('CheckID', '')}'"
                )
            if not authz.service_write(other["ServiceName"]):
                raise RPCError(authz.denied_message("service:write", other["ServiceName"]))

    def vet_deregister(
        self,
        authz: Authorizer,
        node: str,
        service_id: str | None = None,
        check_id: str | None = None,
    ) -> None:
        """``vetDeregisterWithACL``: node write, or write on what goes (precedence as applied)."""
        if authz.node_write(node):
            return
        if service_id:
            record = self.services.get((node.lower(), service_id.lower()))
            if record is None:
                raise RPCError(f"Unknown service ID '{service_id}'")
            if not authz.service_write(record["ServiceName"]):
                raise RPCError(authz.denied_message("service:write", record["ServiceName"]))
        elif check_id:
            check = self.checks.get((node.lower(), check_id.lower()))
            if check is None:
                raise RPCError(f"Unknown check ID '{check_id}'")
            if check["ServiceID"]:
                if not authz.service_write(check["ServiceName"]):
                    raise RPCError(authz.denied_message("service:write", check["ServiceName"]))
            elif not authz.node_write(node):
                raise RPCError(authz.denied_message("node:write", node))
        else:
            raise RPCError(authz.denied_message("node:write", node))

    # -- the state store: registration ---------------------------------------------------

    @staticmethod
    def _requested_node(request: Mapping[str, Any]) -> Node:
        """The node a ``RegisterRequest`` describes."""
        return node_record(
            {
                "ID": request.get("ID"),
                "Node": request.get("Node"),
                "Address": request.get("Address"),
                "Datacenter": request.get("Datacenter"),
                "TaggedAddresses": request.get("TaggedAddresses"),
                "Meta": request.get("NodeMeta"),
                "Locality": request.get("Locality"),
            }
        )

    @classmethod
    def _changes_node(cls, request: Mapping[str, Any], node: Node) -> bool:
        """``RegisterRequest.ChangesNode``."""
        if request.get("SkipNodeUpdate"):
            return False
        wanted = cls._requested_node(request)
        return wanted["Node"].lower() != node["Node"].lower() or not same(
            wanted, node, ("ID", "Address", "Datacenter", "TaggedAddresses", "Meta", "Locality")
        )

    def register(self, idx: int, request: dict[str, Any]) -> bool:
        """Apply a decoded ``RegisterRequest``; True if anything changed.

        ``ensureRegistrationTxn``: the node is written only if the request
        changes it, the service only if it differs (``IsSame``), then each
        check. Writes already made stay if a later part fails, which the
        HTTP API never shows: its requests are validated first
        (:meth:`prepare_register`).
        """
        before = self._writes
        node_name = request.get("Node", "")
        existing = self._node(node_name)
        if existing is None or self._changes_node(request, existing):
            try:
                self.ensure_node(idx, self._requested_node(request))
            except RPCError as exc:
                raise RPCError(f"failed inserting node: {exc}") from None
        service = request.get("Service")
        if service is not None:
            wanted = node_service(service)
            current = self.services.get((node_name.lower(), wanted["ID"].lower()))
            if current is None or not same(to_node_service(current), wanted, NODE_SERVICE_SAME):
                try:
                    self.ensure_service(idx, node_name, service)
                except RPCError as exc:
                    raise RPCError(f"failed inserting service: {exc}") from None
        checks = list(request.get("Checks") or [])
        if request.get("Check") is not None:
            checks.insert(0, request["Check"])
        for check in checks:
            check_node = check.get("Node", "")
            if check_node.lower() != node_name.lower():
                raise RPCError(f'check node "{check_node}" does not match node "{node_name}"')
            try:
                self.ensure_check(idx, check)
            except RPCError as exc:
                raise RPCError(f'failed inserting check on node "{check_node}": {exc}') from None
        return self._writes != before

    def ensure_node(self, idx: int, node: Mapping[str, Any]) -> bool:
        """``ensureNodeTxn``: create or update a node (fields as :func:`node_json`).

        A node ID already held by another name renames that node (deleting
        the old one); a name held by a healthy node with another ID is
        refused.
        """
        before = self._writes
        record = node_record(node)
        previous: Node | None = None
        if record["ID"]:
            by_id = self._node_by_id(record["ID"])
            if by_id is not None:
                previous = by_id
                if by_id["Node"].lower() != record["Node"].lower():
                    self._check_name_free(record, allow_clash_without_id=False, renaming=True)
                    self.delete_node(idx, by_id["Node"])
            else:
                self._check_name_free(record, allow_clash_without_id=True, renaming=False)
        if previous is None:
            previous = self._node(record["Node"])
        if previous is not None:
            record["CreateIndex"] = previous["CreateIndex"]
            record["ModifyIndex"] = previous["ModifyIndex"]
            unchanged = record["Node"].lower() == previous["Node"].lower() and same(
                record, previous, NODE_SAME
            )
            if unchanged:
                return False
            record["ModifyIndex"] = idx
        else:
            record["CreateIndex"] = record["ModifyIndex"] = idx
        # catalogInsertNode
        self.nodes[record["Node"].lower()] = record
        self._writes += 1
        self._bump("nodes", idx)
        self._bump(f"node.{record['Node']}", idx)
        self._update_service_indexes_of_node(idx, record["Node"])
        return self._writes != before

    def _check_name_free(self, node: Node, *, allow_clash_without_id: bool, renaming: bool) -> None:
        """``ensureNoNodeWithSimilarNameTxn``."""
        for other in self.nodes.values():
            if other["Node"].lower() != node["Node"].lower() or other["ID"] == node["ID"]:
                continue
            serf = self.checks.get((other["Node"].lower(), SERF_CHECK_ID.lower()))
            healthy = serf is not None and serf["Status"] != "critical"
            if not (other["ID"] == "" and allow_clash_without_id) and healthy:
                reason = (
                    f"Node name {node['Node']} is reserved by node {other['ID']} "
                    f"with name {other['Node']} ({other['Address']})"
                )
                where = f'"{node["ID"]}" ({node["Address"]})' if renaming else f'"{node["ID"]}"'
                raise RPCError(f"Error while renaming Node ID: {where}: {reason}")

    def ensure_service(self, idx: int, node: str, service: Mapping[str, Any]) -> bool:
        """``ensureServiceTxn``: create or update a service instance on ``node``.

        ``service`` is a decoded ``NodeService``. Nothing is written when the
        stored instance ``IsSameService``.
        """
        wanted = node_service(service)
        key = (node.lower(), wanted["ID"].lower())
        existing = self.services.get(key)
        problem = validate_service_meta(wanted["Kind"], wanted["Meta"])
        if problem:
            raise RPCError(
                f"Invalid Service Meta for node {node} and serviceID {wanted['ID']}: {problem}"
            )
        entry = service_node(node, wanted)
        if self._node(node) is None:
            raise RPCError("Missing node registration")
        if existing is not None:
            entry["CreateIndex"] = existing["CreateIndex"]
            if entry["Node"].lower() == existing["Node"].lower() and same(
                entry, existing, SERVICENODE_SAME
            ):
                return False
        else:
            entry["CreateIndex"] = idx
        entry["ModifyIndex"] = idx
        if not entry["ServiceID"]:
            # memdb refuses a row without its primary key.
            raise RPCError("failed inserting service: object missing primary index")
        # catalogInsertService
        self.services[key] = entry
        self._writes += 1
        self._bump("services", idx)
        self._bump(f"service.{entry['ServiceName']}", idx)
        self._bump("nodes", idx)
        self._bump(f"node.{node}", idx)
        return True

    def ensure_check(self, idx: int, check: Mapping[str, Any]) -> bool:
        """``ensureCheckTxn``: create or update a check (a decoded ``HealthCheck``).

        An empty status is ``critical``; a service check takes its service's
        name and tags. A critical check invalidates the sessions that use it,
        even if it was already critical.
        """
        record = check_record(check)
        key = (record["Node"].lower(), record["CheckID"].lower())
        existing = self.checks.get(key)
        if existing is not None:
            record["CreateIndex"] = existing["CreateIndex"]
            record["ModifyIndex"] = existing["ModifyIndex"]
        else:
            record["CreateIndex"] = idx
        if not record["Status"]:
            record["Status"] = "critical"
        if self._node(record["Node"]) is None:
            raise RPCError("Missing node registration")
        modified = True
        if record["ServiceID"]:
            service = self.services.get((record["Node"].lower(), record["ServiceID"].lower()))
            if service is None:
                raise RPCError("Missing service registration")
            record["ServiceName"] = service["ServiceName"]
            tags = service["ServiceTags"]
            record["ServiceTags"] = None if tags is None else list(tags)  # strings
            if existing is not None and self._check_same(existing, record):
                modified = False
            else:
                self._bump(f"service.{service['ServiceName']}", idx)
        elif existing is not None and self._check_same(existing, record):
            modified = False
        else:
            self._update_service_indexes_of_node(idx, record["Node"])
        if record["Status"] == "critical":
            self.dc.sessions.on_check_critical(idx, record["Node"], record["CheckID"])
        if not modified:
            return False
        record["ModifyIndex"] = idx
        if not record["CheckID"]:
            raise RPCError("failed inserting check: object missing primary index")
        self.checks[key] = record
        self._writes += 1
        self._bump("checks", idx)
        return True

    @staticmethod
    def _check_same(existing: HealthCheck, record: HealthCheck) -> bool:
        return existing["Node"].lower() == record["Node"].lower() and same(
            existing, record, CHECK_SAME
        )

    # -- the state store: deregistration -------------------------------------------------

    def deregister(
        self, idx: int, node: str, service_id: str | None = None, check_id: str | None = None
    ) -> bool:
        """Remove a service (and its checks), a check, or a whole node.

        The precedence is ``applyDeregister``'s (``fsm/commands_ce.go``):
        a service ID wins over a check ID; with neither the node goes.
        """
        if service_id:
            return self.delete_service(idx, node, service_id)
        if check_id:
            return self.delete_check(idx, node, check_id)
        return self.delete_node(idx, node)

    def delete_service(self, idx: int, node: str, service_id: str) -> bool:
        """``deleteServiceTxn``: the instance, its checks, and the indexes that show it."""
        key = (node.lower(), service_id.lower())
        record = self.services.get(key)
        if record is None:
            return False
        for check in self._service_checks(node, service_id):
            self.delete_check(idx, node, check["CheckID"])
        self._bump("checks", idx)
        del self.services[key]
        self._writes += 1
        self._bump("services", idx)
        self._bump("nodes", idx)
        self._bump(f"node.{node}", idx)
        name = record["ServiceName"]
        if any(r["ServiceName"].lower() == name.lower() for r in self.services.values()):
            self._bump(f"service.{name}", idx)
        else:
            self._drop_index(f"service.{name}")
            self._bump("service_last_extinction", idx)
        return True

    def delete_check(self, idx: int, node: str, check_id: str) -> bool:
        """``deleteCheckTxn``: remove a check, invalidating its sessions."""
        key = (node.lower(), check_id.lower())
        existing = self.checks.get(key)
        if existing is None:
            return False
        if existing["ServiceID"]:
            self._bump(f"service.{existing['ServiceName']}", idx)
        else:
            self._update_service_indexes_of_node(idx, existing["Node"])
            self._bump("services", idx)
        del self.checks[key]
        self._writes += 1
        self._bump("checks", idx)
        self.dc.sessions.on_check_deleted(idx, existing["Node"], existing["CheckID"])
        return True

    def delete_node(self, idx: int, name: str) -> bool:
        """``deleteNodeTxn``: the node with its services and checks; its sessions go too."""
        record = self._node(name)
        if record is None:
            return False
        for service in self._node_services(name):
            self._bump(f"service.{service['ServiceName']}", idx)
        for service in self._node_services(name):
            self.delete_service(idx, name, service["ServiceID"])
        for check in self._node_checks(name):
            self.delete_check(idx, name, check["CheckID"])
        del self.nodes[name.lower()]
        self._writes += 1
        self._bump("nodes", idx)
        self._drop_index(f"node.{name}")
        self._bump("node_last_extinction", idx)
        self.dc.sessions.on_node_deleted(idx, name)
        self.dc.coordinates.on_node_deleted(idx, name)
        return True

    # -- queries ---------------------------------------------------------------------

    def node_list(self, meta: Mapping[str, str] | None = None) -> tuple[int, list[Node]]:
        """``Nodes`` / ``NodesByMeta``: nodes by name, with the nodes table index."""
        nodes = [self.nodes[k] for k in sorted(self.nodes)]
        if meta:
            nodes = [n for n in nodes if meta_matches(n["Meta"], meta)]
        return self.max_index("nodes"), nodes

    def service_list(self, meta: Mapping[str, str] | None = None) -> tuple[int, list[ServiceNode]]:
        """``Services`` / ``ServicesByNodeMeta``: every instance (raw, no node fields)."""
        index = self.max_index("services")
        records = [self.services[k] for k in sorted(self.services)]
        if meta:
            index = max(index, self.max_index("nodes"))
            matching = {k for k, n in self.nodes.items() if meta_matches(n["Meta"], meta)}
            records = [r for r in records if r["Node"].lower() in matching]
        return index, records

    def service_nodes(
        self, name: str, tags: list[str] | None = None, peer: str = ""
    ) -> tuple[int, list[tuple[ServiceNode, Node]]]:
        """``ServiceNodes`` / ``ServiceTagNodes``: instances of ``name`` with their nodes.

        Sorted as the ``service`` index lists them (by node, then ID); tags
        match case-insensitively and all of them must be present. ``peer``
        (``?peer``) scopes the lookup to what was imported from that peer.
        """
        instances = self._instances(name, peer)
        exists = bool(instances)
        if tags is not None:
            instances = [r for r in instances if _has_tags(r, tags)]
        results = [(r, self.nodes[r["Node"].lower()]) for r in instances]
        return self.service_index(name, exists, checks=False, peer=peer), results

    def _instances(self, name: str, peer: str) -> list[ServiceNode]:
        """The ``service`` index: instances of ``name`` from ``peer`` ("": local ones)."""
        key = name.lower()
        return [
            r
            for _, r in sorted(self.services.items())
            if r["ServiceName"].lower() == key and r["PeerName"] == peer
        ]

    def check_service_nodes(
        self, name: str, tags: list[str] | None = None, peer: str = ""
    ) -> tuple[int, list[Instance]]:
        """``CheckServiceNodes`` / ``CheckServiceTagNodes``: instances, nodes and checks.

        Each instance's checks are its node's checks, then its own, each
        group by check ID (``parseCheckServiceNodes``).
        """
        instances = self._instances(name, peer)
        exists = bool(instances)
        if tags is not None:
            instances = [r for r in instances if _has_tags(r, tags)]
            index = self.service_index(name, exists, checks=True, peer=peer)
        else:
            index = self._names_index(name, instances, peer)
        return index, self._with_checks(instances)

    def connect_instances(self, name: str, peer: str = "") -> list[ServiceNode]:
        """The ``connect`` index: proxies for ``name`` and its Connect-native instances."""
        key = name.lower()
        return [
            r
            for _, r in sorted(self.services.items())
            if r["PeerName"] == peer
            and (
                (
                    r["ServiceKind"] == "connect-proxy"
                    and r["ServiceProxy"]["DestinationServiceName"].lower() == key
                )
                or (r["ServiceConnect"]["Native"] and r["ServiceName"].lower() == key)
            )
        ]

    def _gateway_instances(self, name: str, kind: str) -> tuple[int, list[ServiceNode]]:
        """``serviceGatewayNodes``: the instances of the gateways of ``kind`` mapped to
        ``name``, and the highest index of the mappings and those gateways."""
        index, gateways = self.dc.gateways.gateways_for(name, kind)
        instances: list[ServiceNode] = []
        for gateway in gateways:
            found = self._instances(gateway, "")
            if found:
                index = max(index, self.service_index(gateway, True, checks=False))
            instances += found
        return index, instances

    def _connect_and_gateways(self, name: str, peer: str) -> tuple[int, list[ServiceNode]]:
        """The ``connect`` index, then the terminating gateways that reach ``name``
        (local lookups only; ``serviceNodesTxn``)."""
        instances = self.connect_instances(name, peer)
        if peer:
            return 0, instances
        index, gateways = self._gateway_instances(name, TERMINATING)
        return index, instances + gateways

    def connect_service_nodes(
        self, name: str, peer: str = ""
    ) -> tuple[int, list[tuple[ServiceNode, Node]]]:
        """``ConnectServiceNodes``: the ``connect`` index and terminating gateways, with nodes."""
        gateway_index, instances = self._connect_and_gateways(name, peer)
        results = [(r, self.nodes[r["Node"].lower()]) for r in instances]
        index = self.service_index(name, bool(instances), checks=False, peer=peer)
        return max(index, gateway_index), results

    def check_connect_service_nodes(self, name: str, peer: str = "") -> tuple[int, list[Instance]]:
        """``CheckConnectServiceNodes``: as :meth:`connect_service_nodes`, with checks."""
        gateway_index, instances = self._connect_and_gateways(name, peer)
        index = self._names_index(name, instances, peer)
        return max(index, gateway_index), self._with_checks(instances)

    def check_ingress_service_nodes(self, name: str) -> tuple[int, list[Instance]]:
        """``CheckIngressServiceNodes``: the ingress gateways that expose ``name``, with checks."""
        index, instances = self._gateway_instances(name, INGRESS)
        return index, self._with_checks(instances)

    def _names_index(self, name: str, instances: list[ServiceNode], peer: str) -> int:
        """``checkServiceNodesTxn``'s index: the highest index of the service names
        found, or (nothing found) that of the name asked for."""
        if not instances:
            return self.service_index(name, False, checks=True, peer=peer)
        names = {r["ServiceName"] for r in instances}
        return max(self.service_index(n, True, checks=True) for n in names)

    def _with_checks(self, instances: list[ServiceNode]) -> list[Instance]:
        results = []
        for record in instances:
            node = self.nodes[record["Node"].lower()]
            checks = [c for c in self._node_checks(record["Node"]) if not c["ServiceID"]]
            checks += self._service_checks(record["Node"], record["ServiceID"])
            results.append((record, node, checks))
        return results

    def node_service_records(self, name_or_id: str) -> tuple[int, Node | None, list[ServiceNode]]:
        """``NodeServices``: the node (by name or ID prefix), its services and the index.

        A node that exists reports its own index (``node.<name>``); a miss
        after an ID lookup reports the node extinction index, other misses 0.
        """
        node, id_tried = self.lookup_node(name_or_id)
        if node is None:
            return (self.max_index("node_last_extinction") if id_tried else 0), None, []
        index = self.max_index(f"node.{node['Node']}")
        return index, node, self._node_services(node["Node"])

    def node_check_list(self, node: str) -> tuple[int, list[HealthCheck]]:
        """``NodeChecks``: the checks of ``node`` by ID, with the checks table index."""
        return self.max_index("checks"), self._node_checks(node)

    def service_check_list(
        self, name: str, meta: Mapping[str, str] | None = None
    ) -> tuple[int, list[HealthCheck]]:
        """``ServiceChecks`` / ``ServiceChecksByNodeMeta``: checks of a service name."""
        key = name.lower()
        checks = [c for _, c in sorted(self.checks.items()) if c["ServiceName"].lower() == key]
        if not meta:
            return self.max_index("checks"), checks
        checks = [c for c in checks if self._node_meta_matches(c["Node"], meta)]
        return self.service_index(name, True, checks=True), checks

    def checks_in_state(
        self, state: str, meta: Mapping[str, str] | None = None
    ) -> tuple[int, list[HealthCheck]]:
        """``ChecksInState``: checks with status ``state`` (``any``: all), by node and ID."""
        checks = [c for _, c in sorted(self.checks.items()) if state in ("any", c["Status"])]
        if meta:
            checks = [c for c in checks if self._node_meta_matches(c["Node"], meta)]
        return self.max_index("checks"), checks

    def _node_meta_matches(self, node: str, meta: Mapping[str, str]) -> bool:
        record = self._node(node)
        if record is None:
            raise RPCError("Missing node registration")
        return meta_matches(record["Meta"], meta)


def meta_matches(have: Mapping[str, str] | None, want: Mapping[str, str]) -> bool:
    """``SatisfiesMetaFilters``: every wanted pair present with the same value."""
    have = have or {}
    return all(key in have and have[key] == value for key, value in want.items())


def _has_tags(record: ServiceNode, tags: list[str]) -> bool:
    """``serviceTagsFilter`` negated: every tag present, compared case-insensitively."""
    own = {t.lower() for t in record["ServiceTags"] or []}
    return all(tag.lower() in own for tag in tags)
