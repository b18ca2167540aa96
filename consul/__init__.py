"""A Python client for HashiCorp Consul, on five event loops with one API.

``consul.Consul`` is the blocking client; ``consul.threadpool``, ``consul.aio``,
``consul.tornado`` and ``consul.twisted`` each have a ``Consul`` of the same
API for their loop. Importing this package imports no HTTP library;
``consul.Consul`` brings in ``requests`` when first used, so that code which
needs only the embedded agent's pytest plugin, or another loop's client,
never loads it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._endpoint import QueryOptions
from ._http import Call, Request, Response
from ._meta import Indexed, QueryMeta
from ._stream import AsyncStream, Stream
from .check import Check
from .exceptions import (
    ACLDisabled,
    ACLPermissionDenied,
    BadRequest,
    ClientClosed,
    ClientError,
    Conflict,
    ConsulConnectionError,
    ConsulException,
    EventLoopError,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestEntityTooLarge,
    ServerError,
    Timeout,
    TransportError,
)

if TYPE_CHECKING:
    from .adapters.std import Consul

__version__ = "2.0.0.dev0"


#: Submodules that python-consul's ``import consul`` made reachable as
#: attributes (``consul.std.HTTPClient``, ``consul.base.Consul``); imported
#: here on first use, so that ``import consul`` stays light.
_SUBMODULES = frozenset({"base", "callback", "std"})


def __getattr__(name: str) -> Any:
    if name == "Consul":
        from .adapters.std import Consul

        return Consul
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACLDisabled",
    "ACLPermissionDenied",
    "AsyncStream",
    "BadRequest",
    "Call",
    "Check",
    "ClientClosed",
    "ClientError",
    "Conflict",
    "Consul",
    "ConsulConnectionError",
    "ConsulException",
    "EventLoopError",
    "Indexed",
    "InvalidResponse",
    "NotFound",
    "QueryMeta",
    "QueryOptions",
    "RateLimited",
    "Request",
    "RequestEntityTooLarge",
    "Response",
    "ServerError",
    "Stream",
    "Timeout",
    "TransportError",
]
