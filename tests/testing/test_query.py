"""Prepared queries (``/v1/query``) on the embedded agent, with raw HTTP.

Rules from ``agent/prepared_query_endpoint.go`` (HTTP),
``agent/consul/prepared_query_endpoint.go`` (validation, ACLs, execute and
failover), ``agent/consul/state/prepared_query.go`` (the table) and
``agent/consul/prepared_query/template.go`` (templates).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from harness import RawHTTP, make_token, wait_blocked

from consul.testing import DevAgent

UNKNOWN = "8f246b77-f3e1-ff88-5b48-8ec93abf3e05"


def create(api: Any, definition: dict[str, Any], **kwargs: Any) -> str:
    response = api.post("/v1/query", json=definition, **kwargs)
    assert response.status_code == 200, response.text
    return str(response.json()["ID"])


def register(
    api: Any,
    node: str,
    service: str = "web",
    *,
    status: str = "passing",
    address: str = "10.0.0.1",
    **fields: Any,
) -> None:
    service_id = fields.pop("ID", service)
    api.register(
        {
            "Node": node,
            "Address": address,
            "NodeMeta": fields.pop("NodeMeta", None),
            "Service": {"Service": service, "ID": service_id, "Port": 80, **fields},
            "Check": {
                "CheckID": f"{service_id}-check",
                "Name": "alive",
                "Status": status,
                "ServiceID": service_id,
            },
        }
    )


def nodes(api: Any, name: str, query: str = "", **kwargs: Any) -> list[str]:
    response = api.get(f"/v1/query/{name}/execute{query}", **kwargs)
    assert response.status_code == 200, response.text
    return sorted(entry["Node"]["Node"] for entry in response.json()["Nodes"])


# -- create, read, update, delete ---------------------------------------------------------


def test_a_query_round_trip(api):
    query_id = create(
        api, {"Name": "web", "Service": {"Service": "web", "Tags": ["v1"]}, "DNS": {"TTL": "10s"}}
    )
    listed = api.get("/v1/query")
    (query,) = listed.json()
    assert query == {
        "ID": query_id,
        "Name": "web",
        "Session": "",
        "Token": "",
        "Template": {"Type": "", "Regexp": "", "RemoveEmptyTags": False},
        "Service": {
            "Service": "web",
            "SamenessGroup": "",
            "Failover": {"NearestN": 0, "Datacenters": None, "Targets": None},
            "OnlyPassing": False,
            "IgnoreCheckIDs": None,
            "Near": "",
            "Tags": ["v1"],
            "NodeMeta": None,
            "ServiceMeta": None,
            "Connect": False,
            "Peer": "",
        },
        "DNS": {"TTL": "10s"},
        "CreateIndex": query["CreateIndex"],
        "ModifyIndex": query["CreateIndex"],
    }
    assert listed.headers["X-Consul-Index"] == str(query["CreateIndex"])
    # GET of one query is a list of one.
    assert api.get(f"/v1/query/{query_id}").json() == [query]
    updated = api.put(f"/v1/query/{query_id}", json={"Name": "web", "Service": {"Service": "api"}})
    assert (updated.status_code, updated.text) == (200, "")
    (after,) = api.get(f"/v1/query/{query_id}").json()
    assert after["Service"]["Service"] == "api"
    assert after["CreateIndex"] == query["CreateIndex"] < after["ModifyIndex"]
    deleted = api.delete(f"/v1/query/{query_id}")
    assert (deleted.status_code, deleted.text) == (200, "")
    assert api.get("/v1/query").json() == []


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"Service": {"Service": "web"}}, "Must be bound to a session"),
        ({"Name": "q"}, "Must provide a Service name to query"),
        (
            {"Name": "q", "Token": "<hidden>", "Service": {"Service": "web"}},
            "Bad Token '<hidden>', it looks like a query definition with a redacted token "
            "was submitted",
        ),
        (
            {"Name": "q", "Service": {"Service": "web", "Failover": {"NearestN": -1}}},
            "Bad NearestN '-1', must be >= 0",
        ),
        (
            {
                "Name": "q",
                "Service": {
                    "Service": "web",
                    "Failover": {"Datacenters": ["dc2"], "Targets": [{"Peer": "p"}]},
                },
            },
            "Targets cannot be populated with NearestN or Datacenters",
        ),
        (
            {"Name": "q", "Service": {"Service": "web", "NodeMeta": {"bad key": "v"}}},
            "Couldn't load metadata pair ('bad key', 'v'): Key contains invalid characters",
        ),
        (
            {"Name": "q", "Service": {"Service": "web", "SamenessGroup": "g"}},
            "sameness-groups are an enterprise-only feature",
        ),
        (
            {"Name": "q", "Service": {"Service": "web"}, "DNS": {"TTL": "soon"}},
            "Bad DNS TTL 'soon': time: invalid duration \"soon\"",
        ),
        (
            {"Name": "q", "Service": {"Service": "web"}, "DNS": {"TTL": "-5s"}},
            "DNS TTL '-5000000000', must be >=0",
        ),
    ],
)
def test_invalid_queries_are_refused(api, definition, message):
    response = api.post("/v1/query", json=definition)
    assert (response.status_code, response.text) == (500, f"Invalid prepared query: {message}")
    assert api.get("/v1/query").json() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request decode failed: EOF"),
        (
            b'{"Name": "q", "Service": {"Service": "web", "Namespace": ""}}',
            'Request decode failed: json: unknown field "Namespace"',
        ),
        (
            b'{"Name": "q", "DNS": {"TTL": 10}}',
            "Request decode failed: json: cannot unmarshal number into Go struct field "
            "PreparedQuery.DNS.TTL of type string",
        ),
    ],
)
def test_bodies_are_decoded_strictly(api, body, message):
    response = api.post("/v1/query", data=body)
    assert (response.status_code, response.text) == (400, message)


def test_id_must_be_empty_on_create(api):
    response = api.post("/v1/query", json={"ID": UNKNOWN, "Name": "q", "Service": {"Service": "w"}})
    assert (response.status_code, response.text) == (
        500,
        "ID must be empty when creating a new prepared query",
    )


def test_unknown_and_malformed_ids(api):
    missing = api.get(f"/v1/query/{UNKNOWN}")
    assert (missing.status_code, missing.text) == (404, "Query not found")
    assert missing.headers["X-Consul-Index"] == "1"
    for method in ("PUT", "DELETE"):
        response = api.request(method, f"/v1/query/{UNKNOWN}", json={"Name": "q"})
        assert (response.status_code, response.text) == (
            500,
            f"Cannot modify non-existent prepared query: '{UNKNOWN}'",
        )
    bad = api.get("/v1/query/nope")
    assert (bad.status_code, bad.text) == (
        500,
        "failed prepared query lookup: encoding/hex: invalid byte: U+006E 'n'",
    )
    odd = api.delete("/v1/query/abc")
    assert (odd.status_code, odd.text) == (
        500,
        "Prepared Query lookup failed: failed prepared query lookup: Input (without hyphens) "
        "must be even length",
    )
    long = api.get(f"/v1/query/{UNKNOWN}0")
    assert long.text.endswith("Invalid UUID length. UUID have 36 characters; got 37")


def test_names_are_unique_and_cannot_alias_an_id(api):
    first = create(api, {"Name": "Web", "Service": {"Service": "web"}})
    taken = api.post("/v1/query", json={"Name": "web", "Service": {"Service": "web"}})
    assert (taken.status_code, taken.text) == (
        500,
        "raft apply failed: name 'web' aliases an existing query name",
    )
    aliasing = api.post("/v1/query", json={"Name": first, "Service": {"Service": "web"}})
    assert aliasing.text == f"raft apply failed: name '{first}' aliases an existing query ID"
    catch_all = {"Template": {"Type": "name_prefix_match"}, "Service": {"Service": "x"}}
    create(api, catch_all)
    again = api.post("/v1/query", json=catch_all)
    assert again.text == "raft apply failed: a query template with an empty name already exists"


def test_a_query_bound_to_a_session_goes_with_it(api, consul_agent):
    node = consul_agent.run(lambda core: core.config.node_name)
    missing = api.post("/v1/query", json={"Session": UNKNOWN, "Service": {"Service": "web"}})
    assert missing.text == f'raft apply failed: invalid session "{UNKNOWN}"'
    session = api.put("/v1/session/create", json={"Node": node}).json()["ID"]
    create(api, {"Session": session, "Service": {"Service": "web"}})
    index = api.index("/v1/query")
    assert api.put(f"/v1/session/destroy/{session}").status_code == 200
    assert api.get("/v1/query").json() == []
    assert api.index("/v1/query") > index


def test_list_and_get_block_until_a_change(api, consul_agent, pool):
    query_id = create(api, {"Name": "web", "Service": {"Service": "web"}})
    index = api.index("/v1/query")
    listing = pool.submit(api.get, f"/v1/query?index={index}&wait=30s")
    one = pool.submit(api.get, f"/v1/query/{query_id}?index={index}&wait=30s")
    wait_blocked(consul_agent, 2)
    api.put(f"/v1/query/{query_id}", json={"Name": "web", "Service": {"Service": "api"}})
    assert listing.result().json()[0]["Service"]["Service"] == "api"
    assert int(one.result().headers["X-Consul-Index"]) > index


def test_methods_and_options(api):
    query_id = create(api, {"Name": "web", "Service": {"Service": "web"}})
    execute = api.request("OPTIONS", f"/v1/query/{query_id}/execute")
    assert (execute.status_code, execute.headers["Allow"]) == (200, "OPTIONS,GET")
    one = api.request("OPTIONS", f"/v1/query/{query_id}")
    assert one.headers["Allow"] == "OPTIONS,GET,PUT,DELETE"
    posted = api.post(f"/v1/query/{query_id}/execute")
    assert (posted.status_code, posted.text, posted.headers["Allow"]) == (
        405,
        "method POST not allowed",
        "GET",
    )
    assert api.post(f"/v1/query/{query_id}").headers["Allow"] == "GET,PUT,DELETE"
    assert api.put("/v1/query").status_code == 405


# -- execute ----------------------------------------------------------------------------------


def test_execute_keeps_healthy_instances(api):
    register(api, "ok")
    register(api, "warn", status="warning")
    register(api, "down", status="critical")
    create(api, {"Name": "web", "Service": {"Service": "web"}})
    create(api, {"Name": "strict", "Service": {"Service": "web", "OnlyPassing": True}})
    create(
        api,
        {"Name": "lenient", "Service": {"Service": "web", "IgnoreCheckIDs": ["web-check"]}},
    )
    assert nodes(api, "web") == ["ok", "warn"]
    assert nodes(api, "strict") == ["ok"]
    assert nodes(api, "lenient") == ["down", "ok", "warn"]
    reply = api.get("/v1/query/web/execute")
    body = reply.json()
    assert (body["Service"], body["Datacenter"], body["Failovers"]) == ("web", "dc1", 0)
    assert (body["Index"], body["KnownLeader"], body["ConsistencyLevel"]) == (1, True, "leader")
    assert reply.headers["X-Consul-Index"] == "1"
    assert api.get("/v1/query/web/execute?stale").json()["ConsistencyLevel"] == "stale"


def test_execute_filters_by_tags_and_metadata(api):
    register(api, "a", Tags=["Primary", "v1"], NodeMeta={"rack": "r1"}, Meta={"env": "prod"})
    register(api, "b", Tags=["v1", "canary"])
    create(api, {"Name": "v1", "Service": {"Service": "web", "Tags": ["V1", "!canary"]}})
    create(api, {"Name": "rack", "Service": {"Service": "web", "NodeMeta": {"rack": "r1"}}})
    create(api, {"Name": "prod", "Service": {"Service": "web", "ServiceMeta": {"env": "prod"}}})
    assert nodes(api, "v1") == ["a"]
    assert nodes(api, "rack") == ["a"]
    assert nodes(api, "prod") == ["a"]


def test_execute_limit_connect_and_their_errors(api):
    for node in ("a", "b", "c"):
        register(api, node)
    register(
        api,
        "p",
        "web-proxy",
        Kind="connect-proxy",
        Proxy={"DestinationServiceName": "web"},
    )
    create(api, {"Name": "web", "Service": {"Service": "web"}})
    assert len(nodes(api, "web", "?limit=2")) == 2
    assert nodes(api, "web", "?connect=true") == ["p"]
    bad = api.get("/v1/query/web/execute?limit=x")
    assert (bad.status_code, bad.text) == (
        500,
        'Bad limit: strconv.Atoi: parsing "x": invalid syntax',
    )
    bad = api.get("/v1/query/web/execute?connect=maybe")
    assert bad.text == (
        "Error parsing 'connect' value: strconv.ParseBool: parsing \"maybe\": invalid syntax"
    )
    missing = api.get("/v1/query/nope/execute")
    assert (missing.status_code, missing.text) == (404, "Query not found")


def test_execute_sorts_near_a_node(api):
    for i, node in enumerate(("far", "mid", "near"), 1):
        register(api, node, address=f"10.0.0.{i}")
    index = api.index("/v1/coordinate/nodes")
    for node, x in (("far", 0.1), ("mid", 0.01), ("near", 0.001)):
        coord = {"Vec": [x] + [0.0] * 7, "Error": 0.5, "Adjustment": 0.0, "Height": 1e-5}
        api.put("/v1/coordinate/update", json={"Node": node, "Coord": coord})
    api.get(f"/v1/coordinate/nodes?index={index}&wait=10s")
    create(api, {"Name": "web", "Service": {"Service": "web", "Near": "far"}})

    def order(query: str = "", **kwargs: Any) -> list[str]:
        body = api.get(f"/v1/query/web/execute{query}", **kwargs).json()
        return [entry["Node"]["Node"] for entry in body["Nodes"]]

    assert order() == ["far", "mid", "near"]  # the query's own Near
    assert order("?near=near") == ["near", "mid", "far"]  # ?near wins
    assert order("?near=_agent") == ["near", "mid", "far"]  # the agent sits at the origin
    # _ip: the node whose address is the request's source.
    assert order("?near=_ip", headers={"X-Forwarded-For": "10.0.0.2, 10.9.9.9"}) == [
        "mid",
        "near",
        "far",
    ]


def test_cached_execute_serves_what_it_fetched(api):
    register(api, "a")
    create(api, {"Name": "web", "Service": {"Service": "web"}})
    first = api.get("/v1/query/web/execute?cached")
    assert first.headers["X-Cache"] == "MISS"
    register(api, "b")
    # Consul does not refresh this cache type: the stale answer is served.
    stale = api.get("/v1/query/web/execute?cached")
    assert (stale.headers["X-Cache"], stale.headers["Age"]) == ("HIT", "0")
    assert [e["Node"]["Node"] for e in stale.json()["Nodes"]] == ["a"]
    fresh = api.get("/v1/query/web/execute?cached", headers={"Cache-Control": "max-age=0"})
    assert fresh.headers["X-Cache"] == "MISS"
    assert sorted(e["Node"]["Node"] for e in fresh.json()["Nodes"]) == ["a", "b"]
    # limit is part of the key.
    assert api.get("/v1/query/web/execute?cached&limit=1").headers["X-Cache"] == "MISS"


# -- templates ------------------------------------------------------------------------------


def test_a_name_prefix_template_resolves_names(api):
    for service in ("db", "web"):
        register(api, f"{service}-node", service)
    template = {
        "Name": "geo-",
        "Template": {"Type": "name_prefix_match", "Regexp": "^geo-([a-z]+)(-(.*))?$"},
        "Service": {"Service": "${match(1)}", "Tags": ["${match(3)}", "${name.suffix}"]},
    }
    template_id = create(api, template)
    explained = api.get("/v1/query/geo-web-v1/explain").json()["Query"]
    assert explained["ID"] == template_id
    assert explained["Service"]["Service"] == "web"
    assert explained["Service"]["Tags"] == ["v1", "web-v1"]
    assert nodes(api, "GEO-db") == []  # matched case-insensitively, but the regexp is not
    assert nodes(api, "geo-db") == []  # the tags "" and "db" are required
    no_tags = {**template, "Name": "geo-any-", "Service": {"Service": "${name.suffix}"}}
    create(api, no_tags)
    assert nodes(api, "geo-any-db") == ["db-node"]  # the longest prefix wins
    refused = api.get(f"/v1/query/{template_id}/execute")
    assert (refused.status_code, refused.text) == (
        500,
        "prepared query templates can only be resolved up by name, not by ID",
    )


def test_empty_tags_can_be_removed(api):
    register(api, "n1", "web")
    create(
        api,
        {
            "Name": "svc-",
            "Template": {"Type": "name_prefix_match", "RemoveEmptyTags": True},
            "Service": {"Service": "${name.suffix}", "Tags": ["${match(1)}"]},
        },
    )
    assert api.get("/v1/query/svc-web/explain").json()["Query"]["Service"]["Tags"] == []
    assert nodes(api, "svc-web") == ["n1"]


def test_the_catch_all_template_matches_everything(api):
    register(api, "n1", "billing")
    create(api, {"Template": {"Type": "name_prefix_match"}, "Service": {"Service": "${name.full}"}})
    assert nodes(api, "billing") == ["n1"]
    assert nodes(api, "nothing") == []


@pytest.mark.parametrize(
    ("template", "service", "message"),
    [
        ({"Type": "bogus"}, "web", "Bad Template.Type 'bogus'"),
        (
            {"Type": "name_prefix_match"},
            "${nope}",
            "Bad evaluation for '${nope}' in Service.Service: 1:3: unknown variable accessed: nope",
        ),
        (
            {"Type": "name_prefix_match"},
            "${1}",
            "Expected Service.Service field to be a string, got TypeInt",
        ),
        (
            {"Type": "name_prefix_match", "Regexp": "(unclosed"},
            "web",
            "Bad Regexp: error parsing regexp: missing closing ): `(unclosed`",
        ),
    ],
)
def test_templates_are_compiled_when_written(api, template, service, message):
    response = api.post(
        "/v1/query", json={"Name": "t-", "Template": template, "Service": {"Service": service}}
    )
    assert (response.status_code, response.text) == (
        500,
        f"raft apply failed: failed compiling template: {message}",
    )


def test_a_template_that_does_not_parse(api):
    response = api.post(
        "/v1/query",
        json={
            "Name": "t-",
            "Template": {"Type": "name_prefix_match"},
            "Service": {"Service": "web", "Tags": ["ok", "${oops"]},
        },
    )
    assert response.status_code == 500
    assert response.text.startswith(
        "raft apply failed: failed compiling template: Bad format '${oops' in Service.Tags[1]: "
    )


# -- failover ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_dcs() -> Iterator[DevAgent]:
    with DevAgent(extra_datacenters=("dc2", "dc3")) as agent:
        yield agent


@pytest.fixture
def multi(three_dcs: DevAgent) -> Iterator[RawHTTP]:
    three_dcs.reset()
    with RawHTTP(three_dcs.url) as client:
        yield client


def test_failover_to_the_nearest_datacenters(multi):
    multi.register(
        {
            "Datacenter": "dc3",
            "Node": "remote",
            "Address": "10.3.0.1",
            "Service": {"Service": "web", "Port": 80},
        }
    )
    create(multi, {"Name": "near", "Service": {"Service": "web", "Failover": {"NearestN": 2}}})
    body = multi.get("/v1/query/near/execute").json()
    # dc2 first (all as near: by name), then dc3, where the instance is.
    assert (body["Datacenter"], body["Failovers"]) == ("dc3", 2)
    assert [e["Node"]["Node"] for e in body["Nodes"]] == ["remote"]


def test_failover_to_listed_datacenters(multi):
    multi.register(
        {"Datacenter": "dc2", "Node": "n2", "Address": "10.2.0.1", "Service": {"Service": "web"}}
    )
    create(
        multi,
        {
            "Name": "listed",
            "Service": {"Service": "web", "Failover": {"Datacenters": ["nowhere", "dc3", "dc2"]}},
        },
    )
    body = multi.get("/v1/query/listed/execute").json()
    # The unknown datacenter is skipped; dc3 has nothing; dc2 has it.
    assert (body["Datacenter"], body["Failovers"], len(body["Nodes"])) == ("dc2", 2, 1)
    # A query with no failover that finds nothing tried nothing.
    create(multi, {"Name": "local", "Service": {"Service": "web"}})
    body = multi.get("/v1/query/local/execute").json()
    assert (body["Datacenter"], body["Failovers"], body["Nodes"]) == ("dc1", 0, [])


def test_a_peer_target_is_tried_and_finds_nothing_here(multi):
    create(
        multi,
        {"Name": "peer", "Service": {"Service": "web", "Failover": {"Targets": [{"Peer": "p"}]}}},
    )
    body = multi.get("/v1/query/peer/execute").json()
    assert (body["Datacenter"], body["PeerName"], body["Failovers"]) == ("", "p", 1)


# -- ACLs -----------------------------------------------------------------------------------


def test_named_queries_need_query_write(root, consul_acl_agent):
    token = make_token(root, 'query_prefix "team-" { policy = "write" }')
    user = root.with_token(token["SecretID"])
    assert user("POST", "/v1/query", json={"Name": "team-a", "Service": {"Service": "w"}}).ok
    denied = user("POST", "/v1/query", json={"Name": "other", "Service": {"Service": "w"}})
    assert (denied.status_code, denied.text) == (
        403,
        f"Permission denied: token with AccessorID '{token['AccessorID']}' lacks permission "
        "'query:write' on \"other\"",
    )
    node = consul_acl_agent.run(lambda core: core.config.node_name)
    session = root.put("/v1/session/create", json={"Node": node}).json()["ID"]
    # An unnamed query is bound to a session and needs no ACL to create.
    anonymous = make_token(root, 'node_prefix "" { policy = "read" }')
    created = root.post(
        "/v1/query",
        json={"Session": session, "Service": {"Service": "w"}},
        token=anonymous["SecretID"],
    )
    assert created.status_code == 200


def test_reading_queries_is_filtered_and_tokens_hidden(root, consul_acl_agent):
    secret = str(uuid.uuid4())
    create(root, {"Name": "team-a", "Token": secret, "Service": {"Service": "w"}})
    other_id = create(root, {"Name": "other", "Service": {"Service": "w"}})
    assert {q["Token"] for q in root.get("/v1/query").json()} == {secret, ""}
    token = make_token(root, 'query_prefix "team-" { policy = "read" }')
    user = root.with_token(token["SecretID"])
    listed = user("GET", "/v1/query")
    assert [(q["Name"], q["Token"]) for q in listed.json()] == [("team-a", "<hidden>")]
    assert listed.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    denied = user("GET", f"/v1/query/{other_id}")
    assert (denied.status_code, denied.text) == (403, "Permission denied")
    assert user("GET", "/v1/query/other/explain").status_code == 403
    assert user("GET", "/v1/query/team-a/explain").json()["Query"]["Token"] == "<hidden>"


def test_execute_filters_with_the_querys_own_token(root, consul_acl_agent):
    register(root, "n1", "web")
    reader = make_token(
        root, 'service "web" { policy = "read" } node_prefix "" { policy = "read" }'
    )
    create(root, {"Name": "web", "Service": {"Service": "web"}})
    create(root, {"Name": "with-token", "Token": reader["SecretID"], "Service": {"Service": "web"}})
    nobody = make_token(root, 'query_prefix "" { policy = "read" }')
    user = root.with_token(nobody["SecretID"])
    hidden = user("GET", "/v1/query/web/execute")
    assert hidden.json()["Nodes"] == []
    assert hidden.json()["ResultsFilteredByACLs"] is True
    assert hidden.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    shown = user("GET", "/v1/query/with-token/execute").json()
    assert [e["Node"]["Node"] for e in shown["Nodes"]] == ["n1"]


def test_namespaces_and_partitions_are_not_read(api):
    # agent/prepared_query_endpoint.go: no handler calls parseEntMeta, so
    # Consul CE neither refuses nor uses ?ns and ?partition here.
    scope = "ns=team&partition=part"
    register(api, "n1")
    query_id = create(api, {"Name": "web", "Service": {"Service": "web"}}, params=scope)
    assert [q["ID"] for q in api.get(f"/v1/query?{scope}").json()] == [query_id]
    assert api.get(f"/v1/query/{query_id}?{scope}").json()[0]["Name"] == "web"
    assert nodes(api, "web", f"?{scope}") == ["n1"]
    explained = api.get(f"/v1/query/web/explain?{scope}")
    assert explained.json()["Query"]["ID"] == query_id
    updated = api.put(
        f"/v1/query/{query_id}?{scope}", json={"Name": "web", "Service": {"Service": "db"}}
    )
    assert updated.status_code == 200, updated.text
    assert api.delete(f"/v1/query/{query_id}?{scope}").status_code == 200
    assert api.get("/v1/query").json() == []
