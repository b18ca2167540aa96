"""The agent's tokens, Connect authorization and CA, and pprof, checked with raw HTTP.

After ``agent/agent_endpoint.go`` (``AgentToken``, ``AgentConnectAuthorize``,
``AgentConnectCARoots``, ``AgentConnectCALeafCert``), ``agent/connect_authz.go``,
``agent/connect/uri.go`` and ``handlePProf`` in ``agent/http.go``.
"""

from __future__ import annotations

import pytest
from harness import make_token

SERVICE_URI = "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web"


# -- PUT /v1/agent/token/:target ---------------------------------------------------------


def test_tokens_need_acls(api):
    response = api.put("/v1/agent/token/default", json={"Token": "x"})
    assert (response.status_code, response.text) == (401, "ACL support disabled")


def test_tokens_need_agent_write(anon):
    response = anon.put("/v1/agent/token/default", json={"Token": "x"})
    assert response.status_code == 403
    assert "lacks permission 'agent:write'" in response.text


def test_the_body_is_read_before_the_target(root):
    # The body is decoded (unknown fields refused) before the target is looked at.
    bad = root.put("/v1/agent/token/nope", json={"Token": "x", "Other": 1})
    assert (bad.status_code, bad.text) == (
        400,
        'Request decode failed: json: unknown field "Other"',
    )
    empty = root.put("/v1/agent/token/default")
    assert (empty.status_code, empty.text) == (400, "Request decode failed: EOF")
    unknown = root.put("/v1/agent/token/nope", json={"Token": "x"})
    assert (unknown.status_code, unknown.text) == (404, 'Token "nope" is unknown')


@pytest.mark.parametrize("target", ["default", "acl_token"])
def test_the_default_token_is_what_anonymous_requests_use(root, anon, target):
    reader = make_token(root, 'key_prefix "" { policy = "read" }')
    root.put("/v1/kv/k", data=b"v")
    assert anon.get("/v1/kv/k").status_code == 403
    response = root.put(f"/v1/agent/token/{target}", json={"Token": reader["SecretID"]})
    assert (response.status_code, response.text) == (200, "")
    assert anon.get("/v1/kv/k").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "agent",
        "acl_agent_token",
        "agent_recovery",
        "agent_master",
        "acl_agent_master_token",
        "replication",
        "acl_replication_token",
        "config_file_service_registration",
        "dns",
        "dns_token",
    ],
)
def test_every_target_is_known(root, target):
    assert root.put(f"/v1/agent/token/{target}", json={"Token": "t"}).status_code == 200


def test_namespaces_and_partitions_are_not_read(root):
    # AgentToken (agent/agent_endpoint.go) never parses the enterprise meta:
    # Consul CE neither refuses nor uses ?ns and ?partition here.
    response = root.put(
        "/v1/agent/token/dns", json={"Token": "t"}, params={"ns": "team", "partition": "part"}
    )
    assert (response.status_code, response.text) == (200, "")


def test_the_tokens_set_do_not_outlive_a_reset(consul_acl_agent, root, anon):
    reader = make_token(root, 'key_prefix "" { policy = "read" }')
    root.put("/v1/agent/token/default", json={"Token": reader["SecretID"]})
    consul_acl_agent.reset()
    assert anon.get("/v1/kv/k").status_code == 403


# -- Connect ---------------------------------------------------------------------------


def authorize(caller, **body):
    return caller("POST", "/v1/agent/connect/authorize", json=body)


def test_authorize_is_post_only(api):
    response = api.put("/v1/agent/connect/authorize", json={})
    assert (response.status_code, response.headers["Allow"]) == (405, "OPTIONS,POST")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"ClientCertURI": SERVICE_URI}, "Target service must be specified"),
        ({"Target": "db"}, "ClientCertURI not a valid Connect identifier"),
        ({"Target": "db", "ClientCertURI": "http://x/ns/default/dc/dc1/svc/web"},
         "ClientCertURI not a valid Connect identifier"),
        ({"Target": "db", "ClientCertURI": "spiffe://x.consul/ns/default/svc/web"},
         "ClientCertURI not a valid Connect identifier"),
        ({"Target": "db", "ClientCertURI": "spiffe://x.consul/ns/default/dc/dc1/svc/%zz"},
         "ClientCertURI not a valid Connect identifier"),
        ({"Target": "db", "ClientCertURI": "spiffe://x.consul/agent/client/dc/dc1/id/abc"},
         "ClientCertURI not a valid Service identifier"),
        ({"Target": "db", "ClientCertURI": "spiffe://x.consul/gateway/mesh/dc/dc1"},
         "ClientCertURI not a valid Service identifier"),
        ({"Target": "db", "ClientCertURI": "spiffe://11111111.consul"},
         "ClientCertURI not a valid Service identifier"),
    ],
)  # fmt: skip
def test_authorize_checks_its_request_in_consuls_order(api, body, reason):
    response = authorize(api, **body)
    assert (response.status_code, response.text) == (400, reason)


def test_authorize_refuses_enterprise_fields(api):
    response = authorize(api, Target="db", ClientCertURI=SERVICE_URI, Namespace="x")
    assert (response.status_code, response.text) == (
        400,
        'Request decode failed: json: unknown field "Namespace"',
    )


def test_without_intentions_acls_decide(api, root, anon):
    allowed = authorize(api, Target="db", ClientCertURI=SERVICE_URI)
    assert allowed.status_code == 200
    assert allowed.json() == {"Authorized": True, "Reason": "Default behavior configured by ACLs"}
    assert allowed.headers["X-Cache"] == "MISS"
    # The ACL agent's default policy is deny; the management token may write db.
    denied = authorize(root, Target="db", ClientCertURI=SERVICE_URI)
    assert denied.json() == {"Authorized": False, "Reason": "Default behavior configured by ACLs"}


def test_authorize_needs_service_write_on_the_target(anon, root):
    response = authorize(anon, Target="db", ClientCertURI=SERVICE_URI)
    assert response.status_code == 403
    assert "lacks permission 'service:write' on \"db\"" in response.text
    writer = make_token(root, 'service "db" { policy = "write" }')
    ok = authorize(root.with_token(writer["SecretID"]), Target="db", ClientCertURI=SERVICE_URI)
    assert ok.status_code == 200


# -- pprof -------------------------------------------------------------------------------


def test_pprof_is_off_without_acls(api):
    response = api.get("/debug/pprof/heap")
    assert (response.status_code, response.content) == (404, b"")


def test_pprof_with_acls_needs_operator_read(anon, root):
    denied = anon.get("/debug/pprof/goroutine")
    assert (denied.status_code, denied.content) == (403, b"")
    unknown = root.get("/debug/pprof/goroutine", params={"debug": "1"})
    assert (unknown.status_code, unknown.text) == (404, "Unknown profile\n")
