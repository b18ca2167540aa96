"""Watches through every client, in each loop's own form, against the embedded agent.

``run_watch`` consumes a watch as its loop does (``for``, ``async for``,
``start(callback)``) and hands each change to a queue the test reads.
"""

from __future__ import annotations

import base64
import queue
from collections.abc import Iterator
from typing import Any

import pytest
from harness import (
    CALL_TIMEOUT,
    Sync,
    close_client,
    make_client,
    run_watch,
    sync_client,
    wait_blocked,
)

import consul
from consul.recipes import Backoff
from consul.testing import DevAgent

FAST = Backoff(first=0.02, factor=2, cap=0.1, jitter=0.5)


class Changes:
    """A watch run in its client's loop, its changes in a queue."""

    def __init__(self, c: Sync, watch: Any) -> None:
        self.c = c
        self.watch = watch
        self.queue: queue.Queue[tuple[Any, Any]] = queue.Queue()
        self.end = run_watch(c, watch, lambda index, value: self.queue.put((index, value)))

    def next(self) -> tuple[Any, Any]:
        """The next change (fails after the test's call timeout)."""
        return self.queue.get(timeout=CALL_TIMEOUT)

    def values(self, count: int) -> list[Any]:
        return [self.next()[1] for _ in range(count)]

    def stop(self) -> None:
        """Stop the watch (in its loop) and wait for its end."""
        self.c.loop.submit(self.watch.stop).result(CALL_TIMEOUT)
        assert self.end.result(CALL_TIMEOUT) is None

    def nothing_more(self) -> bool:
        return self.queue.empty()


@pytest.fixture
def watching(c: Sync) -> Iterator[Any]:
    """Start watches of ``c``; each is stopped at the end of the test."""
    running: list[Changes] = []

    def start(watch: Any) -> Changes:
        changes = Changes(c, watch)
        running.append(changes)
        return changes

    yield start
    for changes in running:
        if not changes.end.done():
            changes.stop()


def value(entry: Any) -> Any:
    return None if entry is None else entry["Value"]


def test_a_key_watch_delivers_the_value_at_once_then_each_change(c, watching, consul_agent):
    c.kv.put("config/x", "1")
    changes = watching(c.watch.key("config/x"))
    index, entry = changes.next()
    assert value(entry) == b"1"
    assert index == c.kv.get("config/x")[0]
    wait_blocked(consul_agent)
    c.kv.put("config/x", "1")  # the same value: no change
    c.kv.put("config/x", "2")
    assert value(changes.next()[1]) == b"2"
    c.kv.delete("config/x")
    assert changes.next()[1] is None
    changes.stop()
    assert changes.nothing_more()


def test_a_key_watch_waits_for_an_absent_key(c, watching):
    changes = watching(c.watch.key("config/absent"))
    assert changes.next()[1] is None
    c.kv.put("config/absent", "here")
    assert value(changes.next()[1]) == b"here"


def test_stop_aborts_the_read_in_flight(c, watching, consul_agent):
    changes = watching(c.watch.key("config/x", wait="10m"))
    changes.next()
    wait_blocked(consul_agent)
    # The read would wait ten minutes: stop ends it now (or the watch's end
    # would not come within the test's call timeout, 30s).
    changes.stop()
    assert changes.nothing_more()


def test_a_watch_runs_once(c, watching):
    watch = c.watch.key("config/x")
    changes = watching(watch)
    changes.next()
    with pytest.raises(RuntimeError, match="runs once"):
        run_watch(c, watch, lambda index, value: None).result(CALL_TIMEOUT)


def test_prefix_and_keys_watches(c, watching):
    prefix = watching(c.watch.prefix("app/"))
    keys = watching(c.watch.keys("app/", separator="/"))
    assert prefix.next()[1] == []
    assert keys.next()[1] == []
    c.kv.put("app/a", "1")
    assert [e["Key"] for e in prefix.next()[1]] == ["app/a"]
    assert keys.next()[1] == ["app/a"]
    c.kv.put("app/sub/b", "2")
    assert [e["Key"] for e in prefix.next()[1]] == ["app/a", "app/sub/b"]
    assert keys.next()[1] == ["app/a", "app/sub/"]


