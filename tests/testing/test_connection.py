"""The agent's HTTP connections, over raw sockets: what Go's ``net/http`` answers.

Consul serves its API with Go's ``net/http`` server (``agent/agent.go``
``listenHTTP``): requests Go refuses before any handler runs get its bare
answers (``net/http/server.go`` ``conn.serve``), connections per client are
capped by go-connlimit, bodies arrive as the handler reads them.
"""

from __future__ import annotations

import socket
import time

import pytest
from harness import wait_blocked, wait_until

from consul.testing import DevAgent

#: What Go writes, then closes, for a request it cannot parse.
BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\n400 Bad Request"
)
TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 81\r\n"
    b"Connection: close\r\n\r\n"
    b"Your IP is issuing too many concurrent connections, please rate limit your calls\n"
)


def connect(agent: DevAgent) -> socket.socket:
    return socket.create_connection(("127.0.0.1", agent.port), timeout=10)


def until_closed(sock: socket.socket) -> bytes:
    """Everything the agent sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def exchange(agent: DevAgent, data: bytes) -> bytes:
    """Send ``data`` on a new connection; all the agent answers until it closes it."""
    with connect(agent) as sock:
        sock.sendall(data)
        return until_closed(sock)


def answer(sock: socket.socket) -> tuple[bytes, bytes]:
    """One answer (its head and body, by Content-Length) from a kept-alive connection."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, f"closed after {head!r}"
        head += chunk
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return head, body


