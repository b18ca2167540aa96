"""Intentions (``client.connect.intentions``): every client against the embedded agent."""

from __future__ import annotations

import pytest
from harness import wait_blocked

import consul

L7 = [{"Action": "allow", "HTTP": {"PathPrefix": "/api", "Methods": ["get"]}}]


def test_upsert_get_list_delete(c):
    assert c.connect.intentions.upsert("web", "db", "allow", description="front to back") is True
    index, found = c.connect.intentions.get_exact("web", "db")
    assert found is not None
    assert (found["SourceName"], found["DestinationName"], found["Action"]) == (
        "web",
        "db",
        "allow",
    )
    assert found["Description"] == "front to back"
    assert found["Precedence"] == 9
    assert found["ModifyIndex"] == index
    assert "ID" not in found
    # The intention is one source of the destination's entry.
    _, entry = c.config.get("service-intentions", "db")
    assert [s["Name"] for s in entry["Sources"]] == ["web"]
    c.connect.intentions.upsert("*", "db", "deny")
    _, listed = c.connect.intentions.list()
    assert [(i["SourceName"], i["Precedence"]) for i in listed] == [("web", 9), ("*", 8)]
    _, denied = c.connect.intentions.list(filter_expr='Action == "deny"')
    assert [i["SourceName"] for i in denied] == ["*"]
    assert c.connect.intentions.delete_exact("web", "db") is True
    assert c.connect.intentions.delete_exact("web", "db") is True
    assert c.connect.intentions.get_exact("web", "db")[1] is None


def test_l7_intentions_need_an_http_destination(c):
    with pytest.raises(consul.ServerError, match="incompatible with L7 intentions permissions"):
        c.connect.intentions.upsert("web", "api", permissions=L7)
    c.config.set({"Kind": "service-defaults", "Name": "api", "Protocol": "http"})
    assert c.connect.intentions.upsert("web", "api", permissions=L7) is True
    _, found = c.connect.intentions.get_exact("web", "api")
    assert found["Permissions"] == [
        {"Action": "allow", "HTTP": {"PathPrefix": "/api", "Methods": ["GET"]}}
    ]
    assert "Action" not in found
    # An L7 intention is a denial where no request is there to judge.
    assert c.connect.intentions.check("web", "api") is False
    with pytest.raises(
        consul.ServerError, match="Action must be omitted if Permissions are specified"
    ):
        c.connect.intentions.upsert("web", "api", "allow", permissions=L7)


def test_match_and_check(c):
    c.connect.intentions.upsert("web", "db", "allow")
    c.connect.intentions.upsert("*", "db", "deny")
    _, matches = c.connect.intentions.match("destination", ["db", "other"])
    assert [i["SourceName"] for i in matches["db"]] == ["web", "*"]
    assert matches["other"] is None
    _, matches = c.connect.intentions.match("source", "web")
    # By source, the wildcard source applies to web too.
    assert [(i["SourceName"], i["DestinationName"]) for i in matches["web"]] == [
        ("web", "db"),
        ("*", "db"),
    ]
    assert c.connect.intentions.check("web", "db") is True
    assert c.connect.intentions.check("api", "db") is False
    assert c.connect.intentions.check("api", "cache") is True  # no intention, ACLs off


def test_blocking_match_returns_when_an_intention_applies(c, consul_agent):
    c.connect.intentions.upsert("web", "db", "allow")
    index, _ = c.connect.intentions.match("destination", "db")
    pending = c.start.connect.intentions.match("destination", "db", index=index, wait="10s")
    wait_blocked(consul_agent)
    c.connect.intentions.upsert("api", "db", "deny")
    new_index, matches = pending.result(10)
    assert new_index > index
    # Equal precedences are in name order.
    assert [i["SourceName"] for i in matches["db"]] == ["api", "web"]


def test_the_deprecated_id_api(c):
    legacy_id = c.connect.intentions.create("web", "db", "allow", meta={"team": "a"})
    _, found = c.connect.intentions.get(legacy_id)
    assert found["ID"] == legacy_id
    assert found["Meta"] == {"team": "a"}
    assert found["CreatedAt"]
    assert (
        c.connect.intentions.update(legacy_id, "web", "db", "deny", description="closed")
        == legacy_id
    )
    _, found = c.connect.intentions.get(legacy_id)
    assert (found["Action"], found["Description"]) == ("deny", "closed")
    # The same intention is there by name, with its ID.
    assert c.connect.intentions.get_exact("web", "db")[1]["ID"] == legacy_id
    with pytest.raises(consul.ServerError, match="more than once"):
        c.connect.intentions.create("web", "db", "allow")
    with pytest.raises(consul.ServerError, match="Cannot modify Destination"):
        c.connect.intentions.update(legacy_id, "web", "cache", "deny")
    assert c.connect.intentions.delete(legacy_id) is True
    assert c.connect.intentions.get(legacy_id)[1] is None
    with pytest.raises(consul.BadRequest, match="UUID must be 36 characters"):
        c.connect.intentions.get("nope")
    with pytest.raises(consul.ServerError, match="Cannot delete non-existent intention"):
        c.connect.intentions.delete(legacy_id)


def test_acls(connect, consul_acl_agent):
    root = connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)
    assert root.connect.intentions.upsert("web", "db", "allow") is True
    assert root.connect.intentions.upsert("web", "api", "allow") is True
    anonymous = connect(agent=consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied, match="Permission denied"):
        anonymous.connect.intentions.upsert("web", "db", "deny")
    with pytest.raises(consul.ACLPermissionDenied, match="'service:read' on \"db\""):
        anonymous.connect.intentions.check("web", "db")
    root.acl.policy.create("db", rules='service "db" { policy = "read" }')
    token = root.acl.token.create(policies_name=["db"])
    reader = connect(agent=consul_acl_agent, token=token["SecretID"])
    listed = reader.connect.intentions.list()
    assert [i["DestinationName"] for i in listed.data] == ["db"]
    assert listed.meta.results_filtered_by_acls is True
    assert reader.connect.intentions.check("other", "db") is False  # the default policy: deny
    with pytest.raises(consul.ACLPermissionDenied, match="Permission denied"):
        reader.connect.intentions.get_exact("web", "api")


def test_consul_ce_refuses_namespaces_and_partitions(c):
    with pytest.raises(consul.BadRequest, match="Namespaces are a Consul Enterprise feature"):
        c.connect.intentions.list(ns="team")
    with pytest.raises(consul.BadRequest, match="Partitions are a Consul Enterprise feature"):
        c.connect.intentions.upsert("web", "db", "allow", partition="p")
    with pytest.raises(consul.ServerError, match="Namespaces is a Consul Enterprise feature"):
        c.connect.intentions.get_exact("team/web", "db")


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(ValueError, match="action"):
        c.connect.intentions.upsert("web", "db", "permit")
    with pytest.raises(ValueError, match="source"):
        c.connect.intentions.upsert("", "db", "allow")
    with pytest.raises(TypeError, match="permissions"):
        c.connect.intentions.upsert("web", "db", permissions={"Action": "allow"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="by"):
        c.connect.intentions.match("both", "web")
    with pytest.raises(ValueError, match="names"):
        c.connect.intentions.match("source", [])
    with pytest.raises(ValueError, match="path segment"):
        c.connect.intentions.get("a/b")
    with pytest.raises(ValueError, match="destination"):
        c.connect.intentions.create("web", "", "allow")
