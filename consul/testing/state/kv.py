"""The key/value store: the ``kvs`` table, its tombstones and lock-delays.

State rules from ``agent/consul/state/kvs.go`` (the ``kvs`` table and its
graveyard of tombstones) and ``agent/consul/state/session.go`` (what a
session's end does to its keys).
"""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import RPCError
from .golang import quote as go_quote

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = ["KV_MAX_VALUE_SIZE", "MAX_LOCK_DELAY", "Entry", "KVStore"]

#: ``kv_max_value_size`` of a default agent (``raft.SuggestedMaxDataSize``).
KV_MAX_VALUE_SIZE = 512 * 1024
#: ``structs.MaxLockDelay``: the longest lock-delay a session's end imposes.
MAX_LOCK_DELAY = 60.0


@dataclasses.dataclass
class Entry:
    """A ``structs.DirEntry``."""

    key: str
    value: bytes | None = None
    flags: int = 0
    session: str = ""
    lock_index: int = 0
    create_index: int = 0
    modify_index: int = 0

    def same_as(self, other: Entry) -> bool:
        """``DirEntry.Equal``: what a write must change to count as a change."""
        return (
            self.lock_index == other.lock_index
            and self.key == other.key
            and self.flags == other.flags
            and (self.value or b"") == (other.value or b"")
            and self.session == other.session
        )

    def to_json(self, with_value: bool = True) -> dict[str, Any]:
        """The entry as Consul encodes it (``Value`` base64 or null, ``Session`` omitempty).

        ``with_value=False`` nulls the value, as transaction results of writes do.
        """
        out: dict[str, Any] = {
            "LockIndex": self.lock_index,
            "Key": self.key,
            "Flags": self.flags,
            "Value": (base64.b64encode(self.value).decode() if with_value and self.value else None),
        }
        if self.session:
            out["Session"] = self.session
        out["CreateIndex"] = self.create_index
        out["ModifyIndex"] = self.modify_index
        return out


