"""``/v1/discovery-chain``: compiled discovery chains, checked with raw HTTP.

After ``agent/discovery_chain_endpoint.go``,
``agent/consul/discovery_chain_endpoint.go`` and the samples of Consul's
``website/content/api-docs/discovery-chain.mdx`` (the entries written through
``/v1/config``, the chains as Consul compiles them today).
"""

from __future__ import annotations

import pytest
from harness import RawHTTP, make_token, wait_blocked

from consul.testing import DevAgent


def put(api, **entry):
    response = api.put("/v1/config", json=entry)
    assert (response.status_code, response.text) == (200, "true")


def trust_domain(api, dc):
    return api.get("/v1/connect/ca/roots", params={"dc": dc}).json()["TrustDomain"]


def target(api, service, subset="", dc="dc1", *, answering="dc1", **fields):
    """A target as Consul compiles it, in the trust domain of the datacenter ``answering``."""
    ident = ".".join(p for p in (subset, service, "default", "default", dc) if p)
    domain = trust_domain(api, answering)
    sni = ".".join(p for p in (subset, service, "default", dc, "internal", domain) if p)
    out = {
        "ConnectTimeout": "5s",
        "ID": ident,
        "Service": service,
        "Namespace": "default",
        "Partition": "default",
        "Datacenter": dc,
        "MeshGateway": {},
        "Subset": {},
        "TransparentProxy": {},
        "SNI": sni,
        "Name": sni,
    }
    if subset:
        out["ServiceSubset"] = subset
    return out | fields


def resolver_node(ident, timeout="5s", **fields):
    return {
        "Type": "resolver",
        "Name": ident,
        "Resolver": {"ConnectTimeout": timeout, **fields, "Target": ident},
    }


def test_a_service_without_entries_has_the_default_chain(api):
    response = api.get("/v1/discovery-chain/web")
    assert response.status_code == 200
    assert response.headers["X-Consul-Index"] == "1"
    assert response.headers["X-Consul-KnownLeader"] == "true"
    assert response.headers["X-Consul-Effective-Consistency"] == "leader"
    stale = api.get("/v1/discovery-chain/web", params={"stale": ""})
    assert stale.headers["X-Consul-Effective-Consistency"] == "stale"
    web = "web.default.default.dc1"
    assert response.json() == {
        "Chain": {
            "ServiceName": "web",
            "Namespace": "default",
            "Partition": "default",
            "Datacenter": "dc1",
            "Default": True,
            "Protocol": "tcp",
            "StartNode": f"resolver:{web}",
            "Nodes": {f"resolver:{web}": resolver_node(web, Default=True)},
            "Targets": {web: target(api, "web")},
        }
    }


def test_http_path_routing(api):
    """The docs' sample: a router sending to another service and to a subset."""
    put(api, Kind="proxy-defaults", Name="global", Config={"protocol": "http"})
    put(
        api,
        Kind="service-resolver",
        Name="web",
        Subsets={"canary": {"Filter": "Service.Meta.flavor == canary"}},
    )
    admin = {
        "Match": {"HTTP": {"PathPrefix": "/admin"}},
        "Destination": {"Service": "admin", "PrefixRewrite": "/", "RequestTimeout": "15s"},
    }
    debug = {
        "Match": {"HTTP": {"Header": [{"Name": "x-debug", "Exact": "1"}]}},
        "Destination": {
            "Service": "web",
            "ServiceSubset": "canary",
            "NumRetries": 5,
            "RetryOnConnectFailure": True,
            "RetryOnStatusCodes": [401, 409],
        },
    }
    put(api, Kind="service-router", Name="web", Routes=[admin, debug])
    response = api.get("/v1/discovery-chain/web")
    entries_index = int(api.get("/v1/config/service-router/web").headers["X-Consul-Index"])
    assert int(response.headers["X-Consul-Index"]) == entries_index
    chain = response.json()["Chain"]
    assert (chain["Protocol"], chain["StartNode"]) == ("http", "router:web.default.default")
    assert "Default" not in chain
    admin_id, canary, web = (
        "admin.default.default.dc1",
        "canary.web.default.default.dc1",
        "web.default.default.dc1",
    )
    # The routes' definitions as /v1/config writes them: the timeout first, as a duration.
    written = api.get("/v1/config/service-router/web").json()["Routes"]
    assert list(written[0]["Destination"]) == ["RequestTimeout", "Service", "PrefixRewrite"]
    assert chain["Nodes"] == {
        "router:web.default.default": {
            "Type": "router",
            "Name": "web.default.default",
            "Routes": [
                {"Definition": written[0], "NextNode": f"resolver:{admin_id}"},
                {"Definition": written[1], "NextNode": f"resolver:{canary}"},
                {
                    "Definition": {
                        "Match": {"HTTP": {"PathPrefix": "/"}},
                        "Destination": {
                            "Service": "web",
                            "Namespace": "default",
                            "Partition": "default",
                        },
                    },
                    "NextNode": f"resolver:{web}",
                },
            ],
        },
        f"resolver:{admin_id}": resolver_node(admin_id, Default=True),
        f"resolver:{canary}": resolver_node(canary),
        f"resolver:{web}": resolver_node(web),
    }
    assert chain["Targets"] == {
        admin_id: target(api, "admin"),
        canary: target(api, "web", "canary", Subset={"Filter": "Service.Meta.flavor == canary"}),
        web: target(api, "web"),
    }


