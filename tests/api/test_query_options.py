"""Query options and response metadata through every client, against the embedded agent."""

from __future__ import annotations

from typing import Any

import pytest

import consul
from consul.testing import DevAgent


def register(c: Any, node: str, **service: Any) -> None:
    service = {"Service": "web", "Port": 80, **service}
    check = {"Name": "alive", "Status": "passing", "ServiceID": service.get("ID", "web")}
    assert c.catalog.register(node, "10.0.0.1", service=service, check=check)


def test_reads_carry_their_metadata(c: Any) -> None:
    register(c, "n1")
    result = c.health.service("web", consistency="stale")
    index, entries = result
    assert [e["Node"]["Node"] for e in entries] == ["n1"]
    assert result.data == entries
    meta = result.meta
    assert isinstance(meta, consul.QueryMeta)
    assert meta.index == index
    assert meta.known_leader is True
    assert meta.last_contact == 0.0
    assert meta.effective_consistency == "stale"
    assert meta.query_backend == "blocking-query"
    assert meta.default_acl_policy == "allow"
    assert meta.cache_hit is None
    assert meta.results_filtered_by_acls is False
    # Every read has it, the KV store's too.
    assert c.kv.get("missing").meta.known_leader is True


def test_cached_reads_say_hit_or_miss(c: Any) -> None:
    register(c, "n1")
    first = c.health.service("web", cached=True)
    assert (first.meta.cache_hit, first.meta.cache_age) == (False, None)
    second = c.health.service("web", cached=True, max_age=30, stale_if_error="1m")
    assert (second.meta.cache_hit, second.meta.cache_age) == (True, 0.0)
    assert second == first
    assert c.catalog.services(cached=True).meta.cache_hit is False
    assert c.catalog.service("web", cached=True, tag="x").data == []
    assert c.catalog.datacenters(cached=True) == ["dc1"]
    assert c.catalog.datacenters(cached=True, max_age=0) == ["dc1"]


def test_near_sorts_through_the_client(c: Any) -> None:
    register(c, "a")
    register(c, "b")
    index, _ = c.coordinate.nodes()
    for node, x in (("a", 0.2), ("b", 0.01)):
        coord = {"Vec": [x] + [0.0] * 7, "Error": 0.5, "Adjustment": 0.0, "Height": 1e-5}
        assert c.coordinate.update(node, coord)
    c.coordinate.nodes(index=index, wait="10s")
    entries = c.health.service("web", near="_agent").data
    assert [e["Node"]["Node"] for e in entries] == ["b", "a"]
    assert [n["Node"] for n in c.catalog.service("web", near="a").data] == ["a", "b"]


def test_options_the_agent_takes_without_effect_here(c: Any) -> None:
    register(c, "n1")
    # No cluster peer: nothing imported from one.
    assert c.health.service("web", peer="east").data == []
    assert c.catalog.connect("web", peer="east").data == []
    # No central configuration to merge with.
    listing = c.catalog.node_services("n1", merge_central_config=True).data
    assert [s["ID"] for s in listing["Services"]] == ["web"]
    assert [e["Node"]["Node"] for e in c.health.service("web", merge_central_config=True)[1]] == [
        "n1"
    ]


def test_namespaces_and_partitions_are_enterprise(c: Any) -> None:
    # Consul CE answers 400 to any ?ns or ?partition (agent/http_ce.go).
    with pytest.raises(consul.BadRequest) as caught:
        c.health.service("web", ns="team")
    assert caught.value.message == (
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
    )
    with pytest.raises(consul.BadRequest, match="Partitions are a Consul Enterprise feature"):
        c.kv.get("k", partition="p")
    with pytest.raises(consul.BadRequest, match="Partitions are a Consul Enterprise feature"):
        c.catalog.nodes(partition="p")


def test_filtered_results_are_flagged(connect: Any, consul_acl_agent: DevAgent) -> None:
    root = connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)
    for node in ("n1", "n2"):
        register(root, node)
    rules = 'service "web" {policy = "read"} node "n1" {policy = "read"}'
    policy = root.acl.policy.create("web-n1", rules=rules)
    token = root.acl.token.create(policies_id=[policy["ID"]])
    user = connect(agent=consul_acl_agent, token=token["SecretID"])
    result = user.health.service("web")
    assert [e["Node"]["Node"] for e in result.data] == ["n1"]
    assert result.meta.results_filtered_by_acls is True
    assert result.meta.default_acl_policy == "deny"


def test_gateway_services_and_ingress(c: Any, consul_agent: DevAgent) -> None:
    assert c.catalog.gateway_services("ingress").data == []
    gateway = {"Kind": "ingress-gateway", "Service": "ingress", "Port": 8443}
    assert c.catalog.register("gw", "10.0.0.2", service=gateway)

    def write(core: Any) -> None:
        dc = core.home
        listeners = [{"Port": 80, "Protocol": "http", "Services": [{"Name": "api"}]}]
        if dc.gateways.set_ingress(dc.apply(), "ingress", listeners):
            dc.changed()

    consul_agent.run(write)
    index, rows = c.catalog.gateway_services("ingress")
    assert [(r["Service"]["Name"], r["Port"], r["GatewayKind"]) for r in rows] == [
        ("api", 80, "ingress-gateway")
    ]
    assert index == rows[0]["ModifyIndex"]
    entries = c.health.ingress("api", passing=True).data
    assert [(e["Node"]["Node"], e["Service"]["Service"]) for e in entries] == [("gw", "ingress")]
    assert c.health.ingress("other").data == []


def test_the_agents_listings_take_enterprise_options_too(c: Any) -> None:
    with pytest.raises(consul.BadRequest, match="Namespaces are a Consul Enterprise feature"):
        c.agent.services(ns="team")
    with pytest.raises(consul.BadRequest, match="Partitions are a Consul Enterprise feature"):
        c.agent.checks(partition="p")
    assert c.agent.services(ns="", partition=None) == {}
