"""Blocking queries and concurrent writers on the embedded agent, with raw HTTP.

Expected behaviour from ``agent/blockingquery/blockingquery.go``,
``agent/consul/rpc.go`` (``RPCQueryTimeout``) and ``agent/consul/state/kvs.go``.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import random
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from harness import CALL_TIMEOUT, RawHTTP, json_documents, make_token, wait_blocked

from consul.testing import DevAgent
from consul.testing.http.context import query_timeout
from consul.testing.state.log import DEBUG


def modify_index(api, key):
    return api.get(f"/v1/kv/{key}").json()[0]["ModifyIndex"]


# -- many readers, one write -----------------------------------------------------------


@pytest.fixture
def roomy_agent():
    """An agent that lets one client hold more connections than Consul's 200."""
    with DevAgent(http_max_conns_per_client=0) as agent:
        yield agent


@pytest.mark.asyncio
async def test_hundreds_of_blocking_queries_wake_on_one_write(roomy_agent):
    readers = 300
    url = roomy_agent.url
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.put(f"{url}/v1/kv/shared", data=b"before") as response:
            assert await response.json() is True
        async with http.get(f"{url}/v1/kv/shared") as response:
            index = int(response.headers["X-Consul-Index"])

        async def read() -> tuple[int, bytes]:
            target = f"{url}/v1/kv/shared?index={index}&wait=60s"
            async with http.get(target) as response:
                [entry] = await response.json()
                return int(response.headers["X-Consul-Index"]), base64.b64decode(entry["Value"])

        tasks = [asyncio.create_task(read()) for _ in range(readers)]
        deadline = time.monotonic() + 30
        while roomy_agent.run(lambda core: core.home.blocking_queries) < readers:
            assert time.monotonic() < deadline, "the readers never all blocked"
            assert not any(task.done() for task in tasks)
            await asyncio.sleep(0.01)
        started = time.monotonic()
        async with http.put(f"{url}/v1/kv/shared", data=b"after") as response:
            assert await response.json() is True
        results = await asyncio.wait_for(asyncio.gather(*tasks), 30)
        elapsed = time.monotonic() - started
    assert {value for _, value in results} == {b"after"}
    assert len({new_index for new_index, _ in results}) == 1
    assert results[0][0] > index
    assert elapsed < 10


def _watch(agent: DevAgent, target: str, *headers: str, version: str = "1.1") -> socket.socket:
    """A raw connection whose blocking request is sent (the agent holds it)."""
    sock = socket.create_connection(("127.0.0.1", agent.port), timeout=10)
    lines = [f"GET {target} HTTP/{version}", "Host: consul", *headers, "", ""]
    sock.sendall("\r\n".join(lines).encode())
    return sock


