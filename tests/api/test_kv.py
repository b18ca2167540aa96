"""The KV store through every client."""

from __future__ import annotations

import pytest

import consul


def test_put_then_get_round_trips_bytes(c):
    assert c.kv.put("foo", b"bar") is True
    index, entry = c.kv.get("foo")
    assert entry["Key"] == "foo"
    assert entry["Value"] == b"bar"
    assert index == entry["ModifyIndex"]


def test_get_missing_key_is_none_with_an_index(c):
    index, entry = c.kv.get("missing")
    assert entry is None
    assert index >= 1


def test_blocking_get_returns_when_the_key_changes(c):
    c.kv.put("watched", "one")
    index, _ = c.kv.get("watched")
    pending = c.start.kv.get("watched", index=index, wait="10s")
    c.kv.put("watched", "two")
    new_index, entry = pending.result(10)
    assert new_index > index
    assert entry["Value"] == b"two"


def test_cas(c):
    assert c.kv.put("k", "v", cas=0) is True
    assert c.kv.put("k", "w", cas=0) is False
    _, entry = c.kv.get("k")
    assert c.kv.put("k", "w", cas=entry["ModifyIndex"]) is True


def test_bad_key_is_refused_before_any_request(c):
    with pytest.raises(ValueError, match="must not start with '/'"):
        c.kv.get("/leading")


def test_unknown_datacenter_is_a_server_error(c):
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.kv.get("foo", dc="nowhere")
