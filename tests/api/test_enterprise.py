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
    ],
)
def test_ns_and_partition_are_sent_and_consul_ce_refuses_them(c, call):
    with pytest.raises(consul.BadRequest, match='"ns" - Namespaces are a Consul Enterprise'):
        call(c, {"ns": "team"})
    with pytest.raises(consul.BadRequest, match='"partition" - Partitions are a Consul'):
        call(c, {"partition": "part"})


def test_ns_and_partition_of_acl_calls(connect, consul_acl_agent):
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    with pytest.raises(consul.BadRequest, match='"ns" - Namespaces are a Consul Enterprise'):
        root.acl.policy.create("p", ns="team")
    with pytest.raises(consul.BadRequest, match='"partition" - Partitions are a Consul'):
        root.acl.token.list(partition="part")
    assert root.acl.token.read_self(ns="team")["AccessorID"]


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
    with pytest.raises(TypeError, match="manual_vips"):
        c.internal.assign_service_virtual_ip("web", "10.0.0.1")
    with pytest.raises(ValueError, match="service"):
        c.internal.assign_service_virtual_ip("", ["10.0.0.1"])
