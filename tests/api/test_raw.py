"""Any endpoint by its path (``client.raw``) through every client."""

from __future__ import annotations

import pytest

import consul


def test_query_answers_the_json_with_its_index(c):
    c.kv.put("raw/a b", "1")
    index, entries = c.raw.query("/v1/kv/raw/a b", {"recurse": ""})
    assert [entry["Key"] for entry in entries] == ["raw/a b"]
    assert entries[0]["Value"] == "MQ=="  # as Consul sends it: no decoding
    assert index == entries[0]["ModifyIndex"]


def test_query_without_an_index_header_is_index_0(c):
    index, answer = c.raw.query("/v1/agent/self")
    assert index == 0
    assert "Config" in answer


def test_query_blocks_on_an_index(c):
    c.kv.put("raw/w", "1")
    index, _ = c.raw.query("/v1/kv/raw/w")
    pending = c.start.raw.query("/v1/kv/raw/w", index=index, wait="10s")
    c.kv.put("raw/w", "2")
    new_index, entries = pending.result(10)
    assert new_index > index
    assert entries[0]["Value"] == "Mg=="


def test_query_of_a_missing_entry_raises_not_found(c):
    with pytest.raises(consul.NotFound):
        c.raw.query("/v1/kv/raw/none")


def test_write_sends_json_and_decodes_the_answer(c):
    assert c.raw.write("/v1/kv/raw/w", {"a": 1}) is True
    assert c.kv.get("raw/w")[1]["Value"] == b'{"a": 1}'
    answer = c.raw.write("/v1/session/create", {"Name": "raw"})
    assert c.session.info(answer["ID"])[1]["Name"] == "raw"


def test_write_with_params(c):
    assert c.raw.write("/v1/kv/raw/f", None, {"flags": "42"}) is True
    assert c.kv.get("raw/f")[1]["Flags"] == 42


def test_errors_carry_consuls_message(c):
    with pytest.raises(consul.ServerError, match="Must provide node"):
        c.raw.write("/v1/catalog/register", {"Address": "10.0.0.1"})
    with pytest.raises(consul.BadRequest, match=r"Invalid value for \?passing"):
        c.raw.query("/v1/health/service/web", {"passing": "maybe"})


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("kv/a", "must be a path below /v1/"),
        ("/v1/", "must be a path below /v1/"),
        ("/v2/kv/a", "must be a path below /v1/"),
        ("/v1/kv/../acl/tokens", r"must not have empty, '\.' or '\.\.' segments"),
        ("/v1/kv//a", r"must not have empty, '\.' or '\.\.' segments"),
        ("/v1/kv/a?recurse", "without a query or fragment"),
    ],
)
def test_a_bad_endpoint_is_refused_before_any_request(c, endpoint, message):
    with pytest.raises(ValueError, match=message):
        c.raw.query(endpoint)
    with pytest.raises(ValueError, match=message):
        c.raw.write(endpoint, {})


def test_bad_arguments_name_themselves(c):
    with pytest.raises(TypeError, match="endpoint must be a str"):
        c.raw.query(b"/v1/kv/a")
    with pytest.raises(TypeError, match="params must map str to str"):
        c.raw.query("/v1/kv/a", {"flags": 1})
