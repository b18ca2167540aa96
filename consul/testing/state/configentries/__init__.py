"""Configuration entries: the ``config-entries`` table and its kinds.

The table of one datacenter is :class:`ConfigEntryStore` (``dc.config_entries``);
each kind is a :class:`Kind` declared by one module of this package and
listed once below, in ``register(...)``. Adding a kind is a module and a
line. :func:`decode_entry` decodes a request body as Consul does.
"""

from __future__ import annotations

from . import (
    discovery_chain,
    exported_services,
    gateway_entries,
    mesh,
    proxy_defaults,
    service_defaults,
    service_intentions,
)
from .registry import KINDS, Denied, Entry, EntryDecodeError, Kind, decode_entry, kind_of, register
from .store import ConfigEntryStore, EntriesView

__all__ = [
    "KINDS",
    "ConfigEntryStore",
    "Denied",
    "EntriesView",
    "Entry",
    "EntryDecodeError",
    "Kind",
    "decode_entry",
    "kind_of",
]

register(
    (
        service_defaults.KIND,
        proxy_defaults.KIND,
        mesh.KIND,
        discovery_chain.ROUTER_KIND,
        discovery_chain.SPLITTER_KIND,
        discovery_chain.RESOLVER_KIND,
        gateway_entries.INGRESS_KIND,
        gateway_entries.TERMINATING_KIND,
        exported_services.KIND,
        service_intentions.KIND,
    )
)
