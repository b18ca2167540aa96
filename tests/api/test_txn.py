"""Transactions through every client."""

from __future__ import annotations

import base64

import pytest

import consul
from consul.api.txn import TxnConflict


def test_put_applies_every_operation(c):
    result = c.txn.put(
        [
            {"KV": {"Verb": "set", "Key": "a", "Value": b"\x00raw"}},
            {"KV": {"Verb": "set", "Key": "b", "Value": base64.b64encode(b"pre").decode()}},
        ]
    )
    assert result["Errors"] is None
    assert [r["KV"]["Key"] for r in result["Results"]] == ["a", "b"]
    assert all(r["KV"]["Value"] is None for r in result["Results"])
    assert c.kv.get("a")[1]["Value"] == b"\x00raw"
    assert c.kv.get("b")[1]["Value"] == b"pre"


def test_reads_return_values_as_base64_and_carry_query_meta(c):
    # As Consul sends them and python-consul returned them.
    c.kv.put("dir/x", b"1")
    c.kv.put("dir/y", b"\xff\x00")
    result = c.txn.put([{"KV": {"Verb": "get-tree", "Key": "dir/"}}], consistency="stale")
    assert [r["KV"]["Value"] for r in result["Results"]] == ["MQ==", "/wA="]
    assert result["KnownLeader"] is True


def test_str_values_are_base64_and_bytes_are_raw(c):
    c.txn.put(
        [
            {"KV": {"Verb": "set", "Key": "text", "Value": base64.b64encode(b"hi").decode()}},
            {"KV": {"Verb": "set", "Key": "raw", "Value": b"aGk="}},
        ]
    )
    assert c.kv.get("text")[1]["Value"] == b"hi"
    assert c.kv.get("raw")[1]["Value"] == b"aGk="


def test_conflict_carries_the_errors_and_applies_nothing(c):
    with pytest.raises(TxnConflict) as caught:
        c.txn.put(
            [
                {"KV": {"Verb": "set", "Key": "never", "Value": b"x"}},
                {"KV": {"Verb": "check-not-exists", "Key": "never"}},
            ]
        )
    error = caught.value
    assert isinstance(error, consul.Conflict)
    assert error.status == 409
    assert error.errors == [{"OpIndex": 1, "What": 'key "never" exists'}]
    assert str(error) == (
        '409 transaction rolled back: operation 1: key "never" exists (PUT /v1/txn)'
    )
    assert '"Errors"' in error.body
    assert c.kv.get("never")[1] is None


def test_too_many_operations_is_refused_by_consul(c):
    with pytest.raises(consul.ClientError) as caught:
        c.txn.put([{"KV": {"Verb": "get-or-empty", "Key": "k"}}] * 129)
    assert caught.value.status == 413


def test_bad_payload_is_refused_before_any_request(c):
    with pytest.raises(TypeError, match="payload must be a list"):
        c.txn.put({"KV": {}})
    with pytest.raises(TypeError, match=r"payload\[0\]\['KV'\]\['Value'\]"):
        c.txn.put([{"KV": {"Verb": "set", "Key": "k", "Value": 3}}])
    with pytest.raises(ValueError, match=r"payload\[1\]\['KV'\]\['Value'\] must be base64"):
        c.txn.put(
            [
                {"KV": {"Verb": "get", "Key": "k"}},
                {"KV": {"Verb": "set", "Key": "k", "Value": "hello"}},
            ]
        )
