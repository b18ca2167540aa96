"""Prepared queries: the ``prepared-queries`` table, templates, and what executing one finds.

The table and its rules come from ``agent/consul/state/prepared_query.go``;
validation, resolution and execution from
``agent/consul/prepared_query_endpoint.go``; templates from
``agent/consul/prepared_query/template.go`` and ``walk.go``. A query is kept
as ``structs.PreparedQuery`` in its JSON shape (Go's field order, zero values
filled in).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import RPCError
from .golang import hex_decode_error, parse_duration_ns
from .gotypes import zero_filled
from .hil import HILError, Template
from .hil import parse as parse_hil
from .records import JSON, check_service_node_json, validate_node_meta
from .regexp import RegexpError, compile_regexp
from .structs import PREPARED_QUERY

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = [
    "NAME_PREFIX_MATCH",
    "QUERY_NOT_FOUND",
    "REDACTED",
    "PreparedQueryStore",
    "execute",
    "failover_targets",
    "is_template",
    "new_query",
    "query_problem",
]

#: ``structs.QueryTemplateTypeNamePrefixMatch``, the one template type.
NAME_PREFIX_MATCH = "name_prefix_match"
#: ``structs.ErrQueryNotFound``.
QUERY_NOT_FOUND = "Query not found"
#: What a token is shown as to those who may not see it (``redactedToken``).
REDACTED = "<hidden>"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.I)
#: The fields of ``ServiceQuery`` that are maps: their strings' paths are ``[key]``.
_MAPS = frozenset({"NodeMeta", "ServiceMeta"})


def new_query(decoded: dict[str, Any]) -> JSON:
    """A ``PreparedQuery`` from a decoded body, every field at its zero value if absent."""
    return zero_filled(decoded, PREPARED_QUERY)


def is_template(query: JSON) -> bool:
    """``prepared_query.IsTemplate``."""
    return bool(query["Template"]["Type"])


def acl_prefix(query: JSON) -> str | None:
    """``GetACLPrefix``: the name ACLs apply to; None for an unnamed, non-template query."""
    if query["Name"] or is_template(query):
        return str(query["Name"])
    return None


def lookup_problem(query_id: str) -> str | None:
    """Why the ``id`` index cannot look ``query_id`` up (``uuidStringToBytes``), or None."""
    if len(query_id.encode()) > 36:
        return f"Invalid UUID length. UUID have 36 characters; got {len(query_id.encode())}"
    hyphens = query_id.count("-")
    if hyphens > 4:
        return f'UUID should have maximum of 4 "-"; got {hyphens}'
    digits = query_id.replace("-", "")
    if len(digits.encode()) % 2:
        return "Input (without hyphens) must be even length"
    return hex_decode_error(digits)


# -- validation (parseQuery) ------------------------------------------------------------


def query_problem(query: JSON) -> str | None:
    """``parseQuery``: what is wrong with a query to create or update, or None.

    The text follows ``Invalid prepared query: `` in Consul's error.
    """
    if not query["Name"] and not is_template(query) and not query["Session"]:
        return "Must be bound to a session"
    if query["Token"] == REDACTED:
        return (
            f"Bad Token '{REDACTED}', it looks like a query definition with a redacted "
            "token was submitted"
        )
    service = query["Service"]
    if not service["Service"]:
        return "Must provide a Service name to query"
    failover = service["Failover"]
    if failover["NearestN"] < 0:
        return f"Bad NearestN '{failover['NearestN']}', must be >= 0"
    if (failover["NearestN"] or failover["Datacenters"]) and failover["Targets"]:
        return "Targets cannot be populated with NearestN or Datacenters"
    if problem := validate_node_meta(service["NodeMeta"]):
        return problem
    if service["SamenessGroup"]:
        return "sameness-groups are an enterprise-only feature"
    ttl = query["DNS"]["TTL"]
    if ttl:
        try:
            nanoseconds = parse_duration_ns(ttl)
        except ValueError as exc:
            return f"Bad DNS TTL '{ttl}': {exc}"
        if nanoseconds < 0:
            return f"DNS TTL '{nanoseconds}', must be >=0"
    return None


# -- templates --------------------------------------------------------------------------


def _strings(value: Any, path: str, in_map: bool = False) -> Iterator[tuple[str, Any, Any]]:
    """``walk``: every string under ``value`` with its path, its container and key.

    Struct fields add ``.Field``, slice elements ``[i]``, map values
    ``[key]`` (keys in order: Go walks a map in no set order).
    """
    items: list[tuple[Any, str, bool]]
    if isinstance(value, dict) and not in_map:
        items = [(key, f"{path}.{key}", key in _MAPS) for key in value]
    elif isinstance(value, dict):
        items = [(key, f"{path}[{key}]", False) for key in sorted(value)]
    elif isinstance(value, list):
        items = [(i, f"{path}[{i}]", False) for i in range(len(value))]
    else:
        return
    for key, inner, is_map in items:
        item = value[key]
        if isinstance(item, str):
            yield inner, value, key
        else:
            yield from _strings(item, inner, is_map)


@dataclass(frozen=True)
class CompiledTemplate:
    """``CompiledTemplate``: a template query, its strings parsed and its regexp compiled."""

    query: JSON
    trees: dict[str, Template]
    regexp: re.Pattern[str] | None

    @classmethod
    def compile(cls, query: JSON) -> CompiledTemplate:
        """``Compile``: RPCError with the reason (the store prefixes it)."""
        template = query["Template"]
        if template["Type"] != NAME_PREFIX_MATCH:
            raise RPCError(f"Bad Template.Type '{template['Type']}'")
        trees: dict[str, Template] = {}
        for path, container, key in _strings(query["Service"], ""):
            try:
                trees[path] = parse_hil(container[key])
            except HILError as exc:
                raise RPCError(f"Bad format '{container[key]}' in Service{path}: {exc}") from None
        regexp = None
        if template["Regexp"]:
            try:
                regexp = compile_regexp(template["Regexp"])
            except RegexpError as exc:
                raise RPCError(f"Bad Regexp: {exc}") from None
        compiled = cls(copy.deepcopy(query), trees, regexp)
        # A test render with the template's own name catches errors early.
        compiled.render(query["Name"])
        return compiled

    def render(self, name: str, segment: str = "") -> JSON:
        """``Render``: the query for ``name``, every string of ``Service`` interpolated."""
        query = copy.deepcopy(self.query)
        matches: list[str] = []
        if self.regexp is not None and (found := self.regexp.search(name)):
            matches = [found.group(0), *(group or "" for group in found.groups())]

        def match(i: int) -> str:
            return matches[i] if 0 <= i < len(matches) else ""

        prefix = query["Name"]
        variables = {
            "name.full": name,
            "name.prefix": prefix,
            "name.suffix": name[len(prefix) :] if name.startswith(prefix) else name,
            "agent.segment": segment,
        }
        for path, container, key in _strings(query["Service"], ""):
            tree = self.trees.get(path)
            if tree is None:
                continue
            try:
                value = tree.evaluate(variables, {"match": match})
            except HILError as exc:
                raise RPCError(
                    f"Bad evaluation for '{container[key]}' in Service{path}: {exc}"
                ) from None
            if not isinstance(value, str):
                raise RPCError(f"Expected Service{path} field to be a string, got TypeInt")
            container[key] = value
        if query["Template"]["RemoveEmptyTags"] and query["Service"]["Tags"] is not None:
            query["Service"]["Tags"] = [tag for tag in query["Service"]["Tags"] if tag]
        return query


# -- the table ------------------------------------------------------------------------


class PreparedQueryStore:
    """The ``prepared-queries`` table of one datacenter."""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: Lower-cased ID -> the query.
        self.queries: dict[str, JSON] = {}
        #: The table's index (``prepared-queries``).
        self.index = 0

    # -- reads ----------------------------------------------------------------------

    def get(self, query_id: str) -> tuple[int, JSON | None]:
        """``PreparedQueryGet``; RPCError if the ID cannot be looked up."""
        if problem := lookup_problem(query_id):
            raise RPCError(f"failed prepared query lookup: {problem}")
        return self.index, self.queries.get(query_id.replace("-", "").lower())

    def all(self) -> tuple[int, list[JSON]]:
        """``PreparedQueryList``: every query, by ID."""
        return self.index, [self.queries[key] for key in sorted(self.queries)]

    def _by_name(self, name: str) -> JSON | None:
        wanted = name.lower()
        return next((q for q in self.queries.values() if q["Name"].lower() == wanted), None)

    def resolve(self, id_or_name: str, segment: str = "") -> tuple[int, JSON | None]:
        """``PreparedQueryResolve``: by ID, by name, then by the longest template prefix.

        A template found by name is rendered for ``id_or_name``; one found by
        ID is refused (RPCError), as is a name that does not render.
        """
        if not id_or_name:
            raise RPCError("Missing Query ID")
        if _UUID.match(id_or_name):
            query = self.queries.get(id_or_name.replace("-", "").lower())
            if query is not None:
                if is_template(query):
                    raise RPCError(
                        "prepared query templates can only be resolved up by name, not by ID"
                    )
                return self.index, query
        found = self._by_name(id_or_name)
        if found is None:
            wanted = id_or_name.lower()
            templates = [
                q
                for q in self.queries.values()
                if is_template(q) and wanted.startswith(q["Name"].lower())
            ]
            found = max(templates, key=lambda q: len(q["Name"]), default=None)
        if found is None:
            return self.index, None
        if is_template(found):
            return self.index, CompiledTemplate.compile(found).render(id_or_name, segment)
        return self.index, found

    # -- writes (preparedQuerySetTxn, preparedQueryDeleteTxn) --------------------------

    def set(self, idx: int, query: JSON) -> bool:
        """Create or update ``query``; RPCError with the state store's reason."""
        key = query["ID"].replace("-", "").lower()
        existing = self.queries.get(key)
        name = query["Name"]
        if name:
            other = self._by_name(name)
            if other is not None and (existing is None or existing["ID"] != other["ID"]):
                raise RPCError(f"name '{name}' aliases an existing query name")
        elif is_template(query):
            other = next(
                (q for q in self.queries.values() if is_template(q) and not q["Name"]), None
            )
            if other is not None and (existing is None or existing["ID"] != other["ID"]):
                raise RPCError("a query template with an empty name already exists")
        if name and _UUID.match(name) and name.replace("-", "").lower() in self.queries:
            raise RPCError(f"name '{name}' aliases an existing query ID")
        session = query["Session"]
        if session and self.dc.sessions.get(session) is None:
            raise RPCError(f'invalid session "{session}"')
        if is_template(query):
            try:
                CompiledTemplate.compile(query)
            except RPCError as exc:
                raise RPCError(f"failed compiling template: {exc}") from None
        stored = copy.deepcopy(query)
        stored["CreateIndex"] = existing["CreateIndex"] if existing is not None else idx
        stored["ModifyIndex"] = idx
        self.queries[key] = stored
        self.index = idx
        return True

    def delete(self, idx: int, query_id: str) -> bool:
        """Delete a query; False if there is none with that ID."""
        if self.queries.pop(query_id.replace("-", "").lower(), None) is None:
            return False
        self.index = idx
        return True

    def on_session_deleted(self, idx: int, session_id: str) -> None:
        """``deleteSessionTxn``: the queries bound to a destroyed session go with it."""
        wanted = session_id.lower()
        for query in list(self.queries.values()):
            if query["Session"].lower() == wanted:
                self.delete(idx, query["ID"])


