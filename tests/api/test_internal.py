"""Consul's internal endpoints (``client.internal``): every client against the embedded agent."""

from __future__ import annotations

import pytest

import consul
from consul.testing import DevAgent


def register_native(c, name: str) -> None:
    service = {"Service": name, "Port": 443, "Connect": {"Native": True}}
    assert c.catalog.register("n1", "10.0.0.1", service=service) is True


def test_manual_virtual_ips_move_between_services(c):
    register_native(c, "pay")
    register_native(c, "shop")
    answer = c.internal.assign_service_virtual_ip("pay", ["10.0.0.1", "10.0.0.2"])
    assert answer == {"Found": True, "UnassignedFrom": None}
    answer = c.internal.assign_service_virtual_ip("shop", ["10.0.0.2"])
    assert answer == {
        "Found": True,
        "UnassignedFrom": [{"ServiceName": {"Name": "pay"}, "Peer": ""}],
    }
    # A service with no virtual IP is not found.
    answer = c.internal.assign_service_virtual_ip("nope", ["10.0.0.3"])
    assert answer == {"Found": False, "UnassignedFrom": None}


def test_the_discovery_chain_lists_a_services_virtual_ips(c):
    chain = c.discovery_chain.get("pay")[1]["Chain"]
    assert (chain["AutoVirtualIPs"], chain["ManualVirtualIPs"]) == (None, None)
    register_native(c, "pay")
    c.internal.assign_service_virtual_ip("pay", ["10.0.0.9"])
    chain = c.discovery_chain.get("pay")[1]["Chain"]
    assert (chain["AutoVirtualIPs"], chain["ManualVirtualIPs"]) == (["240.0.0.1"], ["10.0.0.9"])


def test_consuls_checks_of_the_addresses(c):
    register_native(c, "pay")
    with pytest.raises(consul.ServerError, match='"::1" is not a valid IPv4 address'):
        c.internal.assign_service_virtual_ip("pay", ["::1"])
    with pytest.raises(consul.ServerError, match="cannot associate more than 8 manual"):
        c.internal.assign_service_virtual_ip("pay", [f"10.0.0.{i}" for i in range(9)])


def test_assigning_needs_mesh_write(connect, consul_acl_agent):
    anonymous = connect(consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied, match="mesh:write"):
        anonymous.internal.assign_service_virtual_ip("pay", ["10.0.0.1"])


def test_the_datacenter_goes_in_the_body(connect):
    with DevAgent(extra_datacenters=("dc2",)) as agent:
        c = connect(agent)
        dc2 = connect(agent, dc="dc2")
        register_native(dc2, "pay")
        answer = c.internal.assign_service_virtual_ip("pay", ["10.0.0.1"])
        assert answer["Found"] is False
        answer = c.internal.assign_service_virtual_ip("pay", ["10.0.0.1"], dc="dc2")
        assert answer["Found"] is True
        assert dc2.internal.assign_service_virtual_ip("pay", ["10.0.0.1"])["Found"] is True


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(TypeError, match="manual_vips"):
        c.internal.assign_service_virtual_ip("web", "10.0.0.1")
    with pytest.raises(ValueError, match="service"):
        c.internal.assign_service_virtual_ip("", ["10.0.0.1"])
    with pytest.raises(TypeError, match="dc"):
        c.internal.assign_service_virtual_ip("web", [], dc=2)  # type: ignore[arg-type]
