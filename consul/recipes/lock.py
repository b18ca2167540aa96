"""A lock on a KV key, as Go's ``api.Lock`` takes it (``api/lock.go``).

The wire format is Go's, so that Python processes, Go programs using
``api.Lock`` and ``consul lock`` exclude each other: the key holds the
holder's value with the flag :data:`LOCK_FLAG` in ``Flags``, and is taken
with ``?acquire=<session>`` by a session (by default one of our own, named
``Consul API Lock`` with a 15s TTL, renewed every 7.5s).

The flows:

- :func:`acquire_lock`: read the key, blocking while another session holds
  it; try ``acquire``; when that fails although nobody holds the key, a
  lock-delay is in effect (the key's last holder's session ended less than
  its ``LockDelay`` ago): wait :data:`LOCK_RETRY` and try again.
- :func:`monitor_lock`: consistent blocking reads of the key, ending (the
  lock is lost) once our session no longer holds it.
- :func:`destroy_lock`: delete a lock nobody holds.

:class:`Lock` is the handle, ``client.lock(key, ...)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .._endpoint import flow
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, Sleep
from ..api.kv import KV, KVPair
from ._answers import reading
from ._handle import count, seconds
from ._holder import Holder, Patience, monitoring
from .errors import LockConflict, LockHeld, LockInUse, LockNotHeld

if TYPE_CHECKING:
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = [
    "LOCK_FLAG",
    "LOCK_RETRY",
    "LOCK_SESSION_NAME",
    "LOCK_WAIT",
    "MONITOR_RETRY",
    "Lock",
    "acquire_lock",
    "destroy_lock",
    "monitor_lock",
]

#: ``LockFlagValue``: the ``Flags`` of a key used as a lock.
LOCK_FLAG = 0x2DDCCBC058A50C18
#: ``DefaultLockSessionName``.
LOCK_SESSION_NAME = "Consul API Lock"
#: ``DefaultLockSessionTTL``.
SESSION_TTL = "15s"
#: ``DefaultLockWaitTime``: seconds each blocking read waits for the key.
LOCK_WAIT = 15.0
#: ``DefaultLockRetryTime``: seconds to wait while a lock-delay is in effect.
LOCK_RETRY = 5.0
#: ``DefaultMonitorRetryTime``: seconds between a monitor's retries.
MONITOR_RETRY = 2.0

#: Builds the read of the lock's key: ``(index, wait)`` -> the call.
Read = Callable[[int | None, float | None], Call[tuple[int, KVPair | None]]]
Clock = Callable[[], float]


def acquire_lock(
    read: Read,
    acquire: Call[bool],
    session: str,
    *,
    timeout: float | None = None,
    wait: float = LOCK_WAIT,
    retry: float = LOCK_RETRY,
    clock: Clock = time.monotonic,
) -> Flow[bool]:
    """Take the lock for ``session``; True once held, False after ``timeout`` seconds.

    ``timeout`` None tries until held; 0 tries once. Raises
    :class:`LockConflict` if the key is not a lock.
    """
    patience = Patience(timeout, wait, clock)
    index: int | None = None
    while (block := patience.next_wait()) is not None:
        got, pair = yield (reads := read(index, block))
        with reading(reads):
            flags = pair["Flags"] if pair is not None else LOCK_FLAG
            holder = pair.get("Session") if pair is not None else None
        if flags != LOCK_FLAG:
            raise LockConflict()
        if holder == session:
            return True
        if holder:
            index = got
            continue
        if (yield acquire):
            return True
        # Refused although free when read: taken since, or (lock.go) the
        # lock-delay of the session that held it last, which only time ends.
        got, pair = yield (reads := read(None, None))
        with reading(reads):
            taken = pair is not None and pair.get("Session")
        if taken:
            index = got
            continue
        yield Sleep(min(retry, patience.left()))
        index = None
    return False


def monitor_lock(
    read: Read, session: str, *, retries: int = 0, retry_time: float = MONITOR_RETRY
) -> Flow[None]:
    """Watch the lock's key until ``session`` no longer holds it (the lock is lost).

    ``read`` should be a consistent read; ``retries``: see :func:`monitoring`.
    """
    return monitoring(
        lambda index: read(index, None),
        lambda pair: pair is not None and pair.get("Session") == session,
        retries=retries,
        retry_time=retry_time,
    )


def destroy_lock(read: Read, delete: Callable[[int], Call[bool]]) -> Flow[None]:
    """Delete the lock's key if no session holds it (``Lock.Destroy``).

    Raises :class:`LockConflict` if the key is not a lock, :class:`LockInUse`
    if a session holds it (or took it meanwhile).
    """
    _, pair = yield (reads := read(None, None))
    if pair is None:
        return
    with reading(reads):
        flags, holder, modified = pair["Flags"], pair.get("Session"), pair["ModifyIndex"]
    if flags != LOCK_FLAG:
        raise LockConflict()
    if holder:
        raise LockInUse()
    if not (yield delete(modified)):
        raise LockInUse()


class CampaignOptions(TypedDict, total=False):
    """The options of a :class:`Lock` that an election shares (see there)."""

    value: bytes | str | None
    session_name: str
    session_ttl: str | float
    lock_delay: str | float
    lock_wait: str | float
    lock_retry: str | float
    monitor_retries: int
    monitor_retry_time: str | float
    token: str | None


class LockOptions(CampaignOptions, total=False):
    """The keyword arguments of :class:`Lock` (``client.lock(key, **options)``)."""

    session: str | None
    on_lost: Callable[[], object] | None


class Lock(Holder[M]):
    """A lock on a KV key, compatible with Go's ``api.Lock`` (``client.lock(key)``).

    ``acquire(timeout=None)`` returns True once held (False if not held
    within ``timeout`` seconds; 0 tries once) and ``release()`` lets go, each
    in the client's way (a value, a Future, a coroutine, a Deferred). Or use
    it as a context manager: ``with`` on the blocking and thread-pool
    clients, ``async with`` on the asyncio, Tornado and Twisted ones.

    The lock can be lost while held: its session ended (destroyed, its node
    failed, not renewed), or someone deleted the key. A monitor notices:
    :attr:`held` turns False, :attr:`lost` resolves and ``on_lost`` is
    called (on the monitor's thread, or in the loop). Call :meth:`release`
    all the same.

    Arguments (Go's ``LockOptions``):

    Args:
        key: the key (write access needed).
        value: stored in the key while held, and left there after.
        session: hold the lock with this session instead of one of our own
            (which we create, renew and destroy). Its renewal is then yours.
        session_name: the name of our session.
        session_ttl: the TTL of our session (Consul's minimum is 10s).
        lock_delay: our session's lock-delay: how long the key stays
            unlockable after the session ended while holding it.
        lock_wait: seconds each blocking read waits for the key.
        lock_retry: seconds to wait before trying again under a lock-delay.
        monitor_retries: failed reads in a row the monitor rides out (no
            answer, a server error) before it declares the lock lost.
        monitor_retry_time: seconds between those reads.
        on_lost: called without arguments when the lock is lost.
        token: the ACL token of its requests (default: the client's).
    """

    _held_error = LockHeld
    _not_held_error = LockNotHeld

    def __init__(
        self,
        client: ConsulBase[M],
        key: str,
        *,
        value: bytes | str | None = None,
        session: str | None = None,
        session_name: str = LOCK_SESSION_NAME,
        session_ttl: str | float = SESSION_TTL,
        lock_delay: str | float = 15,
        lock_wait: str | float = LOCK_WAIT,
        lock_retry: str | float = LOCK_RETRY,
        monitor_retries: int = 0,
        monitor_retry_time: str | float = MONITOR_RETRY,
        on_lost: Callable[[], object] | None = None,
        token: str | None = None,
    ) -> None:
        kv = client.kv

        def read(index: int | None, wait: float | None, consistency: str | None = None) -> Any:
            return KV.get(kv, key, index=index, wait=wait, consistency=consistency, token=token)

        read(None, None)  # checks the key before any I/O
        super().__init__(
            client,
            session=session,
            session_ttl=session_ttl,
            session_options={"name": session_name, "lock_delay": lock_delay},
            token=token,
            on_lost=on_lost,
        )
        self.key = key
        self._read_key: Read = read
        self._consistent: Read = lambda index, wait: read(index, wait, "consistent")
        self._take: Callable[[str], Call[bool]] = lambda sid: KV.put(
            kv, key, value, acquire=sid, flags=LOCK_FLAG, token=token
        )
        self._let_go: Callable[[str], Call[bool]] = lambda sid: KV.put(
            kv, key, value, release=sid, flags=LOCK_FLAG, token=token
        )
        self._delete: Callable[[int], Call[bool]] = lambda index: KV.delete(
            kv, key, cas=index, token=token
        )
        if (wait := seconds(lock_wait, "lock_wait")) <= 0:
            raise ValueError(f"lock_wait must be positive, not {lock_wait!r}")
        self._wait = wait
        self._retry = seconds(lock_retry, "lock_retry")
        self._monitor_retries = count(monitor_retries, "monitor_retries")
        self._monitor_retry_time = seconds(monitor_retry_time, "monitor_retry_time")

    def _taking(self, session: str, timeout: float | None) -> Flow[bool]:
        return acquire_lock(
            self._read_key,
            self._take(session),
            session,
            timeout=timeout,
            wait=self._wait,
            retry=self._retry,
        )

    def _watching(self, session: str) -> Flow[None]:
        return monitor_lock(
            self._consistent,
            session,
            retries=self._monitor_retries,
            retry_time=self._monitor_retry_time,
        )

    def _giving_back(self, session: str) -> Flow[None]:
        # Go's Release sends the value and flags again: the key keeps both.
        yield self._let_go(session)

    @flow
    def destroy(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Delete the lock's key, if no session holds it (``DELETE ?cas=``).

        Raises :class:`~consul.recipes.LockHeld` while this handle holds it,
        :class:`~consul.recipes.LockInUse` if another session does.
        """
        if self._holding is not None:
            raise LockHeld()
        return destroy_lock(self._read_key, self._delete)
