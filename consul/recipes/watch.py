"""Watches: blocking queries in a loop, delivering each real change.

``client.watch.key("config/x")`` and its siblings (:class:`Watches`) make a
:class:`Watch`: a flow that reads with a blocking query, over and over, and
delivers ``(index, value)`` for each change, ``value`` being what the
matching read returns. The rules (Consul's *Blocking Queries* docs, Go's
``api/watch/plan.go``, node-consul's ``lib/watch.js``):

- the first value is delivered at once; after that only real changes: a new
  index with the same value (a write that changed nothing, a timeout) is not
  one;
- an index that went backwards (a snapshot restore, an agent that started
  over) is reset: the next read does not block, and starts afresh;
- a read that fails is retried after a capped exponential :class:`Backoff`
  with jitter; the read after a failure does not block either (the index may
  belong to a server that is gone), so the watch recovers as soon as the
  agent answers again, delivering only if the value changed meanwhile;
- an answer without a usable ``X-Consul-Index`` (missing, or 0) is a
  failure: blocking on it would return at once, again and again;
- a ``400 Bad Request`` ends the watch: the query itself is wrong;
- each read's timeout covers its ``wait`` and the wait/16 of jitter Consul
  adds (:meth:`consul.Request.read_timeout`); ``stop()`` aborts the read in
  flight.

Events (``watch.events``) are delivered as the list of those not delivered
yet (the index of ``/v1/event/list`` is not ordered: it stands for the newest
event's ID). ``watch.agent_service`` blocks on the service's content hash,
as Go's ``agent_service`` watch does.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, overload

from .._endpoint import (
    AsyncIO,
    Blocking,
    Callback,
    Group,
    ThreadPool,
    Tornado,
    Twisted,
    non_empty,
)
from .._http import Call, Deliver, Flow, Sleep
from ..api.agent import AgentService, AgentServices
from ..api.catalog import Catalog, Node
from ..api.event import Event, UserEvent
from ..api.health import STATES, HealthCheck, ServiceEntry
from ..api.health import Health as HealthGroup
from ..api.kv import KV, KVPair
from ..exceptions import BadRequest, ConsulException
from ._answers import reading
from ._handle import deliver_to, flows_of
from .errors import InvalidIndex

if TYPE_CHECKING:
    from concurrent.futures import Future

    from twisted.internet.defer import Deferred

    from ..base import ConsulBase

M = TypeVar("M")
K = TypeVar("K")
V = TypeVar("V")

__all__ = ["Backoff", "Watch", "Watches", "watch_events", "watch_hash", "watch_index"]

log = logging.getLogger("consul.recipes")

#: The random numbers of the backoff's jitter: never the ``random`` module's
#: shared state, which the program may have seeded.
_RANDOM = random.Random()  # noqa: S311 - jitter, not security

#: Told about each failed read: the error, and the seconds until the next.
OnError = Callable[[ConsulException, float], object]
#: Called with each change: ``callback(index, value)``.
OnChange: TypeAlias = Callable[[K, V], object]


@dataclasses.dataclass(frozen=True)
class Backoff:
    """How long a watch waits after failed reads: capped exponential, with jitter.

    After the n-th failure in a row it waits ``first * factor**(n-1)``
    seconds, at most ``cap``, less a random part of up to ``jitter`` of that
    (0: none; 1: anywhere between 0 and the full wait), so that many watches
    do not all come back at once.
    """

    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not self.first > 0:
            raise ValueError(f"first must be positive, not {self.first!r}")
        if not self.factor >= 1:
            raise ValueError(f"factor must be at least 1, not {self.factor!r}")
        if not self.cap >= self.first:
            raise ValueError(f"cap must be at least first, not {self.cap!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, not {self.jitter!r}")

    def delay(self, failures: int, rand: Callable[[], float] = _RANDOM.random) -> float:
        """Seconds to wait after ``failures`` failures in a row (at least 1)."""
        try:
            wait = min(self.cap, self.first * self.factor ** (failures - 1))
        except OverflowError:
            wait = self.cap
        return wait * (1 - self.jitter * rand())


#: What :meth:`_Reads.read` gives for a read that failed.
_FAILED: Any = object()
#: The last value delivered, before the first.
_NOTHING: Any = object()


class _Reads:
    """A watch's reads: each failure is reported and backed off from."""

    def __init__(
        self, backoff: Backoff, on_error: OnError | None, rand: Callable[[], float]
    ) -> None:
        self._backoff = backoff
        self._on_error = on_error
        self._rand = rand
        self.failures = 0

    def read(
        self, call: Call[Any], indexed: bool = True, parse: Callable[[Any], Any] | None = None
    ) -> Flow[Any]:
        """The answer to ``call`` (or ``parse(answer)``), or :data:`_FAILED` once the
        backoff is waited out.

        An ``indexed`` answer without a usable index is a failure, as is one
        that ``parse`` cannot read (:class:`~consul.exceptions.InvalidResponse`);
        a 400 ends the watch (the query itself is wrong).
        """
        try:
            answer = yield call
            if indexed and not answer[0]:
                raise InvalidIndex("Consul returned no X-Consul-Index (or 0): cannot block on it")
            if parse is not None:
                with reading(call):
                    answer = parse(answer)
        except BadRequest:
            raise
        except ConsulException as exc:
            self.failures += 1
            delay = self._backoff.delay(self.failures, self._rand)
            log.warning("watch read failed (retry in %.2fs): %s", delay, exc)
            if self._on_error is not None:
                self._on_error(exc, delay)
            yield Sleep(delay)
            return _FAILED
        self.failures = 0
        return answer


