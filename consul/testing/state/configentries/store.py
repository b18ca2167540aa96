"""The ``config-entries`` table of one datacenter.

After ``agent/consul/state/config_entry.go``: entries keyed by kind and
name, one table index (what reads report), ``CreateIndex`` and
``ModifyIndex`` from the write's Raft index, the check-and-set rules of
``EnsureConfigEntryCAS`` and ``DeleteConfigEntryCAS``, the graph checks of
``validateProposedConfigEntryInGraph`` before anything changes, and the
gateway table kept in step (``updateGatewayServices``).

Blocking reads watch one entry (a ``GET`` of a kind and name) or one kind
(a list), as Consul's watch sets do: :meth:`ConfigEntryStore.entry_index`
and :meth:`~ConfigEntryStore.kind_index` move only when that entry or kind
changes, while the answer reports the table's index.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import RPCError
from .registry import KINDS, Entry, Kind, kind_of

if TYPE_CHECKING:
    from ..datacenter import Datacenter

__all__ = ["WATCHERS", "ConfigEntryStore", "EntriesView", "replicate"]

#: An entry's key in the table: (kind, name).
Key = tuple[str, str]

#: What runs after every write or delete of an entry, with its datacenter (the
#: API gateway controller, which follows the discovery chains its routes use).
WATCHERS: list[Callable[[Datacenter], None]] = []


class EntriesView:
    """The entries of a store as a proposed write would leave them (for graph checks).

    ``changed`` is the key written, ``entry`` what it would hold (None: deleted).
    """

    def __init__(self, store: ConfigEntryStore, changed: Key, entry: Entry | None) -> None:
        self._store = store
        self.changed = changed
        self._entry = entry

    def get(self, kind: str, name: str) -> Entry | None:
        """The entry of ``kind`` called ``name`` (its Go struct), or None."""
        if (kind, name) == self.changed:
            return self._entry
        return self._store.decoded(kind, name)

    def existing(self) -> Entry | None:
        """The entry the write replaces (or deletes), as the table holds it now."""
        return self._store.decoded(*self.changed)

    def of_kind(self, kind: str) -> Iterator[Entry]:
        """Every entry of ``kind``, by name."""
        names = {name for k, name in self._store.entries if k == kind}
        if self.changed[0] == kind:
            names.add(self.changed[1])
        for name in sorted(names):
            entry = self.get(kind, name)
            if entry is not None:
                yield entry


class ConfigEntryStore:
    """The configuration entries of one datacenter.

    ``entries`` holds each entry as Consul writes it in JSON, with its
    ``CreateIndex`` and ``ModifyIndex``; ``structs`` the same entries as
    their Go structs (every field present), which the kinds' checks read.
    """

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: (kind, name) -> the entry as JSON, indexes included.
        self.entries: dict[Key, dict[str, Any]] = {}
        #: (kind, name) -> the entry's Go struct, as the kinds' checks read it.
        self.structs: dict[Key, Entry] = {}
        #: The table's index: what reads report.
        self.index = 0
        #: The index of the last change of each kind, deletions included.
        self.kind_indexes: dict[str, int] = {}
        #: The index of each deletion, so a watch on the entry sees it.
        self.deleted: dict[Key, int] = {}

    # -- reads ---------------------------------------------------------------

    def get(self, kind: str, name: str) -> tuple[int, dict[str, Any] | None]:
        """``ConfigEntry``: the table index and the entry (as JSON), or None."""
        return self.index, self.entries.get((kind, name))

    def decoded(self, kind: str, name: str) -> Entry | None:
        """The entry's Go struct (every field present), or None."""
        return self.structs.get((kind, name))

    def list(self, kind: str = "") -> tuple[int, list[dict[str, Any]]]:
        """``ConfigEntriesByKind``: the table index and the entries of ``kind`` (all if empty).

        Sorted as Consul's ``id`` index sorts them: by kind, then name.
        """
        keys = sorted(key for key in self.entries if not kind or key[0] == kind)
        return self.index, [self.entries[key] for key in keys]

    def entry_index(self, kind: str, name: str) -> int:
        """The index of the last change of one entry (a blocking ``GET`` watches it)."""
        entry = self.entries.get((kind, name))
        if entry is not None:
            return int(entry["ModifyIndex"])
        return self.deleted.get((kind, name), 0)

    def kind_index(self, kind: str) -> int:
        """The index of the last change of a kind (all kinds if empty): what a list watches."""
        return self.kind_indexes.get(kind, 0) if kind else self.index

    # -- writes --------------------------------------------------------------

    def is_same(self, entry: Entry) -> bool:
        """True if ``entry`` is what the table holds already (``shouldSkipUpsertOperation``).

        A controlled kind's ``Status`` is first set as a write would set it.
        """
        kind = kind_of(entry["Kind"])
        key = (kind.name, kind.get_name(entry))
        self._keep_status(kind, key, entry)
        return self.structs.get(key) == entry

    def _keep_status(self, kind: Kind, key: Key, entry: Entry) -> None:
        """``ensureConfigEntryTxn``: a controlled entry keeps the stored ``Status``, or none."""
        if kind.controlled:
            existing = self.structs.get(key)
            entry["Status"] = (
                copy.deepcopy(existing["Status"]) if existing is not None else {"Conditions": None}
            )

    def set(
        self, idx: int, entry: Entry, cas: int | None = None, *, with_status: bool = False
    ) -> bool:
        """``EnsureConfigEntry`` (``EnsureConfigEntryCAS`` with ``cas``) at index ``idx``.

        ``entry`` is normalized and validated. With ``cas``, 0 writes only a
        new entry and any other value only over the entry whose
        ``ModifyIndex`` it is; False if the check failed. The graph checks
        raise :class:`~..errors.RPCError` and leave everything as it was.
        ``with_status`` writes a controlled entry's ``Status`` as given (the
        controllers' ``ConfigEntryUpsertWithStatusCAS``, and replication).
        """
        kind = kind_of(entry["Kind"])
        key = (kind.name, kind.get_name(entry))
        existing = self.entries.get(key)
        if cas is not None:
            if cas == 0 and existing is not None:
                return False
            if cas != 0 and (existing is None or existing["ModifyIndex"] != cas):
                return False
        if not with_status:
            self._keep_status(kind, key, entry)
        if kind.update_over is not None:
            kind.update_over(entry, self.structs.get(key))
        self._check_graph(key, entry)
        stored = kind.encode(entry)
        stored["CreateIndex"] = existing["CreateIndex"] if existing is not None else idx
        stored["ModifyIndex"] = idx
        self.entries[key] = stored
        self.structs[key] = entry
        self.deleted.pop(key, None)
        self._changed(idx, kind.name)
        if kind.on_write is not None:
            kind.on_write(self.dc, idx, entry)
        for watcher in WATCHERS:
            watcher(self.dc)
        return True

    def delete(self, idx: int, kind_name: str, name: str, cas: int | None = None) -> bool:
        """``DeleteConfigEntry`` (``DeleteConfigEntryCAS`` with ``cas``) at index ``idx``.

        With ``cas``, only the entry whose ``ModifyIndex`` it is goes; False
        if the check failed. Deleting what is not there changes nothing.
        """
        key = (kind_name, name)
        existing = self.entries.get(key)
        if existing is None:
            return cas is None
        if cas is not None and existing["ModifyIndex"] != cas:
            return False
        kind = kind_of(kind_name)
        self._check_graph(key, None)
        del self.entries[key]
        del self.structs[key]
        self.deleted[key] = idx
        self._changed(idx, kind_name)
        if kind.on_delete is not None:
            kind.on_delete(self.dc, idx, name)
        for watcher in WATCHERS:
            watcher(self.dc)
        return True

    def _check_graph(self, key: Key, entry: Entry | None) -> None:
        view = EntriesView(self, key, entry)
        for kind in KINDS.values():
            if kind.check_graph is not None:
                kind.check_graph(view, key[0], key[1])

    def _changed(self, idx: int, kind: str) -> None:
        self.index = idx
        self.kind_indexes[kind] = idx


def replicate(source: ConfigEntryStore, target: ConfigEntryStore) -> bool:
    """Make ``target`` hold the entries ``source`` holds, as config replication does.

    A secondary datacenter's leader copies the primary's entries into its
    own state (``agent/consul/config_replication.go``): deletions first,
    then the entries that are new or differ, each at the secondary's own
    next index; a controlled entry comes with its ``Status`` (this agent runs
    the API gateway controller in the primary only). An entry the
    secondary's graph checks refuse is left out (Consul logs it and
    retries). True if ``target`` changed.
    """
    changed = False
    idx = target.dc.apply()
    for kind, name in sorted(target.structs.keys() - source.structs.keys()):
        try:
            changed |= target.delete(idx, kind, name)
        except RPCError:
            continue
    for key in sorted(source.structs):
        entry = source.structs[key]
        if target.structs.get(key) != entry:
            try:
                changed |= target.set(idx, copy.deepcopy(entry), with_status=True)
            except RPCError:
                continue
    return changed
