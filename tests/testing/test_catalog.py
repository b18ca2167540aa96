"""The embedded agent's ``/v1/catalog`` endpoints, over raw HTTP."""

from __future__ import annotations

import concurrent.futures
import uuid
from typing import Any

import pytest
import requests
from harness import RawHTTP, denying, make_token

from consul.testing import DevAgent
from consul.testing.state.config import CONSUL_VERSION

WEB = {
    "Node": "web1",
    "Address": "10.0.0.1",
    "Service": {"Service": "web", "Tags": ["v1"], "Port": 80},
}


def error(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.text


# -- the server node ----------------------------------------------------------------


def test_a_fresh_agent_lists_its_own_node(api: RawHTTP, consul_agent: DevAgent) -> None:
    config = consul_agent.config
    response = api.get("/v1/catalog/nodes")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Consul-KnownLeader"] == "true"
    assert response.headers["X-Consul-Effective-Consistency"] == "leader"
    assert response.headers["X-Consul-Query-Backend"] == "blocking-query"
    (node,) = response.json()
    assert list(node) == [
        "ID",
        "Node",
        "Address",
        "Datacenter",
        "TaggedAddresses",
        "Meta",
        "CreateIndex",
        "ModifyIndex",
    ]
    assert node["ID"] == config.node_id
    assert node["Node"] == config.node_name
    assert node["Address"] == "127.0.0.1"
    assert node["Datacenter"] == "dc1"
    assert node["TaggedAddresses"] == {
        "lan": "127.0.0.1",
        "lan_ipv4": "127.0.0.1",
        "wan": "127.0.0.1",
        "wan_ipv4": "127.0.0.1",
    }
    assert node["Meta"] == {"consul-network-segment": "", "consul-version": CONSUL_VERSION}
    assert int(response.headers["X-Consul-Index"]) >= node["ModifyIndex"]


def test_the_consul_service_and_serf_health_check(api: RawHTTP, consul_agent: DevAgent) -> None:
    name = consul_agent.config.node_name
    assert api.get("/v1/catalog/services").json() == {"consul": []}
    (instance,) = api.get("/v1/catalog/service/consul").json()
    assert instance["ServiceID"] == "consul"
    assert instance["ServicePort"] == 8300
    assert instance["ServiceTags"] == []
    assert instance["ServiceWeights"] == {"Passing": 1, "Warning": 1}
    # leader_registrator_v1.go: grpc_port and grpc_tls_port when set (builder.go: a server
    # has 8503 for grpc_tls unless told otherwise; dev mode sets grpc to 8502).
    assert instance["ServiceMeta"] == {
        "grpc_port": "8502",
        "grpc_tls_port": "8503",
        "non_voter": "false",
        "raft_version": "3",
        "read_replica": "false",
        "serf_protocol_current": "2",
        "serf_protocol_max": "5",
        "serf_protocol_min": "1",
        "version": CONSUL_VERSION,
    }
    (check,) = api.get(f"/v1/health/node/{name}").json()
    assert check == {
        "Node": name,
        "CheckID": "serfHealth",
        "Name": "Serf Health Status",
        "Status": "passing",
        "Notes": "",
        "Output": "Agent alive and reachable",
        "ServiceID": "",
        "ServiceName": "",
        "ServiceTags": [],
        "Type": "",
        "Interval": "",
        "Timeout": "",
        "ExposedPort": 0,
        "Definition": {},
        "CreateIndex": check["CreateIndex"],
        "ModifyIndex": check["ModifyIndex"],
    }


def test_extra_datacenters_have_their_own_server_node() -> None:
    with (
        DevAgent(datacenter="dc2", node_name="srv", extra_datacenters=("dc3", "dc1")) as agent,
        RawHTTP(agent.url) as api,
    ):
        # The agent's own datacenter first, the others (all equally far)
        # by name; no meta headers.
        response = api.get("/v1/catalog/datacenters")
        assert response.json() == ["dc2", "dc1", "dc3"]
        assert "X-Consul-Index" not in response.headers
        (own,) = api.get("/v1/catalog/nodes").json()
        assert own["Node"] == "srv"
        assert own["ID"] == agent.config.node_id
        (other,) = api.get("/v1/catalog/nodes?dc=dc3").json()
        assert other["Node"] == "srv.dc3"
        assert other["Datacenter"] == "dc3"
        assert other["ID"] not in ("", agent.config.node_id)
        assert api.get("/v1/catalog/services?dc=dc1").json() == {"consul": []}
        # Registrations go where the body's Datacenter says.
        api.register({**WEB, "Datacenter": "dc3"})
        assert "web" in api.get("/v1/catalog/services?dc=dc3").json()
        assert "web" not in api.get("/v1/catalog/services").json()


def test_unknown_datacenter(api: RawHTTP) -> None:
    assert error(api.get("/v1/catalog/nodes?dc=nope"), 500) == "No path to datacenter"
    body = {**WEB, "Datacenter": "nope"}
    assert error(api.put("/v1/catalog/register", json=body), 500) == "No path to datacenter"
    # Writes read the datacenter from the body only: ?dc is not parsed.
    assert api.put("/v1/catalog/register?dc=nope", json=WEB).json() is True
    assert api.put("/v1/catalog/deregister?dc=nope", json={"Node": "web1"}).json() is True
    # Nor does the datacenter list look at it.
    assert api.get("/v1/catalog/datacenters?dc=nope").json() == ["dc1"]


# -- registration --------------------------------------------------------------------


def test_register_a_service_with_checks(api: RawHTTP) -> None:
    body = {
        "Node": "web1",
        "Address": "10.0.0.1",
        "TaggedAddresses": {"wan": "198.18.0.1"},
        "NodeMeta": {"rack": "r1"},
        "Service": {
            "Service": "web",
            "Tags": ["v1", "primary"],
            "Address": "10.0.0.2",
            "TaggedAddresses": {"wan": {"Address": "198.18.0.2", "Port": 8080}},
            "Meta": {"version": "1"},
            "Port": 80,
        },
        "Check": {
            "Name": "web alive",
            "ServiceID": "web",
            "Status": "passing",
            "Definition": {"HTTP": "http://10.0.0.2/health", "Interval": "10s"},
        },
    }
    response = api.put("/v1/catalog/register", json=body)
    assert response.status_code == 200
    assert response.json() is True
    response = api.get("/v1/catalog/service/web")
    (instance,) = response.json()
    index = instance["ModifyIndex"]
    assert int(response.headers["X-Consul-Index"]) == index
    assert instance == {
        "ID": "",
        "Node": "web1",
        "Address": "10.0.0.1",
        "Datacenter": "dc1",
        "TaggedAddresses": {"wan": "198.18.0.1"},
        "NodeMeta": {"rack": "r1"},
        "ServiceKind": "",
        "ServiceID": "web",
        "ServiceName": "web",
        "ServiceTags": ["v1", "primary"],
        "ServiceAddress": "10.0.0.2",
        "ServiceTaggedAddresses": {"wan": {"Address": "198.18.0.2", "Port": 8080}},
        "ServiceWeights": {"Passing": 1, "Warning": 1},
        "ServiceMeta": {"version": "1"},
        "ServicePort": 80,
        "ServiceSocketPath": "",
        "ServiceEnableTagOverride": False,
        "ServiceProxy": {"Mode": "", "MeshGateway": {}, "Expose": {}},
        "ServiceConnect": {},
        "ServiceLocality": None,
        "CreateIndex": index,
        "ModifyIndex": index,
    }
    (check,) = api.get("/v1/health/checks/web").json()
    # The ID defaults to the name, the type comes from the definition, the
    # service's name and tags are copied in.
    assert check["CheckID"] == "web alive"
    assert check["Node"] == "web1"
    assert check["Type"] == "http"
    assert check["ServiceName"] == "web"
    assert check["ServiceTags"] == ["v1", "primary"]
    assert check["Definition"] == {"Interval": "10s", "HTTP": "http://10.0.0.2/health"}


def test_node_service_shapes_keep_nil_fields(api: RawHTTP) -> None:
    api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "bare"}})
    services = api.get("/v1/catalog/node/n1").json()["Services"]
    # NodeService: Meta nil is null, Tags nil is made [], Port omitted at 0.
    assert services == {
        "bare": {
            "ID": "bare",
            "Service": "bare",
            "Tags": [],
            "Address": "",
            "Meta": None,
            "Weights": {"Passing": 1, "Warning": 1},
            "EnableTagOverride": False,
            "Proxy": {"Mode": "", "MeshGateway": {}, "Expose": {}},
            "Connect": {},
            "PeerName": "",
            "CreateIndex": services["bare"]["CreateIndex"],
            "ModifyIndex": services["bare"]["ModifyIndex"],
        }
    }
    (instance,) = api.get("/v1/catalog/service/bare").json()
    # ServiceNode (a partial clone): meta is an empty map, never nil.
    assert instance["ServiceMeta"] == {}
    assert instance["TaggedAddresses"] is None
    assert instance["NodeMeta"] is None


