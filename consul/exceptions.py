"""The exceptions this package raises.

Every failure is a :class:`ConsulException`. Those caused by an HTTP status
carry the status, Consul's own message (the response body) and the request's
method and path. The token is never part of them: it only ever travels in the
``X-Consul-Token`` header, which no exception records.

Misuse of the arguments is the exception: a bad argument raises
``ValueError`` or ``TypeError`` naming it, before anything is sent.
"""

from __future__ import annotations

__all__ = [
    "ACLDisabled",
    "ACLPermissionDenied",
    "BadRequest",
    "ClientClosed",
    "ClientError",
    "Conflict",
    "ConsulConnectionError",
    "ConsulException",
    "EventLoopError",
    "InvalidResponse",
    "NotFound",
    "RateLimited",
    "RequestEntityTooLarge",
    "ServerError",
    "Timeout",
    "TransportError",
]


class ConsulException(Exception):
    """Base class of every error raised by this package.

    Attributes:
        status: the HTTP status, or None for a failure without a response.
        message: Consul's message (the response body), or a description.
        method: the request's HTTP method, if there was a request.
        path: the request's path (no query string), if there was a request.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(str(self.status))
        if self.message:
            parts.append(self.message)
        text = " ".join(parts) or type(self).__name__
        if self.method and self.path:
            text += f" ({self.method} {self.path})"
        return text


class ClientError(ConsulException):
    """Consul refused the request (a 4xx status without a subclass of its own)."""


class BadRequest(ClientError):
    """400: the request was malformed (Consul says why in ``message``)."""


class ACLDisabled(ClientError):
    """401: ACLs are not enabled on this Consul (``ACL support disabled``)."""


class ACLPermissionDenied(ClientError):
    """403: the token may not do this, or does not exist (``ACL not found``)."""


class NotFound(ClientError):
    """404 where the absence is an error rather than a normal answer."""


class Conflict(ClientError):
    """409: a conflicting state, such as a transaction that was rolled back."""


class RequestEntityTooLarge(ClientError):
    """413: the value or transaction is over Consul's size limit."""


class RateLimited(ClientError):
    """429: Consul's rate limit was reached; try again later."""


class ServerError(ConsulException):
    """5xx: Consul failed to serve the request (``message`` says why)."""


class InvalidResponse(ConsulException):
    """Consul answered, but not in a form this client can read.

    A body that is not the JSON the endpoint returns, or an indexed read
    without a valid ``X-Consul-Index``. ``status`` is the answer's status.
    """


class TransportError(ConsulException):
    """The request got no HTTP response (base of the transport failures).

    The message says when a request that is not safe to repeat (anything but
    ``GET`` and ``HEAD``) may have reached Consul: such a request is never
    sent twice, so it may or may not have been applied.
    """


class ConsulConnectionError(TransportError):
    """Consul could not be reached, or the connection failed before the answer was complete.

    Connection refused or reset, DNS or TLS failure, an answer that is not
    HTTP or is cut short.
    """


class Timeout(TransportError):
    """Consul did not answer within the timeout (see the client's ``timeout``)."""


class ClientClosed(ConsulException, RuntimeError):
    """The client was closed: by a call made after ``close()``, or cut short by it."""


class EventLoopError(ConsulException, RuntimeError):
    """A loop-bound client was called with no event loop running, or on another loop.

    The asyncio and Tornado clients belong to the event loop of their first
    call; make one client per loop.
    """


def detached(exc: BaseException) -> BaseException:
    """``exc`` and the exceptions it chains, without their tracebacks.

    A transport failure is re-raised as one of ours ``from`` the HTTP
    library's exception, for its message. That exception's frames are the
    library's, and their locals hold the request's headers, token included:
    dropping the frames keeps the token out of tracebacks that show locals
    (``traceback.TracebackException(capture_locals=True)``, pytest's
    ``--showlocals``).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return exc


_BY_STATUS: dict[int, type[ConsulException]] = {
    400: BadRequest,
    401: ACLDisabled,
    403: ACLPermissionDenied,
    404: NotFound,
    409: Conflict,
    413: RequestEntityTooLarge,
    429: RateLimited,
}


def for_status(status: int) -> type[ConsulException]:
    """The exception class a response with ``status`` raises."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return ClientError
