"""``/v1/operator``: Raft, autopilot, the keyring, usage, checked with raw HTTP.

After ``agent/operator_endpoint.go``, ``agent/consul/operator_*_endpoint.go``,
``agent/consul/state/autopilot.go``, hashicorp/raft and serf's key manager.
"""

from __future__ import annotations

import pytest
from harness import wait_blocked

from consul.testing import DevAgent

KEYRING_LIST = (
    "4 errors occurred:\n"
    "\t* WAN error: 1/1 nodes reported failure\n"
    "\t* {node}.dc1: Keyring is empty (encryption not enabled)\n"
    "\t* dc1 (LAN) error: 1/1 nodes reported failure\n"
    "\t* {node}: Keyring is empty (encryption not enabled)\n\n"
)


@pytest.fixture
def node(consul_agent: DevAgent) -> str:
    return consul_agent.config.node_name


# -- Raft ------------------------------------------------------------------------------


def test_raft_configuration_is_the_one_leader(api, consul_agent, node):
    response = api.get("/v1/operator/raft/configuration")
    assert response.status_code == 200
    assert "X-Consul-Index" not in response.headers  # no setMeta
    body = response.json()
    assert body["Index"] == 1
    (server,) = body["Servers"]
    assert server == {
        "ID": consul_agent.config.node_id,
        "Node": node,
        "Address": "127.0.0.1:8300",
        "Leader": True,
        "ProtocolVersion": "3",
        "Voter": True,
        "LastIndex": server["LastIndex"],
    }
    assert server["LastIndex"] >= 1


def test_raft_configuration_of_another_datacenter(api):
    response = api.get("/v1/operator/raft/configuration", params={"dc": "nowhere"})
    assert (response.status_code, response.text) == (500, "No path to datacenter")


def test_raft_needs_operator_permissions(anon):
    assert anon.get("/v1/operator/raft/configuration").status_code == 403
    denied = anon.delete("/v1/operator/raft/peer", params={"id": "x"})
    assert denied.status_code == 403
    assert "lacks permission 'operator:write'" in denied.text


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {},
            "Must specify either ?id with the server's ID "
            "or ?address with IP:port of peer to remove",
        ),
        ({"id": "a", "address": "b"}, "Must specify only one of ?id or ?address"),
    ],
)
def test_remove_peer_needs_one_of_id_and_address(api, params, reason):
    response = api.delete("/v1/operator/raft/peer", params=params)
    assert (response.status_code, response.text) == (400, reason)


def test_remove_peer_must_name_a_server_and_raft_keeps_its_only_voter(api, consul_agent):
    unknown = api.delete("/v1/operator/raft/peer", params={"address": "1.2.3.4:8300"})
    assert (unknown.status_code, unknown.text) == (
        500,
        'address "1.2.3.4:8300" was not found in the Raft configuration',
    )
    by_id = api.delete("/v1/operator/raft/peer", params={"id": "x"})
    assert by_id.text == 'id "x" was not found in the Raft configuration'
    # ?id= present but empty is an ID (an unknown one).
    empty = api.delete("/v1/operator/raft/peer?id=")
    assert empty.text == 'id "" was not found in the Raft configuration'
    itself = api.delete("/v1/operator/raft/peer", params={"id": consul_agent.config.node_id})
    assert (itself.status_code, itself.text) == (
        500,
        "need at least one voter in configuration: {[]}",
    )


def test_transfer_leader_has_nobody_to_transfer_to(api, consul_agent):
    assert api.get("/v1/operator/raft/transfer-leader").status_code == 405
    anyone = api.request("POST", "/v1/operator/raft/transfer-leader")
    assert (anyone.status_code, anyone.text) == (500, "cannot find peer")
    unknown = api.request("POST", "/v1/operator/raft/transfer-leader", params={"id": "x"})
    assert unknown.text == "Could not find address for server id x"
    itself = api.request(
        "POST", "/v1/operator/raft/transfer-leader", params={"id": consul_agent.config.node_id}
    )
    assert itself.text == "cannot transfer leadership to itself"
    partition = api.request("POST", "/v1/operator/raft/transfer-leader?partition=default")
    assert partition.status_code == 400


# -- autopilot --------------------------------------------------------------------------

DEFAULTS = {
    "CleanupDeadServers": True,
    "LastContactThreshold": "200ms",
    "MaxTrailingLogs": 250,
    "MinQuorum": 0,
    "ServerStabilizationTime": "10s",
    "RedundancyZoneTag": "",
    "DisableUpgradeMigration": False,
    "UpgradeVersionTag": "",
}


def autopilot(api):
    response = api.get("/v1/operator/autopilot/configuration")
    assert response.status_code == 200
    return response.json()


