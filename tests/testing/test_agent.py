"""The embedded agent's ``/v1/agent`` endpoints, checked with raw HTTP.

Time-based behaviour (TTLs, check intervals, reaping, anti-entropy) is
observed through blocking queries on ``/v1/health``, with the smallest
durations Consul accepts.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from aiohttp import web
from harness import wait_blocked

from consul.testing import DevAgent

CALL = 10.0


def call(agent: DevAgent, method: str, path: str, **kwargs: Any) -> requests.Response:
    """One request to ``agent``."""
    kwargs.setdefault("timeout", CALL)
    return requests.request(method, agent.url + path, **kwargs)


def register(agent: DevAgent, body: Any, **kwargs: Any) -> requests.Response:
    response = call(agent, "PUT", "/v1/agent/service/register", json=body, **kwargs)
    assert response.status_code == 200, response.text
    return response


def watch(agent: DevAgent, path: str, done: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    """Blocking queries on ``path`` until ``done(body)``; the body."""
    deadline = time.monotonic() + timeout
    index = 0
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{path} never got there"
        params = {"index": str(index), "wait": f"{int(remaining * 1000) + 1}ms"}
        response = call(agent, "GET", path, params=params, timeout=remaining + CALL)
        assert response.status_code == 200, response.text
        body = response.json()
        if done(body):
            return body
        index = int(response.headers["X-Consul-Index"])


def check_of(checks: list[dict[str, Any]], check_id: str) -> dict[str, Any] | None:
    return next((c for c in checks if c["CheckID"] == check_id), None)


def watch_check(
    agent: DevAgent, service: str, check_id: str, status: str, timeout: float = 10.0
) -> dict[str, Any]:
    """Wait until the catalog shows ``check_id`` of ``service`` with ``status``."""

    def reached(checks: list[dict[str, Any]]) -> bool:
        check = check_of(checks, check_id)
        return check is not None and check["Status"] == status

    checks = watch(agent, f"/v1/health/checks/{service}", reached, timeout)
    found = check_of(checks, check_id)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def script_agent_session() -> Iterator[DevAgent]:
    """An agent started with ``enable_script_checks``."""
    with DevAgent(enable_script_checks=True) as agent:
        yield agent


@pytest.fixture
def script_agent(script_agent_session: DevAgent) -> DevAgent:
    script_agent_session.reset()
    return script_agent_session


@pytest.fixture(scope="module")
def quick_agent_session() -> Iterator[DevAgent]:
    """An agent whose reaping and anti-entropy run in fractions of a second."""
    with DevAgent(
        check_reap_interval=0.1,
        check_deregister_interval_min=0.5,
        ae_interval=0.2,
    ) as agent:
        yield agent


@pytest.fixture
def quick_agent(quick_agent_session: DevAgent) -> DevAgent:
    quick_agent_session.reset()
    return quick_agent_session


class Target:
    """A small HTTP server whose ``/health`` answers ``status`` with ``body``."""

    def __init__(self) -> None:
        self.status = 200
        self.body = "ok"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever)
        self.thread.start()
        self.runner, self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(
            CALL
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    async def _start(self) -> tuple[web.AppRunner, int]:
        async def health(request: web.Request) -> web.Response:
            return web.Response(status=self.status, text=self.body)

        app = web.Application()
        app.router.add_route("*", "/health", health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, int(runner.addresses[0][1])

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(CALL)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture
def target() -> Iterator[Target]:
    server = Target()
    yield server
    server.close()


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a fresh agent ----------------------------------------------------------------------


def test_a_fresh_agent_has_no_services_or_checks_of_its_own(consul_agent):
    assert call(consul_agent, "GET", "/v1/agent/services").json() == {}
    assert call(consul_agent, "GET", "/v1/agent/checks").json() == {}
    assert "consul" in call(consul_agent, "GET", "/v1/catalog/services").json()


def test_self_describes_the_dev_agent(consul_agent):
    response = call(consul_agent, "GET", "/v1/agent/self")
    assert response.status_code == 200
    assert "X-Consul-Index" not in response.headers
    body = response.json()
    assert list(body) == ["Config", "DebugConfig", "Coord", "Member", "Stats", "Meta", "xDS"]
    config = consul_agent.config
    assert body["Config"] == {
        "Datacenter": "dc1",
        "PrimaryDatacenter": "dc1",
        "NodeName": config.node_name,
        "NodeID": config.node_id,
        "Revision": "",
        "Server": True,
        "Version": "1.22.0",
        "BuildDate": "1970-01-01T00:00:01Z",
    }
    assert body["Member"]["Name"] == config.node_name
    assert body["Member"]["Tags"]["role"] == "consul"
    assert body["Meta"] == {"consul-network-segment": "", "consul-version": "1.22.0"}
    assert list(body["Coord"]) == ["Vec", "Error", "Adjustment", "Height"]


def test_self_has_the_xds_section_of_an_agent_serving_xds(consul_agent):
    # AgentSelf (agent/agent_endpoint.go) adds xDS whenever the xDS server
    # runs, as it does on a dev agent's gRPC port: the envoy versions it
    # supports, newest first, and Port preferring the TLS port.
    xds = call(consul_agent, "GET", "/v1/agent/self").json()["xDS"]
    assert list(xds) == ["SupportedProxies", "Port", "Ports"]
    envoy = xds["SupportedProxies"]["envoy"]
    versions = [tuple(int(part) for part in v.split(".")) for v in envoy]
    assert versions == sorted(versions, reverse=True)
    assert len(versions) == 4
    assert (xds["Port"], xds["Ports"]) == (8503, {"Plaintext": 8502, "TLS": 8503})


def test_xds_port_falls_back_to_the_plain_grpc_port():
    with DevAgent(grpc_tls_port=-1) as agent:
        xds = call(agent, "GET", "/v1/agent/self").json()["xDS"]
        assert (xds["Port"], xds["Ports"]) == (8502, {"Plaintext": 8502, "TLS": -1})
    with DevAgent(grpc_port=-1, grpc_tls_port=-1) as agent:
        assert "xDS" not in call(agent, "GET", "/v1/agent/self").json()


def test_the_agent_advertises_its_bind_address():
    # agent/config/builder.go: advertiseAddr defaults to bindAddr, the WAN one
    # to the LAN one; Serf and the catalog show what is advertised.
    with DevAgent(bind_addr="127.0.0.2", server_port=9300, serf_lan_port=9301) as agent:
        [member] = call(agent, "GET", "/v1/agent/members").json()
        assert (member["Addr"], member["Port"]) == ("127.0.0.2", 9301)
        assert member["Tags"]["port"] == "9300"
        [wan] = call(agent, "GET", "/v1/agent/members?wan=1").json()
        assert (wan["Addr"], wan["Port"]) == ("127.0.0.2", 8302)
        node = call(agent, "GET", f"/v1/catalog/node/{agent.config.node_name}").json()
        assert node["Node"]["Address"] == "127.0.0.2"
        assert node["Node"]["TaggedAddresses"] == {
            "lan": "127.0.0.2",
            "lan_ipv4": "127.0.0.2",
            "wan": "127.0.0.2",
            "wan_ipv4": "127.0.0.2",
        }
        assert node["Services"]["consul"]["Port"] == 9300
        assert call(agent, "GET", "/v1/status/leader").json() == "127.0.0.2:9300"


def test_advertise_addresses_win_over_the_bind_address():
    with DevAgent(advertise_addr="10.1.2.3", advertise_addr_wan="2001:db8::1") as agent:
        [member] = call(agent, "GET", "/v1/agent/members").json()
        [wan] = call(agent, "GET", "/v1/agent/members?wan=1").json()
        assert (member["Addr"], wan["Addr"]) == ("10.1.2.3", "2001:db8::1")
        node = call(agent, "GET", f"/v1/catalog/node/{agent.config.node_name}").json()["Node"]
        assert node["Address"] == "10.1.2.3"
        assert node["TaggedAddresses"] == {
            "lan": "10.1.2.3",
            "lan_ipv4": "10.1.2.3",
            "wan": "2001:db8::1",
            "wan_ipv6": "2001:db8::1",
        }
        peers = call(agent, "GET", "/v1/status/peers").json()
        assert peers == ["10.1.2.3:8300"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"bind_addr": "localhost"}, "bind_addr must be an ip address"),
        ({"advertise_addr": "0.0.0.0"}, "Advertise address cannot be 0.0.0.0, :: or [::]"),
        ({"advertise_addr_wan": "::"}, "Advertise WAN address cannot be 0.0.0.0, :: or [::]"),
    ],
)
def test_address_settings_consul_refuses(settings, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DevAgent(**settings)


def test_members_of_the_lan_and_the_wan(consul_agent):
    node = consul_agent.config.node_name
    [lan] = call(consul_agent, "GET", "/v1/agent/members").json()
    assert (lan["Name"], lan["Addr"], lan["Port"], lan["Status"]) == (node, "127.0.0.1", 8301, 1)
    assert list(lan) == [
        "Name",
        "Addr",
        "Port",
        "Tags",
        "Status",
        "ProtocolMin",
        "ProtocolMax",
        "ProtocolCur",
        "DelegateMin",
        "DelegateMax",
        "DelegateCur",
    ]
    assert list(lan["Tags"]) == sorted(lan["Tags"])
    assert lan["Tags"]["dc"] == "dc1"
    [wan] = call(consul_agent, "GET", "/v1/agent/members", params={"wan": "1"}).json()
    assert (wan["Name"], wan["Port"]) == (f"{node}.dc1", 8302)
    assert "segment" not in wan["Tags"]


def test_members_of_a_segment(consul_agent):
    response = call(consul_agent, "GET", "/v1/agent/members", params={"wan": "1", "segment": "a"})
    assert (response.status_code, response.text) == (400, "Cannot provide a segment with wan=true")
    response = call(consul_agent, "GET", "/v1/agent/members", params={"segment": "a"})
    assert (response.status_code, response.text) == (
        500,
        "Network segments are not supported in this version of Consul",
    )
    assert len(call(consul_agent, "GET", "/v1/agent/members?segment=_all").json()) == 1


# -- services -------------------------------------------------------------------------


def test_registered_service_as_the_agent_lists_it(consul_agent):
    response = register(
        consul_agent,
        {
            "Name": "web",
            "ID": "web-1",
            "Tags": ["b", "a"],
            "Port": 80,
            "Address": "10.0.0.5",
            "Meta": {"z": "1", "a": "2"},
        },
    )
    assert response.content == b""
    services = call(consul_agent, "GET", "/v1/agent/services").json()
    assert services == {
        "web-1": {
            "ID": "web-1",
            "Service": "web",
            "Tags": ["b", "a"],
            "Meta": {"a": "2", "z": "1"},
            "Port": 80,
            "Address": "10.0.0.5",
            "TaggedAddresses": {
                "lan_ipv4": {"Address": "10.0.0.5", "Port": 80},
                "wan_ipv4": {"Address": "10.0.0.5", "Port": 80},
            },
            "Weights": {"Passing": 1, "Warning": 1},
            "EnableTagOverride": False,
            "Datacenter": "dc1",
        }
    }
    assert list(services["web-1"]["Meta"]) == ["a", "z"]


def test_a_service_without_address_tags_or_meta(consul_agent):
    register(consul_agent, {"name": "db", "enable_tag_override": True})
    service = call(consul_agent, "GET", "/v1/agent/services").json()["db"]
    assert (service["Tags"], service["Meta"]) == ([], {})
    assert "TaggedAddresses" not in service
    assert service["EnableTagOverride"] is True


def test_registration_reaches_the_catalog_and_health(consul_agent):
    node = consul_agent.config.node_name
    register(consul_agent, {"Name": "web", "Port": 8080, "Tags": ["v1"]})
    [instance] = call(consul_agent, "GET", "/v1/catalog/service/web").json()
    assert (instance["Node"], instance["ServiceID"], instance["ServicePort"]) == (node, "web", 8080)
    assert instance["ServiceTags"] == ["v1"]
    [entry] = call(consul_agent, "GET", "/v1/health/service/web").json()
    assert [c["CheckID"] for c in entry["Checks"]] == ["serfHealth"]


def test_deregistration_removes_the_service_and_its_checks(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"TTL": "10s"}})
    response = call(consul_agent, "PUT", "/v1/agent/service/deregister/web")
    assert (response.status_code, response.content) == (200, b"")
    assert call(consul_agent, "GET", "/v1/agent/services").json() == {}
    assert call(consul_agent, "GET", "/v1/agent/checks").json() == {}
    assert call(consul_agent, "GET", "/v1/catalog/service/web").json() == []
    assert call(consul_agent, "GET", "/v1/health/checks/web").json() == []


def test_deregistering_an_unknown_service_is_a_404(consul_agent):
    response = call(consul_agent, "PUT", "/v1/agent/service/deregister/nope")
    assert (response.status_code, response.text) == (
        404,
        'Unknown service ID "nope". Ensure that the service ID is passed, not the service name.',
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "Request decode failed: EOF"),
        (
            b"[]",
            "Request decode failed: json: cannot unmarshal array into Go value of type "
            'struct { EnableTagOverrideSnake bool "json:\\"enable_tag_override\\""; '
            "TaggedAddressesSnake map[string]structs.ServiceAddress "
            '"json:\\"tagged_addresses\\""; *structs.Alias }',
        ),
        (b'{"Name": "web", "Bogus": 1}', 'Request decode failed: json: unknown field "Bogus"'),
        (
            b'{"Name": "web", "Port": "80"}',
            "Request decode failed: json: cannot unmarshal string into Go struct field .Port of "
            "type int",
        ),
        (
            b'{"Name": "web", "Check": {"HTTP": 1}}',
            "Request decode failed: json: cannot unmarshal number into Go struct field .Check.HTTP "
            "of type string",
        ),
        (
            b'{"Name": "web", "Check": {"TTL": "soon"}}',
            'Request decode failed: time: invalid duration "soon"',
        ),
        (b'{"Port": 80}', "Missing service name"),
        (b'{"Name": "web", "Address": "0.0.0.0"}', "Invalid service address"),
        (
            b'{"Name": "web", "Weights": {"Passing": 0}}',
            "Invalid Weights: Passing must be greater than 0",
        ),
        (
            b'{"Name": "web", "Meta": {"consul-x": "1"}}',
            "Invalid Service Meta: Couldn't load metadata pair ('consul-x', '1'): Key prefix "
            "'consul-' is reserved for internal use",
        ),
        (
            b'{"Name": "p", "Kind": "connect-proxy"}',
            "Validation failed: 2 errors occurred:\n\t* Port or SocketPath must be set for a "
            "connect-proxy\n\t* Proxy.DestinationServiceName must be non-empty for Connect proxy "
            "services\n\n",
        ),
        (
            # The same NodeService.Validate as the catalog's: the sidecar is
            # still there when it runs.
            b'{"Name": "gw", "Kind": "mesh-gateway", "Port": 443, "Connect": '
            b'{"SidecarService": {}}, "Proxy": {"Upstreams": [{"DestinationName": "db"}]}}',
            "Validation failed: 2 errors occurred:\n\t* A mesh-gateway cannot have a sidecar "
            "service defined\n\t* The Proxy.Upstreams configuration is invalid for a "
            "mesh-gateway\n\n",
        ),
        (
            b'{"Name": "web", "Meta": {"k": "\xc3\xa9' + b"x" * 511 + b'"}}',
            "Invalid Service Meta: Couldn't load metadata pair ('k', '\u00e9"
            + "x" * 511
            + "'): Value is too long (limit: 512 characters)",
        ),
        (
            b'{"Name": "web", "Check": {"Interval": "10s"}}',
            "Invalid check: TTL must be > 0 for TTL checks",
        ),
        (
            b'{"Name": "web", "Check": {"TTL": "10s", "Interval": "10s"}}',
            "Invalid check: Interval and TTL cannot both be specified",
        ),
        (
            b'{"Name": "web", "Check": {"HTTP": "http://x"}}',
            "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService "
            "checks",
        ),
        (
            b'{"Name": "web", "Checks": [{"TTL": "1s", "Status": "ok"}]}',
            "Status for checks must 'passing', 'warning', 'critical'",
        ),
    ],
)
def test_service_registration_errors(consul_agent, body, reason):
    response = call(consul_agent, "PUT", "/v1/agent/service/register", data=body)
    assert (response.status_code, response.text) == (400, reason)
    assert call(consul_agent, "GET", "/v1/agent/services").json() == {}


def test_tagged_address_of_the_wrong_family_is_refused_by_the_agent(consul_agent):
    response = call(
        consul_agent,
        "PUT",
        "/v1/agent/service/register",
        json={"Name": "web", "TaggedAddresses": {"lan_ipv4": {"Address": "::1", "Port": 1}}},
    )
    assert (response.status_code, response.text) == (
        500,
        'Service tagged address "lan_ipv4" must be a valid ipv4 address',
    )


def test_service_checks_get_ids_names_and_start_critical(consul_agent):
    register(
        consul_agent,
        {
            "Name": "web",
            "Tags": ["t"],
            "Checks": [{"TTL": "10s"}, {"TTL": "20s", "Name": "second"}],
        },
    )
    checks = call(consul_agent, "GET", "/v1/agent/checks").json()
    assert list(checks) == ["service:web:1", "service:web:2"]
    first = checks["service:web:1"]
    assert first == {
        "Node": consul_agent.config.node_name,
        "CheckID": "service:web:1",
        "Name": "Service 'web' check",
        "Status": "critical",
        "Notes": "",
        "Output": "",
        "ServiceID": "web",
        "ServiceName": "web",
        "ServiceTags": ["t"],
        "Type": "ttl",
        "Interval": "",
        "Timeout": "",
        "ExposedPort": 0,
        "Definition": {},
        "CreateIndex": 0,
        "ModifyIndex": 0,
    }
    assert checks["service:web:2"]["Name"] == "second"
    health = call(consul_agent, "GET", "/v1/health/checks/web").json()
    assert {c["CheckID"]: c["Status"] for c in health} == {
        "service:web:1": "critical",
        "service:web:2": "critical",
    }


def test_reregistering_keeps_check_status_and_replace_drops_the_others(consul_agent):
    register(
        consul_agent,
        {"Name": "web", "Checks": [{"CheckID": "a", "TTL": "10s"}, {"CheckID": "b", "TTL": "10s"}]},
    )
    assert call(consul_agent, "PUT", "/v1/agent/check/pass/a?note=fine").status_code == 200
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "a", "TTL": "10s"}})
    checks = call(consul_agent, "GET", "/v1/agent/checks").json()
    assert (checks["a"]["Status"], checks["a"]["Output"]) == ("passing", "fine")
    assert set(checks) == {"a", "b"}
    register(
        consul_agent,
        {"Name": "web", "Check": {"CheckID": "a", "TTL": "10s"}},
        params={"replace-existing-checks": ""},
    )
    assert set(call(consul_agent, "GET", "/v1/agent/checks").json()) == {"a"}
    assert [c["CheckID"] for c in call(consul_agent, "GET", "/v1/health/checks/web").json()] == [
        "a"
    ]


# -- one service, with hash-based blocking ------------------------------------------------


def test_one_service_with_its_content_hash(consul_agent):
    register(consul_agent, {"Name": "web", "Port": 80})
    response = call(consul_agent, "GET", "/v1/agent/service/web")
    body = response.json()
    assert response.headers["X-Consul-ContentHash"] == body["ContentHash"]
    assert list(body) == [
        "ID",
        "Service",
        "Tags",
        "Meta",
        "Port",
        "Address",
        "Weights",
        "EnableTagOverride",
        "ContentHash",
        "Datacenter",
    ]
    missing = call(consul_agent, "GET", "/v1/agent/service/nope")
    assert (missing.status_code, missing.text) == (404, "unknown service ID: nope")


def test_hash_blocking_waits_for_a_change_of_the_service(consul_agent):
    register(consul_agent, {"Name": "web", "Port": 80})
    first = call(consul_agent, "GET", "/v1/agent/service/web").json()
    unchanged = call(
        consul_agent,
        "GET",
        "/v1/agent/service/web",
        params={"hash": first["ContentHash"], "wait": "50ms"},
    )
    assert unchanged.json()["ContentHash"] == first["ContentHash"]
    other = call(consul_agent, "GET", "/v1/agent/service/web", params={"hash": "stale"})
    assert other.json()["ContentHash"] == first["ContentHash"]

    result: dict[str, Any] = {}

    def block() -> None:
        params = {"hash": first["ContentHash"], "wait": "10s"}
        result["response"] = call(consul_agent, "GET", "/v1/agent/service/web", params=params)

    waiter = threading.Thread(target=block)
    waiter.start()
    wait_blocked(consul_agent, local=True)
    # A check of the service wakes the query, but the service is unchanged.
    call(
        consul_agent,
        "PUT",
        "/v1/agent/check/register",
        json={"Name": "c", "ServiceID": "web", "TTL": "10s"},
    )
    wait_blocked(consul_agent, local=True)
    register(consul_agent, {"Name": "web", "Port": 81})
    waiter.join(CALL)
    changed = result["response"].json()
    assert changed["Port"] == 81
    assert changed["ContentHash"] != first["ContentHash"]


def test_hash_blocking_ends_when_the_service_goes(consul_agent):
    register(consul_agent, {"Name": "web"})
    content_hash = call(consul_agent, "GET", "/v1/agent/service/web").json()["ContentHash"]
    result: dict[str, Any] = {}

    def block() -> None:
        params = {"hash": content_hash, "wait": "10s"}
        result["response"] = call(consul_agent, "GET", "/v1/agent/service/web", params=params)

    waiter = threading.Thread(target=block)
    waiter.start()
    wait_blocked(consul_agent, local=True)
    call(consul_agent, "PUT", "/v1/agent/service/deregister/web")
    waiter.join(CALL)
    assert result["response"].status_code == 404


def test_bad_wait_is_a_400(consul_agent):
    register(consul_agent, {"Name": "web"})
    response = call(consul_agent, "GET", "/v1/agent/service/web?hash=x&wait=soon")
    assert (response.status_code, response.text) == (400, "Invalid wait time")


# -- checks ----------------------------------------------------------------------------


def test_node_check_registration(consul_agent):
    body = {"Name": "mem", "Notes": "memory", "TTL": "30s", "Status": "passing"}
    assert call(consul_agent, "PUT", "/v1/agent/check/register", json=body).status_code == 200
    check = call(consul_agent, "GET", "/v1/agent/checks").json()["mem"]
    assert (check["Status"], check["Notes"], check["ServiceID"]) == ("passing", "memory", "")
    # CheckDefinition.HealthCheck formats zero durations too.
    assert (check["Type"], check["Interval"], check["Timeout"]) == ("ttl", "0s", "0s")
    node = call(consul_agent, "GET", f"/v1/health/node/{consul_agent.config.node_name}").json()
    assert check_of(node, "mem")["Status"] == "passing"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"TTL": "1s"}, 400, "Missing check name"),
        ({"Name": "c", "TTL": "1s", "Status": "up"}, 400, "Bad check status"),
        (
            {"Name": "c", "CheckID": "x", "TTL": "1s"},
            400,
            'Request decode failed: json: unknown field "CheckID"',
        ),
        ({"Name": "c"}, 400, "Invalid check: TTL must be > 0 for TTL checks"),
        ({"Name": "c", "TTL": "1s", "ServiceID": "nope"}, 404, 'ServiceID "nope" does not exist'),
    ],
)
def test_check_registration_errors(consul_agent, body, status, reason):
    response = call(consul_agent, "PUT", "/v1/agent/check/register", json=body)
    assert (response.status_code, response.text) == (status, reason)


def test_ttl_updates_reach_the_catalog(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "ttl", "TTL": "30s"}})
    for verb, status in (("pass", "passing"), ("warn", "warning"), ("fail", "critical")):
        response = call(consul_agent, "PUT", f"/v1/agent/check/{verb}/ttl", params={"note": verb})
        assert (response.status_code, response.content) == (200, b"")
        check = check_of(call(consul_agent, "GET", "/v1/health/checks/web").json(), "ttl")
        assert (check["Status"], check["Output"]) == (status, verb)
    update = {"Status": "passing", "Output": "all good"}
    response = call(consul_agent, "PUT", "/v1/agent/check/update/ttl", json=update)
    assert response.status_code == 200
    check = call(consul_agent, "GET", "/v1/agent/checks").json()["ttl"]
    assert (check["Status"], check["Output"]) == ("passing", "all good")


def test_an_output_only_change_waits_before_reaching_the_catalog(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "ttl", "TTL": "30s"}})
    call(consul_agent, "PUT", "/v1/agent/check/pass/ttl?note=one")
    call(consul_agent, "PUT", "/v1/agent/check/pass/ttl?note=two")
    assert call(consul_agent, "GET", "/v1/agent/checks").json()["ttl"]["Output"] == "two"
    catalog = check_of(call(consul_agent, "GET", "/v1/health/checks/web").json(), "ttl")
    assert catalog["Output"] == "one"


def test_ttl_output_is_truncated(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "ttl", "TTL": "30s"}})
    call(consul_agent, "PUT", "/v1/agent/check/pass/ttl", params={"note": "x" * 5000})
    output = call(consul_agent, "GET", "/v1/agent/checks").json()["ttl"]["Output"]
    assert output == "x" * 4096 + " ... (captured 4096 of 5000 bytes)"


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        (
            "/v1/agent/check/pass/nope",
            None,
            404,
            'Unknown check ID "nope". Ensure that the check ID is passed, not the check name.',
        ),
        ("/v1/agent/check/update/ttl", b"", 400, "Request decode failed: EOF"),
        ("/v1/agent/check/update/ttl", b'{"Status": "up"}', 400, "Invalid check status: 'up'"),
        (
            "/v1/agent/check/update/ttl",
            b'{"Status": "passing", "Notes": ""}',
            400,
            'Request decode failed: json: unknown field "Notes"',
        ),
        ("/v1/agent/check/pass/tcp", None, 500, 'CheckID "tcp" does not have associated TTL'),
        (
            "/v1/agent/check/deregister/nope",
            None,
            404,
            'Unknown check ID "nope". Ensure that the check ID is passed, not the check name.',
        ),
    ],
)
def test_check_update_errors(consul_agent, path, body, status, reason):
    register(
        consul_agent,
        {
            "Name": "web",
            "Checks": [
                {"CheckID": "ttl", "TTL": "30s"},
                {"CheckID": "tcp", "TCP": f"127.0.0.1:{closed_port()}", "Interval": "30s"},
            ],
        },
    )
    response = call(consul_agent, "PUT", path, data=body)
    assert (response.status_code, response.text) == (status, reason)


def test_check_deregistration(consul_agent):
    call(consul_agent, "PUT", "/v1/agent/check/register", json={"Name": "mem", "TTL": "30s"})
    response = call(consul_agent, "PUT", "/v1/agent/check/deregister/mem")
    assert (response.status_code, response.content) == (200, b"")
    assert call(consul_agent, "GET", "/v1/agent/checks").json() == {}
    node = call(consul_agent, "GET", f"/v1/health/node/{consul_agent.config.node_name}").json()
    assert check_of(node, "mem") is None


def test_ttl_check_expires_to_critical(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "ttl", "TTL": "1s"}})
    call(consul_agent, "PUT", "/v1/agent/check/pass/ttl?note=alive")
    watch_check(consul_agent, "web", "ttl", "passing")
    expired = watch_check(consul_agent, "web", "ttl", "critical")
    assert expired["Output"] == "TTL expired (last output before timeout follows): alive"


def test_ttl_expiry_without_output(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "ttl", "TTL": "1s"}})
    call(consul_agent, "PUT", "/v1/agent/check/pass/ttl")
    expired = watch_check(consul_agent, "web", "ttl", "critical")
    assert expired["Output"] == "TTL expired"


# -- HTTP and TCP checks --------------------------------------------------------------


def test_http_check_follows_the_target(consul_agent, target):
    check = {"CheckID": "http", "HTTP": target.url, "Interval": "1s"}
    register(consul_agent, {"Name": "web", "Check": check})
    passing = watch_check(consul_agent, "web", "http", "passing")
    assert passing["Output"] == f"HTTP GET {target.url}: 200 OK Output: ok"
    assert (passing["Type"], passing["Interval"]) == ("http", "1s")
    target.status, target.body = 429, "slow down"
    warning = watch_check(consul_agent, "web", "http", "warning")
    assert warning["Output"] == f"HTTP GET {target.url}: 429 Too Many Requests Output: slow down"
    target.status, target.body = 503, "down"
    critical = watch_check(consul_agent, "web", "http", "critical")
    assert critical["Output"] == f"HTTP GET {target.url}: 503 Service Unavailable Output: down"


def test_http_check_method_and_unreachable_target(consul_agent, target):
    port = closed_port()
    checks = [
        {"CheckID": "post", "HTTP": target.url, "Method": "POST", "Interval": "1s"},
        {
            "CheckID": "gone",
            "HTTP": f"http://127.0.0.1:{port}/",
            "Interval": "1s",
            "Status": "passing",
        },
    ]
    register(consul_agent, {"Name": "web", "Checks": checks})
    post = watch_check(consul_agent, "web", "post", "passing")
    assert post["Output"] == f"HTTP POST {target.url}: 200 OK Output: ok"
    # Registered passing, so that failing is a status change, synced at once
    # (an output-only change waits check_update_interval).
    gone = watch_check(consul_agent, "web", "gone", "critical")
    assert gone["Output"] == (
        f'Get "http://127.0.0.1:{port}/": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )


def test_success_before_passing_and_failures_before_critical(consul_agent, target):
    check = {
        "CheckID": "http",
        "HTTP": target.url,
        "Interval": "1s",
        "SuccessBeforePassing": 2,
        "FailuresBeforeWarning": 1,
        "FailuresBeforeCritical": 2,
    }
    register(consul_agent, {"Name": "web", "Check": check})
    # The counters start at their thresholds: the first result counts at once.
    watch_check(consul_agent, "web", "http", "passing")
    target.status = 500
    watch_check(consul_agent, "web", "http", "warning")
    watch_check(consul_agent, "web", "http", "critical")
    target.status = 200
    flipped = time.monotonic()
    watch_check(consul_agent, "web", "http", "passing")
    # Two successes are needed, a check interval (1s) apart.
    assert time.monotonic() - flipped >= 1.0


def test_tcp_check_against_a_listening_and_a_closed_port(consul_agent):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        closed = closed_port()
        checks = [
            {"CheckID": "open", "TCP": f"127.0.0.1:{port}", "Interval": "1s", "Timeout": "1s"},
            {
                "CheckID": "closed",
                "TCP": f"127.0.0.1:{closed}",
                "Interval": "1s",
                "Status": "passing",
            },
        ]
        register(consul_agent, {"Name": "db", "Checks": checks})
        opened = watch_check(consul_agent, "db", "open", "passing")
        assert opened["Output"] == f"TCP connect 127.0.0.1:{port}: Success"
        assert (opened["Type"], opened["Timeout"]) == ("tcp", "1s")
        refused = watch_check(consul_agent, "db", "closed", "critical")
        assert refused["Output"] == (f"dial tcp 127.0.0.1:{closed}: connect: connection refused")


# -- script checks ----------------------------------------------------------------------


def test_script_checks_are_refused_unless_enabled(consul_agent):
    script = {"Args": ["true"], "Interval": "10s"}
    response = call(
        consul_agent, "PUT", "/v1/agent/service/register", json={"Name": "web", "Check": script}
    )
    reason = (
        "Scripts are disabled on this agent from remote calls; to enable, configure "
        "'enable_script_checks' to true"
    )
    assert (response.status_code, response.text) == (500, reason)
    assert call(consul_agent, "GET", "/v1/agent/services").json() == {}
    response = call(consul_agent, "PUT", "/v1/agent/check/register", json={"Name": "s", **script})
    assert (response.status_code, response.text) == (500, reason)
    assert call(consul_agent, "GET", "/v1/agent/checks").json() == {}


def test_script_checks_run_when_enabled(script_agent):
    python = sys.executable
    checks = [
        {"CheckID": "ok", "Args": [python, "-c", "print('fine')"], "Interval": "1s"},
        {
            "CheckID": "warn",
            "args": [python, "-c", "import sys; print('meh'); sys.exit(1)"],
            "Interval": "1s",
        },
        {
            "CheckID": "fail",
            "ScriptArgs": [python, "-c", "import sys; sys.stderr.write('bad'); sys.exit(2)"],
            "Interval": "1s",
            "Status": "passing",
        },
    ]
    register(script_agent, {"Name": "job", "Checks": checks})
    assert watch_check(script_agent, "job", "ok", "passing")["Output"] == "fine\n"
    assert watch_check(script_agent, "job", "warn", "warning")["Output"] == "meh\n"
    failed = watch_check(script_agent, "job", "fail", "critical")
    assert (failed["Output"], failed["Type"]) == ("bad", "script")


def test_script_check_timeout_and_output_limit(script_agent):
    python = sys.executable
    checks = [
        {
            "CheckID": "slow",
            "Args": [python, "-c", "import time; print('x', flush=True); time.sleep(30)"],
            "Interval": "1s",
            "Timeout": "1s",
            "Status": "passing",
        },
        {
            "CheckID": "loud",
            "Args": [python, "-c", "print('y' * 100, end='')"],
            "Interval": "1s",
            "OutputMaxSize": 10,
        },
        {
            "CheckID": "missing",
            "Args": ["no-such-command-here"],
            "Interval": "1s",
            "Status": "passing",
        },
    ]
    register(script_agent, {"Name": "job", "Checks": checks, "Check": {}})

    def ran(checks: list[dict[str, Any]]) -> bool:
        statuses = {c["CheckID"]: c["Status"] for c in checks}
        return statuses == {"slow": "critical", "loud": "passing", "missing": "critical"}

    result = watch(script_agent, "/v1/health/checks/job", ran)
    assert check_of(result, "slow")["Output"] == "Timed out (1s) running check\n\nx\n"
    assert check_of(result, "loud")["Output"] == "Captured 10 of 100 bytes\n...\n" + "y" * 10
    assert check_of(result, "missing")["Output"] == (
        'exec: "no-such-command-here": executable file not found in $PATH'
    )


# -- maintenance ------------------------------------------------------------------------


def test_service_maintenance(consul_agent):
    register(consul_agent, {"Name": "web"})
    path = "/v1/agent/service/maintenance/web"
    response = call(consul_agent, "PUT", path, params={"enable": "true"})
    assert (response.status_code, response.content) == (200, b"")
    check = call(consul_agent, "GET", "/v1/agent/checks").json()["_service_maintenance:web"]
    assert (check["Name"], check["Status"], check["Type"]) == (
        "Service Maintenance Mode",
        "critical",
        "maintenance",
    )
    assert check["Notes"] == (
        "Maintenance mode is enabled for this service, but no reason was provided. "
        "This is a default message."
    )
    assert call(consul_agent, "GET", "/v1/health/service/web?passing").json() == []
    call(consul_agent, "PUT", path, params={"enable": "false"})
    assert call(consul_agent, "GET", "/v1/agent/checks").json() == {}
    assert len(call(consul_agent, "GET", "/v1/health/service/web?passing").json()) == 1


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/v1/agent/service/maintenance/web", 400, "Missing value for enable"),
        ("/v1/agent/service/maintenance/web?enable=yes", 400, 'Invalid value for enable: "yes"'),
        (
            "/v1/agent/service/maintenance/nope?enable=1",
            404,
            'Unknown service ID "nope". '
            "Ensure that the service ID is passed, not the service name.",
        ),
        ("/v1/agent/service/maintenance/?enable=1", 400, "Missing service ID"),
        ("/v1/agent/maintenance?enable=maybe", 400, 'Invalid value for enable: "maybe"'),
        ("/v1/agent/maintenance", 400, "Missing value for enable"),
    ],
)
def test_maintenance_errors(consul_agent, path, status, reason):
    register(consul_agent, {"Name": "web"})
    response = call(consul_agent, "PUT", path)
    assert (response.status_code, response.text) == (status, reason)


def test_node_maintenance(consul_agent):
    register(consul_agent, {"Name": "web"})
    call(
        consul_agent, "PUT", "/v1/agent/maintenance", params={"enable": "True", "reason": "upgrade"}
    )
    check = call(consul_agent, "GET", "/v1/agent/checks").json()["_node_maintenance"]
    assert (check["Name"], check["Notes"], check["ServiceID"]) == (
        "Node Maintenance Mode",
        "upgrade",
        "",
    )
    node = call(consul_agent, "GET", f"/v1/health/node/{consul_agent.config.node_name}").json()
    assert check_of(node, "_node_maintenance")["Status"] == "critical"
    call(consul_agent, "PUT", "/v1/agent/maintenance?enable=false")
    assert "_node_maintenance" not in call(consul_agent, "GET", "/v1/agent/checks").json()


# -- local service health ------------------------------------------------------------


def test_service_health_by_id(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"CheckID": "ttl", "TTL": "30s"}})
    path = "/v1/agent/health/service/id/web"
    for verb, code, status in (
        ("pass", 200, "passing"),
        ("warn", 429, "warning"),
        ("fail", 503, "critical"),
    ):
        call(consul_agent, "PUT", f"/v1/agent/check/{verb}/ttl")
        response = call(consul_agent, "GET", path)
        assert (response.status_code, response.headers["X-Consul-Reason"]) == (code, status)
        body = response.json()
        assert list(body) == ["AggregatedStatus", "Service", "Checks"]
        assert body["AggregatedStatus"] == status
        assert body["Service"]["ID"] == "web"
        [check] = body["Checks"]
        assert check["Status"] == status
        assert check["Definition"]["Interval"] == "0s"
        text = call(consul_agent, "GET", path, params={"format": "text"})
        assert (text.status_code, text.text, text.headers["Content-Type"]) == (
            code,
            status,
            "text/plain",
        )
    call(consul_agent, "PUT", "/v1/agent/check/pass/ttl")
    call(consul_agent, "PUT", "/v1/agent/maintenance?enable=true")
    response = call(consul_agent, "GET", path, headers={"Accept": "text/plain"})
    assert (response.status_code, response.text) == (503, "maintenance")


def test_service_health_of_an_unknown_service(consul_agent):
    response = call(consul_agent, "GET", "/v1/agent/health/service/id/nope")
    assert response.status_code == 404
    assert response.headers["X-Consul-Reason"] == "ServiceId nope not found"
    assert response.json() == {"AggregatedStatus": "critical", "Service": None, "Checks": None}
    text = call(consul_agent, "GET", "/v1/agent/health/service/id/nope?format=text")
    assert (text.status_code, text.text) == (404, "ServiceId nope not found")
    by_name = call(consul_agent, "GET", "/v1/agent/health/service/name/nope")
    assert (by_name.status_code, by_name.json()) == (404, [])
    assert by_name.headers["X-Consul-Reason"] == "ServiceName nope Not Found"


def test_service_health_by_name_is_the_worst(consul_agent):
    register(consul_agent, {"Name": "web", "ID": "a", "Check": {"CheckID": "a", "TTL": "30s"}})
    register(consul_agent, {"Name": "web", "ID": "b", "Check": {"CheckID": "b", "TTL": "30s"}})
    call(consul_agent, "PUT", "/v1/agent/check/pass/a")
    call(consul_agent, "PUT", "/v1/agent/check/warn/b")
    response = call(consul_agent, "GET", "/v1/agent/health/service/name/web")
    assert (response.status_code, response.headers["X-Consul-Reason"]) == (429, "warning")
    assert sorted(e["AggregatedStatus"] for e in response.json()) == ["passing", "warning"]


# -- joining, leaving, reloading ----------------------------------------------------------


def test_join_self_and_an_unreachable_address(consul_agent):
    assert call(consul_agent, "PUT", "/v1/agent/join/127.0.0.1").status_code == 200
    port = closed_port()
    response = call(consul_agent, "PUT", f"/v1/agent/join/127.0.0.1:{port}")
    assert (response.status_code, response.text) == (
        500,
        f"1 error occurred:\n\t* Failed to join 127.0.0.1:{port}: dial tcp 127.0.0.1:{port}: "
        "connect: connection refused\n\n",
    )


def test_force_leave_is_accepted(consul_agent):
    response = call(consul_agent, "PUT", "/v1/agent/force-leave/some-node?prune")
    assert (response.status_code, response.content) == (200, b"")


def test_reload_drops_what_the_api_registered(consul_agent):
    register(consul_agent, {"Name": "web", "Check": {"TTL": "30s"}})
    call(consul_agent, "PUT", "/v1/agent/maintenance?enable=true")
    assert call(consul_agent, "PUT", "/v1/agent/reload").status_code == 200
    assert call(consul_agent, "GET", "/v1/agent/services").json() == {}
    assert call(consul_agent, "GET", "/v1/agent/checks").json() == {}
    assert call(consul_agent, "GET", "/v1/catalog/service/web").json() == []


def test_leave_answers_then_shuts_down():
    agent = DevAgent().start()
    try:
        response = call(agent, "PUT", "/v1/agent/leave")
        assert (response.status_code, response.content) == (200, b"")
        assert agent.wait(CALL)
        with pytest.raises(requests.ConnectionError):
            call(agent, "GET", "/v1/agent/self")
    finally:
        agent.stop()


def test_write_endpoints_take_only_put(consul_agent):
    response = call(consul_agent, "GET", "/v1/agent/service/register")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS,PUT"


# -- reaping and anti-entropy -------------------------------------------------------------


def test_critical_services_are_deregistered_after_the_timeout(quick_agent):
    check = {"CheckID": "ttl", "TTL": "1s", "DeregisterCriticalServiceAfter": "100ms"}
    register(quick_agent, {"Name": "web", "Check": check})
    call(quick_agent, "PUT", "/v1/agent/check/pass/ttl")
    watch_check(quick_agent, "web", "ttl", "critical")
    # The minimum (check_deregister_interval_min, 0.5s here) applies.
    watch(quick_agent, "/v1/catalog/service/web", lambda instances: instances == [])
    assert call(quick_agent, "GET", "/v1/agent/services").json() == {}


def test_anti_entropy_repairs_the_agents_node_in_the_catalog(quick_agent):
    node = quick_agent.config.node_name
    register(quick_agent, {"Name": "web", "Port": 80})
    # Someone else registers and deregisters on the agent's node.
    stray = {
        "Node": node,
        "Address": "127.0.0.1",
        "SkipNodeUpdate": True,
        "Service": {"Service": "stray"},
    }
    assert call(quick_agent, "PUT", "/v1/catalog/register", json=stray).json() is True
    removed = {"Node": node, "ServiceID": "web"}
    assert call(quick_agent, "PUT", "/v1/catalog/deregister", json=removed).json() is True

    def repaired(services: dict[str, Any]) -> bool:
        return "web" in services and "stray" not in services

    watch(quick_agent, "/v1/catalog/services", repaired)
    services = call(quick_agent, "GET", f"/v1/catalog/node-services/{node}").json()["Services"]
    assert sorted(s["ID"] for s in services) == ["consul", "web"]


def test_filter_on_services_and_checks(consul_agent):
    register(consul_agent, {"Name": "web", "Tags": ["v1"], "Check": {"TTL": "30s"}})
    register(consul_agent, {"Name": "db", "Check": {"TTL": "30s"}})
    services = call(consul_agent, "GET", "/v1/agent/services", params={"filter": "Service == db"})
    assert list(services.json()) == ["db"]
    checks = call(consul_agent, "GET", "/v1/agent/checks", params={"filter": '"v1" in ServiceTags'})
    assert list(checks.json()) == ["service:web"]
    bad = call(consul_agent, "GET", "/v1/agent/services", params={"filter": "Nope == 1"})
    assert bad.status_code == 500
    assert json.dumps(bad.text).startswith('"Failed to create boolean expression evaluator')


NAMESPACES = 'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
PARTITIONS = 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/agent/service/web", None),
        ("PUT", "/v1/agent/service/register", b"{}"),
        ("PUT", "/v1/agent/service/deregister/web", None),
        ("PUT", "/v1/agent/service/maintenance/web?enable=true", None),
        ("PUT", "/v1/agent/check/register", b"{}"),
        ("PUT", "/v1/agent/check/deregister/c", None),
        ("PUT", "/v1/agent/check/pass/c", None),
        ("PUT", "/v1/agent/check/update/c", b'{"Status": "passing"}'),
        ("GET", "/v1/agent/health/service/id/web", None),
        ("GET", "/v1/agent/health/service/name/web", None),
    ],
)
def test_namespaces_and_partitions_of_local_services_are_enterprise(api, method, path, body):
    # agent/agent_endpoint.go: each handler calls parseEntMetaNoWildcard
    # (agent/http_ce.go in CE), before the service or check is looked up.
    separator = "&" if "?" in path else "?"
    response = api.request(method, f"{path}{separator}ns=team", data=body)
    assert (response.status_code, response.text) == (400, NAMESPACES)
    response = api.request(method, f"{path}{separator}partition=part", data=body)
    assert (response.status_code, response.text) == (400, PARTITIONS)
    response = api.request(method, path, data=body, headers={"X-Consul-Namespace": "team"})
    assert response.status_code == 400
    assert response.text.startswith('Invalid header: "X-Consul-Namespace"')


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/agent/members"), ("PUT", "/v1/agent/force-leave/node")],
)
def test_members_take_a_partition_only(api, method, path):
    # AgentMembers, AgentJoin, AgentForceLeave: parseEntMetaPartition, so ?ns is ignored.
    response = api.request(method, f"{path}?partition=part")
    assert (response.status_code, response.text) == (400, PARTITIONS)
    assert api.request(method, f"{path}?ns=team").status_code == 200
