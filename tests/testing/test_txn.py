"""``PUT /v1/txn`` of the embedded agent, over raw HTTP."""

from __future__ import annotations

import base64
import concurrent.futures
from typing import Any

import pytest


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def kv(verb: str, key: str, **fields: Any) -> dict[str, Any]:
    return {"KV": {"Verb": verb, "Key": key, **fields}}


def put_kv(api: Any, key: str, value: str) -> dict[str, Any]:
    assert api("PUT", f"/v1/kv/{key}", data=value).json() is True
    return api("GET", f"/v1/kv/{key}").json()[0]


def test_writes_share_one_index_and_results_carry_no_values(api: Any) -> None:
    r = api("PUT", "/v1/txn", json=[kv("set", "a", Value=b64("1")), kv("set", "b", Flags=7)])
    assert r.status_code == 200
    assert "X-Consul-Index" not in r.headers
    body = r.json()
    assert list(body) == ["Results", "Errors"]
    assert body["Errors"] is None
    a, b = (result["KV"] for result in body["Results"])
    assert list(a) == ["LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"]
    assert a["Value"] is None
    assert b["Flags"] == 7
    assert a["ModifyIndex"] == b["ModifyIndex"] == a["CreateIndex"]
    assert api("GET", "/v1/kv/a").json()[0]["Value"] == b64("1")


def test_deletes_have_no_result(api: Any) -> None:
    put_kv(api, "gone", "x")
    r = api("PUT", "/v1/txn", json=[kv("delete", "gone"), kv("delete-tree", "nothing/")])
    assert r.status_code == 200
    assert r.json() == {"Results": [], "Errors": None}
    assert api("GET", "/v1/kv/gone").status_code == 404


def test_every_error_is_reported_and_nothing_is_applied(api: Any) -> None:
    entry = put_kv(api, "a", "old")
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            kv("set", "new", Value=b64("x")),
            kv("cas", "a", Value=b64("y"), Index=entry["ModifyIndex"] + 100),
            kv("delete", "a"),
            kv("check-not-exists", "new"),  # sees the earlier set of the same transaction
        ],
    )
    assert r.status_code == 409
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {
        "Results": None,
        "Errors": [
            {"OpIndex": 1, "What": 'failed to set key "a", index is stale'},
            {"OpIndex": 3, "What": 'key "new" exists'},
        ],
    }
    assert api("GET", "/v1/kv/new").status_code == 404
    assert api("GET", "/v1/kv/a").json()[0] == entry


def test_a_failed_transaction_wakes_no_blocking_query(api: Any) -> None:
    entry = put_kv(api, "watched", "v")
    index = entry["ModifyIndex"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api, "GET", f"/v1/kv/watched?index={index}&wait=300ms")
        r = api("PUT", "/v1/txn", json=[kv("set", "watched", Value=b64("w")), kv("get", "no")])
        assert r.status_code == 409
        answer = pending.result(10)
    # The query ran out its wait: the key and its index never moved.
    assert answer.headers["X-Consul-Index"] == str(index)
    assert answer.json()[0]["Value"] == b64("v")


def test_a_successful_transaction_wakes_blocking_queries(api: Any) -> None:
    entry = put_kv(api, "watched", "v")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api, "GET", f"/v1/kv/watched?index={entry['ModifyIndex']}&wait=10s")
        r = api("PUT", "/v1/txn", json=[kv("set", "watched", Value=b64("w"))])
        answer = pending.result(10)
    assert answer.json()[0]["Value"] == b64("w")
    assert int(answer.headers["X-Consul-Index"]) == r.json()["Results"][0]["KV"]["ModifyIndex"]


def test_reads(api: Any) -> None:
    put_kv(api, "dir/a", "1")
    put_kv(api, "dir/b", "2")
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            kv("get", "dir/a"),
            kv("get-tree", "dir/"),
            kv("get-or-empty", "dir/none", Flags=3),
            kv("check-index", "dir/a", Index=api("GET", "/v1/kv/dir/a").json()[0]["ModifyIndex"]),
        ],
    )
    assert r.status_code == 200
    results = [result["KV"] for result in r.json()["Results"]]
    assert [e["Key"] for e in results] == ["dir/a", "dir/a", "dir/b", "dir/none", "dir/a"]
    assert [e["Value"] for e in results] == [b64("1"), b64("1"), b64("2"), None, None]
    assert results[3] == {
        "LockIndex": 0,
        "Key": "dir/none",
        "Flags": 3,
        "Value": None,
        "CreateIndex": 0,
        "ModifyIndex": 0,
    }


