"""A Python client for HashiCorp Consul, on five event loops with one API.

``consul.Consul`` is the blocking client; ``consul.threadpool``, ``consul.aio``,
``consul.tornado`` and ``consul.twisted`` each have a ``Consul`` of the same
API for their loop. Importing this package imports no HTTP library but
``requests``.
"""

from __future__ import annotations

from ._http import Call, Request, Response
from .adapters.std import Consul
from .check import Check
from .exceptions import (
    ACLDisabled,
    ACLPermissionDenied,
    BadRequest,
    ClientError,
    Conflict,
    ConsulConnectionError,
    ConsulException,
    NotFound,
    RateLimited,
    RequestEntityTooLarge,
    ServerError,
    Timeout,
    TransportError,
)

__version__ = "2.0.0.dev0"

__all__ = [
    "ACLDisabled",
    "ACLPermissionDenied",
    "BadRequest",
    "Call",
    "Check",
    "ClientError",
    "Conflict",
    "Consul",
    "ConsulConnectionError",
    "ConsulException",
    "NotFound",
    "RateLimited",
    "Request",
    "RequestEntityTooLarge",
    "Response",
    "ServerError",
    "Timeout",
    "TransportError",
]
