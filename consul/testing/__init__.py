"""An embedded Consul-compatible agent for quick starts and tests.

:class:`DevAgent` runs an in-memory agent that behaves like
``consul agent -dev``; ``python -m consul.testing`` runs one from the command
line, and the pytest plugin offers fixtures. Importing this package is cheap:
the agent (and aiohttp) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._agent import DevAgent
    from ._config import AgentConfig

__all__ = ["AgentConfig", "DevAgent"]


def __getattr__(name: str) -> Any:
    if name == "DevAgent":
        from ._agent import DevAgent

        return DevAgent
    if name == "AgentConfig":
        from ._config import AgentConfig

        return AgentConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
