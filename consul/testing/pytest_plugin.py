"""pytest fixtures that give each test an embedded Consul agent.

Installed with the package (entry point ``pytest11``), so the fixtures are
there in any test suite without configuration. Loading the plugin imports
nothing but pytest: the agent and its HTTP libraries load when a fixture is first used.

- ``consul_agent``: a :class:`~consul.testing.DevAgent` shared by the whole
  session, reset to a fresh state before each test that uses it.
- ``consul_acl_agent``: the same with ACLs enabled and the default policy
  ``deny``; its ``management_token`` is the initial management token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from consul import testing

if TYPE_CHECKING:
    from .agent import DevAgent


@pytest.fixture(scope="session")
def consul_agent_session() -> Iterator[DevAgent]:
    """One embedded agent for the whole test session (state is shared)."""
    with testing.DevAgent() as agent:
        yield agent


@pytest.fixture
def consul_agent(consul_agent_session: DevAgent) -> DevAgent:
    """The session's embedded agent, reset to a fresh state for this test."""
    consul_agent_session.reset()
    return consul_agent_session


@pytest.fixture(scope="session")
def consul_acl_agent_session() -> Iterator[DevAgent]:
    """One ACL-enabled embedded agent (default policy ``deny``) for the session."""
    with testing.DevAgent(
        acl_initial_management=str(uuid.uuid4()), acl_default_policy="deny"
    ) as agent:
        yield agent


@pytest.fixture
def consul_acl_agent(consul_acl_agent_session: DevAgent) -> DevAgent:
    """The session's ACL-enabled agent, reset to a fresh state for this test.

    ``consul_acl_agent.management_token`` is its initial management token.
    """
    consul_acl_agent_session.reset()
    return consul_acl_agent_session
