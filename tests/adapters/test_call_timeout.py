"""A call's own ``timeout=``, on every client (the callback one too).

It replaces the client's timeout for that call: shorter or longer, or None
for no limit; a blocking query still gets its wait on top, and a method that
takes several requests (a flow) is bounded as a whole.
"""

from __future__ import annotations

import time

import pytest
from harness import ENDPOINT_ADAPTERS

import consul

every_client = pytest.mark.parametrize("adapter", ENDPOINT_ADAPTERS)


@every_client
def test_a_shorter_one_ends_the_call_sooner(client, stub):
    stub.hang()
    c = client(stub)  # the client's timeout: 30 s
    started = c.loop.clock()
    with pytest.raises(consul.Timeout, match=r"no answer within 0\.3 s") as caught:
        c.status.leader(timeout=0.3)
    assert 0.3 <= c.loop.clock() - started < 5
    assert (caught.value.method, caught.value.path) == ("GET", "/v1/status/leader")
    assert stub.dropped.wait(5)  # the client hung up


@every_client
def test_a_longer_one_outlasts_the_clients(client, stub):
    stub.answer_json("10.0.0.1:8300", delay=0.5)
    c = client(stub, timeout=0.1)
    with pytest.raises(consul.Timeout):
        c.status.leader()
    assert c.status.leader(timeout=10) == "10.0.0.1:8300"
    assert c.status.leader(timeout=None) == "10.0.0.1:8300"


@every_client
def test_the_client_keeps_its_own(client, stub):
    stub.answer_json("10.0.0.1:8300", delay=0.5)
    c = client(stub, timeout=0.1)
    assert c.status.leader(timeout=10) == "10.0.0.1:8300"
    with pytest.raises(consul.Timeout):
        c.status.leader()


def test_a_blocking_query_gets_its_wait_on_top(client, consul_agent):
    c = client(consul_agent)
    index, _ = c.kv.get("nothing")
    started = time.monotonic()
    assert c.kv.get("nothing", index=index, wait="1s", timeout=0.2) == (index, None)
    assert time.monotonic() - started >= 0.9


def test_a_multi_request_call_is_bounded_as_a_whole(client, stub):
    stub.hang()
    c = client(stub)
    started = time.monotonic()
    with (
        pytest.warns(DeprecationWarning, match="acl.info"),
        pytest.raises(consul.Timeout, match=r"no answer within 0\.3"),
    ):
        c.acl.info("legacy-secret", timeout=0.3)
    assert time.monotonic() - started < 5
