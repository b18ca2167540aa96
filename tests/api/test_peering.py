"""Cluster peering (``client.peering``): every client against the embedded agent."""

from __future__ import annotations

import base64
import json

import pytest
from harness import wait_blocked

import consul


def test_a_token_makes_a_pending_peering(c):
    token = c.peering.generate_token("web", meta={"env": "test"})
    decoded = json.loads(base64.b64decode(token))
    roots = c.connect.ca.roots()
    assert decoded["CA"] == [r["RootCert"] for r in roots["Roots"]]
    assert decoded["ServerName"] == f"server.dc1.peering.{roots['TrustDomain']}"
    assert decoded["Remote"] == {"Partition": "default", "Datacenter": "dc1", "Locality": None}
    index, peering = c.peering.read("web")
    assert peering is not None
    assert peering["ID"] == decoded["PeerID"]
    assert peering["State"] == "PENDING"
    assert peering["Meta"] == {"env": "test"}
    assert index == peering["ModifyIndex"]
    assert [p["Name"] for p in c.peering.list()[1]] == ["web"]
    # A new token keeps the peering and rotates its secret.
    again = json.loads(base64.b64decode(c.peering.generate_token("web")))
    assert again["PeerID"] == decoded["PeerID"]
    assert again["EstablishmentSecret"] != decoded["EstablishmentSecret"]


def test_external_addresses_go_into_the_token(c):
    token = c.peering.generate_token("web", server_external_addresses=["10.0.0.1:8503"])
    assert json.loads(base64.b64decode(token))["ManualServerAddresses"] == ["10.0.0.1:8503"]


def test_missing_peerings(c):
    assert c.peering.read("nope") == (0, None)
    assert c.peering.list() == (1, [])
    assert c.peering.delete("nope") is True


def test_establishing_with_a_token_of_the_same_cluster_fails(c):
    token = c.peering.generate_token("web")
    with pytest.raises(consul.ServerError, match="cannot create a peering within the same cluster"):
        c.peering.establish("other", token)
    with pytest.raises(consul.ServerError, match="failed to decode token"):
        c.peering.establish("other", "not a token")
    with pytest.raises(consul.ServerError, match="is not a valid peer name"):
        c.peering.generate_token("Web")


def test_delete_marks_then_removes(c, consul_agent):
    c.peering.generate_token("web")
    index, _ = c.peering.list()
    assert c.peering.delete("web") is True
    # The leader removes the peering after marking it: wait for the list to empty.
    while (listing := c.peering.list(index=index, wait="5s"))[1]:
        assert listing[1][0]["State"] == "DELETING"
        index = listing[0]
    assert c.peering.read("web")[1] is None


def test_blocking_read_waits_for_the_peering(c, consul_agent):
    assert c.peering.read("web")[1] is None
    # The 404 has no index: block from the table's, as the list reports it.
    index, _ = c.peering.list()
    pending = c.start.peering.read("web", index=index, wait="10s")
    wait_blocked(consul_agent)
    c.peering.generate_token("web")
    new_index, peering = pending.result(10)
    assert peering["Name"] == "web"
    assert new_index == peering["ModifyIndex"]


def test_peering_acls(connect, consul_acl_agent):
    anonymous = connect(consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied, match="peering:write"):
        anonymous.peering.generate_token("web")
    with pytest.raises(consul.ACLPermissionDenied, match="peering:read"):
        anonymous.peering.list()
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    root.peering.generate_token("web")
    assert root.peering.read("web")[1]["Name"] == "web"


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(ValueError, match="peer_name"):
        c.peering.generate_token("")
    with pytest.raises(ValueError, match="peering_token"):
        c.peering.establish("web", "")
    with pytest.raises(TypeError, match="meta"):
        c.peering.generate_token("web", meta=[("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="server_external_addresses"):
        c.peering.generate_token("web", server_external_addresses="10.0.0.1:8503")
    with pytest.raises(ValueError, match="name"):
        c.peering.read("")
