"""Session keep-alive: renew a TTL session while it is needed, destroy it after.

:func:`keep_alive` is the flow, as Go's ``Session.RenewPeriodic``
(``api/session.go``) runs it: renew every TTL/2, taking the TTL the server
answers with; on an error, try again every second while the TTL has not run
out since the last renewal (Consul ends a session only after twice its TTL,
``structs.SessionTTLMultiplier``, so the session is not at risk yet); a
session that is gone (404) cannot be saved. Once stopped, it destroys the
session if asked to.

:class:`SessionKeeper` is its handle, made by ``client.session.keep_alive(...)``
(:class:`Sessions`: the session endpoints with that method, which the
clients' ``session`` is); the locks, semaphores and elections keep their own
sessions alive with the same flow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

from .._endpoint import duration, flow, non_empty
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, Join, Sleep, Stopped
from ..api.session import Session, SessionEntry
from ..exceptions import ConsulException, NotFound
from ._answers import reading
from ._handle import ByMode, Handle, Stopping
from .errors import SessionExpired

if TYPE_CHECKING:
    from .._flows import Task
    from ..base import ConsulBase
    from ._handle import Notice

M = TypeVar("M")

__all__ = ["RETRY_TIME", "Renewal", "SessionKeeper", "Sessions", "keep_alive"]

#: Seconds between renewals after a failed one (``RenewPeriodic``'s 1s).
RETRY_TIME = 1.0

Clock = Callable[[], float]


class Renewal:
    """When a TTL session is due for renewal, and whether it is still safe.

    ``ttl`` is in seconds; ``clock`` is :func:`time.monotonic` or a test's.
    """

    def __init__(self, ttl: float, clock: Clock = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self.last = clock()
        self.due = self.last + ttl / 2

    def wait(self) -> float:
        """Seconds until the next renewal (0: now)."""
        return max(0.0, self.due - self._clock())

    def renewed(self, entry: SessionEntry | None) -> None:
        """A renewal succeeded; the server may have changed the TTL."""
        if entry and entry.get("TTL"):
            self.ttl = duration(entry["TTL"], "TTL")[1] or self.ttl
        self.last = self._clock()
        self.due = self.last + self.ttl / 2

    def failed(self, error: ConsulException) -> None:
        """A renewal failed: try again soon, or raise once the TTL has run out.

        Raises :class:`SessionExpired` for a session that is gone (404).
        """
        if isinstance(error, NotFound):
            raise SessionExpired() from error
        now = self._clock()
        left = self.last + self.ttl - now
        if left <= 0:
            raise SessionExpired(f"session not renewed within its TTL: {error}") from error
        self.due = now + min(RETRY_TIME, left)


def keep_alive(
    renew: Call[SessionEntry],
    ttl: float,
    *,
    destroy: Call[bool] | None = None,
    clock: Clock = time.monotonic,
) -> Flow[None]:
    """Renew a session until stopped; then ``destroy`` it (if given).

    Ends with :class:`SessionExpired` if the session is gone or could not be
    renewed within its TTL.
    """
    renewal = Renewal(ttl, clock)
    try:
        while True:
            yield Sleep(renewal.wait())
            try:
                entry = yield renew
                with reading(renew):  # an answer it cannot read is a failed renewal
                    renewal.renewed(entry)
            except ConsulException as exc:
                renewal.failed(exc)
    except Stopped:
        if destroy is not None:
            with suppress(ConsulException):
                yield destroy


class SessionKeeper(Handle[M]):
    """A session kept alive while it is needed (``client.session.keep_alive(...)``).

    :meth:`start` creates the session (unless one was given) and renews it
    in the background; :meth:`stop` ends that and destroys the session
    (unless told not to). Or use it as a context manager (``with``, or
    ``async with`` on the asyncio, Tornado and Twisted clients), which
    gives the handle; its :attr:`session_id` is the session's ID.

    If the session cannot be kept (it was destroyed, or could not be renewed
    within its TTL), :attr:`alive` turns False, :attr:`lost` resolves and
    ``on_lost`` is called.
    """

    lost: Notice = ByMode("_lost")
    """A future of the loop (a ``concurrent.futures.Future``, an asyncio
    Future or a Deferred) resolved with None once the session is lost;
    made by :meth:`start`."""

    def __init__(
        self,
        client: ConsulBase[M],
        *,
        session_id: str | None,
        create: Call[str] | None,
        ttl: float | None,
        info: Callable[[str], Call[tuple[int, SessionEntry | None]]],
        renew: Callable[[str], Call[SessionEntry]],
        destroy: Callable[[str], Call[bool]] | None,
        on_lost: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(client)
        self._session_id = session_id
        self._create = create
        self._ttl = ttl
        self._info = info
        self._renew = renew
        self._destroy = destroy
        self._on_lost = on_lost
        self._task: Task | None = None
        self._stopping = Stopping()
        self._lost: Any = None
        self._alive = False

    @property
    def session_id(self) -> str | None:
        """The session's ID (None until :meth:`start` created it)."""
        return self._session_id

    @property
    def alive(self) -> bool:
        """True from :meth:`start` until :meth:`stop`, or until the session is lost."""
        return self._alive

    @flow
    def start(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[str]:
        """Create the session (unless given) and start renewing it; its ID.

        With a session given and no ``ttl``, reads the session
        (``GET /v1/session/info/:id``) for its TTL.
        """
        return self._start()

    def _start(self) -> Flow[str]:
        if self._task is not None:
            raise RuntimeError("the session is being kept alive already")
        session_id = self._session_id
        if session_id is None:
            assert self._create is not None
            session_id = yield self._create
            self._session_id = session_id
        ttl = self._ttl
        if ttl is None:
            _, entry = yield (info := self._info(session_id))
            if entry is None:
                raise SessionExpired(f"session {session_id} does not exist")
            with reading(info):
                given = entry.get("TTL")
                ttl = duration(given, "TTL")[1] if given else None
            if ttl is None:
                raise ValueError(f"session {session_id} has no TTL: nothing to keep alive")
        destroy = self._destroy(session_id) if self._destroy is not None else None
        flows = self._flows
        self._lost, resolve = flows.future()
        self._alive = True
        stopping = self._stopping = Stopping()

        def ended(result: Any, error: BaseException | None) -> None:
            if stopping:
                return  # stopped on purpose
            self._alive = False
            resolve(None, None)
            if self._on_lost is not None:
                self._on_lost()

        renewing = keep_alive(self._renew(session_id), ttl, destroy=destroy)
        self._task = flows.spawn(renewing, on_end=ended)
        return session_id

    @flow
    def stop(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Stop renewing, and destroy the session (unless ``destroy=False``)."""
        return self._stop()

    def _stop(self) -> Flow[None]:
        task, self._task = self._task, None
        self._stopping.set()
        self._alive = False
        if task is not None:
            yield Join(task)

    def _enter(self) -> Flow[Any]:
        return self._start()

    def _exit(self) -> Flow[Any]:
        return self._stop()


class Sessions(Session[M]):
    """The session endpoints (:class:`~consul.api.session.Session`), and :meth:`keep_alive`.

    The clients' ``session`` group.
    """

    def keep_alive(
        self,
        session_id: str | None = None,
        *,
        ttl: str | float | None = None,
        name: str | None = None,
        lock_delay: str | float = 15,
        behavior: str = "release",
        destroy: bool = True,
        on_lost: Callable[[], object] | None = None,
        dc: str | None = None,
        token: str | None = None,
    ) -> SessionKeeper[M]:
        """A session kept alive while needed (see :class:`~consul.recipes.SessionKeeper`).

        Without ``session_id``, a new session (``name``, ``lock_delay``,
        ``behavior`` as for :meth:`create`, and ``ttl``, default 15s) is
        created when it starts. Given ``session_id`` without ``ttl``, the
        session's own TTL is read. Once started, it is renewed every TTL/2;
        stopping destroys it unless ``destroy=False``. Nothing is sent until
        it starts.
        """
        create = None
        if session_id is None:
            ttl = 15 if ttl is None else ttl
            create = Session.create(
                self, name, lock_delay=lock_delay, behavior=behavior, ttl=ttl, dc=dc, token=token
            )
        else:
            non_empty(session_id, "session_id")
        seconds = None if ttl is None else duration(ttl, "ttl")[1]
        if seconds is not None and seconds <= 0:
            raise ValueError(f"ttl must be positive, not {ttl!r}")
        return SessionKeeper(
            self._client,
            session_id=session_id,
            create=create,
            ttl=seconds,
            info=lambda sid: Session.info(self, sid, dc=dc, token=token),
            renew=lambda sid: Session.renew(self, sid, dc=dc, token=token),
            destroy=(lambda sid: Session.destroy(self, sid, dc=dc, token=token))
            if destroy
            else None,
            on_lost=on_lost,
        )
