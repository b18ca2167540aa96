"""ACL enforcement across the agent's endpoints, checked with raw HTTP.

Each endpoint asks the request's authorizer what Consul's RPC asks (the
``*Allowed`` calls and ``filterACL`` of ``agent/consul/*_endpoint.go``):
a denial is a 403 with Consul's message, a listing drops what the token may
not read and then says so with ``X-Consul-Results-Filtered-By-ACLs``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from harness import make_token

FILTERED = "X-Consul-Results-Filtered-By-ACLs"


@pytest.fixture
def as_token(root):
    """A caller whose token has exactly ``rules``, and the token's accessor ID."""

    def make(rules: str) -> tuple[Callable[..., Any], str]:
        token = make_token(root, rules)
        return root.with_token(token["SecretID"]), token["AccessorID"]

    return make


def register(root, node, *services, address="10.0.0.1"):
    for service in services or (None,):
        body = {"Node": node, "Address": address}
        if service:
            body["Service"] = {"Service": service, "Port": 80}
        response = root("PUT", "/v1/catalog/register", json=body)
        assert response.status_code == 200, response.text


# -- KV ------------------------------------------------------------------------------


def test_kv_keys_listing_is_filtered(root, as_token):
    for key in ("a/1", "a/2", "b/1"):
        root("PUT", f"/v1/kv/{key}", data=b"v")
    user, _ = as_token('key_prefix "a/" { policy = "read" }')
    response = user("GET", "/v1/kv/?keys")
    assert response.json() == ["a/1", "a/2"]
    assert response.headers[FILTERED] == "true"
    whole = user("GET", "/v1/kv/a/?keys")
    assert FILTERED not in whole.headers


def test_kv_delete_needs_write(root, as_token):
    root("PUT", "/v1/kv/k", data=b"v")
    user, accessor = as_token('key_prefix "" { policy = "read" }')
    response = user("DELETE", "/v1/kv/k")
    assert (response.status_code, response.text) == (
        403,
        f"Permission denied: token with AccessorID '{accessor}' lacks permission "
        "'key:write' on \"k\"",
    )


def test_the_filtered_header_needs_a_token(root, anon):
    # maskResultsFilteredByACLs: a request without a token never learns that
    # something was hidden (here the anonymous token may read nothing).
    root("PUT", "/v1/kv/k", data=b"v")
    response = anon("GET", "/v1/kv/?recurse")
    assert response.status_code == 404
    assert FILTERED not in response.headers


# -- catalog and health -----------------------------------------------------------------


def test_catalog_register_needs_node_and_service_write(root, as_token):
    user, accessor = as_token('node "n1" { policy = "write" }')
    ok = user("PUT", "/v1/catalog/register", json={"Node": "n1", "Address": "10.0.0.1"})
    assert ok.status_code == 200, ok.text
    denied = user(
        "PUT",
        "/v1/catalog/register",
        json={"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web"}},
    )
    assert (denied.status_code, denied.text) == (
        403,
        f"Permission denied: token with AccessorID '{accessor}' lacks permission "
        "'service:write' on \"web\"",
    )
    other = user("PUT", "/v1/catalog/register", json={"Node": "n2", "Address": "10.0.0.2"})
    assert other.status_code == 403
    assert "lacks permission 'node:write' on \"n2\"" in other.text


def test_catalog_listings_are_filtered(root, as_token):
    register(root, "n1", "web", "db")
    register(root, "n2", "web", address="10.0.0.2")
    user, _ = as_token('node "n1" { policy = "read" }\nservice "web" { policy = "read" }')

    nodes = user("GET", "/v1/catalog/nodes")
    assert [n["Node"] for n in nodes.json()] == ["n1"]
    assert nodes.headers[FILTERED] == "true"

    services = user("GET", "/v1/catalog/services")
    assert services.json() == {"web": []}
    assert services.headers[FILTERED] == "true"

    web = user("GET", "/v1/catalog/service/web")
    assert [s["Node"] for s in web.json()] == ["n1"]
    assert web.headers[FILTERED] == "true"

    health = user("GET", "/v1/health/service/web")
    assert [e["Node"]["Node"] for e in health.json()] == ["n1"]
    assert health.headers[FILTERED] == "true"

    everything = root("GET", "/v1/catalog/service/web")
    assert len(everything.json()) == 2
    assert FILTERED not in everything.headers