def test_catalog_watches(c, watching, consul_agent):
    services = watching(c.watch.services())
    nodes = watching(c.watch.nodes())
    assert services.next()[1] == {"consul": []}
    assert [n["Node"] for n in nodes.next()[1]] == [consul_agent.config.node_name]
    c.catalog.register("n2", "10.0.0.2", service={"Service": "db", "Tags": ["primary"]})
    assert services.next()[1] == {"consul": [], "db": ["primary"]}
    assert sorted(n["Node"] for n in nodes.next()[1]) == sorted(
        [consul_agent.config.node_name, "n2"]
    )


def test_service_and_checks_watches(c, watching):
    healthy = watching(c.watch.service("web", passing=True, tag="v1"))
    checks = watching(c.watch.checks("web"))
    critical = watching(c.watch.checks(state="critical"))
    assert healthy.next()[1] == []
    assert checks.next()[1] == []
    assert critical.next()[1] == []
    c.agent.service.register("web", tags=["v1"], check=consul.Check.ttl("30s"))
    # Registered with its TTL check critical: not yet healthy.
    assert [ch["CheckID"] for ch in checks.next()[1]] == ["service:web"]
    assert [ch["CheckID"] for ch in critical.next()[1]] == ["service:web"]
    c.agent.check.ttl_pass("service:web")
    assert [e["Service"]["ID"] for e in healthy.next()[1]] == ["web"]
    assert critical.next()[1] == []


def test_checks_watch_takes_a_service_or_a_state(c):
    with pytest.raises(ValueError, match="not both"):
        c.watch.checks("web", state="passing")
    with pytest.raises(ValueError, match="state must be"):
        c.watch.checks(state="fine")


def test_an_event_watch_delivers_each_event_once(c, watching):
    c.event.fire("deploy", "v1")
    events = watching(c.watch.events("deploy"))
    assert [e["Payload"] for e in events.next()[1]] == [b"v1"]
    c.event.fire("other", "x")
    c.event.fire("deploy", "v2")
    assert [e["Payload"] for e in events.next()[1]] == [b"v2"]
    c.event.fire("deploy", "v3")
    assert [e["Payload"] for e in events.next()[1]] == [b"v3"]


def test_an_agent_service_watch_follows_its_content_hash(c, watching):
    c.agent.service.register("api", port=80)
    changes = watching(c.watch.agent_service("api", backoff=FAST))
    content_hash, service = changes.next()
    assert service["Port"] == 80
    assert content_hash == service["ContentHash"]
    c.agent.service.register("api", port=81)
    assert changes.next()[1]["Port"] == 81
    c.agent.service.deregister("api")
    assert changes.next() == ("", None)
    c.agent.service.register("api", port=82)
    assert changes.next()[1]["Port"] == 82


def test_a_watch_across_an_agent_reset(c, watching, consul_agent):
    """The index goes backwards: the watch resets it and delivers what changed."""
    for n in range(20):
        c.kv.put("config/x", str(n))
    changes = watching(c.watch.key("config/x", wait=0.5))
    high, entry = changes.next()
    assert value(entry) == b"19"
    wait_blocked(consul_agent)
    consul_agent.reset()
    # A read blocked on the old index ends at its wait; the new index is
    # lower: the watch starts over and sees the key gone.
    low, entry = changes.next()
    assert entry is None
    assert low < high
    c.kv.put("config/x", "again")
    assert value(changes.next()[1]) == b"again"


def test_a_watch_backs_off_while_refused_and_recovers(adapter, loops):
    """No agent at the address: the reads fail, backed off; one starts: the watch recovers."""
    errors: queue.Queue[Any] = queue.Queue()
    with DevAgent() as gone:
        host, port = gone.host, gone.port  # a port nothing listens on once it stopped
    agent: DevAgent | None = None
    try:
        with sync_client(adapter, loops(adapter), host=host, port=port, timeout=5) as c:
            watch = c.watch.key("config/x", backoff=FAST, on_error=lambda e, d: errors.put((e, d)))
            changes = Changes(c, watch)
            for _ in range(3):  # refused, and refused again after each backoff
                error, delay = errors.get(timeout=CALL_TIMEOUT)
                assert isinstance(error, consul.ConsulConnectionError)
                assert 0 < delay <= FAST.cap
            assert changes.nothing_more()
            agent = DevAgent(port=port).start()
            assert changes.next()[1] is None  # the first value, once it answers
            c.kv.put("config/x", "after")
            assert value(changes.next()[1]) == b"after"
            changes.stop()
    finally:
        if agent is not None:
            agent.stop()


