"""The ACL API (tokens, policies, roles, bootstrap) through every client."""

from __future__ import annotations

import datetime
import uuid

import pytest

import consul
from consul.testing import DevAgent

GLOBAL_MANAGEMENT_ID = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def root(connect, consul_acl_agent):
    """A client with the initial management token."""
    return connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)


def test_acl_endpoints_need_acls_enabled(c):
    with pytest.raises(consul.ACLDisabled, match="ACL support disabled"):
        c.acl.token.list()


def test_policy_lifecycle(root):
    created = root.acl.policy.create(
        "kv-read", description="read keys", rules='key_prefix "" { policy = "read" }'
    )
    assert created["Name"] == "kv-read"
    assert created["Description"] == "read keys"
    assert root.acl.policy.read(created["ID"]) == created
    assert root.acl.policy.read_by_name("kv-read") == created
    names = [p["Name"] for p in root.acl.policy.list()]
    assert names[:2] == ["global-management", "builtin/global-read-only"]
    assert "kv-read" in names
    updated = root.acl.policy.update(created["ID"], "kv-read", rules={"acl": "read"})
    assert updated["Rules"] == '{"acl": "read"}'
    assert root.acl.policy.delete(created["ID"]) is True
    assert root.acl.policy.read(created["ID"]) is None
    assert root.acl.policies.read_by_name("kv-read") is None


def test_policy_with_invalid_rules_is_a_server_error(root):
    with pytest.raises(consul.ServerError, match=r'Invalid acl policy: "sudo"'):
        root.acl.policy.create("bad", rules='acl = "sudo"')


def test_token_lifecycle(root):
    policy = root.acl.policy.create("p", rules='key_prefix "" { policy = "read" }')
    token = root.acl.token.create(
        description="app", policies_name=["p"], service_identities=[{"ServiceName": "web"}]
    )
    assert token["Description"] == "app"
    assert token["Policies"] == [{"ID": policy["ID"], "Name": "p"}]
    assert token["ServiceIdentities"] == [{"ServiceName": "web"}]
    accessor = token["AccessorID"]
    assert root.acl.token.read(accessor) == token
    expanded = root.acl.token.read(accessor, expanded=True)
    assert [p["Name"] for p in expanded["ExpandedPolicies"]] == ["p"]
    assert accessor in [t["AccessorID"] for t in root.acl.token.list()]
    assert [t["AccessorID"] for t in root.acl.tokens.list(policy=policy["ID"])] == [accessor]
    assert [t["AccessorID"] for t in root.acl.token.list(servicename="web")] == [accessor]

    updated = root.acl.token.update(accessor, description="renamed", policies_id=[policy["ID"]])
    assert updated["Description"] == "renamed"
    assert updated["SecretID"] == token["SecretID"]
    assert "ServiceIdentities" not in updated

    clone = root.acl.token.clone(accessor, description="copy")
    assert clone["Description"] == "copy"
    assert clone["Policies"] == updated["Policies"]

    assert root.acl.token.delete(accessor) is True
    assert root.acl.token.read(accessor) is None


def test_token_with_chosen_ids_and_expiration(root):
    accessor, secret = str(uuid.uuid4()), str(uuid.uuid4())
    token = root.acl.token.create(accessor_id=accessor, secret_id=secret, expiration_ttl="1h")
    assert (token["AccessorID"], token["SecretID"]) == (accessor, secret)
    assert "ExpirationTime" in token


def test_token_with_an_expiration_time(root):
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    token = root.acl.token.create(expiration_time=moment)
    assert datetime.datetime.fromisoformat(token["ExpirationTime"]) == moment
    text = (moment + datetime.timedelta(minutes=1)).isoformat()
    later = root.acl.token.create(expiration_time=text)
    assert datetime.datetime.fromisoformat(later["ExpirationTime"]) > moment
    with pytest.raises(consul.ServerError, match="cannot be more than 24h0m0s in the future"):
        root.acl.token.create(expiration_time=moment + datetime.timedelta(days=2))


def test_a_token_works_for_its_bearer(root, connect, consul_acl_agent):
    root.acl.policy.create("kv", rules='key_prefix "app/" { policy = "write" }')
    token = root.acl.token.create(policies_name=["kv"])
    user = connect(agent=consul_acl_agent, token=token["SecretID"])
    assert user.kv.put("app/a", "1") is True
    with pytest.raises(consul.ACLPermissionDenied, match="lacks permission 'key:write'"):
        user.kv.put("other", "1")
    me = user.acl.token.read_self()
    assert me["AccessorID"] == token["AccessorID"]
    # The per-call token wins over the client's.
    assert root.acl.token.read_self(token=token["SecretID"])["AccessorID"] == token["AccessorID"]
    with pytest.raises(consul.ACLPermissionDenied, match="lacks permission 'acl:read'"):
        user.acl.token.list()


def test_an_unknown_token_is_denied(connect, consul_acl_agent):
    stranger = connect(agent=consul_acl_agent, token=str(uuid.uuid4()))
    with pytest.raises(consul.ACLPermissionDenied, match="ACL not found"):
        stranger.kv.get("k")
    assert stranger.acl.token.read_self() is None


def test_role_lifecycle(root, connect, consul_acl_agent):
    root.acl.policy.create("kv", rules='key_prefix "" { policy = "read" }')
    role = root.acl.role.create(
        "reader",
        description="reads",
        policies_name=["kv"],
        node_identities=[{"NodeName": "n1", "Datacenter": "dc1"}],
    )
    assert role["Name"] == "reader"
    assert root.acl.role.read(role["ID"]) == role
    assert root.acl.role.read_by_name("reader") == role
    assert root.acl.roles.list() == [role]
    policy_id = role["Policies"][0]["ID"]
    assert root.acl.role.list(policy=policy_id) == [role]

    token = root.acl.token.create(roles_name=["reader"])
    root.kv.put("k", "v")
    user = connect(agent=consul_acl_agent, token=token["SecretID"])
    assert user.kv.get("k")[1]["Value"] == b"v"

    updated = root.acl.role.update(role["ID"], "reader", description="nothing")
    assert "Policies" not in updated
    with pytest.raises(consul.ACLPermissionDenied):
        user.kv.get("k")
    assert root.acl.role.delete(role["ID"]) is True
    assert root.acl.role.read(role["ID"]) is None


def test_bootstrap(connect):
    with DevAgent(acl_enabled=True, acl_default_policy="deny") as agent:
        client = connect(agent=agent)
        token = client.acl.bootstrap()
        assert token["ID"] == token["SecretID"]
        assert token["Policies"] == [{"ID": GLOBAL_MANAGEMENT_ID, "Name": "global-management"}]
        with pytest.raises(consul.ACLPermissionDenied, match="ACL bootstrap no longer allowed"):
            client.acl.bootstrap()


def test_bad_arguments_are_refused_before_any_request(root):
    with pytest.raises(ValueError, match="accessor_id must not be empty"):
        root.acl.token.read("")
    with pytest.raises(TypeError, match="policies_name must be a list"):
        root.acl.token.create(policies_name="p")
    with pytest.raises(TypeError, match="rules must be a str or a dict"):
        root.acl.policy.create("p", rules=["key"])
    with pytest.raises(ValueError, match="expiration_ttl must be a duration"):
        root.acl.token.create(expiration_ttl="soon")
