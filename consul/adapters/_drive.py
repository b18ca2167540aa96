"""The flow drivers of the adapters: one for threads, one for coroutines.

A flow yields steps; the driver performs each one and resumes the flow:

- :class:`~consul._http.Call`: send it and send back the result, or throw the
  step's :class:`~consul.exceptions.ConsulException` into the flow so that it
  can decide (retry, give up, ...);
- :class:`~consul._http.Sleep`: wait;
- :class:`~consul._http.Deliver`: hand the value to the flow's consumer (the
  next item of an iterator, a callback; an awaitable or future a callback
  returns is waited for before the flow goes on);
- :class:`~consul._http.Join`: stop a background flow and wait for its end.

Any other exception is a bug, or a cancellation: it closes the flow (running
its ``finally`` blocks) and propagates; so does
:class:`~consul.exceptions.ClientClosed`, which no retry can get past.

Flows that run until stopped (watches, a lock's monitor, a session's
renewals) are driven with a :class:`Stopper`: stopping aborts the step in
flight (the thread driver's transport shuts its socket down; the coroutine
driver cancels the step's task), then :class:`~consul._http.Stopped` is
thrown into the flow, once. :class:`ThreadFlows` and :class:`AsyncFlows`
bundle what a runner offers the recipes: drive a flow, iterate over what it
delivers, start it in the background, and make the loop's own kind of
future (resolved when a lock is lost, a watch started with a callback ends).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, Protocol, TypeVar

from .._flows import OnDeliver, OnEnd, Resolve
from .._http import Call, Deliver, Flow, Join, Sleep, Step, Stopped
from ..exceptions import ClientClosed, ConsulException

T = TypeVar("T")


class Done(Exception):
    """Raised by :func:`advance` when the flow returned ``value``."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def advance(flow: Flow[Any], value: Any, error: BaseException | None) -> Step:
    """Resume ``flow`` with the last step's result, or its error; the next step."""
    try:
        return flow.throw(error) if error is not None else flow.send(value)
    except StopIteration as stop:
        raise Done(stop.value) from None


class Stopper:
    """The stop switch of one driven flow; thread-safe.

    :meth:`stop` aborts the step in flight (the abort its driver registered
    with :meth:`abortable`) and wakes a sleep. The driver then throws
    :class:`~consul._http.Stopped` into the flow once (:meth:`tell`); the
    steps the flow takes after that, to clean up, run to their end.
    """

    def __init__(self) -> None:
        # Re-entrant: a Twisted abort (Deferred.cancel) resumes the driver
        # synchronously, inside stop().
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._abort: Callable[[], object] | None = None
        self._told = False
        self.stopped = False

    def stop(self) -> None:
        """Stop the flow: abort its step in flight; a no-op once stopped."""
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
            self._wake.set()
            abort, self._abort = self._abort, None
            # Under the lock, so that the step cannot end (and its connection
            # go back to a pool) while it is being aborted.
            if abort is not None:
                abort()

    @property
    def interrupted(self) -> bool:
        """Stopped, and the flow not told yet: what the step in flight ended with is moot."""
        return self.stopped and not self._told

    def tell(self) -> bool:
        """True once, when the driver must throw ``Stopped`` into the flow."""
        with self._lock:
            if self.stopped and not self._told:
                self._told = True
                return True
            return False

    def abortable(self, abort: Callable[[], object]) -> None:
        """Register how to abort the step now in flight (at once if already stopped).

        Steps taken after the flow was told are not aborted: they clean up.
        """
        with self._lock:
            if self._told:
                return
            if self.stopped:
                abort()
            else:
                self._abort = abort

    def settled(self) -> None:
        """The step in flight has ended: nothing to abort any more."""
        with self._lock:
            self._abort = None

    def sleep(self, seconds: float) -> None:
        """Sleep on this thread until ``seconds`` pass or the flow is stopped."""
        self._wake.wait(seconds)


# -- threads ---------------------------------------------------------------------