def test_check_defaults_and_types(api: RawHTTP) -> None:
    api.register(
        {
            "Node": "n1",
            "Address": "10.0.0.1",
            "Checks": [
                {"Name": "plain"},
                {"CheckID": "ttl", "Name": "t", "Definition": {"TTL": "15s"}},
                {"CheckID": "tcp", "Name": "t", "Definition": {"TCP": "h:1", "Interval": 5e9}},
                {"CheckID": "alias", "Name": "a", "Definition": {"AliasService": "web"}},
                {"CheckID": "given", "Name": "g", "Type": "custom", "Status": "warning"},
            ],
        }
    )
    checks = {c["CheckID"]: c for c in api.get("/v1/health/node/n1").json()}
    assert checks["plain"]["Status"] == "critical"
    assert checks["plain"]["Type"] == ""
    assert checks["ttl"]["Type"] == "ttl"
    # The TTL is not wrapped by HealthCheckDefinition.MarshalJSON: nanoseconds.
    assert checks["ttl"]["Definition"] == {"TTL": 15_000_000_000}
    assert checks["tcp"]["Type"] == "tcp"
    assert checks["tcp"]["Definition"] == {"Interval": "5s", "TCP": "h:1"}
    assert checks["alias"]["Type"] == "alias"
    assert checks["given"]["Type"] == "custom"
    assert checks["given"]["Status"] == "warning"
    assert [c["CheckID"] for c in api.get("/v1/health/node/n1").json()] == [
        "alias",
        "given",
        "plain",
        "tcp",
        "ttl",
    ]


