"""``transport=``: every client sends through a transport of one's own, such as the mock one.

No server: a :class:`~consul.transport.MockTransport` answers. The client
keeps everything else: building the request, decoding the answer into a
value or an exception, flows, the call's timeout, closing.
"""

from __future__ import annotations

import base64
import inspect

import pytest

import consul
import consul.aio
import consul.threadpool
import consul.tornado
import consul.twisted
from consul.transport import MockTransport, respond

TOKEN = "3e9d0c1a-mock-transport-token"

ENTRY = {
    "Key": "feature/x",
    "Value": base64.b64encode(b"on").decode(),
    "Flags": 0,
    "LockIndex": 0,
    "CreateIndex": 5,
    "ModifyIndex": 7,
}


def kv_store(request):
    """A tiny Consul: one key to read, any key to write."""
    if request.method == "GET" and request.path == "/v1/kv/feature/x":
        return respond(request, json=[ENTRY], index=7)
    if request.method == "PUT":
        return respond(request, json=True)
    return respond(request, 404, index=7)


def test_calls_are_answered_by_the_handler(client):
    mock = MockTransport(kv_store)
    c = client(transport=mock, token=TOKEN, dc="dc2")
    index, entry = c.kv.get("feature/x")
    assert (index, entry["Value"], entry["ModifyIndex"]) == (7, b"on", 7)
    assert c.kv.get("missing") == (7, None)
    assert c.kv.put("feature/y", b"off", cas=3) is True
    assert c.unwrapped.http is mock
    get, _, put = mock.requests
    assert (get.method, get.path, get.params) == ("GET", "/v1/kv/feature/x", (("dc", "dc2"),))
    assert ("X-Consul-Token", TOKEN) in get.headers
    assert (put.method, put.body) == ("PUT", b"off")
    assert put.params == (("cas", "3"), ("dc", "dc2"))


def test_the_request_carries_the_calls_timeout(client):
    mock = MockTransport(kv_store)
    c = client(transport=mock, timeout=12)
    c.kv.get("feature/x")
    c.kv.get("feature/x", timeout=0.5)
    c.kv.get("feature/x", index=3, wait="2s", timeout=None)
    assert [r.timeout for r in mock.requests] == [12, 0.5, None]
    assert mock.requests[2].wait == 2.0


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, consul.ACLPermissionDenied), (500, consul.ServerError), (429, consul.RateLimited)],
)
def test_an_error_status_raises_as_from_consul(client, status, error):
    c = client(transport=MockTransport(lambda r: respond(r, status, body="no way")))
    with pytest.raises(error) as caught:
        c.kv.put("k", "v")
    assert (caught.value.status, caught.value.message) == (status, "no way")
    assert (caught.value.method, caught.value.path) == ("PUT", "/v1/kv/k")


def test_a_transport_failure_is_raised_as_is(client):
    def lost(request):
        raise request.timed_out(sent=True)

    c = client(transport=MockTransport(lost))
    with pytest.raises(consul.Timeout, match="may have reached Consul"):
        c.kv.put("k", "v")


def test_a_multi_request_call_goes_through_it_too(client):
    token = {
        "AccessorID": "a-1",
        "SecretID": "legacy",
        "Description": "old",
        "Policies": [],
        "CreateIndex": 3,
        "ModifyIndex": 3,
    }

    def acl(request):
        assert request.path == "/v1/acl/token/self"
        return respond(request, json=token)

    c = client(transport=MockTransport(acl))
    with pytest.warns(DeprecationWarning, match="acl.info"):
        assert c.acl.info("legacy")["ID"] == "legacy"


def test_closing_the_client_closes_the_transport(adapter, loops):
    from harness import close_client, make_client

    mock = MockTransport(kv_store)
    c = make_client(adapter, loops(adapter), transport=mock)
    close_client(c, loops(adapter))
    assert mock.closed
    with pytest.raises(consul.ClientClosed):
        loops(adapter).submit(lambda: c.kv.get("feature/x")).result()
    assert mock.requests == []


def test_a_handler_must_answer_a_response(client):
    c = client(transport=MockTransport(lambda r: {"Value": "x"}))
    with pytest.raises(TypeError, match=r"must return a consul\.Response, not dict"):
        c.kv.get("k")


class AsyncTransport:
    """A transport whose send and close are coroutines (no event loop specifics)."""

    def __init__(self):
        self.closed = False

    async def send(self, request):
        return kv_store(request)

    async def close(self):
        self.closed = True


@pytest.mark.parametrize("adapter", ["aio", "twisted"])
def test_an_async_transport_on_the_async_clients(adapter, loops):
    from harness import close_client, make_client

    transport = AsyncTransport()
    c = make_client(adapter, loops(adapter), transport=transport)
    entry = loops(adapter).submit(lambda: c.kv.get("feature/x")).result()
    assert entry[1]["Value"] == b"on"
    close_client(c, loops(adapter))
    assert transport.closed


def test_an_async_send_on_tornado(loops):
    from harness import close_client, make_client

    transport = AsyncTransport()
    transport.close = lambda: setattr(transport, "closed", True)
    c = make_client("tornado", loops("tornado"), transport=transport)
    entry = loops("tornado").submit(lambda: c.kv.get("feature/x")).result()
    assert entry[1]["Value"] == b"on"
    close_client(c, loops("tornado"))
    assert transport.closed


@pytest.mark.parametrize("cls", [consul.Consul, consul.threadpool.Consul])
def test_a_blocking_client_refuses_an_async_transport(cls):
    with pytest.raises(TypeError, match="needs a transport whose send\\(\\) returns the response"):
        cls(transport=AsyncTransport())


@pytest.mark.parametrize(
    "cls",
    [
        consul.Consul,
        consul.threadpool.Consul,
        consul.aio.Consul,
        consul.tornado.Consul,
        consul.twisted.Consul,
    ],
)
def test_a_transport_must_have_send(cls):
    with pytest.raises(TypeError, match="transport must have a send\\(request\\) method"):
        cls(transport=lambda request: None)
    assert "transport" in inspect.signature(cls).parameters
