"""The state of one datacenter: a Raft-like index, its tables, and wake-ups.

Each datacenter of the embedded agent has its own state, as each real one
has its own Raft log. Every write takes the next index with :meth:`apply`
(a write that changes nothing still takes one, as a Raft apply does, but
leaves the tables' indexes alone). A write that changed something calls
:meth:`changed`, which wakes the blocking queries of the datacenter; each
re-runs its query and goes back to sleep unless its own index moved.

The stores (``dc.kv``, ``dc.catalog``, ``dc.sessions``, ``dc.coordinates``,
``dc.gateways``, ``dc.queries``, ``dc.config_entries``...) hang on it; a new kind of
replicated state gets a store here.

Everything here runs on the agent's event loop thread, so there are no locks:
a handler's synchronous code is one atomic step.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from .ca import CAStore
from .catalog import CatalogStore
from .config import AgentConfig
from .configentries import ConfigEntryStore
from .coordinate import CoordinateStore
from .gateways import GatewayServicesStore
from .kv import KVStore
from .operator import AutopilotStore
from .peering import PeeringStore
from .query import PreparedQueryStore
from .session import SessionStore
from .wakeups import Wakeups

__all__ = ["Datacenter", "Savepoint"]


class Datacenter:
    """One datacenter's state (the stores hang on it: ``dc.kv``, ``dc.catalog``...)."""

    def __init__(self, config: AgentConfig, name: str) -> None:
        self.config = config
        self.name = name
        self.index = 0
        #: The blocking queries of this datacenter.
        self.wakeups = Wakeups()
        self._timers: set[asyncio.TimerHandle] = set()
        self.kv = KVStore(self)
        self.sessions = SessionStore(self)
        self.catalog = CatalogStore(self)
        self.coordinates = CoordinateStore(self)
        self.gateways = GatewayServicesStore(self)
        self.queries = PreparedQueryStore(self)
        self.autopilot = AutopilotStore(self)
        self.ca = CAStore(self)
        self.config_entries = ConfigEntryStore(self)
        self.peerings = PeeringStore(self)

    @property
    def stores(self) -> tuple[object, ...]:
        """Every store of this datacenter (what a transaction may write)."""
        return (self.kv, self.catalog, self.sessions, self.coordinates, self.queries)

    @property
    def replicated(self) -> dict[str, Any]:
        """Every store of this datacenter's Raft state, by attribute name: what a snapshot saves.

        A store is an attribute that keeps this datacenter as its ``dc``, so a
        store hung on the datacenter in ``__init__`` is saved and restored
        with the others.
        """
        return {
            name: value for name, value in vars(self).items() if getattr(value, "dc", None) is self
        }

    @property
    def primary(self) -> bool:
        """True for the primary datacenter (where ACLs live)."""
        return self.name == self.config.primary_datacenter

    @property
    def blocking_queries(self) -> int:
        """Blocking queries waiting for a change now (Consul's ``rpc.queries_blocking``)."""
        return len(self.wakeups)

    def bootstrap(self) -> None:
        """What the datacenter's leader writes at start: its server node and coordinate."""
        self.catalog.bootstrap()
        self.coordinates.bootstrap()
        self.autopilot.bootstrap()
        self.ca.bootstrap()

    def apply(self) -> int:
        """The index of a new write (Raft's next log index)."""
        self.index += 1
        return self.index

    def changed(self) -> None:
        """Wake every blocking query of this datacenter to re-run."""
        self.wakeups.notify()

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any
    ) -> asyncio.TimerHandle:
        """Schedule ``callback`` on the agent's loop; cancelled if the state is abandoned."""
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            callback(*args)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)
        return handle

    def cancel_timer(self, handle: asyncio.TimerHandle | None) -> None:
        """Cancel a timer made by :meth:`call_later` (None is ignored)."""
        if handle is not None:
            handle.cancel()
            self._timers.discard(handle)

    def abandon(self) -> None:
        """Drop this state (a reset): cancel its timers, release its blocking queries.

        A blocking query whose state is abandoned returns what it has, as
        Consul's do when a snapshot restore abandons the state store.
        """
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        self.wakeups.close()

    def restore(self, index: int, load: Callable[[str, Any], None]) -> None:
        """Replace the whole state, as a snapshot restore does (``fsm.Restore``).

        The old state is abandoned (its timers cancelled, its blocking
        queries answered at once with what they had); each store is made
        anew and ``load(name, store)`` fills its tables; the index becomes
        ``index``, which may be lower than before.
        """
        self.abandon()
        self.wakeups = Wakeups()
        for name, store in self.replicated.items():
            fresh = type(store)(self)
            load(name, fresh)
            setattr(self, name, fresh)
        self.index = index


class Savepoint:
    """The tables of a datacenter's stores, captured so a failed write leaves no trace.

    Consul runs a transaction in one memdb write transaction and aborts it on
    any error. Here the tables of every store are copied before the
    operations run and put back if any fails. A table is a store's public
    attribute; timers and other private state are left alone (the writes a
    transaction makes do not touch them). Nothing is announced
    (``dc.changed()``) until the transaction has succeeded, so no blocking
    query sees the attempt.
    """

    def __init__(self, dc: Datacenter) -> None:
        self._saved = [(store, self._capture(store)) for store in dc.stores]

    @staticmethod
    def _capture(store: object) -> dict[str, Any]:
        return {
            name: copy.deepcopy(value) if isinstance(value, dict | list | set) else value
            for name, value in vars(store).items()
            if not name.startswith("_") and name != "dc"
        }

    def rollback(self) -> None:
        """Put every captured store back as it was."""
        for store, attributes in self._saved:
            vars(store).update(attributes)
