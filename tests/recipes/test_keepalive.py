"""Session keep-alive, kept-alive registrations and leader election, through every client.

The keep-alive tests use an agent of their own whose ``session_ttl_min`` is
0.1s (Consul's default minimum is 10s), so that a session outlives several
of its TTLs within a test only if it is renewed.

The TTLs leave room for a loaded machine: a renewal comes every TTL/2, and
a session ends 2 x TTL after the last one, a check 1 x TTL after the last
heartbeat; the tests fail if a renewal is late by more than that slack.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from harness import CALL_TIMEOUT, Sync, wait_until

from consul.testing import DevAgent

#: The TTL of the sessions kept alive: the agent ends them after twice that
#: (0.75 s of slack for each renewal).
TTL = 0.5

#: The TTL of the check of a service kept registered: it turns critical after
#: that (0.5 s of slack for each heartbeat).
CHECK_TTL = 1.0


@pytest.fixture(scope="module")
def short_ttl_agent() -> Iterator[DevAgent]:
    with DevAgent(session_ttl_min=0.1) as agent:
        yield agent


@pytest.fixture
def s(connect: Callable[..., Sync], short_ttl_agent: DevAgent) -> Sync:
    """A client of this test's adapter to the short-TTL agent (reset)."""
    short_ttl_agent.reset()
    return connect(short_ttl_agent)


def outlive(c: Sync, session_id: str, ttls: int = 3) -> None:
    """Wait ``ttls`` TTLs while checking that the session lives on."""
    deadline = time.monotonic() + ttls * TTL
    while time.monotonic() < deadline:
        assert c.session.info(session_id)[1] is not None
        time.sleep(TTL / 4)  # the time the session must outlive, in steps


def test_a_session_kept_alive_outlives_its_ttl_and_is_destroyed_after(s):
    keeper = s.wrap(s.session.keep_alive(ttl=TTL, name="worker"))
    session_id = keeper.call("start")
    assert keeper.session_id == session_id
    assert keeper.alive
    _, found = s.session.info(session_id)
    assert (found["Name"], found["TTL"]) == ("worker", "500ms")
    outlive(s, session_id)
    keeper.stop()
    assert not keeper.alive
    assert s.session.info(session_id)[1] is None


def test_keeping_alive_a_session_of_ones_own(s):
    session_id = s.session.create(ttl=TTL)
    keeper = s.wrap(s.session.keep_alive(session_id, destroy=False))
    assert keeper.call("start") == session_id  # its TTL read from the session
    outlive(s, session_id)
    keeper.stop()
    assert s.session.info(session_id)[1] is not None  # not destroyed: asked not to
    s.session.destroy(session_id)


def test_a_session_destroyed_elsewhere_is_lost(s):
    lost = []
    keeper = s.wrap(s.session.keep_alive(ttl=TTL, on_lost=lambda: lost.append(True)))
    session_id = keeper.call("start")
    s.session.destroy(session_id)
    assert s.settle(keeper.lost) is None
    assert lost == [True]
    assert not keeper.alive
    keeper.stop()


def test_an_unrenewed_session_ends(s):
    """What the keep-alive is for: without it the agent ends the session."""
    session_id = s.session.create(ttl=TTL)
    wait_until(lambda: s.session.info(session_id)[1] is None)


def test_a_service_kept_registered(c, adapter):
    registration = c.wrap(
        c.agent.service.keep_registered("web", "web-1", ttl=CHECK_TTL, port=80, notes="alive")
    )
    registration.call("start")
    assert registration.registered
    _, checks = c.health.checks("web")
    assert [(ch["CheckID"], ch["Status"], ch["Output"]) for ch in checks] == [
        ("service:web-1", "passing", "alive")
    ]
    # The agent forgets it (a restart would): the heartbeat registers it again.
    c.agent.service.deregister("web-1")
    wait_until(lambda: [ch["Status"] for ch in c.health.checks("web")[1]] == ["passing"])
    # The check stays passing for many TTLs.
    deadline = time.monotonic() + 3 * CHECK_TTL
    while time.monotonic() < deadline:
        assert [ch["Status"] for ch in c.health.checks("web")[1]] == ["passing"]
        time.sleep(CHECK_TTL / 4)
    registration.stop()
    assert not registration.registered
    assert c.agent.services() == {}


def test_a_kept_registration_as_a_context_manager(c, adapter):
    client = c.unwrapped
    if adapter in ("std", "threadpool"):

        def scenario() -> Any:
            with client.agent.service.keep_registered("db", ttl=10):
                services = client.agent.services()
                return services.result() if adapter == "threadpool" else services

    else:

        async def scenario() -> Any:
            async with client.agent.service.keep_registered("db", ttl=10):
                return await client.agent.services()

    inside = c.loop.submit(scenario).result(CALL_TIMEOUT)
    assert list(inside) == ["db"]
    assert c.agent.services() == {}


def test_leader_election(c):
    changes: queue.Queue[tuple[str, bool]] = queue.Queue()

    def candidate(name: str) -> Sync:
        return c.wrap(
            c.election(
                "service/leader",
                value=name,
                lock_delay=0,
                on_elected=lambda: changes.put((name, True)),
                on_lost=lambda: changes.put((name, False)),
            )
        )

    one, two = candidate("one"), candidate("two")
    one.call("start")
    assert changes.get(timeout=CALL_TIMEOUT) == ("one", True)
    assert one.leader
    assert one.leader_value() == b"one"
    two.call("start")
    assert not two.leader
    one.stop()  # resigns: the other is elected (each told on its own thread or task)
    told = {changes.get(timeout=CALL_TIMEOUT), changes.get(timeout=CALL_TIMEOUT)}
    assert told == {("one", False), ("two", True)}
    assert two.leader
    assert not one.leader
    assert two.leader_value() == b"two"
    # The leader loses its session: it is told, and elected again once the
    # campaign made itself a new session.
    _, entry = c.kv.get("service/leader")
    c.session.destroy(entry["Session"])
    assert changes.get(timeout=CALL_TIMEOUT) == ("two", False)
    assert changes.get(timeout=CALL_TIMEOUT) == ("two", True)
    two.stop()
    assert changes.get(timeout=CALL_TIMEOUT) == ("two", False)
    assert two.leader_value() is None
    _, sessions = c.session.list()
    assert sessions == []
