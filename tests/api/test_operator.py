"""``client.operator``: Raft, autopilot, the keyring and usage, through every client."""

from __future__ import annotations

import json

import pytest

import consul
from consul._http import Request, Response
from consul.api.operator import _health


def test_raft_config_as_python_consul_had_it(c, consul_agent):
    config = c.operator.raft_config()
    [server] = config["Servers"]
    assert server["Node"] == consul_agent.config.node_name
    assert server["ID"] == consul_agent.config.node_id
    assert server["Leader"] is True
    assert config["Index"] == 1
    assert c.operator.raft_config(consistency="stale")["Servers"] == config["Servers"]


def test_removing_the_only_peer_and_transferring_leadership_fail(c, consul_agent):
    with pytest.raises(consul.ServerError, match="was not found in the Raft configuration"):
        c.operator.raft_remove_peer(address="10.1.1.1:8300")
    with pytest.raises(consul.ServerError, match="need at least one voter"):
        c.operator.raft_remove_peer(peer_id=consul_agent.config.node_id)
    with pytest.raises(consul.ServerError, match="cannot find peer"):
        c.operator.raft_transfer_leader()
    with pytest.raises(consul.ServerError, match="Could not find address for server id x"):
        c.operator.raft_transfer_leader(peer_id="x")


def test_raft_arguments_are_checked_before_sending(c):
    with pytest.raises(ValueError, match="give address or peer_id"):
        c.operator.raft_remove_peer()
    with pytest.raises(ValueError, match="give address or peer_id"):
        c.operator.raft_remove_peer(address="a", peer_id="b")


def test_autopilot_configuration_changes_only_what_is_given(c):
    before = c.operator.autopilot_configuration()
    assert before["LastContactThreshold"] == "200ms"
    assert c.operator.update_autopilot_configuration(max_trailing_logs=10, redundancy_zone_tag="z")
    assert c.operator.update_autopilot_configuration(last_contact_threshold=1.5) is True
    after = c.operator.autopilot_configuration()
    # A PUT of one field would have reset the others to the defaults.
    assert after["MaxTrailingLogs"] == 10
    assert after["RedundancyZoneTag"] == "z"
    assert after["LastContactThreshold"] == "1.5s"
    assert after["CreateIndex"] == before["CreateIndex"]


def test_autopilot_cas(c):
    index = c.operator.autopilot_configuration()["ModifyIndex"]
    assert c.operator.update_autopilot_configuration(min_quorum=1, cas=index - 1) is False
    assert c.operator.autopilot_configuration()["MinQuorum"] == 0
    assert c.operator.update_autopilot_configuration(min_quorum=1, cas=index) is True
    assert c.operator.autopilot_configuration()["MinQuorum"] == 1


def test_autopilot_arguments_are_checked(c):
    with pytest.raises(ValueError, match="max_trailing_logs must not be negative"):
        c.operator.update_autopilot_configuration(max_trailing_logs=-1)
    with pytest.raises(TypeError, match="cleanup_dead_servers must be a bool"):
        c.operator.update_autopilot_configuration(cleanup_dead_servers="yes")
    with pytest.raises(ValueError, match="last_contact_threshold must be a duration"):
        c.operator.update_autopilot_configuration(last_contact_threshold="soon")


def test_autopilot_health_and_state(c, consul_agent):
    health = c.operator.autopilot_health()
    assert health["Healthy"] is True
    assert [s["Name"] for s in health["Servers"]] == [consul_agent.config.node_name]
    state = c.operator.autopilot_state()
    assert state["Leader"] == consul_agent.config.node_id


def test_an_unhealthy_answer_is_data_not_an_error():
    # A 429 is how Consul says "not healthy" (or not evaluated yet): the same body.
    request = Request("GET", "/v1/operator/autopilot/health")
    body = {"Healthy": False, "FailureTolerance": 0, "Servers": None}
    answer = Response(429, (), json.dumps(body).encode(), request)
    assert _health(answer) == body
    with pytest.raises(consul.ServerError):
        _health(Response(500, (), b"boom", request))


def test_keyring_without_encryption(c, consul_agent):
    node = consul_agent.config.node_name
    with pytest.raises(consul.ServerError, match=f"{node}: Keyring is empty"):
        c.operator.keyring_list()
    with pytest.raises(consul.ServerError, match="No keyring to modify"):
        c.operator.keyring_install("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=")
    with pytest.raises(consul.ServerError, match="No keyring to modify"):
        c.operator.keyring_use("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=", relay_factor=2)
    with pytest.raises(consul.ServerError, match="illegal base64 data"):
        c.operator.keyring_remove("not base64")
    with pytest.raises(consul.ServerError, match=r"2 errors occurred:\n\t\* dc1 \(LAN\)"):
        c.operator.keyring_list(local_only=True)
    with pytest.raises(ValueError, match="relay_factor must be from 0 to 5"):
        c.operator.keyring_list(relay_factor=9)


def test_usage(c):
    c.catalog.register("n1", "10.0.0.1", service={"Service": "web"})
    usage = c.operator.usage()
    assert usage["Usage"]["dc1"]["Services"] == 2
    assert usage["Usage"]["dc1"]["Nodes"] == 2
    assert c.operator.usage(global_=True, stale=True)["ConsistencyLevel"] == "stale"


def test_utilization_is_enterprise_only(c):
    with pytest.raises(consul.NotFound, match="requires Consul Enterprise"):
        c.operator.utilization(today_only=True)


def test_operator_needs_its_permissions(connect, consul_acl_agent):
    anonymous = connect(consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied, match="operator:read"):
        anonymous.operator.raft_config()
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    assert root.operator.raft_config()["Servers"]