def test_invalid_weights_fall_back_to_one_one(api: RawHTTP) -> None:
    body = {"Node": "n1", "Address": "a", "Service": {"Service": "s", "Weights": {"Passing": 0}}}
    api.register(body)
    (instance,) = api.get("/v1/catalog/service/s").json()
    assert instance["ServiceWeights"] == {"Passing": 1, "Warning": 1}


def test_an_identical_registration_changes_no_index(api: RawHTTP) -> None:
    body = {
        **WEB,
        "NodeMeta": {"a": "b"},
        "Check": {"Name": "c", "ServiceID": "web", "Status": "passing"},
    }
    api.register(body)
    paths = [
        "/v1/catalog/nodes",
        "/v1/catalog/services",
        "/v1/catalog/service/web",
        "/v1/catalog/node/web1",
        "/v1/health/service/web",
        "/v1/health/state/any",
    ]
    before = {p: api.index(p) for p in paths}
    node = api.get("/v1/catalog/node/web1").json()
    api.register(body)
    assert {p: api.index(p) for p in paths} == before
    assert api.get("/v1/catalog/node/web1").json() == node


def test_changes_that_ismsame_rules_ignore_are_not_written(api: RawHTTP) -> None:
    api.register({**WEB, "Check": {"Name": "c", "ServiceID": "web"}})
    index = api.index("/v1/catalog/service/web")
    # ServiceNode.IsSameService leaves out the socket path; HealthCheck.IsSame
    # the type, interval and timeout; Node.IsSame the locality.
    service = {**WEB["Service"], "SocketPath": "/tmp/web.sock"}
    check = {"Name": "c", "ServiceID": "web", "Type": "other", "Interval": "1s"}
    api.register({**WEB, "Service": service, "Check": check, "Locality": {"Region": "r"}})
    assert api.index("/v1/catalog/service/web") == index
    (instance,) = api.get("/v1/catalog/service/web").json()
    assert instance["ServiceSocketPath"] == ""
    (stored,) = api.get("/v1/health/checks/web").json()
    assert stored["Type"] == ""
    assert stored["Interval"] == ""
    assert "Locality" not in api.get("/v1/catalog/node/web1").json()["Node"]


def test_nil_and_empty_maps_differ(api: RawHTTP) -> None:
    api.register(WEB)
    index = api.index("/v1/catalog/nodes")
    api.register({**WEB, "NodeMeta": {}})
    assert api.index("/v1/catalog/nodes") > index
    assert api.get("/v1/catalog/node/web1").json()["Node"]["Meta"] == {}


def test_skip_node_update_keeps_the_node(api: RawHTTP) -> None:
    api.register({**WEB, "NodeMeta": {"a": "b"}})
    api.register({"Node": "web1", "SkipNodeUpdate": True, "Service": {"Service": "other"}})
    node = api.get("/v1/catalog/node/web1").json()["Node"]
    assert node["Address"] == "10.0.0.1"
    assert node["Meta"] == {"a": "b"}
    # A node that does not exist is still created.
    api.register({"Node": "new", "SkipNodeUpdate": True})
    assert api.get("/v1/catalog/node/new").json()["Node"]["Address"] == ""


