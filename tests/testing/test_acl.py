"""The embedded agent's ACL endpoints, checked with raw HTTP.

Rules from ``agent/acl_endpoint.go``, ``agent/consul/acl_endpoint.go`` and
``agent/consul/leader.go`` (``initializeACLs``).
"""

from __future__ import annotations

import concurrent.futures
import datetime
import uuid

import pytest
import requests
from harness import CALL_TIMEOUT, RawHTTP, make_token, wait_blocked

from consul.testing import DevAgent

ANONYMOUS_ID = "00000000-0000-0000-0000-000000000002"
GLOBAL_MANAGEMENT_ID = "00000000-0000-0000-0000-000000000001"


# -- ACLs off ----------------------------------------------------------------------

ACL_PATHS = [
    ("PUT", "/v1/acl/bootstrap"),
    ("GET", "/v1/acl/replication"),
    ("GET", "/v1/acl/tokens"),
    ("PUT", "/v1/acl/token"),
    ("GET", "/v1/acl/token/self"),
    ("GET", f"/v1/acl/token/{ANONYMOUS_ID}"),
    ("DELETE", f"/v1/acl/token/{ANONYMOUS_ID}"),
    ("PUT", f"/v1/acl/token/{ANONYMOUS_ID}/clone"),
    ("GET", "/v1/acl/policies"),
    ("PUT", "/v1/acl/policy"),
    ("GET", "/v1/acl/policy/name/global-management"),
    ("GET", f"/v1/acl/policy/{GLOBAL_MANAGEMENT_ID}"),
    ("GET", "/v1/acl/roles"),
    ("PUT", "/v1/acl/role"),
    ("GET", "/v1/acl/role/name/r"),
    ("DELETE", "/v1/acl/role/x"),
]


@pytest.mark.parametrize(("method", "path"), ACL_PATHS)
def test_every_acl_endpoint_answers_401_while_acls_are_off(consul_agent, method, path):
    with RawHTTP(consul_agent.url) as client:
        response = client(method, path, json={})
    assert response.status_code == 401
    assert response.text == "ACL support disabled"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/acl/create"),
        ("PUT", "/v1/acl/update"),
        ("PUT", "/v1/acl/destroy/x"),
        ("GET", "/v1/acl/info/x"),
        ("PUT", "/v1/acl/clone/x"),
        ("GET", "/v1/acl/list"),
    ],
)
def test_legacy_endpoints_are_gone(root, method, path):
    response = root(method, path)
    assert response.status_code == 404
    assert response.text == "Invalid URL path: not a recognized HTTP API endpoint\n"


def test_kv_works_without_tokens_while_acls_are_off(consul_agent):
    with RawHTTP(consul_agent.url, token="not-a-token") as client:
        assert client("PUT", "/v1/kv/k", data=b"v").json() is True
        assert client("GET", "/v1/kv/k").status_code == 200


# -- what a leader creates -----------------------------------------------------------


def test_a_fresh_agent_has_the_anonymous_and_initial_management_tokens(root, consul_acl_agent):
    tokens = root("GET", "/v1/acl/tokens").json()
    assert [t["AccessorID"] for t in tokens] == sorted(t["AccessorID"] for t in tokens)
    by_description = {t["Description"]: t for t in tokens}
    assert set(by_description) == {"Anonymous Token", "Initial Management Token"}
    anonymous = by_description["Anonymous Token"]
    assert anonymous["AccessorID"] == ANONYMOUS_ID
    assert anonymous["SecretID"] == "anonymous"
    assert "Policies" not in anonymous
    # The hash of its content fields, as Consul's documentation shows it.
    assert anonymous["Hash"] == "RNVFSWnfd5DUOuB8vplp+imivlIna3fKQVnkUHh21cA="
    management = by_description["Initial Management Token"]
    assert management["SecretID"] == consul_acl_agent.management_token
    assert management["Policies"] == [{"ID": GLOBAL_MANAGEMENT_ID, "Name": "global-management"}]
    assert list(management) == [
        "AccessorID",
        "SecretID",
        "Description",
        "Policies",
        "Local",
        "CreateTime",
        "Hash",
        "CreateIndex",
        "ModifyIndex",
    ]


def test_the_builtin_policies(root):
    policies = root("GET", "/v1/acl/policies").json()
    assert [(p["ID"], p["Name"]) for p in policies] == [
        (GLOBAL_MANAGEMENT_ID, "global-management"),
        ("00000000-0000-0000-0000-000000000002", "builtin/global-read-only"),
    ]
    assert list(policies[0]) == [
        "ID",
        "Name",
        "Description",
        "Datacenters",
        "Hash",
        "CreateIndex",
        "ModifyIndex",
    ]
    assert policies[0]["Datacenters"] is None
    management = root("GET", f"/v1/acl/policy/{GLOBAL_MANAGEMENT_ID}").json()
    assert management["Description"] == "Builtin Policy that grants unlimited access"
    assert management["Rules"].startswith('\nacl = "write"\nagent_prefix "" {\n\tpolicy = "write"')
    assert "Datacenters" not in management


