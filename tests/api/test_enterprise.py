"""Consul Enterprise's endpoints, on every client, as Consul CE answers them.

Consul CE registers none of these paths (``agent/http_register.go``): each
is Consul's 404 for an unknown path (``HTTPHandlers.Index``), which the
embedded agent answers too. Reads that answer None for a 404, as Go's
client does, answer None.
"""

from __future__ import annotations

import pytest

import consul

UNKNOWN_PATH = "Invalid URL path: not a recognized HTTP API endpoint"
UUID = "8f246b77-f3e1-ff88-5b48-8ec93abf3e05"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.namespace.create("team"),
        lambda c: c.namespace.update("team", description="d"),
        lambda c: c.namespace.delete("team"),
        lambda c: c.namespace.list(),
        lambda c: c.partition.create("part"),
        lambda c: c.partition.update("part", description="d"),
        lambda c: c.partition.delete("part"),
        lambda c: c.partition.list(),
        lambda c: c.operator.area_create("dc2", retry_join=["10.0.0.1"]),
        lambda c: c.operator.area_update("8f246b77-f3e1-ff88-5b48-8ec93abf3e05", "dc2"),
        lambda c: c.operator.area_get("8f246b77-f3e1-ff88-5b48-8ec93abf3e05"),
        lambda c: c.operator.area_list(),
        lambda c: c.operator.area_delete("8f246b77-f3e1-ff88-5b48-8ec93abf3e05"),
        lambda c: c.operator.area_join("8f246b77-f3e1-ff88-5b48-8ec93abf3e05", ["10.0.0.1"]),
        lambda c: c.operator.area_members("8f246b77-f3e1-ff88-5b48-8ec93abf3e05"),
        lambda c: c.operator.segment_list(),
        lambda c: c.operator.license_get(),
        lambda c: c.operator.license_get_signed(),
        lambda c: c.operator.license_put("01ABCDEF"),
        lambda c: c.operator.license_reset(),
        lambda c: c.operator.audit_hash("secret"),
        lambda c: c.operator.feature_gate_list(),
        lambda c: c.operator.feature_gate_get("v2dns"),
        lambda c: c.operator.feature_gate_set("v2dns", True, cas=3),
        lambda c: c.imported_services.list(),
    ],
)
def test_consul_ce_answers_404_for_an_unknown_path(c, call):
    with pytest.raises(consul.NotFound) as caught:
        call(c)
    assert caught.value.message == UNKNOWN_PATH


def test_reads_of_one_answer_none(c):
    assert c.namespace.read("team")[1] is None
    assert c.partition.read("part")[1] is None


@pytest.mark.parametrize(
    "call",
    [
        lambda c, o: c.catalog.services(**o),
        lambda c, o: c.kv.put("k", "v", **o),
        lambda c, o: c.kv.delete("k", **o),
        lambda c, o: c.session.create(**o),
        lambda c, o: c.catalog.register("n1", "10.0.0.1", **o),
        lambda c, o: c.catalog.deregister("n1", **o),
        lambda c, o: c.agent.service.register("web", **o),
        lambda c, o: c.agent.service.deregister("web", **o),
        lambda c, o: c.agent.check.register("c", consul.Check.ttl("10s"), **o),
        lambda c, o: c.agent.check.update("c", "passing", **o),
        lambda c, o: c.coordinate.update(
            "n1", {"Vec": [0] * 8, "Error": 1.5, "Height": 1e-05}, **o
        ),
        lambda c, o: c.agent.check.ttl_pass("c", **o),
        lambda c, o: c.agent.check.ttl_warn("c", **o),
        lambda c, o: c.agent.check.ttl_fail("c", **o),
        lambda c, o: c.agent.health.service_by_id("web", **o),
        lambda c, o: c.agent.health.service_by_name("web", **o),
        lambda c, o: c.agent.health.status_by_id("web", **o),
        lambda c, o: c.agent.health.status_by_name("web", **o),
        lambda c, o: c.agent.connect.ca.leaf("web", **o),
        lambda c, o: c.operator.usage(**o),
        lambda c, o: c.connect.intentions.create("web", "db", "allow", **o),
        lambda c, o: c.connect.intentions.update(UUID, "web", "db", "allow", **o),
    ],
)
def test_ns_and_partition_are_sent_and_consul_ce_refuses_them(c, call):
    with pytest.raises(consul.BadRequest, match='"ns" - Namespaces are a Consul Enterprise'):
        call(c, {"ns": "team"})
    with pytest.raises(consul.BadRequest, match='"partition" - Partitions are a Consul'):
        call(c, {"partition": "part"})


