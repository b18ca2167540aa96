"""Semaphores through every client, against the embedded agent, in Go's wire format."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from harness import ADAPTERS, CALL_TIMEOUT, RawHTTP, Sync, sync_client

import consul
from consul.recipes import (
    SEMAPHORE_FLAG,
    SemaphoreConflict,
    SemaphoreHeld,
    SemaphoreInUse,
    SemaphoreNotHeld,
)


def semaphore(c: Sync, limit: int = 2, prefix: str = "sem/jobs", **options: Any) -> Sync:
    return c.wrap(c.semaphore(prefix, limit, **options))


def document(c: Sync, prefix: str = "sem/jobs") -> tuple[bytes, int]:
    _, entry = c.kv.get(f"{prefix}/.lock")
    return entry["Value"], entry["Flags"]


def test_slots_up_to_the_limit(c):
    first, second, third = semaphore(c, value="a"), semaphore(c, value="b"), semaphore(c)
    assert first.acquire() is True
    assert second.acquire() is True
    assert third.acquire(timeout=0) is False
    assert third.acquire(timeout=0.2) is False
    waiting = c.wrap(third.unwrapped).start.acquire()
    first.release()
    assert waiting.result(CALL_TIMEOUT) is True
    second.release()
    third.release()
    value, flags = document(c)
    assert (value, flags) == (b'{"Limit":2,"Holders":{}}', SEMAPHORE_FLAG)
    _, keys = c.kv.keys("sem/jobs/")
    assert keys == ["sem/jobs/.lock"]  # every contender key is gone
    _, sessions = c.session.list()
    assert sessions == []


def test_the_wire_format_is_gos(c):
    mine = semaphore(c, value="worker-1")
    mine.acquire()
    session = mine.session_id
    value, flags = document(c)
    assert value == b'{"Limit":2,"Holders":{"' + session.encode() + b'":true}}'
    assert flags == SEMAPHORE_FLAG == 0xE0F69A2BAA414DE0
    _, contender = c.kv.get(f"sem/jobs/{session}")
    assert (contender["Session"], contender["Flags"], contender["Value"]) == (
        session,
        SEMAPHORE_FLAG,
        b"worker-1",
    )
    _, found = c.session.info(session)
    assert (found["Name"], found["TTL"], found["Behavior"]) == (
        "Consul API Semaphore",
        "15s",
        "delete",
    )
    mine.release()


def test_a_go_holder_counts_and_a_dead_one_is_pruned(c, consul_agent):
    """Holders written by Go's api.Semaphore (raw HTTP here) share the slots."""
    with RawHTTP(consul_agent.url) as go:
        alive = go.put("/v1/session/create", json={"Behavior": "delete", "TTL": "15s"}).json()
        alive = alive["ID"]
        go.put(f"/v1/kv/sem/jobs/{alive}?acquire={alive}&flags={SEMAPHORE_FLAG}", data=b"go")
        # A holder whose contender key is gone: its session ended.
        held = {"Limit": 2, "Holders": {alive: True, "0f9a-dead": True}}
        go.put(f"/v1/kv/sem/jobs/.lock?cas=0&flags={SEMAPHORE_FLAG}", data=json.dumps(held))
        mine, other = semaphore(c), semaphore(c)
        assert mine.acquire(timeout=0) is True  # the dead holder's slot
        assert other.acquire(timeout=0) is False  # Go's live holder keeps the other
        holders = json.loads(document(c)[0])["Holders"]
        assert sorted(holders) == sorted([alive, mine.session_id])
        mine.release()


def test_another_limit_or_a_plain_key_conflicts(c):
    c.kv.put("sem/jobs/.lock", json.dumps({"Limit": 5, "Holders": {}}), flags=SEMAPHORE_FLAG)
    with pytest.raises(SemaphoreConflict, match=r"limit conflict \(lock: 5, local: 2\)"):
        semaphore(c).acquire()
    c.kv.put("sem/jobs/.lock", "plain")
    with pytest.raises(SemaphoreConflict, match="does not match semaphore use"):
        semaphore(c).acquire()
    _, keys = c.kv.keys("sem/jobs/")
    assert keys == ["sem/jobs/.lock"]  # the contender keys went with the failure


def test_losing_a_slot_when_the_session_is_destroyed(c):
    lost = []
    mine = semaphore(c, on_lost=lambda: lost.append(True))
    mine.acquire()
    c.session.destroy(mine.session_id)
    assert c.settle(mine.lost) is None
    assert lost == [True]
    assert not mine.held
    mine.release()
    assert json.loads(document(c)[0])["Holders"] == {}


def test_held_not_held_and_destroy(c):
    mine = semaphore(c)
    with pytest.raises(SemaphoreNotHeld, match="Semaphore not held"):
        mine.release()
    mine.acquire()
    with pytest.raises(SemaphoreHeld, match="Semaphore already held"):
        mine.acquire()
    with pytest.raises(SemaphoreHeld):
        mine.destroy()
    with pytest.raises(SemaphoreInUse, match="Semaphore in use"):
        semaphore(c).destroy()
    mine.release()
    semaphore(c).destroy()
    _, keys = c.kv.keys("sem/jobs/")
    assert keys == []


def test_bad_arguments_are_refused_before_any_io(c):
    with pytest.raises(ValueError, match="limit"):
        c.semaphore("sem/jobs", 0)
    with pytest.raises(TypeError, match="limit"):
        c.semaphore("sem/jobs", "2")
    with pytest.raises(ValueError, match="prefix"):
        c.semaphore("", 2)


def test_the_limit_holds_with_holders_on_all_five_loops(consul_agent, loops):
    limit, rounds = 2, 3
    guard = threading.Lock()
    inside: list[str] = []
    most: list[int] = []
    errors: list[BaseException] = []

    def contend(adapter: str) -> None:
        try:
            with sync_client(
                adapter, loops(adapter), host=consul_agent.host, port=consul_agent.port
            ) as c:
                mine = c.wrap(c.semaphore("sem/pool", limit))
                for _ in range(rounds):
                    assert mine.acquire() is True
                    with guard:
                        inside.append(adapter)
                        most.append(len(inside))
                    _, entry = c.kv.get("sem/pool/.lock")
                    holders = json.loads(entry["Value"])["Holders"]
                    assert mine.session_id in holders
                    assert len(holders) <= limit
                    time.sleep(0.01)  # hold the slot a moment, so that holders overlap
                    with guard:
                        inside.remove(adapter)
                    mine.release()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(a,)) for a in ADAPTERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert max(most) <= limit
    assert len(most) == rounds * len(ADAPTERS)
    with consul.Consul(host=consul_agent.host, port=consul_agent.port) as c:
        _, entry = c.kv.get("sem/pool/.lock")
    assert json.loads(entry["Value"]) == {"Limit": limit, "Holders": {}}
