"""``/v1/config``: configuration entries, checked with raw HTTP.

After ``agent/config_endpoint.go``, ``agent/consul/config_endpoint.go``,
``agent/consul/state/config_entry.go``, ``agent/structs/config_entry.go``
and ``agent/structs/config_entry_ce.go``: the framework (decoding, indexes,
check-and-set, blocking, ACLs, ``?filter``, snapshots, replication) on the
``service-defaults`` kind.
"""

from __future__ import annotations

import pytest
from harness import RawHTTP, make_token, wait_blocked

from consul.testing import DevAgent


def put(api, entry, **params):
    return api.put("/v1/config", json=entry, params=params)


def defaults(name="web", **fields):
    return {"Kind": "service-defaults", "Name": name, **fields}


def test_an_entry_is_written_and_read_back_as_consul_writes_it(api):
    response = put(api, {"kind": "service-defaults", "name": "web", "protocol": "HTTP"})
    assert (response.status_code, response.json()) == (200, True)
    response = api.get("/v1/config/service-defaults/web")
    assert response.status_code == 200
    entry = response.json()
    index = int(response.headers["X-Consul-Index"])
    assert entry.pop("Hash") > 0
    # Normalize lower-cases the protocol; structs are written even when empty.
    assert entry == {
        "Kind": "service-defaults",
        "Name": "web",
        "Protocol": "http",
        "TransparentProxy": {},
        "MeshGateway": {},
        "Expose": {},
        "CreateIndex": index,
        "ModifyIndex": index,
    }
    assert response.headers["X-Consul-KnownLeader"] == "true"


def test_aliases_and_weak_types_are_decoded_as_mapstructure_does(api):
    body = defaults(
        transparent_proxy={"dialed_directly": "true", "outbound_listener_port": "15001"},
        mesh_gateway=[{"mode": "local"}],
        MaxInboundConnections=12.0,
        Meta={"version": 2},
    )
    assert put(api, body).json() is True
    entry = api.get("/v1/config/service-defaults/web").json()
    assert entry["TransparentProxy"] == {"OutboundListenerPort": 15001, "DialedDirectly": True}
    assert entry["MeshGateway"] == {"Mode": "local"}
    assert entry["MaxInboundConnections"] == 12
    assert entry["Meta"] == {"version": "2"}


def test_rewriting_the_same_entry_changes_nothing_and_a_change_keeps_create_index(api):
    put(api, defaults(Protocol="http"))
    first = api.get("/v1/config/service-defaults/web").json()
    assert put(api, defaults(Protocol="HTTP")).json() is True
    assert api.get("/v1/config/service-defaults/web").json() == first
    put(api, defaults(Protocol="grpc"))
    second = api.get("/v1/config/service-defaults/web").json()
    assert second["CreateIndex"] == first["CreateIndex"]
    assert second["ModifyIndex"] > first["ModifyIndex"]
    assert second["Hash"] != first["Hash"]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"", "Request decoding failed: EOF"),
        (b"[1]", "Request decoding failed: '' expected a map, got 'slice'"),
        (
            b'{"Name": "web"}',
            "Request decoding failed: Payload does not contain a kind/Kind key at the top level",
        ),
        (b'{"Kind": 1}', "Request decoding failed: Kind value in payload is not a string"),
        (b'{"Kind": "nope"}', "Request decoding failed: invalid config entry kind: nope"),
        (
            b'{"Kind": "service-defaults", "Name": "web", "Foo": 1, "Namespace": "ns",'
            b' "Expose": {"Bar": true}, "CreateIndex": 4}',
            "Request decoding failed: 3 errors occurred:\n"
            '\t* invalid config key "Expose.Bar"\n'
            '\t* invalid config key "Foo"\n'
            '\t* invalid config key "Namespace", namespaces are a consul enterprise feature\n\n',
        ),
        (
            b'{"Kind": "service-defaults", "Name": "web", "Protocol": {"a": 1}}',
            "Request decoding failed: 1 error(s) decoding:\n\n* 'Protocol' expected type "
            "'string', got unconvertible type 'map[string]interface {}', value: 'map[a:1]'",
        ),
        (
            b'{"Kind": "service-defaults", "Name": "web", "LocalConnectTimeoutMs": "soon"}',
            "Request decoding failed: 1 error(s) decoding:\n\n* cannot parse "
            "'LocalConnectTimeoutMs' as int: strconv.ParseInt: parsing \"soon\": invalid syntax",
        ),
    ],
)
def test_bodies_consul_cannot_decode_are_400s(api, body, text):
    response = api.put("/v1/config", data=body)
    assert (response.status_code, response.text) == (400, text)


