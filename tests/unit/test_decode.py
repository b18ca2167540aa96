"""Decoders: pure functions from a Response to a value, or to an exception."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

import consul
from consul import _decode as d
from consul._http import Call, Request, Response

REQUEST = Request(
    "PUT", "/v1/kv/some%20key", (("dc", "dc1"),), (("X-Consul-Token", "b7e1-secret"),)
)


def answer(status=200, body=b"", **headers):
    return Response.build(
        status, {k.replace("_", "-"): v for k, v in headers.items()}, body, REQUEST
    )


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            (400, consul.BadRequest),
            (401, consul.ACLDisabled),
            (403, consul.ACLPermissionDenied),
            (404, consul.NotFound),
            (405, consul.ClientError),
            (409, consul.Conflict),
            (413, consul.RequestEntityTooLarge),
            (422, consul.ClientError),
            (429, consul.RateLimited),
            (500, consul.ServerError),
            (503, consul.ServerError),
            (599, consul.ServerError),
        ],
    )
    def test_status_to_exception(self, status, kind):
        error = d.error(answer(status, b"Permission denied: token lacks key:write\n"))
        assert type(error) is kind
        assert error.status == status
        assert error.message == "Permission denied: token lacks key:write"
        assert (error.method, error.path) == ("PUT", "/v1/kv/some%20key")
        assert str(error) == (
            f"{status} Permission denied: token lacks key:write (PUT /v1/kv/some%20key)"
        )
        assert "b7e1-secret" not in str(error)

    def test_a_message_that_is_not_utf8(self):
        assert d.error(answer(500, b"bad \xff")).message == "bad \ufffd"

    def test_an_empty_message(self):
        assert str(d.error(answer(500))) == "500 (PUT /v1/kv/some%20key)"

    def test_check_lets_200_and_the_given_statuses_through(self):
        assert d.check(answer(200)).status == 200
        assert d.check(answer(404), 404).status == 404
        with pytest.raises(consul.NotFound):
            d.check(answer(404))


class TestValues:
    def test_index(self):
        assert d.index(answer(X_Consul_Index="17")) == 17
        assert d.index(answer(X_Consul_Index=str(2**64 - 1))) == 2**64 - 1

    @pytest.mark.parametrize(
        ("headers", "problem"),
        [
            ({}, "no X-Consul-Index"),
            ({"X_Consul_Index": ""}, "not an unsigned 64-bit integer"),
            ({"X_Consul_Index": "abc"}, "not an unsigned 64-bit integer: 'abc'"),
            ({"X_Consul_Index": "-1"}, "not an unsigned 64-bit integer"),
            ({"X_Consul_Index": str(2**64)}, "not an unsigned 64-bit integer"),
            ({"X_Consul_Index": "١٢"}, "not an unsigned 64-bit integer"),  # Arabic digits
        ],
    )
    def test_an_index_that_is_missing_or_malformed_is_an_error(self, headers, problem):
        # A blocking loop fed index 0 would spin (api/api.go refuses it too).
        with pytest.raises(consul.InvalidResponse, match=problem) as caught:
            d.index(answer(**headers))
        assert caught.value.status == 200
        assert (caught.value.method, caught.value.path) == ("PUT", "/v1/kv/some%20key")

    def test_an_error_status_wins_over_a_missing_index(self):
        with pytest.raises(consul.ACLPermissionDenied):
            d.indexed(d.json)(answer(403, b"Permission denied"))

    def test_json(self):
        assert d.json(answer(body=b'{"a": [1, null]}')) == {"a": [1, None]}
        assert d.json(answer(body=b"  \n")) is None
        with pytest.raises(consul.ServerError):
            d.json(answer(500, b'{"a": 1}'))

    @pytest.mark.parametrize(
        "text",
        [
            '[{"Key": "k", "Value": null}]',
            '[\n    {\n        "Key": "k"\n    }\n]\n',  # -dev's pretty answers end with "\n"
            '  {"a": 1}',
            '"text" \t\r\n',
            "17",
        ],
    )
    def test_loads_reads_what_json_loads_reads(self, text):
        assert d.loads(text) == json.loads(text)

    @pytest.mark.parametrize("text", ["", "  ", "[1,", '{"a": 1} trailing', '{"a": 1}\x0b', "nul"])
    def test_loads_fails_as_json_loads_fails(self, text):
        with pytest.raises(json.JSONDecodeError) as ours:
            d.loads(text)
        with pytest.raises(json.JSONDecodeError) as theirs:
            json.loads(text)
        assert (ours.value.msg, ours.value.pos) == (theirs.value.msg, theirs.value.pos)

    def test_boolean(self):
        assert d.boolean(answer(body=b"true\n")) is True
        assert d.boolean(answer(body=b"false")) is False
        with pytest.raises(consul.BadRequest):
            d.boolean(answer(400, b"true"))

    def test_true(self):
        assert d.true(answer()) is True
        with pytest.raises(consul.ACLPermissionDenied):
            d.true(answer(403, b"ACL not found"))

    def test_indexed(self):
        decode = d.indexed(d.json)
        assert decode(answer(body=b"[1]", X_Consul_Index="9")) == (9, [1])


class TestQueryMeta:
    def test_every_header_consul_sends(self):
        pair = d.indexed(d.json)(
            answer(
                body=b'{"a": 1}',
                X_Consul_Index="42",
                X_Consul_KnownLeader="true",
                X_Consul_LastContact="1500",
                X_Consul_Effective_Consistency="stale",
                X_Consul_Query_Backend="blocking-query",
                X_Cache="HIT",
                Age="7",
                X_Consul_ContentHash="9a4f",
                X_Consul_Default_ACL_Policy="deny",
                X_Consul_Results_Filtered_By_ACLs="true",
                X_Consul_Translate_Addresses="true",
            )
        )
        index, data = pair
        assert (index, data) == (42, {"a": 1})
        assert pair.data == {"a": 1}
        assert pair.meta == consul.QueryMeta(
            index=42,
            known_leader=True,
            last_contact=1.5,
            effective_consistency="stale",
            query_backend="blocking-query",
            cache_hit=True,
            cache_age=7.0,
            content_hash="9a4f",
            default_acl_policy="deny",
            results_filtered_by_acls=True,
            address_translation=True,
        )

    def test_headers_not_sent_are_none_or_false(self):
        meta = d.indexed(d.json)(answer(body=b"1", X_Consul_Index="3")).meta
        assert meta == consul.QueryMeta(index=3)
        assert meta.known_leader is None
        assert meta.cache_hit is None
        assert meta.results_filtered_by_acls is False

    def test_a_cache_miss_and_a_lost_leader(self):
        meta = d.indexed(d.json)(
            answer(body=b"1", X_Consul_Index="3", X_Cache="MISS", X_Consul_KnownLeader="false")
        ).meta
        assert meta.cache_hit is False
        assert meta.cache_age is None
        assert meta.known_leader is False

    @pytest.mark.parametrize(
        "headers",
        [
            {"X_Consul_LastContact": "soon", "Age": "-1"},
            {"X_Consul_LastContact": "", "Age": "1.5"},
            {"X_Consul_Default_ACL_Policy": "maybe"},
        ],
    )
    def test_unreadable_optional_headers_are_left_out(self, headers):
        # Only the index is required: the data of the read is fine.
        meta = d.indexed(d.json)(answer(body=b"1", X_Consul_Index="3", **headers)).meta
        assert (meta.last_contact, meta.cache_age, meta.default_acl_policy) == (None, None, None)

    def test_the_pair_is_a_tuple_that_keeps_its_meta(self):
        pair = consul.Indexed(["x"], consul.QueryMeta(index=5, known_leader=True))
        assert isinstance(pair, tuple)
        assert pair == (5, ["x"])
        assert repr(pair) == "(5, ['x'])"
        assert list(pair) == [5, ["x"]]
        for copied in (pickle.loads(pickle.dumps(pair)), copy.copy(pair), copy.deepcopy(pair)):
            assert type(copied) is consul.Indexed
            assert copied == pair
            assert copied.meta == pair.meta
        with pytest.raises(AttributeError):
            pair.meta.index = 6  # type: ignore[misc]

    def test_or_none(self):
        decode = d.indexed(d.or_none(d.json))
        assert decode(answer(404, X_Consul_Index="3")) == (3, None)
        with pytest.raises(consul.ServerError):
            decode(answer(500))

    def test_json_lists(self):
        assert d.json_list(answer(body=b"[1, 2]")) == [1, 2]
        assert d.json_list(answer(body=b"null")) == []
        assert d.json_list(answer()) == []
        with pytest.raises(consul.NotFound):
            d.json_list(answer(404))
        assert d.listed(None) == []
        assert d.first([3, 4]) == 3
        assert d.first([]) is None
        assert d.first(None) is None

    def test_mapped_and_field(self):
        assert d.mapped(d.json, len)(answer(body=b"[1, 2, 3]")) == 3
        assert d.field("ID")(answer(body=b'{"ID": "abc"}')) == "abc"

    def test_base64(self):
        assert d.b64("aGVsbG8=") == b"hello"
        assert d.b64(None) is None
        assert d.kv_entry({"Key": "k", "Value": "AAH/"}) == {"Key": "k", "Value": b"\x00\x01\xff"}
        assert d.kv_entry({"Key": "k", "Value": None})["Value"] is None


class TestUnreadableAnswers:
    """Whatever a decoder cannot read is an InvalidResponse, with status, method and path."""

    @pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1,", b'{"a": 1} trailing'])
    def test_invalid_json(self, body):
        with pytest.raises(consul.InvalidResponse, match="unreadable answer") as caught:
            Call(REQUEST, d.json).result(answer(body=body))
        error = caught.value
        assert (error.status, error.method, error.path) == (200, "PUT", "/v1/kv/some%20key")
        assert "b7e1-secret" not in str(error)

    def test_an_unexpected_shape(self):
        with pytest.raises(consul.InvalidResponse, match="TypeError"):
            Call(REQUEST, d.field("ID")).result(answer(body=b"[]"))
        with pytest.raises(consul.InvalidResponse, match="Invalid base64"):
            Call(REQUEST, d.mapped(d.json, d.b64)).result(answer(body=b'"not base64!"'))

    def test_our_own_errors_pass_through(self):
        with pytest.raises(consul.ServerError):
            Call(REQUEST, d.json).result(answer(500, b"rpc error"))
        assert Call(REQUEST, d.json).result(answer(body=b"[1]")) == [1]
