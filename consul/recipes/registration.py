"""A service kept registered while the process lives (what ianitor did).

:meth:`Registration.start` registers the service with a TTL check and sets
the check passing; a heartbeat (:func:`heartbeat`) sets it passing again
every TTL/2 in the background, registering the service again if the agent
forgot it (a restarted agent answers ``404 Unknown check ID``);
:meth:`Registration.stop` ends the heartbeat and deregisters the service. A
process that dies without deregistering leaves a check that turns critical
after the TTL (and the service is deregistered after ``deregister_after``,
if given).

``client.agent.service.keep_registered(...)`` makes the handle: the
clients' ``agent`` is a :class:`LocalAgent`, whose ``service`` group,
:class:`Services`, has that method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._endpoint import duration, flow
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow, Join, Sleep
from ..api.agent import Agent, AgentChecks, AgentServices
from ..check import Check
from ..exceptions import ConsulException, NotFound
from ._handle import Handle

if TYPE_CHECKING:
    from .._flows import Task
    from ..base import ConsulBase

M = TypeVar("M")

__all__ = ["LocalAgent", "Registration", "Services", "heartbeat"]

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


class Services(AgentServices[M]):
    """The agent's service endpoints (:class:`~consul.api.agent.AgentServices`), and
    :meth:`keep_registered`: the clients' ``agent.service`` group."""

    def keep_registered(
        self,
        name: str,
        service_id: str | None = None,
        *,
        ttl: str | float = 15,
        deregister_after: str | float | None = None,
        address: str | None = None,
        port: int | None = None,
        tags: Sequence[str] | None = None,
        meta: Mapping[str, str] | None = None,
        notes: str | None = None,
        token: str | None = None,
    ) -> Registration[M]:
        """A service kept registered while this process lives (a ``Registration``).

        The service (its ID ``service_id``, default ``name``) gets a TTL
        check (``service:<ID>``) of ``ttl``; once started, a heartbeat sets
        it passing (with ``notes`` as its output) every ``ttl``/2, and
        registers the service again if the agent forgot it. ``deregister_after``
        is the check's ``DeregisterCriticalServiceAfter``: how long after the
        process died its service stays (Consul's minimum is one minute).
        Nothing is sent until it starts.
        """
        service_id = service_id or name
        check = Check.ttl(ttl, deregister=deregister_after)
        register = AgentServices.register(
            self,
            name,
            service_id=service_id,
            address=address,
            port=port,
            tags=tags,
            meta=meta,
            check=check,
            token=token,
        )
        check_id = f"service:{service_id}"
        checks = self._client.agent.check
        return Registration(
            self._client,
            service_id=service_id,
            check_id=check_id,
            interval=duration(ttl, "ttl")[1] / 2,
            register=register,
            passing=AgentChecks.ttl_pass(checks, check_id, notes, token=token),
            deregister=AgentServices.deregister(self, service_id, token=token),
        )


class LocalAgent(Agent[M]):
    """The agent's endpoints (:class:`~consul.api.agent.Agent`), with :class:`Services`
    as its ``service`` group: the clients' ``agent`` group."""

    Service: ClassVar[type[AgentServices[Any]]] = Services
    service: Services[M]
