"""The catalog through every client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import consul
from consul.api.catalog import Catalog
from consul.testing import DevAgent
from consul.testing.state.acl.authorizer import ALLOW_ALL, Authorizer

WEB = {"Service": "web", "ID": "web1", "Tags": ["primary", "v1"], "Port": 8000}


def test_register_then_read_everything_back(c: Any) -> None:
    node_id = str(uuid.uuid4())
    check = {"Name": "web alive", "ServiceID": "web1", "Status": "passing"}
    assert (
        c.catalog.register(
            "n1",
            "10.1.10.12",
            service=WEB,
            check=check,
            dc="dc1",
            node_meta={"rack": "r1"},
            node_id=node_id,
            tagged_addresses={"wan": "198.18.0.1"},
            checks=[{"Name": "disk", "Status": "warning"}],
        )
        is True
    )
    index, node = c.catalog.node("n1")
    assert index == node["Node"]["ModifyIndex"]
    assert node["Node"]["ID"] == node_id
    assert node["Node"]["Meta"] == {"rack": "r1"}
    assert node["Node"]["TaggedAddresses"] == {"wan": "198.18.0.1"}
    assert node["Services"]["web1"]["Tags"] == ["primary", "v1"]
    assert node["Services"]["web1"]["Port"] == 8000
    _, instances = c.catalog.service("web")
    assert [(i["Node"], i["ServiceID"], i["ServicePort"]) for i in instances] == [
        ("n1", "web1", 8000)
    ]
    _, checks = c.health.node("n1")
    assert {ch["CheckID"]: ch["Status"] for ch in checks} == {
        "disk": "warning",
        "web alive": "passing",
    }


def test_datacenters(c: Any) -> None:
    assert c.catalog.datacenters() == ["dc1"]


def test_nodes_and_services(c: Any) -> None:
    c.catalog.register("n1", "10.0.0.1", service=WEB, node_meta={"env": "prod"})
    c.catalog.register("n2", "10.0.0.2", service={"Service": "db", "Tags": ["x"]})
    index, nodes = c.catalog.nodes()
    assert index >= 1
    assert {"n1", "n2"} <= {n["Node"] for n in nodes}
    _, nodes = c.catalog.nodes(node_meta={"env": "prod"}, near="_agent", consistency="stale")
    assert [n["Node"] for n in nodes] == ["n1"]
    index, services = c.catalog.services()
    assert services["web"] == ["primary", "v1"]
    assert services["db"] == ["x"]
    assert index >= 1
    _, services = c.catalog.services(node_meta={"env": "prod"}, consistency="consistent")
    assert services == {"web": ["primary", "v1"]}


def test_service_with_tags_and_node_meta(c: Any) -> None:
    c.catalog.register("n1", "10.0.0.1", service=WEB, node_meta={"env": "prod"})
    c.catalog.register("n2", "10.0.0.2", service={"Service": "web", "Tags": ["v1"]})

    def nodes(**kwargs: Any) -> list[str]:
        return [i["Node"] for i in c.catalog.service("web", **kwargs)[1]]

    assert nodes() == ["n1", "n2"]
    assert nodes(tag="v1") == ["n1", "n2"]
    assert nodes(tag=["v1", "primary"]) == ["n1"]
    assert nodes(node_meta={"env": "prod"}) == ["n1"]
    assert nodes(near="_agent", dc="dc1", consistency="stale") == ["n1", "n2"]
    assert nodes(tag="nope") == []


def test_unknown_node_is_none(c: Any) -> None:
    index, node = c.catalog.node("nope")
    assert node is None
    assert index >= 1


def test_node_services(c: Any) -> None:
    c.catalog.register("n1", "10.0.0.1", service=WEB)
    _, listing = c.catalog.node_services("n1", consistency="stale")
    assert listing["Node"]["Node"] == "n1"
    assert [s["ID"] for s in listing["Services"]] == ["web1"]
    _, listing = c.catalog.node_services("nope")
    assert listing == {"Node": None, "Services": None}


def test_connect(c: Any) -> None:
    proxy = {
        "Service": "web-proxy",
        "Kind": "connect-proxy",
        "Port": 21000,
        "Proxy": {"DestinationServiceName": "web"},
    }
    c.catalog.register("n1", "10.0.0.1", service=proxy)
    _, instances = c.catalog.connect("web")
    assert [i["ServiceID"] for i in instances] == ["web-proxy"]


def test_deregister_a_service_a_check_and_a_node(c: Any) -> None:
    c.catalog.register("n1", "10.0.0.1", service=WEB, check={"Name": "node check"})
    assert c.catalog.deregister("n1", service_id="web1") is True
    assert c.catalog.service("web")[1] == []
    assert c.catalog.deregister("n1", check_id="node check", dc="dc1") is True
    assert c.health.node("n1")[1] == []
    assert c.catalog.deregister("n1") is True
    assert c.catalog.node("n1")[1] is None
    # Nothing there: still True.
    assert c.catalog.deregister("n1") is True


def test_blocking_query_returns_when_the_service_changes(c: Any) -> None:
    c.catalog.register("n1", "10.0.0.1", service=WEB)
    index, _ = c.catalog.service("web")
    pending = c.start.catalog.service("web", index=index, wait="10s")
    c.catalog.register("n2", "10.0.0.2", service=WEB)
    new_index, instances = pending.result(10)
    assert new_index > index
    assert [i["Node"] for i in instances] == ["n1", "n2"]


def test_blocking_node_list(c: Any) -> None:
    index, _ = c.catalog.nodes()
    pending = c.start.catalog.nodes(index=index, wait=10)
    c.catalog.register("n9", "10.0.0.9")
    new_index, nodes = pending.result(10)
    assert new_index > index
    assert "n9" in [n["Node"] for n in nodes]


def test_server_errors_carry_consuls_message(c: Any) -> None:
    with pytest.raises(consul.ServerError, match="Must provide address"):
        c.catalog.register("n1", "")
    with pytest.raises(consul.ServerError, match="Unknown service ID 'nope'"):
        c.catalog.register("n1", "a", check={"Name": "c", "ServiceID": "nope"})
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.catalog.nodes(dc="nowhere")
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.catalog.register("n1", "a", dc="nowhere")
    with pytest.raises(consul.BadRequest, match='unknown field "Bogus"'):
        c.catalog.register("n1", "a", service={"Service": "s", "Bogus": 1})


def test_bad_arguments_are_refused_before_any_request(c: Any) -> None:
    with pytest.raises(ValueError, match="node must not be empty"):
        c.catalog.register("", "a")
    with pytest.raises(TypeError, match="service must be a dict"):
        c.catalog.register("n", "a", service=["web"])
    with pytest.raises(TypeError, match="node_meta must map str to str"):
        c.catalog.nodes(node_meta={"a": 1})
    with pytest.raises(TypeError, match="tag must be a str or a list of str"):
        c.catalog.service("web", tag=5)
    with pytest.raises(ValueError, match="only one of service_id and check_id"):
        c.catalog.deregister("n", service_id="s", check_id="c")
    with pytest.raises(ValueError, match="service must not be empty"):
        c.catalog.service("")
    with pytest.raises(ValueError, match="consistency must be"):
        c.catalog.services(consistency="eventual")
    with pytest.raises(TypeError, match="checks must be a list of dicts"):
        c.catalog.register("n", "a", checks={"Name": "c"})


class _TokenGate(Authorizer):
    """Denies every node write (the anonymous token's lot here)."""

    def node_write(self, name: str) -> bool:
        return False


@pytest.fixture
def gated(consul_agent: DevAgent) -> None:
    def install(core: Any) -> None:
        core.acl.authorizer = lambda secret: ALLOW_ALL if secret == "good" else _TokenGate()

    consul_agent.run(install)


@pytest.mark.usefixtures("gated")
def test_the_token_reaches_the_agent(c: Any, connect: Any) -> None:
    with pytest.raises(consul.ACLPermissionDenied, match="lacks permission 'node:write'"):
        c.catalog.register("n1", "a")
    assert c.catalog.register("n1", "a", token="good") is True
    assert c.catalog.deregister("n1", token="good") is True
    # The client's own token serves when the call gives none.
    assert connect(token="good").catalog.register("n2", "a") is True


# -- the requests themselves (no server) ---------------------------------------------


@pytest.fixture
def client() -> Iterator[consul.Consul]:
    client = consul.Consul(token="client-token", dc="dc7")
    yield client
    client.close()


def test_register_sends_the_token_only_in_the_header(client: consul.Consul) -> None:
    call = Catalog.register(client.catalog, "n1", "10.0.0.1", token="secret", node_meta={"a": "b"})
    request = call.request
    assert request.method == "PUT"
    assert request.path == "/v1/catalog/register"
    assert dict(request.headers)["X-Consul-Token"] == "secret"
    assert request.params == ()
    body = json.loads(request.body or b"")
    assert body == {
        "Datacenter": "dc7",
        "Node": "n1",
        "Address": "10.0.0.1",
        "NodeMeta": {"a": "b"},
    }
    assert "secret" not in (request.body or b"").decode()


def test_deregister_body(client: consul.Consul) -> None:
    call = Catalog.deregister(client.catalog, "n1", check_id="c1", dc="dc2")
    body = json.loads(call.request.body or b"")
    assert body == {"Datacenter": "dc2", "Node": "n1", "CheckID": "c1"}
    assert dict(call.request.headers)["X-Consul-Token"] == "client-token"


def test_read_parameters(client: consul.Consul) -> None:
    call = Catalog.service(
        client.catalog,
        "web",
        index=7,
        wait="5s",
        tag=["a", "b"],
        consistency="stale",
        near="_agent",
        node_meta={"k1": "v1", "k2": "v:2"},
        filter_expr='ServiceMeta.env == "prod"',
    )
    assert call.request.path == "/v1/catalog/service/web"
    assert list(call.request.params) == [
        ("dc", "dc7"),
        ("stale", ""),
        ("filter", 'ServiceMeta.env == "prod"'),
        ("near", "_agent"),
        ("node-meta", "k1:v1"),
        ("node-meta", "k2:v:2"),
        ("tag", "a"),
        ("tag", "b"),
        ("index", "7"),
        ("wait", "5s"),
    ]
    assert call.request.wait == 5.0
    nodes = Catalog.nodes(client.catalog, filter_expr="Node == x", dc="dc1")
    assert ("filter", "Node == x") in nodes.request.params
    assert ("dc", "dc1") in nodes.request.params
    node = Catalog.node(client.catalog, "a/b", filter_expr="Port == 1")
    assert node.request.path == "/v1/catalog/node/a/b"
    assert ("filter", "Port == 1") in node.request.params
    listing = Catalog.node_services(client.catalog, "n", filter_expr="Port == 1")
    assert listing.request.path == "/v1/catalog/node-services/n"
    services = Catalog.services(client.catalog, filter_expr="ServiceName == web")
    assert ("filter", "ServiceName == web") in services.request.params
