"""The agent's metrics, kept as go-metrics' in-memory sink keeps Consul's.

Consul reports its metrics through ``armon/go-metrics``; its ``InmemSink``
aggregates them in intervals of 10 seconds and keeps the last minute of
them. ``/v1/agent/metrics`` shows the last finished interval
(``InmemSink.DisplayMetrics``), ``/v1/agent/metrics/stream`` each interval as
it finishes (``InmemSink.Stream``). This module does the same with what the
embedded agent measures: the time each HTTP request took (``consul.api.http``,
labelled with its method and route, as ``agent/http.go`` measures it), and
gauges of its state set when each interval starts (``consul.runtime.*`` for
the agent's tasks, ``consul.state.*`` for the catalog and KV store, as the
usage reporter sets them).

Names carry the ``consul.`` prefix and no host name, as in Consul's docs;
gauge values are ``float32`` in go-metrics, and are written as Go
writes a ``float32`` (:func:`float32`). The interval's length is
``AgentConfig.metrics_interval`` (10 seconds; tests shorten it).
"""

from __future__ import annotations

import asyncio
import datetime
import math
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RETAIN", "Interval", "Metrics", "float32"]

#: Seconds of intervals kept (go-metrics' ``retain`` in Consul: one minute).
RETAIN = 60.0

_F32 = struct.Struct("<f")


def float32(value: float) -> float:
    """``value`` rounded to a ``float32``, with the digits Go writes for it (``0.1``)."""
    if not math.isfinite(value):
        return value
    rounded: float = _F32.unpack(_F32.pack(value))[0]
    for precision in range(1, 10):
        text = f"{rounded:.{precision}g}"
        if _F32.unpack(_F32.pack(float(text)))[0] == rounded:
            return float(text)
    return rounded


@dataclass
class _Aggregate:
    """go-metrics' ``AggregateSample``: count, sum, min, max and the sum of squares.

    Its ``Rate`` is computed when shown; its ``LastUpdated`` is not kept
    (``json:"-"``: nothing shows it).
    """

    count: int = 0
    sum: float = 0.0
    sum_squares: float = 0.0
    min: float = 0.0
    max: float = 0.0

    def ingest(self, value: float) -> None:
        self.count += 1
        self.sum += value
        self.sum_squares += value * value
        if self.count == 1 or value < self.min:
            self.min = value
        if self.count == 1 or value > self.max:
            self.max = value

    def ingest_many(self, values: Sequence[float]) -> None:
        """:meth:`ingest` of each of ``values`` in turn, in one call.

        The sums are added up one value at a time in the same order (not
        with ``sum``, which from Python 3.12 compensates its rounding), so
        that they come out the same to the last bit.
        """
        if not values:
            return
        first = self.count == 0
        self.count += len(values)
        total, squares = self.sum, self.sum_squares
        for value in values:
            total += value
            squares += value * value
        self.sum, self.sum_squares = total, squares
        low, high = min(values), max(values)
        if first or low < self.min:
            self.min = low
        if first or high > self.max:
            self.max = high

    def summary(self, name: str, labels: dict[str, str], seconds: float) -> dict[str, Any]:
        """A ``SampledValue`` as JSON (``Rate`` is per second of the interval)."""
        mean = self.sum / self.count if self.count else 0.0
        stddev = 0.0
        if self.count > 1:
            variance = (self.sum_squares - self.count * mean * mean) / (self.count - 1)
            stddev = math.sqrt(max(variance, 0.0))
        return {
            "Name": name,
            "Count": self.count,
            "Rate": self.sum / seconds,
            "Sum": self.sum,
            "Min": self.min,
            "Max": self.max,
            "Mean": mean,
            "Stddev": stddev,
            "Labels": labels,
        }


_Key = tuple[str, tuple[tuple[str, str], ...]]


@dataclass
class Interval:
    """One interval's metrics (``IntervalMetrics``), from ``start`` (a Unix time)."""

    start: float
    seconds: float
    gauges: dict[_Key, float] = field(default_factory=dict)
    counters: dict[_Key, _Aggregate] = field(default_factory=dict)
    samples: dict[_Key, _Aggregate] = field(default_factory=dict)
    #: Set once the interval has finished.
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def summary(self) -> dict[str, Any]:
        """``MetricsSummary``: what ``/v1/agent/metrics`` shows of it."""
        stamp = datetime.datetime.fromtimestamp(round(self.start), datetime.UTC)
        return {
            # Go's time.Time.String() of the UTC start, rounded to the second.
            "Timestamp": f"{stamp:%Y-%m-%d %H:%M:%S} +0000 UTC",
            "Gauges": [
                {"Name": name, "Value": float32(value), "Labels": dict(labels)}
                for (name, labels), value in sorted(self.gauges.items())
            ],
            "Points": [],
            "Counters": self._aggregates(self.counters),
            "Samples": self._aggregates(self.samples),
        }

    def _aggregates(self, table: dict[_Key, _Aggregate]) -> list[dict[str, Any]]:
        return [
            aggregate.summary(name, dict(labels), self.seconds)
            for (name, labels), aggregate in sorted(table.items())
        ]


