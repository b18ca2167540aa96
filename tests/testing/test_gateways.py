"""Gateways in the catalog: ``/v1/catalog/gateway-services``, ``/v1/health/ingress``, and
terminating gateways in Connect lookups, with raw HTTP.

The mappings come from ``ingress-gateway`` and ``terminating-gateway``
configuration entries (``agent/consul/state/catalog.go``
``updateGatewayServices``); the embedded agent has no configuration
entries yet, so these tests write the mappings into its state as a
configuration entry write does.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import make_token, wait_blocked

from consul.testing import DevAgent


def _write(agent: DevAgent, kind: str, gateway: str, rows: list[dict[str, Any]]) -> None:
    """What writing a gateway's configuration entry does to the mappings."""

    def write(core: Any) -> None:
        dc = core.home
        if getattr(dc.gateways, f"set_{kind}")(dc.apply(), gateway, rows):
            dc.changed()

    agent.run(write)


def ingress(agent: DevAgent, gateway: str, listeners: list[dict[str, Any]]) -> None:
    """An ``ingress-gateway`` entry with these listeners."""
    _write(agent, "ingress", gateway, listeners)


def terminating(agent: DevAgent, gateway: str, services: list[dict[str, Any]]) -> None:
    """A ``terminating-gateway`` entry with these services."""
    _write(agent, "terminating", gateway, services)


def register(api: Any, node: str, service: dict[str, Any], status: str = "passing") -> None:
    api.register(
        {
            "Node": node,
            "Address": "10.0.0.1",
            "Service": service,
            "Check": {"Name": "alive", "Status": status, "ServiceID": service.get("ID", "")},
        }
    )


LISTENERS = [
    {"Port": 8080, "Protocol": "http", "Services": [{"Name": "api", "Hosts": ["api.example"]}]},
    {"Port": 9090, "Protocol": "tcp", "Services": [{"Name": "db"}]},
]


def test_gateway_services_of_an_ingress_gateway(api, consul_agent):
    ingress(consul_agent, "ingress", LISTENERS)
    response = api.get("/v1/catalog/gateway-services/ingress")
    assert response.status_code == 200
    rows = response.json()
    index = rows[0]["CreateIndex"]
    assert rows == [
        {
            "Gateway": {"Name": "ingress"},
            "Service": {"Name": "api"},
            "GatewayKind": "ingress-gateway",
            "Port": 8080,
            "Protocol": "http",
            "Hosts": ["api.example"],
            "CreateIndex": index,
            "ModifyIndex": index,
        },
        {
            "Gateway": {"Name": "ingress"},
            "Service": {"Name": "db"},
            "GatewayKind": "ingress-gateway",
            "Port": 9090,
            "Protocol": "tcp",
            "CreateIndex": index,
            "ModifyIndex": index,
        },
    ]
    assert response.headers["X-Consul-Index"] == str(index)
    assert response.headers["X-Consul-Effective-Consistency"] == "leader"


def test_an_unchanged_entry_keeps_its_rows_and_index(api, consul_agent):
    ingress(consul_agent, "ingress", LISTENERS)
    before = api.get("/v1/catalog/gateway-services/ingress")
    ingress(consul_agent, "ingress", LISTENERS)
    after = api.get("/v1/catalog/gateway-services/ingress")
    assert after.json() == before.json()
    assert after.headers["X-Consul-Index"] == before.headers["X-Consul-Index"]


def test_gateway_services_of_a_terminating_gateway(api, consul_agent):
    register(api, "n1", {"Service": "billing", "Port": 80})
    services = [
        {"Name": "billing", "CAFile": "/ca.pem", "SNI": "billing.example"},
        {"Name": "legacy", "DisableAutoHostRewrite": True},
    ]
    terminating(consul_agent, "term", services)
    rows = api.get("/v1/catalog/gateway-services/term").json()
    index = rows[0]["CreateIndex"]
    # ServiceKind is "service" for a service the catalog knows.
    assert rows == [
        {
            "Gateway": {"Name": "term"},
            "Service": {"Name": "billing"},
            "GatewayKind": "terminating-gateway",
            "CAFile": "/ca.pem",
            "SNI": "billing.example",
            "ServiceKind": "service",
            "CreateIndex": index,
            "ModifyIndex": index,
            "AutoHostRewrite": True,
        },
        {
            "Gateway": {"Name": "term"},
            "Service": {"Name": "legacy"},
            "GatewayKind": "terminating-gateway",
            "CreateIndex": index,
            "ModifyIndex": index,
        },
    ]


def test_a_wildcard_maps_every_fitting_service(api, consul_agent):
    register(api, "n1", {"Service": "web", "Port": 80})
    register(api, "n1", {"Service": "db", "Port": 81})
    register(api, "n1", {"Service": "native", "Port": 82, "Connect": {"Native": True}})
    terminating(consul_agent, "term", [{"Name": "*"}, {"Name": "db", "SNI": "db.example"}])
    rows = api.get("/v1/catalog/gateway-services/term").json()
    # The explicit row wins; Connect-native and the consul service are left out.
    assert [(r["Service"]["Name"], r.get("FromWildcard", False)) for r in rows] == [
        ("web", True),
        ("db", False),
    ]
    ingress(consul_agent, "in", [{"Port": 1, "Protocol": "tcp", "Services": [{"Name": "*"}]}])
    # For an ingress gateway, the services with a Connect instance.
    rows = api.get("/v1/catalog/gateway-services/in").json()
    assert [(r["Service"]["Name"], r["FromWildcard"]) for r in rows] == [("native", True)]