def thread_steps(
    flow: Flow[T],
    run: Callable[[Call[Any]], Any],
    sleep: Callable[[float], Any],
    stopper: Stopper | None = None,
) -> Generator[Any, None, T]:
    """Run ``flow`` in this thread; yield what it delivers, return what it returns."""
    value: Any = None
    error: BaseException | None = None
    with contextlib.closing(flow):
        while True:
            if stopper is not None and stopper.tell():
                value, error = None, Stopped()
            try:
                step = advance(flow, value, error)
            except Done as done:
                result: T = done.value
                return result
            except Stopped:
                if stopper is None or not stopper.stopped:
                    raise
                return None  # type: ignore[return-value]  # a stopped flow's result
            value, error = None, None
            if isinstance(step, Deliver):
                yield step.value
                continue
            if isinstance(step, Join):
                step.task.join()
                continue
            try:
                if isinstance(step, Sleep):
                    sleep(step.seconds)
                else:
                    value = run(step)
            except ConsulException as exc:
                if stopper is not None and stopper.interrupted:
                    pass  # what the stop's abort made of the step
                elif isinstance(exc, ClientClosed):
                    raise
                else:
                    error = exc


def _hand_over(steps: Generator[Any, None, T], deliver: OnDeliver | None) -> T:
    """Drain ``steps``, giving each delivered value to ``deliver``; the result."""
    with contextlib.closing(steps):
        while True:
            try:
                value = next(steps)
            except StopIteration as stop:
                result: T = stop.value
                return result
            if deliver is None:
                raise TypeError("this flow delivers values: iterate over it or give a callback")
            outcome = deliver(value)
            if isinstance(outcome, concurrent.futures.Future):
                outcome.result()


def drive(
    flow: Flow[T],
    run: Callable[[Call[Any]], Any],
    sleep: Callable[[float], Any],
    *,
    stopper: Stopper | None = None,
    deliver: OnDeliver | None = None,
) -> T:
    """Run ``flow`` to its end with a blocking ``run`` and ``sleep``."""
    return _hand_over(thread_steps(flow, run, sleep, stopper), deliver)


class _Running:
    """The stoppers of the flows under way, which closing the client stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stoppers: set[Stopper] = set()

    @contextlib.contextmanager
    def add(self, stopper: Stopper) -> Generator[None, None, None]:
        """Count ``stopper``'s flow as under way while the block runs."""
        with self._lock:
            self._stoppers.add(stopper)
        try:
            yield
        finally:
            with self._lock:
                self._stoppers.discard(stopper)

    def stop_all(self) -> None:
        """Stop them all."""
        with self._lock:
            stoppers = list(self._stoppers)
        for stopper in stoppers:
            stopper.stop()


class ThreadTask:
    """A flow running on a thread of its own (see :meth:`ThreadFlows.spawn`)."""

    def __init__(self, stopper: Stopper) -> None:
        self.stopper = stopper
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        """Stop the flow (thread-safe); returns at once."""
        self.stopper.stop()

    def join(self) -> None:
        """Stop the flow and wait until its thread has ended (unless called from it)."""
        self.stop()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join()


class FlowIterator:
    """The values a flow delivers, as a blocking iterator with a thread-safe :meth:`stop`."""

    def __init__(self, steps: Generator[Any, None, Any], stopper: Stopper) -> None:
        self._steps = steps
        self._stopper = stopper

    def __iter__(self) -> FlowIterator:
        return self

    def __next__(self) -> Any:
        return next(self._steps)

    def stop(self) -> None:
        """End the iteration: abort the request in flight; the iterator ends."""
        self._stopper.stop()

    def close(self) -> None:
        """Close the flow now (from the iterating thread)."""
        self._steps.close()


#: Opens the transport of one stoppable flow: a context giving its ``run``.
OpenRun = Callable[[Stopper], contextlib.AbstractContextManager[Callable[[Call[Any]], Any]]]


