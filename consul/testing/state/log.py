"""The agent's log, written as Consul writes its own (``hclog``).

Consul logs what it does through named ``hclog`` loggers (``agent``,
``agent.http``, ``agent.server.raft``...) at five levels, and
``/v1/agent/monitor`` streams those lines to whoever asks, at the level they
ask for (``agent/agent_endpoint.go`` ``AgentMonitor``, ``logging/monitor``).
The embedded agent does the same: its parts log through a :class:`Logger`,
and :class:`Log` hands each record to the subscriptions of the monitors
(:meth:`Log.subscribe`) and to any writer (the command line's standard
error, :meth:`Log.add_writer`) whose level it reaches.

A record nobody listens to is never built: every call first compares its
level with the lowest level anyone listens at, one integer comparison.

The lines are ``hclog``'s: text
(``2025-01-01T12:00:00.000+0100 [INFO]  agent: Synced service: service=web``,
local time as Consul's ``TimeFormat`` writes it) or one JSON object per line
(``@level``, ``@message``, ``@module``, ``@timestamp``, then the record's
fields, keys sorted as Go's ``encoding/json`` writes a map).
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .golang import quote

__all__ = [
    "DEBUG",
    "ERROR",
    "INFO",
    "LEVEL_NAMES",
    "MONITOR_BUFFER",
    "OFF",
    "TRACE",
    "WARN",
    "Log",
    "Logger",
    "Record",
    "Subscription",
    "json_line",
    "parse_level",
    "text_line",
]

#: hclog's levels, lowest first.
TRACE, DEBUG, INFO, WARN, ERROR = 1, 2, 3, 4, 5
#: Above every level: nobody listens.
OFF = 6
LEVEL_NAMES = {TRACE: "trace", DEBUG: "debug", INFO: "info", WARN: "warn", ERROR: "error"}
#: The level tags of a text line, padded as hclog pads them.
_BRACKETS = {TRACE: "[TRACE]", DEBUG: "[DEBUG]", INFO: "[INFO] ", WARN: "[WARN] ", ERROR: "[ERROR]"}
#: The levels ``logging.ValidateLogLevel`` accepts (any case); ``ERR`` is ERROR.
_LEVELS = {"TRACE": TRACE, "DEBUG": DEBUG, "INFO": INFO, "WARN": WARN, "ERR": ERROR, "ERROR": ERROR}
#: ``logging/monitor``'s buffer: lines a slow monitor may fall behind by
#: before the newest are dropped.
MONITOR_BUFFER = 512


def parse_level(text: str) -> int | None:
    """The level ``text`` names (``logging.LevelFromString``), None if it names none."""
    return _LEVELS.get(text.upper())


@dataclass(frozen=True, slots=True)
class Record:
    """One log record: when, how important, who said it, what, and its fields."""

    time: float
    level: int
    module: str
    message: str
    fields: tuple[tuple[str, Any], ...] = ()


def _go_value(value: Any) -> str:
    """A field's value in a text line: bare, or quoted (hclog's ``needsQuoting``).

    Quoted when empty, or with a space, a tab, a double quote or anything
    unprintable in it.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text or any(c in ' \t"' or not c.isprintable() for c in text):
        return quote(text)
    return text


def _timestamp(moment: float, fraction: int, colon: bool) -> str:
    """Local time as Go's ``2006-01-02T15:04:05.000Z0700`` (or ``...Z07:00``) writes it."""
    local = datetime.datetime.fromtimestamp(moment).astimezone()
    digits = f"{local.microsecond:06d}"[:fraction]
    offset = local.utcoffset() or datetime.timedelta(0)
    if not offset:
        zone = "Z"
    else:
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        hours, minutes = divmod(abs(minutes), 60)
        zone = f"{sign}{hours:02d}:{minutes:02d}" if colon else f"{sign}{hours:02d}{minutes:02d}"
    return f"{local:%Y-%m-%dT%H:%M:%S}.{digits}{zone}"


def text_line(record: Record) -> str:
    """``record`` as hclog's text format writes it, with its newline."""
    parts = [
        _timestamp(record.time, 3, colon=False),
        " ",
        _BRACKETS[record.level],
        " ",
        record.module,
        ": ",
        record.message,
    ]
    if record.fields:
        parts.append(":")
        for key, value in record.fields:
            parts.append(f" {key}={_go_value(value)}")
    parts.append("\n")
    return "".join(parts)


def json_line(record: Record) -> str:
    """``record`` as hclog's JSON format writes it, with its newline."""
    out: dict[str, Any] = {
        "@level": LEVEL_NAMES[record.level],
        "@message": record.message,
        "@module": record.module,
        "@timestamp": _timestamp(record.time, 6, colon=True),
    }
    for key, value in record.fields:
        out[key] = value if isinstance(value, bool | int | float) or value is None else str(value)
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