def test_a_read_only_transaction_is_served_as_a_read(api: Any) -> None:
    r = api("PUT", "/v1/txn?stale", json=[kv("get-or-empty", "k")])
    assert r.status_code == 200
    assert r.headers["X-Consul-KnownLeader"] == "true"
    assert r.headers["X-Consul-LastContact"] == "0"
    assert "X-Consul-Index" not in r.headers
    body = r.json()
    assert list(body) == [
        "Results",
        "Errors",
        "Index",
        "LastContact",
        "KnownLeader",
        "ConsistencyLevel",
        "NotModified",
        "Backend",
        "ResultsFilteredByACLs",
    ]
    assert body["Index"] == 0
    assert body["KnownLeader"] is True
    conflicting = api("PUT", "/v1/txn?stale&consistent", json=[kv("get-or-empty", "k")])
    assert conflicting.status_code == 400
    assert conflicting.text == "Cannot specify ?stale with ?consistent, conflicting semantics."


@pytest.mark.parametrize(
    ("op", "what"),
    [
        (kv("get", "missing"), 'key "missing" doesn\'t exist'),
        (kv("get", ""), "Must provide key"),
        (
            kv("check-index", "missing", Index=3),
            'failed to check index, key "missing" doesn\'t exist',
        ),
        (
            kv("check-session", "missing", Session="s"),
            'failed to check session, key "missing" doesn\'t exist',
        ),
        (kv("bogus", "k"), 'unknown KV verb "bogus"'),
    ],
)
def test_read_errors(api: Any, op: dict[str, Any], what: str) -> None:
    r = api("PUT", "/v1/txn", json=[op])
    assert r.status_code == 409
    assert r.json()["Errors"] == [{"OpIndex": 0, "What": what}]
    assert "Index" in r.json()


def test_check_index_and_session_compare_the_current_entry(api: Any) -> None:
    entry = put_kv(api, "k", "v")
    r = api("PUT", "/v1/txn", json=[kv("check-index", "k", Index=entry["ModifyIndex"] + 1)])
    assert r.json()["Errors"][0]["What"] == (
        f'failed index check for key "k", current modify index {entry["ModifyIndex"]} '
        f"!= {entry['ModifyIndex'] + 1}"
    )
    r = api("PUT", "/v1/txn", json=[kv("check-session", "k", Session="abc")])
    assert r.json()["Errors"][0]["What"] == (
        'failed session check for key "k", current session "" != "abc"'
    )


def test_lock_needs_a_session(api: Any) -> None:
    r = api("PUT", "/v1/txn", json=[kv("lock", "k"), kv("unlock", "k", Session="nope")])
    assert r.status_code == 409
    assert r.json()["Errors"] == [
        {"OpIndex": 0, "What": "missing session"},
        {
            "OpIndex": 1,
            "What": 'failed to unlock key "k", lock isn\'t held, or is held by another session',
        },
    ]


def test_delete_cas(api: Any) -> None:
    entry = put_kv(api, "k", "v")
    stale = api("PUT", "/v1/txn", json=[kv("delete-cas", "k", Index=entry["ModifyIndex"] + 1)])
    assert stale.json()["Errors"] == [
        {"OpIndex": 0, "What": 'failed to delete key "k", index is stale'}
    ]
    ok = api("PUT", "/v1/txn", json=[kv("delete-cas", "k", Index=entry["ModifyIndex"])])
    assert ok.status_code == 200
    assert api("GET", "/v1/kv/k").status_code == 404


def test_operation_limit(api: Any) -> None:
    assert api("PUT", "/v1/txn", json=[kv("get-or-empty", "k")] * 128).status_code == 200
    r = api("PUT", "/v1/txn", json=[kv("get-or-empty", "k")] * 129)
    assert r.status_code == 413
    assert r.text == "Transaction contains too many operations (129 > 128)"


