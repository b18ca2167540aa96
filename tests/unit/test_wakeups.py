"""The wake-ups of blocking queries (``consul.testing.state.wakeups``), without a server."""

from __future__ import annotations

import asyncio
import time

import pytest

from consul.testing.state.wakeups import Waiter, Wakeups


class Recorder(Waiter):
    """A waiter that records how it was released, and says so through a future."""

    __slots__ = ("batches", "calls", "released")

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bool] = []
        self.batches: list[dict[object, object]] = []
        self.released: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def woken(self, changed: bool, batch: dict[object, object]) -> None:
        self.calls.append(changed)
        self.batches.append(batch)
        if not self.released.done():
            self.released.set_result(None)


def later(seconds: float = 60.0) -> float:
    return time.monotonic() + seconds


@pytest.mark.asyncio
async def test_a_change_wakes_waiters_after_the_writers_own_step():
    wakeups = Wakeups()
    first, second = Recorder(), Recorder()
    assert wakeups.add(first, later())
    assert wakeups.add(second, later())
    assert len(wakeups) == 2
    wakeups.notify()
    # Released at once, called back only once the writer's step is over.
    assert len(wakeups) == 0
    assert first.calls == second.calls == []
    await asyncio.gather(first.released, second.released)
    assert first.calls == second.calls == [True]
    # Released together: one batch for them to share what they compute alike.
    assert first.batches[0] is second.batches[0]


@pytest.mark.asyncio
async def test_a_waiter_is_released_at_its_deadline():
    wakeups = Wakeups()
    waiter = Recorder()
    started = time.monotonic()
    assert wakeups.add(waiter, later(0.05))
    await waiter.released
    assert time.monotonic() - started >= 0.04
    assert waiter.calls == [False]
    assert len(wakeups) == 0


@pytest.mark.asyncio
async def test_closed_wakeups_release_their_waiters_and_take_no_more():
    wakeups = Wakeups()
    waiter = Recorder()
    wakeups.add(waiter, later())
    wakeups.close()
    await waiter.released
    assert waiter.calls == [False]
    assert not wakeups.add(Recorder(), later())
    assert len(wakeups) == 0


@pytest.mark.asyncio
async def test_a_deadline_already_past_registers_nothing():
    wakeups = Wakeups()
    assert not wakeups.add(Recorder(), time.monotonic() - 1)
    assert len(wakeups) == 0


@pytest.mark.asyncio
async def test_a_discarded_waiter_is_never_called_back():
    wakeups = Wakeups()
    gone, staying = Recorder(), Recorder()
    wakeups.add(gone, later(0.01))
    wakeups.add(staying, later())
    wakeups.discard(gone)
    assert len(wakeups) == 1
    wakeups.discard(gone)  # twice is harmless
    wakeups.notify()
    await staying.released
    # Past the discarded one's deadline too: its timer was cancelled.
    expired = Recorder()
    wakeups.add(expired, later(0.05))
    await expired.released
    assert gone.calls == []
    assert staying.calls == [True]


@pytest.mark.asyncio
async def test_waiters_are_released_each_at_its_own_deadline():
    wakeups = Wakeups()
    late, early = Recorder(), Recorder()
    wakeups.add(late, later(0.3))
    wakeups.add(early, later(0.02))
    await early.released
    assert (early.calls, late.calls, len(wakeups)) == ([False], [], 1)
    await late.released
    assert late.calls == [False]


@pytest.mark.asyncio
async def test_many_discarded_waiters_leave_the_others_waiting():
    wakeups = Wakeups()
    gone = [Recorder() for _ in range(10)]
    for waiter in gone:
        wakeups.add(waiter, later(0.01))
    staying = Recorder()
    wakeups.add(staying, later(0.05))
    for waiter in gone:
        wakeups.discard(waiter)
    assert len(wakeups) == 1
    await staying.released
    assert staying.calls == [False]
    assert [waiter.calls for waiter in gone] == [[]] * 10


@pytest.mark.asyncio
async def test_each_release_has_a_batch_of_its_own():
    wakeups = Wakeups()
    first = Recorder()
    wakeups.add(first, later())
    wakeups.notify()
    await first.released
    second = Recorder()
    wakeups.add(second, later())
    wakeups.notify()
    await second.released
    assert first.batches[0] is not second.batches[0]


@pytest.mark.asyncio
async def test_waiters_alike_get_one_token_until_they_are_released():
    wakeups = Wakeups()
    token = wakeups.alike(("GET", "/v1/kv/k?index=5"), {"X-Consul-Token": "a"})
    # Equal keys and details, compared by value: the same object.
    assert wakeups.alike(("GET", "/v1/kv/k?index=5"), {"X-Consul-Token": "a"}) is token
    others = {
        wakeups.alike(("GET", "/v1/kv/k?index=6"), {"X-Consul-Token": "a"}),
        wakeups.alike(("GET", "/v1/kv/k?index=5"), {"X-Consul-Token": "b"}),
    }
    assert token not in others
    assert len(others) == 2
    waiter = Recorder()
    wakeups.add(waiter, later())
    wakeups.notify()
    await waiter.released
    # A release ends them: who waits next is told apart afresh.
    assert wakeups.alike(("GET", "/v1/kv/k?index=5"), {"X-Consul-Token": "a"}) is not token


@pytest.mark.asyncio
async def test_tokens_are_forgotten_with_the_last_waiter():
    wakeups = Wakeups()
    token = wakeups.alike("key", "detail")
    waiter = Recorder()
    wakeups.add(waiter, later())
    assert wakeups.alike("key", "detail") is token
    wakeups.discard(waiter)
    assert wakeups.alike("key", "detail") is not token
    expiring = Recorder()
    token = wakeups.alike("key", "detail")
    wakeups.add(expiring, later(0.01))
    await expiring.released
    assert expiring.calls == [False]
    assert wakeups.alike("key", "detail") is not token
