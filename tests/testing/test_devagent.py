"""Starting and stopping the embedded agent."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import time

import aiohttp
import pytest
import requests
from harness import wait_blocked

from consul.testing import DevAgent


def leader(agent: DevAgent) -> str:
    return requests.get(f"{agent.url}/v1/status/leader", timeout=10).json()


def test_sync_context_manager_starts_fast_and_stops():
    DevAgent().start().stop()  # the first start pays for the imports
    started = time.perf_counter()
    with DevAgent() as agent:
        elapsed = time.perf_counter() - started
        assert agent.running
        assert leader(agent) == "127.0.0.1:8300"
    assert not agent.running
    assert elapsed < 1.0, f"start-up took {elapsed:.3f}s"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{agent._port}/v1/status/leader", timeout=10)


def test_async_context_manager_runs_in_the_current_loop():
    async def main() -> str:
        async with (
            DevAgent() as agent,
            aiohttp.ClientSession() as session,
            session.get(f"{agent.url}/v1/status/leader") as response,
        ):
            return await response.json()

    assert asyncio.run(main()) == "127.0.0.1:8300"


def test_sync_agent_started_from_inside_a_running_loop():
    async def main() -> str:
        with DevAgent() as agent:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{agent.url}/v1/status/leader") as response,
            ):
                return await response.json()

    assert asyncio.run(main()) == "127.0.0.1:8300"


def test_port_in_use_is_an_error_and_leaves_nothing_running():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        agent = DevAgent(port=taken.getsockname()[1])
        with pytest.raises(OSError, match="address already in use"):
            agent.start()
        assert not agent.running


def test_start_twice_is_refused_and_stop_is_idempotent():
    agent = DevAgent().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            agent.start()
    finally:
        agent.stop()
    agent.stop()


def test_leave_stops_the_agent_gracefully_and_it_can_start_again():
    agent = DevAgent().start()
    try:
        agent.run(lambda core: core.on_leave())
        assert agent.wait(10)
        assert not agent.running
        agent.start()
        assert leader(agent) == "127.0.0.1:8300"
    finally:
        agent.stop()


def test_leave_in_the_current_loop_ends_stopped():
    async def main() -> bool:
        agent = await DevAgent().start_async()
        agent.core.on_leave()
        await asyncio.wait_for(agent.stopped(), 10)
        return agent.running

    assert asyncio.run(main()) is False


def test_reset_is_cheap_and_forgets_state(consul_agent):
    requests.put(f"{consul_agent.url}/v1/event/fire/x", timeout=10)
    started = time.perf_counter()
    consul_agent.reset()
    assert time.perf_counter() - started < 0.5
    assert requests.get(f"{consul_agent.url}/v1/event/list", timeout=10).json() == []


def test_reset_releases_blocked_queries(consul_agent):
    url = f"{consul_agent.url}/v1/event/list?index=1&wait=1m"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, url, timeout=30)
        wait_blocked(consul_agent, events=True)
        consul_agent.reset()
        assert pending.result(10).json() == []


def test_stop_releases_blocked_queries():
    agent = DevAgent().start()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            requests.get, f"{agent.url}/v1/event/list?index=1&wait=1m", timeout=30
        )
        wait_blocked(agent, events=True)
        agent.stop()
        assert pending.result(10).status_code == 200


def test_extra_datacenters_each_have_their_own_state():
    with DevAgent(extra_datacenters=("dc2",)) as agent, requests.Session() as http:
        assert http.put(f"{agent.url}/v1/kv/k?dc=dc2", data=b"2").json() is True
        assert http.get(f"{agent.url}/v1/kv/k").status_code == 404
        assert http.get(f"{agent.url}/v1/kv/k?dc=dc2").status_code == 200
        assert http.get(f"{agent.url}/v1/kv/k?dc=dc3").text == "No path to datacenter"


def test_put_agent_leave_answers_then_stops_the_agent():
    agent = DevAgent().start()
    try:
        response = requests.put(f"{agent.url}/v1/agent/leave", timeout=10)
        assert response.status_code == 200
        assert agent.wait(10)
        assert not agent.running
    finally:
        agent.stop()