def test_size_limits(api: Any) -> None:
    r = api("PUT", "/v1/txn", data=b" " * (512 * 1024 + 1))
    assert r.status_code == 413
    assert r.text == (
        "Request body(524289 bytes) too large, max size: 524288 bytes. "
        "See https://www.consul.io/docs/agent/config/config-files#txn_max_req_len."
    )
    value = base64.b64encode(b"x" * 300_000).decode()
    assert api("PUT", "/v1/txn", json=[kv("set", "k", Value=value)]).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Failed to parse body: EOF"),
        (
            b"{}",
            "Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps",
        ),
        (
            b'[{"KV": {"Verb": "set", "Key": "k", "Bogus": 1}}]',
            'Failed to parse body: json: unknown field "Bogus"',
        ),
        (
            b'[{"KV": {"Verb": "set", "Key": "k", "Value": "!!"}}]',
            "Failed to parse body: illegal base64 data at input byte 0",
        ),
        (
            b'[{"Session": {"Verb": "delete"}}]',
            'Failed to parse body: json: unknown field "Session"',
        ),
    ],
)
def test_bad_bodies(api: Any, body: bytes, message: str) -> None:
    r = api("PUT", "/v1/txn", data=body)
    assert r.status_code == 400
    assert r.text == message


def test_only_put(api: Any) -> None:
    r = api("GET", "/v1/txn")
    assert r.status_code == 405
    assert r.headers["Allow"] == "OPTIONS,PUT"


def test_catalog_operations(api: Any) -> None:
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {"Node": {"Verb": "set", "Node": {"Node": "n1", "Address": "10.0.0.1"}}},
            {"Service": {"Verb": "set", "Node": "n1", "Service": {"Service": "web", "Port": 80}}},
            {
                "Check": {
                    "Verb": "set",
                    "Check": {
                        "Node": "n1",
                        "CheckID": "web-check",
                        "Name": "web check",
                        "ServiceID": "web",
                        "ServiceName": "web",
                        "Status": "passing",
                    },
                }
            },
        ],
    )
    assert r.status_code == 200, r.text
    node, service, check = r.json()["Results"]
    assert node["Node"]["Node"] == "n1"
    assert node["Node"]["Datacenter"] == "dc1"
    assert service["Service"]["ID"] == "web"
    assert service["Service"]["Port"] == 80
    assert check["Check"]["Status"] == "passing"
    index = node["Node"]["ModifyIndex"]
    assert service["Service"]["ModifyIndex"] == check["Check"]["ModifyIndex"] == index
    listed = api("GET", "/v1/catalog/service/web").json()
    assert [s["Node"] for s in listed] == ["n1"]

    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {"Node": {"Verb": "get", "Node": {"Node": "n1"}}},
            {"Service": {"Verb": "get", "Node": "n1", "Service": {"ID": "nope"}}},
            {"Node": {"Verb": "cas", "Node": {"Node": "n1", "ModifyIndex": index + 1}}},
        ],
    )
    assert r.status_code == 409
    assert r.json()["Errors"] == [
        {"OpIndex": 1, "What": 'service "nope" on node "n1" doesn\'t exist'},
        {"OpIndex": 2, "What": 'failed to set node "n1", index is stale'},
    ]