def test_a_watch_across_an_agent_restart(adapter, loops):
    """The agent stops under the watch and starts again, empty: the watch recovers."""
    errors: queue.Queue[Any] = queue.Queue()
    agent = DevAgent().start()
    port = agent.port
    try:
        with sync_client(adapter, loops(adapter), host=agent.host, port=port) as c:
            c.kv.put("config/x", "before")
            watch = c.watch.key("config/x", backoff=FAST, on_error=lambda e, d: errors.put((e, d)))
            changes = Changes(c, watch)
            assert value(changes.next()[1]) == b"before"
            agent.stop()  # the read in flight ends; the next ones are refused
            error, _ = errors.get(timeout=CALL_TIMEOUT)
            assert isinstance(error, consul.TransportError)
            agent = DevAgent(port=port).start()
            assert changes.next()[1] is None  # a new agent: the key is gone
            c.kv.put("config/x", "after")
            assert value(changes.next()[1]) == b"after"
            changes.stop()
    finally:
        agent.stop()


def test_bad_arguments_are_refused_before_any_io(c):
    with pytest.raises(ValueError, match="key"):
        c.watch.key("")
    with pytest.raises(ValueError, match="consistency"):
        c.watch.prefix("a/", consistency="eventual")
    with pytest.raises(TypeError, match="backoff"):
        c.watch.key("k", backoff=1.0)
    with pytest.raises(ValueError, match="wait"):
        c.watch.nodes(wait="soon")


def test_closing_the_client_ends_its_watches(adapter, loops, consul_agent):
    loop = loops(adapter)
    client = make_client(adapter, loop, host=consul_agent.host, port=consul_agent.port)
    changes = Changes(Sync(client, loop), client.watch.key("config/x", wait="10m"))
    changes.next()
    wait_blocked(consul_agent)
    close_client(client, loop)  # the read in flight is aborted: the watch ends
    assert changes.end.result(CALL_TIMEOUT) is None


def test_a_watch_on_a_python_consul_client(loops, consul_agent):
    """``consul.base.Consul`` on a blocking ``http`` object: a watch is iterated."""
    loop = loops("callback")
    client = make_client("callback", loop, host=consul_agent.host, port=consul_agent.port)
    try:
        c = Sync(client, loop)
        c.kv.put("config/x", "1")
        # Its http object's calls cannot be aborted: a short wait keeps stop() prompt.
        changes = Changes(c, client.watch.key("config/x", wait=0.2))
        assert value(changes.next()[1]) == b"1"
        c.kv.put("config/x", "2")
        assert value(changes.next()[1]) == b"2"
        changes.stop()
        with client.lock("locks/a", lock_delay=0) as lock:
            assert lock.held
    finally:
        close_client(client, loop)


def test_a_lock_on_a_python_consul_client_is_released_while_its_monitor_blocks(loops, consul_agent):
    """Its monitor's blocking read cannot be aborted: giving the lock back ends it."""
    loop = loops("callback")
    client = make_client("callback", loop, host=consul_agent.host, port=consul_agent.port)
    try:
        with client.lock("locks/a", lock_delay=0) as lock:
            assert lock.held
            wait_blocked(consul_agent)  # the monitor's read waits at the agent
        assert not lock.held
    finally:
        close_client(client, loop)


def test_a_watch_on_a_transport_of_ones_own():
    """A transport without fork(): the watch runs on it; stop() takes effect between reads."""
    from consul.transport import MockTransport, respond

    # (X-Consul-Index, value, ModifyIndex): the index moves at 6 for another key.
    answers = iter([(5, "a", 5), (5, "a", 5), (6, "a", 5), (9, "b", 9)])

    def handler(request):
        index, text, modified = next(answers)
        value = base64.b64encode(text.encode()).decode()
        entry = {"Key": "k", "Value": value, "Flags": 0, "LockIndex": 0}
        entry.update(CreateIndex=1, ModifyIndex=modified)
        return respond(request, json=[entry], index=index)

    transport = MockTransport(handler)
    with consul.Consul(transport=transport) as c:
        watch = c.watch.key("k")
        seen = []
        for index, entry in watch:
            seen.append((index, entry["Value"]))
            if len(seen) == 2:
                watch.stop()
    assert seen == [(5, b"a"), (9, b"b")]
    assert [dict(r.params).get("index") for r in transport.requests] == [None, "5", "5", "6"]