# -- token resolution ------------------------------------------------------------------


def test_an_unknown_token_is_acl_not_found_everywhere(anon):
    client = anon.with_token(str(uuid.uuid4()))
    for method, path in [("GET", "/v1/kv/k"), ("GET", "/v1/acl/tokens"), ("PUT", "/v1/kv/k")]:
        response = client(method, path)
        assert (response.status_code, response.text) == (403, "ACL not found")


def test_the_anonymous_token_is_denied_by_the_deny_default(anon):
    response = anon("GET", "/v1/kv/foo")
    assert response.status_code == 403
    assert response.text == (
        "Permission denied: anonymous token lacks permission 'key:read' on \"foo\". "
        "The anonymous token is used implicitly when a request does not specify a token."
    )
    assert response.headers["X-Consul-Default-ACL-Policy"] == "deny"


def test_the_token_may_come_from_query_header_or_bearer(root, consul_acl_agent):
    secret = consul_acl_agent.management_token
    assert requests.get(f"{root.url}/v1/acl/tokens?token={secret}", timeout=CALL_TIMEOUT).ok
    bearer = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{root.url}/v1/acl/tokens", headers=bearer, timeout=CALL_TIMEOUT).ok


def test_the_default_token_serves_requests_without_one():
    secret = str(uuid.uuid4())
    with (
        DevAgent(
            acl_initial_management=secret, acl_default_policy="deny", acl_default_token=secret
        ) as agent,
        RawHTTP(agent.url) as client,
    ):
        response = client("GET", "/v1/acl/tokens")
        assert response.status_code == 200
        # With an explicit token, that token counts.
        assert client("GET", "/v1/acl/tokens", token="anonymous").status_code == 403


def test_default_policy_allow_still_protects_acls():
    with (
        DevAgent(acl_initial_management=str(uuid.uuid4()), acl_default_policy="allow") as agent,
        RawHTTP(agent.url) as anon,
    ):
        assert anon("PUT", "/v1/kv/k", data=b"v").json() is True
        response = anon("GET", "/v1/acl/policies")
        assert response.status_code == 403
        assert "lacks permission 'acl:read'" in response.text
        assert response.headers["X-Consul-Default-ACL-Policy"] == "allow"


def test_an_expired_token_no_longer_resolves(root, consul_acl_agent):
    token = make_token(root, 'key_prefix "" { policy = "read" }', ExpirationTTL="1h")
    assert "ExpirationTime" in token
    client = root.with_token(token["SecretID"])
    assert client("GET", "/v1/kv/k").status_code == 404

    def expire(core):
        stored = core.acl.tokens[token["AccessorID"]]
        stored.expiration_time = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)

    consul_acl_agent.run(expire)
    assert (client("GET", "/v1/kv/k").status_code, client("GET", "/v1/kv/k").text) == (
        403,
        "ACL not found",
    )
    listed = [t["AccessorID"] for t in root("GET", "/v1/acl/tokens").json()]
    assert token["AccessorID"] not in listed
    assert root("GET", f"/v1/acl/token/{token['AccessorID']}").status_code == 404


# -- bootstrap -------------------------------------------------------------------------


def test_bootstrap_once():
    with (
        DevAgent(acl_enabled=True, acl_default_policy="deny") as agent,
        RawHTTP(agent.url) as client,
    ):
        before = client("GET", "/v1/acl/tokens", token=str(uuid.uuid4()))
        assert before.status_code == 403
        assert before.text == (
            "ACL system must be bootstrapped before making any requests that require "
            "authorization: ACL not found"
        )
        first = client("PUT", "/v1/acl/bootstrap")
        assert first.status_code == 200
        token = first.json()
        assert list(token)[:2] == ["ID", "AccessorID"]
        assert token["ID"] == token["SecretID"]
        assert token["Description"] == "Bootstrap Token (Global Management)"
        assert token["Policies"] == [{"ID": GLOBAL_MANAGEMENT_ID, "Name": "global-management"}]
        assert client("GET", "/v1/acl/tokens", token=token["SecretID"]).status_code == 200
        again = client("PUT", "/v1/acl/bootstrap")
        assert again.status_code == 403
        assert again.text == (
            "Permission denied: ACL bootstrap no longer allowed "
            f"(reset index: {token['CreateIndex']})"
        )