def test_the_token_field_of_the_body_is_accepted_and_ignored(api: RawHTTP) -> None:
    # Indexes far from the write's own, so that ignoring them shows.
    api.register({**WEB, "Token": "whatever", "CreateIndex": 5000, "ModifyIndex": 6000})
    (instance,) = api.get("/v1/catalog/service/web").json()
    assert instance["CreateIndex"] != 5000
    assert instance["ModifyIndex"] != 6000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Address": "a"}, "Must provide node"),
        ({"Node": "n", "Address": "a", "ID": "nope"}, "Bad node ID: uuid string is wrong length"),
        ({"Node": "n"}, "Must provide address if SkipNodeUpdate is not set"),
        (
            {"Node": "n", "Address": "a", "Service": {"ID": "x"}},
            "Must provide service name (Service.Service) when service ID is provided",
        ),
        (
            {"Node": "n", "Address": "a", "Service": {"Service": "s", "Address": "0.0.0.0"}},
            "Invalid service address",
        ),
        (
            {"Node": "n", "Address": "a", "Check": {"Name": "c", "ServiceID": "nope"}},
            "Unknown service ID 'nope' for check ID 'c'",
        ),
        (
            {"Node": "n", "Address": "a", "Check": {"Name": "c", "Node": "other"}},
            "Node 'other' for check 'c' doesn't match register request node 'n'",
        ),
        (
            {"Node": "n", "Address": "a", "Service": {"Service": "s", "Meta": {"consul-x": "1"}}},
            "failed inserting service: Invalid Service Meta for node n and serviceID s: "
            "Couldn't load metadata pair ('consul-x', '1'): "
            "Key prefix 'consul-' is reserved for internal use",
        ),
        (
            {"Node": "n", "Address": "a", "PeerName": "p"},
            "cannot register requests with PeerName in them",
        ),
        (
            {"Node": "n", "Address": "a", "Service": {"Service": "p", "Kind": "connect-proxy"}},
            "2 errors occurred:\n\t* Port or SocketPath must be set for a connect-proxy\n\t"
            "* Proxy.DestinationServiceName must be non-empty for Connect proxy services\n\n",
        ),
        (
            {"Node": "n", "Address": "a", "Check": {"Status": "passing"}},
            'failed inserting check on node "n": failed inserting check: '
            "object missing primary index",
        ),
    ],
)
def test_registration_errors_are_server_errors(
    api: RawHTTP, body: dict[str, Any], message: str
) -> None:
    response = api.put("/v1/catalog/register", json=body)
    assert error(response, 500) == message
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_failed_registration_changes_nothing(api: RawHTTP) -> None:
    index = api.index("/v1/catalog/nodes")
    body = {"Node": "n", "Address": "a", "Check": {"Name": "c", "ServiceID": "nope"}}
    error(api.put("/v1/catalog/register", json=body), 500)
    assert api.index("/v1/catalog/nodes") == index
    assert api.get("/v1/catalog/node/n").json() is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Request decode failed: EOF"),
        (b"{", "Request decode failed: unexpected EOF"),
        (b'{"Foo": 1}', 'Request decode failed: json: unknown field "Foo"'),
        (
            b'{"Namespace": "x"}',
            'Request decode failed: json: unknown field "Namespace" - '
            "Namespaces are a Consul Enterprise feature",
        ),
        (
            b'{"Node": 1}',
            "Request decode failed: json: cannot unmarshal number into Go struct field "
            "RegisterRequest.Node of type string",
        ),
        (
            b'{"Service": {"Port": "80"}}',
            "Request decode failed: json: cannot unmarshal string into Go struct field "
            "RegisterRequest.Service.Port of type int",
        ),
    ],
)
def test_register_decode_errors(api: RawHTTP, data: bytes, message: str) -> None:
    response = api.put("/v1/catalog/register", data)
    assert error(response, 400) == message


# encoding/json/scanner.go: each state's error names the byte it refused and
# where it stood; the decoder reads the first value only.
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"Node": }', "invalid character '}' looking for beginning of value"),
        (b"{Node: 1}", "invalid character 'N' looking for beginning of object key string"),
        (b'{"Node" 1}', "invalid character '1' after object key"),
        (b'{"Node": "a" "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b'{"Node": tru}', "invalid character '}' in literal true (expecting 'e')"),
        (b'{"Node": nul}', "invalid character '}' in literal null (expecting 'l')"),
        (b'{"Node": -}', "invalid character '}' in numeric literal"),
        (b'{"Port": 1.}', "invalid character '}' after decimal point in numeric literal"),
        (b'{"Port": 1e}', "invalid character '}' in exponent of numeric literal"),
        (b'{"Node": "a\\qb"}', "invalid character 'q' in string escape code"),
        (b'{"Node": "\\u12G4"}', "invalid character 'G' in \\u hexadecimal character escape"),
        (b'{"Node": "a\tb"}', "invalid character '\\t' in string literal"),
        (b'{"Node": NaN}', "invalid character 'N' looking for beginning of value"),
        (b"{\"Node\": 'x'}", "invalid character '\\'' looking for beginning of value"),
        (b'{"Node": "a"', "unexpected EOF"),
        (b'{"Node": "a", ', "unexpected EOF"),
        (b"\xef\xbb\xbf{}", "invalid character '\u00ef' looking for beginning of value"),
    ],
)
def test_register_syntax_errors_are_go_scanner_texts(
    api: RawHTTP, data: bytes, message: str
) -> None:
    response = api.put("/v1/catalog/register", data)
    assert error(response, 400) == f"Request decode failed: {message}"


def test_only_the_first_json_value_is_read(api: RawHTTP) -> None:
    # json.Decoder stops after one value: what follows is never looked at.
    response = api.put("/v1/catalog/register", b'{"Node": "n1", "Address": "a"} not json')
    assert response.status_code == 200, response.text


def test_field_names_match_case_insensitively(api: RawHTTP) -> None:
    api.register({"node": "n1", "address": "a", "service": {"service": "s", "port": 1}})
    (instance,) = api.get("/v1/catalog/service/s").json()
    assert instance["ServicePort"] == 1


