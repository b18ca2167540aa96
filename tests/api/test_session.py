"""Sessions through every client."""

from __future__ import annotations

import json

import pytest
from harness import wait_blocked

import consul
from consul.api.session import Session

SECOND = 1_000_000_000


def test_create_with_defaults_then_read_it_back(c, consul_agent):
    session_id = c.session.create()
    assert isinstance(session_id, str)
    index, found = c.session.info(session_id)
    assert found["ID"] == session_id
    assert found["Node"] == consul_agent.config.node_name
    assert found["LockDelay"] == 15 * SECOND
    assert found["Behavior"] == "release"
    assert found["NodeChecks"] == ["serfHealth"]
    assert found["TTL"] == ""
    assert index == found["CreateIndex"]


def test_create_with_every_setting(c, consul_agent):
    node = consul_agent.config.node_name
    session_id = c.session.create(
        name="web-lock", node=node, lock_delay=2.5, behavior="delete", ttl=20
    )
    _, found = c.session.info(session_id)
    assert found["Name"] == "web-lock"
    assert found["LockDelay"] == 2_500_000_000
    assert found["Behavior"] == "delete"
    assert found["TTL"] == "20s"


def test_durations_as_strings(c):
    _, found = c.session.info(c.session.create(lock_delay="250ms", ttl="1m"))
    assert (found["LockDelay"], found["TTL"]) == (250_000_000, "1m")


def test_checks_of_a_session(c, consul_agent):
    c.catalog.register(
        "n2",
        "10.0.0.2",
        service={"Service": "web"},
        checks=[
            {"CheckID": "serfHealth", "Name": "serf", "Status": "passing"},
            {"CheckID": "disk", "Name": "disk", "Status": "passing"},
            {"CheckID": "web-alive", "Name": "web", "Status": "passing", "ServiceID": "web"},
        ],
    )
    _, modern = c.session.info(
        c.session.create(
            node="n2", node_checks=["serfHealth", "disk"], service_checks=["web-alive"]
        )
    )
    assert modern["NodeChecks"] == ["serfHealth", "disk"]
    assert modern["ServiceChecks"] == [{"ID": "web-alive", "Namespace": ""}]
    _, legacy = c.session.info(c.session.create(node="n2", checks=["serfHealth", "disk"]))
    assert legacy["Checks"] == ["serfHealth", "disk"]
    _, unchecked = c.session.info(c.session.create(node="n2", node_checks=[]))
    assert unchecked["NodeChecks"] == []


def test_destroy(c):
    session_id = c.session.create()
    assert c.session.destroy(session_id) is True
    assert c.session.info(session_id)[1] is None
    assert c.session.destroy(session_id) is True


def test_list_and_node(c, consul_agent):
    first, second = c.session.create(), c.session.create()
    index, listed = c.session.list()
    assert sorted(s["ID"] for s in listed) == sorted([first, second])
    assert index == max(s["CreateIndex"] for s in listed)
    _, mine = c.session.node(consul_agent.config.node_name)
    assert sorted(s["ID"] for s in mine) == sorted([first, second])
    assert c.session.node("nobody")[1] == []


def test_renew(c):
    session_id = c.session.create(ttl=10)
    renewed = c.session.renew(session_id)
    assert renewed["ID"] == session_id
    assert renewed["TTL"] == "10s"


def test_renew_of_a_gone_session_raises_not_found(c):
    with pytest.raises(consul.NotFound, match="Session id 'nope' not found"):
        c.session.renew("nope")


def test_consistency_modes(c):
    session_id = c.session.create()
    for mode in ("default", "consistent", "stale"):
        assert c.session.info(session_id, consistency=mode)[1]["ID"] == session_id
        assert len(c.session.list(consistency=mode)[1]) == 1


def test_server_side_validation_errors(c):
    with pytest.raises(consul.ServerError, match="Invalid Session TTL '5000000000'"):
        c.session.create(ttl=5)
    with pytest.raises(consul.ServerError, match="Missing node registration"):
        c.session.create(node="nowhere")
    with pytest.raises(consul.ServerError, match="Missing check 'nope' registration"):
        c.session.create(node_checks=["nope"])


def test_unknown_datacenter(c):
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.session.list(dc="nowhere")


def test_a_token_is_accepted_on_every_method(c, consul_agent):
    session_id = c.session.create(token="t")
    assert c.session.renew(session_id, token="t")["ID"] == session_id
    assert c.session.info(session_id, token="t")[1]["ID"] == session_id
    assert c.session.node(consul_agent.config.node_name, token="t")[1]
    assert c.session.list(token="t")[1]
    assert c.session.destroy(session_id, token="t") is True


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"behavior": "keep"}, ValueError, "behavior must be 'release' or 'delete'"),
        ({"ttl": -1}, ValueError, "ttl must not be negative"),
        ({"ttl": 86401}, ValueError, "ttl must be at most 24 hours"),
        ({"ttl": "soon"}, ValueError, "ttl must be a duration"),
        ({"lock_delay": -1}, ValueError, "lock_delay must not be negative"),
        ({"checks": "serfHealth"}, TypeError, "checks must be a list of check IDs"),
        ({"node_checks": [1]}, TypeError, "node_checks must be a list of check IDs"),
        ({"service_checks": [{"Namespace": "x"}]}, TypeError, "service_checks must hold"),
        ({"node": ""}, ValueError, "node must not be empty"),
        ({"name": 5}, TypeError, "name must be a str"),
    ],
)
def test_bad_arguments_fail_before_any_request(c, kwargs, error, message):
    with pytest.raises(error, match=message):
        c.session.create(**kwargs)


