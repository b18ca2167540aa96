"""The agent's metrics sink (``consul.testing.state.metrics``), without a server.

After go-metrics' ``AggregateSample.Ingest`` (``inmem.go``).
"""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import pytest

from consul.testing.state import metrics as metrics_module
from consul.testing.state.metrics import Metrics, _Aggregate


@pytest.mark.parametrize("before", [0, 1, 7])
def test_ingesting_many_values_at_once_is_ingesting_each_in_turn(before):
    rng = random.Random(before)
    earlier = [rng.uniform(10, 20) for _ in range(before)]
    # Below and above what came before, in no order: every min, max and sum path.
    values = [rng.uniform(0, 30) for _ in range(1000)]
    one_by_one, at_once = _Aggregate(), _Aggregate()
    for value in earlier:
        one_by_one.ingest(value)
        at_once.ingest(value)
    for value in values:
        one_by_one.ingest(value)
    at_once.ingest_many(values)
    # Equal to the last bit: count, sum, sum of squares, min and max.
    assert at_once == one_by_one
    assert at_once.count == before + 1000


def test_ingesting_nothing_changes_nothing():
    aggregate = _Aggregate()
    aggregate.ingest_many([])
    assert aggregate == _Aggregate()
    aggregate.ingest(2.5)
    aggregate.ingest_many([])
    assert aggregate == _Aggregate(count=1, sum=2.5, sum_squares=6.25, min=2.5, max=2.5)


def test_measuring_many_at_once_is_measuring_each_at_the_same_time(monkeypatch):
    # One clock read for all: what measure_since gives each when the clock says the same.
    clock = SimpleNamespace(monotonic=lambda: 1000.0, time=time.time)
    monkeypatch.setattr(metrics_module, "time", clock)
    starts = [1000.0 - i / 997 for i in range(500)]
    each, together = Metrics(10, lambda _: None), Metrics(10, lambda _: None)
    key = Metrics.key("api.http", {"method": "GET", "path": "v1_kv_"})
    for started in starts:
        each.measure_since(key, started)
    together.measure_many(key, starts)
    assert together.current.samples == each.current.samples
    assert together.current.samples[key].count == 500