def test_enterprise_parameters_are_refused(api: RawHTTP) -> None:
    assert error(api.get("/v1/catalog/services?ns=x"), 400) == (
        'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
    )
    response = api.get("/v1/catalog/service/web", headers={"X-Consul-Namespace": "x"})
    assert error(response, 400) == (
        'Invalid header: "X-Consul-Namespace" - Namespaces are a Consul Enterprise feature'
    )
    assert error(api.get("/v1/catalog/nodes?partition=p"), 400) == (
        'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature'
    )
    # catalog/nodes only parses the partition.
    assert api.get("/v1/catalog/nodes?ns=x").status_code == 200


def test_node_ids_rename_and_reserve(api: RawHTTP, consul_agent: DevAgent) -> None:
    node_id = str(uuid.uuid4())
    api.register({"Node": "old", "ID": node_id, "Address": "a", "Service": {"Service": "s"}})
    created = api.get("/v1/catalog/node/old").json()["Node"]["CreateIndex"]
    # The same ID under another name renames the node: the old one goes with
    # its services, the create index stays.
    api.register({"Node": "new", "ID": node_id, "Address": "a"})
    assert api.get("/v1/catalog/node/old").json() is None
    renamed = api.get("/v1/catalog/node/new").json()
    assert renamed["Node"]["CreateIndex"] == created
    assert renamed["Services"] == {}
    # A name held by a healthy node (it has a passing serfHealth) with
    # another ID is reserved.
    name = consul_agent.config.node_name
    other = str(uuid.uuid4())
    response = api.put("/v1/catalog/register", json={"Node": name, "ID": other, "Address": "b"})
    assert error(response, 500) == (
        f'failed inserting node: Error while renaming Node ID: "{other}": Node name {name} '
        f"is reserved by node {consul_agent.config.node_id} with name {name} (127.0.0.1)"
    )


# -- deregistration ------------------------------------------------------------------


def _web_with_checks(api: RawHTTP) -> None:
    api.register(
        {
            **WEB,
            "Checks": [
                {"Name": "svc", "ServiceID": "web", "Status": "passing"},
                {"Name": "node", "Status": "passing"},
            ],
        }
    )


def test_deregister_precedence_service_then_check_then_node(api: RawHTTP) -> None:
    _web_with_checks(api)
    body = {"Node": "web1", "ServiceID": "web", "CheckID": "node"}
    response = api.put("/v1/catalog/deregister", json=body)
    assert response.status_code == 200
    assert response.json() is True
    # The service went with its check; the node check named alongside stayed.
    assert [c["CheckID"] for c in api.get("/v1/health/node/web1").json()] == ["node"]
    assert api.get("/v1/catalog/service/web").json() == []
    api.put("/v1/catalog/deregister", json={"Node": "web1", "CheckID": "node"})
    assert api.get("/v1/health/node/web1").json() == []
    assert api.get("/v1/catalog/node/web1").json() is not None
    api.put("/v1/catalog/deregister", json={"Node": "web1"})
    assert api.get("/v1/catalog/node/web1").json() is None


def test_deregistering_a_node_takes_everything(api: RawHTTP) -> None:
    _web_with_checks(api)
    api.put("/v1/catalog/deregister", json={"Node": "web1"})
    assert api.get("/v1/catalog/node/web1").json() is None
    assert api.get("/v1/health/node/web1").json() == []
    assert "web" not in api.get("/v1/catalog/services").json()


def test_deregistering_nothing_is_true_and_changes_no_index(api: RawHTTP) -> None:
    _web_with_checks(api)
    before = api.index("/v1/catalog/nodes"), api.index("/v1/health/state/any")
    for body in (
        {"Node": "web1", "ServiceID": "nope"},
        {"Node": "web1", "CheckID": "nope"},
        {"Node": "nope"},
        {"Node": "web1", "Address": "obsolete but allowed", "PeerName": "p"},
    ):
        response = api.put("/v1/catalog/deregister", json=body)
        assert response.json() is True
    assert (api.index("/v1/catalog/nodes"), api.index("/v1/health/state/any")) == before


def test_deregister_errors(api: RawHTTP) -> None:
    assert error(api.put("/v1/catalog/deregister", json={}), 500) == "Must provide node"
    response = api.put("/v1/catalog/deregister", json={"Node": "n", "Bogus": 1})
    assert error(response, 400) == 'Request decode failed: json: unknown field "Bogus"'
    assert api.get("/v1/catalog/deregister").status_code == 405


# -- reads ---------------------------------------------------------------------------


def test_service_queries_filter_by_every_tag_case_insensitively(api: RawHTTP) -> None:
    for node, tags in (("a", ["Primary", "v1"]), ("b", ["v1"]), ("c", None)):
        api.register({"Node": node, "Address": "x", "Service": {"Service": "db", "Tags": tags}})

    def nodes(query: str) -> list[str]:
        return [s["Node"] for s in api.get("/v1/catalog/service/db" + query).json()]

    assert nodes("") == ["a", "b", "c"]
    assert nodes("?tag=V1") == ["a", "b"]
    assert nodes("?tag=v1&tag=primary") == ["a"]
    assert nodes("?tag=nope") == []
    # A service without tags shows an empty list.
    assert api.get("/v1/catalog/service/db?tag=").json() == []
    assert api.get("/v1/catalog/service/db").json()[2]["ServiceTags"] == []