# -- execution ------------------------------------------------------------------------


def execute(dc: Datacenter, query: JSON, connect: bool) -> JSON:
    """``PreparedQuery.execute``: the healthy instances of ``dc`` the query selects.

    Instances with a critical check are dropped (with ``OnlyPassing``, any
    not passing), but for the checks of ``IgnoreCheckIDs``; then the node
    and service metadata filters and the tag filter. Returns the response
    without ACL filtering, sorting or limit (``Service``, ``Nodes``,
    ``DNS``, ``Datacenter``, ``PeerName``).
    """
    service = query["Service"]
    catalog = dc.catalog
    peer = service["Peer"]
    if service["Connect"] or connect:
        _, found = catalog.check_connect_service_nodes(service["Service"], peer)
    else:
        _, found = catalog.check_service_nodes(service["Service"], None, peer)
    nodes = [check_service_node_json(*instance) for instance in found]
    ignored = set(service["IgnoreCheckIDs"] or [])
    only_passing = service["OnlyPassing"]
    nodes = _swap_filter(
        nodes,
        lambda entry: all(
            check["CheckID"] in ignored
            or (
                check["Status"] != "critical" and (not only_passing or check["Status"] == "passing")
            )
            for check in entry["Checks"]
        ),
    )
    if node_meta := service["NodeMeta"]:
        nodes = _swap_filter(nodes, lambda e: _meta_matches(e["Node"]["Meta"], node_meta))
    if service_meta := service["ServiceMeta"]:
        nodes = _swap_filter(nodes, lambda e: _meta_matches(e["Service"]["Meta"], service_meta))
    if tags := service["Tags"]:
        nodes = _swap_filter(nodes, _tag_filter(tags))
    return {
        "Service": service["Service"],
        "Nodes": nodes,
        "DNS": dict(query["DNS"]),
        "Datacenter": "" if peer else dc.name,
        "PeerName": peer,
    }


