"""Health checks and healthy instances through every client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import consul
from consul.api.health import Health


def register(c: Any, node: str, status: str = "passing", **extra: Any) -> None:
    """``web`` on ``node`` with a service check in ``status``."""
    check = {"CheckID": f"{node}-web", "Name": "web", "ServiceID": "web", "Status": status}
    service = {"Service": "web", "Tags": extra.pop("tags", ["v1"])}
    assert c.catalog.register(node, "10.0.0.1", service=service, check=check, **extra)


def test_service_entries(c: Any) -> None:
    register(c, "n1")
    index, entries = c.health.service("web")
    assert index >= 1
    (entry,) = entries
    assert entry["Node"]["Node"] == "n1"
    assert entry["Service"]["Service"] == "web"
    assert [ch["CheckID"] for ch in entry["Checks"]] == ["n1-web"]


def test_service_parameters(c: Any) -> None:
    register(c, "n1", tags=["v1", "primary"], node_meta={"env": "prod"})
    register(c, "n2", status="critical")

    def nodes(**kwargs: Any) -> list[str]:
        return [e["Node"]["Node"] for e in c.health.service("web", **kwargs)[1]]

    assert nodes() == ["n1", "n2"]
    assert nodes(passing=True) == ["n1"]
    assert nodes(passing=False) == ["n1", "n2"]
    assert nodes(tag="primary") == ["n1"]
    assert nodes(tag=["v1", "primary"]) == ["n1"]
    assert nodes(node_meta={"env": "prod"}) == ["n1"]
    assert nodes(near="_agent", dc="dc1", consistency="stale") == ["n1", "n2"]


def test_blocking_service_query_sees_a_recovery(c: Any) -> None:
    register(c, "n1", status="critical")
    index, entries = c.health.service("web", passing=True)
    assert entries == []
    pending = c.start.health.service("web", index=index, wait="10s", passing=True)
    register(c, "n1")
    new_index, entries = pending.result(10)
    assert new_index > index
    assert [e["Node"]["Node"] for e in entries] == ["n1"]


def test_connect(c: Any) -> None:
    proxy = {
        "Service": "web-proxy",
        "Kind": "connect-proxy",
        "Port": 21000,
        "Proxy": {"DestinationServiceName": "web"},
    }
    c.catalog.register("n1", "10.0.0.1", service=proxy)
    _, entries = c.health.connect("web", passing=False)
    assert [e["Service"]["ID"] for e in entries] == ["web-proxy"]


def test_checks_state_and_node(c: Any) -> None:
    register(c, "n1", status="warning", node_meta={"env": "prod"})
    register(c, "n2")
    _, checks = c.health.checks("web", near="_agent", consistency="stale")
    assert [ch["CheckID"] for ch in checks] == ["n1-web", "n2-web"]
    _, checks = c.health.checks("web", node_meta={"env": "prod"})
    assert [ch["CheckID"] for ch in checks] == ["n1-web"]
    _, checks = c.health.state("warning")
    assert [ch["CheckID"] for ch in checks] == ["n1-web"]
    _, checks = c.health.state("any", node_meta={"env": "prod"}, dc="dc1")
    assert [ch["CheckID"] for ch in checks] == ["n1-web"]
    _, checks = c.health.node("n2", consistency="consistent")
    assert [ch["CheckID"] for ch in checks] == ["n2-web"]
    assert c.health.node("nope")[1] == []


def test_blocking_state_query(c: Any) -> None:
    index, _ = c.health.state("critical")
    pending = c.start.health.state("critical", index=index, wait=10)
    register(c, "n1", status="critical")
    new_index, checks = pending.result(10)
    assert new_index > index
    assert [ch["CheckID"] for ch in checks] == ["n1-web"]


def test_errors(c: Any) -> None:
    with pytest.raises(ValueError, match="name must be one of"):
        c.health.state("unknown")
    with pytest.raises(TypeError, match="passing must be a bool"):
        c.health.service("web", passing="yes")
    with pytest.raises(ValueError, match="node must not be empty"):
        c.health.node("")
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.health.checks("web", dc="nowhere")


# -- the requests themselves (no server) ---------------------------------------------


@pytest.fixture
def client() -> Iterator[consul.Consul]:
    client = consul.Consul()
    yield client
    client.close()


def test_request_parameters(client: consul.Consul) -> None:
    call = Health.service(
        client.health,
        "web",
        index=3,
        wait=2,
        passing=True,
        tag=["a", "b"],
        near="n1",
        token="t",
        node_meta={"k": "v"},
        filter_expr="Service.Port == 80",
        consistency="stale",
    )
    assert call.request.path == "/v1/health/service/web"
    assert list(call.request.params) == [
        ("passing", "true"),
        ("stale", ""),
        ("filter", "Service.Port == 80"),
        ("near", "n1"),
        ("node-meta", "k:v"),
        ("tag", "a"),
        ("tag", "b"),
        ("index", "3"),
        ("wait", "2000ms"),
    ]
    assert dict(call.request.headers)["X-Consul-Token"] == "t"
    for build, name in (
        (Health.checks, "web"),
        (Health.state, "any"),
        (Health.node, "n1"),
        (Health.connect, "web"),
        (Health.ingress, "web"),
    ):
        request = build(client.health, name, filter_expr="x == y").request
        assert ("filter", "x == y") in request.params
