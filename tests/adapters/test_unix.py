"""Consul on a unix socket (``unix:///path``), on every client.

The address is given as ``host="unix:///path"`` or ``CONSUL_HTTP_ADDR`` (as
Consul's tools take it); a stub server listens on the socket. What holds
over TCP holds here: the whole-call timeout, a blocking query's wait on top,
the budgets, writes never sent twice, close() aborting the calls under way.
"""

from __future__ import annotations

import time

import pytest
from harness import CALL_TIMEOUT, close_client, make_client

import consul
import consul.base

TOKEN = "0f1e2d3c-unix-socket-token"


def test_a_call_goes_through_the_socket(client, unix_stub):
    unix_stub.answer_json("10.0.0.1:8300")
    c = client(unix_stub, token=TOKEN)
    assert c.status.leader() == "10.0.0.1:8300"
    unix_stub.answer_json(True)
    assert c.kv.put("k", b"v") is True
    leader, put = unix_stub.seen
    assert (leader.method, leader.target) == ("GET", "/v1/status/leader")
    assert (put.method, put.target, put.body) == ("PUT", "/v1/kv/k", b"v")
    assert put.headers["X-Consul-Token"] == TOKEN
    assert repr(c.unwrapped).endswith(f" {unix_stub.host}>")


def test_consul_http_addr(adapter, loops, unix_stub, monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_ADDR", unix_stub.host)
    unix_stub.answer_json(["10.0.0.1:8300"])
    c = make_client(adapter, loops(adapter))
    try:
        assert c.config.unix_socket == unix_stub.host.removeprefix("unix://")
        assert loops(adapter).submit(c.status.peers).result(CALL_TIMEOUT) == ["10.0.0.1:8300"]
    finally:
        close_client(c, loops(adapter))


def test_the_timeout_bounds_the_call(client, unix_stub):
    unix_stub.hang()
    c = client(unix_stub, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(consul.Timeout, match="may have reached Consul"):
        c.kv.put("k", "v")
    assert time.monotonic() - started < 5
    assert unix_stub.dropped.wait(5)
    assert len(unix_stub.seen) == 1  # and the write was not sent again


def test_a_blocking_query_gets_its_wait_on_top(client, unix_stub):
    unix_stub.answer_json(None, index=8, delay=0.5)
    c = client(unix_stub, timeout=0.2)
    assert c.kv.get("k", index=7, wait="2s") == (8, None)
    assert unix_stub.seen[0].target == "/v1/kv/k?index=7&wait=2s"


def test_no_socket_is_a_connection_error_and_nothing_was_sent(client, socket_dir):
    missing = f"unix://{socket_dir}/nobody.sock"
    c = client(host=missing, timeout=5)
    with pytest.raises(consul.ConsulConnectionError, match=f"cannot reach {missing}") as caught:
        c.kv.put("k", "v")
    assert "may have" not in str(caught.value)


#: A blocking budget of one, where the client has one.
BUDGETS = {
    "threadpool": {"max_blocking_workers": 1, "max_workers": 1},
    "aio": {"max_blocking_connections": 1, "max_connections": 1},
    "tornado": {"max_blocking_connections": 1, "max_connections": 1},
}


def test_quick_calls_go_past_blocking_queries_and_close_aborts(adapter, client, loops, unix_stub):
    unix_stub.hang(when=lambda request: "index" in request.query)
    c = client(unix_stub, **BUDGETS.get(adapter, {}))
    pending = c.start.kv.get("k", index=5, wait="5m")
    unix_stub.wait_held(1)
    assert c.status.leader() is None
    close_client(c.unwrapped, loops(adapter))
    unix_stub.wait_held(0)
    with pytest.raises(consul.ClientClosed):
        pending.result(CALL_TIMEOUT)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"host": "unix:///run/consul.sock", "port": 8500}, "port does not apply"),
        ({"host": "unix:///run/consul.sock", "scheme": "https"}, "TLS over a unix socket"),
        ({"host": "unix://"}, "no unix socket path"),
    ],
)
def test_bad_unix_addresses(adapter, loops, settings, message):
    with pytest.raises(ValueError, match=message):
        make_client(adapter, loops(adapter), **settings)


def test_the_callback_client_says_it_cannot():
    class Client(consul.base.Consul):
        def http_connect(self, host, port, scheme, verify=True, cert=None):
            raise AssertionError("not called")

    with pytest.raises(ValueError, match="use one of the five clients"):
        Client(host="unix:///run/consul.sock")
