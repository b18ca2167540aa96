"""What every adapter sends, and how it fails: the transport contract.

A stub server records what each client sends and answers what the test asks
for; the embedded agent is used where Consul's own behaviour matters (blocking
queries, keys round-tripping).
"""

from __future__ import annotations

import base64
import gzip
import io
import time

import pytest

import consul
from consul._http import Request, path

TOKEN = "6c1f5a6e-secret-token-never-in-urls"


class TestTransportFailures:
    def test_connection_refused(self, client, refused_port):
        c = client(host="127.0.0.1", port=refused_port, timeout=5)
        with pytest.raises(consul.ConsulConnectionError) as caught:
            c.kv.get("k")
        assert caught.value.status is None
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/kv/k")

    def test_a_server_that_never_answers_times_out(self, client, stub):
        stub.hang()
        c = client(stub, timeout=0.5)
        started = c.loop.clock()
        with pytest.raises(consul.Timeout) as caught:
            c.status.leader()
        elapsed = c.loop.clock() - started
        # Tornado and Twisted bound the whole exchange by connect + read time.
        assert 0.5 <= elapsed < 3
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/status/leader")
        # ... and the client hung up.
        assert stub.dropped.wait(5)

    def test_a_blocking_query_outlives_the_client_timeout(self, client, consul_agent):
        c = client(consul_agent, timeout=0.5)
        c.kv.put("still", b"here")
        index, _ = c.kv.get("still")
        started = time.monotonic()
        new_index, entry = c.kv.get("still", index=index, wait="1s")
        assert time.monotonic() - started >= 0.9
        assert new_index == index
        assert entry["Value"] == b"here"

    def test_an_answer_that_is_not_http_is_a_connection_error(self, client, make_stub):
        # An HTTPS client talking to a plain HTTP port fails its handshake.
        c = client(make_stub(), scheme="https", verify=False, timeout=5)
        with pytest.raises(consul.ConsulConnectionError):
            c.status.leader()

    @pytest.mark.parametrize(
        "raw",
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ntruncated",
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
            b"this is not HTTP at all\r\n\r\n",
            b"",
        ],
        ids=["truncated", "bad-gzip", "not-http", "nothing"],
    )
    def test_a_broken_answer_is_a_connection_error(self, client, broken_server, raw):
        host, port = broken_server(raw)
        c = client(host=host, port=port, timeout=5)
        with pytest.raises(consul.ConsulConnectionError) as caught:
            c.status.leader()
        assert (caught.value.method, caught.value.path) == ("GET", "/v1/status/leader")


STATUSES = [
    (400, consul.BadRequest),
    (401, consul.ACLDisabled),
    (403, consul.ACLPermissionDenied),
    (404, consul.NotFound),
    (405, consul.ClientError),
    (409, consul.Conflict),
    (413, consul.RequestEntityTooLarge),
    (418, consul.ClientError),
    (429, consul.RateLimited),
    (500, consul.ServerError),
    (502, consul.ServerError),
    (503, consul.ServerError),
]


@pytest.mark.parametrize(("status", "kind"), STATUSES)
def test_each_status_raises_its_exception(client, stub, status, kind):
    message = f"Consul says no ({status})"
    stub.answer(status, message + "\n", {"Content-Type": "text/plain"})
    c = client(stub, token=TOKEN)
    with pytest.raises(kind) as caught:
        c.kv.put("some/key", b"value")
    error = caught.value
    assert type(error) is kind
    assert isinstance(error, consul.ServerError if status >= 500 else consul.ClientError)
    assert error.status == status
    assert error.message == message
    assert (error.method, error.path) == ("PUT", "/v1/kv/some/key")
    assert message in str(error)
    assert "PUT /v1/kv/some/key" in str(error)
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.args)


def test_a_404_that_means_absent_is_not_an_error(client, stub):
    stub.answer(404, "", {"X-Consul-Index": "12"})
    assert client(stub).kv.get("missing") == (12, None)