def test_a_version_split_compiled_for_another_datacenter(api):
    """The docs' sample: ``?compile-dc`` names the targets' datacenter."""
    put(
        api,
        Kind="service-resolver",
        Name="web",
        DefaultSubset="v1",
        Subsets={
            "v1": {"Filter": "Service.Meta.version == v1"},
            "v2": {"Filter": "Service.Meta.version == v2"},
        },
    )
    put(api, Kind="service-defaults", Name="web", Protocol="http")
    splits = [{"Weight": 90, "ServiceSubset": "v1"}, {"Weight": 10, "ServiceSubset": "v2"}]
    put(api, Kind="service-splitter", Name="web", Splits=splits)
    chain = api.get("/v1/discovery-chain/web", params={"compile-dc": "dc2"}).json()["Chain"]
    v1, v2 = "v1.web.default.default.dc2", "v2.web.default.default.dc2"
    assert chain["Datacenter"] == "dc2"
    assert chain["Nodes"]["splitter:web.default.default"] == {
        "Type": "splitter",
        "Name": "web.default.default",
        "Splits": [
            {"Definition": splits[0], "Weight": 90, "NextNode": f"resolver:{v1}"},
            {"Definition": splits[1], "Weight": 10, "NextNode": f"resolver:{v2}"},
        ],
    }
    assert sorted(chain["Targets"]) == [v1, v2]
    assert chain["Targets"][v2] == target(
        api, "web", "v2", "dc2", Subset={"Filter": "Service.Meta.version == v2"}
    )


def test_multi_datacenter_failover(api):
    """The docs' sample: a connect timeout and a failover to two datacenters."""
    put(
        api,
        Kind="service-resolver",
        Name="web",
        ConnectTimeout="15s",
        Failover={"*": {"Datacenters": ["dc3", "dc4"]}},
    )
    chain = api.get("/v1/discovery-chain/web").json()["Chain"]
    web = "web.default.default.dc1"
    failover = {"Targets": ["web.default.default.dc3", "web.default.default.dc4"]}
    assert chain["Nodes"] == {f"resolver:{web}": resolver_node(web, "15s", Failover=failover)}
    assert chain["Targets"] == {
        f"web.default.default.{dc}": target(api, "web", dc=dc, ConnectTimeout=timeout)
        for dc, timeout in (("dc1", "15s"), ("dc3", "15s"), ("dc4", "15s"))
    }


def test_a_redirect_compiled_with_overrides(api):
    """The docs' sample: a POST body overrides the timeout, protocol and mesh gateway mode."""
    put(api, Kind="service-resolver", Name="web", Redirect={"Datacenter": "dc2"})
    body = {
        "OverrideConnectTimeout": "7s",
        "OverrideProtocol": "grpc",
        "OverrideMeshGateway": {"Mode": "remote"},
    }
    response = api.post("/v1/discovery-chain/web", json=body)
    assert response.status_code == 200
    chain = response.json()["Chain"]
    hashed = chain.pop("CustomizationHash")
    assert hashed == "b94f529a"
    web = "web.default.default.dc2"
    assert chain == {
        "ServiceName": "web",
        "Namespace": "default",
        "Partition": "default",
        "Datacenter": "dc1",
        "Protocol": "grpc",
        "StartNode": f"resolver:{web}",
        "Nodes": {f"resolver:{web}": resolver_node(web, "7s")},
        "Targets": {
            web: target(api, "web", dc="dc2", ConnectTimeout="7s", MeshGateway={"Mode": "remote"})
        },
    }
    # The body's snake_case spellings, weakly typed (a timeout in nanoseconds).
    snake = {
        "override_connect_timeout": 7_000_000_000,
        "override_protocol": "grpc",
        "override_mesh_gateway": {"mode": "remote"},
    }
    again = api.post("/v1/discovery-chain/web", json=snake).json()["Chain"]
    assert again["CustomizationHash"] == hashed
    # A POST without overrides is a GET.
    plain = api.post("/v1/discovery-chain/web", json={}).json()["Chain"]
    assert plain == api.get("/v1/discovery-chain/web").json()["Chain"]
    assert "CustomizationHash" not in plain


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"{", "Request decoding failed: unexpected EOF"),
        (
            b"[1]",
            "Request decoding failed: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}",
        ),
        (
            b'{"OverrideMeshGateway": {"Mode": "sideways"}}',
            "Invalid OverrideMeshGateway.Mode parameter",
        ),
        (
            b'{"OverrideConnectTimeout": "soon"}',
            "Request decoding failed: 1 error(s) decoding:\n\n* error decoding "
            "'OverrideConnectTimeout': time: invalid duration \"soon\"",
        ),
    ],
)
def test_a_body_that_cannot_be_read(api, body, text):
    response = api.post("/v1/discovery-chain/web", data=body)
    assert (response.status_code, response.text) == (400, text)