def watch_index(
    fetch: Callable[[int | None], Call[tuple[int, Any]]],
    *,
    backoff: Backoff = Backoff(),
    on_error: OnError | None = None,
    rand: Callable[[], float] = _RANDOM.random,
) -> Flow[None]:
    """Watch an index-based read; deliver ``(index, value)`` at once, then on each change.

    ``fetch(index)`` builds the read (index None: do not block).
    """
    reads = _Reads(backoff, on_error, rand)
    index: int | None = None
    last: Any = _NOTHING
    while True:
        answer = yield from reads.read(fetch(index))
        if answer is _FAILED:
            index = None  # the next read does not block: its server may be gone
            continue
        got, value = answer
        if got == index:
            continue  # the wait ended with nothing new
        # Backwards (the state started over): read afresh before blocking.
        index = None if index is not None and got < index else got
        if value != last:
            last = value
            yield Deliver((got, value))


def watch_events(
    fetch: Callable[[int | None], Call[tuple[int, list[UserEvent]]]],
    *,
    backoff: Backoff = Backoff(),
    on_error: OnError | None = None,
    rand: Callable[[], float] = _RANDOM.random,
) -> Flow[None]:
    """Watch ``/v1/event/list``; deliver ``(index, events)`` with only the events not seen.

    The first delivery, at once, has the events the agent holds; each later
    one the events that came since, deduplicated by ID. The index is not
    ordered (Consul's ``IDToIndex`` of the newest event): it only tells
    that something changed.
    """
    reads = _Reads(backoff, on_error, rand)
    index: int | None = None
    seen: set[str] | None = None
    while True:
        answer = yield from reads.read(fetch(index), parse=_with_ids)
        if answer is _FAILED:
            index = None
            continue
        got, events, ids = answer
        if got == index:
            continue
        index = got
        fresh = (
            events
            if seen is None
            else [e for e, i in zip(events, ids, strict=True) if i not in seen]
        )
        first, seen = seen is None, set(ids)
        if first or fresh:
            yield Deliver((got, fresh))


def watch_hash(
    fetch: Callable[[str | None], Call[AgentService | None]],
    *,
    backoff: Backoff = Backoff(),
    on_error: OnError | None = None,
    rand: Callable[[], float] = _RANDOM.random,
) -> Flow[None]:
    """Watch a read that blocks on a content hash (``/v1/agent/service/:id``).

    Delivers ``(hash, service)`` at once and on each change; while the
    service does not exist, ``("", None)`` once, polling after the
    :class:`Backoff` (there is no hash to block on).
    """
    reads = _Reads(backoff, on_error, rand)
    hash_: str | None = None
    last: Any = _NOTHING
    absent = 0
    while True:
        answer = yield from reads.read(fetch(hash_), indexed=False, parse=_with_hash)
        if answer is _FAILED:
            hash_ = None
            continue
        value, got = answer
        if value is not None and got and got == hash_:
            continue
        hash_ = got or None
        if value != last:
            last = value
            yield Deliver((got, value))
        if hash_ is None:
            absent += 1
            yield Sleep(backoff.delay(absent, rand))
        else:
            absent = 0


def _with_ids(answer: tuple[int, list[UserEvent]]) -> tuple[int, list[UserEvent], list[str]]:
    """An event list's answer, with the events' IDs."""
    got, events = answer
    return got, events, [event["ID"] for event in events]


def _with_hash(value: AgentService | None) -> tuple[AgentService | None, str]:
    """A service's answer, with its content hash ("" for none)."""
    got = value.get("ContentHash", "") if value is not None else ""
    if not isinstance(got, str):
        raise TypeError(f"ContentHash is not a string: {got!r}")
    return value, got


