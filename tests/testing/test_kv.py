"""The embedded agent's KV store, checked with raw HTTP.

Expected behaviour from ``agent/kvs_endpoint.go`` (Consul 1.22),
``agent/consul/kvs_endpoint.go`` and ``agent/consul/state/kvs.go``.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json

import pytest
from harness import RawHTTP, wait_blocked

from consul.testing import DevAgent

MAX = 512 * 1024


def put(api, key, value=b"", **params):
    response = api.put(f"/v1/kv/{key}", data=value, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def entry(api, key):
    response = api.get(f"/v1/kv/{key}")
    assert response.status_code == 200, response.text
    [found] = response.json()
    return found


# -- entries ---------------------------------------------------------------------


def test_entry_json_has_consuls_fields_in_order(api):
    assert put(api, "web/config", b"\x00\xffbinary", flags=42) is True
    response = api.get("/v1/kv/web/config")
    assert response.headers["Content-Type"] == "application/json"
    [found] = response.json()
    assert list(found) == ["LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"]
    assert found["Key"] == "web/config"
    assert found["Flags"] == 42
    assert base64.b64decode(found["Value"]) == b"\x00\xffbinary"
    assert found["LockIndex"] == 0
    assert found["CreateIndex"] == found["ModifyIndex"] >= 1


def test_dev_agent_indents_json_and_adds_a_newline_only_for_pretty(api):
    put(api, "k", b"v")
    plain = api.get("/v1/kv/k").content
    pretty = api.get("/v1/kv/k?pretty").content
    assert plain.startswith(b'[\n    {\n        "LockIndex": 0,')
    assert not plain.endswith(b"\n")
    assert pretty == plain + b"\n"


def test_empty_value_reads_back_as_null(api):
    put(api, "empty")
    assert entry(api, "empty")["Value"] is None


def test_a_write_without_flags_resets_them(api):
    put(api, "k", b"v", flags=7)
    put(api, "k", b"v")
    assert entry(api, "k")["Flags"] == 0


def test_rewrite_keeps_create_index_and_moves_modify_index(api):
    put(api, "k", b"one")
    first = entry(api, "k")
    put(api, "k", b"two")
    second = entry(api, "k")
    assert second["CreateIndex"] == first["CreateIndex"]
    assert second["ModifyIndex"] > first["ModifyIndex"]


def test_a_write_that_changes_nothing_keeps_the_modify_index(api):
    put(api, "k", b"same", flags=1)
    before = entry(api, "k")
    put(api, "k", b"same", flags=1)
    assert entry(api, "k")["ModifyIndex"] == before["ModifyIndex"]
    # It still took a Raft index: the next real write comes two later.
    put(api, "other", b"x")
    assert entry(api, "other")["ModifyIndex"] == before["ModifyIndex"] + 2


def test_body_is_the_value_whatever_its_content_type(api):
    put(api, "k", b'{"a": 1}')
    response = api.put("/v1/kv/j", data=b"raw", headers={"Content-Type": "application/json"})
    assert response.json() is True
    assert base64.b64decode(entry(api, "j")["Value"]) == b"raw"


def test_raw_returns_the_bytes_with_protective_headers(api):
    put(api, "page", b"<script>alert(1)</script>")
    response = api.get("/v1/kv/page?raw")
    assert response.status_code == 200
    assert response.content == b"<script>alert(1)</script>"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["X-Consul-Index"] == str(entry(api, "page")["ModifyIndex"])


def test_raw_is_ignored_with_recurse(api):
    put(api, "dir/a", b"1")
    response = api.get("/v1/kv/dir/?recurse&raw")
    assert response.headers["Content-Type"] == "application/json"
    assert [e["Key"] for e in response.json()] == ["dir/a"]


def test_missing_key_is_an_empty_404_with_query_meta(api):
    put(api, "other", b"x")
    response = api.get("/v1/kv/missing")
    assert response.status_code == 404
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert int(response.headers["X-Consul-Index"]) == entry(api, "other")["ModifyIndex"]
    assert response.headers["X-Consul-KnownLeader"] == "true"
    assert response.headers["X-Consul-LastContact"] == "0"
    assert response.headers["X-Consul-Query-Backend"] == "blocking-query"
    assert "X-Consul-Effective-Consistency" not in response.headers


def test_empty_store_reports_index_one(api):
    response = api.get("/v1/kv/missing")
    assert response.headers["X-Consul-Index"] == "1"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_missing_key_name(api, method):
    response = api.request(method, "/v1/kv/")
    assert response.status_code == 400
    assert response.text == "Missing key name"


# -- listing ---------------------------------------------------------------------


def test_recurse_lists_the_prefix_sorted(api):
    for key in ("web/b", "web/a", "webs", "db/a"):
        put(api, key, key.encode())
    response = api.get("/v1/kv/web/?recurse")
    assert [e["Key"] for e in response.json()] == ["web/a", "web/b"]
    everything = api.get("/v1/kv/?recurse").json()
    assert [e["Key"] for e in everything] == ["db/a", "web/a", "web/b", "webs"]


def test_recurse_is_a_presence_flag(api):
    put(api, "a/b", b"1")
    assert [e["Key"] for e in api.get("/v1/kv/a/?recurse=false").json()] == ["a/b"]


@pytest.mark.parametrize("path", ["/v1/kv/nothing/?recurse", "/v1/kv/?recurse"])
def test_recurse_over_nothing_is_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.content == b""


def test_keys_fold_at_the_separator(api):
    for key in ("web/bar", "web/foo", "web/subdir/a", "web/subdir/b"):
        put(api, key)
    assert api.get("/v1/kv/web/?keys&separator=/").json() == [
        "web/bar",
        "web/foo",
        "web/subdir/",
    ]
    assert api.get("/v1/kv/web/?keys").json() == [
        "web/bar",
        "web/foo",
        "web/subdir/a",
        "web/subdir/b",
    ]
    # Consul still reads its historic misspelling; the right one wins.
    assert api.get("/v1/kv/web/?keys&seperator=/").json()[-1] == "web/subdir/"
    assert api.get("/v1/kv/web/?keys&seperator=/&separator=x").json()[-1] == "web/subdir/b"


def test_keys_of_an_empty_root_is_an_empty_list_but_of_a_prefix_404(api):
    root = api.get("/v1/kv/?keys")
    assert root.status_code == 200
    assert root.json() == []
    assert api.get("/v1/kv/none/?keys").status_code == 404


def test_list_index_is_the_highest_under_the_prefix(api):
    put(api, "a/1")
    put(api, "b/1")
    index_a = entry(api, "a/1")["ModifyIndex"]
    response = api.get("/v1/kv/a/?recurse")
    assert int(response.headers["X-Consul-Index"]) == index_a
    keys = api.get("/v1/kv/a/?keys")
    assert int(keys.headers["X-Consul-Index"]) == index_a


def test_tombstones_keep_a_list_index_from_going_back(api):
    put(api, "a/1")
    put(api, "a/2")
    api.delete("/v1/kv/a/2")
    put(api, "z", b"later")
    listing = api.get("/v1/kv/a/?recurse")
    # The deletion of a/2 (one index after its write) still counts.
    assert int(listing.headers["X-Consul-Index"]) == entry(api, "z")["ModifyIndex"] - 1


def test_a_tree_deletion_leaves_one_tombstone_at_the_prefix(api):
    put(api, "t/x/1")
    put(api, "t/y/1")
    api.delete("/v1/kv/t/?recurse")
    put(api, "u", b"later")
    deleted_at = entry(api, "u")["ModifyIndex"] - 1
    assert int(api.get("/v1/kv/t/?keys").headers["X-Consul-Index"]) == deleted_at
    assert int(api.get("/v1/kv/t?keys").headers["X-Consul-Index"]) == deleted_at
    # "t/x/" is not under the tombstone's key "t/": the table index applies.
    assert int(api.get("/v1/kv/t/x/?keys").headers["X-Consul-Index"]) == deleted_at + 1


# -- flags and conflicting options ----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("flags=abc", 'strconv.ParseUint: parsing "abc": invalid syntax'),
        ("flags=-1", 'strconv.ParseUint: parsing "-1": invalid syntax'),
        ("flags=", 'strconv.ParseUint: parsing "": invalid syntax'),
        ("flags=%D9%A1", 'strconv.ParseUint: parsing "\u0661": invalid syntax'),
        (
            "flags=18446744073709551616",
            'strconv.ParseUint: parsing "18446744073709551616": value out of range',
        ),
        ("cas=x", 'strconv.ParseUint: parsing "x": invalid syntax'),
    ],
)
def test_bad_numbers_are_server_errors(api, query, message):
    response = api.put(f"/v1/kv/k?{query}", data=b"v")
    assert response.status_code == 500
    assert response.text == message


def test_largest_flags_value(api):
    put(api, "k", b"v", flags=2**64 - 1)
    assert entry(api, "k")["Flags"] == 2**64 - 1


@pytest.mark.parametrize(
    ("method", "query", "shown"),
    [
        ("PUT", "release=b&cas=1&acquire=a", "acquire=a&cas=1&release=b"),
        ("PUT", "cas=0&acquire=a&z=2&z=1", "acquire=a&cas=0&z=2&z=1"),
        ("DELETE", "recurse&cas=5", "cas=5&recurse="),
    ],
)
def test_conflicting_flags(api, method, query, shown):
    response = api.request(method, f"/v1/kv/k?{query}")
    assert response.status_code == 400
    assert response.text == f"Conflicting flags: {shown}\n"


# -- check-and-set and deletion ---------------------------------------------------------


def test_cas_zero_only_creates(api):
    assert put(api, "k", b"v", cas=0) is True
    assert put(api, "k", b"w", cas=0) is False


def test_cas_writes_only_on_the_current_index(api):
    put(api, "k", b"v")
    index = entry(api, "k")["ModifyIndex"]
    assert put(api, "k", b"w", cas=index + 100) is False
    assert put(api, "k", b"w", cas=index) is True
    assert put(api, "k", b"x", cas=index) is False
    assert put(api, "missing", b"x", cas=index) is False


def test_delete_succeeds_for_absent_keys(api):
    assert api.delete("/v1/kv/never").json() is True


def test_delete_cas(api):
    put(api, "k", b"v")
    index = entry(api, "k")["ModifyIndex"]
    assert api.delete("/v1/kv/k?cas=0").json() is False
    assert api.delete(f"/v1/kv/k?cas={index + 1}").json() is False
    assert api.delete(f"/v1/kv/k?cas={index}").json() is True
    assert api.get("/v1/kv/k").status_code == 404
    # Nothing left to delete: a CAS delete of nothing succeeds.
    assert api.delete("/v1/kv/k?cas=12345").json() is True


def test_recursive_delete(api):
    for key in ("a/1", "a/2", "ab"):
        put(api, key)
    assert api.delete("/v1/kv/a/?recurse").json() is True
    assert api.get("/v1/kv/?keys").json() == ["ab"]
    assert api.delete("/v1/kv/?recurse").json() is True
    assert api.get("/v1/kv/?keys").json() == []


# -- request body size (Consul 1.22) ---------------------------------------------------


def test_declared_length_over_the_limit_is_413(api):
    response = api.put("/v1/kv/big", data=b"x" * (MAX + 1))
    assert response.status_code == 413
    assert response.text == (
        f"Request body({MAX + 1} bytes) too large, max size: {MAX} bytes. See "
        "https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size."
    )
    assert api.get("/v1/kv/big").status_code == 404


def test_value_of_the_limit_is_stored(api):
    assert put(api, "big", b"x" * MAX) is True
    assert len(api.get("/v1/kv/big?raw").content) == MAX


def chunks(size):
    sent = 0
    while sent < size:
        piece = min(65536, size - sent)
        sent += piece
        yield b"y" * piece


def test_chunked_body_over_the_limit_is_413(api):
    response = api.put("/v1/kv/big", data=chunks(MAX + 2))
    assert response.status_code == 413
    assert response.text == f"Request body too large. Max allowed is {MAX} bytes."


def test_chunked_body_gets_one_byte_of_slack(api):
    # http.MaxBytesReader(body, max + 1) lets max + 1 bytes through.
    response = api.put("/v1/kv/big", data=chunks(MAX + 1))
    assert response.json() is True
    assert len(api.get("/v1/kv/big?raw").content) == MAX + 1


# -- key names (Consul 1.22: PR #22850) -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("..%2Fetc%2Fpasswd", "invalid key name, path traversal is not allowed"),
        ("a/..%2F..%2Fb", "invalid key name, path traversal is not allowed"),
        ("%2e%2e", "invalid key name, path traversal is not allowed"),
        ("x/%252e%252e%252fy", "invalid key name, path traversal is not allowed"),
        ("%20leading", "invalid key name, leading/trailing spaces are not allowed"),
        ("trailing%20", "invalid key name, leading/trailing spaces are not allowed"),
        ("a%2520b", "invalid key name, leading/trailing spaces are not allowed"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_invalid_key_names_are_server_errors(api, method, path, message):
    response = api.send(method, f"/v1/kv/{path}")
    assert response.status == 500
    assert response.data.decode() == message


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("foo%20bar", "foo bar"),
        ("foo:bar;baz", "foo:bar;baz"),
        ("fo%C3%A7o", "foço"),
        ("con..fig", "con..fig"),
        ("100%25", "100%"),
        ("a%252Fb", "a%2Fb"),
        ("dir/", "dir/"),
    ],
)
def test_keys_consul_accepts(api, path, key):
    assert put(api, path, b"v") is True
    assert entry(api, path)["Key"] == key


def test_keys_are_cleaned_as_paths(api):
    # Escaped slashes escape ServeMux's cleaning, not KVSEndpoint's path.Clean.
    assert put(api, "a%2F..%2Fb", b"v") is True
    assert put(api, "x%2F.%2F%2Fy", b"v") is True
    assert [e["Key"] for e in api.get("/v1/kv/?recurse").json()] == ["b", "x/y"]


def test_validation_can_be_disabled_with_a_warning():
    with DevAgent(disable_kv_key_validation=True) as agent:
        raw = RawHTTP(agent.url)
        try:
            response = raw.put("/v1/kv/%20spaced", data=b"v")
            assert response.json() is True
            assert response.headers["X-Consul-KV-Warning"] == (
                "KV key validation bypassed: invalid key name, leading/trailing spaces are "
                "not allowed. Consider enabling key validation for security."
            )
            [found] = raw.get("/v1/kv/%20spaced").json()
            assert found["Key"] == " spaced"
            assert "X-Consul-KV-Warning" not in raw.get("/v1/kv/fine").headers
        finally:
            raw.close()


# -- locks (without a session) ------------------------------------------------------------


def test_acquire_with_an_unknown_session_is_a_server_error(api):
    response = api.put("/v1/kv/lock?acquire=no-such-session", data=b"")
    assert response.status_code == 500
    assert response.text == 'raft apply failed: invalid session "no-such-session"'


@pytest.mark.parametrize("op", ["acquire", "release"])
def test_lock_operations_need_a_session(api, op):
    response = api.put(f"/v1/kv/lock?{op}=", data=b"")
    assert response.status_code == 500
    assert response.text == "raft apply failed: missing session"


def test_release_of_an_unlocked_key_is_false(api):
    put(api, "k", b"v")
    assert put(api, "k", b"v", release="some-session") is False


# -- consistency and blocking ---------------------------------------------------------------


def test_consistency_modes_are_accepted(api):
    put(api, "k", b"v")
    for mode in ("stale", "consistent", "leader", "cached", "max_stale=5s"):
        assert api.get(f"/v1/kv/k?{mode}").status_code == 200


def test_blocking_get_returns_the_new_value(consul_agent, api):
    put(api, "k", b"one")
    index = entry(api, "k")["ModifyIndex"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/kv/k?index={index}&wait=10s")
        wait_blocked(consul_agent)
        put(api, "k", b"two")
        response = pending.result(10)
    [found] = response.json()
    assert base64.b64decode(found["Value"]) == b"two"
    assert int(response.headers["X-Consul-Index"]) == found["ModifyIndex"] > index


def test_blocking_on_a_missing_key_waits_for_the_key_itself(consul_agent, api):
    index = api.get("/v1/kv/wanted").headers["X-Consul-Index"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/kv/wanted?index={index}&wait=10s")
        wait_blocked(consul_agent)
        put(api, "unrelated", b"x")  # moves the table index the query reports
        wait_blocked(consul_agent)  # ... but it went back to waiting
        assert not pending.done()
        put(api, "wanted", b"here")
        response = pending.result(10)
    assert response.status_code == 200
    assert response.json()[0]["Key"] == "wanted"


def test_blocking_list_wakes_on_a_deletion_under_the_prefix(consul_agent, api):
    put(api, "p/a")
    put(api, "p/b")
    index = api.get("/v1/kv/p/?recurse").headers["X-Consul-Index"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/kv/p/?keys&index={index}&wait=10s")
        wait_blocked(consul_agent)
        api.delete("/v1/kv/p/b")
        response = pending.result(10)
    assert response.json() == ["p/a"]
    assert int(response.headers["X-Consul-Index"]) > int(index)


def test_blocking_query_times_out_with_the_same_index(api):
    put(api, "k", b"v")
    index = entry(api, "k")["ModifyIndex"]
    response = api.get(f"/v1/kv/k?index={index}&wait=50ms")
    assert response.status_code == 200
    assert int(response.headers["X-Consul-Index"]) == index
    assert json.loads(response.content)[0]["Key"] == "k"


# -- Consul Enterprise parameters ----------------------------------------------------------


NAMESPACES = 'Invalid query parameter: "ns" - Namespaces'
PARTITIONS = 'Invalid query parameter: "partition" - Partitions'


@pytest.mark.parametrize(
    ("method", "target", "headers", "message"),
    [
        ("GET", "/v1/kv/k?ns=team", {}, NAMESPACES),
        ("GET", "/v1/kv/?keys&partition=p", {}, PARTITIONS),
        ("PUT", "/v1/kv/?ns=team", {}, NAMESPACES),
        ("DELETE", "/v1/kv/k", {"X-Consul-Namespace": "t"}, 'Invalid header: "X-Consul-Namespace"'),
        # A GET checks its key first.
        ("GET", "/v1/kv/?ns=team", {}, "Missing key name"),
    ],
)
def test_enterprise_parameters_are_refused(api, method, target, headers, message):
    response = api.request(method, target, headers=headers)
    assert response.status_code == 400
    assert response.text.startswith(message)
    if "Enterprise" in response.text:
        assert response.text.endswith(" are a Consul Enterprise feature")
