"""``/v1/agent``: the agent's own services and checks, and the agent itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._server import Routes

if TYPE_CHECKING:
    from .._agent import AgentCore

routes = Routes()


class LocalAgent:
    """(To be written.)"""

    def __init__(self, agent: AgentCore) -> None:
        self.agent = agent

    def bootstrap(self) -> None:
        """Set up a fresh agent's local state."""

    def close(self) -> None:
        """Stop the check runners and timers."""
