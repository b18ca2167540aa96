"""The embedded agent's /v1/coordinate endpoints, over raw HTTP."""

from __future__ import annotations

import socket

import pytest
import requests

from consul.testing import DevAgent

ORIGIN = {"Vec": [0] * 8, "Error": 1.5, "Adjustment": 0, "Height": 1e-05}


@pytest.fixture(scope="module")
def agent():
    with DevAgent(node_name="alpha", extra_datacenters=("dc2",)) as agent:
        yield agent


@pytest.fixture
def url(agent):
    agent.reset()
    return agent.url


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def test_datacenters_lists_each_datacenters_server_in_the_wan_area(http, url):
    response = http.get(f"{url}/v1/coordinate/datacenters")
    assert response.status_code == 200
    assert response.json() == [
        {
            "Datacenter": "dc1",
            "AreaID": "wan",
            "Coordinates": [{"Node": "alpha", "Segment": "", "Coord": ORIGIN}],
        },
        {
            "Datacenter": "dc2",
            "AreaID": "wan",
            "Coordinates": [{"Node": "alpha.dc2", "Segment": "", "Coord": ORIGIN}],
        },
    ]
    assert "X-Consul-Index" not in response.headers


def test_nodes_has_the_server_with_a_fresh_coordinate(http, url):
    response = http.get(f"{url}/v1/coordinate/nodes")
    assert response.json() == [{"Node": "alpha", "Segment": "", "Coord": ORIGIN}]
    assert list(response.json()[0]) == ["Node", "Segment", "Coord"]
    assert list(response.json()[0]["Coord"]) == ["Vec", "Error", "Adjustment", "Height"]
    assert int(response.headers["X-Consul-Index"]) >= 1
    assert response.headers["X-Consul-KnownLeader"] == "true"
    assert "X-Consul-Effective-Consistency" not in response.headers


def test_nodes_of_another_datacenter(http, url):
    nodes = http.get(f"{url}/v1/coordinate/nodes?dc=dc2").json()
    assert [n["Node"] for n in nodes] == ["alpha.dc2"]


def test_unknown_datacenter(http, url):
    response = http.get(f"{url}/v1/coordinate/nodes?dc=nowhere")
    assert response.status_code == 500
    assert response.text == "No path to datacenter"


def test_segment_filter(http, url):
    assert http.get(f"{url}/v1/coordinate/nodes?segment=").json()[0]["Node"] == "alpha"
    assert http.get(f"{url}/v1/coordinate/nodes?segment=other").json() == []


def test_node_is_found_whatever_its_case_and_named_as_asked(http, url):
    response = http.get(f"{url}/v1/coordinate/node/ALPHA")
    assert response.status_code == 200
    assert response.json() == [{"Node": "ALPHA", "Segment": "", "Coord": ORIGIN}]
    assert response.headers["X-Consul-KnownLeader"] == "true"


def test_node_without_coordinates_is_not_found_with_meta(http, url):
    response = http.get(f"{url}/v1/coordinate/node/nobody")
    assert response.status_code == 404
    assert response.text == ""
    assert int(response.headers["X-Consul-Index"]) >= 1


def test_conflicting_consistency_modes(http, url):
    response = http.get(f"{url}/v1/coordinate/nodes?stale&consistent")
    assert response.status_code == 400


def test_blocking_nodes_times_out_with_the_same_index(http, url):
    index = http.get(f"{url}/v1/coordinate/nodes").headers["X-Consul-Index"]
    response = http.get(f"{url}/v1/coordinate/nodes?index={index}&wait=20ms")
    assert response.headers["X-Consul-Index"] == index


def update_body(node="alpha", vec=None, **extra):
    coord = {"Vec": vec if vec is not None else [0.1] * 8, "Error": 0.5, "Height": 0.01}
    return {"Node": node, "Coord": coord, **extra}


def test_update_answers_at_once_with_an_empty_body(http, url):
    response = http.put(f"{url}/v1/coordinate/update", json=update_body())
    assert response.status_code == 200
    assert response.text == ""


def test_update_of_another_dimensionality_is_incompatible(http, url):
    response = http.put(f"{url}/v1/coordinate/update", json=update_body(vec=[1.0, 2.0]))
    assert response.status_code == 500
    assert response.text == "incompatible coordinate"


def test_update_body_is_decoded_strictly(http, url):
    response = http.put(f"{url}/v1/coordinate/update", json=update_body(Foo=1))
    assert response.status_code == 400
    assert response.text == 'Request decode failed: json: unknown field "Foo"'


