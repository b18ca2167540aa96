"""The two flow drivers of the adapters: one blocking, one for coroutines.

A flow yields :class:`Call` and :class:`Sleep` steps. The driver performs each
step and sends the result back, or throws the step's
:class:`~consul.exceptions.ConsulException` into the flow so that it can
decide (retry, give up, ...). Any other exception is a bug, or a cancellation:
it closes the flow (running its ``finally`` blocks) and propagates; so does
:class:`~consul.exceptions.ClientClosed`, which no retry can get past.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .._http import Call, Flow, Sleep, Step
from ..exceptions import ClientClosed, ConsulException

T = TypeVar("T")


class Done(Exception):
    """Raised by :func:`advance` when the flow returned ``value``."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def advance(flow: Flow[Any], value: Any, error: ConsulException | None) -> Step:
    """Resume ``flow`` with the last step's result, or its error; the next step."""
    try:
        return flow.throw(error) if error is not None else flow.send(value)
    except StopIteration as stop:
        raise Done(stop.value) from None


def drive(flow: Flow[T], run: Callable[[Call[Any]], Any], sleep: Callable[[float], Any]) -> T:
    """Run ``flow`` to its end with a blocking ``run`` and ``sleep``."""
    value: Any = None
    error: ConsulException | None = None
    with contextlib.closing(flow):
        while True:
            try:
                step = advance(flow, value, error)
            except Done as done:
                result: T = done.value
                return result
            value, error = None, None
            try:
                if isinstance(step, Sleep):
                    sleep(step.seconds)
                else:
                    value = run(step)
            except ClientClosed:
                raise
            except ConsulException as exc:
                error = exc


async def drive_async(
    flow: Flow[T],
    run: Callable[[Call[Any]], Awaitable[Any]],
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """Run ``flow`` to its end in a coroutine.

    ``sleep`` is asyncio's unless given: Twisted's adapter runs this coroutine
    with ``ensureDeferred`` and sleeps on its reactor.
    """
    value: Any = None
    error: ConsulException | None = None
    with contextlib.closing(flow):
        while True:
            try:
                step = advance(flow, value, error)
            except Done as done:
                result: T = done.value
                return result
            value, error = None, None
            try:
                if isinstance(step, Sleep):
                    await sleep(step.seconds)
                else:
                    value = await run(step)
            except ClientClosed:
                raise
            except ConsulException as exc:
                error = exc
