"""A service kept registered while the process lives (what ianitor did).

:meth:`Registration.start` registers the service with a TTL check and sets
the check passing; a heartbeat (:func:`heartbeat`) sets it passing again
every TTL/2 in the background, registering the service again if the agent
forgot it (a restarted agent answers ``404 Unknown check ID``);
:meth:`Registration.stop` ends the heartbeat and deregisters the service. A
process that dies without deregistering leaves a check that turns critical
after the TTL (and the service is deregistered after ``deregister_after``,
if given).

``client.agent.service.keep_registered(...)`` makes the handle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from .._endpoint import flow
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, Join, Sleep
from ..exceptions import ConsulException, NotFound
from ._handle import Handle

if TYPE_CHECKING:
    from .._flows import Task
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = ["Registration", "heartbeat"]

#: Seconds before trying again after a failed heartbeat.
RETRY_TIME = 1.0


def heartbeat(
    passing: Call[bool], register: Call[bool], interval: float, retry: float = RETRY_TIME
) -> Flow[None]:
    """Set the TTL check passing every ``interval`` seconds, until stopped.

    A 404 (the agent does not know the check: it restarted, or someone
    deregistered the service) registers the service again. Other errors
    are ridden out: the next try comes after ``retry`` seconds.
    """
    pause = interval
    while True:
        yield Sleep(pause)
        pause = interval
        try:
            try:
                yield passing
            except NotFound:
                yield register
                yield passing
        except ConsulException:
            pause = min(retry, interval)


class Registration(Handle[M]):
    """A service registered with a TTL check that a heartbeat keeps passing.

    ``client.agent.service.keep_registered(name, ...)``. :meth:`start`
    registers and starts the heartbeat, :meth:`stop` ends it and
    deregisters, each in the client's way; or use it as a context manager
    (``with``; ``async with`` on the asyncio, Tornado and Twisted clients).
    """

    def __init__(
        self,
        client: ConsulBase[M],
        *,
        service_id: str,
        check_id: str,
        interval: float,
        register: Call[bool],
        passing: Call[bool],
        deregister: Call[bool],
    ) -> None:
        super().__init__(client)
        self.service_id = service_id
        self.check_id = check_id
        self._interval = interval
        self._register = register
        self._passing = passing
        self._deregister = deregister
        self._task: Task | None = None

    @property
    def registered(self) -> bool:
        """True from :meth:`start` until :meth:`stop`."""
        return self._task is not None

    @flow
    def start(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """Register the service, set its check passing, and start the heartbeat."""
        return self._start()

    def _start(self) -> Flow[None]:
        if self._task is not None:
            raise RuntimeError("the service is kept registered already")
        yield self._register
        yield self._passing
        beating = heartbeat(self._passing, self._register, self._interval)
        self._task = self._flows.spawn(beating, on_end=_ignore)

    @flow
    def stop(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[None]:
        """End the heartbeat and deregister the service."""
        return self._stop()

    def _stop(self) -> Flow[None]:
        task, self._task = self._task, None
        if task is not None:
            yield Join(task)
        yield self._deregister

    def _enter(self) -> Flow[Any]:
        return self._start()

    def _exit(self) -> Flow[Any]:
        return self._stop()


def _ignore(result: Any, error: BaseException | None) -> None:
    """The heartbeat ends only when stopped."""
