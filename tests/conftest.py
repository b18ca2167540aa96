"""Fixtures shared by the whole suite.

``c`` is a client of each of the five adapters in turn (tests using it run
five times), connected to a freshly reset embedded agent (``consul_agent``,
from our own pytest plugin). ``connect`` makes more such clients, for other
tokens or settings.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from harness import ADAPTERS, AsyncioThread, Futures, Inline, Loop, ReactorThread, Sync, sync_client

from consul.testing import DevAgent


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's CONSUL_* variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("CONSUL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A directory for unix sockets, with a short path (at most ~100 bytes are allowed)."""
    with tempfile.TemporaryDirectory(prefix="consul-") as name:
        yield Path(name)


@pytest.fixture(scope="session")
def loops() -> Iterator[Callable[[str], Loop]]:
    """The loop each adapter's calls run in, made on first use."""
    made: dict[str, Loop] = {}
    kinds: dict[str, Callable[[], Loop]] = {
        "std": Inline,
        "callback": Inline,
        "threadpool": Futures,
        "aio": AsyncioThread,
        "tornado": AsyncioThread,
        "twisted": ReactorThread,
    }

    def get(adapter: str) -> Loop:
        if adapter not in made:
            made[adapter] = kinds[adapter]()
        return made[adapter]

    yield get
    for loop in made.values():
        loop.close()


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    """Each adapter in turn."""
    return str(request.param)


@pytest.fixture
def connect(
    adapter: str, loops: Callable[[str], Loop], consul_agent: DevAgent
) -> Iterator[Callable[..., Sync]]:
    """Make a client of this test's adapter (default: to ``consul_agent``)."""
    with ExitStack() as stack:

        def make(agent: DevAgent | None = None, **kwargs: Any) -> Sync:
            agent = agent or consul_agent
            kwargs.setdefault("host", agent.host)
            kwargs.setdefault("port", agent.port)
            return stack.enter_context(sync_client(adapter, loops(adapter), **kwargs))

        yield make


@pytest.fixture
def c(connect: Callable[..., Sync]) -> Sync:
    """A client of this test's adapter, connected to a fresh agent."""
    return connect()