def test_names_match_case_insensitively_and_keep_their_spelling(api: RawHTTP) -> None:
    api.register({"Node": "Web1", "Address": "x", "Service": {"Service": "Web"}})
    (instance,) = api.get("/v1/catalog/service/WEB").json()
    assert instance["Node"] == "Web1"
    assert instance["ServiceName"] == "Web"
    assert api.get("/v1/catalog/node/web1").json()["Node"]["Node"] == "Web1"


def test_node_meta_filters(api: RawHTTP) -> None:
    a = {"Node": "a", "Address": "x", "NodeMeta": {"env": "prod", "rack": "1"}}
    api.register({**a, "Service": {"Service": "web"}})
    api.register({"Node": "b", "Address": "x", "NodeMeta": {"env": "prod", "rack": "2"}})

    def names(query: str) -> list[str]:
        return [n["Node"] for n in api.get("/v1/catalog/nodes" + query).json()]

    assert names("?node-meta=env:prod") == ["a", "b"]
    assert names("?node-meta=env:prod&node-meta=rack:2") == ["b"]
    assert names("?node-meta=env") == []
    services = api.get("/v1/catalog/services?node-meta=rack:2").json()
    assert services == {}
    assert list(api.get("/v1/catalog/services?node-meta=rack:1").json()) == ["web"]
    assert api.get("/v1/catalog/service/web?node-meta=rack:2").json() == []


def test_catalog_services_merge_tags(api: RawHTTP) -> None:
    api.register({"Node": "a", "Address": "x", "Service": {"Service": "db", "Tags": ["x", "y"]}})
    api.register({"Node": "b", "Address": "x", "Service": {"Service": "db", "Tags": ["y", "z"]}})
    services = api.get("/v1/catalog/services").json()
    assert list(services) == ["consul", "db"]
    assert sorted(services["db"]) == ["x", "y", "z"]


def test_unknown_node_is_null_with_status_200(api: RawHTTP) -> None:
    response = api.get("/v1/catalog/node/nope")
    assert response.status_code == 200
    # Indented in dev mode, with a newline only for ?pretty (marshalJSON).
    assert response.text == "null"
    assert int(response.headers["X-Consul-Index"]) >= 1
    response = api.get("/v1/catalog/node-services/nope")
    assert response.json() == {"Node": None, "Services": None}


def test_node_services_list(api: RawHTTP) -> None:
    api.register({"Node": "n", "Address": "x"})
    assert api.get("/v1/catalog/node-services/n").json()["Services"] is None
    api.register({"Node": "n", "Address": "x", "Service": {"Service": "b"}})
    api.register({"Node": "n", "Address": "x", "Service": {"Service": "a", "Tags": None}})
    result = api.get("/v1/catalog/node-services/n").json()
    assert result["Node"]["Node"] == "n"
    assert [s["ID"] for s in result["Services"]] == ["a", "b"]
    assert result["Services"][0]["Tags"] == []


def test_a_node_can_be_found_by_a_prefix_of_its_id(api: RawHTTP) -> None:
    node_id = "40e4a748-2192-161a-0510-9bf59fe950b5"
    api.register({"Node": "t2", "ID": node_id, "Address": "x"})
    assert api.get("/v1/catalog/node/40e4a748").json()["Node"]["Node"] == "t2"
    # An odd length is cut to the even length before it (resizeNodeLookupKey);
    # what is left must be whole hex bytes once the dashes are gone.
    assert api.get("/v1/catalog/node/40e4a7482").json()["Node"]["Node"] == "t2"
    assert api.get("/v1/catalog/node/40e4a748-2192-1").json()["Node"]["Node"] == "t2"
    assert api.get("/v1/catalog/node/40e4a748-21").json() is None
    assert api.get("/v1/catalog/node/ffff").json() is None
    assert api.get("/v1/catalog/node/zz").json() is None


def test_missing_names_are_bad_requests(api: RawHTTP) -> None:
    assert error(api.get("/v1/catalog/service/"), 400) == "Missing service name"
    assert error(api.get("/v1/catalog/connect/"), 400) == "Missing service name"
    assert error(api.get("/v1/catalog/node/"), 400) == "Missing node name"
    assert error(api.get("/v1/catalog/node-services/"), 400) == "Missing node name"


def test_consistency_parameters(api: RawHTTP) -> None:
    response = api.get("/v1/catalog/nodes?stale")
    assert response.headers["X-Consul-Effective-Consistency"] == "stale"
    response = api.get("/v1/catalog/service/consul?consistent")
    assert response.headers["X-Consul-Effective-Consistency"] == "consistent"
    response = api.get("/v1/catalog/services?stale&consistent")
    assert error(response, 400) == "Cannot specify ?stale with ?consistent, conflicting semantics."
    assert error(api.get("/v1/catalog/node/x?index=z"), 400) == "Invalid index"
    assert error(api.get("/v1/catalog/nodes?index=1&wait=5"), 400) == "Invalid wait time"


