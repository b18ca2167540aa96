"""Request building without I/O: URLs, parameters, headers, durations, timeouts.

The client here is a :class:`ConsulBase` whose runner hands back the
:class:`Call` an endpoint built, instead of sending it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

import consul
from consul._endpoint import Group, duration
from consul._http import (
    BLOCKING_MARGIN,
    DEFAULT_TIMEOUT,
    Call,
    Request,
    Response,
    path,
    path_segment,
    path_tail,
)
from consul.base import ConsulBase

TOKEN = "5f4e3d2c-never-shown-token"


class Recorder:
    """A runner that returns what it is given."""

    def run(self, call: Call[Any]) -> Any:
        return call

    def run_flow(self, flow: Any) -> Any:
        return flow


class Client(ConsulBase[Any]):
    def _make_runner(self, config: Any) -> Recorder:
        return Recorder()


def build(**kwargs: Any) -> Group[Any]:
    """A group of a recording client (``_request`` is what every endpoint uses)."""
    return Group(Client(**kwargs))


class TestURL:
    def test_without_parameters(self):
        assert Request("GET", "/v1/agent/self").url("http://h:1") == "http://h:1/v1/agent/self"

    def test_parameters_are_percent_encoded(self):
        request = Request("GET", "/v1/kv/k", (("dc", "a b/ü&=?#+"),))
        assert request.url("") == "/v1/kv/k?dc=a%20b%2F%C3%BC%26%3D%3F%23%2B"

    def test_repeated_parameters_keep_their_order(self):
        request = Request("GET", "/v1/catalog/service/web", (("tag", "b"), ("tag", "a")))
        assert request.url("") == "/v1/catalog/service/web?tag=b&tag=a"

    def test_presence_flags_have_an_empty_value(self):
        assert Request("GET", "/v1/kv/p", (("recurse", ""),)).url("") == "/v1/kv/p?recurse="

    @pytest.mark.parametrize(
        ("segments", "expected"),
        [
            (("agent", "service", "web 1"), "/v1/agent/service/web%201"),
            (("session", "info", "x%2Fy"), "/v1/session/info/x%252Fy"),
            (("catalog", "node", "ключ"), "/v1/catalog/node/%D0%BA%D0%BB%D1%8E%D1%87"),
            (("health", "service", "q?#;"), "/v1/health/service/q%3F%23%3B"),
            (("acl", "token", "..."), "/v1/acl/token/..."),
        ],
    )
    def test_path_segments_are_escaped(self, segments, expected):
        assert path(*segments) == expected

    @pytest.mark.parametrize(
        ("key", "expected"),
        [
            ("a/b/c", "/v1/kv/a/b/c"),
            ("dir/", "/v1/kv/dir/"),
            ("", "/v1/kv/"),
            ("a b", "/v1/kv/a%20b"),
            ("x%2Fy", "/v1/kv/x%252Fy"),
            ("ключ", "/v1/kv/%D0%BA%D0%BB%D1%8E%D1%87"),
            ("q?#", "/v1/kv/q%3F%23"),
            ("..a/b..", "/v1/kv/..a/b.."),
        ],
    )
    def test_a_tail_keeps_its_slashes(self, key, expected):
        assert path("kv", tail=key) == expected


class TestPathSegments:
    """An ID or a name is one path segment (or the rest of the path), or refused before any I/O."""

    @pytest.mark.parametrize("value", ["..", ".", "a/b", "../../acl/tokens", "x/..", "/", "a/"])
    def test_a_segment(self, value):
        with pytest.raises(ValueError, match="accessor_id"):
            path_segment(value, "accessor_id")
        with pytest.raises(ValueError, match="path segment"):
            path("acl", "token", value)

    @pytest.mark.parametrize(
        "value", ["..", ".", "../../acl/tokens", "x/..", "a/./b", "a//b", "/a", "/"]
    )
    def test_a_tail(self, value):
        with pytest.raises(ValueError, match="service_id must not have empty"):
            path_tail(value, "service_id")
        with pytest.raises(ValueError, match="path must not have empty"):
            path("agent", "service", "deregister", tail=value)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("demo/pg 0", "/v1/agent/service/deregister/demo/pg%200"),
            ("a%2Fb", "/v1/agent/service/deregister/a%252Fb"),
            ("dir/", "/v1/agent/service/deregister/dir/"),
            ("..x/y..", "/v1/agent/service/deregister/..x/y.."),
        ],
    )
    def test_a_tail_keeps_its_slashes_and_escapes_the_rest(self, value, expected):
        assert path_tail(value, "service_id") == value
        assert path("agent", "service", "deregister", tail=value) == expected

    def test_empty_or_not_a_string(self):
        for check in (path_segment, path_tail):
            with pytest.raises(ValueError, match="node must not be empty"):
                check("", "node")
            with pytest.raises(TypeError, match="node must be a str, not int"):
                check(7, "node")  # type: ignore[arg-type]


class TestTimeLimit:
    def test_a_plain_request_gets_its_timeout(self):
        assert Request("GET", "/v1/kv/k", timeout=7.0).time_limit() == 7.0
        assert Request("GET", "/v1/kv/k", timeout=None).time_limit() is None
        assert Request("GET", "/v1/kv/k").time_limit() == DEFAULT_TIMEOUT

    @pytest.mark.parametrize(
        ("wait", "expected_wait"),
        [(1.0, 1.0), (60.0, 60.0), (0.0, 300.0), (600.0, 600.0), (3600.0, 600.0)],
    )
    def test_a_blocking_query_gets_its_wait_and_jitter_on_top(self, wait, expected_wait):
        # The server may hold it for wait + wait/16 (0 means 300 s; 600 s at most).
        limit = Request("GET", "/v1/kv/k", wait=wait, timeout=0.5).time_limit()
        assert limit == 0.5 + expected_wait + expected_wait / 16 + BLOCKING_MARGIN

    def test_no_client_timeout_means_none(self):
        assert Request("GET", "/v1/kv/k", wait=1.0, timeout=None).time_limit() is None


class TestRetryable:
    @pytest.mark.parametrize(
        ("method", "retryable"),
        [("GET", True), ("HEAD", True), ("PUT", False), ("DELETE", False), ("POST", False)],
    )
    def test_only_reads_may_be_sent_twice(self, method, retryable):
        assert Request(method, "/v1/kv/k").retryable is retryable

    def test_a_lost_write_says_it_may_have_been_applied(self):
        cause = ConnectionResetError("reset by peer")
        error = Request("PUT", "/v1/event/fire/x").connection_failed("http://h:1", cause, sent=True)
        assert type(error) is consul.ConsulConnectionError
        assert (error.method, error.path) == ("PUT", "/v1/event/fire/x")
        assert "cannot reach http://h:1: ConnectionResetError: reset by peer" in str(error)
        assert "may have reached Consul" in str(error)
        assert "not sent again" in str(error)

    def test_unless_it_was_never_sent(self):
        cause = ConnectionRefusedError("refused")
        error = Request("PUT", "/v1/kv/k").connection_failed("http://h:1", cause, sent=False)
        assert "may have" not in str(error)

    def test_a_timed_out_write_too(self):
        error = Request("DELETE", "/v1/kv/k", timeout=2.0).timed_out(sent=True)
        assert type(error) is consul.Timeout
        assert str(error).startswith("no answer within 2 s; the DELETE may have reached Consul")

    def test_a_lost_read_says_nothing_of_the_kind(self):
        error = Request("GET", "/v1/kv/k", wait=1.0, timeout=0.5).timed_out(sent=True)
        assert type(error) is consul.Timeout
        assert str(error) == "no answer within 6.562 s (GET /v1/kv/k)"

    def test_closed(self):
        assert str(Request("GET", "/v1/kv/k").closed()) == "the client was closed (GET /v1/kv/k)"
        error = Request("PUT", "/v1/kv/k").closed(under_way=True)
        assert type(error) is consul.ClientClosed
        assert str(error) == "the client was closed during the call (PUT /v1/kv/k)"


class TestNoSecretInRepr:
    def test_request(self):
        request = build(token=TOKEN, http_auth=("user", "pass"))._request(
            "PUT", "/v1/acl/token", json_body={"SecretID": TOKEN}
        )
        text = repr(request)
        assert TOKEN not in text
        assert base64.b64encode(b"user:pass").decode() not in text
        assert "'X-Consul-Token', '<hidden>'" in text
        assert "body=<" in text
        response = Response(200, (), json.dumps({"SecretID": TOKEN}).encode(), request)
        assert TOKEN not in repr(response)
        assert TOKEN not in repr(Call(request, lambda r: None))

    def test_config_and_client(self):
        client = Client(token=TOKEN, http_auth="user:secret-password")
        for text in (repr(client), repr(client.config), str(client.config)):
            assert TOKEN not in text
            assert "secret-password" not in text


class TestResponse:
    def test_headers_are_case_insensitive(self):
        request = Request("GET", "/v1/kv/k")
        response = Response.build(200, {"X-Consul-Index": "5"}, b"", request)
        assert response.header("x-consul-index") == "5"
        assert response.header("X-CONSUL-INDEX") == "5"
        assert response.header("missing") is None
        listed = Response.build(200, [("X-Consul-Index", "6")], b"", request)
        assert listed.headers == (("x-consul-index", "6"),)

    def test_headers_kept_as_a_library_has_them(self):
        # An adapter keeps its library's case-insensitive headers, read only
        # where a decoder asks; a plain dict is looked up without case too.
        request = Request("GET", "/v1/kv/k")
        kept = CIMultiDictProxy(CIMultiDict([("X-Consul-Index", "7"), ("Vary", "x")]))
        for headers in (kept, {"X-Consul-Index": "7"}):
            response = Response(200, headers, b"", request)
            assert response.header("x-consul-index") == "7"
            assert response.header("X-CONSUL-INDEX") == "7"
            assert response.header("missing") is None


class TestRequestDefaults:
    def test_a_plain_request(self):
        request = build()._request("GET", "/v1/kv/k")
        assert request == Request("GET", "/v1/kv/k")

    def test_the_token_headers_follow_the_clients_token(self):
        group = build(token=TOKEN, http_auth=("user", "pass"))
        basic = ("Authorization", "Basic " + base64.b64encode(b"user:pass").decode())
        assert group._request("GET", "/x").headers == (("X-Consul-Token", TOKEN), basic)
        group.agent.token = "another-token"
        assert group._request("GET", "/x").headers == (("X-Consul-Token", "another-token"), basic)
        assert group._request("GET", "/x", token="given").headers == (
            ("X-Consul-Token", "given"),
            basic,
        )
        group.agent.token = None
        assert group._request("GET", "/x").headers == (basic,)
        group.agent.token = "bad\ntoken"
        for _ in range(2):  # refused on every call, never kept
            with pytest.raises(ValueError, match="token must be printable ASCII"):
                group._request("GET", "/x")

    def test_the_datacenter(self):
        assert build(dc="dc2")._request("GET", "/x").params == (("dc", "dc2"),)
        assert build(dc="dc2")._request("GET", "/x", dc="dc3").params == (("dc", "dc3"),)
        assert build()._request("GET", "/x", dc="dc3").params == (("dc", "dc3"),)

    @pytest.mark.parametrize(
        ("default", "given", "params"),
        [
            ("default", None, ()),
            ("stale", None, (("stale", ""),)),
            ("consistent", None, (("consistent", ""),)),
            ("stale", "default", ()),
            ("default", "consistent", (("consistent", ""),)),
        ],
    )
    def test_consistency_of_reads(self, default, given, params):
        group = build(consistency=default)
        assert group._request("GET", "/x", read=True, consistency=given).params == params

    def test_a_write_ignores_the_default_consistency(self):
        assert build(consistency="stale")._request("PUT", "/x").params == ()

    def test_bad_consistency(self):
        with pytest.raises(ValueError, match="consistency"):
            build()._request("GET", "/x", read=True, consistency="eventual")
        with pytest.raises(TypeError, match="only applies to reads"):
            build()._request("PUT", "/x", consistency="stale")

    def test_the_token_goes_only_in_its_header(self):
        request = build(token="secret")._request("GET", "/x")
        assert ("X-Consul-Token", "secret") in request.headers
        assert "secret" not in request.url("")
        overridden = build(token="secret")._request("GET", "/x", token="other")
        assert ("X-Consul-Token", "other") in overridden.headers
        assert ("X-Consul-Token", "secret") not in overridden.headers
        assert not any(
            name == "X-Consul-Token" for name, _ in build()._request("GET", "/x").headers
        )

    def test_settings_assigned_after_construction(self):
        # python-consul's attributes: Patroni sets them on reloading its configuration.
        group = build(token="old", dc="dc1")
        group.agent.token = "new"
        group.agent.dc = "dc2"
        group.agent.consistency = "consistent"
        request = group._request("GET", "/x", read=True)
        assert request.params == (("dc", "dc2"), ("consistent", ""))
        assert request.headers == (("X-Consul-Token", "new"),)
        group.agent.token = group.agent.dc = None
        assert group._request("GET", "/x") == Request("GET", "/x")

    def test_basic_auth(self):
        request = build(http_auth=("user", "pa:ss"))._request("GET", "/x")
        expected = "Basic " + base64.b64encode(b"user:pa:ss").decode()
        assert ("Authorization", expected) in request.headers

    def test_a_json_body(self):
        request = build()._request("PUT", "/x", json_body={"Name": "web"})
        assert json.loads(request.body) == {"Name": "web"}
        assert ("Content-Type", "application/json") in request.headers

    def test_parameters_come_first_then_the_common_ones(self):
        request = build(dc="dc1")._request(
            "GET", "/x", [("tag", "a"), ("tag", "b")], read=True, consistency="stale", index=3
        )
        assert request.params == (
            ("tag", "a"),
            ("tag", "b"),
            ("dc", "dc1"),
            ("stale", ""),
            ("index", "3"),
        )


class TestBlockingQueries:
    def test_index_and_wait(self):
        request = build()._request("GET", "/x", index=42, wait="30s")
        assert request.params == (("index", "42"), ("wait", "30s"))
        assert request.wait == 30.0

    def test_an_index_alone_waits_for_the_server_default(self):
        request = build(timeout=1.0)._request("GET", "/x", index=42)
        assert request.wait == 0.0
        assert request.time_limit() == 1 + 300 + 300 / 16 + BLOCKING_MARGIN

    def test_index_zero_does_not_block(self):
        # Consul answers at once for index 0 (and no index).
        request = build()._request("GET", "/x", index=0, wait="30s")
        assert request.params == (("index", "0"), ("wait", "30s"))
        assert request.wait is None

    def test_a_hash_blocks_like_an_index(self):
        # The agent's hash-based blocking (GET /v1/agent/service/:id?hash=).
        request = build()._request("GET", "/x", hash="4f2a", wait="30s")
        assert request.params == (("hash", "4f2a"), ("wait", "30s"))
        assert request.wait == 30.0
        assert build()._request("GET", "/x", hash="4f2a").wait == 0.0
        assert build()._request("GET", "/x", hash="", wait="30s").wait is None
        with pytest.raises(TypeError, match="hash must be a str"):
            build()._request("GET", "/x", hash=5)

    @pytest.mark.parametrize(
        ("index", "error"),
        [
            (True, TypeError),
            ("5s", TypeError),
            ("-1", TypeError),
            (1.0, TypeError),
            (-1, ValueError),
        ],
    )
    def test_bad_index(self, index, error):
        with pytest.raises(error, match="index"):
            build()._request("GET", "/x", index=index)

    def test_index_as_python_consul_returned_it(self):
        # python-consul's reads returned X-Consul-Index as the header's text.
        request = build()._request("GET", "/x", index="42", wait="1s")
        assert request.params == (("index", "42"), ("wait", "1s"))
        assert request.wait == 1.0


class TestDurations:
    @pytest.mark.parametrize(
        ("value", "text", "seconds"),
        [
            (10, "10000ms", 10.0),
            (1.5, "1500ms", 1.5),
            (0.0001, "1ms", 0.001),  # api.go durToMsec: never round a wait down to 0
            (0, "0ms", 0.0),
            ("10s", "10s", 10.0),
            ("5m", "5m", 300.0),
            ("1m30s", "1m30s", 90.0),
            ("1.5h", "1.5h", 5400.0),
            ("250ms", "250ms", 0.25),
            ("100us", "100us", 0.0001),
            ("100µs", "100µs", 0.0001),
            ("10ns", "10ns", 1e-8),
            ("0", "0s", 0.0),
        ],
    )
    def test_valid(self, value, text, seconds):
        assert duration(value, "wait") == (text, pytest.approx(seconds))

    @pytest.mark.parametrize("value", ["10", "ten seconds", "10 s", "-5s", "5d", "", "s"])
    def test_not_a_go_duration(self, value):
        with pytest.raises(ValueError, match="wait must be a duration"):
            duration(value, "wait")

    def test_negative(self):
        with pytest.raises(ValueError, match="wait must not be negative"):
            duration(-1, "wait")

    @pytest.mark.parametrize("value", [True, None, [10]])
    def test_wrong_type(self, value):
        with pytest.raises(TypeError, match="wait"):
            duration(value, "wait")

    def test_a_bad_wait_fails_before_any_request(self):
        with pytest.raises(ValueError, match="wait"):
            build()._request("GET", "/x", index=1, wait="forever")


def test_endpoint_methods_build_calls_without_io():
    client = Client(token="t", dc="dc9")
    call = client.kv.get("a b", index=3, wait=2)
    assert isinstance(call, Call)
    assert call.request == Request(
        "GET",
        "/v1/kv/a%20b",
        (("dc", "dc9"), ("index", "3"), ("wait", "2000ms")),
        (("X-Consul-Token", "t"),),
        None,
        2.0,
    )
