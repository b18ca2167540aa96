"""A server that misbehaves, and what each client makes of it.

Every failure is one of ours (a ConsulException with the method and path);
no request that is not safe to repeat is sent twice; the timeout bounds the
whole call, however slowly the answer comes.
"""

from __future__ import annotations

import time

import pytest
from adapters.faults import HUGE_HEADERS, LOSE, RESET, TRICKLE_BODY, TRICKLE_HEADERS, Answer

import consul

TOKEN = "0d1e2f3a-fault-token"


class TestLostAnswers:
    """The server read the request, then hung up without answering."""

    @pytest.mark.parametrize(
        ("method", "call"),
        [
            ("PUT", lambda c: c.event.fire("deploy", "v2")),
            ("PUT", lambda c: c.session.create(name="s")),
            ("PUT", lambda c: c.kv.put("counter", "2", cas=1)),
            ("DELETE", lambda c: c.kv.delete("lock", cas=5)),
        ],
        ids=["event.fire", "session.create", "kv.put-cas", "kv.delete-cas"],
    )
    def test_a_write_is_sent_once_and_may_have_been_applied(
        self, fault_server, client, method, call
    ):
        c = client(fault_server, timeout=10)
        # A first call leaves a pooled connection for the write to use.
        fault_server.script(Answer(body=b'"127.0.0.1:8300"'), LOSE)
        fault_server.default = LOSE
        assert c.status.leader() == "127.0.0.1:8300"
        with pytest.raises(consul.ConsulConnectionError) as caught:
            call(c)
        assert fault_server.count(method) == 1
        assert caught.value.method == method
        assert "may have reached Consul and been applied" in str(caught.value)
        assert "not sent again" in str(caught.value)

    def test_a_write_on_a_fresh_connection_too(self, fault_server, client):
        fault_server.default = LOSE
        with pytest.raises(consul.ConsulConnectionError, match="may have reached Consul"):
            client(fault_server, timeout=10).event.fire("deploy")
        assert fault_server.count("PUT") == 1

    def test_a_read_may_be_sent_again(self, fault_server, client):
        fault_server.default = LOSE
        with pytest.raises(consul.ConsulConnectionError) as caught:
            client(fault_server, timeout=10).kv.get("k")
        assert fault_server.count("GET") in (1, 2)
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/k")
        assert "may have" not in str(caught.value)


class TestSlowAnswers:
    """An answer that comes a byte at a time still ends at the timeout."""

    @pytest.mark.parametrize("action", [TRICKLE_BODY, TRICKLE_HEADERS])
    def test_the_timeout_bounds_the_whole_call(self, fault_server, client, action):
        fault_server.default = action
        c = client(fault_server, timeout=1.0)
        started = c.loop.clock()
        with pytest.raises(consul.Timeout) as caught:
            c.kv.get("k")
        elapsed = c.loop.clock() - started
        # The answer would take ~10 s; Tornado used to allow twice the timeout.
        assert 1.0 <= elapsed < 1.8
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/k")

    def test_a_timed_out_write_may_have_been_applied(self, fault_server, client):
        fault_server.default = TRICKLE_BODY
        with pytest.raises(consul.Timeout, match="may have reached Consul"):
            client(fault_server, timeout=0.5).kv.put("k", "v")
        assert fault_server.count("PUT") == 1


class TestBrokenAnswers:
    def test_a_reset_mid_body_is_a_connection_error_at_once(self, fault_server, client):
        fault_server.default = RESET
        c = client(fault_server, timeout=20)
        started = time.monotonic()
        with pytest.raises(consul.ConsulConnectionError) as caught:
            c.kv.get("k")
        assert time.monotonic() - started < 10
        assert type(caught.value) is consul.ConsulConnectionError
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/k")

    def test_huge_headers(self, fault_server, client):
        fault_server.default = HUGE_HEADERS
        with pytest.raises(consul.ConsulConnectionError) as caught:
            client(fault_server, timeout=10).kv.get("k")
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/k")

    @pytest.mark.parametrize(
        "body", [b"{not json", b'[{"Key": "k"', b"\xff\xfe\x00", b'{"Key": "k"} extra']
    )
    def test_invalid_json(self, fault_server, client, body):
        fault_server.default = Answer(body=body)
        with pytest.raises(consul.InvalidResponse) as caught:
            client(fault_server, token=TOKEN).kv.get("k")
        error = caught.value
        assert (error.status, error.method, error.path) == (200, "GET", "/v1/kv/k")
        assert TOKEN not in str(error)

    def test_an_answer_of_the_wrong_shape(self, fault_server, client):
        fault_server.default = Answer(body=b'{"Key": "k"}')  # an object, not a list
        with pytest.raises(consul.InvalidResponse) as caught:
            client(fault_server).kv.get("k")
        assert caught.value.status == 200

    @pytest.mark.parametrize(
        "headers",
        [(), (("X-Consul-Index", "abc"),), (("X-Consul-Index", str(2**64)),)],
        ids=["missing", "not-a-number", "too-large"],
    )
    def test_an_indexed_read_needs_its_index(self, fault_server, client, headers):
        # Read as 0, a missing index made a blocking loop spin.
        fault_server.default = Answer(body=b"[]", headers=headers)
        with pytest.raises(consul.InvalidResponse, match="X-Consul-Index") as caught:
            client(fault_server).kv.get("k", index=5, wait="1s")
        error = caught.value
        assert (error.status, error.method, error.path) == (200, "GET", "/v1/kv/k")
        assert fault_server.count("GET") == 1
