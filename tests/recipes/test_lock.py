"""Locks through every client, against the embedded agent.

Locks use short lock-delays here (Consul's default is 15s): losing a lock by
destroying its session makes the key unlockable for that long.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

import pytest
from harness import ADAPTERS, CALL_TIMEOUT, Sync, sync_client

import consul
from consul.recipes import LOCK_FLAG, LockConflict, LockHeld, LockInUse, LockNotHeld


def lock(c: Sync, key: str = "locks/a", **options: Any) -> Sync:
    """A lock of ``c``'s client, whose calls run like the client's."""
    options.setdefault("lock_delay", 0)
    return c.wrap(c.lock(key, **options))


def test_acquire_and_release(c):
    mine = lock(c, value="me")
    assert mine.acquire() is True
    assert mine.held
    _, entry = c.kv.get("locks/a")
    assert entry["Session"] == mine.session_id
    assert (entry["Flags"], entry["Value"]) == (LOCK_FLAG, b"me")
    assert mine.release() is None
    assert not mine.held
    _, entry = c.kv.get("locks/a")
    assert "Session" not in entry
    # Released as Go releases: the value and the flag stay with the key.
    assert (entry["Flags"], entry["Value"]) == (LOCK_FLAG, b"me")
    # Our session is gone with it.
    _, sessions = c.session.list()
    assert sessions == []


def test_a_held_lock_excludes_another_handle(c):
    mine, theirs = lock(c), lock(c, lock_wait=0.2)
    assert mine.acquire() is True
    assert theirs.acquire(timeout=0) is False
    started = time.monotonic()
    assert theirs.acquire(timeout=0.3) is False
    assert time.monotonic() - started >= 0.3
    # Each failed attempt destroyed the session it had made for itself.
    _, sessions = c.session.list()
    assert [s["ID"] for s in sessions] == [mine.session_id]
    waiting = c.wrap(theirs.unwrapped).start.acquire()
    mine.release()
    assert waiting.result(CALL_TIMEOUT) is True
    assert theirs.held
    theirs.release()


def test_acquire_twice_and_release_of_nothing_are_refused(c):
    mine = lock(c)
    with pytest.raises(LockNotHeld, match="Lock not held"):
        mine.release()
    mine.acquire()
    with pytest.raises(LockHeld, match="Lock already held"):
        mine.acquire()
    mine.release()


def test_a_key_that_is_not_a_lock_conflicts(c):
    c.kv.put("locks/a", "plain value")
    with pytest.raises(LockConflict, match="Existing key does not match lock use"):
        lock(c).acquire()
    _, sessions = c.session.list()
    assert sessions == []


def test_losing_the_lock_when_its_session_is_destroyed(c):
    lost = []
    mine = lock(c, on_lost=lambda: lost.append(True))
    mine.acquire()
    c.session.destroy(mine.session_id)
    assert c.settle(mine.lost) is None
    assert lost == [True]
    assert not mine.held
    # Released all the same, without error.
    mine.release()
    _, entry = c.kv.get("locks/a")
    assert "Session" not in entry


def test_losing_the_lock_when_the_key_is_deleted(c):
    mine = lock(c)
    mine.acquire()
    c.kv.delete("locks/a")
    assert c.settle(mine.lost) is None
    assert not mine.held
    mine.release()


def test_a_lock_delay_is_waited_out(c):
    first = lock(c, lock_delay=0.3)
    first.acquire()
    c.session.destroy(first.session_id)
    c.settle(first.lost)
    # The key is free but unlockable for 0.3s: the next acquire waits that out.
    second = lock(c, lock_retry=0.05)
    assert second.acquire(timeout=0) is False
    assert second.acquire(timeout=CALL_TIMEOUT) is True
    second.release()
    first.release()


def test_hold_with_a_session_of_ones_own(c):
    session_id = c.session.create(ttl=30, lock_delay=0)
    mine = lock(c, session=session_id)
    assert mine.acquire() is True
    assert mine.session_id == session_id
    mine.release()
    # The session is the caller's: it is not destroyed.
    _, found = c.session.info(session_id)
    assert found is not None


def test_destroy(c):
    mine = lock(c)
    mine.acquire()
    with pytest.raises(LockHeld):
        mine.destroy()
    other = lock(c)
    with pytest.raises(LockInUse, match="Lock in use"):
        other.destroy()
    mine.release()
    other.destroy()
    assert c.kv.get("locks/a") == (c.kv.get("locks/a")[0], None)
    other.destroy()  # nothing to destroy: no error
    c.kv.put("locks/a", "plain")
    with pytest.raises(LockConflict):
        other.destroy()


def test_bad_arguments_are_refused_before_any_io(c):
    with pytest.raises(ValueError, match="key"):
        c.lock("/leading-slash")
    with pytest.raises(ValueError, match="lock_wait"):
        c.lock("k", lock_wait=0)
    with pytest.raises(ValueError, match="monitor_retries"):
        c.lock("k", monitor_retries=-1)
    with pytest.raises(ValueError, match="ttl"):
        c.lock("k", session_ttl="forever")
    with pytest.raises(ValueError, match="timeout"):
        lock(c).acquire(timeout=-1)


def test_lock_as_a_context_manager(c, adapter):
    client = c.unwrapped

    if adapter in ("std", "threadpool"):

        def scenario() -> Any:
            with client.lock("locks/cm", value="in", lock_delay=0) as held:
                read = client.kv.get("locks/cm")
                inside = (held.held, read.result() if adapter == "threadpool" else read)
            return inside, held.held

    else:

        async def scenario() -> Any:
            async with client.lock("locks/cm", value="in", lock_delay=0) as held:
                inside = (held.held, await client.kv.get("locks/cm"))
            return inside, held.held

    (held_inside, (_, entry)), held_after = c.loop.submit(scenario).result(CALL_TIMEOUT)
    assert held_inside
    assert not held_after
    assert entry["Value"] == b"in"
    assert entry["Session"]


def test_the_wrong_context_manager_is_refused(c, adapter):
    handle = c.lock("locks/cm")
    if adapter in ("std", "threadpool"):
        with pytest.raises(TypeError, match="'with'"):
            asyncio.run(_async_enter(handle))
    else:
        with pytest.raises(TypeError, match="'async with'"):
            c.loop.submit(handle.__enter__).result(CALL_TIMEOUT)


async def _async_enter(handle: Any) -> None:
    async with handle:
        pass


def test_mutual_exclusion_across_all_five_loops(consul_agent, loops):
    """Holders on all five clients at once: a counter guarded by the lock ends exact."""
    rounds = 4
    held: list[tuple[float, float, str]] = []
    errors: list[BaseException] = []

    def contend(adapter: str) -> None:
        try:
            with sync_client(
                adapter, loops(adapter), host=consul_agent.host, port=consul_agent.port
            ) as c:
                mine = c.wrap(c.lock("locks/counter", lock_delay=0))
                for _ in range(rounds):
                    assert mine.acquire() is True
                    start = time.monotonic()
                    _, entry = c.kv.get("locks/counter")
                    assert entry["Session"] == mine.session_id  # the key says it is ours
                    _, count = c.kv.get("counter")
                    value = int(count["Value"]) if count else 0
                    c.kv.put("counter", str(value + 1))
                    held.append((start, time.monotonic(), adapter))
                    mine.release()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(a,)) for a in ADAPTERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with consul.Consul(host=consul_agent.host, port=consul_agent.port) as c:
        _, count = c.kv.get("counter")
    assert int(count["Value"]) == rounds * len(ADAPTERS)
    spans = sorted(held)
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        assert end <= start, f"{first} and {second} held the lock at once"
    assert {adapter for _, _, adapter in held} == set(ADAPTERS)


def test_a_go_lock_and_ours_exclude_each_other(c, consul_agent):
    """A lock taken as Go's ``api.Lock`` takes it (raw HTTP) keeps ours out, and back."""
    from harness import RawHTTP

    with RawHTTP(consul_agent.url) as go:
        session = go.put("/v1/session/create", json={"Name": "Consul API Lock", "TTL": "15s"})
        go_session = session.json()["ID"]
        taken = go.put(f"/v1/kv/locks/a?acquire={go_session}&flags={LOCK_FLAG}", data=b"go")
        assert taken.json() is True
        mine = lock(c, lock_wait=0.1)
        assert mine.acquire(timeout=0) is False
        released = go.put(f"/v1/kv/locks/a?release={go_session}&flags={LOCK_FLAG}", data=b"go")
        assert released.json() is True
        assert mine.acquire(timeout=0) is True
        refused = go.put(f"/v1/kv/locks/a?acquire={go_session}&flags={LOCK_FLAG}", data=b"go")
        assert refused.json() is False
        mine.release()


def test_our_session_is_gos_lock_session(c):
    mine = lock(c, lock_delay=15)
    mine.acquire()
    _, session = c.session.info(mine.session_id)
    assert (session["Name"], session["TTL"], session["Behavior"]) == (
        "Consul API Lock",
        "15s",
        "release",
    )
    assert session["LockDelay"] == 15_000_000_000
    mine.release()
