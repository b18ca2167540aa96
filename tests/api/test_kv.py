"""The KV store through every client."""

from __future__ import annotations

import pytest
from harness import wait_blocked

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


# -- values and flags ------------------------------------------------------------------


def test_str_values_are_sent_as_utf8_and_read_back_as_bytes(c):
    c.kv.put("text", "grüße")
    assert c.kv.get("text")[1]["Value"] == "grüße".encode()


def test_binary_and_empty_values(c):
    c.kv.put("binary", b"\x00\xff\x10")
    c.kv.put("empty", None)
    c.kv.put("also-empty", b"")
    assert c.kv.get("binary")[1]["Value"] == b"\x00\xff\x10"
    assert c.kv.get("empty")[1]["Value"] is None
    assert c.kv.get("also-empty")[1]["Value"] is None


def test_flags_round_trip_and_reset(c):
    c.kv.put("k", "v", flags=2**64 - 1)
    assert c.kv.get("k")[1]["Flags"] == 2**64 - 1
    c.kv.put("k", "v")
    assert c.kv.get("k")[1]["Flags"] == 0


def test_entry_fields(c):
    c.kv.put("k", "v")
    _, entry = c.kv.get("k")
    assert set(entry) == {"LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"}


# -- listing --------------------------------------------------------------------------


def test_list_and_keys(c):
    for key in ("web/a", "web/sub/b", "web/sub/c", "db/x"):
        c.kv.put(key, key)
    index, entries = c.kv.list("web/")
    assert [e["Key"] for e in entries] == ["web/a", "web/sub/b", "web/sub/c"]
    assert [e["Value"] for e in entries] == [b"web/a", b"web/sub/b", b"web/sub/c"]
    assert index == entries[-1]["ModifyIndex"]
    assert c.kv.keys("web/")[1] == ["web/a", "web/sub/b", "web/sub/c"]
    assert c.kv.keys("web/", separator="/")[1] == ["web/a", "web/sub/"]
    assert c.kv.keys()[1] == ["db/x", "web/a", "web/sub/b", "web/sub/c"]


def test_listing_nothing_is_an_empty_list(c):
    assert c.kv.list("none/")[1] == []
    assert c.kv.keys("none/")[1] == []
    assert c.kv.keys()[1] == []


def test_python_consul_style_recurse_and_keys(c):
    c.kv.put("a/1", "x")
    c.kv.put("a/2/3", "y")
    _, entries = c.kv.get("a/", recurse=True)
    assert [e["Key"] for e in entries] == ["a/1", "a/2/3"]
    assert c.kv.get("a/", keys=True, separator="/")[1] == ["a/1", "a/2/"]
    assert c.kv.get("none/", recurse=True)[1] is None


# -- writes and deletes --------------------------------------------------------------------


def test_cas_on_a_changed_key_fails(c):
    c.kv.put("k", "v")
    _, entry = c.kv.get("k")
    c.kv.put("k", "w")
    assert c.kv.put("k", "x", cas=entry["ModifyIndex"]) is False
    assert c.kv.get("k")[1]["Value"] == b"w"


def test_delete(c):
    c.kv.put("k", "v")
    assert c.kv.delete("k") is True
    assert c.kv.get("k")[1] is None
    assert c.kv.delete("k") is True


def test_delete_with_cas(c):
    c.kv.put("k", "v")
    _, entry = c.kv.get("k")
    assert c.kv.delete("k", cas=entry["ModifyIndex"] + 1) is False
    assert c.kv.delete("k", cas=entry["ModifyIndex"]) is True
    assert c.kv.get("k")[1] is None


def test_delete_recurse(c):
    for key in ("a/1", "a/2", "b"):
        c.kv.put(key, "v")
    assert c.kv.delete("a/", recurse=True) is True
    assert c.kv.keys()[1] == ["b"]
    assert c.kv.delete("", recurse=True) is True
    assert c.kv.keys()[1] == []


def test_release_of_an_unheld_lock_is_false(c):
    c.kv.put("k", "v")
    assert c.kv.put("k", "v", release="no-such-session") is False


def test_acquire_with_an_unknown_session_is_a_server_error(c):
    with pytest.raises(consul.ServerError, match='invalid session "nope"'):
        c.kv.put("k", "v", acquire="nope")


# -- reads: consistency, blocking, datacenter, token -------------------------------------------


@pytest.mark.parametrize("mode", ["default", "consistent", "stale"])
def test_consistency_modes(c, mode):
    c.kv.put("k", "v")
    assert c.kv.get("k", consistency=mode)[1]["Value"] == b"v"
    assert c.kv.keys(consistency=mode)[1] == ["k"]
    assert c.kv.list(consistency=mode)[1][0]["Key"] == "k"


