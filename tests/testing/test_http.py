"""What every endpoint of the embedded agent shares, checked with raw HTTP.

Expected behaviour from ``agent/http.go`` (``wrap``, ``Index``, ``parse``...),
Go's ``net/http`` (``ServeMux``, ``Redirect``, content sniffing) and the gzip
handler Consul wraps its endpoints in.
"""

from __future__ import annotations

import gzip
from types import SimpleNamespace

import pytest
from harness import RawHTTP
from multidict import CIMultiDict

from consul.testing import AgentConfig, DevAgent
from consul.testing.http.context import Ctx
from consul.testing.http.request import Body, Request
from consul.testing.state.tokens import AgentTokens

NOT_ENDPOINT = b"Invalid URL path: not a recognized HTTP API endpoint\n"
NOT_API = (
    b"Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n"
)


def header(response, name):
    return response.getheader(name)


# -- ServeMux -------------------------------------------------------------------------


def test_subtree_without_its_slash_is_redirected(api):
    response = api.send("GET", "/v1/kv?recurse&x=%2F")
    assert response.status == 301
    assert header(response, "Location") == "/v1/kv/?recurse&x=%2F"
    assert header(response, "Content-Type") == "text/html; charset=utf-8"
    assert response.data == b'<a href="/v1/kv/?recurse&amp;x=%2F">Moved Permanently</a>.\n\n'
    # ServeMux answers before any Consul handler: no Consul header.
    assert header(response, "X-Consul-Default-ACL-Policy") is None


def test_redirect_of_other_methods_has_no_body(api):
    response = api.send("PUT", "/v1/session/destroy", body=b"")
    assert response.status == 301
    assert header(response, "Location") == "/v1/session/destroy/"
    assert header(response, "Content-Type") is None
    assert response.data == b""


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/v1/kv//a", "/v1/kv/a"),
        ("/v1/./kv/a", "/v1/kv/a"),
        ("/v1/agent/../kv/a/", "/v1/kv/a/"),
        ("/v1//kv", "/v1/kv/"),  # the trailing-slash redirect comes first: one hop
        ("/v1/kv//a?b=c", "/v1/kv/a?b=c"),
        # Go builds this redirect from the escaped path and escapes it again
        # (golang/go#79897; Consul 1.22 is built with Go 1.25).
        ("/v1/kv//a%20b", "/v1/kv/a%2520b"),
    ],
)
def test_unclean_paths_are_redirected(api, target, location):
    response = api.send("GET", target)
    assert response.status == 301
    assert header(response, "Location") == location


def test_routing_compares_unescaped_segments(api):
    # "%6B" is "k": the segment is "kv", so this is the KV endpoint.
    kv = api.send("GET", "/v1/%6Bv/foo")
    assert kv.status == 404
    assert header(kv, "X-Consul-Index") == "1"
    # An escaped slash stays inside its segment: "kv/foo" is no endpoint.
    other = api.send("GET", "/v1/kv%2Ffoo")
    assert other.status == 404
    assert other.data == NOT_ENDPOINT


@pytest.mark.parametrize(
    ("target", "body"),
    [("/v1/nope", NOT_ENDPOINT), ("/x/v1/y", NOT_ENDPOINT), ("/nope", NOT_API)],
)
def test_index_404_texts(api, target, body):
    response = api.send("GET", target)
    assert response.status == 404
    assert response.data == body
    assert header(response, "Content-Type") == "text/plain; charset=utf-8"
    assert header(response, "X-Consul-Default-ACL-Policy") is None


def test_root_goes_to_the_ui(api):
    response = api.send("GET", "/")
    assert response.status == 301
    assert header(response, "Location") == "/ui/"


@pytest.mark.parametrize(
    "target", ["/v1/kv/a%0Ab", "/v1/kv/%7F", "/v1/kv/%C2%A0", "/v1/kv/%E2%80%8B"]
)
def test_non_printable_paths_get_an_empty_400(api, target):
    response = api.send("GET", target)
    assert response.status == 400
    assert response.data == b""
    assert header(response, "Content-Type") is None


