"""Errors a handler raises to answer with a status of its own.

Consul's ``HTTPError{StatusCode, Reason}`` (``agent/http.go``): the handler
wrapper answers it with its status and the reason as a plain-text body. An
error of the server side (:class:`consul.testing.state.errors.RPCError`) is
answered by ``handleErr`` instead: 403 or 500, see :mod:`.server`.
"""

from __future__ import annotations

__all__ = ["BadRequest", "HTTPError", "NotFound"]


class HTTPError(Exception):
    """An error answered with ``status`` and ``reason`` as the plain-text body."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BadRequest(HTTPError):
    """400 with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


class NotFound(HTTPError):
    """404 with ``reason``."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(404, reason)
