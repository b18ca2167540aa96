"""What a runner offers the recipes, beyond running a call or a flow to its end.

Each adapter's runner has a ``flows`` attribute (``consul/adapters/_drive.py``
makes it) that iterates over what a flow delivers, starts a flow in the
background, and makes futures of its loop. The recipes
(``consul/recipes/``) use nothing else of the adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ._http import Flow

__all__ = ["Flows", "OnDeliver", "OnEnd", "Resolve", "Task"]

#: What a background flow's owner hears when it ends: its result, or what
#: ended it.
OnEnd = Callable[[Any, BaseException | None], object]
#: Where a flow's delivered values go; what it returns may be waited for.
OnDeliver = Callable[[Any], object]
#: Resolves a future of the loop with a result, or an exception.
Resolve = Callable[[Any, BaseException | None], None]


class Task(Protocol):
    """A flow running in the background (on a thread, or as a task of the loop)."""

    def stop(self) -> None:
        """Stop it: its step in flight is aborted, ``Stopped`` is thrown into it."""


class Flows(Protocol):
    """``runner.flows``: how a runner runs the recipes' flows."""

    #: True on threads (the blocking and thread-pool clients), where a
    #: ``with`` block can wait; False on an event loop.
    blocking: bool

    def iterate(self, flow: Flow[Any]) -> Any:
        """An iterator (or async iterator), with ``stop()``, over what ``flow`` delivers."""

    def spawn(self, flow: Flow[Any], *, on_end: OnEnd, deliver: OnDeliver | None = None) -> Task:
        """Start ``flow`` in the background; ``on_end`` is called in its loop when it ends.

        ``deliver`` receives what it delivers; what it returns (a future, an
        awaitable) is waited for before the flow goes on.
        """

    def future(self) -> tuple[Any, Resolve]:
        """A future of the loop, and the function that resolves it (once)."""