def _answer(sock: socket.socket) -> tuple[bytes, bytes]:
    """The head and body of the one answer on ``sock`` (the client closes it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    [length] = [line for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")]
    while len(body) < int(length.split(b":")[1]):
        body += sock.recv(65536)
    sock.close()
    return head, body


def test_watchers_woken_together_get_each_the_answer_of_their_own_request(consul_acl_agent, root):
    # Identical requests share one rendering; any difference gets its own.
    reader = make_token(root, 'key_prefix "shared/visible" { policy = "read" }')["SecretID"]
    root.put("/v1/kv/shared/visible", data=b"1")
    root.put("/v1/kv/shared/hidden", data=b"1")
    index = root.index("/v1/kv/shared/?recurse")
    wait = f"index={index}&wait=5m"
    manager = f"X-Consul-Token: {consul_acl_agent.management_token}"
    key, tree = f"/v1/kv/shared/visible?{wait}", f"/v1/kv/shared/?recurse&{wait}"
    agent = consul_acl_agent
    watchers = {
        "json": [_watch(agent, key, manager)],
        "same": [_watch(agent, key, manager) for _ in range(4)],
        "raw": [_watch(agent, f"{key}&raw", manager)],
        "http10": [_watch(agent, key, manager, version="1.0")],
        "all": [_watch(agent, tree, manager)],
        "reader": [_watch(agent, tree, f"X-Consul-Token: {reader}")],
    }
    wait_blocked(agent, 9)
    root.put("/v1/kv/shared/visible", data=b"2")
    answers = {name: [_answer(sock) for sock in socks] for name, socks in watchers.items()}
    [(json_head, json_body)] = answers["json"]
    assert json_head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert base64.b64decode(json.loads(json_body)[0]["Value"]) == b"2"
    assert [body for _, body in answers["same"]] == [json_body] * 4
    [(raw_head, raw_body)] = answers["raw"]
    assert (raw_head.startswith(b"HTTP/1.1 200 OK\r\n"), raw_body) == (True, b"2")
    [(old_head, old_body)] = answers["http10"]
    assert old_head.startswith(b"HTTP/1.0 200 OK\r\n")
    assert old_body == json_body
    [(_, all_body)] = answers["all"]
    [(reader_head, reader_body)] = answers["reader"]
    assert [e["Key"] for e in json.loads(all_body)] == ["shared/hidden", "shared/visible"]
    assert [e["Key"] for e in json.loads(reader_body)] == ["shared/visible"]
    assert b"X-Consul-Results-Filtered-By-Acls: true" in reader_head
    assert agent.run(lambda core: core.home.blocking_queries) == 0


def test_watchers_sharing_one_answer_are_each_recorded(roomy_agent):
    # One rendering for identical requests, but each is a request of its own
    # in consul.api.http and in the DEBUG log (HTTPHandlers.wrap, agent/http.go).
    agent = roomy_agent
    sample = ("consul.api.http", (("method", "GET"), ("path", "v1_kv_")))

    def measured(core) -> int:
        return sum(i.samples[sample].count for i in core.metrics.intervals if sample in i.samples)

    lines: list[str] = []
    with RawHTTP(agent.url) as api:
        for debug in (False, True):
            if debug:
                agent.run(lambda core: core.log.add_writer(DEBUG, lines.append))
            api.put("/v1/kv/counted", data=b"before")
            target = f"/v1/kv/counted?index={modify_index(api, 'counted')}&wait=5m"
            before = agent.run(measured)
            watchers = [_watch(agent, target) for _ in range(5)]
            wait_blocked(agent, 5)
            api.put("/v1/kv/counted", data=b"after")
            bodies = {_answer(sock)[1] for sock in watchers}
            assert len(bodies) == 1
            assert agent.run(measured) == before + 5
    finished = [line for line in lines if f"Request finished: method=GET url={target}" in line]
    assert len(finished) == 5


def test_the_metrics_count_every_request_of_a_shared_answer():
    # Each woken request is a consul.api.http sample of its own, as Consul
    # measures every request (HTTPHandlers.wrap, agent/http.go), though the
    # agent records those answered alike together.
    watchers = 40
    with DevAgent(metrics_interval=0.1) as agent, RawHTTP(agent.url) as api:
        api.put("/v1/kv/counted", data=b"before")
        target = f"/v1/kv/counted?index={modify_index(api, 'counted')}&wait=5m"
        response = api.get("/v1/agent/metrics/stream", stream=True)
        try:
            documents = json_documents(response.iter_content(None, decode_unicode=True))
            next(documents)  # the interval under way when the stream began: the reads above
            socks = [_watch(agent, target) for _ in range(watchers)]
            wait_blocked(agent, watchers)
            api.put("/v1/kv/counted", data=b"after")
            [body] = {_answer(sock)[1] for sock in socks}
            assert base64.b64decode(json.loads(body)[0]["Value"]) == b"after"

            def counted(document: dict) -> int:
                samples = document["Samples"]
                labels = {"method": "GET", "path": "v1_kv_"}
                return sum(s["Count"] for s in samples if s["Labels"] == labels)

            seen = 0
            deadline = time.monotonic() + CALL_TIMEOUT
            while seen < watchers:
                assert time.monotonic() < deadline, f"{seen} of {watchers} requests counted"
                seen += counted(next(documents))
            # Each once, and nothing more in the intervals after.
            seen += counted(next(documents)) + counted(next(documents))
        finally:
            response.close()
    assert seen == watchers


def test_a_write_elsewhere_does_not_end_a_blocking_query(consul_agent, api):
    api.put("/v1/kv/watched", data=b"one")
    index = modify_index(api, "watched")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/kv/watched?index={index}&wait=10s")
        wait_blocked(consul_agent)
        api.put("/v1/kv/elsewhere", data=b"x")
        wait_blocked(consul_agent)
        assert not pending.done()
        api.put("/v1/kv/watched", data=b"two")
        response = pending.result(10)
    assert int(response.headers["X-Consul-Index"]) == modify_index(api, "watched")


def test_a_write_that_changes_nothing_wakes_nobody(consul_agent, api):
    api.put("/v1/kv/k?flags=3", data=b"same")
    index = modify_index(api, "k")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        single = pool.submit(api.get, f"/v1/kv/k?index={index}&wait=10s")
        tree = pool.submit(api.get, f"/v1/kv/?recurse&index={index}&wait=10s")
        wait_blocked(consul_agent, 2)
        assert api.put("/v1/kv/k?flags=3", data=b"same").json() is True
        assert api.put("/v1/kv/k?cas=0", data=b"other").json() is False
        assert api.delete("/v1/kv/never-there").json() is True
        assert consul_agent.run(lambda core: core.home.blocking_queries) == 2
        assert not single.done()
        assert not tree.done()
        api.put("/v1/kv/k?flags=3", data=b"changed")
        changed_at = modify_index(api, "k")
        # Three Raft applies went by without a change: the indexes skipped them.
        assert changed_at == index + 4
        for pending in (single, tree):
            assert int(pending.result(10).headers["X-Consul-Index"]) == changed_at


def test_a_no_op_write_lets_a_query_time_out_with_its_index(consul_agent, api):
    api.put("/v1/kv/k", data=b"same")
    index = modify_index(api, "k")
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/kv/k?index={index}&wait=300ms")
        wait_blocked(consul_agent)
        api.put("/v1/kv/k", data=b"same")
        response = pending.result(10)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert int(response.headers["X-Consul-Index"]) == index


def test_a_reset_releases_blocked_queries(consul_agent, api):
    api.put("/v1/kv/k", data=b"v")
    index = modify_index(api, "k")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(api.get, f"/v1/kv/k?index={index}&wait=60s")
        wait_blocked(consul_agent)
        consul_agent.reset()  # a snapshot restore abandons the state store
        response = pending.result(10)
    assert response.status_code == 200
    assert int(response.headers["X-Consul-Index"]) == index


# -- concurrent writers --------------------------------------------------------------------


def test_concurrent_cas_writers_lose_no_update(consul_agent):
    writers, increments = 6, 15
    setup = RawHTTP(consul_agent.url)
    try:
        setup.put("/v1/kv/counter", data=b"0")
    finally:
        setup.close()

    def writer() -> int:
        raw = RawHTTP(consul_agent.url)
        conflicts = 0
        try:
            for _ in range(increments):
                while True:
                    [entry] = raw.get("/v1/kv/counter").json()
                    value = int(base64.b64decode(entry["Value"]))
                    cas = entry["ModifyIndex"]
                    response = raw.put(f"/v1/kv/counter?cas={cas}", data=str(value + 1))
                    if response.json() is True:
                        break
                    conflicts += 1
        finally:
            raw.close()
        return conflicts

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        conflicts = sum(pool.map(lambda _: writer(), range(writers)))
    assert conflicts > 0, "the writers never raced; the test proves nothing"
    check = RawHTTP(consul_agent.url)
    try:
        [entry] = check.get("/v1/kv/counter").json()
    finally:
        check.close()
    # Every lost race was a false, never a lost increment.
    assert int(base64.b64decode(entry["Value"])) == writers * increments


def test_concurrent_lock_holders_are_exclusive_on_cas(consul_agent):
    # Many writers race to create the same key with cas=0: exactly one wins.
    def create(n: int) -> bool:
        raw = RawHTTP(consul_agent.url)
        try:
            return bool(raw.put("/v1/kv/once?cas=0", data=str(n)).json())
        finally:
            raw.close()

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(create, range(64)))
    assert results.count(True) == 1


# -- how long a blocking query waits ---------------------------------------------------------


@pytest.mark.parametrize(
    ("wait", "expected"),
    [(0, 300.0), (-5, 300.0), (10, 10.0), (600, 600.0), (601, 600.0), (3600, 600.0)],
)
def test_query_timeout_defaults_and_caps_the_wait(wait, expected):
    assert query_timeout(wait, 300.0, 600.0, rng=lambda: 0.0) == expected


def test_query_timeout_jitter_is_at_most_a_sixteenth():
    assert query_timeout(160, 300, 600, rng=lambda: 0.999999) == pytest.approx(170, abs=1e-3)
    rng = random.Random(7)
    samples = {query_timeout(16, 300, 600, rng=rng.random) for _ in range(200)}
    assert all(16 <= s < 17 for s in samples)
    assert len(samples) > 1


@pytest.mark.parametrize(
    ("query", "low"),
    [("", 0.2), ("&wait=0s", 0.2), ("&wait=10m", 0.4), ("&wait=100ms", 0.1)],
)
def test_agent_applies_its_default_and_maximum_query_time(query, low):
    with DevAgent(default_query_time=0.2, max_query_time=0.4) as agent:
        raw = RawHTTP(agent.url)
        try:
            raw.put("/v1/kv/k", data=b"v")
            index = raw.get("/v1/kv/k").headers["X-Consul-Index"]
            started = time.monotonic()
            response = raw.get(f"/v1/kv/k?index={index}{query}")
            elapsed = time.monotonic() - started
        finally:
            raw.close()
    assert response.status_code == 200
    assert low <= elapsed < low * 17 / 16 + 0.5


# -- every family of blocking reads, parked ------------------------------------------------


def _created(response: Any, field: str = "ID") -> str:
    assert response.status_code == 200, response.text
    return str(response.json()[field])


def _ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def _service_defaults(api: RawHTTP, name: str, protocol: str) -> None:
    entry = {"Kind": "service-defaults", "Name": name, "Protocol": protocol}
    _ok(api.put("/v1/config", json=entry))


def _intention(api: RawHTTP, source: str, destination: str, description: str = "") -> None:
    target = f"/v1/connect/intentions/exact?source={source}&destination={destination}"
    _ok(api.put(target, json={"Action": "allow", "Description": description}))


def _query(api: RawHTTP, name: str, service: str = "web") -> str:
    return _created(api.post("/v1/query", json={"Name": name, "Service": {"Service": service}}))


def _retarget_query(api: RawHTTP) -> None:
    [query] = [q for q in api.get("/v1/query").json() if q["Name"] == "q1"]
    _ok(api.put(f"/v1/query/{query['ID']}", json={"Name": "q1", "Service": {"Service": "db"}}))


def _rotate(api: RawHTTP) -> None:
    config = {"Provider": "consul", "Config": {"PrivateKeyBits": 384}}
    _ok(api.put("/v1/connect/ca/configuration", json=config))


def _register(api: RawHTTP, service: str = "web") -> None:
    _ok(api.register({"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": service}}))


def _move_coordinate(api: RawHTTP) -> None:
    # The agent's own node is the one in the catalog: an update of another is dropped.
    node = api.get("/v1/coordinate/nodes").json()[0]["Node"]
    coord = {"Vec": [0.1] * 8, "Error": 0.5, "Height": 0.01}
    _ok(api.put("/v1/coordinate/update", json={"Node": node, "Coord": coord}))


class Family:
    """A blocking read: ``setup(api)`` gives its target, ``write(api)`` changes its answer.

    ``acl``: read on the ACL-enabled agent, with its management token;
    ``events``: it waits on the agent's event buffer, not on the datacenter.
    """

    def __init__(
        self,
        setup: Callable[[RawHTTP], str],
        write: Callable[[RawHTTP], object],
        *,
        acl: bool = False,
        events: bool = False,
    ) -> None:
        self.setup, self.write, self.acl, self.events = setup, write, acl, events


FAMILIES = {
    "query list": Family(lambda api: "/v1/query", lambda api: _query(api, "q2")),
    "query": Family(lambda api: f"/v1/query/{_query(api, 'q1')}", _retarget_query),
    "config entry": Family(
        lambda api: _service_defaults(api, "web", "http") or "/v1/config/service-defaults/web",
        lambda api: _service_defaults(api, "web", "grpc"),
    ),
    "config kind": Family(
        lambda api: _service_defaults(api, "web", "http") or "/v1/config/service-defaults",
        lambda api: _service_defaults(api, "db", "http"),
    ),
    "exported services": Family(
        lambda api: _register(api) or "/v1/exported-services",
        lambda api: _ok(
            api.put(
                "/v1/config",
                json={
                    "Kind": "exported-services",
                    "Name": "default",
                    "Services": [{"Name": "web", "Consumers": [{"Peer": "east"}]}],
                },
            )
        ),
    ),
    "intentions": Family(
        lambda api: "/v1/connect/intentions", lambda api: _intention(api, "web", "db")
    ),
    "intention match": Family(
        lambda api: (
            _intention(api, "web", "db") or "/v1/connect/intentions/match?by=destination&name=db"
        ),
        lambda api: _intention(api, "api", "db"),
    ),
    "intention": Family(
        lambda api: (
            _intention(api, "web", "db") or "/v1/connect/intentions/exact?source=web&destination=db"
        ),
        lambda api: _intention(api, "web", "db", "changed"),
    ),
    "tokens": Family(
        lambda api: "/v1/acl/tokens",
        lambda api: _created(api.put("/v1/acl/token", json={}), "AccessorID"),
        acl=True,
    ),
    "policy": Family(
        lambda api: (
            "/v1/acl/policy/"
            + _created(api.put("/v1/acl/policy", json={"Name": "p1", "Rules": ""}))
        ),
        lambda api: _ok(
            api.put(
                "/v1/acl/policy/" + api.get("/v1/acl/policy/name/p1").json()["ID"],
                json={"Name": "p1", "Rules": 'key_prefix "" { policy = "read" }'},
            )
        ),
        acl=True,
    ),
    "CA roots": Family(lambda api: "/v1/connect/ca/roots", _rotate),
    "agent CA roots": Family(lambda api: "/v1/agent/connect/ca/roots", _rotate),
    "leaf certificate": Family(lambda api: "/v1/agent/connect/ca/leaf/web", _rotate),
    "peerings": Family(
        lambda api: "/v1/peerings",
        lambda api: _ok(api.post("/v1/peering/token", json={"PeerName": "east"})),
    ),
    "coordinates": Family(lambda api: "/v1/coordinate/nodes", _move_coordinate),
    "usage": Family(lambda api: "/v1/operator/usage", lambda api: _register(api, "api")),
    "sessions": Family(
        lambda api: "/v1/session/list",
        lambda api: _created(api.put("/v1/session/create", json={})),
    ),
    "discovery chain": Family(
        lambda api: _service_defaults(api, "web", "tcp") or "/v1/discovery-chain/web",
        lambda api: _service_defaults(api, "web", "http"),
    ),
    "events": Family(
        lambda api: "/v1/event/list",
        lambda api: _ok(api.put("/v1/event/fire/deploy")),
        events=True,
    ),
}


@pytest.fixture(params=list(FAMILIES))
def family(request: Any, consul_agent: DevAgent, consul_acl_agent: DevAgent) -> Iterator[Any]:
    """A family of blocking reads, its agent, and raw HTTP to it with every right."""
    case = FAMILIES[request.param]
    agent = consul_acl_agent if case.acl else consul_agent
    with RawHTTP(agent.url, agent.management_token if case.acl else None) as api:
        yield case, agent, api


def _blocking(target: str, index: str, wait: str) -> str:
    return f"{target}{'&' if '?' in target else '?'}index={index}&wait={wait}"


def test_each_family_times_out_with_its_index_and_wakes_on_its_write(family, pool):
    # agent/blockingquery/blockingquery.go: with nothing changed the wait runs
    # out and the answer is the same, index included; a write that changes the
    # answer ends it (the event list compares the last event's index,
    # agent/event_endpoint.go).
    case, agent, api = family
    target = case.setup(api)
    first = api.get(target)
    assert first.status_code == 200, first.text
    index = first.headers["X-Consul-Index"]
    timed_out = api.get(_blocking(target, index, "100ms"))
    assert timed_out.status_code == 200
    assert timed_out.headers["X-Consul-Index"] == index
    assert timed_out.content == first.content
    pending = pool.submit(api.get, _blocking(target, index, "30s"))
    wait_blocked(agent, events=case.events)
    case.write(api)
    woken = pending.result(10)
    assert woken.status_code == 200
    assert woken.headers["X-Consul-Index"] != index
    assert woken.content != first.content


def _tasks(agent: DevAgent) -> int:
    """The agent loop's tasks, but the one counting them."""
    return int(agent.run(lambda core: len(asyncio.all_tasks()) - 1))


