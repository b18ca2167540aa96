"""The embedded agent's /v1/event endpoints, over raw HTTP."""

from __future__ import annotations

import base64
import concurrent.futures
import time

import pytest
import requests
from harness import wait_blocked

from consul.testing import DevAgent


def uuid_index(event_id: str) -> int:
    digits = event_id.replace("-", "")
    return int(digits[:16], 16) ^ int(digits[16:], 16)


@pytest.fixture
def url(consul_agent):
    return consul_agent.url


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def test_fire_returns_the_event_in_go_field_order(http, url):
    response = http.put(f"{url}/v1/event/fire/deploy", data=b"v1.2")
    assert response.status_code == 200
    event = response.json()
    assert list(event) == [
        "ID",
        "Name",
        "Payload",
        "NodeFilter",
        "ServiceFilter",
        "TagFilter",
        "Version",
        "LTime",
    ]
    assert event["Name"] == "deploy"
    assert base64.b64decode(event["Payload"]) == b"v1.2"
    assert event["Version"] == 1
    assert event["LTime"] == 0  # the fire answer never carries the Lamport time


def test_event_without_body_has_null_payload(http, url):
    event = http.put(f"{url}/v1/event/fire/empty").json()
    assert event["Payload"] is None


def test_list_is_oldest_first_with_lamport_times(http, url):
    ids = [http.put(f"{url}/v1/event/fire/e{i}").json()["ID"] for i in range(3)]
    response = http.get(f"{url}/v1/event/list")
    events = response.json()
    assert [e["ID"] for e in events] == ids
    assert [e["LTime"] for e in events] == [1, 2, 3]
    assert int(response.headers["X-Consul-Index"]) == uuid_index(ids[-1])


def test_list_sends_only_the_index_header(http, url):
    http.put(f"{url}/v1/event/fire/one")
    response = http.get(f"{url}/v1/event/list")
    assert "X-Consul-Index" in response.headers
    assert "X-Consul-KnownLeader" not in response.headers
    assert "X-Consul-LastContact" not in response.headers


def test_empty_list_has_index_one(http, url):
    response = http.get(f"{url}/v1/event/list")
    assert response.json() == []
    assert response.headers["X-Consul-Index"] == "1"


def test_list_filters_by_exact_name(http, url):
    http.put(f"{url}/v1/event/fire/deploy")
    http.put(f"{url}/v1/event/fire/deploy-2")
    names = [e["Name"] for e in http.get(f"{url}/v1/event/list?name=deploy").json()]
    assert names == ["deploy"]


def test_agent_keeps_the_last_256_events(http, url):
    ids = [http.put(f"{url}/v1/event/fire/e").json()["ID"] for _ in range(260)]
    events = http.get(f"{url}/v1/event/list").json()
    assert [e["ID"] for e in events] == ids[4:]


def test_missing_name_is_a_bad_request(http, url):
    response = http.put(f"{url}/v1/event/fire/")
    assert response.status_code == 400
    assert response.text == "Missing name"


def test_fire_takes_put_only(http, url):
    response = http.post(f"{url}/v1/event/fire/x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS,PUT"


def test_tag_filter_needs_a_service_filter(http, url):
    response = http.put(f"{url}/v1/event/fire/x?tag=web")
    assert response.status_code == 500
    assert response.text == "Cannot provide tag filter without service filter"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("node=(", "Invalid node filter: error parsing regexp: missing closing ): `(`"),
        ("service=a)", "Invalid service filter: error parsing regexp: unexpected ): `a)`"),
        (
            "service=a&tag=*",
            "Invalid tag filter: error parsing regexp: "
            "missing argument to repetition operator: `*`",
        ),
        (
            "node=(%3F=x)",
            "Invalid node filter: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
        ),
    ],
)
def test_bad_regular_expressions_are_refused_with_go_messages(http, url, query, message):
    response = http.put(f"{url}/v1/event/fire/x?{query}")
    assert response.status_code == 500
    assert response.text == message


def test_node_filter_decides_whether_this_agent_keeps_the_event(http, url, consul_agent):
    node = consul_agent.config.node_name
    kept = http.put(f"{url}/v1/event/fire/kept?node=^{node}$").json()
    dropped = http.put(f"{url}/v1/event/fire/dropped?node=^not-{node}$").json()
    assert dropped["NodeFilter"] == f"^not-{node}$"
    ids = [e["ID"] for e in http.get(f"{url}/v1/event/list").json()]
    assert ids == [kept["ID"]]


def test_service_filter_without_a_matching_local_service_drops_the_event(http, url):
    response = http.put(f"{url}/v1/event/fire/x?service=web&tag=v1")
    assert response.status_code == 200
    assert http.get(f"{url}/v1/event/list").json() == []


def test_remote_exec_events_are_ignored_by_a_dev_agent(http, url):
    assert http.put(f"{url}/v1/event/fire/_rexec").status_code == 200
    assert http.get(f"{url}/v1/event/list").json() == []


def test_chunked_body_is_not_a_payload(http, url):
    # Go reads the payload only when the request declares its length.
    event = http.put(f"{url}/v1/event/fire/x", data=iter([b"chunk"])).json()
    assert event["Payload"] is None


