"""What a lock and a semaphore share: a session held, renewed and monitored.

Acquiring creates a TTL session (unless one was given) and renews it in the
background from then on, as Go's ``Lock`` and ``Semaphore`` run
``RenewPeriodic``; once held, a monitor watches the holding in the
background and reports its loss; releasing stops the monitor, gives the
holding back and ends the renewal, which destroys our session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._endpoint import flow
from .._http import Call, Flow, Join
from ..exceptions import ConsulException
from ._handle import ByMode, Handle, Stopping, seconds, then_join
from .session import keep_alive

if TYPE_CHECKING:
    from .._flows import Task
    from ..base import ConsulBase
    from ._handle import Notice

M = TypeVar("M")

__all__ = ["Holder"]


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
        create: Call[str] | None,
        ttl: float,
        renew: Callable[[str], Call[Any]],
        destroy: Callable[[str], Call[bool]],
        on_lost: Callable[[], object] | None,
    ) -> None:
        super().__init__(client)
        self._session = session
        self._create = create
        self._ttl = ttl
        self._renew = renew
        self._destroy = destroy
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

    @flow
    def acquire(self, timeout: str | float | None = None) -> Flow[bool]:
        """Take it: True once held, False if not held within ``timeout`` seconds.

        ``timeout`` None waits as long as it takes; 0 tries once. Raises
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
    def release(self) -> Flow[None]:
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
        if holding.monitor is not None:
            yield Join(holding.monitor)
        yield from then_join(self._giving_back(holding.session), holding.keeper)

    def _enter(self) -> Flow[Any]:
        return self._acquire(None)

    def _exit(self) -> Flow[Any]:
        return self._release()


def _ignore(result: Any, error: BaseException | None) -> None:
    """A background renewal's end: what matters shows in the monitor."""
