"""Every client against the embedded agent served on a unix socket, end to end.

The agent listens on ``unix:///path`` (Consul's ``addresses.http``), the
client is given that address as its host (as ``CONSUL_HTTP_ADDR`` would give
it): reads, writes, a blocking query woken by a write, and the keep-alive
connection between them all go through the socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import sync_client, wait_blocked

from consul.testing import DevAgent


@pytest.fixture
def unix_agent(socket_dir: Path) -> Iterator[DevAgent]:
    with DevAgent(host=f"unix://{socket_dir / 'consul.sock'}") as agent:
        yield agent


def test_a_client_through_the_agents_socket(adapter, loops, unix_agent):
    with sync_client(adapter, loops(adapter), host=unix_agent.http_addr) as c:
        assert c.status.leader() == "127.0.0.1:8300"
        assert c.kv.put("unix/k", b"one") is True
        index, entry = c.kv.get("unix/k")
        assert entry["Value"] == b"one"
        woken = c.start.kv.get("unix/k", index=index, wait="30s")
        wait_blocked(unix_agent)  # parked in the agent before the write wakes it
        assert c.kv.put("unix/k", b"two") is True
        new_index, entry = woken.result(30)
        assert new_index > index
        assert entry["Value"] == b"two"