def test_validation_errors_are_500s_with_consuls_text(api):
    response = put(api, defaults(name=""))
    assert (response.status_code, response.text) == (500, "Name is required")
    response = put(api, defaults(name="*"))
    assert response.text == (
        "service-defaults name must be the name of a service, and not a wildcard"
    )
    response = put(api, defaults(BalanceInboundConnections="round_robin", Meta={"k" * 129: "v"}))
    assert (response.status_code, response.text) == (
        500,
        "2 errors occurred:\n"
        f'\t* Meta key "{"k" * 129}" exceeds maximum length 128\n'
        "\t* invalid value for balance_inbound_connections: round_robin\n\n",
    )
    response = put(api, defaults(MutualTLSMode="loose"))
    assert response.text == (
        'Invalid MutualTLSMode "loose". Must be one of "", "strict", or "permissive".'
    )
    response = put(api, defaults(MutualTLSMode="permissive"))
    assert (response.status_code, response.text) == (
        500,
        "cannot set MutualTLSMode=permissive because AllowEnablingPermissiveMutualTLS=false "
        "in the mesh config entry",
    )
    assert api.get("/v1/config/service-defaults/web").status_code == 404


def test_unknown_entries_and_kinds(api):
    response = api.get("/v1/config/service-defaults/nope")
    assert (response.status_code, response.text) == (
        404,
        'Config entry not found for "service-defaults" / "nope"',
    )
    assert int(response.headers["X-Consul-Index"]) >= 1
    response = api.get("/v1/config/nope/web")
    assert (response.status_code, response.text) == (500, "invalid config entry kind: nope")
    response = api.get("/v1/config/nope")
    assert (response.status_code, response.text) == (500, "invalid config entry kind: nope")
    response = api.delete("/v1/config/nope/web")
    assert (response.status_code, response.text) == (400, "invalid config entry kind: nope")
    response = api.delete("/v1/config/service-defaults")
    assert (response.status_code, response.text) == (
        404,
        "Must provide both a kind and name to delete",
    )
    response = api.post("/v1/config/service-defaults/web")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS,GET,DELETE"


def test_lists_by_kind_and_of_every_kind(api):
    assert api.get("/v1/config/service-defaults").json() == []
    put(api, defaults("web"))
    put(api, defaults("api"))
    listed = api.get("/v1/config/service-defaults").json()
    assert [entry["Name"] for entry in listed] == ["api", "web"]
    assert listed[0] == api.get("/v1/config/service-defaults/api").json()
    assert [entry["Name"] for entry in api.get("/v1/config/").json()] == ["api", "web"]


def test_delete_answers_an_empty_object_and_forgets_the_entry(api):
    put(api, defaults())
    response = api.delete("/v1/config/service-defaults/web")
    assert (response.status_code, response.json()) == (200, {})
    assert api.get("/v1/config/service-defaults/web").status_code == 404
    # Deleting what is not there is no error either.
    assert api.delete("/v1/config/service-defaults/web").json() == {}


