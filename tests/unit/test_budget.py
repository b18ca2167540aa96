"""The budget of the asyncio and Tornado clients: so many calls at once, the others in turn."""

from __future__ import annotations

import asyncio

import pytest

from consul.adapters._budget import Budget


async def _call(budget: Budget, log: list[str], name: str, release: asyncio.Event) -> None:
    if (turn := budget.take()) is not None:
        await budget.wait(turn)
    try:
        log.append(name)
        await release.wait()
    finally:
        budget.give()


@pytest.mark.asyncio
async def test_turns_are_taken_in_order():
    budget, log = Budget(2), []
    releases = {name: asyncio.Event() for name in "abcd"}
    tasks = {name: asyncio.create_task(_call(budget, log, name, releases[name])) for name in "abcd"}
    await asyncio.sleep(0)
    assert log == ["a", "b"]
    releases["b"].set()
    await tasks["b"]
    await asyncio.sleep(0)
    assert log == ["a", "b", "c"]
    for name in "acd":
        releases[name].set()
    await asyncio.gather(*tasks.values())
    assert log == ["a", "b", "c", "d"]
    # Every turn is back: two at once again, without waiting.
    assert budget.take() is None
    assert budget.take() is None
    assert budget.take() is not None


@pytest.mark.asyncio
async def test_a_cancelled_waiter_gives_up_its_place():
    budget, log = Budget(1), []
    releases = {name: asyncio.Event() for name in "abc"}
    tasks = {name: asyncio.create_task(_call(budget, log, name, releases[name])) for name in "abc"}
    await asyncio.sleep(0)
    tasks["b"].cancel()
    releases["a"].set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert log == ["a", "c"]
    releases["c"].set()
    await tasks["c"]
    with pytest.raises(asyncio.CancelledError):
        await tasks["b"]
    assert budget.take() is None


@pytest.mark.asyncio
async def test_a_turn_handed_to_a_waiter_cancelled_meanwhile_goes_on():
    budget, log = Budget(1), []
    releases = {name: asyncio.Event() for name in "bc"}
    assert budget.take() is None  # the test holds the only turn
    tasks = {name: asyncio.create_task(_call(budget, log, name, releases[name])) for name in "bc"}
    await asyncio.sleep(0)
    budget.give()  # hands it to b, which has not run since
    tasks["b"].cancel()
    with pytest.raises(asyncio.CancelledError):
        await tasks["b"]
    await asyncio.sleep(0)
    assert log == ["c"]
    releases["c"].set()
    await tasks["c"]
    assert budget.take() is None
    assert budget.take() is not None
