"""Prepared queries (``client.query``) through every client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import consul
from consul.api.query import Query
from consul.testing import DevAgent


def register(c: Any, node: str, status: str = "passing", **service: Any) -> None:
    service = {"Service": "web", "Port": 80, **service}
    check = {"Name": "alive", "Status": status, "ServiceID": service.get("ID", service["Service"])}
    assert c.catalog.register(node, "10.0.0.1", service=service, check=check)


def test_create_list_get_update_delete(c: Any) -> None:
    created = c.query.create("web", name="web", tags=["v1"], ttl=10, onlypassing=True)
    query_id = created["ID"]
    (listed,) = c.query.list()
    assert listed["ID"] == query_id
    assert listed["Service"]["Tags"] == ["v1"]
    assert listed["Service"]["OnlyPassing"] is True
    assert listed["DNS"]["TTL"] == "10s"
    # Not a template unless asked, and no token stored unless asked.
    assert listed["Template"]["Type"] == ""
    assert listed["Token"] == ""
    assert c.query.get(query_id) == [listed]
    assert c.query.update(query_id, "api", name="web", nearestn=2, datacenters=["dc2"]) is True
    (updated,) = c.query.get(query_id)
    assert updated["Service"]["Service"] == "api"
    assert updated["Service"]["Failover"] == {
        "NearestN": 2,
        "Datacenters": ["dc2"],
        "Targets": None,
    }
    assert c.query.delete(query_id) is True
    assert c.query.list() == []
    assert c.query.get(query_id) is None


def test_execute_and_explain(c: Any) -> None:
    register(c, "n1", Tags=["v1"])
    register(c, "n2", status="critical")
    c.query.create("web", name="web")
    result = c.query.execute("web")
    assert [e["Node"]["Node"] for e in result["Nodes"]] == ["n1"]
    assert (result["Service"], result["Datacenter"], result["Failovers"]) == ("web", "dc1", 0)
    assert c.query.execute("web", near="_agent", limit=1, consistency="stale")["Nodes"]
    assert c.query.execute("web", connect=True)["Nodes"] == []
    assert c.query.execute("nope") is None
    cached = c.query.execute("web", cached=True, max_age=60)
    assert [e["Node"]["Node"] for e in cached["Nodes"]] == ["n1"]
    explained = c.query.explain("web")
    assert explained["Query"]["Name"] == "web"
    assert c.query.explain("nope") is None


def test_templates(c: Any) -> None:
    register(c, "n1", Service="billing")
    c.query.create("${match(1)}", name="svc-", regexp="^svc-(.*)$")
    c.query.create("${name.suffix}", name="any-", template=True, remove_empty_tags=True)
    assert c.query.explain("svc-billing")["Query"]["Service"]["Service"] == "billing"
    assert [e["Node"]["Node"] for e in c.query.execute("svc-billing")["Nodes"]] == ["n1"]
    assert [e["Node"]["Node"] for e in c.query.execute("any-billing")["Nodes"]] == ["n1"]


def test_consuls_errors_come_back_typed(c: Any) -> None:
    with pytest.raises(consul.ServerError) as caught:
        c.query.create("web")  # no name, no template, no session
    assert caught.value.message == "Invalid prepared query: Must be bound to a session"
    c.query.create("web", name="dup")
    with pytest.raises(consul.ServerError, match="aliases an existing query name"):
        c.query.create("web", name="dup")
    with pytest.raises(consul.ServerError, match="Cannot modify non-existent prepared query"):
        c.query.delete("8f246b77-f3e1-ff88-5b48-8ec93abf3e05")


def test_query_acls(connect: Any, consul_acl_agent: DevAgent) -> None:
    root = connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)
    policy = root.acl.policy.create("queries", rules='query_prefix "team-" { policy = "write" }')
    token = root.acl.token.create(policies_id=[policy["ID"]])
    user = connect(agent=consul_acl_agent, token=token["SecretID"])
    secret = root.acl.token.create(policies_id=[policy["ID"]])["SecretID"]
    user.query.create("web", name="team-a", query_token=secret)
    with pytest.raises(consul.ACLPermissionDenied):
        user.query.create("web", name="other")
    assert [q["Token"] for q in root.query.list()] == [secret]
    # The token of a request is never stored: only query_token is.
    (listed,) = user.query.list()
    assert listed["Token"] == "<hidden>"


# -- the requests themselves (no server) ---------------------------------------------


@pytest.fixture
def client() -> Iterator[consul.Consul]:
    client = consul.Consul(token="caller-token")
    yield client
    client.close()


def test_the_body_holds_what_was_asked_and_no_token(client: consul.Consul) -> None:
    call = Query.create(
        client.query,
        "web",
        name="q",
        session="s1",
        nearestn=1,
        tags=["a", "!b"],
        ttl="30s",
        regexp="^q(.*)$",
        near="_ip",
        ignore_check_ids=["c1"],
        node_meta={"rack": "r1"},
        service_meta={"env": "prod"},
        connect=True,
        peer="east",
    )
    request = call.request
    assert (request.method, request.path) == ("POST", "/v1/query")
    assert json.loads(request.body or b"") == {
        "Name": "q",
        "Session": "s1",
        "Template": {"Type": "name_prefix_match", "Regexp": "^q(.*)$"},
        "Service": {
            "Service": "web",
            "Failover": {"NearestN": 1},
            "IgnoreCheckIDs": ["c1"],
            "Near": "_ip",
            "Tags": ["a", "!b"],
            "NodeMeta": {"rack": "r1"},
            "ServiceMeta": {"env": "prod"},
            "Connect": True,
            "Peer": "east",
        },
        "DNS": {"TTL": "30s"},
    }
    assert b"caller-token" not in (request.body or b"")
    assert dict(request.headers)["X-Consul-Token"] == "caller-token"
    plain = json.loads(Query.create(client.query, "web", name="q").request.body or b"")
    assert plain == {"Name": "q", "Service": {"Service": "web"}}


def test_paths_and_parameters(client: consul.Consul) -> None:
    execute = Query.execute(client.query, "a b", near="n1", limit=3, connect=True, cached=True)
    assert execute.request.path == "/v1/query/a%20b/execute"
    assert list(execute.request.params) == [
        ("limit", "3"),
        ("connect", "true"),
        ("near", "n1"),
        ("cached", ""),
    ]
    assert Query.explain(client.query, "web").request.path == "/v1/query/web/explain"
    assert Query.get(client.query, "id1").request.path == "/v1/query/id1"
    with pytest.raises(ValueError, match="query_id must not contain '/'"):
        Query.get(client.query, "a/b")
    with pytest.raises(ValueError, match="query must not contain '/'"):
        Query.execute(client.query, "../acl")


def test_bad_arguments_are_refused_before_any_request(client: consul.Consul) -> None:
    with pytest.raises(ValueError, match="service must not be empty"):
        Query.create(client.query, "")
    with pytest.raises(ValueError, match="service must be given"):
        Query.update(client.query, "id1")
    with pytest.raises(TypeError, match="tags must be a list"):
        Query.create(client.query, "web", tags="v1")
    with pytest.raises(TypeError, match="limit must be an int"):
        Query.execute(client.query, "web", limit="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="remove_empty_tags only applies to a template"):
        Query.create(client.query, "web", name="q", remove_empty_tags=True)
    with pytest.raises(ValueError, match="ttl must be a duration"):
        Query.create(client.query, "web", name="q", ttl="soon")