def test_an_initial_management_token_counts_as_the_bootstrap(root):
    response = root("PUT", "/v1/acl/bootstrap")
    assert response.status_code == 403
    assert response.text.startswith("Permission denied: ACL bootstrap no longer allowed")


def test_bootstrap_with_a_chosen_secret():
    secret = str(uuid.uuid4())
    with DevAgent(acl_enabled=True) as agent, RawHTTP(agent.url) as client:
        response = client("PUT", "/v1/acl/bootstrap", json={"BootstrapSecret": secret})
        assert response.json()["SecretID"] == secret


# -- tokens ----------------------------------------------------------------------------


def test_token_create_read_update_delete(root):
    policy = root("PUT", "/v1/acl/policy", json={"Name": "kv-read", "Rules": ""}).json()
    created = root(
        "PUT",
        "/v1/acl/token",
        json={
            "Description": "app",
            "Policies": [{"Name": "kv-read"}, {"ID": policy["ID"]}],
            "ServiceIdentities": [{"ServiceName": "web", "Datacenters": ["dc2", "dc1"]}],
            "NodeIdentities": [{"NodeName": "n1", "Datacenter": "dc1"}],
        },
    ).json()
    assert created["Policies"] == [{"ID": policy["ID"], "Name": "kv-read"}]
    assert created["ServiceIdentities"] == [{"ServiceName": "web", "Datacenters": ["dc1", "dc2"]}]
    assert created["NodeIdentities"] == [{"NodeName": "n1", "Datacenter": "dc1"}]
    assert created["CreateIndex"] == created["ModifyIndex"]
    accessor = created["AccessorID"]
    read = root("GET", f"/v1/acl/token/{accessor}")
    assert read.json() == created
    assert int(read.headers["X-Consul-Index"]) >= created["ModifyIndex"]
    assert read.headers["X-Consul-KnownLeader"] == "true"

    updated = root("PUT", f"/v1/acl/token/{accessor}", json={"Description": "renamed"}).json()
    assert updated["Description"] == "renamed"
    assert updated["SecretID"] == created["SecretID"]
    assert "Policies" not in updated
    assert updated["CreateIndex"] == created["CreateIndex"] < updated["ModifyIndex"]
    assert updated["CreateTime"] == created["CreateTime"]
    assert updated["Hash"] != created["Hash"]

    assert root("DELETE", f"/v1/acl/token/{accessor}").json() is True
    missing = root("GET", f"/v1/acl/token/{accessor}")
    assert (missing.status_code, missing.text) == (
        404,
        "Requested token does not exist: ACL not found",
    )
    # Deleting what is not there succeeds.
    assert root("DELETE", f"/v1/acl/token/{accessor}").json() is True


# Tokens are found by AccessorID, policies and roles by ID, through go-memdb
# UUID indexes (agent/consul/state/acl_schema.go): a value the index cannot
# parse fails the lookup ("failed acl token lookup: %v", state/acl.go), a 500,
# not the 404 of a well-formed UUID that matches nothing.
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("nope", "UUID must be 36 characters"),
        ("a-b-c-d-e-f-012345678901234567890123", 'UUID should have maximum of 4 "-"; got 6'),
        ("0123456789012345678901234567890123-5", "Input (without hyphens) must be even length"),
        (
            "g1234567-1234-1234-1234-123456789012",
            "Invalid UUID: encoding/hex: invalid byte: U+0067 'g'",
        ),
    ],
)
@pytest.mark.parametrize(
    ("path", "table"), [("token", "token"), ("policy", "policy"), ("role", "role")]
)
def test_reads_by_a_malformed_id_fail_in_the_uuid_index(root, path, table, value, problem):
    response = root("GET", f"/v1/acl/{path}/{value}")
    assert (response.status_code, response.text) == (
        500,
        f"failed acl {table} lookup: index error: {problem}",
    )


@pytest.mark.parametrize("path", ["policy", "role"])
def test_deleting_a_policy_or_role_by_a_malformed_id_is_an_error(root, path):
    # PolicyDelete and RoleDelete look the object up first (ACLPolicyGetByID).
    response = root("DELETE", f"/v1/acl/{path}/nope")
    assert (response.status_code, response.text) == (
        500,
        f"failed acl {path} lookup: index error: UUID must be 36 characters",
    )


