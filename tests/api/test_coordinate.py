"""Network coordinates through every client."""

from __future__ import annotations

import pytest


def test_datacenters(c, consul_agent):
    maps = c.coordinate.datacenters()
    assert [m["Datacenter"] for m in maps] == ["dc1"]
    assert maps[0]["AreaID"] == "wan"
    assert maps[0]["Coordinates"][0]["Node"] == consul_agent.config.node_name


def test_nodes(c, consul_agent):
    index, nodes = c.coordinate.nodes()
    assert index >= 1
    assert [n["Node"] for n in nodes] == [consul_agent.config.node_name]
    assert len(nodes[0]["Coord"]["Vec"]) == 8


def test_node(c, consul_agent):
    name = consul_agent.config.node_name
    _, coords = c.coordinate.node(name)
    assert coords is not None
    assert coords[0]["Node"] == name


def test_node_without_coordinates_is_none(c):
    index, coords = c.coordinate.node("nobody")
    assert coords is None
    assert index >= 1


def test_update_is_accepted(c, consul_agent):
    coord = {"Vec": [0.0] * 8, "Error": 1.0, "Adjustment": 0.0, "Height": 0.0001}
    assert c.coordinate.update(consul_agent.config.node_name, coord) is True


def test_update_arguments_are_checked_before_any_request(c):
    with pytest.raises(ValueError, match="finite"):
        c.coordinate.update("n", {"Vec": [float("nan")] * 8})
    with pytest.raises(ValueError, match="unknown fields"):
        c.coordinate.update("n", {"Vec": [0.0] * 8, "Bogus": 1})
    with pytest.raises(TypeError, match="Vec"):
        c.coordinate.update("n", {"Vec": "nope"})
    with pytest.raises(ValueError, match="node"):
        c.coordinate.node("")
