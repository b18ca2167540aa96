"""``/v1/event``: user events.

Request handling from ``agent/event_endpoint.go``; what an agent does with an
event it receives from ``agent/user_event.go``; the server side of a fire
(ACLs, then the Serf broadcast) from ``Internal.EventFire`` in
``agent/consul/internal_endpoint.go`` and ``Serf.UserEvent`` in
``hashicorp/serf``'s ``serf/serf.go``.

Events are gossiped, not stored in Raft: each agent keeps the last 256 it
received, and each datacenter's LAN pool has its own Lamport clock. An event
fired into another datacenter (``?dc=``) is broadcast there and never reaches
this agent's list. This agent receives its own events at once (Consul does so
a moment later, through its gossip layer).
"""

from __future__ import annotations

import base64
import dataclasses
import re
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._gofmt import multierror
from .._server import (
    LOCAL_MAX_QUERY_TIME,
    BadRequest,
    Ctx,
    HTTPError,
    Reply,
    Routes,
    RPCError,
    json_reply,
)
from .._state import Wakeups

if TYPE_CHECKING:
    from .._agent import AgentCore

routes = Routes()

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

    def __init__(self, agent: AgentCore) -> None:
        self.agent = agent
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
        if dc == self.agent.config.datacenter and self._should_process(event):
            self._ingest(event)

    def _should_process(self, event: UserEvent) -> bool:
        """``shouldProcessUserEvent``: the event's filters against this agent."""
        if event.node_filter and not _go_regexp(event.node_filter).search(
            self.agent.config.node_name
        ):
            return False
        if event.service_filter:
            service_re = _go_regexp(event.service_filter)
            tag_re = _go_regexp(event.tag_filter) if event.tag_filter else None
            for service_id, tags in _local_services(self.agent):
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


def _local_services(agent: AgentCore) -> Iterable[tuple[str, Sequence[str]]]:
    """(ID, tags) of each service registered with this agent (``State.Services``)."""
    services: Mapping[str, Mapping[str, Any]] = agent.local.live_services()
    return [(sid, list(service.get("Tags") or ())) for sid, service in services.items()]


# -- Go regular expressions ------------------------------------------------------


def _go_regexp(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` as Go's ``regexp.Compile`` would accept it.

    Raises ValueError with Go's message (``error parsing regexp: CODE:
    `ARG```) for the constructs Go rejects. Python's engine then matches;
    for the patterns both accept, the two agree on what ``MatchString``
    finds, except for Perl features RE2 lacks, which are rejected here.
    """
    perl = re.search(r"\(\?(?:<?[=!])", pattern)
    if perl:
        raise ValueError(_go_error("invalid or unsupported Perl syntax", perl.group(0)))
    backref = re.search(r"(?<!\\)(?:\\\\)*(\\[1-9])", pattern)
    if backref:
        raise ValueError(_go_error("invalid escape sequence", backref.group(1)))
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(_translate(exc, pattern)) from None


def _go_error(code: str, arg: str) -> str:
    return f"error parsing regexp: {code}: `{arg}`"


def _translate(exc: re.error, pattern: str) -> str:
    message = exc.msg
    pos = exc.pos or 0
    if message.startswith("missing ), unterminated subpattern"):
        return _go_error("missing closing )", pattern)
    if message.startswith("unbalanced parenthesis"):
        return _go_error("unexpected )", pattern)
    if message.startswith("unterminated character set"):
        return _go_error("missing closing ]", pattern[pos:])
    if message.startswith("nothing to repeat"):
        return _go_error("missing argument to repetition operator", pattern[pos : pos + 1])
    if message.startswith("multiple repeat"):
        return _go_error("invalid nested repetition operator", pattern[pos - 1 : pos + 1])
    if message.startswith("bad escape"):
        return _go_error("invalid escape sequence", pattern[pos : pos + 2])
    if message.startswith("bad character range"):
        end = pattern.find("]", pos)
        return _go_error("invalid character class range", pattern[pos : end if end > 0 else None])
    return _go_error("invalid regexp", pattern)


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


def _serf_size_error(event: UserEvent, ltime: int) -> str | None:
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


def _validate(event: UserEvent) -> None:
    """``validateUserEventParams``: its errors are 500s."""
    if event.tag_filter and not event.service_filter:
        raise HTTPError(500, "Cannot provide tag filter without service filter")
    for label, pattern in (
        ("node", event.node_filter),
        ("service", event.service_filter),
        ("tag", event.tag_filter),
    ):
        if pattern:
            try:
                _go_regexp(pattern)
            except ValueError as exc:
                raise HTTPError(500, f"Invalid {label} filter: {exc}") from None


# -- HTTP ----------------------------------------------------------------------


@routes("/v1/event/fire/", "PUT")
async def fire(ctx: Ctx) -> Reply:
    """``PUT /v1/event/fire/:name``: broadcast a user event (``event:write``)."""
    name = ctx.tail
    if not name:
        raise BadRequest("Missing name")
    event = UserEvent(
        id="",
        name=name,
        node_filter=ctx.param("node") or "",
        service_filter=ctx.param("service") or "",
        tag_filter=ctx.param("tag") or "",
    )
    # Go reads the body only when the request declares a positive length.
    length = ctx.request.content_length
    if length is not None and length > 0:
        event.payload = await ctx.body()
    _validate(event)
    event.id = str(uuid.uuid4())
    # From here on the handler has already written status 500, so every
    # error, "ACL not found" included, is a 500 except the permission
    # denial, which the handler answers with 403 and Consul's bare text.
    try:
        dc = ctx.dc
        authz = ctx.authz
    except RPCError as exc:
        raise HTTPError(500, str(exc)) from None
    if not authz.event_write(name):
        raise HTTPError(403, "Permission denied")
    events = ctx.agent.events
    problem = _serf_size_error(event, events.clock(dc.name))
    if problem is not None:
        # Internal.EventFire fires on every LAN segment (only the default
        # one, "", here) and gathers the errors with go-multierror.
        raise HTTPError(500, multierror([f'error broadcasting event to segment "": {problem}']))
    events.broadcast(dc.name, event)
    return json_reply(event.to_json(ltime=0))


@routes("/v1/event/list", "GET")
async def list_events(ctx: Ctx) -> Reply:
    """``GET /v1/event/list``: the events this agent received, oldest first.

    Its blocking differs from the others (``EventList``): the index is the
    last event's ID folded to 64 bits (1 with no event), the query blocks
    only while that equals ``?index``, for ``?wait`` or else 10 minutes (the
    agent package's ``maxQueryTime``, not ``max_query_time``), with no
    jitter, and ``X-Consul-Index`` is the only meta header.
    """
    min_index, wait = ctx.wait_params()
    authz = ctx.authz
    name = ctx.param("name") or ""
    buffer = ctx.agent.events
    wait = min(wait if wait > 0 else LOCAL_MAX_QUERY_TIME, LOCAL_MAX_QUERY_TIME)
    deadline = time.monotonic() + wait
    while True:
        events = [e for e in buffer.events if not name or e.name == name]
        visible = [e for e in events if authz.event_read(e.name)]
        index = uuid_to_index(visible[-1].id) if visible else 1
        if min_index == 0 or index != min_index or not await buffer.wakeups.wait(deadline):
            break
    ctx.set_filtered(len(visible) != len(events))
    ctx.set_index(index)
    return json_reply([e.to_json() for e in visible])
