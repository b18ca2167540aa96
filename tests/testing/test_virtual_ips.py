"""Service virtual IPs: assigned with registrations and entries, and set by hand, with raw HTTP.

After ``agent/consul/state/catalog.go`` (``ensureServiceTxn``,
``assignServiceVirtualIP``, ``freeServiceVirtualIP``,
``AssignManualServiceVIPs``), ``agent/consul/state/config_entry.go``
(``configEntryHasVirtualIP``), ``agent/catalog_endpoint.go`` and
``agent/consul/internal_endpoint.go`` (``AssignManualServiceVIPs``).
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import RawHTTP, make_token, wait_until

from consul.testing import DevAgent

PATH = "/v1/internal/service-virtual-ip"


def native(name: str, port: int = 1111, node: str = "n1", **fields: Any) -> dict[str, Any]:
    service = {"Service": name, "Port": port, "Connect": {"Native": True}, **fields}
    return {"Node": node, "Address": "10.0.0.1", "Service": service}


def proxy(destination: str, port: int = 2222, node: str = "n1", **fields: Any) -> dict[str, Any]:
    service = {
        "Service": f"{destination}-proxy",
        "Kind": "connect-proxy",
        "Port": port,
        "Proxy": {"DestinationServiceName": destination},
        **fields,
    }
    return {"Node": node, "Address": "10.0.0.1", "Service": service}


def virtual_ip(api: RawHTTP, service: str) -> dict[str, Any] | None:
    """The ``consul-virtual`` tagged address of the first instance of ``service``."""
    (instance, *_) = api.get(f"/v1/catalog/service/{service}").json()
    return (instance.get("ServiceTaggedAddresses") or {}).get("consul-virtual")


def assign(api: RawHTTP, service: str, ips: list[str]) -> Any:
    response = api.put(PATH, json={"Service": service, "ManualVIPs": ips})
    assert response.status_code == 200, response.text
    return response.json()


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.text)


def test_mesh_instances_carry_their_services_virtual_ip(api):
    # ensureServiceTxn: a Connect-native instance gets its own service's
    # address, a proxy its destination's, as the "consul-virtual" tagged
    # address with the instance's port; a typical instance gets none.
    api.register(native("foo", 1111))
    api.register(proxy("redis", 2222))
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "plain"}})
    assert virtual_ip(api, "foo") == {"Address": "240.0.0.1", "Port": 1111}
    assert virtual_ip(api, "redis-proxy") == {"Address": "240.0.0.2", "Port": 2222}
    assert virtual_ip(api, "plain") is None
    # Another instance of the same service shares the address.
    api.register(proxy("redis", 3333, ID="redis-proxy2"))
    proxies = api.get("/v1/catalog/service/redis-proxy").json()
    assert [p["ServiceTaggedAddresses"]["consul-virtual"] for p in proxies] == [
        {"Address": "240.0.0.2", "Port": 2222},
        {"Address": "240.0.0.2", "Port": 3333},
    ]
    # Health answers and the node's services show it too.
    (entry,) = api.get("/v1/health/service/foo").json()
    assert entry["Service"]["TaggedAddresses"]["consul-virtual"]["Address"] == "240.0.0.1"
    services = api.get("/v1/catalog/node-services/n1").json()["Services"]
    addresses = {s["ID"]: (s.get("TaggedAddresses") or {}).get("consul-virtual") for s in services}
    assert addresses["plain"] is None
    assert addresses["foo"] == {"Address": "240.0.0.1", "Port": 1111}


def test_the_agent_learns_its_services_address_at_a_full_sync():
    # agent/local/state.go updateSyncState copies the catalog's reserved
    # ("consul-") tagged addresses into the agent's own copy of a service.
    with DevAgent(ae_interval=0.2) as agent, RawHTTP(agent.url) as api:
        body = {"Name": "pay", "Port": 443, "Connect": {"Native": True}}
        assert api.put("/v1/agent/service/register", json=body).status_code == 200

        def tagged() -> Any:
            return api.get("/v1/agent/service/pay").json().get("TaggedAddresses")

        wait_until(lambda: tagged() is not None)
        assert tagged() == {"consul-virtual": {"Address": "240.0.0.1", "Port": 443}}


def test_a_given_consul_virtual_address_is_replaced(api):
    tagged = {"consul-virtual": {"Address": "1.2.3.4", "Port": 1}, "lan": {"Address": "10.0.0.9"}}
    api.register(native("foo", 80, TaggedAddresses=tagged))
    (instance,) = api.get("/v1/catalog/service/foo").json()
    assert instance["ServiceTaggedAddresses"] == {
        "consul-virtual": {"Address": "240.0.0.1", "Port": 80},
        "lan": {"Address": "10.0.0.9", "Port": 0},
    }


def test_the_last_instance_gone_frees_the_address_for_the_next_service(api):
    api.register(native("foo"))
    api.register(proxy("redis"))
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "foo"})
    api.register(proxy("web"))
    assert virtual_ip(api, "web-proxy") == {"Address": "240.0.0.1", "Port": 2222}
    # A service that comes back gets the counter's next address.
    api.register(native("foo"))
    assert virtual_ip(api, "foo") == {"Address": "240.0.0.3", "Port": 1111}


def test_freeing_goes_by_the_deregistered_services_own_name(api):
    # deleteServiceTxn frees the address of the service that went: a proxy's
    # destination keeps its address while the proxy goes, and loses it when
    # its own last instance goes, even with proxies left.
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web"}})
    api.register(proxy("web"))
    api.register(proxy("db"))
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "db-proxy"})
    api.register(native("other"))
    assert virtual_ip(api, "other")["Address"] == "240.0.0.3"
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "web"})
    api.register(native("new"))
    assert virtual_ip(api, "new")["Address"] == "240.0.0.1"


def test_the_free_table_keeps_one_address(api):
    # free-virtual-ips is keyed by a go-memdb StringFieldIndex on a net.IP
    # field (catalog_schema.go), which makes every address the same key: a
    # second freed address replaces the first, which is not handed out again.
    for name in ("a", "b", "c"):
        api.register(native(name, ID=name))
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "a"})
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "b"})
    api.register(native("d"))
    api.register(native("e"))
    assert virtual_ip(api, "d")["Address"] == "240.0.0.2"
    assert virtual_ip(api, "e")["Address"] == "240.0.0.4"


def test_a_failed_transaction_assigns_nothing(api):
    # A transaction's service writes go through ensureServiceTxn in the same
    # memdb transaction, which an error aborts whole.
    node = {"Node": {"Verb": "set", "Node": {"Node": "n1", "Address": "10.0.0.1"}}}
    pay = {"Service": "pay", "Port": 443, "Connect": {"Native": True}}
    failed = api.put(
        "/v1/txn",
        json=[
            node,
            {"Service": {"Verb": "set", "Node": "n1", "Service": pay}},
            {"Service": {"Verb": "get", "Node": "n1", "Service": {"ID": "nope"}}},
        ],
    )
    assert failed.status_code == 409, failed.text
    shop = {"Service": "shop", "Port": 80, "Connect": {"Native": True}}
    done = api.put(
        "/v1/txn", json=[node, {"Service": {"Verb": "set", "Node": "n1", "Service": shop}}]
    )
    assert done.status_code == 200, done.text
    written = done.json()["Results"][1]["Service"]
    assert written["TaggedAddresses"]["consul-virtual"] == {"Address": "240.0.0.1", "Port": 80}


def test_deregistering_a_node_frees_its_services_addresses(api):
    api.register(native("foo", node="n2"))
    api.put("/v1/catalog/deregister", json={"Node": "n2"})
    api.register(native("bar"))
    assert virtual_ip(api, "bar")["Address"] == "240.0.0.1"


def test_config_entries_give_and_keep_an_address(api):
    # configEntryHasVirtualIP: service-defaults, -resolver, -router,
    # -splitter, and service-intentions of a named service.
    assert api.put("/v1/config", json={"Kind": "service-defaults", "Name": "api"}).json() is True
    api.register(native("first"))
    assert virtual_ip(api, "first")["Address"] == "240.0.0.2"
    api.register(native("api"))
    assert virtual_ip(api, "api")["Address"] == "240.0.0.1"
    # The entry keeps the address once the last instance has gone...
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "api"})
    api.register(native("second"))
    assert virtual_ip(api, "second")["Address"] == "240.0.0.3"
    # ...and deleting the entry frees it.
    assert api.delete("/v1/config/service-defaults/api").status_code == 200
    api.register(native("third"))
    assert virtual_ip(api, "third")["Address"] == "240.0.0.1"


def test_wildcard_intentions_and_other_kinds_give_no_address(api):
    intentions = {
        "Kind": "service-intentions",
        "Name": "*",
        "Sources": [{"Name": "x", "Action": "allow"}],
    }
    assert api.put("/v1/config", json=intentions).json() is True
    assert api.put("/v1/config", json={"Kind": "proxy-defaults", "Name": "global"}).json()
    api.register(native("first"))
    assert virtual_ip(api, "first")["Address"] == "240.0.0.1"


def test_a_terminating_gateway_keeps_the_address(api):
    api.register(native("legacy"))
    gateway = {"Kind": "terminating-gateway", "Name": "tgw", "Services": [{"Name": "legacy"}]}
    assert api.put("/v1/config", json=gateway).json() is True
    api.put("/v1/catalog/deregister", json={"Node": "n1", "ServiceID": "legacy"})
    api.register(native("next"))
    assert virtual_ip(api, "next")["Address"] == "240.0.0.2"


def gateway_instance(port: int = 8443) -> dict[str, Any]:
    service = {"Service": "tgw", "Kind": "terminating-gateway", "Port": port}
    return {"Node": "n1", "Address": "10.0.0.1", "Service": service}


def tagged_of(api: RawHTTP, service: str) -> dict[str, Any]:
    (instance,) = api.get(f"/v1/catalog/service/{service}").json()
    return dict(instance.get("ServiceTaggedAddresses") or {})


def test_a_terminating_gateway_shows_the_addresses_of_its_services(api):
    # ensureServiceTxn and updateTerminatingGatewayVirtualIPs: each service
    # the entry names gets an address, which the gateway's instances carry
    # as "consul-virtual:<service>" (no port).
    gateway = {
        "Kind": "terminating-gateway",
        "Name": "tgw",
        "Services": [{"Name": "legacy"}, {"Name": "billing"}],
    }
    assert api.put("/v1/config", json=gateway).json() is True
    api.register(gateway_instance())
    assert tagged_of(api, "tgw") == {
        "consul-virtual:legacy": {"Address": "240.0.0.1", "Port": 0},
        "consul-virtual:billing": {"Address": "240.0.0.2", "Port": 0},
    }
    before = api.index("/v1/catalog/service/tgw")
    # A new entry replaces them on the registered instances; a service it
    # no longer names, with no Connect instance, gives its address back.
    gateway["Services"] = [{"Name": "billing"}, {"Name": "extra"}]
    assert api.put("/v1/config", json=gateway).json() is True
    assert tagged_of(api, "tgw") == {
        "consul-virtual:billing": {"Address": "240.0.0.2", "Port": 0},
        "consul-virtual:extra": {"Address": "240.0.0.3", "Port": 0},
    }
    assert api.index("/v1/catalog/service/tgw") > before
    api.register(native("next"))
    assert virtual_ip(api, "next")["Address"] == "240.0.0.1"


def test_a_gateway_registered_first_is_tagged_by_its_entry(api):
    api.register(gateway_instance())
    assert tagged_of(api, "tgw") == {}
    gateway = {"Kind": "terminating-gateway", "Name": "tgw", "Services": [{"Name": "db"}]}
    assert api.put("/v1/config", json=gateway).json() is True
    assert tagged_of(api, "tgw") == {"consul-virtual:db": {"Address": "240.0.0.1", "Port": 0}}
    # The same entry again changes no mapping, and nothing else.
    index = api.index("/v1/catalog/service/tgw")
    assert api.put("/v1/config", json=gateway).json() is True
    assert api.index("/v1/catalog/service/tgw") == index


# -- manual virtual IPs ----------------------------------------------------------------


def test_manual_ips_move_between_services(api):
    api.register(native("foo"))
    api.register(native("bar"))
    # Duplicates are ignored.
    found = assign(api, "foo", ["10.0.0.1", "10.0.0.2", "10.0.0.1"])
    assert found == {"Found": True, "UnassignedFrom": None}
    # An address another service had is taken from it.
    moved = assign(api, "bar", ["10.0.0.2", "10.0.0.3"])
    assert moved == {
        "Found": True,
        "UnassignedFrom": [{"ServiceName": {"Name": "foo"}, "Peer": ""}],
    }
    # The same set again changes nothing (and unassigns nothing).
    assert assign(api, "bar", ["10.0.0.3", "10.0.0.2"]) == {"Found": True, "UnassignedFrom": None}
    # foo kept 10.0.0.1 only: giving it that again is no change.
    assert assign(api, "foo", ["10.0.0.1"]) == {"Found": True, "UnassignedFrom": None}
    assert assign(api, "foo", ["10.0.0.1", "10.0.0.3"])["UnassignedFrom"] == [
        {"ServiceName": {"Name": "bar"}, "Peer": ""}
    ]
    # An empty list clears a service's addresses.
    assert assign(api, "foo", []) == {"Found": True, "UnassignedFrom": None}
    assert assign(api, "bar", ["10.0.0.1"]) == {"Found": True, "UnassignedFrom": None}


def test_the_discovery_chain_lists_the_addresses(api):
    # ReadDiscoveryChain copies the service's row into the compile request.
    def addresses(service: str) -> tuple[Any, Any]:
        chain = api.get(f"/v1/discovery-chain/{service}").json()["Chain"]
        return chain["AutoVirtualIPs"], chain["ManualVirtualIPs"]

    assert addresses("pay") == (None, None)
    api.register(native("pay"))
    api.register(native("shop"))
    assert addresses("pay") == (["240.0.0.1"], [])
    assign(api, "pay", ["10.0.0.2", "10.0.0.1"])
    assert addresses("pay") == (["240.0.0.1"], ["10.0.0.1", "10.0.0.2"])
    assign(api, "shop", ["10.0.0.1", "10.0.0.2"])
    assert addresses("pay") == (["240.0.0.1"], [])
    assert addresses("shop") == (["240.0.0.2"], ["10.0.0.1", "10.0.0.2"])


def test_a_service_without_a_virtual_ip_is_not_found(api):
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "plain"}})
    api.register(native("foo"))
    assign(api, "foo", ["10.0.0.1"])
    assert assign(api, "plain", ["10.0.0.1"]) == {"Found": False, "UnassignedFrom": None}
    assert assign(api, "nope", []) == {"Found": False, "UnassignedFrom": None}
    # Nothing was taken from foo.
    assert assign(api, "foo", ["10.0.0.1"]) == {"Found": True, "UnassignedFrom": None}


def test_names_are_compared_as_written(api):
    # The table's key is case-insensitive, but ServiceName.Matches is not:
    # "FOO" finds foo's row and unassigns foo's own addresses from it.
    api.register(native("foo"))
    assign(api, "foo", ["10.0.0.1"])
    assert assign(api, "FOO", ["10.0.0.1", "10.0.0.2"]) == {
        "Found": True,
        "UnassignedFrom": [{"ServiceName": {"Name": "foo"}, "Peer": ""}],
    }


@pytest.mark.parametrize(
    ("ips", "message"),
    [
        (
            [f"10.0.0.{i}" for i in range(9)],
            "cannot associate more than 8 manual virtual IPs with the same service",
        ),
        (["10.0.0.1", "nope"], '"<nil>" is not a valid IPv4 address'),
        (["2001:DB8::1"], '"2001:db8::1" is not a valid IPv4 address'),
        (["10.0.0.01"], '"<nil>" is not a valid IPv4 address'),
        (["fe80::1%eth0"], '"<nil>" is not a valid IPv4 address'),
    ],
)
def test_bad_addresses_are_refused(api, ips, message):
    api.register(native("foo"))
    response = api.put(PATH, json={"Service": "foo", "ManualVIPs": ips})
    assert error(response, 500) == message


def test_an_ipv4_mapped_address_is_taken_as_written(api):
    api.register(native("foo"))
    api.register(native("bar"))
    assign(api, "foo", ["::ffff:10.0.0.1"])
    assert assign(api, "bar", ["10.0.0.1"])["UnassignedFrom"] is None
    assert assign(api, "bar", ["::ffff:10.0.0.1"])["UnassignedFrom"] == [
        {"ServiceName": {"Name": "foo"}, "Peer": ""}
    ]


def test_the_body_and_the_datacenter(api):
    # decodeBody refuses unknown fields (rewordUnknownEnterpriseFieldError
    # for Namespace); the datacenter comes from the body, not from ?dc.
    response = api.put(PATH, json={"Service": "foo", "Nope": 1})
    assert error(response, 400) == 'Request decode failed: json: unknown field "Nope"'
    response = api.put(PATH, json={"Service": "foo", "Namespace": "ns"})
    assert error(response, 400) == (
        'Request decode failed: json: unknown field "Namespace"'
        " - Namespaces are a Consul Enterprise feature"
    )
    response = api.put(PATH, json={"Service": "foo", "Datacenter": "nowhere"})
    assert error(response, 500) == "No path to datacenter"
    api.register(native("foo"))
    response = api.put(f"{PATH}?dc=nowhere", json={"Service": "foo", "ManualVIPs": []})
    assert response.json() == {"Found": True, "UnassignedFrom": None}
    response = api.put(f"{PATH}?ns=team", json={"Service": "foo"})
    assert error(response, 400) == (
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
    )
    assert error(api.get(PATH), 405) == "method GET not allowed"


def test_assigning_needs_mesh_write(root, anon):
    root.register(native("foo"))
    response = anon.put(PATH, json={"Service": "foo", "ManualVIPs": ["10.0.0.1"]})
    assert error(response, 403) == (
        "Permission denied: anonymous token lacks permission 'mesh:write'. "
        "The anonymous token is used implicitly when a request does not specify a token."
    )
    reader = make_token(root, 'mesh = "read"')
    response = root.put(PATH, json={"Service": "foo"}, token=reader["SecretID"])
    assert error(response, 403).endswith("lacks permission 'mesh:write'")
    writer = make_token(root, 'mesh = "write"')
    body = {"Service": "foo", "ManualVIPs": ["10.0.0.1"]}
    response = root.put(PATH, json=body, token=writer["SecretID"])
    assert response.json() == {"Found": True, "UnassignedFrom": None}