def test_autopilot_configuration_starts_as_a_dev_agents(api):
    config = autopilot(api)
    assert {k: v for k, v in config.items() if not k.endswith("Index")} == DEFAULTS
    assert config["CreateIndex"] == config["ModifyIndex"] >= 1


def test_a_partial_update_resets_the_rest_to_the_defaults(api):
    # The body is decoded into api.NewAutopilotConfiguration(), not the stored one.
    first = api.put(
        "/v1/operator/autopilot/configuration",
        json={"MaxTrailingLogs": 7, "LastContactThreshold": "1s", "RedundancyZoneTag": "zone"},
    )
    assert (first.status_code, first.json()) == (200, True)
    assert autopilot(api)["RedundancyZoneTag"] == "zone"
    api.put("/v1/operator/autopilot/configuration", json={"MinQuorum": 3})
    config = autopilot(api)
    assert config["MinQuorum"] == 3
    assert config["MaxTrailingLogs"] == 250
    assert config["LastContactThreshold"] == "200ms"
    assert config["RedundancyZoneTag"] == ""
    # Durations as nanoseconds too.
    api.put("/v1/operator/autopilot/configuration", json={"ServerStabilizationTime": 5e9})
    assert autopilot(api)["ServerStabilizationTime"] == "5s"


def test_autopilot_cas_compares_the_modify_index(api):
    before = autopilot(api)
    stale = api.put("/v1/operator/autopilot/configuration?cas=1", json={"MinQuorum": 1})
    assert stale.json() is False
    current = before["ModifyIndex"]
    # A failed CAS still took a Raft index, but changed nothing.
    assert autopilot(api) == before
    ok = api.put(f"/v1/operator/autopilot/configuration?cas={current}", json={"MinQuorum": 1})
    assert ok.json() is True
    after = autopilot(api)
    assert after["MinQuorum"] == 1
    assert after["CreateIndex"] == before["CreateIndex"]
    assert after["ModifyIndex"] > current


@pytest.mark.parametrize(
    ("query", "body", "reason"),
    [
        ("?cas=x", {}, 'Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax'),
        ("", {"Nope": 1}, 'Error parsing autopilot config: json: unknown field "Nope"'),
        ("", {"LastContactThreshold": "soon"},
         'Error parsing autopilot config: time: invalid duration "soon"'),
        ("", {"MaxTrailingLogs": -1},
         "Error parsing autopilot config: json: cannot unmarshal number -1 into Go struct field "
         "AutopilotConfiguration.MaxTrailingLogs of type uint64"),
    ],
)  # fmt: skip
def test_autopilot_update_errors(api, query, body, reason):
    response = api.put(f"/v1/operator/autopilot/configuration{query}", json=body)
    assert (response.status_code, response.text) == (400, reason)


def test_autopilot_health_and_state(api, consul_agent, node):
    health = api.get("/v1/operator/autopilot/health")
    assert health.status_code == 200
    body = health.json()
    assert (body["Healthy"], body["FailureTolerance"]) == (True, 0)
    (server,) = body["Servers"]
    assert server["ID"] == consul_agent.config.node_id
    assert (server["Name"], server["SerfStatus"], server["Leader"]) == (node, "alive", True)
    assert server["StableSince"].endswith("Z")
    assert "." not in server["StableSince"]
    state = api.get("/v1/operator/autopilot/state").json()
    node_id = consul_agent.config.node_id
    assert state["Leader"] == node_id
    assert state["Voters"] == [node_id]
    assert state["OptimisticFailureTolerance"] == state["FailureTolerance"] == 0
    assert state["Servers"][node_id]["Status"] == "leader"
    assert state["Servers"][node_id]["Meta"]["role"] == "consul"


def test_autopilot_needs_operator_permissions(anon):
    for path in ("configuration", "health", "state"):
        assert anon.get(f"/v1/operator/autopilot/{path}").status_code == 403
    assert anon.put("/v1/operator/autopilot/configuration", json={}).status_code == 403


# -- the keyring ------------------------------------------------------------------------------


