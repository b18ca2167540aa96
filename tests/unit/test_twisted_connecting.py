"""The Twisted transport while it connects, on Twisted's fake reactor (a clock the test moves).

The call's time limit runs from before the connection is made: whether it
runs out while connecting (nothing sent) or once the request is written (it
may have been applied) decides what the Timeout says. Deterministic: the
connection is made, or not, exactly when the test says.
"""

from __future__ import annotations

import pytest
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock, StringTransport

import consul
from consul._http import Request
from consul.adapters.twisted import TwistedTransport
from consul.config import Config

LIMIT = 1.0


@pytest.fixture
def reactor():
    return MemoryReactorClock()


def put(reactor):
    """Start a PUT (not safe to repeat) on a transport of ``reactor``; its outcome, once there."""
    transport = TwistedTransport(Config(timeout=LIMIT), reactor)
    request = Request("PUT", "/v1/kv/k", body=b"v", timeout=LIMIT)
    outcome = []
    call = defer.ensureDeferred(transport.send(request))
    call.addBoth(outcome.append)
    assert len(reactor.tcpClients) == 1  # connecting
    return call, outcome


def connect(reactor):
    """The connection being made succeeds now; what the client writes to it."""
    factory = reactor.tcpClients[0][2]
    wire = StringTransport()
    factory.buildProtocol(None).makeConnection(wire)
    return wire


def test_a_limit_that_runs_out_while_connecting_says_nothing_was_sent(reactor):
    _, outcome = put(reactor)
    reactor.advance(LIMIT)
    [failure] = outcome
    assert isinstance(failure.value, consul.Timeout)
    assert "no answer within 1 s" in str(failure.value)
    assert "may have reached Consul" not in str(failure.value)
    assert reactor.getDelayedCalls() == []  # no connection attempt left running


def test_a_connection_made_just_in_time_sends_and_may_have_applied(reactor):
    _, outcome = put(reactor)
    reactor.advance(LIMIT - 0.001)
    wire = connect(reactor)
    assert wire.value().startswith(b"PUT /v1/kv/k HTTP/1.1\r\n")
    reactor.advance(0.001)
    [failure] = outcome
    assert isinstance(failure.value, consul.Timeout)
    assert "may have reached Consul and been applied" in str(failure.value)
    assert reactor.getDelayedCalls() == []


def test_cancelling_a_call_while_it_connects_is_a_cancellation(reactor):
    call, outcome = put(reactor)
    call.cancel()
    [failure] = outcome
    assert failure.check(defer.CancelledError)
    assert reactor.getDelayedCalls() == []
