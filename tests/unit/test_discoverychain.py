"""The discovery chain compiler, against the chains of Consul's own compile tests.

The cases are those of ``agent/consul/discoverychain/compile_test.go``
(service ``main``, datacenter ``dc1``, trust domain ``trustdomain.consul``),
with the entries as ``/v1/config`` writes them and the chains as
``/v1/discovery-chain`` answers them.
"""

from __future__ import annotations

from typing import Any

import pytest

from consul.testing.state.discoverychain import (
    ChainEntries,
    CompileRequest,
    GraphError,
    compile_chain,
)

TRUST_DOMAIN = "trustdomain.consul"


def entries(*items: dict[str, Any]) -> ChainEntries:
    """A lookup over ``items`` (each with its ``Kind`` and ``Name``)."""
    table = {(item["Kind"], item["Name"]): item for item in items}
    return ChainEntries(lambda kind, name: table.get((kind, name)))


def defaults(name: str, protocol: str = "", **fields: Any) -> dict[str, Any]:
    return {"Kind": "service-defaults", "Name": name, "Protocol": protocol, **fields}


def proxy_defaults(**fields: Any) -> dict[str, Any]:
    return {"Kind": "proxy-defaults", "Name": "global", **fields}


def resolver(name: str, **fields: Any) -> dict[str, Any]:
    return {"Kind": "service-resolver", "Name": name, **fields}


def splitter(name: str, *splits: dict[str, Any]) -> dict[str, Any]:
    return {"Kind": "service-splitter", "Name": name, "Splits": list(splits)}


def router(name: str, *routes: dict[str, Any]) -> dict[str, Any]:
    return {"Kind": "service-router", "Name": name, "Routes": list(routes)}


def simple_route(service: str) -> dict[str, Any]:
    """``newSimpleRoute``: ``/service`` to that service."""
    return {"Match": {"HTTP": {"PathPrefix": f"/{service}"}}, "Destination": {"Service": service}}


def default_route(service: str = "main") -> dict[str, Any]:
    return {
        "Match": {"HTTP": {"PathPrefix": "/"}},
        "Destination": {"Service": service, "Namespace": "default", "Partition": "default"},
    }