def get(path: str, *extra: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: consul", *extra, "", ""]
    return "\r\n".join(lines).encode()


@pytest.fixture
def agent(consul_agent: DevAgent) -> DevAgent:
    return consul_agent


# -- requests Go refuses before any handler ----------------------------------------------


def test_a_request_line_without_a_version_is_a_bad_request(agent):
    # HTTP/0.9: parseRequestLine finds no version; no HTTP/0.9 answer.
    assert exchange(agent, b"GET /v1/status/leader\r\n\r\n") == BAD_REQUEST


@pytest.mark.parametrize("version", [b"HTTP/0.9", b"HTTP/2.0"])
def test_versions_other_than_1_x_are_not_supported(agent, version):
    got = exchange(agent, b"GET /v1/status/leader " + version + b"\r\nHost: consul\r\n\r\n")
    text = b"505 HTTP Version Not Supported: unsupported protocol version"
    assert got == (
        b"HTTP/1.1 " + text + b"\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\n\r\n" + text
    )


def test_http_1_1_needs_a_host(agent):
    got = exchange(agent, b"GET /v1/status/leader HTTP/1.1\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 400 Bad Request: missing required Host header\r\n")
    assert got.endswith(b"\r\n\r\n400 Bad Request: missing required Host header")
    # HTTP/1.0 has no such rule.
    assert exchange(agent, b"GET /v1/status/leader HTTP/1.0\r\n\r\n").startswith(
        b"HTTP/1.0 200 OK\r\n"
    )


@pytest.mark.parametrize(
    "target", [b"/v1/kv/%ZZ", b"/v1/kv/a%2", b"v1/kv/a", b"/v1/kv/a%zz?recurse"]
)
def test_a_target_go_cannot_parse_is_a_bad_request(agent, target):
    assert exchange(agent, b"GET " + target + b" HTTP/1.1\r\nHost: consul\r\n\r\n") == BAD_REQUEST


def test_an_absolute_target_is_served(agent):
    request = b"GET http://consul:8500/v1/status/leader HTTP/1.1\r\nHost: consul\r\n\r\n"
    with connect(agent) as sock:
        sock.sendall(request)
        head, body = answer(sock)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == b'"127.0.0.1:8300"'


def test_an_unsupported_transfer_encoding(agent):
    request = b"PUT /v1/kv/a HTTP/1.1\r\nHost: consul\r\nTransfer-Encoding: gzip\r\n\r\n"
    assert exchange(agent, request) == (
        b"HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\n\r\nUnsupported transfer encoding"
    )


def test_an_expectation_other_than_100_continue_fails(agent):
    got = exchange(agent, get("/v1/status/leader", "Expect: something"))
    assert got.startswith(b"HTTP/1.1 417 Expectation Failed\r\n")
    assert b"Connection: close\r\n" in got


def test_headers_over_the_limit_are_refused():
    # Go's limit is MaxHeaderBytes (http_config.max_header_bytes) plus 4096.
    with DevAgent(http_max_header_bytes=1000) as agent:
        fits = exchange(
            agent, get("/v1/status/leader", "X-Pad: " + "p" * 3000, "Connection: close")
        )
        assert fits.startswith(b"HTTP/1.1 200 OK\r\n")
        got = exchange(agent, get("/v1/status/leader", "X-Pad: " + "p" * 6000))
    text = b"431 Request Header Fields Too Large"
    assert got == (
        b"HTTP/1.1 " + text + b"\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\n\r\n" + text
    )


def test_headers_over_gos_default_limit_are_refused(agent):
    # Go's DefaultMaxHeaderBytes, 1 MB, plus its 4096 bytes of slop.
    fits = exchange(
        agent, get("/v1/status/leader", "Connection: close", "X-Pad: " + "p" * (1 << 20))
    )
    assert fits.startswith(b"HTTP/1.1 200 OK\r\n")
    got = exchange(agent, get("/v1/status/leader", "X-Pad: " + "p" * ((1 << 20) + 4096)))
    assert got.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


# -- the header timeout --------------------------------------------------------------------


def test_headers_that_do_not_arrive_in_time_close_the_connection_unanswered():
    with DevAgent(read_header_timeout=0.2) as agent:
        with connect(agent) as idle:
            assert until_closed(idle) == b""
        with connect(agent) as slow:
            slow.sendall(b"GET /v1/status/leader HTTP/1.1\r\nHost: consul\r\n")
            assert until_closed(slow) == b""


def test_a_kept_alive_connection_may_idle_between_requests():
    # Go's ReadHeaderTimeout runs from a request's first byte, not while idle.
    with DevAgent(read_header_timeout=0.2) as agent, connect(agent) as sock:
        sock.sendall(get("/v1/status/leader"))
        assert answer(sock)[0].startswith(b"HTTP/1.1 200 OK")
        time.sleep(0.5)  # longer than the timeout: the connection must stay
        sock.sendall(get("/v1/status/leader"))
        assert answer(sock)[0].startswith(b"HTTP/1.1 200 OK")


# -- connections per client ----------------------------------------------------------------


def test_connections_per_client_are_capped_as_connlimit_does():
    with DevAgent(http_max_conns_per_client=3) as agent:
        held = [connect(agent) for _ in range(3)]
        try:
            for sock in held:  # each one answered: each one counted
                sock.sendall(get("/v1/status/leader"))
                assert answer(sock)[0].startswith(b"HTTP/1.1 200 OK")
            # One more is answered at once, before it sends anything, and closed.
            with connect(agent) as extra:
                assert until_closed(extra) == TOO_MANY_CONNECTIONS
            held.pop().close()

            def admitted() -> bool:
                got = exchange(agent, get("/v1/status/leader", "Connection: close"))
                return got.startswith(b"HTTP/1.1 200 OK")

            deadline = time.monotonic() + 10
            while not admitted():  # the server sees the close a moment later
                assert time.monotonic() < deadline
        finally:
            for sock in held:
                sock.close()


def test_the_default_cap_is_consuls_200():
    # An agent of its own: no other test's kept-alive connection counts.
    with DevAgent() as agent:
        _hold_200(agent)


def _hold_200(agent: DevAgent) -> None:
    held = [connect(agent) for _ in range(200)]
    try:
        for sock in held:
            sock.sendall(get("/v1/status/leader"))
            assert answer(sock)[0].startswith(b"HTTP/1.1 200 OK")
        with connect(agent) as extra:
            assert until_closed(extra) == TOO_MANY_CONNECTIONS
    finally:
        for sock in held:
            sock.close()


# -- keep-alive, pipelining, bodies -------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(agent):
    with connect(agent) as sock:
        sock.sendall(get("/v1/kv/one") + get("/v1/status/leader") + get("/v1/agent/nope"))
        assert answer(sock)[0].startswith(b"HTTP/1.1 404 Not Found")
        assert answer(sock)[1] == b'"127.0.0.1:8300"'
        assert answer(sock)[0].startswith(b"HTTP/1.1 404 Not Found")


def test_a_refused_pipelined_request_is_answered_after_those_before_it(agent):
    with connect(agent) as sock:
        sock.sendall(get("/v1/status/leader") + b"GET /v1/kv/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer(sock)[1] == b'"127.0.0.1:8300"'
        assert until_closed(sock) == BAD_REQUEST


def test_http_1_0_keep_alive(agent):
    request = b"GET /v1/status/leader HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    with connect(agent) as sock:
        sock.sendall(request)
        head, _ = answer(sock)
        assert head.startswith(b"HTTP/1.0 200 OK\r\n")
        assert b"\r\nConnection: keep-alive\r\n" in head
        sock.sendall(request)
        assert answer(sock)[0].startswith(b"HTTP/1.0 200 OK\r\n")


def test_connection_close_is_honoured_and_said(agent):
    with connect(agent) as sock:
        sock.sendall(get("/v1/status/leader", "Connection: close") + get("/v1/status/leader"))
        got = until_closed(sock)
    assert got.count(b"HTTP/1.1 200 OK") == 1
    assert b"\r\nConnection: close\r\n" in got


def test_a_closed_connection_does_not_spoil_the_next_one(agent):
    # The parser of a "Connection: close" request takes nothing after it.
    for _ in range(3):
        got = exchange(agent, get("/v1/status/leader", "Connection: close"))
        assert got.startswith(b"HTTP/1.1 200 OK")


def test_an_upgrade_is_ignored(agent):
    with connect(agent) as sock:
        sock.sendall(get("/v1/status/leader", "Connection: Upgrade", "Upgrade: websocket"))
        assert answer(sock)[1] == b'"127.0.0.1:8300"'
        sock.sendall(get("/v1/status/leader"))
        assert answer(sock)[1] == b'"127.0.0.1:8300"'


def test_header_names_are_canonical_as_go_writes_them(agent):
    with connect(agent) as sock:
        sock.sendall(get("/v1/session/list"))
        head, _ = answer(sock)
    assert b"\r\nX-Consul-Knownleader: true\r\n" in head
    assert b"\r\nX-Consul-Lastcontact: 0\r\n" in head
    assert b"\r\nDate: " in head


def test_an_unread_body_is_dropped_and_the_connection_goes_on(agent):
    body = b"x" * 10000
    request = b"GET /v1/status/leader HTTP/1.1\r\nHost: consul\r\nContent-Length: 10000\r\n\r\n"
    with connect(agent) as sock:
        sock.sendall(request + body + get("/v1/status/leader"))
        assert answer(sock)[1] == b'"127.0.0.1:8300"'
        assert answer(sock)[1] == b'"127.0.0.1:8300"'


def test_a_large_unread_body_closes_the_connection(agent):
    # More than maxPostHandlerReadBytes (256 KB) left unread: Go says "close".
    request = b"GET /v1/status/leader HTTP/1.1\r\nHost: consul\r\nContent-Length: 1000000\r\n\r\n"
    got = exchange(agent, request)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in got


def test_100_continue_is_sent_when_the_handler_reads_the_body(agent):
    head = b"PUT /v1/kv/c HTTP/1.1\r\nHost: consul\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
    with connect(agent) as sock:
        sock.sendall(head + b"\r\n")
        assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        assert answer(sock)[1] == b"true"
        sock.sendall(get("/v1/kv/c?raw"))
        assert answer(sock)[1] == b"hello"


def test_a_value_over_the_kv_limit_is_refused_before_it_is_sent(agent):
    # KVSPut checks Content-Length first: no 100 Continue, the body never needed.
    head = (
        b"PUT /v1/kv/big HTTP/1.1\r\nHost: consul\r\nContent-Length: 600000\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    got = exchange(agent, head)
    assert got.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert b"100 Continue" not in got
    assert got.endswith(
        b"Request body(600000 bytes) too large, max size: 524288 bytes. "
        b"See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size."
    )


def test_a_chunked_transaction_is_read_only_up_to_its_limit(agent):
    # txn_max_req_len through http.MaxBytesReader: refused once past it.
    chunk = b"[" + b" " * 65534 + b"]"
    head = b"PUT /v1/txn HTTP/1.1\r\nHost: consul\r\nTransfer-Encoding: chunked\r\n\r\n"
    with connect(agent) as sock:
        sock.sendall(head)
        sent = 0
        try:
            while sent < 4 << 20:  # the agent answers long before this ends
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = until_closed(sock)
    assert got.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert got.endswith(
        b"Request body too large, max size: 524288 bytes. "
        b"See https://www.consul.io/docs/agent/config/config-files#txn_max_req_len."
    )


def test_a_body_declared_over_the_agents_limit_is_refused_unread(agent):
    # Consul has no general limit; the embedded agent stops at 64 MB.
    head = b"PUT /v1/catalog/register HTTP/1.1\r\nHost: consul\r\nContent-Length: 70000000\r\n\r\n"
    got = exchange(agent, head)
    assert got.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert got.endswith(b"\r\n\r\nhttp: request body too large")


# -- blocking queries waiting on a connection ---------------------------------------------


def _kv_index(agent: DevAgent) -> int:
    with connect(agent) as sock:
        sock.sendall(get("/v1/kv/watched"))
        head, _ = answer(sock)
    [index] = [line for line in head.split(b"\r\n") if line.startswith(b"X-Consul-Index:")]
    return int(index.split(b":")[1])


def _put_watched(agent: DevAgent, value: bytes) -> None:
    with connect(agent) as sock:
        sock.sendall(
            b"PUT /v1/kv/watched HTTP/1.1\r\nHost: consul\r\n"
            + b"Content-Length: %d\r\n\r\n%b" % (len(value), value)
        )
        assert answer(sock)[1] == b"true"


def _waiting(agent: DevAgent) -> int:
    return int(agent.run(lambda core: core.home.blocking_queries))


def test_a_client_that_goes_away_stops_its_blocking_query(agent):
    _put_watched(agent, b"one")
    index = _kv_index(agent)
    with connect(agent) as sock:
        sock.sendall(get(f"/v1/kv/watched?index={index}&wait=5m"))
        wait_blocked(agent)
    # The agent lets the query go with its connection, not at its deadline.
    wait_until(lambda: _waiting(agent) == 0)


def test_requests_pipelined_behind_a_blocking_query_wait_their_turn(agent):
    _put_watched(agent, b"one")
    index = _kv_index(agent)
    with connect(agent) as sock:
        sock.sendall(
            get(f"/v1/kv/watched?index={index}&wait=5m&raw")
            + get("/v1/status/leader")
            + get("/v1/kv/watched?raw", "Connection: close")
        )
        wait_blocked(agent)
        _put_watched(agent, b"two")
        got = until_closed(sock)
    heads_and_bodies = [part for part in got.split(b"HTTP/1.1 ") if part]
    assert len(heads_and_bodies) == 3
    assert [part.startswith(b"200 OK\r\n") for part in heads_and_bodies] == [True] * 3
    assert heads_and_bodies[0].endswith(b"\r\n\r\ntwo")
    assert heads_and_bodies[1].endswith(b'\r\n\r\n"127.0.0.1:8300"')
    assert heads_and_bodies[2].endswith(b"\r\n\r\ntwo")
    assert _waiting(agent) == 0


def test_a_blocking_query_on_a_connection_that_must_close_is_answered_then_closed(agent):
    _put_watched(agent, b"one")
    index = _kv_index(agent)
    with connect(agent) as sock:
        sock.sendall(get(f"/v1/kv/watched?index={index}&wait=5m&raw", "Connection: close"))
        wait_blocked(agent)
        _put_watched(agent, b"two")
        got = until_closed(sock)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in got
    assert got.endswith(b"\r\n\r\ntwo")
