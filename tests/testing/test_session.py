"""The embedded agent's sessions, checked with raw HTTP.

Expected behaviour from ``agent/session_endpoint.go``,
``agent/consul/session_endpoint.go``, ``agent/consul/session_ttl.go``,
``agent/consul/state/session.go`` and ``structs.Session`` (its JSON and
``UnmarshalJSON``).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import time

import pytest
from harness import RawHTTP, make_token, wait_blocked, wait_until

from consul.testing import DevAgent

SECOND = 1_000_000_000


@pytest.fixture(scope="module")
def short_ttl_agent():
    """An agent accepting TTLs from 100ms (``session_ttl_min``), for expiry tests."""
    with DevAgent(session_ttl_min=0.1) as agent:
        yield agent


@pytest.fixture
def fast(short_ttl_agent):
    short_ttl_agent.reset()
    raw = RawHTTP(short_ttl_agent.url)
    yield raw
    raw.close()


def create(api, body=None, **params):
    data = None if body is None else json.dumps(body)
    response = api.put("/v1/session/create", data=data, params=params)
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["ID"]
    return response.json()["ID"]


def info(api, session_id):
    response = api.get(f"/v1/session/info/{session_id}")
    assert response.status_code == 200, response.text
    return response.json()


def session(api, body=None):
    [found] = info(api, create(api, body))
    return found


def register(api, node, *checks, service=None):
    body = {"Node": node, "Address": "10.0.0.1", "Checks": list(checks)}
    if service:
        body["Service"] = service
    response = api.put("/v1/catalog/register", data=json.dumps(body))
    assert response.status_code == 200, response.text


def check(check_id, status="passing", **fields):
    return {"CheckID": check_id, "Name": check_id, "Status": status, **fields}


def kv(api, key):
    response = api.get(f"/v1/kv/{key}")
    return response.json()[0] if response.status_code == 200 else None


def acquire(api, key, session_id, value=b""):
    return api.put(f"/v1/kv/{key}?acquire={session_id}", data=value).json()


# -- create ----------------------------------------------------------------------------


def test_defaults(consul_agent, api):
    session_id = create(api)
    response = api.get(f"/v1/session/info/{session_id}")
    [found] = response.json()
    assert list(found) == [
        "ID",
        "Name",
        "Node",
        "LockDelay",
        "Behavior",
        "TTL",
        "NodeChecks",
        "ServiceChecks",
        "CreateIndex",
        "ModifyIndex",
    ]
    assert found["ID"] == session_id
    assert found["Name"] == ""
    assert found["Node"] == consul_agent.config.node_name
    assert found["LockDelay"] == 15 * SECOND
    assert found["Behavior"] == "release"
    assert found["TTL"] == ""
    assert found["NodeChecks"] == ["serfHealth"]
    assert found["ServiceChecks"] is None
    assert found["CreateIndex"] == found["ModifyIndex"] == int(response.headers["X-Consul-Index"])


def test_fields_match_case_insensitively_and_unknown_ones_are_ignored(api):
    found = session(
        api,
        {"name": "web-lock", "lockdelay": "30s", "behavior": "delete", "TTL": "20s", "Bogus": 1,
         "Namespace": "ignored"},
    )  # fmt: skip
    assert (found["Name"], found["LockDelay"], found["Behavior"], found["TTL"]) == (
        "web-lock",
        30 * SECOND,
        "delete",
        "20s",
    )


@pytest.mark.parametrize(
    ("lock_delay", "expected"),
    [
        (15, 15 * SECOND),
        (999, 999 * SECOND),  # under 1000: seconds
        (1000, 1000),  # from 1000: nanoseconds
        (1.9, 1 * SECOND),  # float64 -> Duration truncates to 1ns, then seconds
        (-5, -5 * SECOND),
        ("500ms", 500_000_000),
        ("500ns", 500 * SECOND),
        ("0", 0),
        (True, 0),  # neither string nor number: zero
        ({"x": 1}, 0),
        (None, 15 * SECOND),  # null keeps the default
    ],
)
def test_lock_delay_decoding(api, lock_delay, expected):
    assert session(api, {"LockDelay": lock_delay})["LockDelay"] == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "unexpected EOF"),
        (b"   ", "EOF"),
        (b"[1]", "json: cannot unmarshal array into Go value of type "
                 "struct { LockDelay interface {}; *structs.Alias }"),
        (b'{"Name": 5}', "json: cannot unmarshal number into Go struct field .Name of type string"),
        (b'{"NodeChecks": "serfHealth"}',
         "json: cannot unmarshal string into Go struct field .NodeChecks of type []string"),
        (b'{"Checks": [1]}',
         "json: cannot unmarshal number into Go struct field .Checks of type types.CheckID"),
        (b'{"LockDelay": "1x"}', 'time: unknown unit "x" in duration "1x"'),
        (b'{"LockDelay": "5"}', 'time: missing unit in duration "5"'),
    ],
)  # fmt: skip
def test_body_decode_errors(api, body, message):
    response = api.put("/v1/session/create", data=body)
    assert response.status_code == 400
    assert response.text == f"Request decode failed: {message}"


def test_null_and_chunked_bodies_keep_the_defaults(api):
    assert session(api, None)["NodeChecks"] == ["serfHealth"]
    assert api.put("/v1/session/create", data=b"null").status_code == 200
    # Only a body with a Content-Length is read.
    response = api.put("/v1/session/create", data=iter([b'{"Name": 5}']))
    assert response.status_code == 200
    assert info(api, response.json()["ID"])[0]["Name"] == ""


@pytest.mark.parametrize(
    ("body", "node_checks", "checks"),
    [
        ({}, ["serfHealth"], None),
        ({"Checks": []}, [], None),
        ({"Checks": None}, [], None),
        ({"NodeChecks": []}, [], None),
        ({"NodeChecks": None}, None, None),
        ({"Checks": ["serfHealth"]}, ["serfHealth"], None),
        ({"Checks": ["serfHealth", "c1"]}, ["serfHealth"], ["serfHealth", "c1"]),
        ({"Checks": ["c1"], "NodeChecks": []}, [], None),
        ({"NodeChecks": ["c1"]}, ["c1"], None),
    ],
)
def test_checks_and_node_checks_reconciled(consul_agent, api, body, node_checks, checks):
    register(api, consul_agent.config.node_name, check("c1"))
    found = session(api, body)
    assert found["NodeChecks"] == node_checks
    assert found.get("Checks") == checks


def test_service_checks(api):
    register(
        api,
        "n2",
        check("serfHealth"),
        check("svc-check", ServiceID="web"),
        service={"Service": "web"},
    )
    found = session(api, {"Node": "n2", "ServiceChecks": [{"ID": "svc-check", "Namespace": ""}]})
    assert found["ServiceChecks"] == [{"ID": "svc-check", "Namespace": ""}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Node": ""}, "Must provide Node"),
        ({"Behavior": "keep"}, "Invalid Behavior setting 'keep'"),
        ({"TTL": "1x"}, 'Session TTL \'1x\' invalid: time: unknown unit "x" in duration "1x"'),
        ({"TTL": "10"}, "Session TTL '10' invalid: time: missing unit in duration \"10\""),
        ({"TTL": "5s"}, "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]"),
        ({"TTL": "25h"}, "Invalid Session TTL '90000000000000', must be between [10s=24h0m0s]"),
        ({"TTL": "-10s"}, "Invalid Session TTL '-10000000000', must be between [10s=24h0m0s]"),
        ({"Node": "nowhere"}, "apply failed: Missing node registration"),
        ({"NodeChecks": ["nope"]}, "apply failed: Missing check 'nope' registration"),
        ({"ServiceChecks": [None]}, "apply failed: Missing check '' registration"),
    ],
)
def test_validation_errors_are_server_errors(api, body, message):
    response = api.put("/v1/session/create", data=json.dumps(body))
    assert response.status_code == 500
    assert response.text == message


def test_a_critical_check_cannot_back_a_session(api):
    register(api, "n2", check("serfHealth"), check("down", "critical"))
    response = api.put("/v1/session/create", data=json.dumps({"Node": "n2", "Checks": ["down"]}))
    assert response.status_code == 500
    assert response.text == "apply failed: Check 'down' is in critical state"


def test_zero_ttl_is_no_ttl(api):
    assert session(api, {"TTL": "0s"})["TTL"] == "0s"


def test_session_ttl_min_is_configurable(fast):
    assert session(fast, {"TTL": "100ms"})["TTL"] == "100ms"
    response = fast.put("/v1/session/create", data=json.dumps({"TTL": "99ms"}))
    assert response.text == "Invalid Session TTL '99000000', must be between [100ms=24h0m0s]"


def test_errors_come_in_consuls_order(api):
    bad_body = api.put("/v1/session/create?dc=nowhere", data=b"{")
    assert bad_body.status_code == 400
    no_dc = api.put("/v1/session/create?dc=nowhere", data=json.dumps({"Node": ""}))
    assert no_dc.text == "No path to datacenter"


def test_create_takes_one_raft_index_even_when_it_fails(api):
    first = session(api)
    api.put("/v1/session/create", data=json.dumps({"Node": "nowhere"}))
    assert session(api)["CreateIndex"] == first["CreateIndex"] + 2


# -- destroy, renew, reads --------------------------------------------------------------------


def test_destroy(api):
    session_id = create(api)
    response = api.put(f"/v1/session/destroy/{session_id}")
    assert response.status_code == 200
    assert response.json() is True
    assert info(api, session_id) == []


def test_destroying_nothing_is_true_and_writes_nothing(api):
    before = session(api)
    assert api.put("/v1/session/destroy/no-such-session").json() is True
    assert session(api)["CreateIndex"] == before["CreateIndex"] + 1


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("PUT", "/v1/session/destroy/", "Missing session"),
        ("PUT", "/v1/session/renew/", "Missing session"),
        ("GET", "/v1/session/info/", "Missing session"),
        ("GET", "/v1/session/node/", "Missing node name"),
    ],
)
def test_missing_path_parameter(api, method, path, message):
    response = api.request(method, path)
    assert response.status_code == 400
    assert response.text == message


def test_renew_returns_the_session_in_a_list(api):
    session_id = create(api, {"TTL": "10s"})
    response = api.put(f"/v1/session/renew/{session_id}")
    assert response.status_code == 200
    assert response.json() == info(api, session_id)
    assert "X-Consul-Index" not in response.headers


def test_renew_of_an_unknown_session_is_404(api):
    response = api.put("/v1/session/renew/f00")
    assert response.status_code == 404
    assert response.text == "Session id 'f00' not found"


def test_ids_and_node_names_match_in_any_case(consul_agent, api):
    session_id = create(api)
    assert info(api, session_id.upper())[0]["ID"] == session_id
    node = consul_agent.config.node_name
    listed = api.get(f"/v1/session/node/{node.upper()}").json()
    assert [s["ID"] for s in listed] == [session_id]


def test_list_and_node_sessions(api):
    register(api, "n2", check("serfHealth"))
    mine = [create(api) for _ in range(3)]
    theirs = create(api, {"Node": "n2"})
    listed = api.get("/v1/session/list")
    assert [s["ID"] for s in listed.json()] == sorted([*mine, theirs])
    assert int(listed.headers["X-Consul-Index"]) == info(api, theirs)[0]["CreateIndex"]
    assert [s["ID"] for s in api.get("/v1/session/node/n2").json()] == [theirs]
    assert api.get("/v1/session/node/n3").json() == []


def test_reads_of_nothing_are_empty_lists(api):
    for path in ("/v1/session/list", "/v1/session/info/x", "/v1/session/node/x"):
        response = api.get(path)
        assert response.status_code == 200
        assert response.json() == []
        assert response.headers["X-Consul-Index"] == "1"


def test_a_failed_read_still_carries_query_meta(api):
    response = api.get("/v1/session/list?dc=nowhere")
    assert response.status_code == 500
    assert response.headers["X-Consul-Index"] == "1"
    assert response.headers["X-Consul-KnownLeader"] == "false"
    assert response.headers["X-Consul-LastContact"] == "0"


# -- blocking --------------------------------------------------------------------------------


def test_blocking_list_returns_when_a_session_is_created(consul_agent, api):
    index = api.get("/v1/session/list").headers["X-Consul-Index"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/session/list?index={index}&wait=10s")
        wait_blocked(consul_agent)
        api.put("/v1/kv/unrelated", data=b"x")
        wait_blocked(consul_agent)
        assert not pending.done()
        session_id = create(api)
        response = pending.result(10)
    assert [s["ID"] for s in response.json()] == [session_id]


def test_blocking_info_returns_when_the_session_ends(consul_agent, api):
    session_id = create(api)
    index = api.get(f"/v1/session/info/{session_id}").headers["X-Consul-Index"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/session/info/{session_id}?index={index}&wait=10s")
        wait_blocked(consul_agent)
        api.put(f"/v1/session/destroy/{session_id}")
        response = pending.result(10)
    assert response.json() == []
    assert int(response.headers["X-Consul-Index"]) > int(index)


def test_blocking_info_on_a_missing_session_ignores_other_sessions(consul_agent, api):
    index = api.get("/v1/session/info/gone").headers["X-Consul-Index"]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/session/info/gone?index={index}&wait=1s")
        wait_blocked(consul_agent)
        other = create(api)
        wait_blocked(consul_agent)  # woke, found nothing again, blocked again
        response = pending.result(10)
    assert time.monotonic() - started >= 1
    assert response.json() == []
    assert int(response.headers["X-Consul-Index"]) == info(api, other)[0]["CreateIndex"]


# -- locks ----------------------------------------------------------------------------------


def test_lock_life_cycle(api):
    first, second = create(api), create(api)
    assert acquire(api, "lock", first, b"one") is True
    held = kv(api, "lock")
    assert (held["Session"], held["LockIndex"]) == (first, 1)
    assert acquire(api, "lock", first, b"again") is True
    assert kv(api, "lock")["LockIndex"] == 1
    assert base64.b64decode(kv(api, "lock")["Value"]) == b"again"
    assert acquire(api, "lock", second) is False
    assert api.put(f"/v1/kv/lock?release={second}", data=b"x").json() is False
    assert api.put(f"/v1/kv/lock?release={first}", data=b"released").json() is True
    released = kv(api, "lock")
    assert "Session" not in released
    assert released["LockIndex"] == 1
    assert base64.b64decode(released["Value"]) == b"released"
    # A release starts no lock-delay.
    assert acquire(api, "lock", second) is True
    assert kv(api, "lock")["LockIndex"] == 2


def test_a_plain_write_to_a_locked_key_keeps_the_session_but_not_the_lock_index(api):
    holder = create(api)
    acquire(api, "lock", holder)
    assert api.put("/v1/kv/lock", data=b"overwritten").json() is True
    entry = kv(api, "lock")
    assert entry["Session"] == holder
    assert entry["LockIndex"] == 0


def test_session_ids_in_locks_match_in_any_case(api):
    holder = create(api, {"LockDelay": "0s"})
    assert acquire(api, "lock", holder.upper()) is True
    assert kv(api, "lock")["Session"] == holder.upper()
    api.put(f"/v1/session/destroy/{holder}")
    assert "Session" not in kv(api, "lock")


def test_destroy_releases_locks_under_lock_delay(api):
    holder = create(api, {"LockDelay": "300ms"})
    other = create(api)
    acquire(api, "lock", holder, b"v")
    api.put(f"/v1/session/destroy/{holder}")
    entry = kv(api, "lock")
    assert "Session" not in entry
    assert entry["LockIndex"] == 1
    assert base64.b64decode(entry["Value"]) == b"v"
    assert acquire(api, "lock", other) is False
    # The refusal took no Raft index (kvsPreApply answers before the log).
    before = session(api)["CreateIndex"]
    api.put("/v1/kv/probe", data=b"")
    assert kv(api, "probe")["ModifyIndex"] == before + 1
    wait_until(lambda: acquire(api, "lock", other) is True, timeout=5)


def test_zero_lock_delay_frees_the_key_at_once(api):
    holder = create(api, {"LockDelay": 0})
    acquire(api, "lock", holder)
    api.put(f"/v1/session/destroy/{holder}")
    assert acquire(api, "lock", create(api)) is True


def test_delete_behavior_removes_held_keys(api):
    holder = create(api, {"Behavior": "delete", "LockDelay": 0})
    acquire(api, "ephemeral", holder, b"v")
    acquire(api, "other", holder, b"w")
    api.put("/v1/kv/untouched", data=b"u")
    api.put(f"/v1/session/destroy/{holder}")
    assert api.get("/v1/kv/?keys").json() == ["untouched"]


# -- invalidation -------------------------------------------------------------------------------


def test_ttl_session_ends_after_twice_its_ttl(fast, short_ttl_agent):
    started = time.monotonic()
    session_id = create(fast, {"TTL": "200ms", "LockDelay": 0})
    acquire(fast, "lock", session_id)
    index = fast.get(f"/v1/session/info/{session_id}").headers["X-Consul-Index"]
    response = fast.get(f"/v1/session/info/{session_id}?index={index}&wait=10s")
    assert response.json() == []
    assert time.monotonic() - started >= 0.4
    assert "Session" not in kv(fast, "lock")


def test_renew_restarts_the_clock(fast):
    # Renewed every 0.1 s, it would end 1 s (twice its TTL) after the last
    # renewal: 0.9 s of slack for a renewal late on a loaded machine.
    session_id = create(fast, {"TTL": "500ms"})
    deadline = time.monotonic() + 1.5  # one and a half times the 1 s a TTL session lasts
    while time.monotonic() < deadline:
        time.sleep(0.1)
        assert fast.put(f"/v1/session/renew/{session_id}").status_code == 200
    renewed = time.monotonic()
    index = fast.get(f"/v1/session/info/{session_id}").headers["X-Consul-Index"]
    response = fast.get(f"/v1/session/info/{session_id}?index={index}&wait=10s")
    assert response.json() == []
    assert time.monotonic() - renewed >= 1.0 - 0.1


def test_ttl_expiry_with_delete_behavior(fast):
    session_id = create(fast, {"TTL": "100ms", "Behavior": "delete", "LockDelay": 0})
    acquire(fast, "ephemeral", session_id)
    wait_until(lambda: kv(fast, "ephemeral") is None, timeout=5)
    assert info(fast, session_id) == []


@pytest.mark.parametrize(
    "end",
    [
        lambda api: register(api, "n2", check("serfHealth"), check("c1", "critical")),
        lambda api: api.put(
            "/v1/catalog/deregister", data=json.dumps({"Node": "n2", "CheckID": "c1"})
        ),
        lambda api: api.put("/v1/catalog/deregister", data=json.dumps({"Node": "n2"})),
    ],
    ids=["check-critical", "check-deregistered", "node-deregistered"],
)
def test_sessions_end_with_their_checks_and_node(consul_agent, api, end):
    register(api, "n2", check("serfHealth"), check("c1"))
    session_id = create(api, {"Node": "n2", "NodeChecks": ["serfHealth", "c1"], "LockDelay": 0})
    acquire(api, "lock", session_id, b"v")
    index = api.get(f"/v1/session/info/{session_id}").headers["X-Consul-Index"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/session/info/{session_id}?index={index}&wait=10s")
        wait_blocked(consul_agent)
        end(api)
        response = pending.result(10)
    assert response.json() == []
    assert "Session" not in kv(api, "lock")


def test_the_default_serf_health_check_guards_agent_sessions(consul_agent, api):
    session_id = create(api)
    node = consul_agent.config.node_name
    register(api, node, check("serfHealth", "critical"))
    assert info(api, session_id) == []
    response = api.put("/v1/session/create")
    assert response.status_code == 500
    assert response.text == "apply failed: Check 'serfHealth' is in critical state"


def test_a_check_that_stays_passing_keeps_the_session(api):
    register(api, "n2", check("serfHealth"), check("c1"))
    session_id = create(api, {"Node": "n2", "NodeChecks": ["c1"]})
    register(api, "n2", check("serfHealth"), check("c1", "warning"))
    assert info(api, session_id)[0]["ID"] == session_id


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("PUT", "/v1/session/create?ns=team"),
        ("PUT", "/v1/session/destroy/?ns=team"),
        ("PUT", "/v1/session/renew/x?ns=team"),
        ("GET", "/v1/session/info/?ns=team"),
        ("GET", "/v1/session/node/n?ns=team"),
        ("GET", "/v1/session/list?ns=team"),
    ],
)
def test_namespaces_are_refused(api, method, target):
    response = api.request(method, target, data=b"{")
    assert response.status_code == 400
    assert response.text == (
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
    )


def test_lock_delay_is_capped_at_a_minute(consul_agent, api):
    # A real minute is too long to wait for: read the agent's lock-delay table.
    holder = create(api, {"LockDelay": "10m"})
    acquire(api, "lock", holder)
    api.put(f"/v1/session/destroy/{holder}")
    left = consul_agent.run(lambda core: core.home.kv.lock_delay("lock"))
    assert 59 < left <= 60


# -- ACLs: session:read and session:write on the session's node ------------------------------------


@pytest.fixture
def acl(root):
    """Raw HTTP as the management token, and a maker of tokens with given rules."""
    made = []

    def as_token(rules):
        token = make_token(root, rules)
        user = RawHTTP(root.url, token["SecretID"])
        made.append(user)
        return user, token["AccessorID"]

    for node in ("n1", "n2"):
        register(root, node, check("serfHealth"))
    yield root, as_token
    for user in made:
        user.close()


def test_create_needs_session_write_on_the_node(acl):
    _, as_token = acl
    user, accessor = as_token('session "n1" { policy = "write" }')
    assert user.put("/v1/session/create", data=json.dumps({"Node": "n1"})).status_code == 200
    denied = user.put("/v1/session/create", data=json.dumps({"Node": "n2"}))
    assert denied.status_code == 403
    assert denied.text == (
        f"Permission denied: token with AccessorID '{accessor}' lacks permission "
        "'session:write' on \"n2\""
    )


def test_destroy_and_renew_need_session_write(acl):
    root, as_token = acl
    session_id = create(root, {"Node": "n2"})
    reader, _ = as_token('session_prefix "" { policy = "read" }')
    assert reader.put(f"/v1/session/destroy/{session_id}").status_code == 403
    assert reader.put(f"/v1/session/renew/{session_id}").status_code == 403
    # A session that does not exist is destroyed before any permission is asked.
    assert reader.put("/v1/session/destroy/gone").json() is True
    assert info(root, session_id)[0]["ID"] == session_id


def test_reads_are_filtered_by_session_read(acl):
    root, as_token = acl
    visible, hidden = create(root, {"Node": "n1"}), create(root, {"Node": "n2"})
    user, _ = as_token('session "n1" { policy = "read" }')
    listed = user.get("/v1/session/list")
    assert [s["ID"] for s in listed.json()] == [visible]
    assert listed.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    assert user.get(f"/v1/session/info/{hidden}").json() == []
    assert user.get("/v1/session/node/n2").json() == []
    whole = user.get("/v1/session/node/n1")
    assert [s["ID"] for s in whole.json()] == [visible]
    assert "X-Consul-Results-Filtered-By-ACLs" not in whole.headers


def test_locks_need_key_write(acl):
    root, as_token = acl
    session_id = create(root, {"Node": "n1"})
    user, accessor = as_token('key "lock" { policy = "read" }')
    denied = user.put(f"/v1/kv/lock?acquire={session_id}", data=b"")
    assert denied.status_code == 403
    assert denied.text == (
        f"Permission denied: token with AccessorID '{accessor}' lacks permission "
        "'key:write' on \"lock\""
    )
    assert user.get("/v1/kv/lock").status_code == 404
    assert user.get("/v1/kv/other").status_code == 403