@pytest.mark.parametrize("method", ["destroy", "renew", "info"])
def test_a_session_id_is_required(c, method):
    with pytest.raises(ValueError, match="session_id must not be empty"):
        getattr(c.session, method)("")


# -- locks ---------------------------------------------------------------------------------


def test_a_lock_taken_with_acquire_and_released(c):
    holder, other = c.session.create(lock_delay=0), c.session.create(lock_delay=0)
    assert c.kv.put("service/leader", "me", acquire=holder) is True
    assert c.kv.put("service/leader", "them", acquire=other) is False
    _, entry = c.kv.get("service/leader")
    assert entry["Session"] == holder
    assert entry["LockIndex"] == 1
    assert c.kv.put("service/leader", "bye", release=other) is False
    assert c.kv.put("service/leader", "bye", release=holder) is True
    _, entry = c.kv.get("service/leader")
    assert "Session" not in entry
    assert entry["Value"] == b"bye"
    assert c.kv.put("service/leader", "them", acquire=other) is True


def test_ending_a_session_releases_its_lock(c):
    holder = c.session.create(lock_delay=0)
    c.kv.put("lock", "v", acquire=holder)
    c.session.destroy(holder)
    _, entry = c.kv.get("lock")
    assert "Session" not in entry
    assert c.kv.put("lock", "v", acquire=c.session.create()) is True


def test_lock_delay_keeps_a_released_key_locked_for_a_while(c):
    holder = c.session.create(lock_delay=60)
    c.kv.put("lock", "v", acquire=holder)
    c.session.destroy(holder)
    assert c.kv.put("lock", "v", acquire=c.session.create()) is False


def test_delete_behavior_deletes_the_key(c):
    holder = c.session.create(behavior="delete", lock_delay=0)
    c.kv.put("ephemeral", "v", acquire=holder)
    c.session.destroy(holder)
    assert c.kv.get("ephemeral")[1] is None


# -- blocking ------------------------------------------------------------------------------


def test_blocking_on_the_session_list(c, consul_agent):
    index, listed = c.session.list()
    assert listed == []
    pending = c.start.session.list(index=index, wait="10s")
    wait_blocked(consul_agent)
    session_id = c.session.create()
    new_index, listed = pending.result(10)
    assert new_index > index
    assert [s["ID"] for s in listed] == [session_id]


def test_blocking_on_a_session_until_it_ends(c, consul_agent):
    session_id = c.session.create()
    index, _ = c.session.info(session_id)
    pending = c.start.session.info(session_id, index=index, wait=10)
    wait_blocked(consul_agent)
    c.session.destroy(session_id)
    new_index, found = pending.result(10)
    assert found is None
    assert new_index > index


def test_blocking_on_a_node_times_out_with_its_index(c, consul_agent):
    c.session.create()
    node = consul_agent.config.node_name
    index, sessions = c.session.node(node)
    assert c.session.node(node, index=index, wait="20ms") == (index, sessions)


# -- requests, without any I/O ---------------------------------------------------------------


@pytest.fixture
def group():
    """A client's session group, for building requests without sending them."""
    with consul.Consul(token="client-token") as client:
        yield client.session


def test_create_request(group):
    call = Session.create(
        group, "n", None, ["serfHealth"], 0, "delete", 10.5, "dc2", "secret",
        service_checks=[{"ID": "c", "Namespace": "ns"}],
    )  # fmt: skip
    request = call.request
    assert (request.method, request.path) == ("PUT", "/v1/session/create")
    assert request.params == (("dc", "dc2"),)
    assert ("X-Consul-Token", "secret") in request.headers
    assert json.loads(request.body) == {
        "Name": "n",
        "Checks": ["serfHealth"],
        "ServiceChecks": [{"ID": "c", "Namespace": "ns"}],
        "LockDelay": "0s",
        "Behavior": "delete",
        "TTL": "10500ms",
    }


def test_read_requests_quote_the_id_and_block(group):
    request = Session.info(group, "a b", index=5, wait=2, consistency="stale").request
    assert request.path == "/v1/session/info/a%20b"
    assert request.params == (("stale", ""), ("index", "5"), ("wait", "2000ms"))
    assert ("X-Consul-Token", "client-token") in request.headers
    assert request.wait == 2
