"""The local agent (``client.agent`` and its sub-groups) through every client."""

from __future__ import annotations

import pytest

import consul
from consul import Check
from consul.testing import DevAgent


def test_self_and_members(c, consul_agent):
    me = c.agent.self()
    assert me["Config"]["Version"] == "1.22.0"
    assert me["Config"]["NodeName"] == consul_agent.config.node_name
    [member] = c.agent.members()
    assert member["Name"] == consul_agent.config.node_name
    [wan] = c.agent.members(wan=True)
    assert wan["Name"] == f"{consul_agent.config.node_name}.dc1"


def test_service_register_list_deregister(c):
    assert c.agent.services() == {}
    registered = c.agent.service.register(
        "web", service_id="web-1", address="10.0.0.1", port=80, tags=["a"], meta={"v": "1"}
    )
    assert registered is True
    service = c.agent.services()["web-1"]
    assert (service["Service"], service["Address"], service["Port"]) == ("web", "10.0.0.1", 80)
    assert (service["Tags"], service["Meta"]) == (["a"], {"v": "1"})
    _, nodes = c.catalog.service("web")
    assert [n["ServiceID"] for n in nodes] == ["web-1"]
    assert c.agent.service.deregister("web-1") is True
    assert c.agent.services() == {}


def test_deregistering_an_unknown_service_raises(c):
    with pytest.raises(consul.NotFound, match='Unknown service ID "nope"'):
        c.agent.service.deregister("nope")


def test_one_service_and_hash_blocking(c):
    c.agent.service.register("web", port=80)
    service = c.agent.service("web")
    assert service["Port"] == 80
    assert c.agent.service("nope") is None
    pending = c.start.agent.service("web", hash=service["ContentHash"], wait="10s")
    c.agent.service.register("web", port=81)
    changed = pending.result(10)
    assert changed["Port"] == 81
    assert changed["ContentHash"] != service["ContentHash"]


def test_ttl_check_of_a_service(c):
    c.agent.service.register("web", check=Check.ttl("30s"))
    check = c.agent.checks()["service:web"]
    assert (check["Type"], check["Status"]) == ("ttl", "critical")
    assert c.agent.check.ttl_pass("service:web", notes="fine") is True
    _, checks = c.health.checks("web")
    assert [(x["Status"], x["Output"]) for x in checks] == [("passing", "fine")]
    assert c.agent.check.ttl_warn("service:web") is True
    assert c.agent.checks()["service:web"]["Status"] == "warning"
    assert c.agent.check.ttl_fail("service:web", notes="down") is True
    assert c.agent.checks()["service:web"]["Status"] == "critical"
    assert c.agent.check.update("service:web", "passing", output="back") is True
    check = c.agent.checks()["service:web"]
    assert (check["Status"], check["Output"]) == ("passing", "back")


def test_python_consul_check_arguments(c):
    c.agent.service.register("web", ttl="30s")
    assert c.agent.checks()["service:web"]["Type"] == "ttl"
    with pytest.raises(consul.ServerError, match="Scripts are disabled on this agent"):
        c.agent.service.register("job", script="exit 0", interval="10s")
    assert c.agent.check.register("mem", ttl="30s", notes="memory") is True
    assert c.agent.checks()["mem"]["Notes"] == "memory"


def test_more_checks_and_replacing_them(c):
    c.agent.service.register("web", checks=[Check.ttl("30s"), {"CheckID": "extra", "TTL": "30s"}])
    assert sorted(c.agent.checks()) == ["extra", "service:web:1"]
    c.agent.service.register("web", extra_checks=[Check.ttl("30s")], replace_existing_checks=True)
    assert sorted(c.agent.checks()) == ["service:web"]


def test_check_register_and_deregister(c):
    c.agent.service.register("web")
    assert c.agent.check.register(
        "web alive", check=Check.ttl("30s"), check_id="alive", service_id="web", status="passing"
    )
    check = c.agent.checks()["alive"]
    assert (check["Name"], check["ServiceName"], check["Status"]) == ("web alive", "web", "passing")
    assert c.agent.check.deregister("alive") is True
    assert "alive" not in c.agent.checks()
    with pytest.raises(consul.NotFound, match='ServiceID "nope" does not exist'):
        c.agent.check.register("x", check=Check.ttl("30s"), service_id="nope")
    with pytest.raises(consul.NotFound, match='Unknown check ID "alive"'):
        c.agent.check.ttl_pass("alive")


