"""``?cached`` reads: the agent's cache, ``Cache-Control``, and ``X-Cache`` and ``Age``.

After ``agent/http.go`` (``parseCacheControl``, ``setCacheMeta``) and
``agent/cache/cache.go`` (``getWithIndex``, ``getEntryLocked``). A read
answered from an entry that was already there is a ``HIT`` (with its
``Age``); one that had to fetch, or to wait for a change, is a ``MISS``.
``stale-if-error`` is read and checked but, as in Consul's cache, changes
nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .context import Ctx
from .reply import Reply

__all__ = ["CacheRequest", "fetched", "refreshed_reply"]

T = TypeVar("T")

#: Query parameters that are no part of a cached request's key: the cache
#: options, the blocking and consistency ones, and what the HTTP handler
#: applies itself (``?passing``) or the key leaves out (``?near``).
_NOT_IN_KEY = frozenset(
    {
        "cached",
        "consistent",
        "datacenter",
        "dc",
        "index",
        "leader",
        "max_stale",
        "near",
        "passing",
        "pretty",
        "stale",
        "token",
        "wait",
    }
)


@dataclass(frozen=True)
class CacheRequest:
    """What a ``?cached`` read asks of the cache.

    ``key`` is ``makeEntryKey``'s: the cache type, the datacenter, the token
    and the request. ``max_age`` is 0 when not given; ``max-age=0`` and the
    ``must-revalidate`` directive set ``must_revalidate``.
    """

    key: Hashable
    max_age: float
    must_revalidate: bool

    @classmethod
    def read(cls, ctx: Ctx, cache_type: str, body: Hashable = None) -> CacheRequest | None:
        """The cache request of ``ctx`` for ``cache_type``; None without ``?cached``.

        ``body`` is what the request's body adds to its key (the discovery
        chain's overrides: ``DiscoveryChainRequest.CacheInfo`` hashes them).

        The ``Cache-Control`` header was checked with the other query
        options (:meth:`Ctx.check_consistency`).
        """
        if not ctx.flag("cached"):
            return None
        max_age = 0.0
        must_revalidate = False
        for directive in ctx.request.headers.get("Cache-Control", "").lower().split(","):
            directive = directive.strip()
            if directive == "must-revalidate":
                must_revalidate = True
            elif directive.startswith("max-age="):
                max_age = float(int(directive[len("max-age=") :]))
                must_revalidate = must_revalidate or max_age == 0
        request = tuple(sorted((k, v) for k, v in ctx.query.items() if k not in _NOT_IN_KEY))
        dc = ctx.param("datacenter") or ctx.param("dc") or ""
        key = (cache_type, dc, ctx.token, ctx.path, request, body)
        return cls(key, max_age, must_revalidate)


def _set_cache_meta(ctx: Ctx, hit: bool, age: float) -> None:
    """``setCacheMeta``: ``X-Cache``, and ``Age`` (whole seconds) on a hit."""
    ctx.headers["X-Cache"] = "HIT" if hit else "MISS"
    if hit:
        ctx.headers["Age"] = f"{age:.0f}"


def refreshed_reply(
    ctx: Ctx,
    cache_type: str,
    query: Callable[[], tuple[int, T]],
    render: Callable[[int, T], Reply],
    *,
    not_found: Callable[[T], bool] | None = None,
    unchanged: Callable[[T, T], bool] | None = None,
    shared: bool = False,
    body: Hashable = None,
) -> Reply:
    """A blocking read of a cache type that Consul refreshes in the background.

    The entry follows the servers' state, so the answer is the current
    state (``Age`` 0); it is a hit when the request was answered before and
    needs no waiting for a newer index. Without ``?cached`` this is
    :meth:`Ctx.blocking_reply`, to which ``render``, ``not_found``,
    ``unchanged`` and ``shared`` are given (a cached read's answer depends
    on the cache's entry, and is never shared). A query that has to wait
    does so with no coroutine (see :mod:`~.context`). ``body`` is the part
    of the request's key its body makes (see :meth:`CacheRequest.read`).
    """
    request = CacheRequest.read(ctx, cache_type, body)
    if request is None:
        return ctx.blocking_reply(
            query, render, not_found=not_found, unchanged=unchanged, shared=shared
        )
    read = _Refreshed(ctx, request, query)

    def answer(index: int, result: T) -> Reply:
        read.done()
        return render(index, result)

    return ctx.blocking_reply(read.run, answer, not_found=not_found, unchanged=unchanged)


class _Refreshed(Generic[T]):
    """One ``?cached`` read of a refreshed cache type (:func:`refreshed_reply`).

    It is a hit when the entry was there before the request and the first
    run of the query already passed the request's index.
    """

    __slots__ = ("ctx", "first", "key", "known", "min_index", "query")

    def __init__(self, ctx: Ctx, request: CacheRequest, query: Callable[[], tuple[int, T]]) -> None:
        self.ctx = ctx
        self.key = request.key
        self.query = query
        #: The index the query's first run found (at least 1); 0 before it runs.
        self.first = 0
        self.known = ctx.agent.cache.get(request.key) is not None
        self.min_index, _ = ctx.wait_params()

    def run(self) -> tuple[int, T]:
        index, result = self.query()
        if not self.first:
            self.first = max(index, 1)
        return index, result

    def done(self) -> None:
        """The entry refreshed, and the answer's cache headers."""
        self.ctx.agent.cache.put(self.key, None)
        hit = self.known and (self.min_index == 0 or self.first > self.min_index)
        _set_cache_meta(self.ctx, hit, 0.0)


def fetched(ctx: Ctx, cache_type: str, fetch: Callable[[], T]) -> T:
    """A read of a cache type that Consul fetches on demand and does not refresh.

    A cached answer is served as it was fetched, whatever changed since,
    until a request's ``max-age`` finds it too old or asks to revalidate.
    Without ``?cached`` this is ``fetch()``.
    """
    request = CacheRequest.read(ctx, cache_type)
    if request is None:
        return fetch()
    cache = ctx.agent.cache
    entry = cache.get(request.key)
    if (
        entry is not None
        and not request.must_revalidate
        and not (request.max_age > 0 and entry.age > request.max_age)
    ):
        _set_cache_meta(ctx, True, entry.age)
        value: T = copy.deepcopy(entry.value)
        return value
    value = fetch()
    cache.put(request.key, copy.deepcopy(value))
    _set_cache_meta(ctx, False, 0.0)
    return value