def test_a_bad_escape_in_the_path_is_a_bad_request(api):
    response = api.send("GET", "/v1/kv/%ZZ")
    assert response.status == 400
    assert response.data == b"400 Bad Request"


# -- HTTPHandlers.wrap ---------------------------------------------------------------------


def test_method_not_allowed(api):
    response = api.send("DELETE", "/v1/session/list")
    assert response.status == 405
    assert header(response, "Allow") == "OPTIONS,GET"
    assert response.data == b"method DELETE not allowed"
    assert header(response, "Content-Type") == "text/plain; charset=utf-8"
    assert header(response, "X-Consul-Default-ACL-Policy") == "allow"
    assert header(response, "Vary") == "Accept-Encoding"


def test_head_is_not_get(api):
    response = api.send("HEAD", "/v1/kv/k")
    assert response.status == 405
    assert header(response, "Allow") == "OPTIONS,GET,PUT,DELETE"


def test_options_lists_the_methods(api):
    response = api.send("OPTIONS", "/v1/kv/anything")
    assert response.status == 200
    assert header(response, "Allow") == "OPTIONS,GET,PUT,DELETE"
    assert response.data == b""
    # Nothing was written, so ensureContentTypeHeader picks the type.
    assert header(response, "Content-Type") == "application/json; charset=utf-8"
    assert header(response, "X-Consul-Default-ACL-Policy") == "allow"


@pytest.mark.parametrize("query", ["a=%ZZ", "a=1;b=2", "a=%4", "x%"])
def test_a_query_string_go_cannot_parse_is_an_empty_500(api, query):
    response = api.send("GET", f"/v1/kv/k?{query}")
    assert response.status == 500
    assert response.data == b""
    assert header(response, "Content-Type") == "text/plain; charset=utf-8"
    assert header(response, "X-Consul-Default-ACL-Policy") == "allow"


def test_no_server_header_and_a_date(api):
    for target in ("/v1/kv/k", "/v1/nope", "/v1/kv"):
        response = api.send("GET", target)
        assert header(response, "Server") is None
        assert header(response, "Date")


def test_default_acl_policy_header_follows_the_configuration():
    with DevAgent(acl_default_policy="deny") as agent:
        raw = RawHTTP(agent.url)
        try:
            assert raw.get("/v1/status/leader").headers["X-Consul-Default-ACL-Policy"] == "deny"
        finally:
            raw.close()


def test_json_escapes_html_characters_as_go_does(api):
    api.put("/v1/kv/a%3Cb%3E%26c", data=b"")
    response = api.get("/v1/kv/?keys")
    assert response.content == b'[\n    "a\\u003cb\\u003e\\u0026c"\n]'


def test_large_responses_are_gzipped_for_clients_that_accept_it(api):
    api.put("/v1/kv/big", data=b"z" * 4000)
    plain = api.send("GET", "/v1/kv/big", headers={"Accept-Encoding": "identity"})
    assert header(plain, "Content-Encoding") is None
    zipped = api.send("GET", "/v1/kv/big", headers={"Accept-Encoding": "gzip"})
    assert header(zipped, "Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    refused = api.send("GET", "/v1/kv/big", headers={"Accept-Encoding": "gzip;q=0"})
    assert header(refused, "Content-Encoding") is None
    small = api.send("GET", "/v1/kv/?keys", headers={"Accept-Encoding": "gzip"})
    assert header(small, "Content-Encoding") is None
    assert header(small, "Vary") == "Accept-Encoding"


# -- query parameters -------------------------------------------------------------------------


def test_unknown_parameters_are_ignored(api):
    api.put("/v1/kv/k", data=b"v")
    assert api.get("/v1/kv/k?bogus=1&another").status_code == 200


def test_flags_are_presence_based(api):
    api.put("/v1/kv/k", data=b"v")
    assert api.get("/v1/kv/k?raw=false").content == b"v"


def test_a_get_body_is_ignored(api):
    api.put("/v1/kv/k", data=b"v")
    assert api.request("GET", "/v1/kv/k", data=b"recurse").json()[0]["Key"] == "k"


@pytest.mark.parametrize("query", ["dc=nowhere", "datacenter=nowhere", "dc=dc1&datacenter=nope"])
def test_unknown_datacenter(api, query):
    response = api.get(f"/v1/kv/k?{query}")
    assert response.status_code == 500
    assert response.text == "No path to datacenter"


def test_datacenter_parameter_wins_over_dc(api):
    assert api.get("/v1/kv/k?dc=nope&datacenter=dc1").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stale&consistent", "Cannot specify ?stale with ?consistent, conflicting semantics."),
        (
            "max_stale=5s&consistent",
            "Cannot specify ?stale with ?consistent, conflicting semantics.",
        ),
        ("cached&consistent", "Cannot specify ?cached with ?consistent, conflicting semantics."),
        ("max_stale=soon", 'Invalid max_stale value "soon"'),
        ("max_stale=%C3%A9", 'Invalid max_stale value "\u00e9"'),
        ("index=abc", "Invalid index"),
        ("index=-1", "Invalid index"),
        ("index=18446744073709551616", "Invalid index"),
        ("wait=10", "Invalid wait time"),
        ("wait=10d&index=abc", "Invalid wait time"),
    ],
)
def test_query_option_errors(api, query, message):
    response = api.get(f"/v1/kv/k?{query}")
    assert response.status_code == 400
    assert response.text == message