# With the name "deploy" and no filters, the msgpack-encoded event is
# 59 + n bytes for a payload of 256 <= n < 65536 bytes: a map header, "ID"
# and the 36-character UUID (str8), "n" and the name, "p" and the payload
# (bin16), "v" and 1. Serf first checks len("consul:event:deploy") + that
# <= 512 (n <= 434), then the size of its own message: a type byte, a
# 4-entry map, "LTime" and a small Lamport time, "Name" and the prefixed
# name, "Payload" and the encoded event as a raw16 string, "CC" and false:
# 108 + n <= 512 (n <= 404).
@pytest.mark.parametrize(
    ("size", "problem"),
    [
        (404, None),
        (405, "encoded user event exceeds configured limit of 512 bytes after encoding"),
        (434, "encoded user event exceeds configured limit of 512 bytes after encoding"),
        (435, "user event exceeds configured limit of 512 bytes before encoding"),
    ],
)
def test_serf_size_limits(http, url, size, problem):
    response = http.put(f"{url}/v1/event/fire/deploy", data=b"x" * size)
    if problem is None:
        assert response.status_code == 200
        return
    assert response.status_code == 500
    assert response.text == (
        f'1 error occurred:\n\t* error broadcasting event to segment "": {problem}\n\n'
    )
    assert http.get(f"{url}/v1/event/list").json() == []


def test_blocking_list_returns_on_the_next_event(http, url, consul_agent):
    first = http.put(f"{url}/v1/event/fire/a").json()
    index = uuid_index(first["ID"])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, f"{url}/v1/event/list?index={index}&wait=10s")
        wait_blocked(consul_agent, events=True)
        second = http.put(f"{url}/v1/event/fire/b").json()
        response = pending.result(10)
    assert int(response.headers["X-Consul-Index"]) == uuid_index(second["ID"])
    assert [e["ID"] for e in response.json()] == [first["ID"], second["ID"]]


def test_blocking_list_only_blocks_on_an_equal_index(http, url):
    event = http.put(f"{url}/v1/event/fire/a").json()
    # Any other index, even a larger one, answers at once (the index is a hash).
    response = http.get(f"{url}/v1/event/list?index={uuid_index(event['ID']) + 1}&wait=1m")
    assert [e["ID"] for e in response.json()] == [event["ID"]]


def test_blocking_list_times_out_with_the_same_answer(http, url):
    started = time.monotonic()
    response = http.get(f"{url}/v1/event/list?index=1&wait=50ms")
    assert time.monotonic() - started >= 0.05
    assert response.json() == []
    assert response.headers["X-Consul-Index"] == "1"


def test_blocking_on_a_name_ignores_other_events(http, url, consul_agent):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, f"{url}/v1/event/list?name=want&index=1&wait=10s")
        wait_blocked(consul_agent, events=True)
        http.put(f"{url}/v1/event/fire/other")
        wait_blocked(consul_agent, events=True)  # woken, re-run, and blocked again
        wanted = http.put(f"{url}/v1/event/fire/want").json()
        response = pending.result(10)
    assert [e["ID"] for e in response.json()] == [wanted["ID"]]


def test_bad_wait_is_a_bad_request(http, url):
    response = http.get(f"{url}/v1/event/list?index=1&wait=10")
    assert response.status_code == 400
    assert response.text == "Invalid wait time"


def test_unknown_datacenter(http, url):
    response = http.put(f"{url}/v1/event/fire/x?dc=nowhere")
    assert response.status_code == 500
    assert response.text == "No path to datacenter"


def test_event_fired_into_another_datacenter_does_not_reach_this_agent():
    with DevAgent(extra_datacenters=("dc2",)) as agent, requests.Session() as http:
        response = http.put(f"{agent.url}/v1/event/fire/remote?dc=dc2")
        assert response.status_code == 200
        assert http.get(f"{agent.url}/v1/event/list").json() == []
        # The local pool's Lamport clock did not move either.
        http.put(f"{agent.url}/v1/event/fire/local")
        assert http.get(f"{agent.url}/v1/event/list").json()[0]["LTime"] == 1


def test_service_and_tag_filters_match_local_service_ids_and_tags(http, url):
    service = {"ID": "api-1", "Name": "api", "Tags": ["v2", "blue"]}
    assert http.put(f"{url}/v1/agent/service/register", json=service).status_code == 200
    by_id = http.put(f"{url}/v1/event/fire/a?service=^api-1$").json()
    by_tag = http.put(f"{url}/v1/event/fire/b?service=api&tag=^blue$").json()
    http.put(f"{url}/v1/event/fire/c?service=^api$")  # the name alone is not the ID
    http.put(f"{url}/v1/event/fire/d?service=api&tag=green")
    ids = [e["ID"] for e in http.get(f"{url}/v1/event/list").json()]
    assert ids == [by_id["ID"], by_tag["ID"]]


def test_namespaces_and_partitions_are_not_read(http, url):
    # agent/event_endpoint.go: EventFire and EventList parse the datacenter,
    # the token and the blocking options, never the enterprise meta, so Consul
    # CE neither refuses nor uses ?ns and ?partition here.
    scope = {"ns": "team", "partition": "part"}
    fired = http.put(f"{url}/v1/event/fire/deploy", params=scope)
    assert fired.status_code == 200, fired.text
    listed = http.get(f"{url}/v1/event/list", params={"name": "deploy", **scope})
    assert listed.status_code == 200, listed.text
    assert [e["ID"] for e in listed.json()] == [fired.json()["ID"]]
