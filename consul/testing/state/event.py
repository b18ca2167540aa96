"""User events: the events this agent received, and the Lamport clocks of its pools.

What an agent does with an event it receives, from ``agent/user_event.go``;
the sizes Serf allows from ``Serf.UserEvent`` in ``hashicorp/serf``'s
``serf/serf.go``.

Events are gossiped, not stored in Raft: each agent keeps the last 256 it
received, and each datacenter's LAN pool has its own Lamport clock. An event
fired into another datacenter is broadcast there and never reaches this
agent's list. This agent receives its own events at once (Consul does so a
moment later, through its gossip layer).
"""

from __future__ import annotations

import base64
import dataclasses
from collections import deque
from typing import Any

from .config import AgentConfig
from .local import LocalAgent
from .regexp import compile_regexp
from .wakeups import Wakeups

__all__ = [
    "EVENT_BUFFER_SIZE",
    "REMOTE_EXEC_NAME",
    "USER_EVENT_SIZE_LIMIT",
    "EventBuffer",
    "UserEvent",
    "serf_size_error",
    "uuid_to_index",
]

#: How many events an agent remembers (``eventBuf`` in ``agent/agent.go``).
EVENT_BUFFER_SIZE = 256
#: ``userEventMaxVersion``: the Version of every event fired.
USER_EVENT_VERSION = 1
#: The name of remote-exec events, which a dev agent ignores
#: (``disable_remote_exec`` defaults to true).
REMOTE_EXEC_NAME = "_rexec"
#: Serf's default ``UserEventSizeLimit``, which Consul does not change.
USER_EVENT_SIZE_LIMIT = 512
#: The prefix Consul gives user events in Serf (``userEventName``).
SERF_EVENT_PREFIX = "consul:event:"


@dataclasses.dataclass
class UserEvent:
    """``agent.UserEvent``, in the field order of its JSON."""

    id: str
    name: str
    payload: bytes | None = None
    node_filter: str = ""
    service_filter: str = ""
    tag_filter: str = ""
    version: int = USER_EVENT_VERSION
    ltime: int = 0

    def to_json(self, ltime: int | None = None) -> dict[str, Any]:
        """The event as Consul encodes it (``Payload`` base64 or null)."""
        return {
            "ID": self.id,
            "Name": self.name,
            "Payload": base64.b64encode(self.payload).decode() if self.payload else None,
            "NodeFilter": self.node_filter,
            "ServiceFilter": self.service_filter,
            "TagFilter": self.tag_filter,
            "Version": self.version,
            "LTime": self.ltime if ltime is None else ltime,
        }


def uuid_to_index(event_id: str) -> int:
    """``uuidToUint64``: the high and low 64 bits of a UUID, XORed."""
    low = int(event_id[0:8] + event_id[9:13] + event_id[14:18], 16)
    high = int(event_id[19:23] + event_id[24:36], 16)
    return low ^ high


class EventBuffer:
    """The events this agent received, and the Lamport clock of each LAN pool."""

    def __init__(self, config: AgentConfig, local: LocalAgent) -> None:
        self.config = config
        #: The agent's local state, whose services the events' filters match.
        self.local = local
        self.events: deque[UserEvent] = deque(maxlen=EVENT_BUFFER_SIZE)
        #: datacenter -> the event clock of its LAN pool (Serf starts it at 1).
        self.clocks: dict[str, int] = {}
        #: The blocked listings.
        self.wakeups = Wakeups()

    def clock(self, dc: str) -> int:
        """The current event Lamport time of ``dc``'s LAN pool."""
        return self.clocks.get(dc, 1)

    def broadcast(self, dc: str, event: UserEvent) -> None:
        """Serf's broadcast of a fired event (sizes already checked).

        The event takes the pool's current Lamport time, which then moves
        on. Only events of this agent's own datacenter reach it.
        """
        event.ltime = self.clock(dc)
        self.clocks[dc] = event.ltime + 1
        if dc == self.config.datacenter and self._should_process(event):
            self._ingest(event)

    def _should_process(self, event: UserEvent) -> bool:
        """``shouldProcessUserEvent``: the event's filters against this agent."""
        if event.node_filter and not compile_regexp(event.node_filter).search(
            self.config.node_name
        ):
            return False
        if event.service_filter:
            service_re = compile_regexp(event.service_filter)
            tag_re = compile_regexp(event.tag_filter) if event.tag_filter else None
            for service_id, service in self.local.live_services().items():
                tags = service.get("Tags") or ()
                # The regexp is matched against the service ID
                # (``structs.ServiceID.String()``), not its name.
                if not service_re.search(service_id):
                    continue
                if tag_re is None or any(tag_re.search(tag) for tag in tags):
                    return True
            return False
        return True

    def _ingest(self, event: UserEvent) -> None:
        """``ingestUserEvent``: remember it and wake the blocked listings."""
        if event.name == REMOTE_EXEC_NAME:
            return
        self.events.append(event)
        self.wakeups.notify()

    def abandon(self) -> None:
        """Release the blocked listings (the agent was reset or stopped)."""
        self.wakeups.close()