class KVStore:
    """The ``kvs`` table, its tombstones and lock-delays, for one datacenter.

    Writes take the index ``idx`` of their Raft apply and return whether they
    succeeded; the tables' indexes move only when something changed, which is
    what blocking queries watch (:attr:`max_index`).
    """

    #: Tables a snapshot leaves out: lock-delays live in the leader's memory.
    transient: ClassVar[tuple[str, ...]] = ("lock_delays",)

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        self.entries: dict[str, Entry] = {}
        #: The graveyard: key (or deleted prefix) -> index of its deletion.
        #: Consul reaps tombstones after ``tombstone_ttl`` (15 minutes); an
        #: embedded agent's life is shorter, so they stay.
        self.tombstones: dict[str, int] = {}
        #: key -> monotonic time its lock-delay ends.
        self.lock_delays: dict[str, float] = {}
        self.kvs_index = 0
        self.tombstones_index = 0

    # -- reads ----------------------------------------------------------------

    @property
    def max_index(self) -> int:
        """``kvsMaxIndex``: the highest index of the kvs and tombstones tables."""
        return max(self.kvs_index, self.tombstones_index)

    def held_by(self, session_id: str) -> list[Entry]:
        """The entries whose lock ``session_id`` holds (a UUID index: any case)."""
        wanted = session_id.lower()
        return sorted(
            (e for e in self.entries.values() if e.session and e.session.lower() == wanted),
            key=lambda e: e.key,
        )

    def get(self, key: str) -> tuple[int, Entry | None]:
        """``KVSGet``: the table index and the entry (or None)."""
        return self.max_index, self.entries.get(key)

    def list(self, prefix: str) -> tuple[int, list[Entry]]:
        """``kvsListTxn``: entries under ``prefix``, sorted, and the index to report.

        The index is the highest ``ModifyIndex`` of the entries and tombstones
        under the prefix; for an empty prefix, or when there is nothing
        under it, the table index.
        """
        entries = sorted(
            (e for k, e in self.entries.items() if k.startswith(prefix)), key=lambda e: e.key
        )
        if not prefix:
            return self.max_index, entries
        index = max((e.modify_index for e in entries), default=0)
        index = max(
            index, max((i for k, i in self.tombstones.items() if k.startswith(prefix)), default=0)
        )
        return index or self.max_index, entries

    def lock_delay(self, key: str) -> float:
        """Seconds left of ``key``'s lock-delay (0 if none)."""
        expires = self.lock_delays.get(key)
        if expires is None:
            return 0.0
        left = expires - time.monotonic()
        if left <= 0:
            del self.lock_delays[key]
            return 0.0
        return left

    # -- writes ----------------------------------------------------------------

    def set(self, idx: int, entry: Entry, update_session: bool = False) -> bool:
        """``kvsSetTxn``: write ``entry``; False if that changed nothing.

        A plain write keeps the key's session (a write to a locked key
        succeeds and it stays locked) but not its ``LockIndex``, which comes
        from ``entry``: 0 for a plain write.
        """
        existing = self.entries.get(entry.key)
        entry.create_index = existing.create_index if existing else idx
        if not update_session:
            entry.session = existing.session if existing else ""
        if existing is not None and existing.same_as(entry):
            entry.modify_index = existing.modify_index
            return False
        entry.modify_index = idx
        self.entries[entry.key] = entry
        self.kvs_index = idx
        return True

    def set_cas(self, idx: int, entry: Entry, cas: int) -> bool:
        """``kvsSetCASTxn``: write only if the key's ``ModifyIndex`` is ``cas`` (0: absent)."""
        existing = self.entries.get(entry.key)
        if cas == 0 and existing is not None:
            return False
        if cas != 0 and (existing is None or existing.modify_index != cas):
            return False
        self.set(idx, entry)
        return True

    def lock(self, idx: int, entry: Entry) -> bool:
        """``kvsLockTxn``: take the key's lock for ``entry.session``.

        Raises :class:`RPCError` with the state store's text for a missing or
        unknown session.
        """
        if not entry.session:
            raise RPCError("missing session")
        if self.dc.sessions.get(entry.session) is None:
            raise RPCError(f"invalid session {go_quote(entry.session)}")
        existing = self.entries.get(entry.key)
        if existing is None:
            entry.lock_index = 1
        elif existing.session == entry.session:
            entry.lock_index = existing.lock_index
        elif existing.session:
            return False
        else:
            entry.lock_index = existing.lock_index + 1
        self.set(idx, entry, update_session=True)
        return True

    def unlock(self, idx: int, entry: Entry) -> bool:
        """``kvsUnlockTxn``: give up the lock ``entry.session`` holds; the value is replaced."""
        if not entry.session:
            raise RPCError("missing session")
        existing = self.entries.get(entry.key)
        if existing is None or existing.session != entry.session:
            return False
        entry.session = ""
        entry.lock_index = existing.lock_index
        self.set(idx, entry, update_session=True)
        return True

    def delete(self, idx: int, key: str) -> bool:
        """``kvsDeleteTxn``: delete ``key``, leaving a tombstone; False if absent."""
        if self.entries.pop(key, None) is None:
            return False
        self.tombstones[key] = self.tombstones_index = idx
        self.kvs_index = idx
        return True

    def delete_cas(self, idx: int, key: str, cas: int) -> bool:
        """``kvsDeleteCASTxn``: delete if ``ModifyIndex == cas``; True if absent."""
        existing = self.entries.get(key)
        if existing is None or existing.modify_index != cas:
            return existing is None
        self.delete(idx, key)
        return True

    def delete_tree(self, idx: int, prefix: str) -> bool:
        """``kvsDeleteTreeTxn``: delete every key under ``prefix``; False if none.

        One tombstone marks the whole prefix (none for the empty prefix).
        """
        keys = [k for k in self.entries if k.startswith(prefix)]
        if not keys:
            return False
        for key in keys:
            del self.entries[key]
        if prefix:
            self.tombstones[prefix] = self.tombstones_index = idx
        self.kvs_index = idx
        return True

    def end_session(self, idx: int, session_id: str, behavior: str, lock_delay: float) -> None:
        """What ``deleteSessionTxn`` does to the keys a session holds.

        Under ``release`` the lock is let go (value, flags and ``LockIndex``
        stay), under ``delete`` the key goes; either way each key gets the
        session's lock-delay (at most :data:`MAX_LOCK_DELAY` seconds).
        """
        delay = min(lock_delay, MAX_LOCK_DELAY)
        now = time.monotonic()
        for held in self.held_by(session_id):
            if behavior == "delete":
                self.delete(idx, held.key)
            else:
                released = dataclasses.replace(held, session="")
                self.set(idx, released, update_session=True)
            if delay > 0:
                self.lock_delays[held.key] = now + delay
