"""Configuration entries (``client.config``): every client against the embedded agent."""

from __future__ import annotations

import pytest
from harness import wait_blocked

import consul


def web(**fields):
    return {"Kind": "service-defaults", "Name": "web", **fields}


def test_set_get_list_delete(c):
    assert c.config.set(web(Protocol="HTTP")) is True
    index, entry = c.config.get("service-defaults", "web")
    assert entry["Protocol"] == "http"
    assert entry["CreateIndex"] == entry["ModifyIndex"] == index
    index, entries = c.config.list("service-defaults")
    assert [e["Name"] for e in entries] == ["web"]
    assert c.config.delete("service-defaults", "web") is True
    index, entry = c.config.get("service-defaults", "web")
    assert entry is None
    assert index > 0
    assert c.config.list("service-defaults")[1] == []


def test_check_and_set(c):
    assert c.config.set(web(), cas=0) is True
    assert c.config.set(web(Protocol="grpc"), cas=0) is False
    _, entry = c.config.get("service-defaults", "web")
    assert c.config.set(web(Protocol="grpc"), cas=entry["ModifyIndex"]) is True
    _, entry = c.config.get("service-defaults", "web")
    assert c.config.delete("service-defaults", "web", cas=entry["ModifyIndex"] + 1) is False
    assert c.config.delete("service-defaults", "web", cas=entry["ModifyIndex"]) is True


def test_filter_expression(c):
    c.config.set(web(Protocol="http"))
    c.config.set({"Kind": "service-defaults", "Name": "db", "Protocol": "tcp"})
    _, entries = c.config.list("service-defaults", filter_expr='Protocol == "tcp"')
    assert [e["Name"] for e in entries] == ["db"]


def test_blocking_get_returns_when_the_entry_changes(c, consul_agent):
    c.config.set(web())
    index, _ = c.config.get("service-defaults", "web")
    pending = c.start.config.get("service-defaults", "web", index=index, wait="10s")
    wait_blocked(consul_agent)
    c.config.set(web(Protocol="http"))
    new_index, entry = pending.result(10)
    assert new_index > index
    assert entry["Protocol"] == "http"


def test_consuls_errors_are_typed_and_carry_its_text(c):
    with pytest.raises(consul.BadRequest, match='invalid config key "Bogus"'):
        c.config.set(web(Bogus=1))
    with pytest.raises(consul.ServerError, match="Name is required"):
        c.config.set({"Kind": "service-defaults"})
    with pytest.raises(consul.ServerError, match="invalid config entry kind: nope"):
        c.config.get("nope", "web")
    with pytest.raises(consul.BadRequest, match="Namespaces are a Consul Enterprise feature"):
        c.config.get("service-defaults", "web", ns="team")


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(TypeError, match="entry"):
        c.config.set([("Kind", "service-defaults")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Kind"):
        c.config.set({"Name": "web"})
    with pytest.raises(ValueError, match="cas"):
        c.config.set(web(), cas=-1)
    with pytest.raises(ValueError, match="name"):
        c.config.get("service-defaults", "a/b")
    with pytest.raises(ValueError, match="kind"):
        c.config.delete("", "web")


def test_the_acl_rules_of_the_kind(connect, consul_acl_agent):
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    anonymous = connect(consul_acl_agent)
    assert root.config.set(web()) is True
    with pytest.raises(consul.ACLPermissionDenied, match="service:read"):
        anonymous.config.get("service-defaults", "web")
    with pytest.raises(consul.ACLPermissionDenied, match="service:write"):
        anonymous.config.set(web(Protocol="http"))
    assert anonymous.config.list("service-defaults")[1] == []


def test_the_settings_are_still_read_through_config(c):
    assert c.config.base_url == c.settings.base_url
    assert c.config.timeout == c.settings.timeout


def test_discovery_chain_kinds_and_their_protocol_rule(c):
    router = {
        "Kind": "service-router",
        "Name": "web",
        "Routes": [{"Destination": {"Service": "api"}}],
    }
    with pytest.raises(consul.ServerError, match="does not permit advanced routing"):
        c.config.set(router)
    assert c.config.set({"Kind": "proxy-defaults", "Config": {"protocol": "http"}}) is True
    assert c.config.set(router) is True
    _, entry = c.config.get("service-router", "web")
    assert entry["Routes"] == [{"Destination": {"Service": "api"}}]
    _, entry = c.config.get("proxy-defaults", "global")
    assert entry["Config"] == {"protocol": "http"}


def test_exported_services(c, consul_agent):
    index, services = c.exported_services()
    assert services == []
    entry = {
        "Kind": "exported-services",
        "Name": "default",
        "Services": [{"Name": "web", "Consumers": [{"Peer": "east"}]}],
    }
    pending = c.start.exported_services(index=index, wait="10s")
    wait_blocked(consul_agent)
    assert c.config.set(entry) is True
    _, services = pending.result(10)
    assert services == [{"Service": "web", "Consumers": {"Peers": ["east"]}}]
    with pytest.raises(consul.BadRequest, match="Partitions are a Consul Enterprise feature"):
        c.exported_services(partition="p")