def test_consistency_of_the_client_is_the_default(connect):
    client = connect(consistency="stale")
    client.kv.put("k", "v")
    assert client.kv.get("k")[1]["Value"] == b"v"


def test_blocking_get_of_a_missing_key_returns_when_it_appears(c, consul_agent):
    index, entry = c.kv.get("later")
    assert entry is None
    pending = c.start.kv.get("later", index=index, wait="10s")
    wait_blocked(consul_agent)
    c.kv.put("other", "x")
    wait_blocked(consul_agent)
    c.kv.put("later", "here")
    new_index, entry = pending.result(10)
    assert entry["Value"] == b"here"
    assert new_index == entry["ModifyIndex"]


def test_blocking_list_and_keys(c, consul_agent):
    c.kv.put("dir/a", "1")
    index, _ = c.kv.list("dir/")
    listing = c.start.kv.list("dir/", index=index, wait=10)
    keys = c.start.kv.keys("dir/", index=index, wait=10)
    wait_blocked(consul_agent, 2)
    c.kv.put("dir/b", "2")
    assert [e["Key"] for e in listing.result(10)[1]] == ["dir/a", "dir/b"]
    assert keys.result(10)[1] == ["dir/a", "dir/b"]


def test_blocking_get_times_out_with_the_same_index(c):
    c.kv.put("k", "v")
    index, entry = c.kv.get("k")
    assert c.kv.get("k", index=index, wait="20ms") == (index, entry)


def test_datacenters(connect, consul_agent):
    client = connect()
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        client.kv.put("k", "v", dc="nowhere")
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        client.kv.delete("k", dc="nowhere")
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        client.kv.keys(dc="nowhere")
    assert client.kv.put("k", "v", dc=consul_agent.config.datacenter) is True


def test_a_token_is_accepted_on_every_method(c):
    assert c.kv.put("k", "v", token="t") is True
    assert c.kv.get("k", token="t")[1]["Value"] == b"v"
    assert c.kv.list(token="t")[1][0]["Key"] == "k"
    assert c.kv.keys(token="t")[1] == ["k"]
    assert c.kv.delete("k", token="t") is True


# -- errors ------------------------------------------------------------------------------------


def test_too_large_a_value_is_refused_by_the_agent(c):
    with pytest.raises(consul.RequestEntityTooLarge, match="too large"):
        c.kv.put("big", b"x" * (512 * 1024 + 1))


def test_key_names_the_agent_refuses(c):
    with pytest.raises(consul.ServerError, match="leading/trailing spaces are not allowed"):
        c.kv.put(" padded", "v")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda kv: kv.put("k", 5), TypeError, "value must be bytes, str or None"),
        (lambda kv: kv.put("k", "v", cas=1, acquire="s"), ValueError, "only one of cas"),
        (lambda kv: kv.put("k", "v", flags=-1), ValueError, "flags must be an unsigned"),
        (lambda kv: kv.put("k", "v", flags=2**64), ValueError, "flags must be an unsigned"),
        (lambda kv: kv.put("k", "v", cas="1"), TypeError, "cas must be an int"),
        (lambda kv: kv.put("k", "v", acquire=""), ValueError, "acquire must be a session ID"),
        (lambda kv: kv.put("", "v"), ValueError, "key must not be empty"),
        (lambda kv: kv.get(1), TypeError, "key must be a str"),
        (lambda kv: kv.get("a//b"), ValueError, "segments"),
        (lambda kv: kv.put("a/../b", "v"), ValueError, "segments"),
        (lambda kv: kv.delete("./a"), ValueError, "segments"),
        (lambda kv: kv.delete("a/", recurse=True, cas=1), ValueError, "cas cannot be combined"),
        (lambda kv: kv.get("k", consistency="eventual"), ValueError, "consistency must be"),
        (lambda kv: kv.get("k", index=-1), ValueError, "index must be an unsigned 64-bit"),
        (lambda kv: kv.get("k", index=2**64), ValueError, "index must be an unsigned 64-bit"),
        (lambda kv: kv.get("k", wait="soon"), ValueError, "wait must be a duration"),
    ],
)
def test_bad_arguments_fail_before_any_request(c, call, error, message):
    with pytest.raises(error, match=message):
        call(c.kv)


def test_a_trailing_slash_is_a_key_of_its_own(c):
    assert c.kv.put("dir/", None) is True
    assert c.kv.get("dir/")[1]["Key"] == "dir/"
