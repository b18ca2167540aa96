"""Fixtures of the embedded agent's own tests (raw HTTP, no client of ours)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import RawHTTP

from consul.testing import DevAgent


@pytest.fixture
def api(consul_agent: DevAgent) -> Iterator[RawHTTP]:
    """Raw HTTP to the (freshly reset) shared agent."""
    with RawHTTP(consul_agent.url) as client:
        yield client


@pytest.fixture
def pool() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    """Threads for requests that must run while the test goes on (blocking queries)."""
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        yield executor


@pytest.fixture
def root(consul_acl_agent: DevAgent) -> Iterator[RawHTTP]:
    """Raw HTTP to the ACL-enabled agent (default ``deny``) with its management token."""
    with RawHTTP(consul_acl_agent.url, consul_acl_agent.management_token) as client:
        yield client


@pytest.fixture
def anon(consul_acl_agent: DevAgent) -> Iterator[RawHTTP]:
    """Raw HTTP to the ACL-enabled agent without a token (the anonymous token)."""
    with RawHTTP(consul_acl_agent.url) as client:
        yield client


@pytest.fixture
def socket_path(socket_dir: Path) -> str:
    """A path for a unix socket (see ``socket_dir``)."""
    return str(socket_dir / "consul.sock")