def test_check_and_set_writes(api):
    assert put(api, defaults(Protocol="http"), cas=0).json() is True
    assert put(api, defaults(Protocol="grpc"), cas=0).json() is False
    index = api.get("/v1/config/service-defaults/web").json()["ModifyIndex"]
    assert put(api, defaults(Protocol="grpc"), cas=index + 100).json() is False
    assert api.get("/v1/config/service-defaults/web").json()["Protocol"] == "http"
    assert put(api, defaults(Protocol="grpc"), cas=index).json() is True
    assert api.get("/v1/config/service-defaults/web").json()["Protocol"] == "grpc"
    # A CAS write of a missing entry with an index fails.
    assert put(api, defaults("api"), cas=5).json() is False
    response = put(api, defaults(), cas="x")
    assert (response.status_code, response.text) == (
        500,
        'strconv.ParseUint: parsing "x": invalid syntax',
    )


def test_check_and_set_deletes_answer_whether_the_entry_went(api):
    put(api, defaults())
    index = api.get("/v1/config/service-defaults/web").json()["ModifyIndex"]
    response = api.delete("/v1/config/service-defaults/web", params={"cas": index + 1})
    assert (response.status_code, response.json()) == (200, False)
    assert api.get("/v1/config/service-defaults/web").status_code == 200
    response = api.delete("/v1/config/service-defaults/web", params={"cas": index})
    assert response.json() is True
    assert api.get("/v1/config/service-defaults/web").status_code == 404


def test_enterprise_parameters_are_refused(api):
    response = api.get("/v1/config/service-defaults/web", params={"ns": "team"})
    assert (response.status_code, response.text) == (
        400,
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature',
    )
    response = put(api, defaults(), partition="p")
    assert response.status_code == 400


