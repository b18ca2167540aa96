"""The kinds of configuration entries, checked with raw HTTP.

After ``agent/structs/config_entry.go`` (``proxy-defaults``),
``config_entry_mesh.go``, ``config_entry_discoverychain.go``,
``config_entry_gateways.go``, ``config_entry_exports.go`` and their ``_ce``
files, ``agent/consul/state/config_entry.go`` (the graph checks) and
``agent/consul/discoverychain/compile.go`` (the chain's errors).
"""

from __future__ import annotations

import pytest
from harness import make_token


def put(api, entry, **params):
    return api.put("/v1/config", json=entry, params=params)


def ok(api, entry):
    response = put(api, entry)
    assert (response.status_code, response.text) == (200, "true"), response.text


def get(api, kind, name):
    response = api.get(f"/v1/config/{kind}/{name}")
    assert response.status_code == 200, response.text
    entry = response.json()
    entry.pop("CreateIndex")
    entry.pop("ModifyIndex")
    return entry


def http(name, protocol="http"):
    return {"Kind": "service-defaults", "Name": name, "Protocol": protocol}


# -- proxy-defaults and mesh ----------------------------------------------------------


def test_proxy_defaults_is_named_global(api):
    response = put(api, {"Kind": "proxy-defaults", "Name": "other"})
    assert (response.status_code, response.text) == (
        500,
        'invalid name ("other"), only "global" is supported',
    )
    ok(
        api,
        {"Kind": "proxy-defaults", "Config": {"protocol": "http", "local_connect_timeout_ms": 5}},
    )
    entry = get(api, "proxy-defaults", "global")
    assert entry.pop("Hash") > 0
    assert entry == {
        "Kind": "proxy-defaults",
        "Name": "global",
        "Config": {"protocol": "http", "local_connect_timeout_ms": 5},
        "TransparentProxy": {},
        "MeshGateway": {},
        "Expose": {},
        "AccessLogs": {},
    }
    response = api.delete("/v1/config/proxy-defaults/other")
    assert (response.status_code, response.text) == (
        500,
        'invalid name ("other"), only "global" is supported',
    )


def test_proxy_defaults_validation(api):
    response = put(api, {"Kind": "proxy-defaults", "AccessLogs": {"Type": "file"}})
    assert response.text == "path must be specified when using file type access logs"
    response = put(api, {"Kind": "proxy-defaults", "FailoverPolicy": {"Mode": "bad"}})
    assert response.text == (
        "Failover-policy mode must be one of '', 'sequential', or 'order-by-locality'"
    )
    response = put(api, {"Kind": "proxy-defaults", "PrioritizeByLocality": {"Mode": "failover"}})
    assert response.text == "Prioritize-by-locality requires Consul Enterprise "
    response = put(api, {"Kind": "proxy-defaults", "Config": {"protocol": {"no": 1}}})
    assert response.status_code == 500
    assert "'protocol' expected type 'string'" in response.text


def test_the_mesh_entry_has_no_name(api):
    response = put(api, {"Kind": "mesh", "Name": "mesh"})
    assert (response.status_code, response.text) == (
        400,
        'Request decoding failed: 1 error occurred:\n\t* invalid config key "Name"\n\n',
    )
    ok(api, {"Kind": "mesh", "transparent_proxy": {"mesh_destinations_only": True}})
    assert get(api, "mesh", "mesh") == {
        "Kind": "mesh",
        "TransparentProxy": {"MeshDestinationsOnly": True},
    }
    # A read of another name finds nothing; a delete of any name deletes the one entry.
    assert api.get("/v1/config/mesh/other").status_code == 404
    assert api.delete("/v1/config/mesh/other").json() == {}
    assert api.get("/v1/config/mesh/mesh").status_code == 404


