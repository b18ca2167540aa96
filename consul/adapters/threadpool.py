"""The thread-pool client: every call returns a ``concurrent.futures.Future``.

Two pools of threads: one for the calls that may block (blocking queries,
and flows, which may be watches) and one for the rest, so that quick calls
never queue behind long polls.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Self, TypeVar

from .._endpoint import ThreadPool, positive_int
from .._http import Call, Flow
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ..exceptions import ClientClosed
from ..transport import Transport
from ._drive import drive
from ._run import BlockingRunner, given_transport
from .std import RequestsTransport

T = TypeVar("T")

__all__ = ["Consul", "ThreadPoolRunner"]

#: Default number of threads for calls that do not block.
MAX_WORKERS = 10
#: Default number of threads for blocking queries and flows.
MAX_BLOCKING_WORKERS = 32


class ThreadPoolRunner:
    """Runs the calls of a blocking transport on two pools of threads.

    ``max_workers`` threads serve the calls that return at once,
    ``max_blocking_workers`` the blocking queries (a request with a ``wait``)
    and the flows.
    """

    def __init__(self, transport: Transport, max_workers: int, max_blocking_workers: int) -> None:
        self._calls = BlockingRunner(transport)
        self.transport = transport
        self._plain = ThreadPoolExecutor(max_workers, thread_name_prefix="consul")
        self._blocking = ThreadPoolExecutor(
            max_blocking_workers, thread_name_prefix="consul-blocking"
        )
        # Flows sleep on this, so that close() wakes them.
        self._closing = threading.Event()

    def run(self, call: Call[T]) -> Future[T]:
        """Send ``call`` on a worker thread (a blocking one if it may block)."""
        executor = self._plain if call.request.wait is None else self._blocking
        return self._submit(executor, self._calls.run, call)

    def run_flow(self, flow: Flow[T]) -> Future[T]:
        """Drive ``flow`` on a blocking worker thread."""
        return self._submit(self._blocking, drive, flow, self._calls.run, self._sleep)

    def _submit(self, executor: ThreadPoolExecutor, fn: object, *args: object) -> Future[T]:
        if self._calls.closed:
            raise ClientClosed("the client was closed")
        try:
            return executor.submit(fn, *args)  # type: ignore[arg-type]
        except RuntimeError:  # shut down by close() in another thread
            raise ClientClosed("the client was closed") from None

    def _sleep(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def close(self) -> None:
        """Abort the calls under way, cancel those not started, close the connections.

        Returns once the worker threads have ended, which is promptly: calls
        under way fail with :class:`ClientClosed` (on a transport of one's
        own, if its ``close()`` aborts them).
        """
        # Cancel what has not started first, so that no worker freed by the
        # abort below starts it.
        for executor in (self._plain, self._blocking):
            executor.shutdown(wait=False, cancel_futures=True)
        self._closing.set()
        self._calls.close()
        for executor in (self._plain, self._blocking):
            executor.shutdown(wait=True)


class Consul(ConsulBase[ThreadPool]):
    """The thread-pool client: every call returns a ``concurrent.futures.Future``.

    ``max_workers`` (default 10) threads send the calls that return at once;
    ``max_blocking_workers`` (default 32) send blocking queries (calls with
    ``index``/``hash``) and multi-request operations, each holding its thread
    while Consul holds it, so that they never delay the others; there are as
    many pooled connections as threads. See :class:`consul.base.ConsulBase`
    for the other arguments, and :mod:`consul.transport` for ``transport``
    (a :class:`~consul.transport.Transport`, called on the worker threads).
    Use as a context manager, or call :meth:`close`, which aborts the calls
    under way.
    """

    _runner: ThreadPoolRunner

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        token: str | None = None,
        scheme: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        verify: bool | str | None = None,
        cert: Cert | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        token_file: str | None = None,
        tls_server_name: str | None = None,
        http_auth: str | tuple[str, str] | None = None,
        max_workers: int = MAX_WORKERS,
        max_blocking_workers: int = MAX_BLOCKING_WORKERS,
        transport: Transport | None = None,
    ) -> None:
        if transport is not None:
            given_transport(transport, "consul.threadpool.Consul", blocking=True)
        self._transport = transport
        self._workers = (
            positive_int(max_workers, "max_workers"),
            positive_int(max_blocking_workers, "max_blocking_workers"),
        )
        super().__init__(
            host,
            port,
            token,
            scheme,
            consistency,
            dc,
            verify,
            cert,
            timeout=timeout,
            token_file=token_file,
            tls_server_name=tls_server_name,
            http_auth=http_auth,
        )

    def _make_runner(self, config: Config) -> ThreadPoolRunner:
        transport = self._transport or RequestsTransport(config, pool_size=sum(self._workers))
        return ThreadPoolRunner(transport, *self._workers)

    def close(self) -> None:
        """Abort the calls under way, then close the pools and their connections."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