def test_a_blocking_read_waits_for_its_entry_only(api, consul_agent, pool):
    put(api, defaults("web"))
    index = api.index("/v1/config/service-defaults/web")
    waiting = pool.submit(
        api.get, "/v1/config/service-defaults/web", params={"index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    put(api, defaults("api"))  # another entry: the query goes on waiting
    wait_blocked(consul_agent)
    assert not waiting.done()
    put(api, defaults("web", Protocol="http"))
    response = waiting.result(timeout=10)
    assert response.json()["Protocol"] == "http"
    assert int(response.headers["X-Consul-Index"]) == response.json()["ModifyIndex"]


def test_a_blocking_read_of_a_missing_entry_waits_until_it_appears(api, consul_agent, pool):
    put(api, defaults("api"))
    index = int(api.get("/v1/config/service-defaults/web").headers["X-Consul-Index"])
    waiting = pool.submit(
        api.get, "/v1/config/service-defaults/web", params={"index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    put(api, defaults("api", Protocol="http"))  # not the entry it waits for
    wait_blocked(consul_agent)
    assert not waiting.done()
    put(api, defaults("web"))
    assert waiting.result(timeout=10).status_code == 200


def test_a_blocking_list_wakes_when_its_kind_changes(api, consul_agent, pool):
    put(api, defaults("web"))
    index = api.index("/v1/config/service-defaults")
    waiting = pool.submit(
        api.get, "/v1/config/service-defaults", params={"index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    api.delete("/v1/config/service-defaults/web")
    put(api, defaults("api"))
    names = [entry["Name"] for entry in waiting.result(timeout=10).json()]
    assert names in (["api"], [])


def test_a_blocking_list_waits_while_what_the_token_may_read_is_unchanged(
    root, consul_acl_agent, pool
):
    # ConfigEntry.List (agent/consul/config_endpoint.go) hashes the entries
    # the token may read: an entry it may not read moves the index, but the
    # same answer again is errNotChanged and the query goes on waiting.
    reader = make_token(root, 'service "web" { policy = "read" }')["SecretID"]
    put(root, defaults("web"))
    index = root.index("/v1/config/service-defaults", token=reader)
    waiting = pool.submit(
        root.get,
        "/v1/config/service-defaults",
        params={"index": index, "wait": "10s"},
        token=reader,
    )
    wait_blocked(consul_acl_agent)
    put(root, defaults("db"))  # not readable: the index moves, the answer does not
    put(root, defaults("web", Protocol="http"))
    response = waiting.result(timeout=10)
    assert [(e["Name"], e.get("Protocol")) for e in response.json()] == [("web", "http")]
    assert response.headers["X-Consul-Results-Filtered-By-Acls"] == "true"


def test_a_filtered_blocking_list_waits_for_an_entry_the_filter_keeps(api, consul_agent, pool):
    # What ?filter keeps, if nothing, is errNotFound: the query waits on
    # until the filter keeps something.
    put(api, defaults("web", Protocol="http"))
    params = {"filter": 'Protocol == "grpc"'}
    index = api.index("/v1/config/service-defaults", params=params)
    waiting = pool.submit(
        api.get, "/v1/config/service-defaults", params={**params, "index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    put(api, defaults("db", Protocol="tcp"))  # still nothing kept
    put(api, defaults("api", Protocol="grpc"))
    assert [e["Name"] for e in waiting.result(timeout=10).json()] == ["api"]


def test_filter_on_service_defaults_only(api):
    put(api, defaults("web", Protocol="http"))
    put(api, defaults("db", Protocol="tcp"))
    response = api.get("/v1/config/service-defaults", params={"filter": 'Protocol == "http"'})
    assert [entry["Name"] for entry in response.json()] == ["web"]
    response = api.get("/v1/config/service-defaults", params={"filter": "Nope == 1"})
    assert response.status_code == 500
    assert response.text.startswith("Failed to create boolean expression evaluator")
    response = api.get("/v1/config/", params={"filter": 'Name == "web"'})
    assert (response.status_code, response.text) == (
        500,
        "filtering not supported for config entry kind=",
    )


def test_acls_follow_the_kinds_rules(root, anon, consul_acl_agent):
    assert put(root, defaults("web")).json() is True
    assert put(root, defaults("db")).json() is True
    response = anon.get("/v1/config/service-defaults/web")
    assert response.status_code == 403
    assert "lacks permission 'service:read' on \"web\"" in response.text
    reader = make_token(root, 'service "web" { policy = "read" }')["SecretID"]
    as_reader = root.with_token(reader)
    assert as_reader("GET", "/v1/config/service-defaults/web").status_code == 200
    response = as_reader("GET", "/v1/config/service-defaults")
    assert [entry["Name"] for entry in response.json()] == ["web"]
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    response = as_reader("PUT", "/v1/config", json=defaults("web", Protocol="http"))
    assert response.status_code == 403
    assert "lacks permission 'service:write' on \"web\"" in response.text
    response = as_reader("DELETE", "/v1/config/service-defaults/web")
    assert response.status_code == 403
    response = root.get("/v1/config/service-defaults/web", token="nope-not-a-token")
    assert (response.status_code, response.text) == (403, "ACL not found")


def test_a_snapshot_carries_the_entries(api):
    put(api, defaults("web", Protocol="http"))
    saved = api.get("/v1/config/service-defaults/web").json()
    archive = api.get("/v1/snapshot").content
    api.delete("/v1/config/service-defaults/web")
    put(api, defaults("api"))
    assert api.put("/v1/snapshot", data=archive).status_code == 200
    assert api.get("/v1/config/service-defaults/web").json() == saved
    assert api.get("/v1/config/service-defaults/api").status_code == 404


def test_writes_go_to_the_primary_and_are_copied_to_the_other_datacenters():
    with DevAgent(extra_datacenters=("dc2",)) as agent, RawHTTP(agent.url) as api:
        assert put(api, defaults("web"), dc="dc2").json() is True
        primary = api.get("/v1/config/service-defaults/web").json()
        secondary = api.get("/v1/config/service-defaults/web", params={"dc": "dc2"}).json()
        assert {k: v for k, v in secondary.items() if not k.endswith("Index")} == {
            k: v for k, v in primary.items() if not k.endswith("Index")
        }
        api.delete("/v1/config/service-defaults/web", params={"dc": "dc2"})
        response = api.get("/v1/config/service-defaults/web", params={"dc": "dc2"})
        assert response.status_code == 404