def test_connect_lists_proxies_and_native_instances(api: RawHTTP) -> None:
    api.register({"Node": "a", "Address": "x", "Service": {"Service": "web", "Port": 80}})
    proxy = {
        "Service": "web-proxy",
        "Kind": "connect-proxy",
        "Port": 21000,
        "Proxy": {"DestinationServiceName": "web", "LocalServicePort": 80},
    }
    api.register({"Node": "a", "Address": "x", "Service": proxy})
    native = {"Service": "web", "ID": "web-native", "Port": 81, "Connect": {"Native": True}}
    api.register({"Node": "b", "Address": "x", "Service": native})
    instances = api.get("/v1/catalog/connect/web").json()
    assert [(s["Node"], s["ServiceID"]) for s in instances] == [
        ("a", "web-proxy"),
        ("b", "web-native"),
    ]
    assert instances[0]["ServiceKind"] == "connect-proxy"
    assert instances[0]["ServiceProxy"] == {
        "DestinationServiceName": "web",
        "LocalServicePort": 80,
        "Mode": "",
        "MeshGateway": {},
        "Expose": {},
    }
    assert instances[1]["ServiceConnect"] == {"Native": True}


# -- indexes and blocking queries ----------------------------------------------------------


def test_service_queries_report_the_service_index(api: RawHTTP) -> None:
    api.register(WEB)
    web = api.index("/v1/catalog/service/web")
    api.register({"Node": "db1", "Address": "x", "Service": {"Service": "db"}})
    assert api.index("/v1/catalog/service/web") == web
    assert api.index("/v1/catalog/services") > web
    # A missing service reports the table indexes until a service goes
    # extinct, then the extinction index.
    assert api.index("/v1/catalog/service/nope") == api.index("/v1/catalog/services")
    api.put("/v1/catalog/deregister", json={"Node": "db1", "ServiceID": "db"})
    extinct = api.index("/v1/catalog/service/db")
    assert extinct > web
    api.register({"Node": "other", "Address": "x", "Service": {"Service": "else"}})
    assert api.index("/v1/catalog/service/nope") == extinct


def test_node_query_reports_the_node_index(api: RawHTTP) -> None:
    api.register(WEB)
    node = api.index("/v1/catalog/node/web1")
    api.register({"Node": "db1", "Address": "x"})
    assert api.index("/v1/catalog/node/web1") == node
    api.register({**WEB, "Service": {"Service": "second"}})
    assert api.index("/v1/catalog/node/web1") > node


