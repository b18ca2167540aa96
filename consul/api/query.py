"""Prepared queries: ``/v1/query`` (Consul docs: *Prepared Queries*).

The methods and arguments are python-consul's (``c.query.create``...), which
py-consul kept, with two of their wire habits left out: a query is a template
only when asked to be (``template=True`` or a ``regexp``), not always; and
the caller's ACL token stays in the ``X-Consul-Token`` header instead of
being stored in the query (``query_token`` stores one, explicitly).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, TypeVar, Unpack

from .. import _decode as d
from .._endpoint import (
    Group,
    duration_field,
    endpoint,
    flag,
    integer,
    non_empty,
    optional_int,
    optional_str,
    str_list,
    str_map,
)
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, path, path_segment
from .health import ServiceEntry

M = TypeVar("M")

__all__ = [
    "DefinitionOptions",
    "ExecuteResponse",
    "ExplainResponse",
    "PreparedQuery",
    "Query",
    "QueryDNS",
    "QueryFailover",
    "QueryFailoverTarget",
    "QueryTemplate",
    "ServiceQuery",
]

#: ``structs.QueryTemplateTypeNamePrefixMatch``: the one kind of template.
NAME_PREFIX_MATCH = "name_prefix_match"


class QueryTemplate(TypedDict):
    """How a template query matches names (``structs.QueryTemplateOptions``)."""

    Type: str
    Regexp: str
    RemoveEmptyTags: bool


class QueryFailoverTarget(TypedDict):
    """A datacenter or cluster peer to fail over to."""

    Peer: str
    Datacenter: str


class QueryFailover(TypedDict):
    """Where to look when the local datacenter has no healthy instance."""

    NearestN: int
    Datacenters: list[str] | None
    Targets: list[QueryFailoverTarget] | None


class ServiceQuery(TypedDict):
    """What a query looks for (``structs.ServiceQuery``)."""

    Service: str
    SamenessGroup: str
    Failover: QueryFailover
    OnlyPassing: bool
    IgnoreCheckIDs: list[str] | None
    Near: str
    Tags: list[str] | None
    NodeMeta: dict[str, str] | None
    ServiceMeta: dict[str, str] | None
    Connect: bool
    Peer: str


class QueryDNS(TypedDict):
    """How DNS answers from the query (``TTL``: a Go duration)."""

    TTL: str


class PreparedQuery(TypedDict):
    """A prepared query (``structs.PreparedQuery``).

    ``Token`` is shown as ``<hidden>`` to tokens that may not write ACLs.
    """

    ID: str
    Name: str
    Session: str
    Token: str
    Template: QueryTemplate
    Service: ServiceQuery
    DNS: QueryDNS
    CreateIndex: int
    ModifyIndex: int


class ExecuteResponse(TypedDict):
    """What executing a query found (``structs.PreparedQueryExecuteResponse``).

    ``Datacenter`` is where the instances came from (another one after a
    failover; ``Failovers`` counts the datacenters tried), ``PeerName`` the
    cluster peer for a peer's; the response's metadata is in the body too.
    """

    Service: str
    Nodes: list[ServiceEntry]
    DNS: QueryDNS
    Datacenter: str
    PeerName: str
    Failovers: int
    Index: int
    LastContact: int
    KnownLeader: bool
    ConsistencyLevel: str
    NotModified: bool
    Backend: int
    ResultsFilteredByACLs: bool


class ExplainResponse(TypedDict):
    """The query a name resolves to, a template rendered for that name."""

    Query: PreparedQuery
    Index: int
    LastContact: int
    KnownLeader: bool
    ConsistencyLevel: str
    NotModified: bool
    Backend: int
    ResultsFilteredByACLs: bool


class DefinitionOptions(TypedDict, total=False):
    """The keyword-only arguments of :meth:`Query.create` and :meth:`Query.update`.

    Attributes:
        template: make the query a template (a ``regexp`` does too).
        remove_empty_tags: a template drops the tags that render empty.
        query_token: the token the query runs with, stored in it.
        near: sort by round-trip time from this node (``_agent``, ``_ip``).
        ignore_check_ids: checks never held against an instance.
        node_meta: node metadata an instance's node must have.
        service_meta: service metadata an instance must have.
        connect: look for Connect-capable instances (proxies, native).
        peer: look for the instances a cluster peer exported.
        targets: datacenters (``{"Datacenter": ...}``) or peers
            (``{"Peer": ...}``) to fail over to, instead of ``datacenters``.
    """

    template: bool
    remove_empty_tags: bool
    query_token: str | None
    near: str | None
    ignore_check_ids: Sequence[str] | None
    node_meta: Mapping[str, str] | None
    service_meta: Mapping[str, str] | None
    connect: bool
    peer: str | None
    targets: Sequence[Mapping[str, str]] | None


def _definition(
    service: str,
    name: str | None,
    session: str | None,
    nearestn: int | None,
    datacenters: Sequence[str] | None,
    onlypassing: bool | None,
    tags: Sequence[str] | None,
    ttl: str | float | None,
    regexp: str | None,
    options: DefinitionOptions,
) -> dict[str, Any]:
    """The body of a create or update, checked before any I/O."""
    body: dict[str, Any] = {}
    if optional_str(name, "name"):
        body["Name"] = name
    if optional_str(session, "session"):
        body["Session"] = session
    if optional_str(query_token := options.get("query_token"), "query_token"):
        body["Token"] = query_token
    remove_empty_tags = flag(options.get("remove_empty_tags", False), "remove_empty_tags")
    if optional_str(regexp, "regexp") or flag(options.get("template", False), "template"):
        body["Template"] = {"Type": NAME_PREFIX_MATCH}
        if regexp:
            body["Template"]["Regexp"] = regexp
        if remove_empty_tags:
            body["Template"]["RemoveEmptyTags"] = True
    elif remove_empty_tags:
        raise ValueError("remove_empty_tags only applies to a template")
    query: dict[str, Any] = {"Service": non_empty(service, "service")}
    failover: dict[str, Any] = {}
    if (count := optional_int(nearestn, "nearestn")) is not None:
        failover["NearestN"] = count
    if (names := str_list(datacenters, "datacenters", of="datacenter names")) is not None:
        failover["Datacenters"] = names
    if (targets := options.get("targets")) is not None:
        if isinstance(targets, str | Mapping) or not isinstance(targets, Sequence):
            raise TypeError("targets must be a list of {'Datacenter': ...} or {'Peer': ...}")
        failover["Targets"] = [dict(target) for target in targets]
    if failover:
        query["Failover"] = failover
    if onlypassing is not None:
        query["OnlyPassing"] = flag(onlypassing, "onlypassing")
    ignored = str_list(options.get("ignore_check_ids"), "ignore_check_ids", of="check IDs")
    if ignored is not None:
        query["IgnoreCheckIDs"] = ignored
    if optional_str(near := options.get("near"), "near"):
        query["Near"] = near
    if (tag_list := str_list(tags, "tags", of="tags")) is not None:
        query["Tags"] = tag_list
    if (meta := str_map(options.get("node_meta"), "node_meta")) is not None:
        query["NodeMeta"] = meta
    if (meta := str_map(options.get("service_meta"), "service_meta")) is not None:
        query["ServiceMeta"] = meta
    if flag(options.get("connect", False), "connect"):
        query["Connect"] = True
    if optional_str(peer := options.get("peer"), "peer"):
        query["Peer"] = peer
    body["Service"] = query
    if ttl is not None:
        body["DNS"] = {"TTL": duration_field(ttl, "ttl")}
    return body


def _query_path(query: str, action: str) -> str:
    """``/v1/query/:id_or_name/<action>``; the name is one path segment.

    Consul would read a name with a ``/`` back whole (``TrimPrefix`` and
    ``TrimSuffix``), but a value in a URL path names one segment here.
    """
    return path("query", path_segment(query, "query"), action)


def _query_id(query_id: str) -> str:
    return path("query", path_segment(query_id, "query_id"))


class Query(Group[M]):
    """Prepared queries: saved service lookups, executed by ID or name.

    A query finds the healthy instances of a service (with tags, metadata,
    ``near`` sorting) and can fail over to other datacenters when none is
    healthy locally. A template (``template=True``, or a ``regexp``) answers
    every name that starts with its own, rendering ``${name.suffix}``,
    ``${match(N)}``... into its fields.

    Every call takes ``ns`` and ``partition`` (Consul Enterprise), sent as
    query parameters as Go's client sends them; Consul CE's handlers do not
    read them (``agent/prepared_query_endpoint.go``).
    """

    @endpoint
    def create(
        self,
        service: str,
        name: str | None = None,
        dc: str | None = None,
        session: str | None = None,
        token: str | None = None,
        nearestn: int | None = None,
        datacenters: Sequence[str] | None = None,
        onlypassing: bool | None = None,
        tags: Sequence[str] | None = None,
        ttl: str | float | None = None,
        regexp: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
        **options: Unpack[DefinitionOptions],
    ) -> Call[dict[str, str]]:
        """``POST /v1/query``: a new query; returns ``{"ID": ...}``.

        ``service`` is the service to look up. ``name`` lets the query be
        executed by name (a query without name nor template must be bound
        to a ``session``, and goes when it does). ``tags`` must all be
        present (``"!tag"``: must not be); ``onlypassing`` drops instances
        with a warning check too; ``ignore_check_ids`` are never held
        against an instance; ``node_meta`` and ``service_meta`` must match;
        ``near`` sorts by round-trip time from a node (``_agent``, or
        ``_ip``: the caller's); ``connect`` looks for Connect-capable
        instances. Failover: the ``nearestn`` nearest other datacenters,
        then ``datacenters`` (or ``targets``: ``{"Datacenter": ...}`` or
        ``{"Peer": ...}``). ``ttl`` (seconds, or a duration) is the TTL of
        DNS answers.

        A template (``template=True``, or a ``regexp`` whose groups
        ``${match(N)}`` gives) answers every name starting with ``name``;
        ``remove_empty_tags`` drops tags that render empty. The query runs
        with the token ``query_token`` if one is stored; ``token`` is only
        the token of this request (python-consul also stored it). The
        keyword-only ``options`` are those of :class:`DefinitionOptions`.
        """
        body = _definition(
            service,
            name,
            session,
            nearestn,
            datacenters,
            onlypassing,
            tags,
            ttl,
            regexp,
            options,
        )
        request = self._request(
            "POST",
            path("query"),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json)

    @endpoint
    def update(
        self,
        query_id: str,
        service: str | None = None,
        name: str | None = None,
        dc: str | None = None,
        session: str | None = None,
        token: str | None = None,
        nearestn: int | None = None,
        datacenters: Sequence[str] | None = None,
        onlypassing: bool | None = None,
        tags: Sequence[str] | None = None,
        ttl: str | float | None = None,
        regexp: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
        **options: Unpack[DefinitionOptions],
    ) -> Call[bool]:
        """``PUT /v1/query/:query_id``: replace a query's definition; True once done.

        The whole definition is replaced (arguments as :meth:`create`):
        ``service`` is required, as Consul requires it.
        """
        if service is None:
            raise ValueError("service must be given: an update replaces the whole definition")
        body = _definition(
            service,
            name,
            session,
            nearestn,
            datacenters,
            onlypassing,
            tags,
            ttl,
            regexp,
            options,
        )
        request = self._request(
            "PUT",
            _query_id(query_id),
            token=token,
            dc=dc,
            json_body=body,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.true)

    @endpoint
    def get(
        self,
        query_id: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        consistency: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[PreparedQuery] | None]:
        """``GET /v1/query/:query_id``: a list holding the query, or None if unknown."""
        request = self._request(
            "GET",
            _query_id(query_id),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def delete(
        self,
        query_id: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/query/:query_id``: delete a query; True once done.

        Consul refuses to delete a query that does not exist (a
        :class:`~consul.ServerError`).
        """
        request = self._request(
            "DELETE", _query_id(query_id), token=token, dc=dc, ns=ns, partition=partition
        )
        return Call(request, d.true)

    @endpoint
    def execute(
        self,
        query: str,
        token: str | None = None,
        dc: str | None = None,
        near: str | None = None,
        limit: int | None = None,
        *,
        connect: bool = False,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ExecuteResponse | None]:
        """``GET /v1/query/:query/execute``: run a query (by ID or name); None if unknown.

        ``near`` sorts the instances by round-trip time from a node
        (``_agent``: the agent's, ``_ip``: the caller's) over the query's
        own; ``limit`` keeps the first so many; ``connect`` looks for
        Connect-capable instances. ``cached`` lets the agent answer from
        its cache, which keeps an answer until it is ``max_age`` old.
        """
        params: list[tuple[str, str]] = []
        if (count := optional_int(limit, "limit")) is not None:
            params.append(("limit", str(integer(count, "limit"))))
        if flag(connect, "connect"):
            params.append(("connect", "true"))
        request = self._request(
            "GET",
            _query_path(query, "execute"),
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            near=near,
            cached=cached,
            max_age=max_age,
            stale_if_error=stale_if_error,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    @endpoint
    def explain(
        self,
        query: str,
        token: str | None = None,
        dc: str | None = None,
        *,
        consistency: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[ExplainResponse | None]:
        """``GET /v1/query/:query/explain``: the query a name resolves to; None if unknown.

        For a template, the query rendered for that name.
        """
        request = self._request(
            "GET",
            _query_path(query, "explain"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.or_none(d.json))

    # Defined last: in the class body, later annotations would read ``list``
    # as this method rather than the builtin.
    @endpoint
    def list(
        self,
        dc: str | None = None,
        token: str | None = None,
        *,
        consistency: str | None = None,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[builtins.list[PreparedQuery]]:
        """``GET /v1/query``: every query the token may read (tokens hidden unless it
        may write ACLs)."""
        request = self._request(
            "GET",
            path("query"),
            token=token,
            dc=dc,
            consistency=consistency,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.json_list)
