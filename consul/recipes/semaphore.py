"""A counting semaphore under a KV prefix, as Go's ``api.Semaphore`` keeps it.

The wire format is Go's (``api/semaphore.go``), so that Python and Go
contenders share the slots:

- each contender has a session (by default one of our own, named
  ``Consul API Semaphore``, with a 15s TTL and the ``delete`` behavior) and
  holds the key ``<prefix>/<session>`` with it, its value the contender's and
  its ``Flags`` :data:`SEMAPHORE_FLAG`;
- the key ``<prefix>/.lock`` (flag :data:`SEMAPHORE_FLAG`) holds the JSON
  document ``{"Limit":N,"Holders":{"<session>":true,...}}``, as Go's
  ``json.Marshal`` writes it: no spaces, holders sorted;
- a holder whose contender key has no session any more (its session ended)
  is dead: whoever next rewrites the document prunes it;
- every change of the document is a check-and-set on its ``ModifyIndex``,
  retried when another contender got there first.

:class:`Semaphore` is the handle, ``client.semaphore(prefix, limit)``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .._endpoint import flow, integer, non_empty
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow
from ..api.kv import KV, KVPair
from ._answers import reading
from ._handle import count, seconds
from ._holder import Holder, Patience, monitoring
from .errors import (
    SemaphoreConflict,
    SemaphoreError,
    SemaphoreHeld,
    SemaphoreInUse,
    SemaphoreNotHeld,
)
from .lock import MONITOR_RETRY, SESSION_TTL

if TYPE_CHECKING:
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = [
    "SEMAPHORE_FLAG",
    "SEMAPHORE_KEY",
    "SEMAPHORE_SESSION_NAME",
    "Semaphore",
    "acquire_slot",
    "decode_lock",
    "destroy_semaphore",
    "encode_lock",
    "monitor_slot",
    "release_slot",
]

#: ``SemaphoreFlagValue``: the ``Flags`` of a semaphore's keys.
SEMAPHORE_FLAG = 0xE0F69A2BAA414DE0
#: ``DefaultSemaphoreKey``: the coordination key, under the prefix.
SEMAPHORE_KEY = ".lock"
#: ``DefaultSemaphoreSessionName``.
SEMAPHORE_SESSION_NAME = "Consul API Semaphore"
#: ``DefaultSemaphoreWaitTime``: seconds each blocking read waits.
SEMAPHORE_WAIT = 15.0

#: Builds the listing of the prefix: ``(index, wait)`` -> the call.
List = Callable[[int | None, float | None], Call[tuple[int, list[KVPair]]]]
#: Builds the check-and-set of the document: ``(document, ModifyIndex)`` -> the call.
Write = Callable[[bytes, int], Call[bool]]
Clock = Callable[[], float]


def join_key(prefix: str, name: str) -> str:
    """``path.Join(prefix, name)`` for the keys Go makes (no doubled slash)."""
    return f"{prefix.rstrip('/')}/{name}"


def decode_lock(pair: KVPair | None, limit: int) -> dict[str, Any]:
    """The ``.lock`` document of ``pair``: a new one (``limit``, no holder) if none.

    Raises :class:`SemaphoreError` for a value that is not such a document.
    """
    if pair is None or pair["Value"] is None:
        return {"Limit": limit, "Holders": {}}
    try:
        document = json.loads(pair["Value"])
        holders = document.get("Holders") or {}
        if not isinstance(holders, dict):
            raise TypeError("Holders is not an object")
        return {"Limit": int(document.get("Limit", 0)), "Holders": dict(holders)}
    except (ValueError, TypeError, AttributeError) as exc:
        raise SemaphoreError(f"lock decoding failed: {exc}") from None


def encode_lock(document: dict[str, Any]) -> bytes:
    """The ``.lock`` value, byte for byte as Go's ``json.Marshal`` writes it."""
    holders = dict.fromkeys(sorted(document["Holders"]), True)
    return json.dumps(
        {"Limit": document["Limit"], "Holders": holders}, separators=(",", ":")
    ).encode()


def _find_lock(pairs: list[KVPair], key: str) -> KVPair | None:
    return next((pair for pair in pairs if pair["Key"] == key), None)


def _prune(document: dict[str, Any], pairs: list[KVPair]) -> None:
    """Drop the holders whose contender key no session holds (``pruneDeadHolders``)."""
    alive = {pair.get("Session") for pair in pairs if pair.get("Session")}
    document["Holders"] = {h: True for h in document["Holders"] if h in alive}