@pytest.mark.parametrize(
    "call",
    [
        lambda c, o: c.agent.force_leave("node", **o),
        lambda c, o: c.operator.raft_transfer_leader(**o),
    ],
)
def test_a_partition_only_is_sent_and_consul_ce_refuses_it(c, call):
    with pytest.raises(consul.BadRequest, match='"partition" - Partitions are a Consul'):
        call(c, {"partition": "part"})


def test_ns_and_partition_are_sent_where_consul_ce_does_not_read_them(c):
    # Events, prepared queries, the Connect CA and the legacy intentions' reads
    # and deletes: Consul CE's handlers never parse the enterprise meta.
    scope = {"ns": "team", "partition": "part"}
    fired = c.event.fire("deploy", **scope)
    assert [e["ID"] for e in c.event.list("deploy", **scope)[1]] == [fired["ID"]]
    assert c.catalog.register("n1", "10.0.0.1", service={"Service": "web"})
    query_id = c.query.create("web", name="web", **scope)["ID"]
    assert [q["ID"] for q in c.query.list(**scope)] == [query_id]
    assert c.query.get(query_id, **scope)[0]["Name"] == "web"
    assert [n["Node"]["Node"] for n in c.query.execute("web", **scope)["Nodes"]] == ["n1"]
    assert c.query.explain("web", **scope)["Query"]["ID"] == query_id
    assert c.query.update(query_id, "db", name="web", **scope)
    assert c.query.delete(query_id, **scope)
    roots = c.connect.ca.roots(**scope)
    assert c.agent.connect.ca.roots(**scope)["ActiveRootID"] == roots["ActiveRootID"]
    assert c.connect.ca.set_configuration("consul", {"LeafCertTTL": "24h"}, **scope)
    assert c.connect.ca.configuration(**scope)["Config"]["LeafCertTTL"] == "24h"
    intention_id = c.connect.intentions.create("web", "db", "allow")
    assert c.connect.intentions.get(intention_id, **scope)[1]["ID"] == intention_id
    assert c.connect.intentions.delete(intention_id, **scope)


def test_ns_and_partition_of_acl_calls(connect, consul_acl_agent):
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    with pytest.raises(consul.BadRequest, match='"ns" - Namespaces are a Consul Enterprise'):
        root.acl.policy.create("p", ns="team")
    with pytest.raises(consul.BadRequest, match='"partition" - Partitions are a Consul'):
        root.acl.token.list(partition="part")
    for refused in (
        lambda: root.acl.login("jwt", "bearer", ns="team"),
        lambda: root.acl.templated_policies.list(ns="team"),
        lambda: root.acl.templated_policies.read("builtin/service", ns="team"),
        lambda: root.acl.templated_policies.preview("builtin/service", {"Name": "web"}, ns="team"),
    ):
        with pytest.raises(consul.BadRequest, match='"ns" - Namespaces are a Consul Enterprise'):
            refused()
    assert root.acl.token.read_self(ns="team")["AccessorID"]
    # Not read by Consul CE (agent/acl_endpoint.go, AgentToken in agent/agent_endpoint.go).
    scope = {"ns": "team", "partition": "part"}
    assert root.acl.replication(**scope)["Enabled"] is False
    assert root.agent.token.set_dns("t", **scope)
    assert root.agent.token.set("agent", "t", **scope)
    with pytest.raises(consul.ACLPermissionDenied, match="wasn't created via login"):
        root.acl.logout(**scope)


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(ValueError, match="name"):
        c.namespace.create("")
    with pytest.raises(TypeError, match="meta"):
        c.namespace.create("team", meta={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="name"):
        c.partition.read("")
    with pytest.raises(ValueError, match="peer_datacenter"):
        c.operator.area_create("")
    with pytest.raises(TypeError, match="addresses"):
        c.operator.area_join("id", "10.0.0.1")
    with pytest.raises(TypeError, match="use_tls"):
        c.operator.area_create("dc2", use_tls="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="enabled"):
        c.operator.feature_gate_set("v2dns", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text"):
        c.operator.audit_hash(None)  # type: ignore[arg-type]


def test_ns_and_partition_on_calls_about_the_servers(c):
    # Consul CE's Raft, autopilot, status and snapshot handlers never read them
    # (agent/operator_endpoint.go, agent/status_endpoint.go, agent/snapshot_endpoint.go).
    scope = {"ns": "team", "partition": "part"}
    leader = c.status.leader(**scope)
    assert c.status.peers(**scope) == [leader]
    assert [s["Address"] for s in c.operator.raft_config(**scope)["Servers"]] == [leader]
    assert c.operator.update_autopilot_configuration(max_trailing_logs=300, **scope)
    assert c.operator.autopilot_configuration(**scope)["MaxTrailingLogs"] == 300
    assert c.operator.autopilot_health(**scope)["Healthy"] is True
    assert c.operator.autopilot_state(**scope)["Leader"]
    assert c.snapshot.restore(c.snapshot.save(**scope), **scope)
