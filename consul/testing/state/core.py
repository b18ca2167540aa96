"""The whole state of one embedded agent.

:class:`AgentCore` holds an agent's configuration, the state of each of its
datacenters (:class:`~.datacenter.Datacenter`), its ACL tables, its local
state (services and checks registered with it) and its event buffer. Each
agent has its own random numbers (blocking-query jitter, check staggers),
never the :mod:`random` module's shared state, which the program under test
may have seeded or a property-based test may be watching.

It lives on one asyncio loop; the HTTP layer (:mod:`consul.testing.http`)
reads and writes it from handlers running there.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable

from .acl.store import ACLStore
from .cache import AgentCache
from .checks import Probe
from .config import AgentConfig
from .datacenter import Datacenter
from .event import EventBuffer
from .local import LocalAgent
from .log import Log
from .metrics import Metrics
from .tokens import AgentTokens

__all__ = ["AgentCore"]


class AgentCore:
    """The embedded agent's state and configuration (one per :class:`~consul.testing.DevAgent`).

    ``probes`` makes, from the agent's random numbers, the :data:`Probe`
    that builds the runners of checks reaching outside (HTTP, TCP,
    scripts); without it those checks keep the status they were given.
    """

    def __init__(
        self, config: AgentConfig, probes: Callable[[random.Random], Probe] | None = None
    ) -> None:
        self.config = config
        self.started_at = time.time()
        self.random = random.Random()  # noqa: S311 - jitter, not security
        self.probe = probes(self.random) if probes is not None else None
        #: Called (on the loop) once ``PUT /v1/agent/leave`` has been answered.
        self.on_leave: Callable[[], None] = lambda: None
        #: The agent's log (what ``/v1/agent/monitor`` streams); it outlives resets.
        self.log = Log()
        #: The ``agent`` logger.
        self.logger = self.log.logger("agent")
        #: The agent's metrics (``/v1/agent/metrics``); they outlive resets.
        self.metrics = Metrics(config.metrics_interval, self._gauges)
        self._build()

    def _build(self) -> None:
        self.datacenters = {name: Datacenter(self.config, name) for name in self.config.datacenters}
        self.acl = ACLStore(self.config, self.primary)
        #: The agent's own ACL tokens (``PUT /v1/agent/token/:type`` sets them).
        self.tokens = AgentTokens.from_config(self.config)
        self.local = LocalAgent(
            self.config, self.home, self.random, self.logger, self.tokens, self.probe
        )
        self.events = EventBuffer(self.config, self.local)
        #: The agent's cache of server answers (``?cached`` reads).
        self.cache = AgentCache()
        for dc in self.datacenters.values():
            dc.bootstrap()
        self.acl.bootstrap()
        self.local.bootstrap()
        self.metrics.start()

    def _gauges(self, metrics: Metrics) -> None:
        """The gauges an interval starts with: the agent's tasks and its datacenter's state."""
        with contextlib.suppress(RuntimeError):  # no loop running: no tasks to count
            metrics.set_gauge("runtime.num_goroutines", len(asyncio.all_tasks()))
        home = self.home
        catalog = home.catalog
        metrics.gauges(
            (
                ("state.nodes", len(catalog.nodes)),
                ("state.services", len({s["ServiceName"] for s in catalog.services.values()})),
                ("state.service_instances", len(catalog.services)),
                ("state.kv_entries", len(home.kv.entries)),
                ("session_ttl.active", sum(bool(s.ttl) for s in home.sessions.sessions.values())),
            )
        )

    @property
    def home(self) -> Datacenter:
        """The agent's own datacenter."""
        return self.datacenters[self.config.datacenter]

    @property
    def primary(self) -> Datacenter:
        """The primary datacenter (where ACLs live)."""
        return self.datacenters[self.config.primary_datacenter]

    def reset(self) -> None:
        """Forget everything: back to the state of a freshly started agent.

        Pending blocking queries return at once with what they had, as when
        Consul abandons its state store.
        """
        self.close()
        self._build()

    def close(self) -> None:
        """Stop every timer and background task, release blocking queries, end monitors."""
        self.log.close()
        self.metrics.stop()
        self.local.close()
        self.events.abandon()
        for dc in self.datacenters.values():
            dc.abandon()
