"""The routes of the endpoint modules: a ServeMux pattern, its methods, its handler.

Each endpoint module has a ``routes`` table and decorates its handlers::

    routes = Routes()

    @routes("/v1/kv/", "GET", "PUT", "DELETE")
    async def kv(ctx: Ctx) -> Reply: ...

A pattern ending in ``/`` serves a subtree (the rest of the path is
``ctx.tail``); any other serves that path only. A route with no methods
takes every method and checks them itself (Consul registers
``/v1/query/`` so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .context import Ctx
from .reply import Reply

__all__ = ["Handler", "Route", "Routes"]

#: A handler: the request context in, the reply out (or an exception).
Handler = Callable[[Ctx], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """One registered endpoint: a ServeMux pattern and the methods it takes."""

    pattern: str
    methods: tuple[str, ...]
    handler: Handler


class Routes:
    """The routes of one endpoint module (collected by :func:`~.endpoints.all_routes`)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def __call__(self, pattern: str, *methods: str) -> Callable[[Handler], Handler]:
        """Decorator: serve ``pattern`` (a subtree if it ends in ``/``) for ``methods``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(pattern, tuple(methods), handler))
            return handler

        return register