def test_uuid_indexes_match_any_case(root):
    # The index keeps the UUID's bytes, so the case of its hex digits does not matter.
    policy = root("PUT", "/v1/acl/policy", json={"Name": "cased", "Rules": ""}).json()
    token = root("PUT", "/v1/acl/token", json={"Policies": [{"ID": policy["ID"]}]}).json()
    assert root("GET", f"/v1/acl/policy/{policy['ID'].upper()}").json()["Name"] == "cased"
    read = root("GET", f"/v1/acl/token/{token['AccessorID'].upper()}").json()
    assert read["AccessorID"] == token["AccessorID"]
    assert root("DELETE", f"/v1/acl/policy/{policy['ID'].upper()}").json() is True
    assert root("GET", f"/v1/acl/policy/{policy['ID']}").status_code == 404


def test_token_create_with_chosen_ids(root):
    accessor, secret = str(uuid.uuid4()), str(uuid.uuid4())
    token = root("PUT", "/v1/acl/token", json={"AccessorID": accessor, "SecretID": secret}).json()
    assert (token["AccessorID"], token["SecretID"]) == (accessor, secret)
    again = root("PUT", "/v1/acl/token", json={"AccessorID": accessor})
    assert (again.status_code, again.text) == (500, "Invalid Token: AccessorID is already in use")
    bad = root("PUT", "/v1/acl/token", json={"SecretID": "not-a-uuid"})
    assert (bad.status_code, bad.text) == (500, "Invalid Token: SecretID is not a valid UUID")
    reserved = root("PUT", "/v1/acl/token", json={"AccessorID": ANONYMOUS_ID[:-1] + "9"})
    assert reserved.text == (
        'Invalid Token: UUIDs with the prefix "00000000-0000-0000-0000-0000000000" are reserved'
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"Bogus": 1}, 400, 'Token decoding failed: json: unknown field "Bogus"'),
        ({"Policies": [{"Name": "nope"}]}, 500, 'No such ACL policy with name "nope"'),
        ({"Roles": [{"ID": "x"}]}, 500, 'No such ACL role with ID "x"'),
        (
            {"ServiceIdentities": [{"ServiceName": "Web"}]},
            500,
            "Service identity \"Web\" has an invalid name. Only alphanumeric characters, '-' "
            "and '_' are allowed",
        ),
        (
            {"NodeIdentities": [{"NodeName": "n"}]},
            500,
            "Node identity is missing the datacenter field on this token",
        ),
        (
            {"ExpirationTTL": "10s"},
            500,
            "ExpirationTime cannot be less than 1m0s in the future (was 10s)",
        ),
        (
            {"ExpirationTTL": "25h"},
            500,
            "ExpirationTime cannot be more than 24h0m0s in the future (was 25h0m0s)",
        ),
        ({"AuthMethod": "m"}, 500, "AuthMethod field is disallowed outside of Login"),
    ],
)
def test_token_create_errors(root, body, status, message):
    response = root("PUT", "/v1/acl/token", json=body)
    assert (response.status_code, response.text) == (status, message)


def test_token_update_errors(root):
    token = make_token(root, "")
    accessor = token["AccessorID"]
    mismatch = root("PUT", f"/v1/acl/token/{accessor}", json={"AccessorID": str(uuid.uuid4())})
    assert (mismatch.status_code, mismatch.text) == (
        400,
        "Token Accessor ID in URL and payload do not match",
    )
    secret = root("PUT", f"/v1/acl/token/{accessor}", json={"SecretID": str(uuid.uuid4())})
    assert secret.text == "Changing a tokens SecretID is not permitted"
    local = root("PUT", f"/v1/acl/token/{accessor}", json={"Local": True})
    assert local.text == f"cannot toggle local mode of {accessor}"
    unknown = str(uuid.uuid4())
    missing = root("PUT", f"/v1/acl/token/{unknown}", json={})
    assert (missing.status_code, missing.text) == (500, f'Cannot find token "{unknown}"')


def test_token_delete_refusals(root, consul_acl_agent):
    anonymous = root("DELETE", f"/v1/acl/token/{ANONYMOUS_ID}")
    assert (anonymous.status_code, anonymous.text) == (
        500,
        "Delete operation not permitted on the anonymous token",
    )
    own = next(
        t
        for t in root("GET", "/v1/acl/tokens").json()
        if t["SecretID"] == consul_acl_agent.management_token
    )
    itself = root("DELETE", f"/v1/acl/token/{own['AccessorID']}")
    assert itself.text == "Deletion of the request's authorization token is not permitted"
    assert root("DELETE", "/v1/acl/token/not-a-uuid").text == (
        "Accessor ID is missing or an invalid UUID"
    )
    assert root("GET", "/v1/acl/token/").text == "Missing token AccessorID"
    unknown_requester = root("DELETE", f"/v1/acl/token/{uuid.uuid4()}", token=str(uuid.uuid4()))
    assert (unknown_requester.status_code, unknown_requester.text) == (
        404,
        "Cannot find token to delete",
    )


