"""Every endpoint module of the embedded agent: the one place routes are registered.

One module per page of Consul's HTTP API docs, as ``consul/api/`` has one per
group of the client; each has a ``routes`` table (:class:`~.routes.Routes`). A
new endpoint module is added to :data:`MODULES`.
"""

from __future__ import annotations

from . import (
    agent,
    agent_connect,
    agent_info,
    agent_token,
    catalog,
    config,
    connect_ca,
    coordinate,
    debug,
    discovery_chain,
    event,
    health,
    intentions,
    kv,
    operator,
    peering,
    query,
    session,
    snapshot,
    status,
    txn,
)
from .acl import auth_method as acl_auth_method
from .acl import authorize as acl_authorize
from .acl import binding_rule as acl_binding_rule
from .acl import login as acl_login
from .acl import policy as acl_policy
from .acl import role as acl_role
from .acl import system as acl_system
from .acl import templated_policy as acl_templated_policy
from .acl import token as acl_token
from .routes import Route

__all__ = ["MODULES", "all_routes"]

MODULES = (
    acl_system,
    acl_token,
    acl_policy,
    acl_role,
    acl_templated_policy,
    acl_auth_method,
    acl_binding_rule,
    acl_login,
    acl_authorize,
    agent,
    agent_connect,
    agent_info,
    agent_token,
    catalog,
    config,
    connect_ca,
    coordinate,
    debug,
    discovery_chain,
    event,
    health,
    intentions,
    kv,
    operator,
    peering,
    query,
    session,
    snapshot,
    status,
    txn,
)


def all_routes() -> list[Route]:
    """Every route of every endpoint module."""
    return [route for module in MODULES for route in module.routes.routes]
