"""Decoders: pure functions from a Response to a value, or to an exception."""

from __future__ import annotations

import pytest

import consul
from consul import _decode as d
from consul._http import Request, Response

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
        assert d.index(answer()) == 0

    def test_json(self):
        assert d.json(answer(body=b'{"a": [1, null]}')) == {"a": [1, None]}
        assert d.json(answer(body=b"  \n")) is None
        with pytest.raises(consul.ServerError):
            d.json(answer(500, b'{"a": 1}'))

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