class ThreadFlows:
    """What the blocking and thread-pool runners offer the recipes (``consul._flows.Flows``).

    ``run`` sends a call in the calling thread. ``open_run`` gives a flow
    that can be stopped a transport of its own whose request in flight the
    stopper can abort.
    """

    blocking = True

    def __init__(self, run: Callable[[Call[Any]], Any], open_run: OpenRun) -> None:
        self._run = run
        self._open_run = open_run
        self._running = _Running()

    def drive(self, flow: Flow[T]) -> T:
        """Run ``flow`` to its end in this thread."""
        return drive(flow, self._run, time.sleep)

    def iterate(self, flow: Flow[Any]) -> FlowIterator:
        """Iterate, in this thread, over the values ``flow`` delivers."""
        stopper = Stopper()

        def steps() -> Generator[Any, None, Any]:
            with self._running.add(stopper), self._open_run(stopper) as run:
                return (yield from thread_steps(flow, run, stopper.sleep, stopper))

        return FlowIterator(steps(), stopper)

    def spawn(
        self, flow: Flow[Any], *, on_end: OnEnd, deliver: OnDeliver | None = None
    ) -> ThreadTask:
        """Run ``flow`` on a new (daemon) thread until it ends or is stopped.

        ``deliver`` gets its values on that thread; ``on_end`` is called
        there, last, with the result or the exception that ended it.
        """
        stopper = Stopper()
        task = ThreadTask(stopper)

        def main() -> None:
            result: Any = None
            error: BaseException | None = None
            try:
                with self._running.add(stopper), self._open_run(stopper) as run:
                    steps = thread_steps(flow, run, stopper.sleep, stopper)
                    result = _hand_over(steps, deliver)
            except Exception as exc:  # noqa: BLE001 - handed to on_end, whatever it is
                error = exc
            on_end(result, error)

        # A daemon: a lock nobody released must not keep the process alive.
        task.thread = threading.Thread(target=main, name="consul-flow", daemon=True)
        task.thread.start()
        return task

    def close(self) -> None:
        """Stop every flow under way (the client is closing)."""
        self._running.stop_all()

    @staticmethod
    def future() -> tuple[concurrent.futures.Future[Any], Resolve]:
        """A ``concurrent.futures.Future`` and the function that resolves it (once)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def resolve(result: Any, error: BaseException | None) -> None:
            if not future.done():
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)

        return future, resolve


# -- coroutines ------------------------------------------------------------------


class Cancellable(Protocol):
    """A started step (asyncio Task, Twisted Deferred): awaitable, cancellable."""

    def cancel(self) -> Any:
        """Abandon the step."""

    def __await__(self) -> Generator[Any, Any, Any]:
        """Wait for its result."""
        ...


async def _async_steps(
    flow: Flow[Any],
    run: Callable[[Call[Any]], Awaitable[Any]],
    sleep: Callable[[float], Awaitable[Any]],
    start: Callable[[Any], Cancellable] | None,
    stopper: Stopper | None,
    result: list[Any],
) -> AsyncGenerator[Any, None]:
    """Run ``flow``; yield what it delivers; append what it returns to ``result``.

    With a ``stopper``, each step runs as a task of its own (``start``) so
    that stopping cancels the step, not the coroutine driving the flow.
    """
    value: Any = None
    error: BaseException | None = None
    with contextlib.closing(flow):
        while True:
            if stopper is not None and stopper.tell():
                value, error = None, Stopped()
            try:
                step = advance(flow, value, error)
            except Done as done:
                result.append(done.value)
                return
            except Stopped:
                if stopper is None or not stopper.stopped:
                    raise
                result.append(None)
                return
            value, error = None, None
            if isinstance(step, Deliver):
                yield step.value
                continue
            if isinstance(step, Join):
                await step.task.join()
                continue
            pending = sleep(step.seconds) if isinstance(step, Sleep) else run(step)
            try:
                if stopper is None or start is None:
                    value = await pending
                else:
                    started = start(pending)
                    stopper.abortable(started.cancel)
                    try:
                        value = await started
                    finally:
                        stopper.settled()
            except ConsulException as exc:
                if stopper is not None and stopper.interrupted:
                    pass  # what the stop's abort made of the step
                elif isinstance(exc, ClientClosed):
                    raise
                else:
                    error = exc
            except BaseException:
                # The cancellation of an aborted step is the stop itself.
                if stopper is None or not stopper.interrupted:
                    raise


async def drive_async(
    flow: Flow[T],
    run: Callable[[Call[Any]], Awaitable[Any]],
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    *,
    start: Callable[[Any], Cancellable] | None = None,
    stopper: Stopper | None = None,
    deliver: OnDeliver | None = None,
) -> T:
    """Run ``flow`` to its end in a coroutine.

    ``sleep`` is asyncio's unless given: Twisted's adapter runs this coroutine
    with ``ensureDeferred`` and sleeps on its reactor.
    """
    result: list[Any] = []
    steps = _async_steps(flow, run, sleep, start, stopper, result)
    try:
        async for value in steps:
            if deliver is None:
                raise TypeError("this flow delivers values: iterate over it or give a callback")
            outcome = deliver(value)
            if inspect.isawaitable(outcome):
                await outcome
    finally:
        await steps.aclose()
    done: T = result[0]
    return done


class AsyncTask:
    """A flow running as a task of its loop (see :meth:`AsyncFlows.spawn`)."""

    def __init__(self, stopper: Stopper) -> None:
        self.stopper = stopper
        self.handle: Cancellable | None = None

    def stop(self) -> None:
        """Stop the flow; returns at once (call it on the loop)."""
        self.stopper.stop()

    async def join(self) -> None:
        """Stop the flow and wait for its end."""
        self.stop()
        if self.handle is not None:
            with contextlib.suppress(Exception):
                await self.handle


class AsyncFlowIterator:
    """The values a flow delivers, as an async iterator with a :meth:`stop`."""

    def __init__(self, steps: AsyncGenerator[Any, None], stopper: Stopper) -> None:
        self._steps = steps
        self._stopper = stopper

    def __aiter__(self) -> AsyncFlowIterator:
        return self

    async def __anext__(self) -> Any:
        return await self._steps.__anext__()

    def stop(self) -> None:
        """End the iteration: cancel the request in flight; the iterator ends."""
        self._stopper.stop()

    async def aclose(self) -> None:
        """Close the flow now."""
        await self._steps.aclose()


#: Background tasks, held here because asyncio keeps only weak references.
_RUNNING: set[AsyncTask] = set()


class AsyncFlows:
    """What the asyncio, Tornado and Twisted runners offer the recipes (``consul._flows.Flows``).

    ``run`` and ``sleep`` give awaitables of the loop; ``start`` runs one as
    a cancellable task (``asyncio.ensure_future``, ``defer.ensureDeferred``);
    ``future`` makes the loop's future (with the function resolving it).
    """

    blocking = False

    def __init__(
        self,
        run: Callable[[Call[Any]], Awaitable[Any]],
        sleep: Callable[[float], Awaitable[Any]],
        start: Callable[[Any], Cancellable],
        future: Callable[[], tuple[Any, Resolve]],
    ) -> None:
        self._run = run
        self._sleep = sleep
        self._start = start
        self.future = future
        self._running = _Running()

    def drive(self, flow: Flow[T]) -> Awaitable[T]:
        """A coroutine running ``flow`` to its end."""
        return drive_async(flow, self._run, self._sleep)

    def iterate(self, flow: Flow[Any]) -> AsyncFlowIterator:
        """An async iterator over the values ``flow`` delivers (on the running loop)."""
        stopper = Stopper()

        async def steps() -> AsyncGenerator[Any, None]:
            with self._running.add(stopper):
                async for value in _async_steps(
                    flow, self._run, self._sleep, self._start, stopper, []
                ):
                    yield value

        return AsyncFlowIterator(steps(), stopper)

    def spawn(
        self, flow: Flow[Any], *, on_end: OnEnd, deliver: OnDeliver | None = None
    ) -> AsyncTask:
        """Run ``flow`` as a task of the running loop until it ends or is stopped.

        ``on_end`` is called last, on the loop, with the result or the
        exception that ended it.
        """
        stopper = Stopper()
        task = AsyncTask(stopper)

        async def main() -> None:
            try:
                with self._running.add(stopper):
                    result = await drive_async(
                        flow,
                        self._run,
                        self._sleep,
                        start=self._start,
                        stopper=stopper,
                        deliver=deliver,
                    )
            except Exception as exc:  # noqa: BLE001 - handed to on_end, whatever it is
                on_end(None, exc)
            else:
                on_end(result, None)
            finally:
                _RUNNING.discard(task)

        _RUNNING.add(task)
        task.handle = self._start(main())
        return task

    def close(self) -> None:
        """Stop every flow under way (the client is closing; call it in the loop)."""
        self._running.stop_all()


def asyncio_future() -> tuple[asyncio.Future[Any], Resolve]:
    """A Future of the running asyncio loop and the function that resolves it (once)."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def resolve(result: Any, error: BaseException | None) -> None:
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    return future, resolve


__all__ = [
    "AsyncFlowIterator",
    "AsyncFlows",
    "AsyncTask",
    "FlowIterator",
    "Stopper",
    "ThreadFlows",
    "ThreadTask",
    "asyncio_future",
    "drive",
    "drive_async",
]