def test_update_without_a_coordinate_drops_the_connection(url):
    # Consul dereferences the missing coordinate: the handler panics and Go
    # closes the connection without answering.
    host, port = url.removeprefix("http://").rsplit(":", 1)
    body = b'{"Node": "alpha"}'
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"PUT /v1/coordinate/update HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        assert sock.recv(1024) == b""


def test_update_to_unknown_datacenter(http, url):
    response = http.put(f"{url}/v1/coordinate/update?dc=nowhere", json=update_body())
    assert response.status_code == 500
    assert response.text == "No path to datacenter"


def test_update_lands_in_a_batch_and_wakes_blocking_queries(http, url):
    index = http.get(f"{url}/v1/coordinate/nodes").headers["X-Consul-Index"]
    assert http.put(f"{url}/v1/coordinate/update", json=update_body()).status_code == 200
    response = http.get(f"{url}/v1/coordinate/nodes?index={index}&wait=10s")
    assert int(response.headers["X-Consul-Index"]) > int(index)
    assert response.json() == [
        {
            "Node": "alpha",
            "Segment": "",
            "Coord": {"Vec": [0.1] * 8, "Error": 0.5, "Adjustment": 0, "Height": 0.01},
        }
    ]


def test_update_for_a_node_outside_the_catalog_is_dropped_but_moves_the_index(http, url):
    index = http.get(f"{url}/v1/coordinate/nodes").headers["X-Consul-Index"]
    http.put(f"{url}/v1/coordinate/update", json=update_body(node="ghost"))
    response = http.get(f"{url}/v1/coordinate/nodes?index={index}&wait=10s")
    assert int(response.headers["X-Consul-Index"]) > int(index)
    assert [n["Node"] for n in response.json()] == ["alpha"]


def test_deregistering_a_node_removes_its_coordinates(http, url):
    register = {"Node": "web1", "Address": "10.0.0.1"}
    assert http.put(f"{url}/v1/catalog/register", json=register).status_code == 200
    index = http.get(f"{url}/v1/coordinate/nodes").headers["X-Consul-Index"]
    http.put(f"{url}/v1/coordinate/update", json=update_body(node="web1"))
    landed = http.get(f"{url}/v1/coordinate/nodes?index={index}&wait=10s")
    assert [n["Node"] for n in landed.json()] == ["alpha", "web1"]
    http.put(f"{url}/v1/catalog/deregister", json={"Node": "web1"})
    assert [n["Node"] for n in http.get(f"{url}/v1/coordinate/nodes").json()] == ["alpha"]
    assert http.get(f"{url}/v1/coordinate/node/web1").status_code == 404


def test_floats_are_written_as_gos_encoding_json_writes_them(http, url):
    # encoding/json floatEncoder (Go's src/encoding/json/encode.go): the
    # shortest digits, plain notation from 1e-6 up to 1e21 ("0.00001", "0"
    # for 0.0), exponent notation outside it with "e-07" trimmed to "e-7".
    vec = [1e-05, 0.0, 1e-07, 1.5e-07, 2.5e21, 1e20, -0.25, 3.0]
    body = update_body(vec=vec)
    body["Coord"]["Height"] = 1e-06
    assert http.put(f"{url}/v1/coordinate/update", json=body).status_code == 200
    index = http.get(f"{url}/v1/coordinate/nodes").headers["X-Consul-Index"]
    text = http.get(f"{url}/v1/coordinate/node/alpha?index={index}&wait=10s").text
    numbers = text.split('"Vec": [')[1].split("]")[0].split(",")
    assert [n.strip() for n in numbers] == [
        "0.00001",
        "0",
        "1e-7",
        "1.5e-7",
        "2.5e+21",
        "100000000000000000000",
        "-0.25",
        "3",
    ]
    assert '"Adjustment": 0,' in text
    assert '"Height": 0.000001\n' in text


def test_partitions_and_namespaces_are_enterprise(http, url):
    # agent/coordinate_endpoint.go: reads take a partition (parseEntMetaPartition),
    # updates a namespace too (parseEntMetaNoWildcard, after the body).
    partitions = 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature'
    for path in ("/v1/coordinate/nodes", "/v1/coordinate/node/alpha"):
        response = http.get(f"{url}{path}?partition=part")
        assert (response.status_code, response.text) == (400, partitions)
        assert http.get(f"{url}{path}?ns=team").status_code == 200
    body = {"Node": "alpha", "Coord": ORIGIN}
    response = http.put(f"{url}/v1/coordinate/update?ns=team", json=body)
    assert response.status_code == 400
    assert response.text.startswith('Invalid query parameter: "ns"')
    response = http.put(f"{url}/v1/coordinate/update?ns=team", data=b"{")
    assert (response.status_code, response.text) == (400, "Request decode failed: unexpected EOF")