class TestWhatIsSent:
    def test_the_token_travels_only_in_its_header(self, client, stub):
        stub.answer_json(None, index=3)
        c = client(stub, token=TOKEN)
        c.kv.get("a", index=2, wait="10ms", consistency="stale")
        c.kv.put("a", b"v", cas=0)
        c.kv.get("b", token="per-call-token")
        c.status.leader()
        assert len(stub.seen) == 4
        for seen in stub.seen:
            assert "token" not in seen.target.lower()
            assert TOKEN not in seen.target
        tokens = [seen.headers.get("X-Consul-Token") for seen in stub.seen]
        assert tokens == [TOKEN, TOKEN, "per-call-token", TOKEN]

    def test_the_token_from_the_environment(self, client, stub, monkeypatch):
        monkeypatch.setenv("CONSUL_HTTP_TOKEN", TOKEN)
        client(stub).status.leader()
        assert stub.seen[0].headers["X-Consul-Token"] == TOKEN
        assert TOKEN not in stub.seen[0].target

    def test_no_token_no_header(self, client, stub):
        client(stub).status.leader()
        assert "X-Consul-Token" not in stub.seen[0].headers

    def test_http_basic_auth_from_the_environment(self, client, stub, monkeypatch):
        monkeypatch.setenv("CONSUL_HTTP_AUTH", "admin:pa:ss word")
        client(stub).status.leader()
        expected = "Basic " + base64.b64encode(b"admin:pa:ss word").decode()
        assert stub.seen[0].headers["Authorization"] == expected
        assert "admin" not in stub.seen[0].target

    def test_the_exact_target_is_sent(self, client, stub):
        # Spaces, non-ASCII, a literal %2F and reserved characters must reach
        # the server exactly as the core encoded them: no library may
        # re-encode or normalise the path or the query.
        key = "a b/ünï/x%2Fy/q?&=#/+;~"
        stub.answer(404, "", {"X-Consul-Index": "1"})
        client(stub).kv.get(key, dc="dc 1/ü")
        expected = Request("GET", path("kv", tail=key), (("dc", "dc 1/ü"),)).url("")
        assert stub.seen[0].target == expected
        assert stub.seen[0].target == (
            "/v1/kv/a%20b/%C3%BCn%C3%AF/x%252Fy/q%3F%26%3D%23/%2B%3B~?dc=dc%201%2F%C3%BC"
        )

    def test_a_path_prefix_from_the_address(self, client, stub, monkeypatch):
        monkeypatch.setenv("CONSUL_HTTP_ADDR", f"http://127.0.0.1:{stub.port}/consul/")
        client().status.leader()
        assert stub.seen[0].target == "/consul/v1/status/leader"

    def test_bodies_are_sent_as_bytes(self, client, stub):
        stub.answer(200, "true")
        value = bytes(range(256))
        assert client(stub).kv.put("bin", value) is True
        assert stub.seen[0].body == value

    def test_the_length_of_a_body_and_of_none(self, client, stub):
        # A write says how long its body is, an empty or absent one included
        # (Content-Length: 0); a read has no body and says nothing of one.
        stub.answer(200, "true")
        c = client(stub)
        c.kv.put("full", b"abc")
        c.kv.put("empty", b"")
        c.kv.put("none", None)
        c.status.leader()
        lengths = [(seen.method, seen.headers.get("Content-Length")) for seen in stub.seen]
        assert lengths == [("PUT", "3"), ("PUT", "0"), ("PUT", "0"), ("GET", None)]
        assert [seen.body for seen in stub.seen] == [b"abc", b"", b"", b""]
        assert all("Transfer-Encoding" not in seen.headers for seen in stub.seen)

    def test_no_cookies_are_kept(self, client, stub):
        # As Consul's Go client, whose http.Client has no cookie jar: not by
        # the reads, nor by the writes. By a host's name: aiohttp's jar
        # would ignore the cookies of an IP address anyway.
        stub.answer(200, "true", {"Set-Cookie": "session=abc; Path=/"})
        c = client(stub, host="localhost")
        c.kv.put("k", b"v")
        c.status.leader()
        c.kv.put("k", b"v")
        assert [seen.method for seen in stub.seen] == ["PUT", "GET", "PUT"]
        assert not any("Cookie" in seen.headers for seen in stub.seen)

    def test_a_gzipped_answer_is_decoded(self, client, stub):
        # Consul gzips answers for clients that accept it (gziphandler);
        # every client asks for it and decodes it.
        nodes = [{"Node": f"node-{i}", "Address": f"10.0.{i // 250}.{i % 250}"} for i in range(500)]
        stub.answer_json(nodes, index=9, compress=True)
        assert client(stub).status.peers() == nodes
        assert "gzip" in stub.seen[0].headers.get("Accept-Encoding", "")

    def test_a_gzipped_error_message_is_decoded(self, client, stub):
        body = gzip.compress(b"rpc error: something broke")
        stub.answer(500, body, {"Content-Encoding": "gzip"})
        with pytest.raises(consul.ServerError, match="something broke"):
            client(stub).status.leader()