class Subscription:
    """What one monitor receives: the lines of its level and format, as they come.

    At most :data:`MONITOR_BUFFER` lines wait to be taken; beyond that new
    lines are dropped and counted, as ``logging/monitor`` drops them.
    """

    def __init__(self, level: int, as_json: bool) -> None:
        self.level = level
        self._format = json_line if as_json else text_line
        self._lines: collections.deque[str] = collections.deque()
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def push(self, record: Record) -> None:
        """Queue ``record``'s line (if there is room)."""
        if len(self._lines) >= MONITOR_BUFFER:
            self.dropped += 1
            return
        self._lines.append(self._format(record))
        self._ready.set()

    def take(self) -> list[str]:
        """Every line waiting, oldest first."""
        lines = list(self._lines)
        self._lines.clear()
        self._ready.clear()
        return lines

    async def wait(self, seconds: float) -> None:
        """Wait until a line waits or the log closes, at most ``seconds``."""
        if self._lines or self.closed:
            return
        try:
            await asyncio.wait_for(self._ready.wait(), seconds)
        except TimeoutError:
            return

    def close(self) -> None:
        """No more lines will come (the agent stops)."""
        self.closed = True
        self._ready.set()


class Log:
    """The agent's log: its records go to the subscriptions and writers whose level they reach."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._writers: list[tuple[int, Callable[[Record], str], Callable[[str], object]]] = []
        #: The lowest level anyone listens at (:data:`OFF`: nobody).
        self.level = OFF

    def _update(self) -> None:
        levels = [s.level for s in self._subscriptions] + [w[0] for w in self._writers]
        self.level = min(levels, default=OFF)

    def subscribe(self, level: int, as_json: bool = False) -> Subscription:
        """A new subscription to the records from ``level`` up (a monitor's)."""
        subscription = Subscription(level, as_json)
        self._subscriptions.add(subscription)
        self._update()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """End ``subscription`` (its monitor went away)."""
        self._subscriptions.discard(subscription)
        subscription.close()
        self._update()

    def add_writer(self, level: int, write: Callable[[str], object], as_json: bool = False) -> None:
        """Write every line from ``level`` up with ``write`` (the command line's stderr)."""
        self._writers.append((level, json_line if as_json else text_line, write))
        self._update()

    def emit(self, record: Record) -> None:
        """Hand ``record`` to everyone listening at its level."""
        for subscription in self._subscriptions:
            if record.level >= subscription.level:
                subscription.push(record)
        for level, line, write in self._writers:
            if record.level >= level:
                write(line(record))

    def logger(self, name: str) -> Logger:
        """The logger named ``name`` (``agent``, ``agent.http``...)."""
        return Logger(self, name)

    def close(self) -> None:
        """End every subscription (the agent stops); writers stay."""
        for subscription in list(self._subscriptions):
            self.unsubscribe(subscription)


class Logger:
    """A named logger, as hclog's: ``logger.info("Synced service", "service", "web")``.

    Fields come as alternating keys and values after the message, as in
    Consul's source, and keep their order in text lines.
    """

    __slots__ = ("_log", "name")

    def __init__(self, log: Log, name: str) -> None:
        self._log = log
        self.name = name

    def named(self, name: str) -> Logger:
        """The sub-logger ``<this name>.<name>`` (hclog's ``Named``)."""
        return Logger(self._log, f"{self.name}.{name}")

    def enabled(self, level: int) -> bool:
        """True if a record of ``level`` would reach anyone (build costly fields only then)."""
        return level >= self._log.level

    def log(self, level: int, message: str, *pairs: Any) -> None:
        """Log ``message`` at ``level`` with ``pairs`` (key, value, key, value...)."""
        if level < self._log.level:
            return
        fields = tuple(zip(pairs[::2], pairs[1::2], strict=True))
        self._log.emit(Record(time.time(), level, self.name, message, fields))

    def trace(self, message: str, *pairs: Any) -> None:
        """Log at TRACE."""
        self.log(TRACE, message, *pairs)

    def debug(self, message: str, *pairs: Any) -> None:
        """Log at DEBUG."""
        self.log(DEBUG, message, *pairs)

    def info(self, message: str, *pairs: Any) -> None:
        """Log at INFO."""
        self.log(INFO, message, *pairs)

    def warn(self, message: str, *pairs: Any) -> None:
        """Log at WARN."""
        self.log(WARN, message, *pairs)

    def error(self, message: str, *pairs: Any) -> None:
        """Log at ERROR."""
        self.log(ERROR, message, *pairs)