def test_token_clone(root):
    token = make_token(root, 'key_prefix "" { policy = "read" }', Description="original")
    clone = root("PUT", f"/v1/acl/token/{token['AccessorID']}/clone", json={}).json()
    assert clone["AccessorID"] != token["AccessorID"]
    assert clone["SecretID"] != token["SecretID"]
    assert clone["Policies"] == token["Policies"]
    assert clone["Description"] == "original"
    renamed = root(
        "PUT", f"/v1/acl/token/{token['AccessorID']}/clone", json={"Description": "copy"}
    ).json()
    assert renamed["Description"] == "copy"
    missing = root("PUT", f"/v1/acl/token/{uuid.uuid4()}/clone", json={})
    assert (missing.status_code, missing.text) == (403, "ACL not found")


def test_token_self_needs_no_privilege(root):
    token = make_token(root, "")
    own = root("GET", "/v1/acl/token/self", token=token["SecretID"])
    assert own.status_code == 200
    assert own.json()["AccessorID"] == token["AccessorID"]
    unknown = root("GET", "/v1/acl/token/self", token=str(uuid.uuid4()))
    assert (unknown.status_code, unknown.text) == (404, "Supplied token does not exist")


def test_acl_read_without_write_sees_no_secrets(root):
    reader = make_token(root, 'acl = "read"')
    client = root.with_token(reader["SecretID"])
    assert {t["SecretID"] for t in client("GET", "/v1/acl/tokens").json()} == {"<hidden>"}
    assert client("GET", f"/v1/acl/token/{reader['AccessorID']}").json()["SecretID"] == "<hidden>"
    denied = client("PUT", "/v1/acl/token", json={})
    assert denied.status_code == 403
    assert denied.text == (
        f"Permission denied: token with AccessorID '{reader['AccessorID']}' "
        "lacks permission 'acl:write'"
    )


def test_token_list_filters(root):
    policy = root("PUT", "/v1/acl/policy", json={"Name": "pol"}).json()
    role = root("PUT", "/v1/acl/role", json={"Name": "rol"}).json()
    by_policy = root("PUT", "/v1/acl/token", json={"Policies": [{"ID": policy["ID"]}]}).json()
    by_role = root("PUT", "/v1/acl/token", json={"Roles": [{"Name": "rol"}]}).json()
    by_service = root(
        "PUT", "/v1/acl/token", json={"ServiceIdentities": [{"ServiceName": "web"}]}
    ).json()

    def listed(query):
        return [t["AccessorID"] for t in root("GET", f"/v1/acl/tokens?{query}").json()]

    assert listed(f"policy={policy['ID']}") == [by_policy["AccessorID"]]
    assert listed(f"role={role['ID']}") == [by_role["AccessorID"]]
    assert listed("servicename=web") == [by_service["AccessorID"]]
    assert listed("authmethod=none") == []


def test_token_read_expanded(root):
    policy = root("PUT", "/v1/acl/policy", json={"Name": "pol", "Rules": 'acl = "read"'}).json()
    role = root("PUT", "/v1/acl/role", json={"Name": "rol", "Policies": [{"Name": "pol"}]})
    token = root("PUT", "/v1/acl/token", json={"Roles": [{"ID": role.json()["ID"]}]}).json()
    expanded = root("GET", f"/v1/acl/token/{token['AccessorID']}?expanded").json()
    assert expanded["AccessorID"] == token["AccessorID"]
    assert [p["ID"] for p in expanded["ExpandedPolicies"]] == [policy["ID"]]
    assert [r["Name"] for r in expanded["ExpandedRoles"]] == ["rol"]
    assert expanded["AgentACLDefaultPolicy"] == "deny"


def test_token_list_is_a_blocking_query(root, consul_acl_agent):
    index = root.index("/v1/acl/tokens")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(root, "GET", f"/v1/acl/tokens?index={index}&wait=10s")
        wait_blocked(consul_acl_agent)
        created = root("PUT", "/v1/acl/token", json={"Description": "wake"}).json()
        response = pending.result(CALL_TIMEOUT)
    assert int(response.headers["X-Consul-Index"]) >= created["CreateIndex"] > index
    assert created["AccessorID"] in [t["AccessorID"] for t in response.json()]


# -- policies --------------------------------------------------------------------------