def test_a_blocking_service_query_wakes_on_its_service(
    api: RawHTTP, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    api.register(WEB)
    index = api.index("/v1/catalog/service/web")
    pending = pool.submit(api.get, f"/v1/catalog/service/web?index={index}&wait=10s")
    api.register({**WEB, "Node": "web2"})
    response = pending.result(10)
    assert int(response.headers["X-Consul-Index"]) > index
    assert [s["Node"] for s in response.json()] == ["web1", "web2"]


def test_a_blocking_query_on_a_missing_service_wakes_when_it_appears(
    api: RawHTTP, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    index = api.index("/v1/catalog/service/web")
    pending = pool.submit(api.get, f"/v1/catalog/service/web?index={index}&wait=10s")
    api.register(WEB)
    response = pending.result(10)
    assert [s["ServiceID"] for s in response.json()] == ["web"]


def test_a_blocking_query_ignores_other_services(api: RawHTTP) -> None:
    api.register(WEB)
    index = api.index("/v1/catalog/service/web")
    api.register({"Node": "db1", "Address": "x", "Service": {"Service": "db"}})
    # The wait runs out (time is the behaviour here): the index has not moved.
    response = api.get(f"/v1/catalog/service/web?index={index}&wait=200ms")
    assert int(response.headers["X-Consul-Index"]) == index


def test_a_blocking_node_list_wakes_on_a_new_node(
    api: RawHTTP, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    index = api.index("/v1/catalog/nodes")
    pending = pool.submit(api.get, f"/v1/catalog/nodes?index={index}&wait=10s")
    api.register(WEB)
    response = pending.result(10)
    assert "web1" in [n["Node"] for n in response.json()]


# -- ACLs -----------------------------------------------------------------------------------


def test_reads_are_filtered_by_acls(root: RawHTTP) -> None:
    root.register({"Node": "a", "Address": "x", "Service": {"Service": "web"}})
    root.register({"Node": "b", "Address": "x", "Service": {"Service": "db"}})
    token = make_token(root, denying(nodes=["b"], services=["db"]))["SecretID"]
    response = root.get("/v1/catalog/nodes", token=token)
    assert "b" not in [n["Node"] for n in response.json()]
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    response = root.get("/v1/catalog/services", token=token)
    assert "db" not in response.json()
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    assert root.get("/v1/catalog/service/db", token=token).json() == []
    assert root.get("/v1/catalog/node/b", token=token).json() is None
    # Without a token the header is never sent (the anonymous token sees nothing).
    response = root.get("/v1/catalog/nodes", token="")
    assert response.json() == []
    assert "X-Consul-Results-Filtered-By-ACLs" not in response.headers
    response = root.get("/v1/catalog/service/web", token=token)
    assert len(response.json()) == 1
    assert "X-Consul-Results-Filtered-By-ACLs" not in response.headers


def test_catalog_node_checks_service_read_on_the_service_id(root: RawHTTP) -> None:
    # filterNodeServices checks the key of its map, which is the service ID.
    root.register({"Node": "a", "Address": "x", "Service": {"Service": "web", "ID": "web-1"}})
    token = make_token(root, denying(services=["web"]))["SecretID"]
    assert list(root.get("/v1/catalog/node/a", token=token).json()["Services"]) == ["web-1"]
    token = make_token(root, denying(services=["web-1"]))["SecretID"]
    response = root.get("/v1/catalog/node/a", token=token)
    assert response.json()["Services"] == {}
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"


def test_registration_needs_node_and_service_write(root: RawHTTP) -> None:
    root.register({"Node": "a", "Address": "x"})
    token = make_token(root, denying(nodes=["a"], services=["db"]))
    secret = token["SecretID"]
    denied = (
        f"Permission denied: token with AccessorID '{token['AccessorID']}' "
        "lacks permission '{}' on \"{}\""
    )
    response = root.put("/v1/catalog/register", json={"Node": "a", "Address": "y"}, token=secret)
    assert error(response, 403) == denied.format("node:write", "a")
    body = {"Node": "b", "Address": "x", "Service": {"Service": "db"}}
    response = root.put("/v1/catalog/register", json=body, token=secret)
    assert error(response, 403) == denied.format("service:write", "db")
    # A service change that re-posts the unchanged node needs no node:write.
    body = {"Node": "a", "Address": "x", "Service": {"Service": "web"}}
    root.register(body, token=secret)
    response = root.put("/v1/catalog/deregister", json={"Node": "a"}, token=secret)
    assert error(response, 403) == denied.format("node:write", "a")
    # Without node:write, a service goes with service:write on it.
    body = {"Node": "a", "ServiceID": "web"}
    assert root.put("/v1/catalog/deregister", json=body, token=secret).json() is True
    body = {"Node": "a", "ServiceID": "x"}
    response = root.put("/v1/catalog/deregister", json=body, token=secret)
    assert error(response, 500) == "Unknown service ID 'x'"


# -- session invalidation ----------------------------------------------------------------


def test_the_catalog_tells_the_sessions_what_went(api: RawHTTP, consul_agent: DevAgent) -> None:
    calls: list[tuple[str, str, str]] = []

    def record(core: Any) -> None:
        sessions = core.home.sessions
        sessions.on_check_critical = lambda idx, node, check: calls.append(
            ("critical", node, check)
        )
        sessions.on_check_deleted = lambda idx, node, check: calls.append(("deleted", node, check))
        sessions.on_node_deleted = lambda idx, node: calls.append(("node", node, ""))

    consul_agent.run(record)
    _web_with_checks(api)
    assert calls == []
    api.register({**WEB, "Check": {"Name": "node", "Status": "critical"}})
    assert calls == [("critical", "web1", "node")]
    calls.clear()
    api.put("/v1/catalog/deregister", json={"Node": "web1", "ServiceID": "web"})
    assert calls == [("deleted", "web1", "svc")]
    calls.clear()
    api.put("/v1/catalog/deregister", json={"Node": "web1"})
    assert calls == [("deleted", "web1", "node"), ("node", "web1", "")]


# -- ?filter wiring ---------------------------------------------------------------------


def test_filters_see_the_items_consul_filters(api: RawHTTP) -> None:
    api.register({"Node": "a", "Address": "x", "Service": {"Service": "web", "Tags": ["t"]}})
    nodes = api.get("/v1/catalog/nodes", params={"filter": 'Node == "a"'}).json()
    assert [n["Node"] for n in nodes] == ["a"]
    # catalog/services filters the instances, then groups them by name.
    by_name = api.get("/v1/catalog/services", params={"filter": 'ServiceName == "web"'})
    assert by_name.json() == {"web": ["t"]}
    # The instances it filters carry no node fields (Catalog.ListServices
    # filters the raw service records), so an empty Address matches them all...
    blank = api.get("/v1/catalog/services", params={"filter": 'Address == ""'}).json()
    assert set(blank) == {"consul", "web"}
    # ... while catalog/service/:name filters full ServiceNodes.
    full = api.get("/v1/catalog/service/web", params={"filter": 'Address == ""'}).json()
    assert full == []
    node = api.get("/v1/catalog/node/a", params={"filter": 'Service == "nope"'}).json()
    assert node["Services"] == {}
