"""The embedded agent's ``/v1/health`` endpoints, over raw HTTP."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import pytest
from harness import RawHTTP, denying, make_token, wait_blocked

from consul.testing import DevAgent


def instance(node: str, status: str = "passing", node_status: str | None = None, **service: Any):
    """A registration of ``web`` on ``node`` with a service check (and a node check)."""
    checks = [{"CheckID": "svc", "Name": "svc", "ServiceID": "web", "Status": status}]
    if node_status is not None:
        checks.append({"CheckID": "node", "Name": "node", "Status": node_status})
    return {
        "Node": node,
        "Address": "10.0.0.1",
        "Service": {"Service": "web", **service},
        "Checks": checks,
    }


# -- /v1/health/service ------------------------------------------------------------------


def test_service_entries_have_node_service_and_checks(api: RawHTTP) -> None:
    api.register(instance("a", node_status="passing", Tags=["v1"]))
    response = api.get("/v1/health/service/web")
    assert response.status_code == 200
    assert response.headers["X-Consul-Effective-Consistency"] == "leader"
    (entry,) = response.json()
    assert list(entry) == ["Node", "Service", "Checks"]
    assert entry["Node"]["Node"] == "a"
    assert entry["Service"]["ID"] == "web"
    assert entry["Service"]["Tags"] == ["v1"]
    # The node's checks first, then the instance's own.
    assert [c["CheckID"] for c in entry["Checks"]] == ["node", "svc"]
    assert entry["Checks"][0]["ServiceTags"] == []
    assert entry["Checks"][1]["ServiceTags"] == ["v1"]


def test_lists_are_never_null(api: RawHTTP) -> None:
    api.register({"Node": "a", "Address": "x", "Service": {"Service": "bare"}})
    (entry,) = api.get("/v1/health/service/bare").json()
    assert entry["Checks"] == []
    assert entry["Service"]["Tags"] == []
    assert api.get("/v1/health/service/nope").json() == []


def test_passing_keeps_instances_whose_every_check_passes(api: RawHTTP) -> None:
    api.register(instance("a"))
    api.register(instance("b", status="warning"))
    api.register(instance("c", node_status="critical"))
    api.register(instance("d"))

    def nodes(query: str) -> list[str]:
        return [e["Node"]["Node"] for e in api.get("/v1/health/service/web" + query).json()]

    assert nodes("") == ["a", "b", "c", "d"]
    # A dropped entry is swapped with the last one kept (Go's Filter), which
    # reorders what remains.
    assert nodes("?passing") == ["a", "d"]
    assert nodes("?passing=1") == ["a", "d"]
    assert nodes("?passing=TRUE") == ["a", "d"]
    assert nodes("?passing=false") == ["a", "b", "c", "d"]
    assert nodes("?passing=0") == ["a", "b", "c", "d"]


def test_passing_filter_reorders_like_go(api: RawHTTP) -> None:
    api.register(instance("a", status="critical"))
    api.register(instance("b"))
    api.register(instance("c"))
    entries = api.get("/v1/health/service/web?passing").json()
    assert [e["Node"]["Node"] for e in entries] == ["c", "b"]


def test_a_bad_passing_value_is_a_bad_request(api: RawHTTP) -> None:
    response = api.get("/v1/health/service/web?passing=yes")
    assert response.status_code == 400
    assert response.text == "Invalid value for ?passing"


def test_tags_and_node_meta(api: RawHTTP) -> None:
    api.register({**instance("a", Tags=["Primary", "v1"]), "NodeMeta": {"rack": "1"}})
    api.register({**instance("b", Tags=["v1"]), "NodeMeta": {"rack": "2"}})

    def nodes(query: str) -> list[str]:
        return [e["Node"]["Node"] for e in api.get("/v1/health/service/web" + query).json()]

    assert nodes("?tag=v1") == ["a", "b"]
    assert nodes("?tag=v1&tag=PRIMARY") == ["a"]
    assert nodes("?node-meta=rack:2") == ["b"]
    assert nodes("?node-meta=rack:2&tag=primary") == []
    assert nodes("?near=_agent") == ["a", "b"]


def test_missing_service_name(api: RawHTTP) -> None:
    for path in ("/v1/health/service/", "/v1/health/checks/", "/v1/health/connect/"):
        response = api.get(path)
        assert response.status_code == 400
        assert response.text == "Missing service name"
    response = api.get("/v1/health/node/")
    assert (response.status_code, response.text) == (400, "Missing node name")
    response = api.get("/v1/health/state/")
    assert (response.status_code, response.text) == (400, "Missing check state")


def test_service_index_moves_with_its_checks_and_its_nodes_checks(api: RawHTTP) -> None:
    api.register(instance("a", node_status="passing"))
    api.register({"Node": "other", "Address": "x", "Service": {"Service": "db"}})
    index = api.index("/v1/health/service/web")
    # Unrelated services leave it alone ...
    api.register({"Node": "other", "Address": "x", "Check": {"Name": "n", "Status": "passing"}})
    assert api.index("/v1/health/service/web") == index
    # ... a node check of its node moves it (updateAllServiceIndexesOfNode).
    api.register(instance("a", node_status="warning"))
    assert api.index("/v1/health/service/web") > index


def test_a_blocking_health_query_wakes_when_a_check_changes(
    api: RawHTTP, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    api.register(instance("a"))
    index = api.index("/v1/health/service/web")
    pending = pool.submit(api.get, f"/v1/health/service/web?index={index}&wait=10s")
    api.register(instance("a", status="critical"))
    response = pending.result(10)
    assert int(response.headers["X-Consul-Index"]) > index
    assert response.json()[0]["Checks"][0]["Status"] == "critical"


def test_a_blocking_passing_query_sees_an_instance_recover(
    api: RawHTTP, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    api.register(instance("a", status="critical"))
    response = api.get("/v1/health/service/web?passing")
    assert response.json() == []
    index = int(response.headers["X-Consul-Index"])
    pending = pool.submit(api.get, f"/v1/health/service/web?passing&index={index}&wait=10s")
    api.register(instance("a"))
    assert [e["Node"]["Node"] for e in pending.result(10).json()] == ["a"]


def test_watchers_woken_together_answer_each_their_own_request(
    api: RawHTTP, consul_agent: DevAgent
) -> None:
    # Identical requests share one answer, a different one gets its own.
    api.register(instance("a", status="critical"))
    index = api.index("/v1/health/service/web")
    targets = [f"/v1/health/service/web?index={index}&wait=10s"] * 3
    targets += [f"/v1/health/service/web?passing&index={index}&wait=10s"] * 2
    with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
        pending = [pool.submit(api.get, target) for target in targets]
        wait_blocked(consul_agent, len(targets))
        api.register(instance("b", status="critical"))
        answers = [response.result(10).json() for response in pending]
    nodes = [[entry["Node"]["Node"] for entry in answer] for answer in answers]
    assert nodes == [["a", "b"]] * 3 + [[]] * 2


def test_connect_entries(api: RawHTTP) -> None:
    api.register(instance("a"))
    proxy = {
        "Service": "web-proxy",
        "Kind": "connect-proxy",
        "Port": 21000,
        "Proxy": {"DestinationServiceName": "web"},
    }
    api.register({"Node": "a", "Address": "x", "Service": proxy})
    entries = api.get("/v1/health/connect/web").json()
    assert [e["Service"]["ID"] for e in entries] == ["web-proxy"]
    assert entries[0]["Service"]["Kind"] == "connect-proxy"
    assert entries[0]["Service"]["Proxy"]["DestinationServiceName"] == "web"


@pytest.mark.parametrize(
    "path", ["/v1/health/service/web", "/v1/health/connect/web", "/v1/catalog/service/web"]
)
def test_peer_scopes_a_service_lookup_to_that_peer(api: RawHTTP, path: str) -> None:
    # parsePeerName (agent/health_endpoint.go, agent/catalog_endpoint.go) puts
    # ?peer in the request; the state store then reads the peer's own entries
    # and index entries (peeredIndexEntryName, state/catalog.go). Only peering
    # replication writes those, so an unknown peer has none: [] at index 0 (1).
    api.register(instance("a"))
    proxy = {"Kind": "connect-proxy", "Port": 1, "Proxy": {"DestinationServiceName": "web"}}
    api.register({"Node": "a", "Address": "x", "Service": {"Service": "web-proxy", **proxy}})
    assert api.get(path).json() != []
    peered = api.get(path + "?peer=other")
    assert peered.status_code == 200
    assert peered.json() == []
    assert peered.headers["X-Consul-Index"] == "1"
    # An empty ?peer is no peer.
    assert api.get(path + "?peer=").json() != []


# -- checks ------------------------------------------------------------------------------


def test_state_lists_checks_in_a_state(api: RawHTTP, consul_agent: DevAgent) -> None:
    api.register(instance("a", status="warning", node_status="critical"))
    api.register(instance("b", status="passing"))

    def checks(state: str) -> list[tuple[str, str]]:
        return [(c["Node"], c["CheckID"]) for c in api.get(f"/v1/health/state/{state}").json()]

    me = consul_agent.config.node_name
    assert checks("critical") == [("a", "node")]
    assert checks("warning") == [("a", "svc")]
    assert sorted(checks("passing")) == sorted([("b", "svc"), (me, "serfHealth")])
    assert sorted(checks("any")) == sorted(
        [("a", "node"), ("a", "svc"), ("b", "svc"), (me, "serfHealth")]
    )
    # Consul does not validate the state.
    assert checks("unknown") == []


def test_state_with_node_meta(api: RawHTTP) -> None:
    api.register({**instance("a"), "NodeMeta": {"env": "prod"}})
    api.register(instance("b"))
    checks = api.get("/v1/health/state/passing?node-meta=env:prod").json()
    assert [c["Node"] for c in checks] == ["a"]


def test_checks_of_a_service(api: RawHTTP) -> None:
    api.register(instance("b", node_status="passing"))
    api.register(instance("a"))
    checks = api.get("/v1/health/checks/web").json()
    assert [(c["Node"], c["CheckID"]) for c in checks] == [("a", "svc"), ("b", "svc")]
    assert api.get("/v1/health/checks/WEB").json() == checks
    assert api.get("/v1/health/checks/nope").json() == []


def test_checks_of_a_node(api: RawHTTP) -> None:
    api.register(instance("a", node_status="passing"))
    response = api.get("/v1/health/node/a")
    assert [c["CheckID"] for c in response.json()] == ["node", "svc"]
    assert api.get("/v1/health/node/nope").json() == []


def test_check_queries_report_the_checks_index(api: RawHTTP) -> None:
    api.register(instance("a"))
    index = api.index("/v1/health/node/a")
    assert api.index("/v1/health/state/any") == index
    api.register({"Node": "z", "Address": "x", "Check": {"Name": "c"}})
    # The checks table index: any check anywhere moves it.
    assert api.index("/v1/health/node/a") > index
    assert api.index("/v1/health/checks/web") > index


def test_a_blocking_state_query_wakes_on_a_new_critical_check(
    api: RawHTTP, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    index = api.index("/v1/health/state/critical")
    pending = pool.submit(api.get, f"/v1/health/state/critical?index={index}&wait=10s")
    api.register({"Node": "z", "Address": "x", "Check": {"Name": "down"}})
    assert [c["CheckID"] for c in pending.result(10).json()] == ["down"]


# -- ACLs ----------------------------------------------------------------------------------


def test_health_results_are_filtered_by_acls(root: RawHTTP) -> None:
    root.register(instance("a", node_status="passing"))
    root.register(instance("b"))
    token = make_token(root, denying(nodes=["b"]))["SecretID"]
    response = root.get("/v1/health/service/web", token=token)
    assert [e["Node"]["Node"] for e in response.json()] == ["a"]
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    response = root.get("/v1/health/node/b", token=token)
    assert response.json() == []
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    # A service check also needs service:read; a node check only node:read.
    token = make_token(root, denying(services=["web"]))["SecretID"]
    response = root.get("/v1/health/node/a", token=token)
    assert [c["CheckID"] for c in response.json()] == ["node"]
    assert root.get("/v1/health/checks/web", token=token).json() == []
    # health/connect refuses outright without service:read on the service.
    response = root.get("/v1/health/connect/web", token=token)
    assert (response.status_code, response.text) == (403, "Permission denied")