def test_mesh_tls_is_checked(api):
    response = put(api, {"Kind": "mesh", "TLS": {"Incoming": {"TLSMinVersion": "TLSv9"}}})
    assert response.text == (
        "error in incoming TLS configuration: no matching TLS version found for TLSv9, please "
        "specify one of [TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3]"
    )
    response = put(
        api,
        {
            "Kind": "mesh",
            "TLS": {"Outgoing": {"TLSMinVersion": "TLSv1_3", "TLSMaxVersion": "TLSv1_2"}},
        },
    )
    assert response.text == (
        "error in outgoing TLS configuration: configuring max version TLSv1_2 less than the "
        "configured min version TLSv1_3 is invalid"
    )


def test_permissive_mutual_tls_needs_the_mesh_to_allow_it(api):
    entry = {"Kind": "service-defaults", "Name": "web", "MutualTLSMode": "permissive"}
    assert put(api, entry).status_code == 500
    ok(api, {"Kind": "mesh", "AllowEnablingPermissiveMutualTLS": True})
    ok(api, entry)
    ok(api, {"Kind": "proxy-defaults", "MutualTLSMode": "permissive"})
    # Once set, it may stay set after the mesh stops allowing it.
    ok(api, {"Kind": "mesh"})
    ok(api, {**entry, "Protocol": "http"})


def test_proxy_defaults_and_mesh_need_mesh_write_and_anyone_reads_them(root, anon):
    ok(root, {"Kind": "proxy-defaults"})
    ok(root, {"Kind": "mesh"})
    assert anon.get("/v1/config/proxy-defaults/global").status_code == 200
    assert anon.get("/v1/config/mesh/mesh").status_code == 200
    response = put(anon, {"Kind": "mesh"})
    assert response.status_code == 403
    assert "lacks permission 'mesh:write'" in response.text
    operator = make_token(root, 'operator = "write"')["SecretID"]
    response = root.put("/v1/config", json={"Kind": "proxy-defaults"}, token=operator)
    assert response.status_code == 200


# -- the discovery chain --------------------------------------------------------------


def test_routers_and_splitters_need_an_http_like_protocol(api):
    router = {
        "Kind": "service-router",
        "Name": "web",
        "Routes": [{"Destination": {"Service": "api"}}],
    }
    response = put(api, router)
    assert (response.status_code, response.text) == (
        500,
        'discovery chain "web" uses a protocol "tcp" that does not permit advanced routing or '
        "splitting behavior",
    )
    ok(api, http("web"))
    response = put(api, router)
    assert response.text == (
        'discovery chain "web" uses inconsistent protocols; service "api" has "tcp" which is '
        'not "http"'
    )
    ok(api, {"Kind": "proxy-defaults", "Config": {"protocol": "http"}})
    ok(api, router)
    # A write that would break the chain is refused: the router depends on both.
    response = put(api, http("api", "tcp"))
    assert response.text.startswith('discovery chain "web" uses inconsistent protocols')
    response = put(api, {"Kind": "proxy-defaults", "Config": {"protocol": "tcp"}})
    assert response.status_code == 500
    response = api.delete("/v1/config/service-defaults/web")
    assert response.status_code == 200  # the proxies' default still makes web http
    response = api.delete("/v1/config/proxy-defaults/global")
    assert response.text == (
        'discovery chain "web" uses a protocol "tcp" that does not permit advanced routing or '
        "splitting behavior"
    )


def test_a_router_is_normalized_and_written_as_consul_writes_it(api):
    ok(api, {"Kind": "proxy-defaults", "Config": {"protocol": "http"}})
    route = {
        "match": {"http": {"path_prefix": "/api", "methods": ["get", "post"]}},
        "destination": {"service": "api", "request_timeout": "1m30s", "num_retries": 2},
    }
    ok(api, {"Kind": "service-router", "Name": "web", "Routes": [route]})
    assert get(api, "service-router", "web") == {
        "Kind": "service-router",
        "Name": "web",
        "Routes": [
            {
                "Match": {"HTTP": {"PathPrefix": "/api", "Methods": ["GET", "POST"]}},
                "Destination": {"RequestTimeout": "1m30s", "Service": "api", "NumRetries": 2},
            }
        ],
    }