class Watch(Group[M], Generic[M, K, V]):
    """A running (or ready) watch: ``(index, value)`` for each change, in the loop's way.

    - blocking client: iterate (``for index, value in watch``);
    - asyncio and Tornado clients: ``async for index, value in watch``;
    - thread-pool client: ``watch.start(callback)`` calls
      ``callback(index, value)`` on a thread of the watch, and returns a
      ``concurrent.futures.Future`` of its end;
    - Twisted client: ``watch.start(callback)`` calls ``callback(index,
      value)`` in the reactor, and returns a Deferred of its end.

    A callback may return a Future (a Deferred) to make the watch wait for it
    before the next value. :meth:`stop` ends the watch (from any thread on the
    blocking and thread-pool clients, in the loop otherwise), aborting the
    read in flight; breaking out of the loop ends it too. A watch runs once.
    """

    def __init__(self, client: ConsulBase[M], flow: Flow[None]) -> None:
        super().__init__(client)
        self._flow: Flow[None] | None = flow
        self._running: Any = None
        self._stopped = False

    def _claim(self) -> Flow[None]:
        flow, self._flow = self._flow, None
        if flow is None:
            raise RuntimeError("a watch runs once: make another")
        return flow

    def _iterate(self) -> Any:
        self._running = flows_of(self).iterate(self._claim())
        if self._stopped:
            self._running.stop()
        return self._running

    def __iter__(self: Watch[Blocking, K, V] | Watch[Callback, K, V]) -> Iterator[tuple[K, V]]:
        iterator = self._iterate()
        if not hasattr(iterator, "__next__"):
            raise TypeError("use 'async for' with this client")
        return iterator  # type: ignore[no-any-return]

    def __aiter__(self: Watch[AsyncIO, K, V] | Watch[Tornado, K, V]) -> AsyncIterator[tuple[K, V]]:
        iterator = self._iterate()
        if not hasattr(iterator, "__anext__"):
            raise TypeError("use 'for' with this client")
        return iterator  # type: ignore[no-any-return]

    @overload
    def start(self: Watch[ThreadPool, K, V], callback: OnChange[K, V]) -> Future[None]: ...
    @overload
    def start(self: Watch[Twisted, K, V], callback: OnChange[K, V]) -> Deferred[None]: ...
    def start(self, callback: OnChange[K, V]) -> Any:
        """Run the watch in the background, calling ``callback(index, value)`` for each change.

        Returns the loop's future (a ``concurrent.futures.Future``, a
        Deferred) of the watch's end: None once stopped, or the error that
        ended it.
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        flows = flows_of(self)
        done, resolve = flows.future()
        self._running = flows.spawn(self._claim(), on_end=resolve, deliver=deliver_to(callback))
        if self._stopped:
            self._running.stop()
        return done

    def stop(self) -> None:
        """End the watch: the read in flight is aborted and no value follows."""
        self._stopped = True
        if self._running is not None:
            self._running.stop()


class Watches(Group[M]):
    """The watches of a client (``client.watch``), one method per kind.

    Each returns a :class:`Watch` (nothing is sent until it runs). Their
    common arguments: ``wait`` (seconds, or a duration such as ``"5m"``;
    default Consul's 5 minutes) bounds each blocking read; ``consistency``
    (``"default"``, ``"consistent"`` or ``"stale"``), ``dc`` and ``token``
    are those of the read; ``backoff`` (a :class:`Backoff`) paces the retries
    after failed reads, and ``on_error(error, delay)`` hears of each.
    """

    def _watch(
        self,
        fetch: Callable[[Any], Call[Any]],
        backoff: Backoff | None,
        on_error: OnError | None,
        kind: Callable[..., Flow[None]] = watch_index,
    ) -> Watch[M, Any, Any]:
        fetch(None)  # checks the arguments before any I/O
        if backoff is not None and not isinstance(backoff, Backoff):
            raise TypeError(f"backoff must be a Backoff, not {type(backoff).__name__}")
        if on_error is not None and not callable(on_error):
            raise TypeError("on_error must be callable")
        flow = kind(fetch, backoff=backoff or Backoff(), on_error=on_error)
        return Watch(self._client, flow)

    def key(
        self,
        key: str,
        *,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, KVPair | None]:
        """Watch one key: its entry (``kv.get``), or None while it does not exist."""
        kv = self._client.kv
        return self._watch(
            lambda index: KV.get(
                kv, key, index=index, wait=wait, consistency=consistency, dc=dc, token=token
            ),
            backoff,
            on_error,
        )

    def prefix(
        self,
        prefix: str,
        *,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, list[KVPair]]:
        """Watch the entries under ``prefix`` (``kv.list``; Go's ``keyprefix``)."""
        kv = self._client.kv
        return self._watch(
            lambda index: KV.list(
                kv, prefix, index=index, wait=wait, consistency=consistency, dc=dc, token=token
            ),
            backoff,
            on_error,
        )

    def keys(
        self,
        prefix: str = "",
        separator: str | None = None,
        *,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, list[str]]:
        """Watch the keys under ``prefix`` (``kv.keys``, folded at ``separator``)."""
        kv = self._client.kv
        return self._watch(
            lambda index: KV.keys(
                kv,
                prefix,
                separator,
                index=index,
                wait=wait,
                consistency=consistency,
                dc=dc,
                token=token,
            ),
            backoff,
            on_error,
        )

    def services(
        self,
        *,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, dict[str, list[str]]]:
        """Watch the catalog's services: name -> tags (``catalog.services``)."""
        catalog = self._client.catalog
        return self._watch(
            lambda index: Catalog.services(
                catalog,
                index=index,
                wait=wait,
                consistency=consistency,
                dc=dc,
                token=token,
                node_meta=node_meta,
                filter_expr=filter_expr,
            ),
            backoff,
            on_error,
        )

    def nodes(
        self,
        *,
        near: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, list[Node]]:
        """Watch the catalog's nodes (``catalog.nodes``)."""
        catalog = self._client.catalog
        return self._watch(
            lambda index: Catalog.nodes(
                catalog,
                index=index,
                wait=wait,
                consistency=consistency,
                dc=dc,
                near=near,
                token=token,
                node_meta=node_meta,
                filter_expr=filter_expr,
            ),
            backoff,
            on_error,
        )

    def service(
        self,
        service: str,
        *,
        tag: str | Sequence[str] | None = None,
        passing: bool = False,
        near: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, list[ServiceEntry]]:
        """Watch a service's instances and their health (``health.service``).

        ``tag`` keeps the instances with every tag given; ``passing`` those
        whose checks all pass.
        """
        health = self._client.health
        return self._watch(
            lambda index: HealthGroup.service(
                health,
                service,
                index=index,
                wait=wait,
                passing=passing or None,
                tag=tag,
                dc=dc,
                near=near,
                token=token,
                node_meta=node_meta,
                filter_expr=filter_expr,
                consistency=consistency,
            ),
            backoff,
            on_error,
        )

    def checks(
        self,
        service: str | None = None,
        *,
        state: str | None = None,
        near: str | None = None,
        node_meta: Mapping[str, str] | None = None,
        filter_expr: str | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, list[HealthCheck]]:
        """Watch health checks: those of ``service`` (``health.checks``), or in ``state``.

        ``state`` (``health.state``) is ``"passing"``, ``"warning"``,
        ``"critical"`` or ``"any"``, the default without a ``service``.
        """
        if service is not None and state is not None:
            raise ValueError("give service or state, not both")
        health = self._client.health
        # Both reads take the same arguments after their subject.
        read: Callable[..., Call[Any]] = HealthGroup.state
        subject = "any" if state is None else state
        if service is not None:
            read, subject = HealthGroup.checks, non_empty(service, "service")
        elif subject not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}, not {state!r}")
        return self._watch(
            lambda index: read(
                health,
                subject,
                index=index,
                wait=wait,
                dc=dc,
                near=near,
                token=token,
                node_meta=node_meta,
                filter_expr=filter_expr,
                consistency=consistency,
            ),
            backoff,
            on_error,
        )

    def events(
        self,
        name: str | None = None,
        *,
        wait: str | float | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, int, list[UserEvent]]:
        """Watch user events (of ``name``, or all): each delivery has the new ones only.

        The first has the events the agent holds (its last 256).
        """
        event = self._client.event
        return self._watch(
            lambda index: Event.list(event, name, index=index, wait=wait, token=token),
            backoff,
            on_error,
            watch_events,
        )

    def agent_service(
        self,
        service_id: str,
        *,
        wait: str | float | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
    ) -> Watch[M, str, AgentService | None]:
        """Watch one service of the local agent, by its content hash (``agent.service``).

        Delivers ``(hash, service)``; ``("", None)`` while the agent has no
        such service (polled after the ``backoff``, as there is nothing to
        block on).
        """
        services = self._client.agent.service
        return self._watch(
            lambda hash_: AgentServices.__call__(
                services, service_id, hash=hash_, wait=wait, token=token
            ),
            backoff,
            on_error,
            watch_hash,
        )