def test_node_and_service_maintenance(c):
    c.agent.service.register("web")
    assert c.agent.maintenance(True, reason="upgrade") is True
    assert c.agent.checks()["_node_maintenance"]["Notes"] == "upgrade"
    assert c.agent.maintenance("false") is True
    assert "_node_maintenance" not in c.agent.checks()
    assert c.agent.service.maintenance("web", True) is True
    assert c.agent.checks()["_service_maintenance:web"]["Status"] == "critical"
    _, healthy = c.health.service("web", passing=True)
    assert healthy == []
    assert c.agent.service.maintenance("web", False) is True
    assert c.agent.checks() == {}


def test_local_service_health(c):
    c.agent.service.register("web", service_id="web-1", check=Check.ttl("30s"))
    c.agent.service.register("web", service_id="web-2")
    status, info = c.agent.health.service_by_id("web-1")
    assert status == "critical"
    assert info["Service"]["ID"] == "web-1"
    assert [x["CheckID"] for x in info["Checks"]] == ["service:web-1"]
    c.agent.check.ttl_pass("service:web-1")
    assert c.agent.health.service_by_id("web-1")[0] == "passing"
    status, instances = c.agent.health.service_by_name("web")
    assert status == "passing"
    assert sorted(i["Service"]["ID"] for i in instances) == ["web-1", "web-2"]
    c.agent.check.ttl_warn("service:web-1")
    assert c.agent.health.service_by_name("web")[0] == "warning"
    assert c.agent.health.service_by_id("nope") == ("critical", None)
    assert c.agent.health.service_by_name("nope") == ("critical", [])


def test_filter_expr(c):
    c.agent.service.register("web", tags=["v1"], check=Check.ttl("30s"))
    c.agent.service.register("db")
    assert list(c.agent.services(filter_expr="Service == db")) == ["db"]
    assert list(c.agent.checks(filter_expr="ServiceName == web")) == ["service:web"]


def test_join_force_leave_and_reload(c):
    assert c.agent.join("127.0.0.1") is True
    assert c.agent.force_leave("gone-node", prune=True) is True
    c.agent.service.register("web")
    assert c.agent.reload() is True
    assert c.agent.services() == {}


def test_leave_shuts_the_agent_down(connect):
    with DevAgent() as agent:
        client = connect(agent=agent)
        assert client.agent.leave() is True
        assert agent.wait(10)


def test_token_goes_with_each_call(connect, consul_acl_agent):
    anonymous = connect(agent=consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied, match="agent:read"):
        anonymous.agent.self()
    token = consul_acl_agent.management_token
    assert anonymous.agent.self(token=token)["Config"]["Datacenter"] == "dc1"
    assert anonymous.agent.service.register("web", token=token) is True
    assert list(anonymous.agent.services(token=token)) == ["web"]
    assert anonymous.agent.services() == {}


def test_bad_arguments_fail_before_any_request(c):
    with pytest.raises(ValueError, match="name must not be empty"):
        c.agent.service.register("")
    with pytest.raises(TypeError, match="tags must be a list of str"):
        c.agent.service.register("web", tags="a")
    with pytest.raises(TypeError, match="port must be an int"):
        c.agent.service.register("web", port="80")
    with pytest.raises(ValueError, match="a http check needs an interval"):
        c.agent.service.register("web", http="http://localhost/")
    with pytest.raises(ValueError, match="give check, or script/ttl/http"):
        c.agent.service.register("web", check=Check.ttl("1s"), ttl="1s")
    with pytest.raises(ValueError, match="enable must be True or False"):
        c.agent.maintenance("yes")
    with pytest.raises(ValueError, match="status must be one of"):
        c.agent.check.update("x", "ok")
    with pytest.raises(ValueError, match="a check needs check="):
        c.agent.check.register("x")
    assert c.agent.services() == {}


def test_a_sidecar_service_is_registered_with_its_service(c):
    assert c.agent.service.register("web", port=8080, connect={"SidecarService": {}})
    services = c.agent.services()
    assert sorted(services) == ["web", "web-sidecar-proxy"]
    sidecar = services["web-sidecar-proxy"]
    assert (sidecar["Kind"], sidecar["Port"]) == ("connect-proxy", 21000)
    assert sidecar["Proxy"]["DestinationServiceName"] == "web"
    _, proxies = c.catalog.connect("web")
    assert [p["ServiceID"] for p in proxies] == ["web-sidecar-proxy"]
    assert c.agent.service.deregister("web")
    assert c.agent.services() == {}
