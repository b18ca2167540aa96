"""``/v1/event``: user events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._server import Routes

if TYPE_CHECKING:
    from .._agent import AgentCore

routes = Routes()


class EventBuffer:
    """(To be written.)"""

    def __init__(self, agent: AgentCore) -> None:
        self.agent = agent