@pytest.mark.parametrize(
    ("route", "text"),
    [
        (
            {"Match": {"HTTP": {"PathExact": "api"}}},
            "Route[0] PathExact doesn't start with '/': \"api\"",
        ),
        (
            {"Match": {"HTTP": {"PathExact": "/a", "PathRegex": "/b.*"}}},
            "Route[0] should only contain at most one of PathExact, PathPrefix, or PathRegex",
        ),
        (
            {"Match": {"HTTP": {"Header": [{"Name": "x", "Exact": "1", "Present": True}]}}},
            "Route[0] Header[0] should only contain one of Present, Exact, Prefix, Suffix, or "
            "Regex",
        ),
        (
            {"Match": {"HTTP": {"Methods": ["GET", "get"]}}},
            'Route[0] Methods contains "GET" more than once',
        ),
        (
            {"Destination": {"PrefixRewrite": "/"}},
            "Route[0] cannot make use of PrefixRewrite without configuring either PathExact or "
            "PathPrefix",
        ),
        (
            {"Destination": {"RetryOn": ["sometimes"]}},
            'Route[0] contains an invalid retry condition: "sometimes"',
        ),
    ],
)
def test_router_validation(api, route, text):
    response = put(api, {"Kind": "service-router", "Name": "web", "Routes": [route]})
    assert (response.status_code, response.text) == (500, text)


def test_splitter_weights(api):
    ok(api, {"Kind": "proxy-defaults", "Config": {"protocol": "http"}})
    splits = [{"Weight": 33.333, "Service": "a"}, {"Weight": 66.667, "ServiceSubset": ""}]
    ok(api, {"Kind": "service-splitter", "Name": "web", "Splits": splits})
    weights = [s["Weight"] for s in get(api, "service-splitter", "web")["Splits"]]
    assert weights == [33.33, 66.67]
    response = put(api, {"Kind": "service-splitter", "Name": "web", "Splits": [{"Weight": 90}]})
    assert response.text == "the sum of all split weights must be 100, not 90.000000"
    response = put(api, {"Kind": "service-splitter", "Name": "web", "Splits": []})
    assert response.text == "no splits configured"
    twice = [{"Weight": 50, "Service": "a"}, {"Weight": 50, "Service": "a"}]
    response = put(api, {"Kind": "service-splitter", "Name": "web", "Splits": twice})
    assert response.text == (
        'split destination occurs more than once: service="a", subset="", namespace="", '
        'partition=""'
    )


def test_resolver_subsets_redirects_and_timeouts(api):
    resolver = {
        "Kind": "service-resolver",
        "Name": "web",
        "DefaultSubset": "v1",
        "Subsets": {"v1": {"Filter": "Service.Meta.version == 1"}, "v2": {"OnlyPassing": True}},
        "ConnectTimeout": "5s",
    }
    ok(api, resolver)
    entry = get(api, "service-resolver", "web")
    assert list(entry)[:3] == ["ConnectTimeout", "Kind", "Name"]
    assert entry["ConnectTimeout"] == "5s"
    assert entry["Subsets"]["v2"] == {"OnlyPassing": True}
    response = put(api, {**resolver, "DefaultSubset": "v3"})
    assert response.text == 'DefaultSubset "v3" is not a valid subset'
    response = put(api, {**resolver, "Subsets": {"V1": {}}, "DefaultSubset": ""})
    assert response.text.startswith('Subset "V1" is invalid: must be 63 characters or fewer')
    response = put(api, {**resolver, "Subsets": {"v1": {"Filter": "=="}}})
    assert response.text.startswith('Filter for subset "v1" is not a valid expression: ')
    ok(api, {"Kind": "service-resolver", "Name": "a", "Redirect": {"Service": "b"}})
    response = put(api, {"Kind": "service-resolver", "Name": "b", "Redirect": {"Service": "a"}})
    assert response.text == (
        "detected circular resolver redirect: [a.default.default.dc1 -> b.default.default.dc1 "
        "-> a.default.default.dc1]"
    )
    response = put(
        api,
        {
            "Kind": "service-resolver",
            "Name": "c",
            "Redirect": {"Service": "web", "ServiceSubset": "v9"},
        },
    )
    assert response.text == 'service "web" does not have a subset named "v9"'
    response = put(api, {"Kind": "service-resolver", "Name": "c", "Redirect": {"Namespace": "x"}})
    assert response.text == "Redirect: Setting Namespace requires Consul Enterprise"