def test_service_identity_may_register_its_service(root):
    token = root(
        "PUT", "/v1/acl/token", json={"ServiceIdentities": [{"ServiceName": "web"}]}
    ).json()
    register(root, "n1")
    user = root.with_token(token["SecretID"])
    body = {"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web"}}
    assert user("PUT", "/v1/catalog/register", json=body).status_code == 200
    body["Service"] = {"Service": "db"}
    assert user("PUT", "/v1/catalog/register", json=body).status_code == 403
    # A service identity reads every service and node.
    assert "web" in user("GET", "/v1/catalog/services").json()


# -- events and coordinates ---------------------------------------------------------------


def test_event_fire_and_list(root, as_token):
    user, _ = as_token('event_prefix "deploy" { policy = "write" }')
    assert user("PUT", "/v1/event/fire/deploy-web").status_code == 200
    denied = user("PUT", "/v1/event/fire/restart")
    # EventFire answers the bare acl.ErrPermissionDenied text (agent/event_endpoint.go).
    assert (denied.status_code, denied.text) == (403, "Permission denied")
    assert root("PUT", "/v1/event/fire/restart").status_code == 200
    listing = user("GET", "/v1/event/list")
    assert [e["Name"] for e in listing.json()] == ["deploy-web"]
    assert listing.headers[FILTERED] == "true"


def test_coordinates_need_node_read(as_token, consul_acl_agent):
    user, _ = as_token('node "nobody" { policy = "read" }')
    node = consul_acl_agent.config.node_name
    response = user("GET", f"/v1/coordinate/node/{node}")
    assert response.status_code == 403
    assert f"lacks permission 'node:read' on \"{node}\"" in response.text


# -- the local agent ------------------------------------------------------------------


def test_agent_self_needs_agent_read(as_token, consul_acl_agent):
    node = consul_acl_agent.config.node_name
    user, accessor = as_token('node_prefix "" { policy = "read" }')
    response = user("GET", "/v1/agent/self")
    assert (response.status_code, response.text) == (
        403,
        f"Permission denied: token with AccessorID '{accessor}' lacks permission "
        f"'agent:read' on \"{node}\"",
    )
    reader, _ = as_token(f'agent "{node}" {{ policy = "read" }}')
    assert reader("GET", "/v1/agent/self").status_code == 200


def test_agent_service_registration_and_listing(root, as_token):
    user, _ = as_token('service "web" { policy = "write" }')
    assert user("PUT", "/v1/agent/service/register", json={"Name": "web"}).status_code == 200
    denied = user("PUT", "/v1/agent/service/register", json={"Name": "db"})
    assert denied.status_code == 403
    assert "lacks permission 'service:write' on \"db\"" in denied.text
    assert root("PUT", "/v1/agent/service/register", json={"Name": "db"}).status_code == 200
    listing = user("GET", "/v1/agent/services")
    assert [s["Service"] for s in listing.json().values()] == ["web"]
    assert listing.headers[FILTERED] == "true"
    hidden = user("GET", "/v1/agent/service/db")
    assert hidden.status_code == 403


def test_agent_members_are_filtered_by_node_read(as_token):
    user, _ = as_token('node "nobody" { policy = "read" }')
    response = user("GET", "/v1/agent/members")
    assert response.json() == []
    assert response.headers[FILTERED] == "true"


# -- transactions -----------------------------------------------------------------------


def test_txn_writes_are_checked_and_reads_filtered(root, as_token):
    root("PUT", "/v1/kv/secret", data=b"s")
    user, accessor = as_token('key_prefix "app/" { policy = "write" }')
    # A read is not refused: its result is dropped (txnPreApply, FilterTxnResults).
    ops = [
        {"KV": {"Verb": "set", "Key": "app/a", "Value": "dg=="}},
        {"KV": {"Verb": "get", "Key": "secret"}},
    ]
    response = user("PUT", "/v1/txn", json=ops)
    assert response.status_code == 200, response.text
    assert [r["KV"]["Key"] for r in response.json()["Results"]] == ["app/a"]
    # A write is refused, and nothing of the transaction is applied.
    ops = [
        {"KV": {"Verb": "set", "Key": "app/b", "Value": "dg=="}},
        {"KV": {"Verb": "set", "Key": "secret", "Value": "dg=="}},
    ]
    response = user("PUT", "/v1/txn", json=ops)
    assert response.status_code == 409
    assert response.json()["Errors"] == [
        {
            "OpIndex": 1,
            "What": f"Permission denied: token with AccessorID '{accessor}' lacks permission "
            "'key:write' on \"secret\"",
        }
    ]
    assert root("GET", "/v1/kv/app/b").status_code == 404
