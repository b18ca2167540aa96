"""The agent's cache of server answers (``agent/cache``), as ``?cached`` reads use it.

Consul's agent keeps one entry per cache type, datacenter, token and
request (``makeEntryKey``). Some types are refreshed in the background by
blocking queries (catalog and health service lookups): their entries
follow the servers' state, so this agent answers them from the current
state and only remembers which requests it has answered. The others
(``catalog-datacenters``, ``prepared-query``) keep the answer they fetched
until a request's ``max-age`` says it is too old.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["AgentCache", "CacheEntry"]


@dataclass
class CacheEntry:
    """One cached answer: its value and when it was fetched (monotonic seconds)."""

    value: Any
    fetched_at: float

    @property
    def age(self) -> float:
        """Seconds since the answer was fetched."""
        return time.monotonic() - self.fetched_at


class AgentCache:
    """The entries of the agent's cache, by request key."""

    def __init__(self) -> None:
        self.entries: dict[Hashable, CacheEntry] = {}

    def get(self, key: Hashable) -> CacheEntry | None:
        """The entry of ``key``, or None."""
        return self.entries.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` as the answer of ``key``, fetched now."""
        self.entries[key] = CacheEntry(value, time.monotonic())