# -- sizes as Serf counts them ------------------------------------------------


def _uint_size(value: int) -> int:
    if value < 128:
        return 1
    if value < 2**8:
        return 2
    if value < 2**16:
        return 3
    if value < 2**32:
        return 5
    return 9


def _str_size(length: int, *, str8: bool) -> int:
    """A msgpack string: ``str8`` only exists with the codec's ``WriteExt``."""
    if length < 32:
        return 1 + length
    if str8 and length < 2**8:
        return 2 + length
    if length < 2**16:
        return 3 + length
    return 5 + length


def _bin_size(length: int) -> int:
    if length < 2**8:
        return 2 + length
    if length < 2**16:
        return 3 + length
    return 5 + length


def _encoded_event_size(event: UserEvent) -> int:
    """Length of ``encodeMsgPack(event)`` (``agent/util.go``: ``WriteExt: true``).

    The struct is a map of its fields by codec name: ``ID``, ``n``, ``p``,
    ``nf``, ``sf``, ``tf`` (the last four omitted when empty) and ``v``;
    ``LTime`` is not encoded.
    """
    fields = [
        ("ID", _str_size(len(event.id), str8=True)),
        ("n", _str_size(len(event.name.encode()), str8=True)),
    ]
    if event.payload:
        fields.append(("p", _bin_size(len(event.payload))))
    for key, text in (("nf", event.node_filter), ("sf", event.service_filter)):
        if text:
            fields.append((key, _str_size(len(text.encode()), str8=True)))
    if event.tag_filter:
        fields.append(("tf", _str_size(len(event.tag_filter.encode()), str8=True)))
    fields.append(("v", _uint_size(event.version)))
    return 1 + sum(_str_size(len(key), str8=True) + size for key, size in fields)


def _serf_message_size(name: str, payload: int, ltime: int) -> int:
    """Length of Serf's ``encodeMessage(messageUserEventType, msg)``.

    One type byte, then ``{LTime, Name, Payload, CC}`` with Serf's default
    codec handle (no ``WriteExt``: strings and bytes are both raw strings).
    """
    return (
        1
        + 1
        + _str_size(len("LTime"), str8=False)
        + _uint_size(ltime)
        + _str_size(len("Name"), str8=False)
        + _str_size(len(name.encode()), str8=False)
        + _str_size(len("Payload"), str8=False)
        + _str_size(payload, str8=False)
        + _str_size(len("CC"), str8=False)
        + 1
    )


def serf_size_error(event: UserEvent, ltime: int) -> str | None:
    """The error ``Serf.UserEvent`` returns for an event too large, if it is.

    (Serf's second, "sane" limit of 9 KiB can never be reached while the
    configured one is 512 bytes.)
    """
    name = SERF_EVENT_PREFIX + event.name
    payload = _encoded_event_size(event)
    before = len(name.encode()) + payload
    if before > USER_EVENT_SIZE_LIMIT:
        return (
            f"user event exceeds configured limit of {USER_EVENT_SIZE_LIMIT} bytes before encoding"
        )
    if _serf_message_size(name, payload, ltime) > USER_EVENT_SIZE_LIMIT:
        return (
            f"encoded user event exceeds configured limit of {USER_EVENT_SIZE_LIMIT} bytes "
            "after encoding"
        )
    return None
