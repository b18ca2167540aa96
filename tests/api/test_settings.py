"""A client's token, datacenter and consistency mode can change after it is built.

python-consul programs (Patroni among them) set ``token``, ``dc`` and
``consistency`` on the client, at construction and on reloading their
configuration; the next call uses the new value.
"""

from __future__ import annotations

import pytest

import consul


def test_token_set_after_construction_is_used(connect, consul_acl_agent):
    c = connect(agent=consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied):
        c.kv.put("k", b"v")
    c.unwrapped.token = consul_acl_agent.management_token
    assert c.kv.put("k", b"v") is True
    c.unwrapped.token = None
    with pytest.raises(consul.ACLPermissionDenied):
        c.kv.get("k")


def test_dc_set_after_construction_is_used(connect, consul_agent):
    c = connect()
    c.kv.put("k", b"v")
    c.unwrapped.dc = "elsewhere"
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.kv.get("k")
    c.unwrapped.dc = None
    assert c.kv.get("k")[1]["Value"] == b"v"


def test_consistency_set_after_construction_is_used(c):
    # What it puts in the query is checked in tests/unit/test_http.py.
    c.kv.put("k", b"v")
    c.unwrapped.consistency = "stale"
    assert c.kv.get("k")[1]["Value"] == b"v"
    c.unwrapped.consistency = "eventual"
    with pytest.raises(ValueError, match="consistency must be"):
        c.kv.get("k")


def test_the_groups_classes_have_python_consuls_names(c):
    client = c.unwrapped
    assert type(client.kv) is type(client).KV is consul.Consul.KV
    assert type(client.agent.service) is type(client).Agent.Service
    assert type(client.agent.check) is type(client).Agent.Check
    groups = ("ACL", "Catalog", "Coordinate", "Event", "Health", "Query", "Session", "Status")
    groups += ("Txn",)
    for name in groups:
        assert type(getattr(client, name.lower())) is getattr(consul.Consul, name)
    # python-consul's groups called their client ``agent``.
    assert client.kv.agent is client
