"""What Consul says about a read besides its data: :class:`QueryMeta` and :class:`Indexed`.

Consul answers a read with its data in the body and metadata in headers
(``agent/http.go`` ``setMeta``, ``setCacheMeta``, ``wrap``): the index to
block on, whether the servers have a leader, how stale the answer may be,
whether the agent's cache served it. Reads return ``(index, data)``, as
python-consul's did; the pair is an :class:`Indexed`, a tuple that also
carries the whole :class:`QueryMeta` as ``.meta``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from ._http import HeaderMap, Headers, Request, Response

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

__all__ = ["Indexed", "QueryMeta", "query_meta"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class QueryMeta:
    """The metadata of a read, from the headers of Consul's answer.

    The fields are those Consul's Go client reads (``api.QueryMeta``), in
    Python's units: durations are seconds. A field whose header was not sent
    (or could not be read) is None (or False for the flags): the agent's own
    reads (``/v1/agent/*``) carry no leader information, only reads through
    the agent's cache (``cached=True``) carry ``cache_hit``.

    Attributes:
        index: ``X-Consul-Index``, to pass back as ``index=`` to block.
        known_leader: ``X-Consul-KnownLeader``: the servers had a leader.
        last_contact: ``X-Consul-LastContact``: seconds since the server
            that answered last heard from the leader (0 on the leader; see
            ``consistency="stale"``).
        effective_consistency: ``X-Consul-Effective-Consistency``: the mode
            the read was served in (``leader``, ``stale`` or ``consistent``).
        query_backend: ``X-Consul-Query-Backend``: ``blocking-query`` or
            ``streaming``.
        cache_hit: ``X-Cache``: True if the agent's cache answered (``HIT``),
            False if it had to fetch (``MISS``), None if the read did not go
            through the cache.
        cache_age: ``Age``: seconds since the cached answer was fetched
            (sent with a cache hit only).
        content_hash: ``X-Consul-ContentHash``: the hash to block on, for
            the reads that block on one.
        default_acl_policy: ``X-Consul-Default-ACL-Policy``: ``allow`` or
            ``deny``.
        results_filtered_by_acls: ``X-Consul-Results-Filtered-By-ACLs``:
            the token could not see part of the results, which were left
            out.
        address_translation: ``X-Consul-Translate-Addresses``: addresses in
            the answer were translated to WAN addresses.
    """

    index: int
    known_leader: bool | None = None
    last_contact: float | None = None
    effective_consistency: str | None = None
    query_backend: str | None = None
    cache_hit: bool | None = None
    cache_age: float | None = None
    content_hash: str | None = None
    default_acl_policy: str | None = None
    results_filtered_by_acls: bool = False
    address_translation: bool = False


class Indexed(tuple[int, T_co]):
    """The ``(index, data)`` pair a read returns, with its :class:`QueryMeta`.

    It is a tuple, unpacked and compared as the pair it has always been
    (``index, data = c.kv.get("k")``); ``.data`` is the data and ``.meta``
    the metadata of the answer (``.meta.known_leader``, ``.meta.cache_hit``...).
    """

    #: Set by ``__new__``; a pair made by :meth:`of` reads it from ``_source``.
    _meta: QueryMeta | None = None
    #: The answer's headers and request, read into ``meta`` when first asked.
    _source: tuple[Headers | HeaderMap, Request] | None

    def __new__(cls, data: T_co, meta: QueryMeta) -> Indexed[T_co]:
        """The pair ``(meta.index, data)`` carrying ``meta``."""
        pair = super().__new__(cls, (meta.index, data))
        pair._meta, pair._source = meta, None
        return pair

    @classmethod
    def of(cls, data: T, index: int, response: Response) -> Indexed[T]:
        """The pair ``(index, data)`` of ``response``, whose other metadata is read when asked.

        Most callers never look at ``meta``: reading a dozen headers on
        every call would cost them for nothing.
        """
        pair: Indexed[T] = tuple.__new__(cls, (index, data))  # type: ignore[assignment]
        pair._source = (response.headers, response.request)
        return pair

    @property
    def meta(self) -> QueryMeta:
        """The metadata of the answer (a :class:`QueryMeta`)."""
        if self._meta is None:
            assert self._source is not None
            headers, request = self._source
            self._meta = query_meta(Response(0, headers, b"", request), self[0])
            self._source = None
        return self._meta

    @property
    def data(self) -> T_co:
        """The data of the answer (the pair's second item)."""
        return self[1]

    def __reduce__(self) -> tuple[Any, ...]:
        # tuple's own would rebuild it from the pair alone.
        return (type(self), (self[1], self.meta))


def _flag(response: Response, name: str) -> bool | None:
    value = response.header(name)
    return None if value is None else value.strip().lower() == "true"


def _uint(response: Response, name: str) -> int | None:
    value = (response.header(name) or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def query_meta(response: Response, index: int) -> QueryMeta:
    """The :class:`QueryMeta` of ``response``, whose ``X-Consul-Index`` is ``index``.

    Only the index is required (see :func:`consul._decode.index`); the
    other headers are optional, and one that cannot be read is left out
    rather than failing a read whose data is fine.
    """
    last_contact = _uint(response, "X-Consul-LastContact")
    age = _uint(response, "Age")
    cache = response.header("X-Cache")
    policy = response.header("X-Consul-Default-ACL-Policy")
    return QueryMeta(
        index=index,
        known_leader=_flag(response, "X-Consul-KnownLeader"),
        last_contact=None if last_contact is None else last_contact / 1000,
        effective_consistency=response.header("X-Consul-Effective-Consistency"),
        query_backend=response.header("X-Consul-Query-Backend"),
        cache_hit=None if cache is None else cache.strip().upper() == "HIT",
        cache_age=None if age is None else float(age),
        content_hash=response.header("X-Consul-ContentHash"),
        default_acl_policy=policy if policy in ("allow", "deny") else None,
        results_filtered_by_acls=bool(_flag(response, "X-Consul-Results-Filtered-By-ACLs")),
        address_translation=bool(_flag(response, "X-Consul-Translate-Addresses")),
    )
