"""What a lock and a semaphore share: a session held, renewed and monitored.

Acquiring creates a TTL session (unless one was given) and renews it in the
background from then on, as Go's ``Lock`` and ``Semaphore`` run
``RenewPeriodic``; once held, a monitor watches the holding in the
background and reports its loss; releasing stops the monitor, gives the
holding back and ends the renewal, which destroys our session.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._endpoint import flow, flow_with_call_timeout
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, Sleep
from ..api.session import Session
from ..exceptions import ConsulException, ServerError, TransportError
from ._answers import reading
from ._handle import ByMode, Handle, Stopping, seconds, then_join
from .session import keep_alive

if TYPE_CHECKING:
    from .._flows import Task
    from ..base import ConsulBase
    from ._handle import Notice

M = TypeVar("M")
R = TypeVar("R")

__all__ = ["RETRYABLE", "Holder", "Patience", "monitoring"]

#: The errors a monitor may ride out (Go's ``IsRetryableError``: no answer,
#: or a server error).
RETRYABLE = (TransportError, ServerError)


class Patience:
    """How long an acquisition may still wait: its ``timeout`` (None: forever).

    Each blocking read waits ``wait`` seconds, less once the timeout is near
    (Go's ``LockTryOnce`` mode); the first read is always made.
    """

    def __init__(
        self, timeout: float | None, wait: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._timeout = timeout
        self._wait = wait
        self._clock = clock
        self._start = clock()
        self._reads = 0

    def left(self) -> float:
        """Seconds left (infinite without a timeout)."""
        if self._timeout is None:
            return math.inf
        return max(0.0, self._timeout - (self._clock() - self._start))

    def next_wait(self) -> float | None:
        """The wait of the next read; None once the time is up."""
        left = self.left()
        if self._reads and left <= 0:
            return None
        self._reads += 1
        return min(self._wait, left) if self._reads > 1 else self._wait


def monitoring(
    read: Callable[[int | None], Call[tuple[int, R]]],
    holds: Callable[[R], bool],
    *,
    retries: int,
    retry_time: float,
) -> Flow[None]:
    """Blocking reads until ``holds(answer)`` is false: the holding is lost.

    ``read`` should be consistent. With ``retries``, that many failures in a
    row (no answer, a server error) are ridden out, waiting ``retry_time``
    before reading afresh; any other error ends the flow.
    """
    index: int | None = None
    left = retries
    while True:
        try:
            got, answer = yield (reads := read(index))
        except RETRYABLE:
            if left <= 0:
                raise
            left -= 1
            yield Sleep(retry_time)
            index = None
            continue
        left = retries
        with reading(reads):
            held = holds(answer)
        if not held:
            return
        # An index that went backwards would block until it caught up.
        index = got if index is None or got >= index else None


class _Holding:
    """One holding: its session, the session's renewal and the monitor."""

    def __init__(self, session: str, keeper: Task | None) -> None:
        self.session = session
        self.keeper = keeper
        self.monitor: Task | None = None
        self.stopping = Stopping()
        self.lost = False


class Holder(Handle[M]):
    """Base class of :class:`~consul.recipes.Lock` and :class:`~consul.recipes.Semaphore`.

    Subclasses give the flows that take, watch and give back the holding
    (:meth:`_taking`, :meth:`_watching`, :meth:`_giving_back`) and the errors
    for a double acquisition and a release of nothing.
    """

    _held_error: type[ConsulException]
    _not_held_error: type[ConsulException]

    lost: Notice = ByMode("_lost")
    """A future of the loop (a ``concurrent.futures.Future``, an asyncio
    Future or a Deferred) resolved with None if the holding is lost; made
    anew by each acquisition."""

    def __init__(
        self,
        client: ConsulBase[M],
        *,
        session: str | None,
        session_ttl: str | float,
        session_options: dict[str, Any],
        token: str | None,
        on_lost: Callable[[], object] | None,
    ) -> None:
        """``session_options`` are ``session.create``'s for a session of our own."""
        super().__init__(client)
        sessions = client.session
        self._session = session
        self._create: Call[str] | None = None
        if session is None:
            self._create = Session.create(sessions, ttl=session_ttl, token=token, **session_options)
        self._ttl = seconds(session_ttl, "session_ttl")
        self._renew: Callable[[str], Call[Any]] = lambda sid: Session.renew(
            sessions, sid, token=token
        )
        self._destroy: Callable[[str], Call[bool]] = lambda sid: Session.destroy(
            sessions, sid, token=token
        )
        self._on_lost = on_lost
        self._holding: _Holding | None = None
        self._acquiring = False
        self._lost: Any = None

    @property
    def held(self) -> bool:
        """True while this handle holds it (False once lost or released)."""
        return self._holding is not None and not self._holding.lost

    @property
    def session_id(self) -> str | None:
        """The session holding it (None while not held)."""
        return self._holding.session if self._holding is not None else None

    def _taking(self, session: str, timeout: float | None) -> Flow[bool]:
        raise NotImplementedError

    def _watching(self, session: str) -> Flow[None]:
        raise NotImplementedError

    def _giving_back(self, session: str) -> Flow[None]:
        raise NotImplementedError

    @flow_with_call_timeout
    def acquire(
        self, timeout: str | float | None = None, *, call_timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Flow[bool]:
        """Take it: True once held, False if not held within ``timeout`` seconds.

        ``timeout`` None waits as long as it takes; 0 tries once
        (``call_timeout`` is the usual ``timeout=`` of a call: it bounds the
        whole acquisition, failing with :class:`~consul.Timeout`). Raises
        ``LockHeld`` (``SemaphoreHeld``) if this handle holds it or is taking
        it, ``LockConflict`` (``SemaphoreConflict``) if the key is used
        otherwise.
        """
        return self._acquire(None if timeout is None else seconds(timeout, "timeout"))

    def _acquire(self, timeout: float | None) -> Flow[bool]:
        if self._holding is not None or self._acquiring:
            raise self._held_error()
        self._acquiring = True
        try:
            session, keeper = self._session, None
            if session is None:
                assert self._create is not None
                session = yield self._create
                destroy = self._destroy(session)
                renewing = keep_alive(self._renew(session), self._ttl, destroy=destroy)
                keeper = self._flows.spawn(renewing, on_end=_ignore)
            # Not taken (or failed): stopping the renewal destroys the session.
            if (yield from then_join(self._taking(session, timeout), keeper, keep=bool)):
                self._hold(session, keeper)
                return True
            return False
        finally:
            self._acquiring = False

    def _hold(self, session: str, keeper: Task | None) -> None:
        holding = _Holding(session, keeper)
        self._lost, resolve = self._flows.future()
        on_lost = self._on_lost

        def ended(result: Any, error: BaseException | None) -> None:
            if holding.stopping:
                return  # released
            holding.lost = True
            resolve(None, None)
            if on_lost is not None:
                on_lost()

        self._holding = holding
        holding.monitor = self._flows.spawn(self._watching(session), on_end=ended)

    @flow
    def release(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Give it back (also after it was lost); ends our session, if we made it.

        Raises ``LockNotHeld`` (``SemaphoreNotHeld``) if this handle has not
        acquired it.
        """
        return self._release()

    def _release(self) -> Flow[None]:
        holding, self._holding = self._holding, None
        if holding is None:
            raise self._not_held_error()
        holding.stopping.set()
        # As Go's Unlock: the monitor is told to stop, then the holding is
        # given back, which also ends the monitor's blocking read on a
        # transport that cannot abort it; then it is waited for.
        if holding.monitor is not None:
            holding.monitor.stop()
        giving_back = then_join(self._giving_back(holding.session), holding.keeper)
        yield from then_join(giving_back, holding.monitor)

    def _enter(self) -> Flow[Any]:
        return self._acquire(None)

    def _exit(self) -> Flow[Any]:
        return self._release()


def _ignore(result: Any, error: BaseException | None) -> None:
    """A background renewal's end: what matters shows in the monitor."""
