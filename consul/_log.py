"""The debug line of each request, on the ``consul.http`` logger.

One line per request at ``DEBUG``: the method, the path with its query
string, then the status and the time the exchange took, or the failure. The
query holds nothing secret (the token travels only in its header); headers
and bodies are never logged. Runners ask :data:`LOG` once per call whether
``DEBUG`` is on (``LOG.isEnabledFor(DEBUG)``, cached by :mod:`logging`), so
that nothing else is done when it is off.
"""

from __future__ import annotations

import logging
import time
from logging import DEBUG

from ._http import Request, Response
from .exceptions import ConsulException

__all__ = ["DEBUG", "LOG", "answered", "failed", "started"]

#: The logger of the requests, a child of ``consul``.
LOG = logging.getLogger("consul.http")

#: The clock of the durations.
started = time.perf_counter


def answered(request: Request, response: Response, since: float) -> None:
    """Log that ``request``, sent at ``since`` (:func:`started`), got ``response``."""
    elapsed = (time.perf_counter() - since) * 1000
    LOG.debug("%s %s -> %d (%.1f ms)", request.method, request.url(""), response.status, elapsed)


def failed(request: Request, error: BaseException, since: float) -> None:
    """Log that ``request``, sent at ``since``, got no answer: ``error``."""
    elapsed = (time.perf_counter() - since) * 1000
    reason = error.message if isinstance(error, ConsulException) else str(error)
    LOG.debug(
        "%s %s failed after %.1f ms: %s: %s",
        request.method,
        request.url(""),
        elapsed,
        type(error).__name__,
        reason,
    )