class Metrics:
    """The in-memory sink: intervals of ``seconds``, the last :data:`RETAIN` seconds of them.

    ``collect`` is called with the sink when an interval starts, to set its
    gauges. The intervals move on with a timer on the agent's loop
    (:meth:`start`), so that a stream hears of each one's end.
    """

    def __init__(self, seconds: float, collect: Callable[[Metrics], None]) -> None:
        self.seconds = seconds
        self._collect = collect
        self.intervals: list[Interval] = []
        self._timer: asyncio.TimerHandle | None = None
        #: False once stopped (the agent stops, or its state is reset).
        self.running = False

    @property
    def current(self) -> Interval:
        """The interval under way (made, with its gauges, if there is none yet)."""
        if not self.intervals:
            self._next()
        return self.intervals[-1]

    def start(self) -> None:
        """Start an interval and the timer that moves to the next (on the running loop)."""
        self.running = True
        self._next()

    def _next(self) -> None:
        now = time.time()
        start = now - now % self.seconds
        if self.intervals:
            self.intervals[-1].done.set()
        self.intervals.append(Interval(start, self.seconds))
        keep = max(1, int(RETAIN / self.seconds))
        del self.intervals[:-keep]
        self._collect(self)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # a core built outside a loop: the interval stays
        self._timer = loop.call_later(start + self.seconds - now, self._next)

    def stop(self) -> None:
        """Stop the timer and wake the streams waiting for an interval; the intervals stay."""
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.intervals:
            self.intervals[-1].done.set()

    def last_finished(self) -> Interval:
        """The most recent finished interval, or the current one if none has finished."""
        if len(self.intervals) >= 2:
            return self.intervals[-2]
        return self.current

    @staticmethod
    def key(name: str, labels: dict[str, str] | None = None) -> _Key:
        """The key of metric ``name`` with ``labels`` (a caller on a hot path keeps it)."""
        return "consul." + name, tuple(sorted((labels or {}).items()))

    def set_gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        """``SetGaugeWithLabels``: the gauge's value in the current interval."""
        self.current.gauges[self.key(name, labels)] = value

    def incr_counter(
        self, name: str, value: float = 1, labels: dict[str, str] | None = None
    ) -> None:
        """``IncrCounterWithLabels``."""
        self._ingest(self.current.counters, self.key(name, labels), value)

    def add_sample(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        """``AddSampleWithLabels`` (a timer's milliseconds, with ``MeasureSince``)."""
        self._ingest(self.current.samples, self.key(name, labels), value)

    def measure_since(self, key: _Key, started: float) -> None:
        """``MeasureSinceWithLabels``: the milliseconds since ``started`` (:func:`time.monotonic`).

        ``key`` is :meth:`key`'s: every request measures, so it is made once.
        """
        self._ingest(self.current.samples, key, (time.monotonic() - started) * 1000)

    def measure_many(self, key: _Key, starts: Sequence[float]) -> None:
        """:meth:`measure_since` of each of ``starts``, with one clock read and one update.

        For requests that finish together (a shared answer to blocking
        queries woken by one write).
        """
        now = time.monotonic()
        values = [(now - started) * 1000 for started in starts]
        self._aggregate(self.current.samples, key).ingest_many(values)

    @classmethod
    def _ingest(cls, table: dict[_Key, _Aggregate], key: _Key, value: float) -> None:
        cls._aggregate(table, key).ingest(value)

    @staticmethod
    def _aggregate(table: dict[_Key, _Aggregate], key: _Key) -> _Aggregate:
        """The aggregate of ``key`` in ``table``, made if it is not there yet."""
        aggregate = table.get(key)
        if aggregate is None:
            aggregate = table[key] = _Aggregate()
        return aggregate

    def gauges(self, values: Iterable[tuple[str, float]]) -> None:
        """Set several unlabelled gauges."""
        for name, value in values:
            self.set_gauge(name, value)
