"""``Connect.SidecarService`` on ``PUT /v1/agent/service/register``, with raw HTTP.

The agent registers the sidecar as a service of its own, with Consul's
defaults (``agent/sidecar_service.go``, ``agent/agent.go``
``addServiceLocked``): ``<id>-sidecar-proxy``, a port from 21000-21255, the
proxy configuration pointing at the service, and two checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import RawHTTP, make_token

from consul.testing import DevAgent


def register(api: Any, definition: dict[str, Any], **kwargs: Any) -> Any:
    return api.put("/v1/agent/service/register", json=definition, **kwargs)


WEB = {
    "Name": "web",
    "Port": 8080,
    "Tags": ["v1"],
    "Meta": {"team": "a"},
    "Connect": {"SidecarService": {}},
}


def test_the_sidecar_gets_consuls_defaults(api):
    assert register(api, WEB).status_code == 200
    services = api.get("/v1/agent/services").json()
    assert sorted(services) == ["web", "web-sidecar-proxy"]
    sidecar = services["web-sidecar-proxy"]
    assert sidecar["Kind"] == "connect-proxy"
    assert sidecar["Service"] == "web-sidecar-proxy"
    assert sidecar["Port"] == 21000
    assert (sidecar["Tags"], sidecar["Meta"]) == (["v1"], {"team": "a"})
    proxy = sidecar["Proxy"]
    assert proxy["DestinationServiceName"] == "web"
    assert proxy["DestinationServiceID"] == "web"
    assert (proxy["LocalServiceAddress"], proxy["LocalServicePort"]) == ("127.0.0.1", 8080)
    # The parent keeps no trace of the nested definition.
    assert "Connect" not in services["web"]
    # It is in the catalog too, as a proxy for web.
    instances = api.get("/v1/catalog/connect/web").json()
    assert [(i["ServiceID"], i["ServicePort"]) for i in instances] == [("web-sidecar-proxy", 21000)]


def test_the_sidecar_gets_two_default_checks(api):
    assert register(api, WEB).status_code == 200
    checks = api.get("/v1/agent/checks").json()
    listening = checks["service:web-sidecar-proxy:1"]
    aliasing = checks["service:web-sidecar-proxy:2"]
    assert listening["Name"] == "Connect Sidecar Listening"
    assert (listening["Type"], listening["Interval"]) == ("tcp", "10s")
    assert listening["ServiceID"] == "web-sidecar-proxy"
    assert listening["Status"] == "critical"  # nothing listens on 127.0.0.1:21000
    assert aliasing["Name"] == "Connect Sidecar Aliasing web"
    assert aliasing["Type"] == "alias"
    # The alias mirrors web, which has no checks (agent/checks/alias.go).
    assert (aliasing["Status"], aliasing["Output"]) == ("passing", "No checks found.")


def test_the_alias_check_follows_the_service(api):
    web = {**WEB, "Check": {"CheckID": "web-ttl", "Name": "web ttl", "TTL": "30s"}}
    assert register(api, web).status_code == 200

    def alias() -> tuple[str, str]:
        check = api.get("/v1/agent/checks").json()["service:web-sidecar-proxy:2"]
        return check["Status"], check["Output"]

    assert alias() == ("critical", 'Aliased check "web ttl" failing: ')
    assert api.put("/v1/agent/check/warn/web-ttl?note=slow").status_code == 200
    assert alias() == ("warning", 'Aliased check "web ttl" failing: slow')
    assert api.put("/v1/agent/check/pass/web-ttl").status_code == 200
    assert alias() == ("passing", "All checks passing.")


def test_ports_are_handed_out_in_order_and_kept(api):
    assert register(api, WEB).status_code == 200
    assert register(api, {**WEB, "Name": "db", "Port": 5432}).status_code == 200
    assert register(api, WEB).status_code == 200  # again: keeps its port
    services = api.get("/v1/agent/services").json()
    assert services["web-sidecar-proxy"]["Port"] == 21000
    assert services["db-sidecar-proxy"]["Port"] == 21001


def test_what_the_definition_gives_wins(api):
    sidecar = {
        "Name": "web-proxy",
        "Port": 9999,
        "Tags": ["proxy"],
        "Check": {"Name": "proxy ttl", "TTL": "10s"},
        "Proxy": {"LocalServicePort": 8081, "Upstreams": [{"DestinationName": "db"}]},
        "Unknown": "ignored",
    }
    definition = {
        "Name": "web",
        "ID": "web-1",
        "Port": 8080,
        "Connect": {"SidecarService": sidecar},
    }
    assert register(api, definition).status_code == 200
    services = api.get("/v1/agent/services").json()
    proxy = services["web-1-sidecar-proxy"]
    assert (proxy["Service"], proxy["Port"], proxy["Tags"]) == ("web-proxy", 9999, ["proxy"])
    assert proxy["Proxy"]["DestinationServiceID"] == "web-1"
    assert proxy["Proxy"]["LocalServicePort"] == 8081
    assert proxy["Proxy"]["Upstreams"] == [{"DestinationName": "db"}]
    checks = api.get("/v1/agent/checks").json()
    assert [c["Name"] for c in checks.values() if c["ServiceID"] == "web-1-sidecar-proxy"] == [
        "proxy ttl"
    ]


def test_deregistering_the_service_removes_its_sidecar(api):
    assert register(api, WEB).status_code == 200
    assert api.put("/v1/agent/service/deregister/web").status_code == 200
    assert api.get("/v1/agent/services").json() == {}
    assert api.get("/v1/agent/checks").json() == {}


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        (
            {"ID": "mine"},
            "Validation failed: 1 error occurred:\n\t* A SidecarService cannot specify an ID "
            "as this is managed by the agent\n\n",
        ),
        (
            {"Connect": {"SidecarService": {}}},
            "Validation failed: 1 error occurred:\n\t* A SidecarService cannot have a nested "
            "SidecarService\n\n",
        ),
        (
            {"Check": {"Name": "bad", "Interval": "10s"}},
            "Invalid check in sidecar_service: TTL must be > 0 for TTL checks",
        ),
        (
            {"Check": {"Name": "s", "TTL": "10s", "Status": "broken"}},
            "Status for checks must 'passing', 'warning', 'critical'",
        ),
        (
            {"Meta": {"consul-x": "y"}},
            "Invalid SidecarService: Couldn't load metadata pair ('consul-x', 'y'): "
            "Key prefix 'consul-' is reserved for internal use",
        ),
        (
            {"Proxy": {"DestinationServiceName": "*"}},
            "Failed Validation: 1 error occurred:\n\t* Proxy.DestinationServiceName must not "
            "be a wildcard for Connect proxy services\n\n",
        ),
        ({"Port": "x"}, "Request decode failed: json: cannot unmarshal string into Go struct"),
    ],
)
def test_bad_sidecars_are_refused_and_nothing_is_registered(api, sidecar, message):
    response = register(api, {"Name": "web", "Port": 1, "Connect": {"SidecarService": sidecar}})
    assert response.status_code == 400
    assert response.text.startswith(message)
    assert api.get("/v1/agent/services").json() == {}


def test_a_gateway_cannot_have_a_sidecar(api):
    gateway = {
        "Name": "gw",
        "Kind": "terminating-gateway",
        "Port": 8443,
        "Connect": {"SidecarService": {}},
    }
    response = register(api, gateway)
    assert response.status_code == 400
    assert "A terminating-gateway cannot have a sidecar service defined" in response.text


def test_no_port_left_in_the_range():
    with (
        DevAgent(sidecar_min_port=21000, sidecar_max_port=21000) as agent,
        RawHTTP(agent.url) as api,
    ):
        assert register(api, WEB).status_code == 200
        response = register(api, {**WEB, "Name": "db"})
        assert (response.status_code, response.text) == (
            500,
            "no port provided for sidecar_service and none left in the configured range "
            "[21000, 21000]",
        )


def test_the_sidecar_needs_write_on_its_own_name(root, consul_acl_agent):
    token = make_token(root, 'service "web" { policy = "write" }')
    response = register(root, WEB, token=token["SecretID"])
    assert response.status_code == 403
    assert response.text == (
        f"Permission denied: token with AccessorID '{token['AccessorID']}' lacks permission "
        "'service:write' on \"web-sidecar-proxy\""
    )
    assert root.get("/v1/agent/services").json() == {}
    both = make_token(root, 'service_prefix "web" { policy = "write" }')
    assert register(root, WEB, token=both["SecretID"]).status_code == 200
