"""The agent's host, version, metrics, monitor, tokens, Connect, profiles: every client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from harness import close_stream, take

import consul
from consul.testing import DevAgent

SERVICE_URI = "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web"


@pytest.fixture(scope="module")
def quick_agent() -> Iterator[DevAgent]:
    """An agent whose metrics intervals last a twentieth of a second."""
    with DevAgent(metrics_interval=0.05) as agent:
        yield agent


def test_host_and_version(c):
    assert c.agent.version()["HumanVersion"] == "1.22.0"
    host = c.agent.host()
    assert host["Memory"]["total"] > 0
    assert host["Host"]["hostname"]


def test_metrics(c):
    c.kv.put("k", "v")
    summary = c.agent.metrics()
    assert set(summary) >= {"Timestamp", "Gauges", "Counters", "Samples"}
    with pytest.raises(consul.ClientError, match="Prometheus is not enabled") as caught:
        c.agent.metrics(format_prometheus=True)
    assert caught.value.status == 415


def test_metrics_stream(connect, adapter, quick_agent):
    c = connect(quick_agent)
    if adapter == "callback":
        with pytest.raises(NotImplementedError, match="python-consul's http objects"):
            c.agent.metrics_stream()
        return
    stream = c.agent.metrics_stream()
    try:
        documents = take(c, stream, 2)
    finally:
        close_stream(c, stream)
    assert len(documents) == 2
    assert all("Gauges" in d for d in documents)
    assert documents[0]["Timestamp"] <= documents[1]["Timestamp"]


def test_monitor_streams_lines_from_the_level_asked(c, adapter):
    if adapter == "callback":
        with pytest.raises(NotImplementedError, match="streams until it is stopped"):
            c.agent.monitor()
        return
    stream = c.agent.monitor(loglevel="debug")
    try:
        c.agent.service.register("web")
        lines = []
        finished = "[DEBUG] agent.http: Request finished: method=PUT url=/v1/agent/service/register"
        while not any(finished in line for line in lines):
            lines += take(c, stream, 1)
    finally:
        close_stream(c, stream)
    assert any("[INFO]  agent: Synced service: service=web" in line for line in lines)
    assert all(not line.endswith("\n") for line in lines)


def test_monitor_in_json(c, adapter):
    if adapter == "callback":
        return  # refused, as above
    stream = c.agent.monitor(loglevel="info", logjson=True)
    try:
        c.agent.maintenance(True)
        lines = take(c, stream, 2)
    finally:
        close_stream(c, stream)
    assert [json.loads(line)["@message"] for line in lines] == [
        "Synced check",
        "Node entered maintenance mode",
    ]


def test_a_stream_refused_raises_at_once(c, adapter):
    if adapter == "callback":
        return
    with pytest.raises(consul.BadRequest, match="Unknown log level: loud"):
        c.agent.monitor(loglevel="loud")


def test_closing_the_client_ends_a_stream_with_client_closed(connect, adapter, consul_agent):
    if adapter == "callback":
        return
    c = connect()
    stream = c.agent.monitor()
    c.close()
    with pytest.raises(consul.ClientClosed):
        take(c, stream, 1)


def test_agent_tokens(connect, consul_acl_agent, c):
    with pytest.raises(consul.ACLDisabled, match="ACL support disabled"):
        c.agent.token.set_default("x")
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    anonymous = connect(consul_acl_agent)
    root.kv.put("k", "v")
    with pytest.raises(consul.ACLPermissionDenied):
        anonymous.kv.get("k")
    policy = root.acl.policy.create("reader", rules='key "k" { policy = "read" }')
    reader = root.acl.token.create(policies_name=[policy["Name"]])
    assert root.agent.token.set_default(reader["SecretID"]) is True
    assert anonymous.kv.get("k")[1]["Value"] == b"v"
    assert root.agent.token.set_agent("t") is True
    assert root.agent.token.set_agent_recovery("t") is True
    assert root.agent.token.set_replication("t") is True
    assert root.agent.token.set_dns("t") is True
    assert root.agent.token.set_config_file_service_registration("t") is True
    assert root.agent.token.set("acl_token", "") is True
    with pytest.raises(consul.NotFound, match='Token "nope" is unknown'):
        root.agent.token.set("nope", "t")


def test_connect_authorize_and_ca(c):
    answer = c.agent.connect.authorize("db", SERVICE_URI)
    assert answer == {"Authorized": True, "Reason": "Default behavior configured by ACLs"}
    with pytest.raises(consul.BadRequest, match="not a valid Connect identifier"):
        c.agent.connect.authorize("db", "http://x", client_cert_serial="01")
    roots = c.agent.connect.ca.roots()
    assert roots == c.connect.ca.roots()
    leaf = c.agent.connect.ca.leaf("web")
    assert leaf["ServiceURI"] == f"spiffe://{roots['TrustDomain']}/ns/default/dc/dc1/svc/web"
    assert leaf["PrivateKeyPEM"].startswith("-----BEGIN EC PRIVATE KEY-----")


def test_local_health_as_text(c):
    c.agent.service.register("web", service_id="web-1", check=consul.Check.ttl("30s"))
    assert c.agent.health.status_by_id("web-1") == "critical"
    c.agent.check.ttl_warn("service:web-1")
    assert c.agent.health.status_by_id("web-1") == "warning"
    c.agent.check.ttl_pass("service:web-1")
    assert c.agent.health.status_by_name("web") == "passing"
    with pytest.raises(consul.NotFound, match="ServiceId nope not found"):
        c.agent.health.status_by_id("nope")


def test_profiles_are_not_served_by_the_embedded_agent(c):
    # An agent without enable_debug (and ACLs off) answers 404 with no body.
    for profile in (c.debug.heap, c.debug.goroutine):
        with pytest.raises(consul.NotFound):
            profile()
    with pytest.raises(consul.NotFound):
        c.debug.pprof("allocs", seconds=1)
    with pytest.raises(ValueError, match="seconds must be at least 1"):
        c.debug.profile(seconds=0)
    with pytest.raises(ValueError, match="must not contain '/'"):
        c.debug.pprof("a/b")


def test_profiles_with_acls(connect, consul_acl_agent):
    anonymous = connect(consul_acl_agent)
    with pytest.raises(consul.ACLPermissionDenied):
        anonymous.debug.trace(seconds=1)
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    with pytest.raises(consul.NotFound, match="Unknown profile"):
        root.debug.profile(seconds=1)