def _swap_filter(entries: list[JSON], keep: Callable[[JSON], bool]) -> list[JSON]:
    """Go's in-place filters: a dropped entry swaps with the last kept one."""
    nodes = list(entries)
    n = len(nodes)
    i = 0
    while i < n:
        if not keep(nodes[i]):
            nodes[i], nodes[n - 1] = nodes[n - 1], nodes[i]
            n -= 1
            continue
        i += 1
    return nodes[:n]


def _meta_matches(have: dict[str, str] | None, want: dict[str, str]) -> bool:
    have = have or {}
    return all(key in have and have[key] == value for key, value in want.items())


def _tag_filter(tags: list[str]) -> Callable[[JSON], bool]:
    """``tagFilter``: every required tag present, no ``!``-tag present (any case)."""
    must = [t.lower() for t in tags if not t.startswith("!")]
    banned = [t[1:].lower() for t in tags if t.startswith("!")]

    def keep(entry: JSON) -> bool:
        own = {tag.lower() for tag in entry["Service"]["Tags"] or []}
        return all(t in own for t in must) and not any(t in own for t in banned)

    return keep


def failover_targets(query: JSON, others: list[str]) -> list[tuple[str, str]]:
    """``queryFailover``'s targets: (datacenter, peer) pairs to try in order.

    The ``NearestN`` nearest other datacenters (``others`` is nearest
    first), then the explicit ``Datacenters`` or ``Targets``: unknown
    datacenters and those already listed are skipped, peers always tried.
    """
    failover = query["Service"]["Failover"]
    targets: list[tuple[str, str]] = []
    tried: set[str] = set()
    if failover["NearestN"] > 0:
        for name in others[: failover["NearestN"]]:
            targets.append((name, ""))
            tried.add(name)
    explicit = [{"Datacenter": name, "Peer": ""} for name in failover["Datacenters"] or []] or list(
        failover["Targets"] or []
    )
    for target in explicit:
        name = target["Datacenter"]
        if name:
            if name not in others:
                continue  # an unknown datacenter is skipped
            if name not in tried:
                targets.append((name, ""))
        if target["Peer"]:
            targets.append(("", target["Peer"]))
    return targets
