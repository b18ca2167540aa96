"""Query options the agent honours on reads: ``?near`` and ``?cached``, with raw HTTP.

``?near`` sorts by the round-trip time the nodes' network coordinates
estimate (``agent/consul/rtt.go``); ``?cached`` answers from the agent's
cache and says so with ``X-Cache`` and ``Age`` (``agent/http.go``
``setCacheMeta``, ``agent/cache/cache.go``).
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import make_token, wait_blocked

#: Nodes and the first coordinate dimension they sit at (the rest is 0).
PLACES = {"near": 0.001, "middle": 0.01, "far": 0.1}


def place(api: Any, nodes: dict[str, float]) -> None:
    """Register ``nodes`` with a ``web`` instance and a check each, at their coordinates.

    Coordinates land in a batch: a blocking read of them waits for it.
    """
    for node in (*nodes, "nowhere"):
        api.register(
            {
                "Node": node,
                "Address": "10.0.0.1",
                "Service": {"Service": "web", "Port": 80},
                "Check": {"Name": "alive", "Status": "passing", "ServiceID": "web"},
            }
        )
    index = api.index("/v1/coordinate/nodes")
    for node, x in nodes.items():
        coord = {"Vec": [x] + [0.0] * 7, "Error": 0.5, "Adjustment": 0.0, "Height": 1e-5}
        response = api.put("/v1/coordinate/update", json={"Node": node, "Coord": coord})
        assert response.status_code == 200, response.text
    landed = api.get(f"/v1/coordinate/nodes?index={index}&wait=10s").json()
    assert {row["Node"] for row in landed} >= set(nodes)


def names(items: list[dict[str, Any]]) -> list[str]:
    """The node of each item (a node, an instance, a check or a health entry)."""
    return [i["Node"]["Node"] if isinstance(i["Node"], dict) else i["Node"] for i in items]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/catalog/nodes",
        "/v1/catalog/service/web",
        "/v1/health/service/web",
        "/v1/health/checks/web",
        "/v1/health/state/passing",
    ],
)
def test_near_sorts_by_round_trip_time(api, consul_agent, path):
    place(api, PLACES)
    own = consul_agent.run(lambda core: core.config.node_name)
    unsorted = [n for n in names(api.get(path).json()) if n != own]
    assert unsorted == ["far", "middle", "near", "nowhere"]  # by name
    # Nearest first from "far"; nodes without a coordinate (nowhere) last.
    by_distance = [n for n in names(api.get(f"{path}?near=far").json()) if n != own]
    assert by_distance == ["far", "middle", "near", "nowhere"]
    from_near = [n for n in names(api.get(f"{path}?near=near").json()) if n != own]
    assert from_near == ["near", "middle", "far", "nowhere"]


def test_near_agent_is_the_agents_node(api, consul_agent):
    place(api, PLACES)
    own = consul_agent.run(lambda core: core.config.node_name)
    # The agent's node sits at the origin: "near" is nearest to it.
    assert names(api.get("/v1/catalog/nodes?near=_agent").json()) == [
        own,
        "near",
        "middle",
        "far",
        "nowhere",
    ]


def test_near_a_node_without_a_coordinate_sorts_nothing(api):
    place(api, PLACES)
    plain = names(api.get("/v1/catalog/service/web").json())
    assert names(api.get("/v1/catalog/service/web?near=nowhere").json()) == plain
    assert names(api.get("/v1/catalog/service/web?near=unknown").json()) == plain


# -- ?cached -----------------------------------------------------------------------------

SERVICE = {"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web", "Tags": ["v1"]}}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/health/service/web",
        "/v1/catalog/service/web",
        "/v1/catalog/services",
    ],
)
def test_a_refreshed_type_misses_once_then_hits_with_age_zero(api, path):
    api.register(SERVICE)
    first = api.get(f"{path}?cached")
    assert first.headers["X-Cache"] == "MISS"
    assert "Age" not in first.headers
    second = api.get(f"{path}?cached")
    assert (second.headers["X-Cache"], second.headers["Age"]) == ("HIT", "0")
    assert second.json() == first.json()
    assert second.headers["X-Consul-Index"] == first.headers["X-Consul-Index"]
    # Consul refreshes these entries in the background: a hit is current.
    api.register({**SERVICE, "Node": "n2"})
    third = api.get(f"{path}?cached")
    assert third.headers["X-Cache"] == "HIT"
    assert int(third.headers["X-Consul-Index"]) > int(first.headers["X-Consul-Index"])
    # Without ?cached, no cache headers.
    assert "X-Cache" not in api.get(path).headers


def test_cache_entries_are_per_request_and_per_token(api):
    api.register(SERVICE)
    assert api.get("/v1/health/service/web?cached").headers["X-Cache"] == "MISS"
    # ?passing and ?near are no part of the key; ?tag is.
    assert api.get("/v1/health/service/web?cached&passing").headers["X-Cache"] == "HIT"
    assert api.get("/v1/health/service/web?cached&tag=v1").headers["X-Cache"] == "MISS"
    assert api.get("/v1/health/service/web?cached", token="other").status_code == 200
    assert api.get("/v1/health/service/web?cached", token="other").headers["X-Cache"] == "HIT"
    assert api.get("/v1/health/service/web?cached&dc=dc1").headers["X-Cache"] == "MISS"


def test_a_cached_blocking_read_that_waits_is_a_miss(api, consul_agent, pool):
    api.register(SERVICE)
    index = api.index("/v1/health/service/web?cached")
    waiting = pool.submit(api.get, f"/v1/health/service/web?cached&index={index}&wait=30s")
    wait_blocked(consul_agent)
    api.register({**SERVICE, "Node": "n2"})
    response = waiting.result()
    assert int(response.headers["X-Consul-Index"]) > index
    assert response.headers["X-Cache"] == "MISS"
    # An index below the entry's answers at once: a hit.
    again = api.get(f"/v1/health/service/web?cached&index={index}")
    assert again.headers["X-Cache"] == "HIT"


def test_datacenters_are_cached_until_max_age(api):
    assert api.get("/v1/catalog/datacenters?cached").headers["X-Cache"] == "MISS"
    hit = api.get("/v1/catalog/datacenters?cached", headers={"Cache-Control": "max-age=60"})
    assert hit.headers["X-Cache"] == "HIT"
    assert hit.headers["Age"] == "0"
    assert hit.json() == ["dc1"]
    # max-age=0 and must-revalidate fetch again (agent/http.go parseCacheControl).
    for control in ("max-age=0", "must-revalidate", "MAX-AGE=0, stale-if-error=5"):
        fresh = api.get("/v1/catalog/datacenters?cached", headers={"Cache-Control": control})
        assert fresh.headers["X-Cache"] == "MISS", control
    # No meta headers on this endpoint, cached or not.
    assert "X-Consul-Index" not in hit.headers


def test_cached_with_consistent_is_refused(api):
    response = api.get("/v1/health/service/web?cached&consistent")
    assert (response.status_code, response.text) == (
        400,
        "Cannot specify ?cached with ?consistent, conflicting semantics.",
    )


def test_cache_entries_are_per_token_under_acls(root, consul_acl_agent):
    root.register(SERVICE)
    token = make_token(root, 'service "web" { policy = "read" } node_prefix "" { policy = "read" }')
    user = root.with_token(token["SecretID"])
    assert root.get("/v1/health/service/web?cached").headers["X-Cache"] == "MISS"
    assert user("GET", "/v1/health/service/web?cached").headers["X-Cache"] == "MISS"
    assert user("GET", "/v1/health/service/web?cached").headers["X-Cache"] == "HIT"