def acquire_slot(
    listing: List,
    write: Write,
    prefix: str,
    limit: int,
    session: str,
    *,
    timeout: float | None = None,
    wait: float = SEMAPHORE_WAIT,
    clock: Clock = time.monotonic,
) -> Flow[bool]:
    """Take a slot for ``session`` (whose contender key exists): True once held.

    False if not held within ``timeout`` seconds (None: as long as it takes;
    0: one try). Raises :class:`SemaphoreConflict` if the prefix holds
    another semaphore (another flag, another limit).
    """
    key = join_key(prefix, SEMAPHORE_KEY)
    patience = Patience(timeout, wait, clock)
    index: int | None = None
    while (block := patience.next_wait()) is not None:
        got, pairs = yield (reads := listing(index, block))
        with reading(reads):
            pair = _find_lock(pairs, key)
            if pair is not None and pair["Flags"] != SEMAPHORE_FLAG:
                raise SemaphoreConflict()
            document = decode_lock(pair, limit)
            _prune(document, pairs)
            modified = pair["ModifyIndex"] if pair else 0
        if document["Limit"] != limit:
            raise SemaphoreConflict(
                f"semaphore limit conflict (lock: {document['Limit']}, local: {limit})"
            )
        if len(document["Holders"]) >= limit:
            index = got
            continue
        document["Holders"][session] = True
        if (yield write(encode_lock(document), modified)):
            return True
        # Another contender changed the document first: read it again (the
        # index it changed at is past ours, so this read does not block).
        index = got
    return False


def monitor_slot(
    listing: List,
    prefix: str,
    limit: int,
    session: str,
    *,
    retries: int = 0,
    retry_time: float = MONITOR_RETRY,
) -> Flow[None]:
    """Watch the prefix until ``session`` is no (live) holder any more: the slot is lost.

    ``listing`` should be a consistent read; ``retries``: see
    :func:`~consul.recipes._holder.monitoring`.
    """
    key = join_key(prefix, SEMAPHORE_KEY)

    def holds(pairs: list[KVPair]) -> bool:
        document = decode_lock(_find_lock(pairs, key), limit)
        _prune(document, pairs)
        return session in document["Holders"]

    return monitoring(
        lambda index: listing(index, None), holds, retries=retries, retry_time=retry_time
    )


def release_slot(
    read: Call[tuple[int, KVPair | None]],
    write: Write,
    remove: Call[bool],
    limit: int,
    session: str,
) -> Flow[None]:
    """Give the slot back: drop ``session`` from the holders (CAS), delete its contender key."""
    while True:
        _, pair = yield read
        with reading(read):
            document = decode_lock(pair, limit)
            modified = pair["ModifyIndex"] if pair else 0
        if session not in document["Holders"]:
            break
        del document["Holders"][session]
        if (yield write(encode_lock(document), modified)):
            break
    yield remove


def destroy_semaphore(
    listing: List, delete: Callable[[int], Call[bool]], prefix: str, limit: int
) -> Flow[None]:
    """Delete the ``.lock`` document if the semaphore has no live holder."""
    _, pairs = yield (reads := listing(None, None))
    with reading(reads):
        pair = _find_lock(pairs, join_key(prefix, SEMAPHORE_KEY))
        if pair is None:
            return
        if pair["Flags"] != SEMAPHORE_FLAG:
            raise SemaphoreConflict()
        document = decode_lock(pair, limit)
        _prune(document, pairs)
        modified = pair["ModifyIndex"]
    if document["Holders"]:
        raise SemaphoreInUse()
    if not (yield delete(modified)):
        raise SemaphoreInUse()


class SemaphoreOptions(TypedDict, total=False):
    """The keyword arguments of :class:`Semaphore` (and of ``client.semaphore``)."""

    value: bytes | str | None
    session: str | None
    session_name: str
    session_ttl: str | float
    wait: str | float
    monitor_retries: int
    monitor_retry_time: str | float
    on_lost: Callable[[], object] | None
    token: str | None