def test_policy_create_read_update_delete(root):
    rules = 'key_prefix "app/" { policy = "write" }'
    created = root(
        "PUT",
        "/v1/acl/policy",
        json={"Name": "app", "Description": "d", "Rules": rules, "Datacenters": ["dc1"]},
    ).json()
    assert list(created) == [
        "ID",
        "Name",
        "Description",
        "Rules",
        "Datacenters",
        "Hash",
        "CreateIndex",
        "ModifyIndex",
    ]
    assert root("GET", f"/v1/acl/policy/{created['ID']}").json() == created
    assert root("GET", "/v1/acl/policy/name/app").json() == created
    updated = root(
        "PUT", f"/v1/acl/policy/{created['ID']}", json={"Name": "app2", "Rules": rules}
    ).json()
    assert (updated["Name"], updated["ID"]) == ("app2", created["ID"])
    assert "Datacenters" not in updated
    assert root("GET", "/v1/acl/policy/name/app").status_code == 404
    assert root("DELETE", f"/v1/acl/policy/{created['ID']}").json() is True
    missing = root("GET", f"/v1/acl/policy/{created['ID']}")
    assert (missing.status_code, missing.text) == (
        404,
        "Requested policy does not exist: ACL not found",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Name": ""}, "Invalid Policy: no Name is set"),
        (
            {"Name": "a b"},
            "Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed",
        ),
        (
            {"Name": "global-management"},
            'Invalid Policy: A Policy with Name "global-management" already exists',
        ),
        ({"Name": "x", "Rules": 'acl = "nope"'}, 'Invalid acl policy: "nope"'),
        (
            {"Name": "x", "Rules": 'key "a" { policy = "sudo" }'},
            'Invalid key policy: &acl.KeyRule{Prefix:"a", Policy:"sudo", '
            "EnterpriseRule:acl.EnterpriseRule{}}",
        ),
    ],
)
def test_policy_create_errors(root, body, message):
    response = root("PUT", "/v1/acl/policy", json=body)
    assert (response.status_code, response.text) == (500, message)


def test_policy_request_errors(root):
    with_id = root("PUT", "/v1/acl/policy", json={"ID": str(uuid.uuid4()), "Name": "x"})
    assert (with_id.status_code, with_id.text) == (
        400,
        "Cannot specify the ID when creating a new policy",
    )
    bad_json = root("PUT", "/v1/acl/policy", data=b"{")
    assert (bad_json.status_code, bad_json.text) == (400, "Policy decoding failed: unexpected EOF")
    mismatch = root("PUT", f"/v1/acl/policy/{uuid.uuid4()}", json={"ID": "x", "Name": "x"})
    assert mismatch.text == "Policy ID in URL and payload do not match"
    unknown = str(uuid.uuid4())
    assert root("PUT", f"/v1/acl/policy/{unknown}", json={"Name": "x"}).text == (
        f"cannot find policy {unknown}"
    )
    assert root("GET", "/v1/acl/policy/name/").text == "Missing policy Name"


def test_the_global_management_policy_is_protected(root):
    path = f"/v1/acl/policy/{GLOBAL_MANAGEMENT_ID}"
    current = root("GET", path).json()
    rules = root("PUT", path, json={"Name": "global-management", "Rules": 'acl = "read"'})
    assert rules.text == (
        "Changing the Rules for the builtin global-management policy is not permitted"
    )
    renamed = root("PUT", path, json={"Name": "gm", "Rules": current["Rules"]})
    assert renamed.json()["Name"] == "gm"
    deleted = root("DELETE", path)
    assert (deleted.status_code, deleted.text) == (
        500,
        "Delete operation not permitted on the builtin global-management policy",
    )


def test_token_links_show_current_policy_names_and_drop_deleted_ones(root):
    token = make_token(root, "")
    policy_id = token["Policies"][0]["ID"]
    root("PUT", f"/v1/acl/policy/{policy_id}", json={"Name": "renamed"})
    read = root("GET", f"/v1/acl/token/{token['AccessorID']}").json()
    assert read["Policies"] == [{"ID": policy_id, "Name": "renamed"}]
    root("DELETE", f"/v1/acl/policy/{policy_id}")
    assert "Policies" not in root("GET", f"/v1/acl/token/{token['AccessorID']}").json()


# -- roles -----------------------------------------------------------------------------


def test_role_create_read_update_delete(root, consul_acl_agent):
    root("PUT", "/v1/acl/policy", json={"Name": "kv", "Rules": 'key_prefix "" { policy = "read" }'})
    role = root("PUT", "/v1/acl/role", json={"Name": "reader", "Policies": [{"Name": "kv"}]}).json()
    assert list(role) == [
        "ID",
        "Name",
        "Description",
        "Policies",
        "Hash",
        "CreateIndex",
        "ModifyIndex",
    ]
    assert root("GET", f"/v1/acl/role/{role['ID']}").json() == role
    assert root("GET", "/v1/acl/role/name/reader").json() == role
    assert root("GET", "/v1/acl/roles").json() == [role]
    # A token with the role has the role's rights.
    token = root("PUT", "/v1/acl/token", json={"Roles": [{"Name": "reader"}]}).json()
    root("PUT", "/v1/kv/k", data=b"v")
    user = root.with_token(token["SecretID"])
    assert user("GET", "/v1/kv/k").status_code == 200
    updated = root("PUT", f"/v1/acl/role/{role['ID']}", json={"Name": "reader"}).json()
    assert "Policies" not in updated
    assert user("GET", "/v1/kv/k").status_code == 403
    assert root("DELETE", f"/v1/acl/role/{role['ID']}").json() is True
    missing = root("GET", f"/v1/acl/role/{role['ID']}")
    assert (missing.status_code, missing.text) == (
        404,
        "Requested role does not exist: ACL not found",
    )
    assert "Roles" not in root("GET", f"/v1/acl/token/{token['AccessorID']}").json()


