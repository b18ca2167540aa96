"""Starting and stopping an embedded agent.

:class:`DevAgent` is the public handle: it builds the agent's state
(:class:`~consul.testing.state.core.AgentCore`), gives it the check runners
that probe the outside world (:mod:`.probes`), and runs the HTTP server
(:mod:`.http`) either on a thread of its own (for blocking, thread-pool,
Tornado and Twisted code) or inside an already running asyncio loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Self

from .http.connection import ConnectionLimits
from .http.endpoints import all_routes
from .http.server import HTTPServer, build_server
from .probes import probe_factory
from .state.config import AgentConfig, join_host_port
from .state.core import AgentCore

__all__ = ["DevAgent"]


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The agent thread: run the loop until stopped, then close it."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())  # large decodes' threads
        loop.close()


class DevAgent:
    """A Consul-compatible agent in this process, like ``consul agent -dev``.

    ``with DevAgent() as agent:`` runs it on a thread of its own (usable from
    any code); ``async with DevAgent() as agent:`` runs it in the current
    asyncio loop. ``agent.http_addr`` is its ``127.0.0.1:PORT``; pass
    ``port=0`` (the default) for any free port. ``host="unix:///path"``
    serves the HTTP API on a unix socket instead (``agent.http_addr`` is
    then ``unix:///path``), as Consul's ``addresses { http = "unix://..." }``.

    Keyword arguments are :class:`AgentConfig`'s fields (``datacenter``,
    ``node_name``, ``acl_initial_management``, ``acl_default_policy``,
    ``extra_datacenters``, ...), or pass a whole ``config``. With
    ``https_port`` (0: any free port) and ``tls_cert_file``/``tls_key_file``
    it also serves HTTPS, as Consul's ``ports.https`` does.
    """

    def __init__(self, config: AgentConfig | None = None, **settings: Any) -> None:
        if config is None:
            settings.setdefault("port", 0)
            config = AgentConfig(**settings)
        elif settings:
            raise TypeError("pass either config or settings, not both")
        self.config = config
        self.core: AgentCore | None = None
        self._server: HTTPServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._stopped.set()
        self._stopped_async: asyncio.Event | None = None
        self._closing: asyncio.Task[None] | None = None
        self._port = 0
        self._https_port = 0

    # -- addresses -------------------------------------------------------------

    @property
    def host(self) -> str:
        """The (first) TCP address the HTTP API listens on."""
        for kind, address in self.config.http_addresses():
            if kind == "tcp":
                return address
        raise RuntimeError("the agent listens on a unix socket only")

    @property
    def unix_socket(self) -> str | None:
        """The path of the (first) unix socket the HTTP API listens on, if any."""
        for kind, address in self.config.http_addresses():
            if kind == "unix":
                return address
        return None

    @property
    def port(self) -> int:
        """The HTTP port (the one picked, once started with ``port=0``)."""
        if not self._port:
            if self.running:
                raise RuntimeError("the agent listens on a unix socket only")
            raise RuntimeError("the agent is not running")
        return self._port

    @property
    def https_port(self) -> int:
        """The HTTPS port (``ports.https``; the one picked, if that was 0)."""
        if not self._https_port:
            raise RuntimeError("the agent is not serving HTTPS")
        return self._https_port

    @property
    def https_addr(self) -> str:
        """``HOST:PORT`` of the HTTPS API."""
        return join_host_port(self.host, self.https_port)

    @property
    def http_addr(self) -> str:
        """Its address as ``CONSUL_HTTP_ADDR`` takes it: ``HOST:PORT``, or ``unix:///path``.

        The first of the configured addresses (``host``).
        """
        kind, address = self.config.http_addresses()[0]
        if kind == "unix":
            return f"unix://{address}"
        return join_host_port(address, self.port)

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of its (first) TCP address."""
        return f"http://{join_host_port(self.host, self.port)}"

    @property
    def management_token(self) -> str | None:
        """The initial management token, if ACLs were enabled with one."""
        return self.config.acl_initial_management or None

    @property
    def running(self) -> bool:
        """True from start until stop (or ``PUT /v1/agent/leave``)."""
        return not self._stopped.is_set()

    # -- running in the current asyncio loop -------------------------------------

    async def start_async(self) -> Self:
        """Start serving in the running asyncio loop."""
        if self.running:
            raise RuntimeError("the agent is already running")
        core = AgentCore(self.config, probe_factory)
        core.on_leave = self._leave
        config = self.config
        self._port = self._https_port = 0
        limits = ConnectionLimits(
            max_conns_per_client=config.http_max_conns_per_client,
            max_header_bytes=config.http_max_header_bytes,
            read_header_timeout=config.read_header_timeout,
        )
        server = build_server(core, all_routes(), limits)
        try:
            await self._listen(server)
        except BaseException:
            core.close()
            await server.close()
            raise
        self.core = core
        self._server = server
        self._loop = asyncio.get_running_loop()
        self._stopped_async = asyncio.Event()
        self._closing = None
        self._stopped.clear()
        return self

    async def _listen(self, server: HTTPServer) -> None:
        """Listen on every address of ``host`` (and HTTPS on its TCP ones).

        Several TCP addresses share one port, as in Consul; with port 0 the
        one the first got.
        """
        config = self.config
        port = config.port
        https = config.https_context()
        https_port = config.https_port
        for kind, address in config.http_addresses():
            if kind == "unix":
                await server.listen_unix(
                    address,
                    config.unix_socket_user,
                    config.unix_socket_group,
                    config.unix_socket_mode,
                )
                continue
            port = await server.listen_tcp(address, port)
            self._port = self._port or port
            if https is not None:
                https_port = await server.listen_tcp(
                    address, https_port, https, config.https_handshake_timeout
                )
                self._https_port = self._https_port or https_port

    async def stop_async(self) -> None:
        """Stop serving (from the loop the agent runs in); a no-op once stopped.

        Blocking queries still waiting return what they have, as when a
        real agent shuts down. A stop already under way (a leave) is joined.
        """
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        if self.core is not None:
            core, self.core = self.core, None
            core.close()
            await core.local.wait_closed()
        if self._server is not None:
            server, self._server = self._server, None
            await server.close()
        self._https_port = 0
        self._stopped.set()
        if self._stopped_async is not None:
            self._stopped_async.set()

    async def stopped(self) -> None:
        """Wait (in the agent's loop) until it stops: ``stop_async`` or a leave."""
        if self._stopped_async is not None:
            await self._stopped_async.wait()

    async def __aenter__(self) -> Self:
        return await self.start_async()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_async()

    # -- running on a thread of its own --------------------------------------

    def start(self) -> Self:
        """Start serving on a new thread with its own event loop.

        Works from any thread, also one that runs an event loop of its own
        (the call blocks it for the few milliseconds the start takes).
        """
        if self.running:
            raise RuntimeError("the agent is already running")
        if self._thread is not None:
            self.stop()  # stopped by a leave: end its thread first
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=_run_loop, args=(loop,), name="consul-dev-agent")
        thread.daemon = True
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start_async(), loop).result()
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            raise
        self._thread = thread
        return self

    def stop(self) -> None:
        """Stop serving and end the agent's thread (no-op if not running)."""
        loop, thread = self._loop, self._thread
        if thread is None or loop is None:
            return
        if threading.current_thread() is thread:
            raise RuntimeError("stop() cannot run on the agent's own loop; use stop_async()")
        asyncio.run_coroutine_threadsafe(self.stop_async(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the agent stops (True) or ``timeout`` passes (False)."""
        return self._stopped.wait(timeout)

    # -- control -------------------------------------------------------------

    def run(self, fn: Callable[[AgentCore], Any]) -> Any:
        """Call ``fn(core)`` on the agent's loop and return what it returns.

        For tests that reach into the state; thread-safe.
        """
        if self.core is None or self._loop is None:
            raise RuntimeError("the agent is not running")
        core, loop = self.core, self._loop

        async def call() -> Any:
            return fn(core)

        try:
            if asyncio.get_running_loop() is loop:
                return fn(core)
        except RuntimeError:
            pass
        return asyncio.run_coroutine_threadsafe(call(), loop).result()

    def reset(self) -> None:
        """Forget all state, as if freshly started (cheap: no restart)."""
        self.run(lambda core: core.reset())

    def _leave(self) -> None:
        # PUT /v1/agent/leave has been answered: stop serving, as the agent
        # shuts down once it left. On a thread of its own the idle loop
        # stays until stop() ends it.
        if self._loop is not None and self._closing is None:
            self._closing = self._loop.create_task(self._close())

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"<DevAgent {self.config.datacenter} {state}>"
