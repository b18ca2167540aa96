"""The thread-pool client: every call returns a ``concurrent.futures.Future``."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Self, TypeVar

from .._endpoint import ThreadPool, integer
from .._http import Call, Flow
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ._drive import ThreadFlows, drive
from .std import RequestsRunner

T = TypeVar("T")

__all__ = ["Consul"]


class ThreadPoolRunner:
    """Runs the blocking transport on a pool of threads."""

    def __init__(self, config: Config, max_workers: int) -> None:
        self.transport = RequestsRunner(config, pool_size=max_workers)
        self.executor = ThreadPoolExecutor(max_workers, thread_name_prefix="consul")
        #: How the recipes run flows: background flows get threads of their
        #: own, not the pool's workers, which they would hold for long.
        self.flows = ThreadFlows(self.transport.run, self.transport.open_stoppable)

    def run(self, call: Call[T]) -> Future[T]:
        """Send ``call`` on a worker thread."""
        return self.executor.submit(self.transport.run, call)

    def run_flow(self, flow: Flow[T]) -> Future[T]:
        """Drive ``flow`` on a worker thread."""
        return self.executor.submit(drive, flow, self.transport.run, time.sleep)

    def close(self) -> None:
        """Wait for the calls under way, then close the connections."""
        self.executor.shutdown(wait=True)
        self.transport.close()


class Consul(ConsulBase[ThreadPool]):
    """The thread-pool client: every call returns a ``concurrent.futures.Future``.

    ``max_workers`` (default 10) is the number of threads, and of pooled
    connections; a blocking query holds one of each while it waits. See
    :class:`consul.base.ConsulBase` for the other arguments. Use as a context
    manager, or call :meth:`close`, which waits for calls under way.
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
        max_workers: int = 10,
    ) -> None:
        if integer(max_workers, "max_workers") < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self._max_workers = max_workers
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
        return ThreadPoolRunner(config, self._max_workers)

    def close(self) -> None:
        """Wait for the calls under way, then close the pool and its connections."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