def test_resolver_failover_rules(api):
    base = {"Kind": "service-resolver", "Name": "web"}
    response = put(api, {**base, "Failover": {"*": {}}})
    assert response.text == (
        'Bad Failover["*"]: one of Service, ServiceSubset, Namespace, Targets, or Datacenters '
        "is required"
    )
    response = put(api, {**base, "Failover": {"v1": {"Service": "other"}}})
    assert response.text == 'Bad Failover["v1"]: not a valid subset subset'
    response = put(
        api, {**base, "Failover": {"*": {"Datacenters": ["dc2"], "Targets": [{"Peer": "p"}]}}}
    )
    assert response.text == 'Bad Failover["*"]: Targets cannot be set with Datacenters'
    ok(api, {**base, "Failover": {"*": {"Datacenters": ["dc2", "dc3"]}}})


def test_discovery_chain_acls(root):
    ok(root, {"Kind": "proxy-defaults", "Config": {"protocol": "http"}})
    writer = make_token(root, 'service "web" { policy = "write" }')["SecretID"]
    router = {
        "Kind": "service-router",
        "Name": "web",
        "Routes": [{"Destination": {"Service": "api"}}],
    }
    response = root.put("/v1/config", json=router, token=writer)
    assert response.status_code == 403
    assert "lacks permission 'service:read' on \"api\"" in response.text
    both = make_token(root, 'service "web" { policy = "write" } service "api" { policy = "read" }')
    response = root.put("/v1/config", json=router, token=both["SecretID"])
    assert response.status_code == 200


# -- gateways -------------------------------------------------------------------------


def test_an_ingress_gateway_fills_the_gateway_services_table(api):
    ok(api, http("web"))
    ingress = {
        "Kind": "ingress-gateway",
        "Name": "ingress",
        "Listeners": [
            {
                "Port": 8080,
                "Protocol": "HTTP",
                "Services": [{"Name": "web", "Hosts": ["web.example"]}],
            }
        ],
    }
    ok(api, ingress)
    entry = get(api, "ingress-gateway", "ingress")
    assert entry["Listeners"] == [
        {"Port": 8080, "Protocol": "http", "Services": [{"Name": "web", "Hosts": ["web.example"]}]}
    ]
    assert entry["TLS"] == {"Enabled": False}
    rows = api.get("/v1/catalog/gateway-services/ingress").json()
    assert [(r["Service"]["Name"], r["Port"], r["Protocol"], r["Hosts"]) for r in rows] == [
        ("web", 8080, "http", ["web.example"])
    ]
    api.delete("/v1/config/ingress-gateway/ingress")
    assert not api.get("/v1/catalog/gateway-services/ingress").json()


def test_ingress_listeners_must_match_their_services_protocols(api):
    ingress = {
        "Kind": "ingress-gateway",
        "Name": "ingress",
        "Listeners": [{"Port": 8080, "Protocol": "http", "Services": [{"Name": "web"}]}],
    }
    response = put(api, ingress)
    assert (response.status_code, response.text) == (
        500,
        'service "web" has protocol "tcp", which does not match defined listener protocol "http"',
    )
    ok(api, http("web"))
    ok(api, ingress)
    response = put(api, http("web", "grpc"))
    assert response.text == (
        'service "web" has protocol "grpc", which does not match defined listener protocol "http"'
    )


