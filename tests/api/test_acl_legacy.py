"""python-consul's legacy ACL methods, kept working on current Consul, through every client.

Each warns (``DeprecationWarning``) and is emulated with tokens and policies.
"""

from __future__ import annotations

import uuid

import pytest

import consul

RULES = """
    key "" {
        policy = "read"
    }
    key "private/" {
        policy = "deny"
    }
"""


def legacy(match):
    return pytest.warns(DeprecationWarning, match=match)


@pytest.fixture
def root(connect, consul_acl_agent):
    return connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)


def test_the_original_acl_example(root, connect, consul_acl_agent):
    """python-consul's ACL example, as its test suite ran it against Consul before 1.11.

    The one deliberate difference: current Consul answers a read of a denied
    key with 403 (``ACLPermissionDenied``), where legacy Consul hid it (None).
    """
    c = root
    master_token = consul_acl_agent.management_token

    with legacy(r"acl\.list\(\).*Use acl\.token\.list\(\)"):
        acls = c.acl.list()
    assert {x["ID"] for x in acls} == {"anonymous", master_token}

    with legacy("acl.info"):
        assert c.acl.info("foo") is None
        compare = [c.acl.info(master_token), c.acl.info("anonymous")]
    compare.sort(key=lambda acl: acl["ID"])
    assert acls == compare
    assert {acl["Type"] for acl in acls} == {"management", "client"}

    with legacy(r"acl\.create\(\).*acl\.token\.create\(\)"):
        token = c.acl.create(rules=RULES)
    with legacy("acl.info"):
        assert c.acl.info(token)["Rules"] == RULES

    with legacy(r"acl\.clone\(\)"):
        token2 = c.acl.clone(token)
    with legacy("acl.info"):
        assert c.acl.info(token2)["Rules"] == RULES

    with legacy(r"acl\.update\(\)"):
        assert c.acl.update(token2, name="Foo") == token2
    with legacy("acl.info"):
        assert c.acl.info(token2)["Name"] == "Foo"

    with legacy(r"acl\.destroy\(\).*acl\.token\.delete\(\)"):
        assert c.acl.destroy(token2) is True
    with legacy("acl.info"):
        assert c.acl.info(token2) is None

    c.kv.put("foo", "bar")
    c.kv.put("private/foo", "bar")

    c_limited = connect(agent=consul_acl_agent, token=token)
    assert c_limited.kv.get("foo")[1]["Value"] == b"bar"
    with pytest.raises(consul.ACLPermissionDenied):
        c_limited.kv.put("foo", "bar2")
    with pytest.raises(consul.ACLPermissionDenied):
        c_limited.kv.get("private/foo")
    with pytest.raises(consul.ACLPermissionDenied):
        c_limited.kv.delete("foo")

    # A legacy client token may not manage ACLs.
    with legacy("acl.list"), pytest.raises(consul.ACLPermissionDenied):
        c.acl.list(token=token)

    with legacy("acl.destroy"):
        assert c.acl.destroy(token) is True
    # Its rules policy went with it.
    assert [p["Name"] for p in c.acl.policy.list()] == [
        "global-management",
        "builtin/global-read-only",
    ]


def test_legacy_rules_are_translated_into_a_policy(root):
    with legacy("acl.create"):
        secret = root.acl.create(name="app", rules=RULES)
    token = root.acl.token.read_self(token=secret)
    assert token["Description"] == "app"
    policy = root.acl.policy.read(token["Policies"][0]["ID"])
    assert policy["Rules"] == RULES.replace('key "', 'key_prefix "')


def test_legacy_management_acl(root, connect, consul_acl_agent):
    acl_id = str(uuid.uuid4())
    with legacy("acl.create"):
        assert root.acl.create(name="admin", type="management", acl_id=acl_id) == acl_id
    with legacy("acl.info"):
        info = root.acl.info(acl_id)
    assert (info["ID"], info["Name"], info["Type"], info["Rules"]) == (
        acl_id,
        "admin",
        "management",
        "",
    )
    admin = connect(agent=consul_acl_agent, token=acl_id)
    assert isinstance(admin.acl.token.list(), list)
    with legacy("acl.update"):
        root.acl.update(acl_id, type="client")
    with pytest.raises(consul.ACLPermissionDenied):
        admin.acl.token.list()


def test_legacy_update_of_rules(root, connect, consul_acl_agent):
    with legacy("acl.create"):
        secret = root.acl.create(rules='key "a/" { policy = "write" }')
    with legacy("acl.update"):
        root.acl.update(secret, rules='key "b/" { policy = "write" }')
    user = connect(agent=consul_acl_agent, token=secret)
    assert user.kv.put("b/1", "x") is True
    with pytest.raises(consul.ACLPermissionDenied):
        user.kv.put("a/1", "x")
    with legacy("acl.info"):
        assert root.acl.info(secret)["Rules"] == 'key "b/" { policy = "write" }'


def test_legacy_calls_check_their_arguments_first(root):
    with legacy("acl.create"), pytest.raises(ValueError, match="type must be"):
        root.acl.create(type="superuser")
    with legacy("acl.info"), pytest.raises(ValueError, match="acl_id must not be empty"):
        root.acl.info("")


def test_legacy_update_of_an_unknown_acl(root):
    with legacy("acl.update"), pytest.raises(consul.NotFound):
        root.acl.update(str(uuid.uuid4()), name="x")
