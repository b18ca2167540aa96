"""Blocking queries have a budget of their own: they never starve quick calls.

The thread pool has workers for each kind of call, the asyncio and Tornado
clients connections for each; the blocking client runs in its caller's
thread and the Twisted client opens what it needs, so neither can starve.
"""

from __future__ import annotations

import concurrent.futures
import time

import pytest
from harness import CALL_TIMEOUT, close_client

import consul
import consul.threadpool

#: A blocking budget of two, where the client has one.
BUDGETS = {
    "threadpool": {"max_blocking_workers": 2, "max_workers": 1},
    "aio": {"max_blocking_connections": 2, "max_connections": 1},
    "tornado": {"max_blocking_connections": 2, "max_connections": 1},
}


def _blocking(request) -> bool:
    return "index" in request.query


def test_quick_calls_go_past_blocking_queries(adapter, client, loops, stub):
    stub.hang(when=_blocking)
    c = client(stub, timeout=5, **BUDGETS.get(adapter, {}))
    pending = [c.start.kv.get("k", index=5, wait="5m") for _ in range(3)]
    held = 2 if adapter in BUDGETS else 3
    stub.wait_held(held)
    # Every budget of quick calls is free: these return at once.
    assert c.status.leader() is None
    assert c.kv.put("k", "v") is False
    # Where there is a budget, the third blocking query waits for a turn.
    assert len([seen for seen in stub.seen if "index=" in seen.target]) == held
    assert not any(future.done() for future in pending)
    # Closing the client aborts the queries under way (the server sees them
    # go) and the one waiting for a turn.
    close_client(c.unwrapped, loops(adapter))
    stub.wait_held(0)
    assert {_outcome(future) for future in pending} <= {"closed", "cancelled"}
    assert len(stub.seen) == held + 2


def _outcome(future: concurrent.futures.Future) -> str:
    try:
        future.result(CALL_TIMEOUT)
    except consul.ClientClosed:
        return "closed"
    except concurrent.futures.CancelledError:
        return "cancelled"  # the thread pool's queued query, never started
    return "answered"


@pytest.mark.parametrize("adapter", sorted(BUDGETS))
def test_the_budgets_are_checked(adapter, client, stub):
    for name in BUDGETS[adapter]:
        with pytest.raises(ValueError, match=f"{name} must be at least 1"):
            client(stub, **{name: 0})
        with pytest.raises(TypeError, match=f"{name} must be an int"):
            client(stub, **{name: 2.5})


def test_closing_the_thread_pool_aborts_the_calls_under_way(stub):
    stub.hang()
    c = consul.threadpool.Consul(
        host=stub.host, port=stub.port, max_workers=1, max_blocking_workers=1
    )
    blocking = c.kv.get("k", index=5, wait="5m")
    quick = c.status.leader()
    queued = c.kv.get("k", index=6, wait="5m")
    stub.wait_held(2)
    started = time.monotonic()
    c.close()
    assert time.monotonic() - started < 5  # not the 5 minutes of the query
    for future in (blocking, quick):
        with pytest.raises(consul.ClientClosed):
            future.result(CALL_TIMEOUT)
    assert queued.cancelled()
    with pytest.raises(consul.ClientClosed):
        c.kv.get("k")
    assert len(stub.seen) == 2