@pytest.mark.parametrize("adapter", ["std", "threadpool"])
class TestTheRequestsTransport:
    """The blocking clients' requests, which the transport prepares itself for requests."""

    def test_the_path_prefix_is_encoded_once(self, adapter, client, stub, monkeypatch):
        monkeypatch.setenv("CONSUL_HTTP_ADDR", f"http://127.0.0.1:{stub.port}/con sul/ü/")
        client().kv.put("a b", b"v")
        assert stub.seen[0].target == "/con%20sul/%C3%BC/v1/kv/a%20b"

    def test_an_upload_says_its_length_or_goes_chunked(self, adapter, client, stub, tmp_path):
        stub.answer(200, "")
        c = client(stub)
        snapshot = tmp_path / "backup.snap"
        snapshot.write_bytes(b"x" * 100_000)
        c.snapshot.restore(str(snapshot))
        c.snapshot.restore(io.BytesIO(b"y" * 100_000))
        sized, streamed = stub.seen
        assert sized.headers.get("Content-Length") == "100000"
        assert "Transfer-Encoding" not in sized.headers
        assert streamed.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in streamed.headers
        assert (sized.body, streamed.body) == (b"x" * 100_000, b"y" * 100_000)


def test_the_http_clients_session_still_reaches_other_servers(make_stub):
    # consul.std.HTTPClient's session: its adapter knows the pool of the
    # client's own server, and finds any other server's as requests does.
    ours, other = make_stub(), make_stub()
    http = consul.std.HTTPClient(ours.host, ours.port)
    try:
        assert http.get(lambda response: response.code, "/v1/status/leader") == 200
        answer = http.session.get(f"http://{other.host}:{other.port}/elsewhere?x=1", timeout=5)
        assert answer.status_code == 200
        assert http.get(lambda response: response.code, "/v1/status/peers") == 200
    finally:
        http.close()
    assert [seen.target for seen in ours.seen] == ["/v1/status/leader", "/v1/status/peers"]
    assert [seen.target for seen in other.seen] == ["/elsewhere?x=1"]


def test_the_http_client_prepares_its_callers_paths_and_headers_as_requests_did(stub):
    # consul.std.HTTPClient takes its path and headers from python-consul's
    # code: dot segments are resolved and bad headers refused before sending.
    http = consul.std.HTTPClient(stub.host, stub.port)
    try:
        assert http.get(lambda response: response.code, "/v1/kv/a/./c/../b") == 200
        for value in ("a\r\nInjected: 1", " padded"):
            with pytest.raises(ValueError, match="header value"):
                http.get(lambda response: response.code, "/v1/kv/x", headers={"X-Test": value})
    finally:
        http.close()
    assert [seen.target for seen in stub.seen] == ["/v1/kv/a/b"]


AWKWARD_KEYS = ("a b", "ünïcödé/ключ", "x%2Fy", "q?x=1&y=2#frag", "plus+sign", "semi;colon", "~t")


class TestKeysRoundTrip:
    """Awkward keys reach the real agent intact through every client."""

    def test_put_get_delete(self, client, consul_agent):
        c = client(consul_agent)
        for key in AWKWARD_KEYS:
            assert c.kv.put(key, key.encode()) is True
        for key in AWKWARD_KEYS:
            _, entry = c.kv.get(key)
            assert (entry["Key"], entry["Value"]) == (key, key.encode())
        assert sorted(c.kv.keys("")[1]) == sorted(AWKWARD_KEYS)
        for key in AWKWARD_KEYS:
            assert c.kv.delete(key) is True
        assert c.kv.keys("")[1] == []