def test_role_errors(root):
    assert root("PUT", "/v1/acl/role", json={}).text == "Invalid Role: no Name is set"
    root("PUT", "/v1/acl/role", json={"Name": "r"})
    duplicate = root("PUT", "/v1/acl/role", json={"Name": "r"})
    assert duplicate.text == 'Invalid Role: A Role with Name "r" already exists'
    unknown = str(uuid.uuid4())
    dangling = root("PUT", "/v1/acl/role", json={"Name": "r2", "Policies": [{"ID": unknown}]})
    assert dangling.text == (
        f"Failed to apply role upsert request: No such policy with ID: {unknown}"
    )
    assert root("PUT", "/v1/acl/role", json={"ID": "x", "Name": "r3"}).text == (
        "Role ID in URL and payload do not match"
    )
    assert root("DELETE", "/v1/acl/role/").text == "Missing role ID"


# -- rules in force ------------------------------------------------------------------


def test_rules_decide_kv_access(root, consul_acl_agent):
    for key in ("app/a", "app/private/b", "other"):
        root("PUT", f"/v1/kv/{key}", data=b"v")
    token = make_token(
        root,
        'key_prefix "app/" { policy = "write" }\nkey_prefix "app/private/" { policy = "deny" }',
    )
    user = root.with_token(token["SecretID"])
    assert user("GET", "/v1/kv/app/a").status_code == 200
    assert user("PUT", "/v1/kv/app/new", data=b"x").json() is True
    denied = user("GET", "/v1/kv/app/private/b")
    assert denied.status_code == 403
    assert denied.text == (
        f"Permission denied: token with AccessorID '{token['AccessorID']}' lacks permission "
        "'key:read' on \"app/private/b\""
    )
    assert user("GET", "/v1/kv/other").status_code == 403
    listing = user("GET", "/v1/kv/app/?recurse")
    assert [e["Key"] for e in listing.json()] == ["app/a", "app/new"]
    assert listing.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    # A recursive delete needs write on everything below the prefix.
    refused = user("DELETE", "/v1/kv/app/?recurse")
    assert refused.status_code == 403
    assert "lacks permission 'key:write' on \"app/\"" in refused.text
    assert user("DELETE", "/v1/kv/app/a?recurse").json() is True


def test_an_unfiltered_listing_has_no_filtered_header(root):
    root("PUT", "/v1/kv/a", data=b"v")
    response = root("GET", "/v1/kv/?recurse")
    assert "X-Consul-Results-Filtered-By-ACLs" not in response.headers


def test_key_list_policy():
    secret = str(uuid.uuid4())
    with (
        DevAgent(
            acl_initial_management=secret,
            acl_default_policy="deny",
            acl_enable_key_list_policy=True,
        ) as agent,
        RawHTTP(agent.url, secret) as root,
    ):
        root("PUT", "/v1/kv/app/a", data=b"v")
        reader = make_token(root, 'key_prefix "app/" { policy = "read" }')
        lister = make_token(root, 'key_prefix "app/" { policy = "list" }')
        refused = root("GET", "/v1/kv/app/?keys", token=reader["SecretID"])
        assert refused.status_code == 403
        assert "lacks permission 'key:list' on \"app/\"" in refused.text
        listed = root("GET", "/v1/kv/app/?keys", token=lister["SecretID"])
        assert listed.json() == ["app/a"]


def test_service_and_node_identities_grant_their_synthetic_policies(root, consul_acl_agent):
    token = root(
        "PUT",
        "/v1/acl/token",
        json={
            "ServiceIdentities": [
                {"ServiceName": "web"},
                {"ServiceName": "db", "Datacenters": ["dc9"]},
            ],
            "NodeIdentities": [{"NodeName": "n1", "Datacenter": "dc1"}],
        },
    ).json()

    def questions(core):
        authz = core.acl.authorizer(token["SecretID"])
        return (
            authz.service_write("web"),
            authz.service_write("web-sidecar-proxy"),
            authz.service_read("anything"),
            authz.service_write("other"),
            authz.service_write("db"),
            authz.node_write("n1"),
            authz.node_read("n2"),
            authz.node_write("n2"),
        )

    assert consul_acl_agent.run(questions) == (True, True, True, False, False, True, True, False)


