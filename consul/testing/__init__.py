"""An embedded Consul-compatible agent for quick starts and tests.

:class:`DevAgent` runs an in-memory agent that behaves like
``consul agent -dev``; ``python -m consul.testing`` runs one from the command
line, and the pytest plugin offers fixtures. Importing this package is cheap:
the agent (and its HTTP libraries) load on first use of :class:`DevAgent`, so that
pytest can load the plugin in every test session at no cost.

The agent is built in three layers, data flowing one way:
:mod:`consul.testing.state` (the stores, pure Python) <-
:mod:`consul.testing.http` (the server and the handlers) <- :mod:`.agent`
(:class:`DevAgent`), the command line and the pytest plugin.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agent import DevAgent
    from .state.config import AgentConfig

__all__ = ["AgentConfig", "DevAgent"]

#: Where each public name is defined, imported when first asked for.
_HOMES = {"DevAgent": "consul.testing.agent", "AgentConfig": "consul.testing.state.config"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