def target(
    service: str, subset: str = "", dc: str = "dc1", timeout: str = "5s", **fields: Any
) -> dict[str, Any]:
    """A target as Consul's test helper ``newTarget`` makes it, in JSON."""
    ident = ".".join(p for p in (subset, service, "default", "default", dc) if p)
    sni = ".".join(p for p in (subset, service, "default", dc, "internal", TRUST_DOMAIN) if p)
    out: dict[str, Any] = {
        "ConnectTimeout": timeout,
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
    out.update(fields)
    return out


def resolver_node(ident: str, timeout: str = "5s", default: bool = False, **fields: Any) -> Any:
    settings: dict[str, Any] = {"ConnectTimeout": timeout, "Target": ident}
    if default:
        settings["Default"] = True
    return {"Type": "resolver", "Name": ident, "Resolver": settings, **fields}


def chain(protocol: str, start: str, nodes: dict[str, Any], *targets: Any, **fields: Any) -> Any:
    return {
        "ServiceName": "main",
        "Namespace": "default",
        "Partition": "default",
        "Datacenter": "dc1",
        **fields,
        "Protocol": protocol,
        "StartNode": start,
        "Nodes": nodes,
        "Targets": {t["ID"]: t for t in targets},
    }


def compile_main(found: ChainEntries, **overrides: Any) -> dict[str, Any]:
    request = CompileRequest("main", "dc1", TRUST_DOMAIN, **overrides)
    return compile_chain(request, found)


MAIN = "main.default.default.dc1"

RING_HASH = {
    "Policy": "ring_hash",
    "RingHashConfig": {"MaximumRingSize": 100},
    "HashPolicies": [{"SourceIP": True}],
}


def test_no_entries_is_the_default_chain():
    found = entries()
    assert compile_main(found) == chain(
        "tcp",
        f"resolver:{MAIN}",
        {f"resolver:{MAIN}": resolver_node(MAIN, default=True)},
        target("main"),
        Default=True,
    )
    assert found.empty


def test_default_resolver_with_proxy_defaults():
    found = entries(
        proxy_defaults(Config={"protocol": "grpc"}, MeshGateway={"Mode": "remote"}),
    )
    assert compile_main(found) == chain(
        "grpc",
        f"resolver:{MAIN}",
        {f"resolver:{MAIN}": resolver_node(MAIN, default=True)},
        target("main", MeshGateway={"Mode": "remote"}),
        Default=True,
    )
    assert not found.empty


def test_service_meta_is_the_chain_service_s_even_through_a_redirect():
    found = entries(
        defaults("main", Meta={"foo": "bar", "abc": "123"}),
        defaults("other", Meta={"zim": "gir", "abc": "456", "xyz": "999"}),
        resolver("main", Redirect={"Service": "other"}),
    )
    other = "other.default.default.dc1"
    # A redirect to a default resolver is not the default chain.
    assert compile_main(found) == chain(
        "tcp",
        f"resolver:{other}",
        {f"resolver:{other}": resolver_node(other, default=True)},
        target("other"),
        ServiceMeta={"foo": "bar", "abc": "123"},
    )


def test_router_with_defaults_and_a_resolver():
    found = entries(
        defaults("main", "http"),
        router("main"),
        resolver("main", ConnectTimeout="33s"),
    )
    assert compile_main(found) == chain(
        "http",
        "router:main.default.default",
        {
            "router:main.default.default": {
                "Type": "router",
                "Name": "main.default.default",
                "Routes": [{"Definition": default_route(), "NextNode": f"resolver:{MAIN}"}],
            },
            f"resolver:{MAIN}": resolver_node(MAIN, "33s"),
        },
        target("main", timeout="33s"),
    )


def test_a_route_without_destination_goes_to_the_router_s_service():
    route = {"Match": {"HTTP": {"PathPrefix": "/"}}}
    found = entries(defaults("main", "http"), router("main", route))
    nodes = compile_main(found)["Nodes"]
    assert nodes["router:main.default.default"]["Routes"] == [
        {"Definition": route, "NextNode": f"resolver:{MAIN}"},
        {"Definition": default_route(), "NextNode": f"resolver:{MAIN}"},
    ]


def test_all_the_bells_and_whistles():
    """Redirects to a default subset, splits flattened with their headers, a hash balancer."""
    parent_headers = {
        "RequestHeaders": {"Set": {"parent": "1", "shared": "from-parent"}},
        "ResponseHeaders": {"Set": {"parent": "2", "shared": "from-parent"}},
    }
    child_headers = {
        "RequestHeaders": {"Set": {"child": "3", "shared": "from-child"}},
        "ResponseHeaders": {"Set": {"child": "4", "shared": "from-parent"}},
    }
    services = (
        "main",
        "svc-redirect",
        "svc-redirect-again",
        "svc-split",
        "svc-split-again",
        "svc-split-one-more-time",
        "redirected",
    )
    found = entries(
        *(defaults(name, "http") for name in services),
        router("main", simple_route("svc-redirect"), simple_route("svc-split")),
        splitter(
            "svc-split",
            {"Weight": 60, "Service": "svc-redirect"},
            {"Weight": 40, "Service": "svc-split-again"},
        ),
        splitter(
            "svc-split-again",
            {"Weight": 75, "Service": "main", "ServiceSubset": "v1"},
            {"Weight": 25, "Service": "svc-split-one-more-time", **parent_headers},
        ),
        splitter(
            "svc-split-one-more-time",
            {"Weight": 80, "Service": "main", "ServiceSubset": "v2"},
            {"Weight": 20, "Service": "main", "ServiceSubset": "v3", **child_headers},
        ),
        resolver("svc-redirect", Redirect={"Service": "svc-redirect-again"}),
        resolver("svc-redirect-again", Redirect={"Service": "redirected"}),
        resolver(
            "redirected",
            DefaultSubset="prod",
            Subsets={
                "prod": {"Filter": "ServiceMeta.env == prod"},
                "qa": {"Filter": "ServiceMeta.env == qa"},
            },
            LoadBalancer=RING_HASH,
        ),
        resolver(
            "main",
            DefaultSubset="default-subset",
            Subsets={
                "v1": {"Filter": "Service.Meta.version == 1"},
                "v2": {"Filter": "Service.Meta.version == 2"},
                "v3": {"Filter": "Service.Meta.version == 3"},
                "default-subset": {"OnlyPassing": True},
            },
        ),
    )
    prod = "prod.redirected.default.default.dc1"
    v1, v2, v3 = (f"{v}.main.default.default.dc1" for v in ("v1", "v2", "v3"))
    subset = "default-subset.main.default.default.dc1"
    merged_headers = {
        "RequestHeaders": {"Set": {"parent": "1", "child": "3", "shared": "from-child"}},
        "ResponseHeaders": {"Set": {"parent": "2", "child": "4", "shared": "from-parent"}},
    }
    assert compile_main(found) == chain(
        "http",
        "router:main.default.default",
        {
            "router:main.default.default": {
                "Type": "router",
                "Name": "main.default.default",
                "Routes": [
                    {"Definition": simple_route("svc-redirect"), "NextNode": f"resolver:{prod}"},
                    {
                        "Definition": simple_route("svc-split"),
                        "NextNode": "splitter:svc-split.default.default",
                    },
                    {"Definition": default_route(), "NextNode": f"resolver:{subset}"},
                ],
            },
            "splitter:svc-split.default.default": {
                "Type": "splitter",
                "Name": "svc-split.default.default",
                "Splits": [
                    {
                        "Definition": {"Weight": 60, "Service": "svc-redirect"},
                        "Weight": 60,
                        "NextNode": f"resolver:{prod}",
                    },
                    {
                        "Definition": {"Weight": 75, "Service": "main", "ServiceSubset": "v1"},
                        "Weight": 30,
                        "NextNode": f"resolver:{v1}",
                    },
                    {
                        # The parent's header changes, as there are no child ones.
                        "Definition": {
                            "Weight": 80,
                            "Service": "main",
                            "ServiceSubset": "v2",
                            **parent_headers,
                        },
                        "Weight": 8,
                        "NextNode": f"resolver:{v2}",
                    },
                    {
                        # The child's over the parent's.
                        "Definition": {
                            "Weight": 20,
                            "Service": "main",
                            "ServiceSubset": "v3",
                            **merged_headers,
                        },
                        "Weight": 2,
                        "NextNode": f"resolver:{v3}",
                    },
                ],
                "LoadBalancer": RING_HASH,
            },
            f"resolver:{prod}": resolver_node(prod, LoadBalancer=RING_HASH),
            f"resolver:{v1}": resolver_node(v1),
            f"resolver:{v2}": resolver_node(v2),
            f"resolver:{v3}": resolver_node(v3),
            f"resolver:{subset}": resolver_node(subset),
        },
        target("redirected", "prod", Subset={"Filter": "ServiceMeta.env == prod"}),
        target("main", "v1", Subset={"Filter": "Service.Meta.version == 1"}),
        target("main", "v2", Subset={"Filter": "Service.Meta.version == 2"}),
        target("main", "v3", Subset={"Filter": "Service.Meta.version == 3"}),
        target("main", "default-subset", Subset={"OnlyPassing": True}),
    )


def test_a_route_to_a_subset_bypasses_the_splitter():
    bypass = {
        "Match": {"HTTP": {"PathPrefix": "/other"}},
        "Destination": {"Service": "other", "ServiceSubset": "bypass"},
    }
    found = entries(
        defaults("main", "http"),
        defaults("other", "http"),
        router("main", bypass),
        splitter("other", {"Weight": 100, "Service": "ignored"}),
        resolver("other", Subsets={"bypass": {"Filter": "Service.Meta.version == bypass"}}),
    )
    other = "bypass.other.default.default.dc1"
    assert compile_main(found) == chain(
        "http",
        "router:main.default.default",
        {
            "router:main.default.default": {
                "Type": "router",
                "Name": "main.default.default",
                "Routes": [
                    {"Definition": bypass, "NextNode": f"resolver:{other}"},
                    {"Definition": default_route(), "NextNode": f"resolver:{MAIN}"},
                ],
            },
            f"resolver:{MAIN}": resolver_node(MAIN, default=True),
            f"resolver:{other}": resolver_node(other),
        },
        target("main"),
        target("other", "bypass", Subset={"Filter": "Service.Meta.version == bypass"}),
    )


def test_a_split_to_a_subset_bypasses_the_next_splitter():
    split = {"Weight": 100, "Service": "next", "ServiceSubset": "bypassed"}
    found = entries(
        defaults("main", "http"),
        defaults("next", "http"),
        splitter("main", split),
        splitter("next", {"Weight": 100, "ServiceSubset": "not-bypassed"}),
        resolver(
            "next",
            Subsets={
                "bypassed": {"Filter": "Service.Meta.version == bypass"},
                "not-bypassed": {"Filter": "Service.Meta.version != bypass"},
            },
        ),
    )
    bypassed = "bypassed.next.default.default.dc1"
    assert compile_main(found) == chain(
        "http",
        "splitter:main.default.default",
        {
            "splitter:main.default.default": {
                "Type": "splitter",
                "Name": "main.default.default",
                "Splits": [
                    {"Definition": split, "Weight": 100, "NextNode": f"resolver:{bypassed}"}
                ],
            },
            f"resolver:{bypassed}": resolver_node(bypassed),
        },
        target("next", "bypassed", Subset={"Filter": "Service.Meta.version == bypass"}),
    )


def test_a_splitter_takes_the_first_hash_based_balancer_of_its_resolvers():
    least_request = {"Policy": "least_request", "LeastRequestConfig": {"ChoiceCount": 3}}
    ring_hash = {
        "Policy": "ring_hash",
        "RingHashConfig": {"MaximumRingSize": 101},
        "HashPolicies": [{"SourceIP": True}],
    }
    maglev = {
        "Policy": "maglev",
        "HashPolicies": [
            {
                "Field": "cookie",
                "FieldValue": "chocolate-chip",
                "CookieConfig": {"TTL": "2m0s", "Path": "/bowl"},
                "Terminal": True,
            }
        ],
    }
    found = entries(
        *(defaults(name, "http") for name in ("foo", "bar", "baz")),
        splitter(
            "main",
            {"Weight": 60, "Service": "foo"},
            {"Weight": 20, "Service": "bar"},
            {"Weight": 20, "Service": "baz"},
        ),
        resolver("foo", LoadBalancer=least_request),
        resolver("bar", LoadBalancer=ring_hash),
        resolver("baz", LoadBalancer=maglev),
    )
    nodes = compile_main(found)["Nodes"]
    assert nodes["splitter:main.default.default"]["LoadBalancer"] == ring_hash
    for name, balancer in (("foo", least_request), ("bar", ring_hash), ("baz", maglev)):
        ident = f"{name}.default.default.dc1"
        # A resolver with a balancer is not a default one.
        assert nodes[f"resolver:{ident}"] == resolver_node(ident, LoadBalancer=balancer)


def test_multi_datacenter_canary():
    found = entries(
        defaults("main", "http"),
        defaults("main-dc2", "http"),
        defaults("main-dc3", "http"),
        splitter(
            "main",
            {"Weight": 60, "Service": "main-dc2"},
            {"Weight": 40, "Service": "main-dc3"},
        ),
        resolver("main-dc2", Redirect={"Service": "main", "Datacenter": "dc2"}),
        resolver("main-dc3", Redirect={"Service": "main", "Datacenter": "dc3"}),
        resolver("main", ConnectTimeout="33s"),
    )
    dc2, dc3 = "main.default.default.dc2", "main.default.default.dc3"
    assert compile_main(found) == chain(
        "http",
        "splitter:main.default.default",
        {
            "splitter:main.default.default": {
                "Type": "splitter",
                "Name": "main.default.default",
                "Splits": [
                    {
                        "Definition": {"Weight": 60, "Service": "main-dc2"},
                        "Weight": 60,
                        "NextNode": f"resolver:{dc2}",
                    },
                    {
                        "Definition": {"Weight": 40, "Service": "main-dc3"},
                        "Weight": 40,
                        "NextNode": f"resolver:{dc3}",
                    },
                ],
            },
            f"resolver:{dc2}": resolver_node(dc2, "33s"),
            f"resolver:{dc3}": resolver_node(dc3, "33s"),
        },
        target("main", dc="dc2", timeout="33s"),
        target("main", dc="dc3", timeout="33s"),
    )


def test_datacenter_failover_with_mesh_gateways():
    found = entries(
        proxy_defaults(MeshGateway={"Mode": "remote"}),
        resolver("main", Failover={"*": {"Datacenters": ["dc2", "dc4"]}}),
    )
    failover = {"Targets": ["main.default.default.dc2", "main.default.default.dc4"]}
    remote = {"Mode": "remote"}
    assert compile_main(found) == chain(
        "tcp",
        f"resolver:{MAIN}",
        {f"resolver:{MAIN}": _with_failover(resolver_node(MAIN), failover)},
        target("main", MeshGateway=remote),
        target("main", dc="dc2", MeshGateway=remote),
        target("main", dc="dc4", MeshGateway=remote),
    )


def _with_failover(node: dict[str, Any], failover: dict[str, Any]) -> dict[str, Any]:
    node["Resolver"]["Failover"] = failover
    return node


@pytest.mark.parametrize(
    ("resolvers", "failover_to", "subset"),
    [
        # A failover through a redirect lands where the redirect goes.
        (
            [
                resolver("backup", Redirect={"Service": "actual"}),
                resolver("main", Failover={"*": {"Service": "backup"}}),
            ],
            "actual",
            "",
        ),
        # A failover target's own failover is not followed.
        (
            [
                resolver("backup", Failover={"*": {"Service": "main"}}),
                resolver("main", Failover={"*": {"Service": "backup"}}),
            ],
            "backup",
            "",
        ),
        (
            [
                resolver(
                    "main",
                    Subsets={"backup": {"Filter": "Service.Meta.version == backup"}},
                    Failover={"*": {"ServiceSubset": "backup"}},
                ),
            ],
            "main",
            "backup",
        ),
    ],
)
def test_failover(resolvers, failover_to, subset):
    result = compile_main(entries(*resolvers))
    other = target(failover_to, subset)
    if subset:
        other["Subset"] = {"Filter": "Service.Meta.version == backup"}
    assert result == chain(
        "tcp",
        f"resolver:{MAIN}",
        {f"resolver:{MAIN}": _with_failover(resolver_node(MAIN), {"Targets": [other["ID"]]})},
        target("main"),
        other,
    )


def test_failover_policy_comes_from_proxy_defaults_when_the_failover_has_none():
    policy = {"Mode": "order-by-locality", "Regions": ["us-east-1"]}
    found = entries(
        proxy_defaults(FailoverPolicy=policy),
        resolver("main", Failover={"*": {"Datacenters": ["dc2"]}}),
    )
    settings = compile_main(found)["Nodes"][f"resolver:{MAIN}"]["Resolver"]
    assert settings["Failover"] == {"Targets": ["main.default.default.dc2"], "Policy": policy}


def test_external_sni():
    found = entries(
        defaults("main", ExternalSNI="main.some.other.service.mesh"),
        proxy_defaults(MeshGateway={"Mode": "remote"}),
    )
    assert compile_main(found)["Targets"] == {
        MAIN: target("main", SNI="main.some.other.service.mesh", External=True)
    }


def test_service_defaults_mesh_gateway_and_direct_dialing_win_over_proxy_defaults():
    found = entries(
        defaults("main", MeshGateway={"Mode": "local"}, TransparentProxy={"DialedDirectly": True}),
        proxy_defaults(MeshGateway={"Mode": "remote"}),
    )
    assert compile_main(found)["Targets"][MAIN] == target(
        "main", MeshGateway={"Mode": "local"}, TransparentProxy={"DialedDirectly": True}
    )


def test_protocol_override():
    found = entries(defaults("main", "grpc"))
    result = compile_main(found, override_protocol="http2")
    assert len(result.pop("CustomizationHash")) == 8
    assert result == chain(
        "http2",
        f"resolver:{MAIN}",
        {f"resolver:{MAIN}": resolver_node(MAIN, default=True)},
        target("main"),
        Default=True,
    )


def test_the_customization_hash_is_consul_s():
    """The docs' sample: a redirect to dc2, compiled with three overrides."""
    found = entries(resolver("main", Redirect={"Datacenter": "dc2"}))
    result = compile_main(
        found,
        override_connect_timeout=7 * 10**9,
        override_protocol="grpc",
        override_mesh_gateway="remote",
    )
    assert result["CustomizationHash"] == "b94f529a"


def test_an_override_to_what_the_chain_has_customizes_nothing():
    found = entries(defaults("main", "http2"))
    assert "CustomizationHash" not in compile_main(found, override_protocol="http2")
    assert "CustomizationHash" not in compile_main(found, override_connect_timeout=5 * 10**9)


def test_a_tcp_override_leaves_the_router_out():
    found = entries(defaults("main", "grpc"), router("main"))
    result = compile_main(found, override_protocol="tcp")
    assert len(result.pop("CustomizationHash")) == 8
    assert result == chain(
        "tcp",
        f"resolver:{MAIN}",
        {f"resolver:{MAIN}": resolver_node(MAIN, default=True)},
        target("main"),
        Default=True,
    )


def test_connect_timeout_and_mesh_gateway_overrides():
    found = entries(resolver("main", Failover={"*": {"Datacenters": ["dc2"]}}))
    result = compile_main(found, override_connect_timeout=7 * 10**9, override_mesh_gateway="local")
    hashed = result["CustomizationHash"]
    assert result["Nodes"][f"resolver:{MAIN}"]["Resolver"]["ConnectTimeout"] == "7s"
    assert result["Targets"] == {
        MAIN: target("main", timeout="7s", MeshGateway={"Mode": "local"}),
        "main.default.default.dc2": target(
            "main", dc="dc2", timeout="7s", MeshGateway={"Mode": "local"}
        ),
    }
    # Other overrides, another hash.
    other = compile_main(found, override_connect_timeout=8 * 10**9, override_mesh_gateway="local")
    assert other["CustomizationHash"] != hashed


@pytest.mark.parametrize(
    ("found", "message"),
    [
        (
            [
                defaults("main", "tcp"),
                splitter("main", {"Weight": 90, "Namespace": "v1"}, {"Weight": 10}),
            ],
            'discovery chain "main" uses a protocol "tcp" that does not permit advanced '
            "routing or splitting behavior",
        ),
        (
            [
                defaults("main", "tcp"),
                defaults("other", "tcp"),
                router("main", {"Destination": {"Service": "other"}}),
            ],
            'discovery chain "main" uses a protocol "tcp" that does not permit advanced '
            "routing or splitting behavior",
        ),
        (
            [
                defaults("main", "grpc"),
                defaults("other", "tcp"),
                resolver("main", Failover={"*": {"Service": "other"}}),
            ],
            'discovery chain "main" uses inconsistent protocols; service "other" has "tcp" '
            'which is not "grpc"',
        ),
        (
            [
                defaults("main", "grpc"),
                defaults("other", "tcp"),
                resolver("main", Redirect={"Service": "other"}),
            ],
            'discovery chain "main" uses inconsistent protocols; service "other" has "tcp" '
            'which is not "grpc"',
        ),
        (
            [
                resolver("other", ConnectTimeout="33s"),
                resolver("main", Redirect={"Service": "other", "ServiceSubset": "v1"}),
            ],
            'service "other" does not have a subset named "v1"',
        ),
        (
            [
                defaults("main", ExternalSNI="main.some.other.service.mesh"),
                resolver("main", Failover={"*": {"Service": "backup"}}),
            ],
            'service "main" has an external SNI set; cannot define failover for external services',
        ),
        (
            [
                defaults("main", ExternalSNI="main.some.other.service.mesh"),
                resolver("main", Subsets={"canary": {"Filter": "Service.Meta.version == canary"}}),
            ],
            'service "main" has an external SNI set; cannot define subsets for external services',
        ),
        (
            [
                defaults("main", ExternalSNI="main.some.other.service.mesh"),
                resolver("main", Redirect={"Datacenter": "dc2"}),
            ],
            'service "main" has an external SNI set; cannot define redirects for external services',
        ),
        (
            [
                resolver("main", Redirect={"Service": "other"}),
                resolver("other", Redirect={"Service": "main"}),
            ],
            "detected circular resolver redirect: [main.default.default.dc1 -> "
            "other.default.default.dc1 -> main.default.default.dc1]",
        ),
        (
            [
                proxy_defaults(Config={"protocol": "http"}),
                splitter("main", {"Weight": 100, "Service": "other"}),
                splitter("other", {"Weight": 100, "Service": "main"}),
            ],
            "detected circular reference: [splitter:main.default.default -> "
            "splitter:other.default.default -> splitter:main.default.default]",
        ),
    ],
)
def test_entries_that_make_no_chain(found, message):
    with pytest.raises(GraphError) as raised:
        compile_main(entries(*found))
    assert str(raised.value) == message