def test_a_policy_limited_to_other_datacenters_does_not_apply(root, consul_acl_agent):
    policy = root(
        "PUT",
        "/v1/acl/policy",
        json={
            "Name": "elsewhere",
            "Rules": 'key_prefix "" { policy = "read" }',
            "Datacenters": ["dc2"],
        },
    ).json()
    token = root("PUT", "/v1/acl/token", json={"Policies": [{"ID": policy["ID"]}]}).json()
    assert root("GET", "/v1/kv/k", token=token["SecretID"]).status_code == 403


def test_the_primary_datacenter_does_not_replicate(anon):
    status = anon("GET", "/v1/acl/replication").json()
    assert list(status) == [
        "Enabled",
        "Running",
        "SourceDatacenter",
        "ReplicationType",
        "ReplicatedIndex",
        "ReplicatedRoleIndex",
        "ReplicatedTokenIndex",
        "LastSuccess",
        "LastError",
        "LastErrorMessage",
    ]
    assert (status["Enabled"], status["Running"]) == (False, False)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/acl/policies", None),
        ("PUT", "/v1/acl/policy", b'{"Name": "p"}'),
        ("GET", "/v1/acl/policy/name/p", None),
        ("DELETE", "/v1/acl/policy/8f246b77-f3e1-ff88-5b48-8ec93abf3e05", None),
        ("GET", "/v1/acl/tokens", None),
        ("PUT", "/v1/acl/token", b"{}"),
        ("GET", "/v1/acl/token/8f246b77-f3e1-ff88-5b48-8ec93abf3e05", None),
        ("PUT", "/v1/acl/token/8f246b77-f3e1-ff88-5b48-8ec93abf3e05/clone", b"{}"),
        ("GET", "/v1/acl/roles", None),
        ("PUT", "/v1/acl/role", b'{"Name": "r"}'),
        ("GET", "/v1/acl/auth-methods", None),
        ("PUT", "/v1/acl/auth-method", b"{}"),
        ("GET", "/v1/acl/binding-rules", None),
        ("DELETE", "/v1/acl/binding-rule/8f246b77-f3e1-ff88-5b48-8ec93abf3e05", None),
        ("POST", "/v1/acl/login", b"{}"),
        ("GET", "/v1/acl/templated-policies", None),
        ("GET", "/v1/acl/templated-policy/name/builtin/service", None),
        ("POST", "/v1/acl/templated-policy/preview/builtin/service", b"{}"),
    ],
)
def test_namespaces_and_partitions_are_enterprise(root, method, path, body):
    # agent/acl_endpoint.go: every handler but token/self calls parseEntMeta
    # (agent/http_ce.go) after the consistency options and before the body.
    response = root.request(method, f"{path}?ns=team", data=body)
    assert response.status_code == 400
    assert response.text == (
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
    )
    response = root.request(method, path, data=body, headers={"X-Consul-Partition": "part"})
    assert response.status_code == 400
    assert response.text == (
        'Invalid header: "X-Consul-Partition" - Partitions are a Consul Enterprise feature'
    )
    assert root.get("/v1/acl/token/self?ns=team").status_code == 200


def test_logout_and_replication_do_not_read_namespaces(root):
    # ACLLogout and ACLReplicationStatus (agent/acl_endpoint.go) never parse
    # the enterprise meta: ?ns and ?partition are neither refused nor used.
    scope = {"ns": "team", "partition": "part"}
    replication = root.get("/v1/acl/replication", params=scope)
    assert (replication.status_code, replication.json()["Enabled"]) == (200, False)
    response = root.post("/v1/acl/logout", params=scope)
    assert (response.status_code, response.text) == (
        403,
        "Permission denied: token wasn't created via login",
    )


def test_a_namespace_in_a_body_is_enterprise(root):
    # rewordUnknownEnterpriseFieldError (agent/http_ce.go): only "Namespace" is reworded.
    response = root.put("/v1/acl/policy", json={"Name": "p", "Namespace": "team"})
    assert response.status_code == 400
    assert response.text == (
        'Policy decoding failed: json: unknown field "Namespace" - '
        "Namespaces are a Consul Enterprise feature"
    )
    response = root.put("/v1/acl/role", json={"Name": "r", "Partition": "part"})
    assert (response.status_code, response.text) == (
        400,
        'Role decoding failed: json: unknown field "Partition"',
    )