@pytest.mark.parametrize(
    ("listeners", "text"),
    [
        (
            [{"Port": 1, "Services": [{"Name": "a"}]}, {"Port": 1, "Services": [{"Name": "b"}]}],
            "port 1 declared on two listeners",
        ),
        (
            [{"Port": 1, "Protocol": "udp", "Services": [{"Name": "a"}]}],
            "protocol must be 'tcp', 'http', 'http2', or 'grpc'. 'udp' is an unsupported protocol",
        ),
        ([{"Port": 1}], "No service declared for listener with port 1"),
        (
            [{"Port": 1, "Services": [{"Name": "a"}, {"Name": "b"}]}],
            "Multiple services per listener are only supported for L7 protocols, 'http', 'grpc' "
            "and 'http2' (listener on port 1)",
        ),
        (
            [{"Port": 1, "Services": [{"Name": "*"}]}],
            "Wildcard service name is only valid for protocol = 'http' (listener on port 1)",
        ),
        (
            [{"Port": 1, "Protocol": "http", "Services": [{"Name": "a", "Hosts": ["a..b"]}]}],
            'Host "a..b" must be a valid DNS hostname',
        ),
    ],
)
def test_ingress_validation(api, listeners, text):
    response = put(api, {"Kind": "ingress-gateway", "Name": "ingress", "Listeners": listeners})
    assert (response.status_code, response.text) == (500, text)


def test_a_terminating_gateway_fills_the_table_and_cannot_share_an_ingress_name(api, consul_agent):
    ok(
        api,
        {
            "Kind": "terminating-gateway",
            "Name": "term",
            "Services": [{"Name": "billing", "SNI": "b.example"}],
        },
    )
    rows = api.get("/v1/catalog/gateway-services/term").json()
    assert [(r["Service"]["Name"], r["GatewayKind"], r["SNI"]) for r in rows] == [
        ("billing", "terminating-gateway", "b.example")
    ]
    response = put(
        api,
        {
            "Kind": "ingress-gateway",
            "Name": "term",
            "Listeners": [{"Port": 1, "Services": [{"Name": "x"}]}],
        },
    )
    assert response.text == (
        'cannot create a "ingress-gateway" config entry with name "term", a '
        '"terminating-gateway" config entry with that name already exists'
    )
    response = put(
        api,
        {"Kind": "terminating-gateway", "Name": "t2", "Services": [{"Name": "x", "CertFile": "c"}]},
    )
    assert response.text == (
        'Service "x" must have a CertFile, CAFile, and KeyFile specified for TLS origination'
    )


# -- exported services ----------------------------------------------------------------


def test_exported_services_resolve_wildcards_and_merge_consumers(api):
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web"}})
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "db"}})
    assert api.get("/v1/exported-services").json() == []
    entry = {
        "Kind": "exported-services",
        "Name": "default",
        "Services": [
            {"Name": "*", "Consumers": [{"Peer": "east"}]},
            {"Name": "web", "Consumers": [{"peer_name": "west"}]},
        ],
    }
    ok(api, entry)
    assert api.get("/v1/exported-services").json() == [
        {"Service": "db", "Consumers": {"Peers": ["east"]}},
        {"Service": "web", "Consumers": {"Peers": ["east", "west"]}},
    ]
    stored = get(api, "exported-services", "default")
    assert list(stored)[:2] == ["Kind", "Name"]
    assert stored["Services"][1]["Consumers"] == [{"Peer": "west"}]


def test_exported_services_validation_and_acls(root, anon):
    response = put(root, {"Kind": "exported-services", "Name": "other"})
    assert response.text == 'exported-services Name must be "default"'
    response = put(
        root,
        {
            "Kind": "exported-services",
            "Name": "default",
            "Services": [{"Name": "web", "Consumers": [{"Partition": "p"}]}],
        },
    )
    assert response.text == "Services[0].Consumers[0]: partitions are an enterprise-only feature"
    response = put(
        root, {"Kind": "exported-services", "Name": "default", "Services": [{"Name": "web"}]}
    )
    assert response.text == "Services[0]: must have at least one consumer"
    ok(root, {"Kind": "exported-services", "Name": "default"})
    assert anon.get("/v1/config/exported-services/default").status_code == 403
    response = anon.get("/v1/exported-services")
    assert response.status_code == 403
    assert "lacks permission 'mesh:read'" in response.text
    assert root.get("/v1/exported-services").json() == []