def test_nodes_services_and_checks_share_their_verbs(api: Any) -> None:
    check = {"Node": "n1", "CheckID": "c1", "Name": "c1", "ServiceID": "web", "ServiceName": "web"}
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {"Node": {"Verb": "set", "Node": {"Node": "n1", "Address": "10.0.0.1"}}},
            {"Service": {"Verb": "set", "Node": "n1", "Service": {"Service": "web"}}},
            {"Check": {"Verb": "set", "Check": check}},
        ],
    )
    assert r.status_code == 200, r.text
    index = r.json()["Results"][0]["Node"]["ModifyIndex"]
    stale = index + 1
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {"Check": {"Verb": "get", "Check": {"Node": "n1", "CheckID": "nope"}}},
            {"Node": {"Verb": "cas", "Node": {"Node": "n1", "ModifyIndex": 0}}},
            {
                "Service": {
                    "Verb": "cas",
                    "Node": "n1",
                    "Service": {"ID": "web", "Service": "web", "ModifyIndex": stale},
                }
            },
            {"Check": {"Verb": "delete-cas", "Check": {**check, "ModifyIndex": stale}}},
            {"Node": {"Verb": "delete-cas", "Node": {"Node": "n1", "ModifyIndex": stale}}},
        ],
    )
    assert r.status_code == 409
    assert r.json()["Errors"] == [
        {"OpIndex": 0, "What": 'check "nope" on node "n1" doesn\'t exist'},
        {"OpIndex": 1, "What": 'failed to set node "n1", index is stale'},
        {"OpIndex": 2, "What": 'failed to set service "web" on node "n1", index is stale'},
        {"OpIndex": 3, "What": 'failed to delete check "c1" on node "n1", index is stale'},
        {"OpIndex": 4, "What": 'failed to delete node "n1", index is stale'},
    ]
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {
                "Service": {
                    "Verb": "cas",
                    "Node": "n1",
                    "Service": {"ID": "web", "Service": "web", "Port": 81, "ModifyIndex": index},
                }
            },
            {"Check": {"Verb": "delete-cas", "Check": {**check, "ModifyIndex": index}}},
            {"Service": {"Verb": "get", "Node": "n1", "Service": {"ID": "web"}}},
        ],
    )
    assert r.status_code == 200, r.text
    written, read = r.json()["Results"]
    assert written["Service"]["Port"] == read["Service"]["Port"] == 81
    assert api("GET", "/v1/health/node/n1").json() == []


def test_a_failed_transaction_leaves_the_catalog_alone(api: Any) -> None:
    before = api("GET", "/v1/catalog/nodes").json()
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {"Node": {"Verb": "set", "Node": {"Node": "n2", "Address": "10.0.0.2"}}},
            kv("get", "missing"),
        ],
    )
    assert r.status_code == 409
    assert api("GET", "/v1/catalog/nodes").json() == before


def test_a_failed_transaction_keeps_the_sessions_and_locks_a_deletion_would_end(
    api: Any,
) -> None:
    # Deleting a node ends its sessions (and releases their locks) within the
    # same write; when the transaction fails, that must be undone too.
    node = {"Node": "n3", "Address": "10.0.0.3"}
    assert api("PUT", "/v1/catalog/register", json=node).json() is True
    session = api("PUT", "/v1/session/create", json={"Node": "n3", "NodeChecks": []}).json()["ID"]
    assert api("PUT", f"/v1/kv/held?acquire={session}", data="x").json() is True
    r = api(
        "PUT",
        "/v1/txn",
        json=[{"Node": {"Verb": "delete", "Node": {"Node": "n3"}}}, kv("get", "missing")],
    )
    assert r.status_code == 409
    assert [s["ID"] for s in api("GET", f"/v1/session/info/{session}").json()] == [session]
    assert api("GET", "/v1/kv/held").json()[0]["Session"] == session
    assert api("GET", "/v1/catalog/node/n3").json()["Node"]["Node"] == "n3"


def test_node_pre_checks(api: Any) -> None:
    r = api(
        "PUT",
        "/v1/txn",
        json=[
            {"Node": {"Verb": "set", "Node": {"Address": "10.0.0.3"}}},
            {"Node": {"Verb": "frob", "Node": {"Node": "n"}}},
            {"Service": {"Verb": "set", "Node": "n", "Service": {"ID": "x"}}},
            {"Node": {"Verb": "set", "Node": {"Node": "n", "ID": "nope"}}},
            {
                "Node": {
                    "Verb": "set",
                    "Node": {"Node": "n", "ID": "z" * 8 + "-0000" * 3 + "-" + "0" * 12},
                }
            },
        ],
    )
    assert r.status_code == 409
    assert r.json()["Errors"] == [
        {"OpIndex": 0, "What": "Must provide node"},
        {"OpIndex": 1, "What": "unknown node operation: frob"},
        {"OpIndex": 2, "What": "Must provide service name with ID"},
        {"OpIndex": 3, "What": "Invalid node ID: uuid string is wrong length"},
        # go-uuid's ParseUUID hands on hex.DecodeString's error.
        {"OpIndex": 4, "What": "Invalid node ID: encoding/hex: invalid byte: U+007A 'z'"},
    ]