def test_the_name_and_enterprise_parameters(api):
    response = api.get("/v1/discovery-chain/")
    assert (response.status_code, response.text) == (400, "Missing chain name")
    response = api.get("/v1/discovery-chain/web", params={"ns": "team"})
    assert (response.status_code, response.text) == (
        400,
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature',
    )
    response = api.get("/v1/discovery-chain/web", params={"dc": "nowhere"})
    assert (response.status_code, response.text) == (500, "No path to datacenter")


def test_reading_a_chain_needs_service_read(root, anon):
    response = anon.get("/v1/discovery-chain/web")
    assert response.status_code == 403
    assert "lacks permission 'service:read' on \"web\"" in response.text
    reader = make_token(root, 'service "web" { policy = "read" }')["SecretID"]
    assert root.get("/v1/discovery-chain/web", token=reader).status_code == 200
    assert root.get("/v1/discovery-chain/api", token=reader).status_code == 403


def test_a_blocking_read_wakes_only_when_the_chain_changes(api, consul_agent, pool):
    put(api, Kind="service-defaults", Name="web", Protocol="http")
    index = api.index("/v1/discovery-chain/web")
    waiting = pool.submit(
        api.get, "/v1/discovery-chain/web", params={"index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    # Another service's entry moves the table's index but not this chain.
    put(api, Kind="service-defaults", Name="api", Protocol="grpc")
    wait_blocked(consul_agent)
    assert not waiting.done()
    put(api, Kind="service-defaults", Name="web", Protocol="grpc")
    response = waiting.result(timeout=10)
    assert response.json()["Chain"]["Protocol"] == "grpc"
    assert int(response.headers["X-Consul-Index"]) > index


def test_a_blocking_read_of_a_chain_without_entries_waits_for_one(api, consul_agent, pool):
    index = api.index("/v1/discovery-chain/web")
    waiting = pool.submit(
        api.get, "/v1/discovery-chain/web", params={"index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    put(api, Kind="service-defaults", Name="web", Meta={"team": "blue"})
    chain = waiting.result(timeout=10).json()["Chain"]
    assert chain["ServiceMeta"] == {"team": "blue"}


def test_another_datacenter_compiles_in_its_own_name_and_trust_domain():
    with DevAgent(extra_datacenters=("dc2",)) as agent, RawHTTP(agent.url) as api:
        chain = api.get("/v1/discovery-chain/web", params={"dc": "dc2"}).json()["Chain"]
        assert chain["Datacenter"] == "dc2"
        expected = target(api, "web", dc="dc2", answering="dc2")
        assert chain["Targets"] == {"web.default.default.dc2": expected}


def test_a_cached_read_goes_through_the_agent_s_cache(api):
    first = api.get("/v1/discovery-chain/web", params={"cached": ""})
    assert first.headers["X-Cache"] == "MISS"
    again = api.get("/v1/discovery-chain/web", params={"cached": ""})
    assert (again.headers["X-Cache"], again.headers["Age"]) == ("HIT", "0")
    assert again.json() == first.json()
    # The overrides are part of the request the cache keeps an answer for.
    body = {"OverrideProtocol": "http"}
    overridden = api.post("/v1/discovery-chain/web", params={"cached": ""}, json=body)
    assert overridden.headers["X-Cache"] == "MISS"
    assert overridden.json()["Chain"]["Protocol"] == "http"
    again = api.post("/v1/discovery-chain/web", params={"cached": ""}, json=body)
    assert again.headers["X-Cache"] == "HIT"
    response = api.get("/v1/discovery-chain/web", params={"cached": "", "consistent": ""})
    assert (response.status_code, response.text) == (
        400,
        "Cannot specify ?cached with ?consistent, conflicting semantics.",
    )