def test_query_options_that_do_not_conflict(api):
    for query in ("max_stale=0s&consistent", "stale&leader", "wait=5s", "index=0&wait=1h"):
        assert api.get(f"/v1/kv/k?{query}").status_code == 404


def test_largest_index_is_valid(api):
    response = api.get("/v1/kv/k?index=18446744073709551615&wait=10ms")
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["max-age=abc", "max-age=1.5", "stale-if-error=x, max-age=1"])
def test_bad_cache_control(api, value):
    response = api.get("/v1/kv/k", headers={"Cache-Control": value})
    assert response.status_code == 400
    assert response.text == "Invalid Cache-Control header."


def test_good_cache_control(api):
    headers = {"Cache-Control": "Max-Age=10, must-revalidate, stale-if-error=-5, no-store"}
    assert api.get("/v1/kv/k", headers=headers).status_code == 404


# -- response headers ------------------------------------------------------------------------


def test_server_reads_carry_query_meta_but_not_writes_or_agent_answers(api):
    read = api.get("/v1/session/list")
    for name, value in [
        ("X-Consul-Index", "1"),
        ("X-Consul-KnownLeader", "true"),
        ("X-Consul-LastContact", "0"),
        ("X-Consul-Query-Backend", "blocking-query"),
    ]:
        assert read.headers[name] == value
    for response in (api.put("/v1/kv/k", data=b"v"), api.get("/v1/status/leader")):
        assert "X-Consul-Index" not in response.headers
        assert "X-Consul-KnownLeader" not in response.headers
        assert response.headers["X-Consul-Default-ACL-Policy"] == "allow"


# -- the request's token (parseToken) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers", "token"),
    [
        ("?token=q", {"X-Consul-Token": "h", "Authorization": "Bearer b"}, "q"),
        ("?token=", {"X-Consul-Token": "h", "Authorization": "Bearer b"}, "h"),
        ("", {"X-Consul-Token": "", "Authorization": "Bearer b"}, "b"),
        ("", {"Authorization": "bEaReR  b  more"}, "b"),
        ("", {"Authorization": "Basic Zm9vOmJhcg=="}, "agent-default"),
        ("", {"Authorization": "Bearer"}, "agent-default"),
        ("", {}, "agent-default"),
    ],
)
def test_token_comes_from_query_then_header_then_bearer(query, headers, token):
    # With ACLs off no answer shows which token was used: ask the request context.
    agent = SimpleNamespace(
        tokens=AgentTokens.from_config(AgentConfig(acl_default_token="agent-default"))
    )
    body = Body(0, lambda: None, lambda: None)
    request = Request("GET", f"/v1/kv/k{query}", (1, 1), CIMultiDict(headers), body, None, None)
    assert Ctx(request, agent, "/v1/kv/k", "k").token == token