def test_listing_keys_fails_in_every_pool_without_encryption(api, node):
    response = api.get("/v1/operator/keyring")
    assert (response.status_code, response.text) == (500, KEYRING_LIST.format(node=node))
    local = api.get("/v1/operator/keyring", params={"local-only": "true"})
    assert local.text == (
        "2 errors occurred:\n"
        "\t* dc1 (LAN) error: 1/1 nodes reported failure\n"
        f"\t* {node}: Keyring is empty (encryption not enabled)\n\n"
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_changing_keys_fails_without_encryption(api, node, method):
    key = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
    response = api.request(method, "/v1/operator/keyring", json={"Key": key})
    assert response.status_code == 500
    assert response.text.splitlines()[1:3] == [
        "\t* WAN error: 1/1 nodes reported failure",
        f"\t* {node}.dc1: No keyring to modify (encryption not enabled)",
    ]
    bad = api.request(method, "/v1/operator/keyring", json={"Key": "not base64!"})
    assert bad.text == (
        "2 errors occurred:\n"
        "\t* WAN error: illegal base64 data at input byte 3\n"
        "\t* dc1 (LAN) error: illegal base64 data at input byte 3\n\n"
    )


@pytest.mark.parametrize(
    ("method", "query", "body", "reason"),
    [
        ("POST", "", None, "Request decode failed: EOF"),
        ("GET", "?relay-factor=x",  None,
         'Error parsing relay factor: strconv.Atoi: parsing "x": invalid syntax'),
        ("GET", "?relay-factor=6", None,
         "Invalid relay-factor: Relay factor must be in range: [0, 5]"),
        ("GET", "?local-only=maybe", None,
         'Error parsing local-only: strconv.ParseBool: parsing "maybe": invalid syntax'),
        ("PUT", "?local-only=true", {"Key": "a"},
         "Invalid use of local-only: local-only can only be set for list requests"),
    ],
)  # fmt: skip
def test_keyring_request_errors(api, method, query, body, reason):
    response = api.request(method, f"/v1/operator/keyring{query}", json=body)
    assert (response.status_code, response.text) == (400, reason)


def test_keyring_needs_keyring_permissions(anon):
    listing = anon.get("/v1/operator/keyring")
    assert "lacks permission 'keyring:read'" in listing.text
    install = anon.request("POST", "/v1/operator/keyring", json={"Key": "a"})
    assert "lacks permission 'keyring:write'" in install.text


# -- usage and utilization -----------------------------------------------------------------


def test_usage_counts_the_catalog(api):
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web"}})
    api.register(
        {
            "Node": "n1",
            "Address": "10.0.0.1",
            "Service": {
                "Service": "web-proxy",
                "Kind": "connect-proxy",
                "Port": 21000,
                "Proxy": {"DestinationServiceName": "web"},
            },
        }
    )
    api.register(
        {
            "Node": "n2",
            "Address": "10.0.0.2",
            "Service": {"Service": "db", "Port": 5432, "Connect": {"Native": True}},
        }
    )
    response = api.get("/v1/operator/usage")
    assert response.status_code == 200
    body = response.json()
    assert body["Usage"] == {
        "dc1": {
            "Services": 4,
            "ServiceInstances": 4,
            "ConnectServiceInstances": {
                "api-gateway": 0,
                "connect-native": 1,
                "connect-proxy": 1,
                "ingress-gateway": 0,
                "mesh-gateway": 0,
                "terminating-gateway": 0,
            },
            "BillableServiceInstances": 2,
            "Nodes": 3,
        }
    }
    assert body["Index"] == int(response.headers["X-Consul-Index"])
    assert body["KnownLeader"] is True
    assert body["ConsistencyLevel"] == "leader"


def test_usage_blocks_until_the_catalog_changes(api, pool, consul_agent):
    index = api.index("/v1/operator/usage")
    waiting = pool.submit(api.get, "/v1/operator/usage", params={"index": index})
    wait_blocked(consul_agent)
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "web"}})
    assert waiting.result().json()["Usage"]["dc1"]["Services"] == 2


def test_usage_needs_operator_read_and_no_namespace(api, anon):
    assert anon.get("/v1/operator/usage").status_code == 403
    namespaced = api.get("/v1/operator/usage", params={"ns": "x"})
    assert namespaced.status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_utilization_needs_enterprise(api, method):
    response = api.request(method, "/v1/operator/utilization")
    assert (response.status_code, response.text) == (
        404,
        "operator utilization requires Consul Enterprise",
    )


@pytest.mark.parametrize("path", ["area", "segment", "license", "audit-hash", "features"])
def test_enterprise_operator_routes_are_not_there(api, path):
    response = api.get(f"/v1/operator/{path}")
    assert (response.status_code, response.text) == (
        404,
        "Invalid URL path: not a recognized HTTP API endpoint\n",
    )


def test_namespaces_and_partitions_are_not_read(api):
    # agent/operator_endpoint.go (but usage and transfer-leader),
    # agent/status_endpoint.go and agent/snapshot_endpoint.go never parse the
    # enterprise meta: Consul CE neither refuses nor uses ?ns and ?partition.
    scope = {"ns": "team", "partition": "part"}
    for path in (
        "/v1/operator/raft/configuration",
        "/v1/operator/autopilot/configuration",
        "/v1/operator/autopilot/health",
        "/v1/operator/autopilot/state",
        "/v1/status/leader",
        "/v1/status/peers",
        "/v1/snapshot",
    ):
        response = api.get(path, params=scope)
        assert response.status_code == 200, (path, response.text)
    response = api.put("/v1/operator/autopilot/configuration", json={}, params=scope)
    assert (response.status_code, response.json()) == (200, True)
