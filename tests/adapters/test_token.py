"""The token travels in its header and nowhere else: no repr, no traceback, no message.

Tracebacks are rendered with the locals of every frame, as pytest's
``--showlocals`` and error trackers do.
"""

from __future__ import annotations

import math
import traceback

import pytest

import consul

TOKEN = "9a8b7c6d-s3cr3t-token-value"


def _rendered(error: BaseException) -> str:
    """The whole traceback of ``error`` (chained ones too) with every frame's locals."""
    return "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


def test_not_in_a_denied_calls_traceback(client, stub):
    stub.answer(403, "Permission denied")
    c = client(stub, token=TOKEN)
    with pytest.raises(consul.ACLPermissionDenied) as caught:
        c.kv.put("secret/key", "value")
    text = _rendered(caught.value)
    assert TOKEN not in text
    # The request is there, shown without its token.
    assert "'X-Consul-Token', '<hidden>'" in text
    assert stub.seen[0].headers["X-Consul-Token"] == TOKEN


def test_not_in_a_transport_failures_traceback(client, refused_port):
    c = client(host="127.0.0.1", port=refused_port, token=TOKEN, timeout=5)
    with pytest.raises(consul.ConsulConnectionError) as caught:
        c.kv.put("secret/key", "value")
    text = _rendered(caught.value)
    assert TOKEN not in text
    # The HTTP library's error is still named, without its frames.
    assert caught.value.__cause__ is not None
    assert caught.value.__cause__.__traceback__ is None


def test_not_in_an_unreadable_answers_traceback(client, stub):
    stub.answer(200, "{not json", {"X-Consul-Index": "3"})
    with pytest.raises(consul.InvalidResponse) as caught:
        client(stub, token=TOKEN).kv.get("k")
    assert TOKEN not in _rendered(caught.value)


def test_not_in_any_repr(client, stub):
    c = client(stub, token=TOKEN, http_auth=("user", "pa55word"))
    for thing in (c.unwrapped, c.unwrapped.config, c.unwrapped.http, c.unwrapped.kv):
        assert TOKEN not in repr(thing)
        assert "pa55word" not in repr(thing)


@pytest.mark.parametrize("bad", ["two\r\nlines", "new\nline", "nul\x00", "trailing ", "tab\t", "ü"])
def test_a_token_that_cannot_be_a_header_value_is_refused(client, stub, bad):
    # Each HTTP library used to do something else: refuse it with the token
    # in its message, strip it and send an altered token, or fail as a
    # connection error.
    c = client(stub)
    token = f"{TOKEN}-{bad}"
    with pytest.raises(ValueError, match="token must be printable ASCII") as caught:
        c.kv.get("k", token=token)
    assert TOKEN not in str(caught.value)
    with pytest.raises(ValueError, match="token must be printable ASCII") as caught:
        client(stub, token=token)
    assert TOKEN not in str(caught.value)
    assert stub.seen == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c: c.kv.get("k", dc=123), TypeError, "dc must be a str"),
        (lambda c: c.kv.get("k", index=2**64), ValueError, "index must be an unsigned 64-bit"),
        (lambda c: c.kv.get("k", index=1, wait=math.nan), ValueError, "wait must be a finite"),
        (lambda c: c.kv.get("k", index=1, wait=math.inf), ValueError, "wait must be a finite"),
        (lambda c: c.kv.get("k", token=7), TypeError, "token must be a str"),
    ],
    ids=["dc-int", "index-2**64", "wait-nan", "wait-inf", "token-int"],
)
def test_bad_request_options_fail_before_any_io(client, stub, call, error, message):
    with pytest.raises(error, match=message):
        call(client(stub))
    assert stub.seen == []


def test_not_in_a_traceback_when_given_to_one_call(stub):
    # Straight on a blocking client, without the test harness's frames (whose
    # locals hold the arguments it passes on).
    stub.answer(403, "Permission denied")
    with (
        consul.Consul(host=stub.host, port=stub.port) as c,
        pytest.raises(consul.ACLPermissionDenied) as caught,
    ):
        c.kv.put("secret/key", "value", token=TOKEN)
    assert TOKEN not in _rendered(caught.value)
    assert stub.seen[0].headers["X-Consul-Token"] == TOKEN