class Semaphore(Holder[M]):
    """A semaphore of ``limit`` slots under ``prefix``, compatible with Go's ``api.Semaphore``.

    ``client.semaphore(prefix, limit)``. ``acquire(timeout=None)`` returns
    True once this handle holds a slot (False if not within ``timeout``
    seconds; 0 tries once) and ``release()`` gives it back, in the client's
    way; or use it as a context manager (``with``; ``async with`` on the
    asyncio, Tornado and Twisted clients). Every contender must agree on
    ``limit``.

    A slot can be lost while held (the session ended, someone rewrote the
    document): :attr:`held` turns False, :attr:`lost` resolves and
    ``on_lost`` is called. Call :meth:`release` all the same.

    ``value`` is the contender key's value; ``session``, ``session_name``,
    ``session_ttl``, ``monitor_retries``, ``monitor_retry_time``, ``on_lost``
    and ``token`` are as for :class:`~consul.recipes.Lock` (our own session
    has the ``delete`` behavior: its contender key goes with it); ``wait`` is
    the seconds each blocking read waits.
    """

    _held_error = SemaphoreHeld
    _not_held_error = SemaphoreNotHeld

    def __init__(
        self,
        client: ConsulBase[M],
        prefix: str,
        limit: int,
        *,
        value: bytes | str | None = None,
        session: str | None = None,
        session_name: str = SEMAPHORE_SESSION_NAME,
        session_ttl: str | float = SESSION_TTL,
        wait: str | float = SEMAPHORE_WAIT,
        monitor_retries: int = 0,
        monitor_retry_time: str | float = MONITOR_RETRY,
        on_lost: Callable[[], object] | None = None,
        token: str | None = None,
    ) -> None:
        if integer(limit, "limit") <= 0:
            raise ValueError(f"limit must be positive, not {limit}")
        kv = client.kv
        lock_key = join_key(non_empty(prefix, "prefix"), SEMAPHORE_KEY)

        def listing(index: int | None, wait: float | None, consistency: str | None = None) -> Any:
            return KV.list(kv, prefix, index=index, wait=wait, consistency=consistency, token=token)

        listing(None, None)  # checks the prefix before any I/O
        super().__init__(
            client,
            session=session,
            session_ttl=session_ttl,
            session_options={"name": session_name, "behavior": "delete"},
            token=token,
            on_lost=on_lost,
        )
        self.prefix = prefix
        self.limit = limit
        self._list: List = listing
        self._consistent: List = lambda index, wait: listing(index, wait, "consistent")
        self._read_lock: Call[tuple[int, KVPair | None]] = KV.get(kv, lock_key, token=token)
        self._write: Write = lambda document, index: KV.put(
            kv, lock_key, document, cas=index, flags=SEMAPHORE_FLAG, token=token
        )
        self._delete: Callable[[int], Call[bool]] = lambda index: KV.delete(
            kv, lock_key, cas=index, token=token
        )
        self._contend: Callable[[str], Call[bool]] = lambda sid: KV.put(
            kv, join_key(prefix, sid), value, acquire=sid, flags=SEMAPHORE_FLAG, token=token
        )
        self._withdraw: Callable[[str], Call[bool]] = lambda sid: KV.delete(
            kv, join_key(prefix, sid), token=token
        )
        if (block := seconds(wait, "wait")) <= 0:
            raise ValueError(f"wait must be positive, not {wait!r}")
        self._wait = block
        self._monitor_retries = count(monitor_retries, "monitor_retries")
        self._monitor_retry_time = seconds(monitor_retry_time, "monitor_retry_time")

    def _taking(self, session: str, timeout: float | None) -> Flow[bool]:
        if not (yield self._contend(session)):
            raise SemaphoreError(f"failed to make contender entry for session {session}")
        taking = acquire_slot(
            self._list,
            self._write,
            self.prefix,
            self.limit,
            session,
            timeout=timeout,
            wait=self._wait,
        )
        try:
            taken = yield from taking
        except GeneratorExit:
            raise
        except BaseException:
            # Go leaves the contender key to the session's end; a session
            # given to us may live on, so the key goes now.
            yield self._withdraw(session)
            raise
        if not taken:
            yield self._withdraw(session)
        return taken

    def _watching(self, session: str) -> Flow[None]:
        return monitor_slot(
            self._consistent,
            self.prefix,
            self.limit,
            session,
            retries=self._monitor_retries,
            retry_time=self._monitor_retry_time,
        )

    def _giving_back(self, session: str) -> Flow[None]:
        return release_slot(
            self._read_lock, self._write, self._withdraw(session), self.limit, session
        )

    @flow
    def destroy(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Delete the ``.lock`` document if no live contender holds a slot.

        Raises :class:`~consul.recipes.SemaphoreHeld` while this handle holds
        one, :class:`~consul.recipes.SemaphoreInUse` while others do.
        """
        if self._holding is not None:
            raise SemaphoreHeld()
        return destroy_semaphore(self._list, self._delete, self.prefix, self.limit)
