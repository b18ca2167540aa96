"""Configuration entries: the ``config-entries`` table and its kinds.

The table of one datacenter is :class:`ConfigEntryStore` (``dc.config_entries``);
each kind is a :class:`Kind` declared by one module of this package and
listed once below, in ``register(...)``. Adding a kind is a module and a
line. :func:`decode_entry` decodes a request body as Consul does.

Consul CE's kinds are ``structs.MakeConfigEntry``'s
(``agent/structs/config_entry.go``): ``control-plane-request-limit`` is
listed among the kinds but made only by Consul Enterprise
(``makeEnterpriseConfigEntry`` in ``config_entry_ce.go``), so CE answers it
``invalid config entry kind`` as any unknown kind; ``registration`` is no
kind of Consul's at all (it is a Kubernetes resource of consul-k8s).
"""

from __future__ import annotations

from . import (
    certificates,
    discovery_chain,
    exported_services,
    gateway_api,
    gateway_controller,
    gateway_entries,
    jwt_provider,
    mesh,
    proxy_defaults,
    routes,
    sameness_group,
    service_defaults,
    service_intentions,
)
from .registry import KINDS, Denied, Entry, EntryDecodeError, Kind, decode_entry, kind_of, register
from .store import WATCHERS, ConfigEntryStore, EntriesView

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
        service_intentions.KIND,
        exported_services.KIND,
        sameness_group.KIND,
        gateway_api.KIND,
        gateway_api.BOUND_KIND,
        certificates.FILE_SYSTEM_KIND,
        certificates.INLINE_KIND,
        routes.HTTP_KIND,
        routes.TCP_KIND,
        jwt_provider.KIND,
    )
)
WATCHERS.append(gateway_controller.reconcile)
