"""Sessions: the ``sessions`` table, its TTL timers, and what a session's end does.

State rules from ``agent/consul/state/session.go``; the checks ``Session.Apply``
makes and the leader's TTL timers from ``agent/consul/session_endpoint.go``
and ``agent/consul/session_ttl.go``; the body of a create as
``structs.Session.UnmarshalJSON`` decodes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from .errors import RPCError
from .gojson import DecodeError, decode_json
from .gojson import decode as decode_struct
from .golang import format_duration, parse_duration_ns
from .structs import SESSION, ServiceCheck

if TYPE_CHECKING:
    from .datacenter import Datacenter

__all__ = [
    "LOCK_DELAY_MIN_THRESHOLD",
    "SECOND",
    "SERF_CHECK",
    "SESSION_TTL_MAX",
    "SESSION_TTL_MULTIPLIER",
    "Session",
    "SessionStore",
    "decode_into",
    "fixup_checks",
    "validate",
]

SECOND = 1_000_000_000
#: ``structs.SessionTTLMax``.
SESSION_TTL_MAX = 24 * 3600 * SECOND
#: ``structs.SessionTTLMultiplier``: a TTL session ends after twice its TTL.
SESSION_TTL_MULTIPLIER = 2
#: ``lockDelayMinThreshold``: a smaller ``LockDelay`` number counts seconds.
LOCK_DELAY_MIN_THRESHOLD = 1000
#: ``structs.SerfCheckID``: the node check every session has by default.
SERF_CHECK = "serfHealth"

_INT64 = 1 << 63


@dataclasses.dataclass
class Session:
    """A ``structs.Session``; ``lock_delay`` in nanoseconds, as Consul keeps it."""

    id: str = ""
    name: str = ""
    node: str = ""
    lock_delay: int = 15 * SECOND
    behavior: str = "release"
    ttl: str = ""
    node_checks: list[str] | None = dataclasses.field(default_factory=lambda: [SERF_CHECK])
    service_checks: list[ServiceCheck] | None = None
    checks: list[str] | None = dataclasses.field(default_factory=lambda: [SERF_CHECK])
    create_index: int = 0
    modify_index: int = 0

    def check_ids(self) -> list[str]:
        """``Session.CheckIDs``: every check the session depends on, on its node."""
        ids = list(self.checks or ())
        ids += self.node_checks or ()
        ids += (check["ID"] for check in self.service_checks or ())
        return ids

    def to_json(self) -> dict[str, Any]:
        """The session in ``structs.Session`` field order (``Checks`` omitempty)."""
        out: dict[str, Any] = {
            "ID": self.id,
            "Name": self.name,
            "Node": self.node,
            "LockDelay": self.lock_delay,
            "Behavior": self.behavior,
            "TTL": self.ttl,
            "NodeChecks": self.node_checks,
            "ServiceChecks": self.service_checks,
        }
        if self.checks:
            out["Checks"] = self.checks
        out["CreateIndex"] = self.create_index
        out["ModifyIndex"] = self.modify_index
        return out


class SessionStore:
    """The ``sessions`` table of one datacenter, and its leader's TTL timers."""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: Lower-cased session ID -> session (Consul's ID index is lower-case).
        self.sessions: dict[str, Session] = {}
        #: The ``sessions`` table index.
        self.index = 0
        #: The leader's TTL timers (``sessionTimers``), by session ID.
        self._timers: dict[str, asyncio.TimerHandle] = {}

    # -- reads ----------------------------------------------------------------

    def get(self, session_id: str) -> Session | None:
        """The session with this ID (any case), or None."""
        return self.sessions.get(session_id.lower())

    def all(self) -> list[Session]:
        """Every session, in ID order."""
        return [self.sessions[key] for key in sorted(self.sessions)]

    def for_node(self, node: str) -> list[Session]:
        """The sessions of ``node`` (any case), in ID order."""
        wanted = node.lower()
        return [s for s in self.all() if s.node.lower() == wanted]

    # -- writes ----------------------------------------------------------------

    def create(self, idx: int, session: Session) -> None:
        """``sessionCreateTxn``: check the node and checks exist, then insert.

        Raises :class:`RPCError` with the FSM's error as ``Session.Apply``
        returns it.
        """
        catalog = self.dc.catalog
        if catalog.node(session.node) is None:
            raise RPCError("apply failed: Missing node registration")
        for check_id in session.check_ids():
            check = catalog.check(session.node, check_id)
            if check is None:
                raise RPCError(f"apply failed: Missing check '{check_id}' registration")
            # Session checks are critical until a session holds them.
            if check["Status"] == "critical" and check.get("Type") != "session":
                raise RPCError(f"apply failed: Check '{check_id}' is in critical state")
        session.create_index = session.modify_index = idx
        self.sessions[session.id.lower()] = session
        self.index = idx

    def destroy(self, idx: int, session_id: str) -> bool:
        """``deleteSessionTxn``: remove the session, end its locks, delete the prepared
        queries bound to it; False if absent."""
        session = self.sessions.pop(session_id.lower(), None)
        if session is None:
            return False
        self.index = idx
        self.dc.kv.end_session(idx, session.id, session.behavior, session.lock_delay / SECOND)
        self.dc.queries.on_session_deleted(idx, session.id)
        return True

    # -- TTL timers (the leader's, agent/consul/session_ttl.go) -----------------

    def reset_timer(self, session: Session) -> None:
        """``resetSessionTimer``: (re)arm the session's timer for TTL x 2."""
        if session.ttl in ("", "0", "0s", "0m", "0h"):
            return
        ttl = parse_duration_ns(session.ttl)
        if ttl == 0:
            return
        self.dc.cancel_timer(self._timers.pop(session.id, None))
        delay = ttl * SESSION_TTL_MULTIPLIER / SECOND
        self._timers[session.id] = self.dc.call_later(delay, self._expire, session.id)

    def clear_timer(self, session_id: str) -> None:
        """``clearSessionTimer``: an explicitly destroyed session needs no timer.

        Timers are keyed by the ID exactly (a Go map), so an ID given in
        another case leaves the timer to expire into a no-op.
        """
        self.dc.cancel_timer(self._timers.pop(session_id, None))

    def _expire(self, session_id: str) -> None:
        # invalidateSession: a Raft apply of a destroy, even if the session
        # has already gone some other way.
        self._timers.pop(session_id, None)
        idx = self.dc.apply()
        if self.destroy(idx, session_id):
            self.dc.changed()

    # Called by the catalog (``agent/consul/state/catalog.go``) within its own
    # write: a session is destroyed when one of its checks turns critical or
    # is deleted, or its node is deregistered. Its TTL timer stays armed, as
    # in Consul, and expires into a no-op.

    def on_check_critical(self, idx: int, node: str, check_id: str) -> None:
        """A check of ``node`` turned critical (``ensureCheckTxn``)."""
        self._destroy_all(idx, self._with_check(node, check_id))

    def on_check_deleted(self, idx: int, node: str, check_id: str) -> None:
        """A check of ``node`` was deregistered (``deleteCheckTxn``)."""
        self._destroy_all(idx, self._with_check(node, check_id))

    def on_node_deleted(self, idx: int, node: str) -> None:
        """``node`` was deregistered (``deleteNodeTxn``)."""
        self._destroy_all(idx, self.for_node(node))

    def _with_check(self, node: str, check_id: str) -> list[Session]:
        wanted = check_id.lower()
        return [s for s in self.for_node(node) if wanted in (c.lower() for c in s.check_ids())]

    def _destroy_all(self, idx: int, sessions: list[Session]) -> None:
        changed = False
        for session in sessions:
            changed |= self.destroy(idx, session.id)
        if changed:
            self.dc.changed()


