"""Leader election on a lock, as Consul's leader-election tutorial describes it.

Every candidate tries to take the same :class:`~consul.recipes.Lock` key
(Go's wire format: another candidate may be a Go program or ``consul
lock``); whoever holds it leads, with its value in the key for the others to
read. The campaign (:meth:`Election._campaign`) runs in the background: it
takes the lock, tells the candidate it was elected, monitors the lock, tells
it once the lock was lost, and tries again; a session that could not be kept
is replaced. Stopping resigns: the lock is released (with the candidate's
value left in the key) and the session destroyed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from .._endpoint import flow
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Deliver, Flow, Join, Sleep, Stopped
from ..api.session import Session
from ..exceptions import ConsulException
from ._answers import reading
from ._handle import Handle, Stopping, then_join
from ._holder import RETRYABLE
from .lock import (
    LOCK_FLAG,
    CampaignOptions,
    Lock,
    acquire_lock,
    monitor_lock,
)
from .session import keep_alive

if TYPE_CHECKING:
    from .._flows import Task
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = ["Election"]


class Election(Handle[M]):
    """A candidate in the leader election on ``key`` (``client.election(key)``).

    :meth:`start` begins the campaign in the background and :meth:`stop`
    resigns, each in the client's way; or use it as a context manager
    (``with``; ``async with`` on the asyncio, Tornado and Twisted clients),
    campaigning inside the block. :attr:`leader` says whether this candidate
    leads now; ``on_elected()`` and ``on_lost()`` are called (on the
    campaign's thread, or in the loop) when it starts and stops leading,
    resigning included; what they return (a Future, an awaitable, a
    Deferred) is waited for before the campaign goes on.
    :meth:`leader_value` reads the leader's value.

    ``value`` is written to the key while leading; the other ``options`` are
    :class:`~consul.recipes.Lock`'s (but ``session`` and ``on_lost``: the
    campaign makes its own sessions).
    """

    def __init__(
        self,
        client: ConsulBase[M],
        key: str,
        *,
        on_elected: Callable[[], object] | None = None,
        on_lost: Callable[[], object] | None = None,
        **options: Unpack[CampaignOptions],
    ) -> None:
        super().__init__(client)
        # The lock handle builds (and checks) every call the campaign makes.
        self._lock: Lock[M] = Lock(client, key, **options)
        sessions, token = client.session, options.get("token")
        self._info: Callable[[str], Call[tuple[int, Any]]] = lambda sid: Session.info(
            sessions, sid, token=token
        )
        self.key = key
        self._on_elected = on_elected
        self._on_lost = on_lost
        self._task: Task | None = None
        self._leader = False
        self.error: BaseException | None = None
        """What ended the campaign, if it ended on its own (None otherwise)."""

    @property
    def leader(self) -> bool:
        """True while this candidate leads."""
        return self._leader

    @flow
    def start(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Start campaigning in the background (creates the session first).

        An error creating the session (ACLs...) is raised here; later ones
        the campaign rides out, or it ends with them in :attr:`error`.
        """
        return self._start()

    def _start(self) -> Flow[None]:
        if self._task is not None:
            raise RuntimeError("the election is under way already")
        self.error = None
        first = yield from self._session()
        self._task = self._flows.spawn(
            self._campaign(first), on_end=self._ended, deliver=self._changed
        )

    @flow
    def stop(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Resign: stop campaigning; if leading, release the lock (``on_lost`` is called)."""
        return self._stop()

    def _stop(self) -> Flow[None]:
        task, self._task = self._task, None
        if task is not None:
            yield Join(task)

    @flow
    def leader_value(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[bytes | None]:
        """The value the leader holds the key with; None while nobody leads."""
        return self._leader_value()

    def _leader_value(self) -> Flow[bytes | None]:
        _, pair = yield (reads := self._lock._read_key(None, None))
        with reading(reads):
            if pair is None or not pair.get("Session") or pair["Flags"] != LOCK_FLAG:
                return None
            value: bytes | None = pair["Value"]
        return value

    def _session(self) -> Flow[tuple[str, Task, Stopping]]:
        """A session of our own, its renewal, and what is set if that ends."""
        lock = self._lock
        assert lock._create is not None
        session = yield lock._create
        expired = Stopping()
        renewing = keep_alive(lock._renew(session), lock._ttl, destroy=lock._destroy(session))
        keeper = self._flows.spawn(renewing, on_end=lambda result, error: expired.set())
        return session, keeper, expired

    def _campaign(self, first: tuple[str, Task, Stopping]) -> Flow[None]:
        session, keeper, expired = first
        while True:
            yield from then_join(self._terms(session, expired), keeper)
            while True:
                try:
                    session, keeper, expired = yield from self._session()
                    break
                except RETRYABLE:
                    yield Sleep(self._lock._retry)

    def _terms(self, session: str, expired: Stopping) -> Flow[None]:
        """Lead whenever the lock can be had, while ``session`` lives."""
        lock = self._lock
        while not expired:
            try:
                yield from acquire_lock(
                    lock._read_key,
                    lock._take(session),
                    session,
                    wait=lock._wait,
                    retry=lock._retry,
                )
            except RETRYABLE:
                # Consul unreachable, or our session gone ("invalid session").
                if not (yield from self._alive(session)):
                    return
                yield Sleep(self._lock._retry)
                continue
            try:
                yield Deliver(True)
                with suppress(ConsulException):
                    yield from monitor_lock(
                        lock._consistent,
                        session,
                        retries=lock._monitor_retries,
                        retry_time=lock._monitor_retry_time,
                    )
            except Stopped:
                with suppress(ConsulException):
                    yield lock._let_go(session)
                yield Deliver(False)
                raise
            yield Deliver(False)
            if not (yield from self._alive(session)):
                return  # lost with the session: campaign with a new one

    def _alive(self, session: str) -> Flow[bool]:
        """Whether ``session`` still exists (a failed read counts as yes: try again)."""
        try:
            _, entry = yield self._info(session)
        except ConsulException:
            return True
        return entry is not None

    def _changed(self, leading: bool) -> object:
        self._leader = leading
        callback = self._on_elected if leading else self._on_lost
        return callback() if callback is not None else None

    def _ended(self, result: Any, error: BaseException | None) -> None:
        if error is not None:
            self.error = error
        if self._leader:
            self._leader = False
            if self._on_lost is not None:
                self._on_lost()

    def _enter(self) -> Flow[Any]:
        return self._start()

    def _exit(self) -> Flow[Any]:
        return self._stop()
