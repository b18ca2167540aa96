"""What the calls of Consul Enterprise (and the other calls no agent here serves) send and read.

No server: a :class:`~consul.transport.MockTransport` answers as Consul
Enterprise would, with the shapes of Go's ``api`` package; where Consul CE
does not read ``ns`` and ``partition``, the request alone shows they are sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import consul
from consul.api.acl import ACL
from consul.api.agent import Agent
from consul.api.agent_connect import AgentConnectCA
from consul.api.agent_token import AgentTokens
from consul.api.connect import ConnectCA
from consul.api.event import Event
from consul.api.intentions import ConnectIntentions
from consul.api.operator import Operator
from consul.api.query import Query
from consul.api.snapshot import Snapshot
from consul.api.status import Status
from consul.transport import MockTransport, Request, Response, respond


def client(handler: Callable[[Request], Response]) -> tuple[consul.Consul, MockTransport]:
    mock = MockTransport(handler)
    return consul.Consul(transport=mock), mock


def sent(mock: MockTransport) -> tuple[str, str, list[tuple[str, str]], Any]:
    (request,) = mock.requests
    body = json.loads(request.body) if request.body else None
    return request.method, request.path, list(request.params), body


def test_namespace_create_sends_the_namespace():
    c, mock = client(lambda r: respond(r, json={"Name": "team", "CreateIndex": 5}))
    with c:
        acls = {"PolicyDefaults": [{"Name": "readers"}]}
        assert c.namespace.create("team", "Team", acls=acls, meta={"k": "v"})["CreateIndex"] == 5
    assert sent(mock) == (
        "PUT",
        "/v1/namespace",
        [],
        {"Name": "team", "Description": "Team", "ACLs": acls, "Meta": {"k": "v"}},
    )


def test_namespace_update_and_read_escape_the_name():
    c, mock = client(lambda r: respond(r, json={"Name": "a b"}, index=9))
    with c:
        c.namespace.update("a b")
        assert c.namespace.read("a b", partition="p") == (9, {"Name": "a b"})
        with pytest.raises(ValueError, match="one path segment"):
            c.namespace.read("a/b")
    assert [(r.method, r.path) for r in mock.requests] == [
        ("PUT", "/v1/namespace/a%20b"),
        ("GET", "/v1/namespace/a%20b"),
    ]
    assert list(mock.requests[1].params) == [("partition", "p")]


def test_partition_list_unwraps_the_partitions():
    partitions = {"Partitions": [{"Name": "default"}, {"Name": "part"}]}
    c, mock = client(lambda r: respond(r, json=partitions, index=3))
    with c:
        assert c.partition.list() == (3, [{"Name": "default"}, {"Name": "part"}])
    assert sent(mock)[:2] == ("GET", "/v1/partitions")


def test_area_create_returns_the_id():
    c, mock = client(lambda r: respond(r, json={"ID": "8f246b77"}))
    with c:
        assert c.operator.area_create("dc2", ["10.1.2.3"], use_tls=True) == "8f246b77"
    assert sent(mock) == (
        "POST",
        "/v1/operator/area",
        [],
        {"PeerDatacenter": "dc2", "RetryJoin": ["10.1.2.3"], "UseTLS": True},
    )


def test_area_join_sends_the_addresses_as_a_list():
    joined = [{"Address": "10.1.2.3", "Joined": True, "What": ""}]
    c, mock = client(lambda r: respond(r, json=joined))
    with c:
        assert c.operator.area_join("8f246b77", ["10.1.2.3"]) == joined
    assert sent(mock) == ("PUT", "/v1/operator/area/8f246b77/join", [], ["10.1.2.3"])


def test_signed_license_is_text_and_put_sends_it_raw():
    c, mock = client(lambda r: respond(r, body="01MV4UU43BK5HGYYTOJZWFQMTMNNEWU33JJ"))
    with c:
        assert c.operator.license_get_signed() == "01MV4UU43BK5HGYYTOJZWFQMTMNNEWU33JJ"
    assert list(mock.requests[0].params) == [("signed", "1")]
    c, mock = client(lambda r: respond(r, json={"Valid": True, "License": None, "Warnings": []}))
    with c:
        assert c.operator.license_put("01MV4")["Valid"] is True
    assert mock.requests[0].body == b"01MV4"


def test_audit_hash_and_feature_gates():
    c, mock = client(lambda r: respond(r, json={"Hash": "hmac-sha256:4a2b"}))
    with c:
        assert c.operator.audit_hash("secret") == "hmac-sha256:4a2b"
    assert sent(mock) == ("POST", "/v1/operator/audit-hash", [], {"Input": "secret"})
    c, mock = client(lambda r: respond(r, json={"Applied": True, "Feature": {}}))
    with c:
        assert c.operator.feature_gate_set("v2dns", False, cas=7)["Applied"] is True
    assert sent(mock) == ("PUT", "/v1/operator/feature/v2dns", [("cas", "7")], {"Enabled": False})


def test_imported_services_and_virtual_ips():
    c, mock = client(lambda r: respond(r, json=[{"Service": "web", "SourcePeer": "p"}], index=4))
    with c:
        assert c.imported_services.list() == (4, [{"Service": "web", "SourcePeer": "p"}])
    assert sent(mock)[:2] == ("GET", "/v1/imported-services")
    c, mock = client(lambda r: respond(r, json={"Found": True, "UnassignedFrom": None}))
    with c:
        assert c.internal.assign_service_virtual_ip("web", ["240.0.0.1"])["Found"] is True
    assert sent(mock) == (
        "PUT",
        "/v1/internal/service-virtual-ip",
        [],
        {"Service": "web", "ManualVIPs": ["240.0.0.1"]},
    )


@pytest.mark.parametrize("partition", ["", None])
def test_peering_sends_no_empty_partition(partition):
    c, mock = client(lambda r: respond(r, json={"PeeringToken": "dG9rZW4="}))
    with c:
        assert c.peering.generate_token("web", partition=partition) == "dG9rZW4="
    assert sent(mock) == ("POST", "/v1/peering/token", [], {"PeerName": "web"})


def test_a_missing_one_is_none_with_its_index_or_zero():
    c, _ = client(lambda r: respond(r, 404, body="Namespace not found", index=5))
    with c:
        assert c.namespace.read("team") == (5, None)
    c, _ = client(lambda r: respond(r, 404, body='Peering not found for "web"'))
    with c:
        assert c.peering.read("web") == (0, None)


@pytest.mark.parametrize(
    "call",
    [
        lambda c, o: Event.fire(c.event, "deploy", **o),
        lambda c, o: Event.list(c.event, **o),
        lambda c, o: Query.create(c.query, "web", **o),
        lambda c, o: Query.update(c.query, "q1", "web", **o),
        lambda c, o: Query.get(c.query, "q1", **o),
        lambda c, o: Query.list(c.query, **o),
        lambda c, o: Query.delete(c.query, "q1", **o),
        lambda c, o: Query.execute(c.query, "web", **o),
        lambda c, o: Query.explain(c.query, "web", **o),
        lambda c, o: ConnectCA.roots(c.connect.ca, **o),
        lambda c, o: ConnectCA.configuration(c.connect.ca, **o),
        lambda c, o: ConnectCA.set_configuration(c.connect.ca, "consul", **o),
        lambda c, o: ConnectIntentions.get(c.connect.intentions, "i1", **o),
        lambda c, o: ConnectIntentions.delete(c.connect.intentions, "i1", **o),
        lambda c, o: AgentConnectCA.roots(c.agent.connect.ca, **o),
        lambda c, o: AgentTokens.set(c.agent.token, "dns", "t", **o),
        lambda c, o: AgentTokens.set_default(c.agent.token, "t", **o),
        lambda c, o: AgentTokens.set_agent(c.agent.token, "t", **o),
        lambda c, o: AgentTokens.set_agent_recovery(c.agent.token, "t", **o),
        lambda c, o: AgentTokens.set_replication(c.agent.token, "t", **o),
        lambda c, o: AgentTokens.set_config_file_service_registration(c.agent.token, "t", **o),
        lambda c, o: AgentTokens.set_dns(c.agent.token, "t", **o),
        lambda c, o: ACL.logout(c.acl, "secret", **o),
        lambda c, o: ACL.replication(c.acl, **o),
        lambda c, o: ACL.oidc_auth_url(c.acl, "oidc", "http://localhost/cb", **o),
        lambda c, o: ACL.oidc_callback(c.acl, "oidc", "state", "code", **o),
        lambda c, o: Agent.monitor(c.agent, **o),
        lambda c, o: Operator.raft_config(c.operator, **o),
        lambda c, o: Operator.raft_remove_peer(c.operator, "10.0.0.1:8300", **o),
        lambda c, o: Operator.autopilot_configuration(c.operator, **o),
        lambda c, o: next(Operator.update_autopilot_configuration(c.operator, **o)),
        lambda c, o: Operator.autopilot_health(c.operator, **o),
        lambda c, o: Operator.autopilot_state(c.operator, **o),
        lambda c, o: Operator.keyring_list(c.operator, **o),
        lambda c, o: Operator.keyring_install(c.operator, "k", **o),
        lambda c, o: Operator.keyring_use(c.operator, "k", **o),
        lambda c, o: Operator.keyring_remove(c.operator, "k", **o),
        lambda c, o: Status.leader(c.status, **o),
        lambda c, o: Status.peers(c.status, **o),
        lambda c, o: Snapshot.save(c.snapshot, **o),
        lambda c, o: Snapshot.save_to(c.snapshot, "snap.tgz", **o),
        lambda c, o: Snapshot.stream(c.snapshot, **o),
        lambda c, o: Snapshot.restore(c.snapshot, b"archive", **o),
        lambda c, o: Snapshot.restore(c.snapshot, "snap.tgz", **o),
    ],
)
def test_ns_and_partition_go_where_consul_ce_does_not_read_them(call):
    # Consul CE's handlers of these never parse ?ns nor ?partition, so only
    # the request shows that the client sends them, as Go's client does
    # (api/api.go: setQueryOptions, setWriteOptions).
    with consul.Consul() as c:
        request = call(c, {"ns": "team", "partition": "part"}).request
    assert [p for p in request.params if p[0] in ("ns", "partition")] == [
        ("ns", "team"),
        ("partition", "part"),
    ]


def test_the_autopilot_update_sends_them_on_its_read_and_its_write():
    scope = {"ns": "team", "partition": "part"}
    with consul.Consul() as c:
        steps = Operator.update_autopilot_configuration(c.operator, max_trailing_logs=300, **scope)
        read = next(steps).request
        write = steps.send({"ModifyIndex": 5, "MaxTrailingLogs": 250}).request
    assert (read.method, write.method) == ("GET", "PUT")
    assert [p for p in read.params if p[0] in scope] == list(scope.items())
    assert list(write.params) == [("cas", "5"), *scope.items()]