def test_gateway_services_errors_and_emptiness(api):
    response = api.get("/v1/catalog/gateway-services/")
    assert (response.status_code, response.text) == (400, "Missing gateway name")
    unknown = api.get("/v1/catalog/gateway-services/nope")
    # Catalog.GatewayServices returns the rows unconverted: null, not [].
    assert (unknown.status_code, unknown.text) == (200, "null")
    assert unknown.headers["X-Consul-Index"] == "1"
    refused = api.get("/v1/catalog/gateway-services/nope?ns=team")
    assert refused.status_code == 400


def test_gateway_services_block_until_the_mappings_change(api, consul_agent, pool):
    index = api.index("/v1/catalog/gateway-services/ingress")
    waiting = pool.submit(api.get, f"/v1/catalog/gateway-services/ingress?index={index}&wait=30s")
    wait_blocked(consul_agent)
    ingress(consul_agent, "ingress", LISTENERS)
    assert [r["Service"]["Name"] for r in waiting.result().json()] == ["api", "db"]


def test_gateway_services_acls(root, consul_acl_agent):
    ingress(consul_acl_agent, "ingress", LISTENERS)
    rules = 'service "ingress" { policy = "read" } service "api" { policy = "read" }'
    token = make_token(root, rules)
    user = root.with_token(token["SecretID"])
    response = user("GET", "/v1/catalog/gateway-services/ingress")
    assert [r["Service"]["Name"] for r in response.json()] == ["api"]
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    other = make_token(root, 'service "api" { policy = "read" }')
    denied = root.get("/v1/catalog/gateway-services/ingress", token=other["SecretID"])
    assert denied.status_code == 403
    assert denied.text == (
        f"Permission denied: token with AccessorID '{other['AccessorID']}' lacks permission "
        "'service:read' on \"ingress\""
    )


# -- /v1/health/ingress and Connect lookups -------------------------------------------------

GATEWAY = {"Kind": "ingress-gateway", "Service": "ingress", "ID": "ingress-1", "Port": 8443}


def test_health_ingress_lists_the_gateways_that_expose_a_service(api, consul_agent):
    register(api, "gw1", GATEWAY)
    register(api, "gw2", {**GATEWAY, "ID": "ingress-2"}, status="critical")
    register(api, "n1", {"Service": "api", "Port": 80})
    assert api.get("/v1/health/ingress/api").json() == []
    ingress(consul_agent, "ingress", LISTENERS)
    entries = api.get("/v1/health/ingress/api").json()
    assert [(e["Node"]["Node"], e["Service"]["ID"]) for e in entries] == [
        ("gw1", "ingress-1"),
        ("gw2", "ingress-2"),
    ]
    assert entries[0]["Service"]["Kind"] == "ingress-gateway"
    assert entries[0]["Service"]["Tags"] == []
    assert [c["Name"] for c in entries[0]["Checks"]] == ["alive"]
    passing = api.get("/v1/health/ingress/api?passing").json()
    assert [e["Node"]["Node"] for e in passing] == ["gw1"]
    # The gateways do not expose unmapped services.
    assert api.get("/v1/health/ingress/other").json() == []


def test_health_ingress_errors(api):
    response = api.get("/v1/health/ingress/")
    assert (response.status_code, response.text) == (400, "Missing service name")
    bad = api.get("/v1/health/ingress/api?passing=maybe")
    assert (bad.status_code, bad.text) == (400, "Invalid value for ?passing")


def test_health_ingress_needs_service_read_on_the_service(root, consul_acl_agent):
    token = make_token(root, 'service "ingress" { policy = "read" }')
    response = root.get("/v1/health/ingress/api", token=token["SecretID"])
    assert (response.status_code, response.text) == (403, "Permission denied")


@pytest.mark.parametrize("path", ["/v1/health/connect/billing", "/v1/catalog/connect/billing"])
def test_connect_lookups_include_terminating_gateways(api, consul_agent, path):
    register(api, "n1", {"Service": "billing", "Port": 80})
    register(
        api,
        "n2",
        {
            "Kind": "connect-proxy",
            "Service": "billing-proxy",
            "Port": 21000,
            "Proxy": {"DestinationServiceName": "billing"},
        },
    )
    register(api, "gw", {"Kind": "terminating-gateway", "Service": "term", "Port": 8443})
    before = api.get(path)
    terminating(consul_agent, "term", [{"Name": "billing"}])
    after = api.get(path)

    def ids(response: Any) -> list[str]:
        items = response.json()
        return [i["Service"]["ID"] if "Service" in i else i["ServiceID"] for i in items]

    assert ids(before) == ["billing-proxy"]
    assert ids(after) == ["billing-proxy", "term"]
    # The mapping table's index moves the lookup's index.
    assert int(after.headers["X-Consul-Index"]) > int(before.headers["X-Consul-Index"])
