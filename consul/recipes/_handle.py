"""What every recipe's handle shares: its client's loop, and its native types.

A handle (a lock, a watch, a kept-alive session...) is a
:class:`~consul._endpoint.Group` of its client, so that its ``@flow`` methods
return each loop's own type, as endpoint methods do. The handle's work runs
through the runner's ``flows`` (see ``consul/adapters/_drive.py``): a flow
driven to its end, iterated over, or started in the background; futures are
the loop's own (``concurrent.futures``, asyncio, Twisted).
"""

from __future__ import annotations

import concurrent.futures
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast, overload

from .._endpoint import (
    AsyncIO,
    Blocking,
    Callback,
    Group,
    ThreadPool,
    Tornado,
    Twisted,
    duration,
    integer,
)
from .._flows import Flows, Task
from .._http import Flow, Join

if TYPE_CHECKING:
    from asyncio import Future as AsyncioFuture

    from twisted.internet.defer import Deferred

M = TypeVar("M")
T = TypeVar("T")
B = TypeVar("B")
P = TypeVar("P")
A = TypeVar("A")
O = TypeVar("O")  # noqa: E741 - the five modes' initials: B, P, A, O (tornadO), W
W = TypeVar("W")


class ByMode(Generic[B, P, A, O, W]):
    """An attribute of a handle whose type depends on its client's mode.

    The five type parameters are its type on the blocking, thread-pool,
    asyncio, Tornado and Twisted clients; the value is the handle's attribute
    ``name``.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Group[Blocking], owner: type[Any]) -> B: ...
    @overload
    def __get__(self, obj: Group[ThreadPool], owner: type[Any]) -> P: ...
    @overload
    def __get__(self, obj: Group[AsyncIO], owner: type[Any]) -> A: ...
    @overload
    def __get__(self, obj: Group[Tornado], owner: type[Any]) -> O: ...
    @overload
    def __get__(self, obj: Group[Twisted], owner: type[Any]) -> W: ...
    @overload
    def __get__(self, obj: Group[Callback], owner: type[Any]) -> Any: ...
    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        value = getattr(obj, self._name)
        if value is None:
            raise RuntimeError(f"{type(obj).__name__} has not started yet")
        return value


if TYPE_CHECKING:
    #: A future of each loop, resolved with None (a lock's loss...).
    Notice = ByMode[
        concurrent.futures.Future[None],
        concurrent.futures.Future[None],
        AsyncioFuture[None],
        AsyncioFuture[None],
        Deferred[None],
    ]

_Sync = TypeVar("_Sync", bound="Handle[Blocking] | Handle[ThreadPool] | Handle[Callback]")
_Async = TypeVar("_Async", bound="Handle[AsyncIO] | Handle[Tornado] | Handle[Twisted]")


def flows_of(group: Group[Any]) -> Flows:
    """How the client of ``group`` runs the recipes' flows (its runner's ``flows``)."""
    return cast(Flows, group._client._runner.flows)  # type: ignore[attr-defined]


class Handle(Group[M]):
    """Base class of the recipes' handles: a context manager in each loop's way.

    ``with`` on the blocking and thread-pool clients, ``async with`` on the
    asyncio, Tornado and Twisted ones (in a coroutine of the loop; with
    Twisted, one run by ``Deferred.fromCoroutine``). ``consul.base.Consul``
    on an ``http`` object that blocks is a blocking client here. Entering runs
    :meth:`_enter`'s flow (acquire, register...), leaving :meth:`_exit`'s
    (release, deregister...), also when the block raised.
    """

    @property
    def _flows(self) -> Flows:
        return flows_of(self)

    def _drive(self, flow: Flow[Any]) -> Any:
        return self._client._runner.run_flow(flow)

    def _enter(self) -> Flow[Any]:
        raise NotImplementedError

    def _exit(self) -> Flow[Any]:
        raise NotImplementedError

    def _blocking(self, how: str) -> None:
        if not self._flows.blocking:
            raise TypeError(f"use '{how}' with this client")

    def __enter__(self: _Sync) -> _Sync:
        self._blocking("async with")
        _result(self._drive(self._enter()))
        return self

    def __exit__(self: _Sync, *exc: object) -> None:
        _result(self._drive(self._exit()))

    async def __aenter__(self: _Async) -> _Async:
        if self._flows.blocking:
            raise TypeError("use 'with' with this client")
        await self._drive(self._enter())
        return self

    async def __aexit__(self: _Async, *exc: object) -> None:
        await self._drive(self._exit())


def seconds(value: str | float, name: str) -> float:
    """A duration argument in seconds (a number, or a Go duration string such as ``"15s"``)."""
    return duration(value, name)[1]


def count(value: int, name: str) -> int:
    """A count argument: an int, not negative."""
    if integer(value, name) < 0:
        raise ValueError(f"{name} must not be negative, not {value}")
    return value


class Stopping:
    """Set when a handle stops a background flow on purpose.

    The flow's end is then no loss to report. Truthy once set.
    """

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        """Mark the flow as stopped on purpose."""
        self._set = True

    def __bool__(self) -> bool:
        return self._set


def _result(outcome: Any) -> Any:
    """The value of a blocking client's call, or of a thread-pool client's Future."""
    if isinstance(outcome, concurrent.futures.Future):
        return outcome.result()
    return outcome


def deliver_to(callback: Callable[..., object]) -> Callable[[Any], object]:
    """A flow's delivery of ``(index, value)`` as ``callback(index, value)``.

    What the callback returns (a Future, an awaitable, a Deferred) is waited
    for before the next value.
    """

    def deliver(item: Any) -> object:
        outcome = callback(*item)
        return outcome if inspect.isawaitable(outcome) or _is_future(outcome) else None

    return deliver


def _is_future(value: object) -> bool:
    return isinstance(value, concurrent.futures.Future)


def then_join(
    body: Flow[T], task: Task | None, *, keep: Callable[[T], bool] | None = None
) -> Flow[T]:
    """Run ``body``, then stop the background ``task`` and wait for its end.

    Also when ``body`` raised; but not if ``keep(result)`` is true (an
    acquisition that took keeps its session's renewal). When the flow is
    closed instead (its caller was cancelled), ``task`` is only told to
    stop, as nothing can be waited for any more.
    """
    try:
        result = yield from body
    except GeneratorExit:
        if task is not None:
            task.stop()
        raise
    except BaseException:
        if task is not None:
            yield Join(task)
        raise
    if task is not None and not (keep is not None and keep(result)):
        yield Join(task)
    return result