@pytest.mark.parametrize("acl", [False, True], ids=["plain", "acl"])
def test_waiting_queries_of_every_family_hold_no_task(acl, consul_agent, consul_acl_agent):
    # A parked query is a few objects: no handler coroutine, no task.
    agent = consul_acl_agent if acl else consul_agent
    cases = [case for case in FAMILIES.values() if case.acl == acl]
    token = agent.management_token if acl else None
    headers = [f"X-Consul-Token: {token}"] if token else []
    with RawHTTP(agent.url, token) as api:
        targets = [(case, case.setup(api)) for case in cases]
        indexes = [api.get(target).headers["X-Consul-Index"] for _, target in targets]
        before = _tasks(agent)
        watchers: list[socket.socket] = []
        try:
            for (_, target), index in zip(targets, indexes, strict=True):
                watchers.append(_watch(agent, _blocking(target, index, "30s"), *headers))
            events = sum(case.events for case in cases)
            wait_blocked(agent, len(cases) - events)
            wait_blocked(agent, events, events=True)
            assert _tasks(agent) == before
            for case in cases:
                case.write(api)
            heads = [_answer(sock)[0] for sock in watchers]
        finally:
            for sock in watchers:
                sock.close()
    assert all(head.startswith(b"HTTP/1.1 200 OK\r\n") for head in heads)
