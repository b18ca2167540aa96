"""The embedded agent's endpoints, one module per page of Consul's HTTP API docs.

Each module has a ``routes`` table (:class:`consul.testing._server.Routes`);
the stores that hold a datacenter's state live beside their endpoints.
"""

from __future__ import annotations

from .._server import Route
from . import acl, agent, catalog, coordinate, event, health, kv, session, status, txn

MODULES = (acl, agent, catalog, coordinate, event, health, kv, session, status, txn)


def all_routes() -> list[Route]:
    """Every route of every endpoint module."""
    return [route for module in MODULES for route in module.routes.routes]