# -- decoding a session create body ---------------------------------------------


def _wrap_int64(value: int) -> int:
    return (value + _INT64) % (2 * _INT64) - _INT64


def _lock_delay(value: Any) -> int:
    """``LockDelay`` in nanoseconds from its JSON (``Session.UnmarshalJSON``).

    A string is a Go duration, a number nanoseconds, anything else zero;
    then a value under 1000 is taken as seconds.
    """
    if isinstance(value, str):
        delay = parse_duration_ns(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        # Go's float64 -> int64 conversion; out of range gives MinInt64 (amd64).
        delay = int(number) if -_INT64 <= number < _INT64 else -_INT64
    else:
        delay = 0
    if delay < LOCK_DELAY_MIN_THRESHOLD:
        delay = _wrap_int64(delay * SECOND)
    return delay


def decode_into(session: Session, body: bytes) -> None:
    """Decode a create body over ``session``'s defaults (``Session.UnmarshalJSON``).

    Raises :class:`DecodeError` (or ValueError, for a bad ``LockDelay``
    duration) with Go's message.
    """
    try:
        data = decode_json(body)
        if data is None:
            return
        fields = decode_struct(data, SESSION)
        # json.Unmarshal sets a slice to nil for null; the decoder skips nulls.
        lock_delay = None
        for key, value in data.items():
            found = SESSION.lookup(key)
            name = found.name if found is not None else ""
            if name in ("NodeChecks", "ServiceChecks", "Checks"):
                fields[name] = None if value is None else fields[name]
            elif name == "LockDelay" and value is not None:
                lock_delay = value
        if lock_delay is not None:
            session.lock_delay = _lock_delay(lock_delay)
    except ValueError as exc:
        raise DecodeError(str(exc)) from None
    session.name = fields.get("Name", session.name)
    session.node = fields.get("Node", session.node)
    session.behavior = fields.get("Behavior", session.behavior)
    session.ttl = fields.get("TTL", session.ttl)
    if "NodeChecks" in fields:
        checks = fields["NodeChecks"]
        session.node_checks = None if checks is None else [c or "" for c in checks]
    if "Checks" in fields:
        checks = fields["Checks"]
        session.checks = None if checks is None else [c or "" for c in checks]
    if "ServiceChecks" in fields:
        service_checks = fields["ServiceChecks"]
        session.service_checks = (
            None
            if service_checks is None
            else [
                {"ID": c.get("ID", ""), "Namespace": c.get("Namespace", "")}
                for c in (item or {} for item in service_checks)
            ]
        )


def fixup_checks(session: Session) -> None:
    """``fixupEmptySessionChecks``: reconcile the deprecated ``Checks`` with ``NodeChecks``."""
    if not session.checks:
        # An empty (or null) Checks asks for no checks at all.
        session.node_checks = []
    elif session.checks == [SERF_CHECK] or not session.node_checks:
        # The default serfHealth stays in NodeChecks only; custom Checks are
        # dropped if NodeChecks is empty.
        session.checks = None


def validate(session: Session, ttl_min: float) -> None:
    """The checks ``Session.Apply`` makes before its Raft apply.

    ``ttl_min`` is the agent's ``session_ttl_min`` in seconds (0: Consul's
    default, 10s, as ``agent/agent.go`` leaves it).
    """
    if session.behavior == "":
        session.behavior = "release"
    elif session.behavior not in ("release", "delete"):
        raise RPCError(f"Invalid Behavior setting '{session.behavior}'")
    if session.ttl:
        try:
            ttl = parse_duration_ns(session.ttl)
        except ValueError as exc:
            raise RPCError(f"Session TTL '{session.ttl}' invalid: {exc}") from None
        minimum = round((ttl_min or 10.0) * SECOND)
        if ttl != 0 and not minimum <= ttl <= SESSION_TTL_MAX:
            raise RPCError(
                f"Invalid Session TTL '{ttl}', must be between "
                f"[{format_duration(minimum)}={format_duration(SESSION_TTL_MAX)}]"
            )
