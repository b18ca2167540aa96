"""The discovery chain (``client.discovery_chain``): every client against the embedded agent."""

from __future__ import annotations

import pytest
from harness import wait_blocked

import consul


def test_the_default_chain(c):
    index, answer = c.discovery_chain.get("web")
    assert index > 0
    chain = answer["Chain"]
    web = "web.default.default.dc1"
    assert (chain["ServiceName"], chain["Protocol"], chain["Default"]) == ("web", "tcp", True)
    assert chain["StartNode"] == f"resolver:{web}"
    assert chain["Nodes"][f"resolver:{web}"]["Resolver"] == {
        "ConnectTimeout": "5s",
        "Default": True,
        "Target": web,
    }
    assert list(chain["Targets"]) == [web]


def test_a_split_between_subsets_compiled_for_another_datacenter(c):
    c.config.set({"Kind": "service-defaults", "Name": "web", "Protocol": "http"})
    c.config.set(
        {
            "Kind": "service-resolver",
            "Name": "web",
            "Subsets": {"v1": {"Filter": "Service.Meta.version == 1"}, "v2": {}},
        }
    )
    c.config.set(
        {
            "Kind": "service-splitter",
            "Name": "web",
            "Splits": [
                {"Weight": 75, "ServiceSubset": "v1"},
                {"Weight": 25, "ServiceSubset": "v2"},
            ],
        }
    )
    _, answer = c.discovery_chain.get("web", compile_dc="dc2")
    chain = answer["Chain"]
    assert chain["StartNode"] == "splitter:web.default.default"
    splits = chain["Nodes"]["splitter:web.default.default"]["Splits"]
    assert [(s["Weight"], s["NextNode"]) for s in splits] == [
        (75, "resolver:v1.web.default.default.dc2"),
        (25, "resolver:v2.web.default.default.dc2"),
    ]
    target = chain["Targets"]["v1.web.default.default.dc2"]
    assert (target["Service"], target["ServiceSubset"], target["Datacenter"]) == (
        "web",
        "v1",
        "dc2",
    )
    assert target["Subset"] == {"Filter": "Service.Meta.version == 1"}


def test_overrides_are_sent_in_a_post(c):
    c.config.set({"Kind": "service-resolver", "Name": "web", "Redirect": {"Service": "api"}})
    _, answer = c.discovery_chain.get(
        "web",
        override_connect_timeout=7,
        override_protocol="http",
        override_mesh_gateway_mode="local",
    )
    chain = answer["Chain"]
    api = "api.default.default.dc1"
    assert chain["Protocol"] == "http"
    assert len(chain["CustomizationHash"]) == 8
    assert chain["Nodes"][f"resolver:{api}"]["Resolver"]["ConnectTimeout"] == "7s"
    assert chain["Targets"][api]["MeshGateway"] == {"Mode": "local"}
    _, again = c.discovery_chain.get("web", override_connect_timeout="7s")
    assert again["Chain"]["Nodes"][f"resolver:{api}"]["Resolver"]["ConnectTimeout"] == "7s"


def test_a_blocking_read_returns_when_the_chain_changes(c, consul_agent):
    index, _ = c.discovery_chain.get("web")
    pending = c.start.discovery_chain.get("web", index=index, wait="10s")
    wait_blocked(consul_agent)
    c.config.set({"Kind": "service-defaults", "Name": "web", "Protocol": "grpc"})
    new_index, answer = pending.result(10)
    assert new_index > index
    assert answer["Chain"]["Protocol"] == "grpc"


def test_reading_a_chain_needs_service_read(connect, consul_acl_agent):
    anonymous = connect(consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied, match="service:read"):
        anonymous.discovery_chain.get("web")
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    assert root.discovery_chain.get("web")[1]["Chain"]["ServiceName"] == "web"


def test_consuls_errors_are_typed_and_carry_its_text(c):
    with pytest.raises(consul.BadRequest, match="Namespaces are a Consul Enterprise feature"):
        c.discovery_chain.get("web", ns="team")
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.discovery_chain.get("web", dc="nowhere")


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(ValueError, match="service"):
        c.discovery_chain.get("")
    with pytest.raises(ValueError, match="service"):
        c.discovery_chain.get("a/b")
    with pytest.raises(ValueError, match="override_mesh_gateway_mode"):
        c.discovery_chain.get("web", override_mesh_gateway_mode="sideways")
    with pytest.raises(ValueError, match="override_connect_timeout"):
        c.discovery_chain.get("web", override_connect_timeout="soon")
    with pytest.raises(TypeError, match="override_protocol"):
        c.discovery_chain.get("web", override_protocol=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="compile_dc"):
        c.discovery_chain.get("web", compile_dc=2)  # type: ignore[arg-type]
