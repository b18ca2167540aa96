"""The Twisted client, on Twisted's ``Agent`` (with ``treq`` to read bodies)."""

from __future__ import annotations

import contextlib
import gzip
import inspect
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import IO, Any, Self, TypeVar, cast

import treq
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.internet import defer, error, ssl
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.internet.protocol import Protocol, connectionDone
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from twisted.web.client import (
    Agent,
    FileBodyProducer,
    HTTPConnectionPool,
    ResponseDone,
    ResponseFailed,
)
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgentEndpointFactory, IBodyProducer, IPolicyForHTTPS
from zope.interface import implementer

from .._endpoint import Twisted
from .._http import UPLOAD_CHUNK, Call, Flow, Request, Response
from .._stream import AsyncStream, Exchange, StreamCall
from ..base import ConsulBase
from ..config import DEFAULT_TIMEOUT, Cert, Config
from ..exceptions import ConsulException, detached
from ..transport import AsyncTransport
from ._drive import drive_async
from ._run import AsyncRunner, given_transport
from ._streams import PushedBody

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["Consul", "TwistedRunner", "TwistedTransport"]


@implementer(IPolicyForHTTPS)
class _TLSPolicy:
    """Twisted's TLS options, from the settings the other adapters' context has.

    The same CAs (:meth:`Config.ca_certificate_list`, else the platform's), the
    same client certificate, verification on or off, and the server name to
    verify instead of the host.
    """

    def __init__(self, config: Config) -> None:
        self._verify = config.verify
        self._server_name = config.tls_server_name
        cas = config.ca_certificate_list() if config.scheme == "https" else None
        self._trust: Any = None
        if cas is not None:
            self._trust = ssl.trustRootFromCertificates(
                [ssl.Certificate.loadPEM(ca.encode()) for ca in cas]
            )
        # The client certificate as cryptography objects: Twisted passes them
        # on to pyOpenSSL, which deprecates its own X509 and PKey types.
        self._client_certificate: dict[str, Any] = {}
        if config.scheme == "https" and config.cert_file is not None:
            with open(config.cert_file, "rb") as f:
                cert_pem = f.read()
            key_pem = cert_pem
            if config.key_file is not None:
                with open(config.key_file, "rb") as f:
                    key_pem = f.read()
            certificate, *chain = x509.load_pem_x509_certificates(cert_pem)
            self._client_certificate = {
                "certificate": certificate,
                "privateKey": serialization.load_pem_private_key(key_pem, password=None),
                "extraCertChain": chain,
            }

    def creatorForNetloc(self, hostname: bytes, port: int) -> IOpenSSLClientConnectionCreator:  # noqa: N802 - Twisted's interface
        """The TLS connection creator for ``hostname``."""
        if not self._verify:
            options: Any = ssl.CertificateOptions(verify=False, **self._client_certificate)
            return options  # type: ignore[no-any-return]
        return ssl.optionsForClientTLS(
            self._server_name or hostname.decode("ascii"),
            trustRoot=self._trust,
            extraCertificateOptions=self._client_certificate,
        )


def _default_reactor() -> Any:
    from twisted.internet import reactor

    return reactor


class TwistedTransport:
    """Sends requests with Twisted's ``Agent`` over persistent connection pools.

    Two pools: Twisted sends a request again once when a pooled connection
    turns out to be closed, if its method is GET, HEAD, OPTIONS, TRACE or a
    DELETE without a body (``_RetryingHTTP11ClientProtocol._shouldRetry``).
    Consul's DELETEs are not safe to repeat (``?cas=``), so only
    :attr:`~consul._http.Request.retryable` requests use the pool that
    retries.
    """

    def __init__(self, config: Config, reactor: Any) -> None:
        self.config = config
        self.reactor = reactor
        self.closed = False
        #: The exchanges under way, which close() aborts.
        self._inflight: set[defer.Deferred[Any]] = set()
        #: The answers being read as streams, which close() aborts.
        self._streams: set[_Opened] = set()
        self._policy = _TLSPolicy(config)
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self._once_pool = HTTPConnectionPool(reactor, persistent=True)
        self._once_pool.retryAutomatically = False
        self.agent = self._agent(self.pool, config.timeout)
        self._once_agent = self._agent(self._once_pool, config.timeout)

    def _agent(self, pool: HTTPConnectionPool, connect_timeout: float | None) -> Agent:
        """An agent on ``pool`` that connects within ``connect_timeout``.

        Twisted's Agent itself rather than treq's client around it: treq's
        gzip decoding (ContentDecoderAgent) turns a corrupt body into an empty
        one, and its cookies and redirects are not wanted here.
        """
        if self.config.unix_socket is not None:
            endpoints = _UnixEndpoints(self.reactor, self.config.unix_socket, connect_timeout)
            agent: Agent = Agent.usingEndpointFactory(self.reactor, endpoints, pool=pool)
            return agent
        return Agent(
            self.reactor, contextFactory=self._policy, connectTimeout=connect_timeout, pool=pool
        )

    def _agent_for(self, request: Request) -> Agent:
        """The agent of ``request``: the pool that retries only for a retryable one."""
        agent = self.agent if request.retryable else self._once_agent
        if request.timeout != self.config.timeout:
            # A call's own timeout: an agent that connects within it, on the same pool.
            pool = self.pool if request.retryable else self._once_pool
            agent = self._agent(pool, request.timeout)
        return agent

    async def _exchange(self, request: Request) -> tuple[Any, bytes]:
        headers = Headers({k: [v] for k, v in request.headers})
        headers.setRawHeaders(b"Accept-Encoding", [b"gzip"])
        answer = await self._agent_for(request).request(
            request.method.encode("ascii"),
            request.url(self.config.base_url).encode("ascii"),
            headers,
            None if request.body is None else cast(IBodyProducer, _Body(request.body)),
        )
        body = await treq.content(answer)
        if answer.headers.getRawHeaders(b"Content-Encoding") == [b"gzip"]:
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError, zlib.error) as exc:
                raise ResponseFailed([Failure(exc)], answer) from exc
        return answer, body

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions.

        The time limit bounds the whole exchange, body included. Cancelling
        the call (``Deferred.cancel``) aborts the connection and fails the
        call with ``CancelledError``.
        """
        if self.closed:
            raise request.closed()
        answer, body = await self._within(request, defer.ensureDeferred(self._exchange(request)))
        return Response(answer.code, _Headers(answer.headers), body, request)

    async def _within(self, request: Request, work: defer.Deferred[T]) -> T:
        """``work``'s result, cancelled at ``request``'s time limit; failures are ours."""
        limit = request.time_limit()
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            work.cancel()

        timer = None if limit is None else self.reactor.callLater(limit, expire)
        self._inflight.add(work)
        try:
            return await work
        except Exception as exc:
            if not expired and not self.closed and _cancelled(exc):
                # The caller cancelled: Twisted wraps that in ResponseFailed.
                raise defer.CancelledError() from exc
            failure = self._failure(request, exc, expired)
            if failure is None:
                raise
            raise failure from detached(exc)
        finally:
            self._inflight.discard(work)
            if timer is not None and timer.active():
                timer.cancel()

    async def open(self, request: Request) -> _Opened:
        """Send ``request``; the answer once its headers are in (a stream).

        The time limit bounds connecting, sending (an upload included) and
        the wait for the headers; the body is read with :meth:`_Opened.read`,
        uncompressed (no ``Accept-Encoding`` is sent).
        """
        if self.closed:
            raise request.closed()
        upload = contextlib.ExitStack()
        producer: Any = None if request.body is None else _Body(request.body)
        if request.upload is not None:
            file = upload.enter_context(request.upload.open())
            producer = FileBodyProducer(_Unclosed(file), readSize=UPLOAD_CHUNK)
        requesting = self._agent_for(request).request(
            request.method.encode("ascii"),
            request.url(self.config.base_url).encode("ascii"),
            Headers({k: [v] for k, v in request.headers}),
            producer,
        )
        try:
            answer = await self._within(request, requesting)
        except BaseException:
            upload.close()
            raise
        head = Response(answer.code, _Headers(answer.headers), b"", request)
        opened = _Opened(self, head, upload)
        answer.deliverBody(opened)  # type: ignore[call-arg,misc]  # zope interface
        self._streams.add(opened)
        return opened

    def _failure(self, request: Request, exc: Exception, expired: bool) -> ConsulException | None:
        """Our exception for ``exc``; None for one that is not a transport failure (a bug)."""
        if self.closed:
            return request.closed(under_way=True)
        # Not connected (a connection that failed, timed out, or was cancelled
        # at the time limit while being made): nothing was sent. Twisted writes
        # the request as the connection is made, in the same callback.
        sent = not isinstance(exc, _NOT_CONNECTED)
        if expired or isinstance(exc, error.TimeoutError):
            return request.timed_out(sent=sent)
        if isinstance(exc, error.ConnectError | ResponseFailed | OSError):
            return request.connection_failed(self.config.address, exc, sent=sent)
        return None

    def close(self) -> defer.Deferred[None]:
        """Close the pooled connections; a Deferred that fires when they are.

        The calls under way are aborted: they, and any made afterwards, raise
        :class:`ClientClosed`.
        """
        self.closed = True
        for exchange in list(self._inflight):
            exchange.cancel()
        for stream in list(self._streams):
            stream.abort()
        closing = [pool.closeCachedConnections() for pool in (self.pool, self._once_pool)]
        return defer.gatherResults(closing).addCallback(lambda _: None)


class _Headers:
    """Twisted's headers of an answer, as a :class:`~consul._http.HeaderMap`: read where needed."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def get(self, name: str, /) -> str | None:
        values = self._headers.getRawHeaders(name.encode("latin-1"))
        return None if not values else values[0].decode("latin-1")

    def items(self) -> Iterator[tuple[str, str]]:
        for name, values in self._headers.getAllRawHeaders():
            for value in values:
                yield name.decode("latin-1"), value.decode("latin-1")

    def __repr__(self) -> str:
        return f"_Headers({list(self.items())!r})"


class TwistedStream(AsyncStream[T]):
    """A stream on Twisted: :meth:`consume`, or ``async for`` under ``ensureDeferred``."""

    def consume(self, callback: Callable[[T], object]) -> defer.Deferred[None]:
        """Call ``callback`` with each item until the end; a Deferred that fires then.

        A Deferred (or coroutine) that ``callback`` returns is waited for
        before the next item.
        """
        return defer.ensureDeferred(self.each(callback))


class TwistedRunner(AsyncRunner):
    """Runs each call as a coroutine in a ``Deferred``; flows sleep on ``reactor``."""

    def __init__(self, transport: AsyncTransport, reactor: Any) -> None:
        super().__init__(transport)
        self.reactor = reactor

    def run(self, call: Call[T]) -> defer.Deferred[T]:
        """Start ``call``; a Deferred of its value."""
        return defer.ensureDeferred(self.result(call))

    def run_flow(self, flow: Flow[T]) -> defer.Deferred[T]:
        """Start ``flow``; a Deferred of its result (sleeps are the reactor's)."""
        return defer.ensureDeferred(drive_async(flow, self.result, self._sleep))

    def _sleep(self, seconds: float) -> defer.Deferred[None]:
        return deferLater(self.reactor, seconds, lambda: None)

    def _step(self, work: Any) -> defer.Deferred[Any]:
        return defer.ensureDeferred(work)

    def _future(self) -> tuple[defer.Deferred[Any], Callable[[Any, BaseException | None], None]]:
        """A Deferred, and the function that fires it (once) with a result or an exception."""
        future: defer.Deferred[Any] = defer.Deferred()

        def resolve(result: Any, error: BaseException | None) -> None:
            if not future.called:
                if error is not None:
                    future.errback(Failure(error))
                else:
                    future.callback(result)

        return future, resolve

    def run_stream(self, call: StreamCall[T]) -> defer.Deferred[TwistedStream[T]]:
        """Start opening ``call``'s stream; a Deferred of the stream."""
        return defer.ensureDeferred(self.stream(call, TwistedStream))

    def run_exchange(self, call: Exchange[R]) -> defer.Deferred[R]:
        """Start ``call``; a Deferred of its sink's value."""
        return defer.ensureDeferred(self.exchange(call))

    def close(self) -> defer.Deferred[None]:
        """Refuse further calls and close the transport; a Deferred that fires when it is."""
        closing = self._close_transport()
        if isinstance(closing, defer.Deferred):
            return closing
        if inspect.isawaitable(closing):
            return defer.ensureDeferred(_awaited(closing))
        return defer.succeed(None)


async def _awaited(closing: Awaitable[Any]) -> None:
    await closing


@implementer(IAgentEndpointFactory)
class _UnixEndpoints:
    """Where an agent connects for any URL: Consul's unix socket, ``path``."""

    def __init__(self, reactor: Any, path: str, timeout: float | None) -> None:
        self._reactor = reactor
        self._path = path
        self._timeout = timeout

    def endpointForURI(self, uri: Any) -> UNIXClientEndpoint:  # noqa: N802 - Twisted's interface
        """The socket's endpoint, whatever ``uri`` is."""
        if self._timeout is None:
            return UNIXClientEndpoint(self._reactor, self._path)
        return UNIXClientEndpoint(self._reactor, self._path, timeout=self._timeout)


class _Opened(PushedBody, Protocol):
    """An answer of :meth:`TwistedTransport.open`: the protocol its body is delivered to."""

    def __init__(
        self, transport: TwistedTransport, head: Response, upload: contextlib.ExitStack
    ) -> None:
        super().__init__(transport.config.address)
        self.head = head
        self._transport = transport
        #: The upload's file, open until the answer is done with.
        self._upload = upload
        self._waiting: defer.Deferred[None] | None = None

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's interface
        self.pushed(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        self._upload.close()
        if reason.check(ResponseDone, PotentialDataLoss):
            self.finished(None)
        else:
            self.finished(reason.value or ConnectionError("the answer was cut"))

    async def _wait(self, idle: float | None) -> None:
        waiting: defer.Deferred[None] = defer.Deferred()
        self._waiting = waiting
        if idle is not None:
            waiting.addTimeout(idle, self._transport.reactor)
        try:
            await waiting
        except defer.TimeoutError:
            self._waiting = None
            raise TimeoutError from None

    def _wake(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.callback(None)

    def _drop(self) -> None:
        if self.transport is not None and not self._ended:
            self.transport.stopProducing()
        self._upload.close()
        self._transport._streams.discard(self)


class _Unclosed:
    """A file that ``FileBodyProducer`` reads, and may not close (its owner does)."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        """Leave the file open: the upload's owner closes it (a path), or its caller does."""


@implementer(IBodyProducer)
class _Body:
    """A request body that is all there already."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.length = len(data)

    def startProducing(self, consumer: Any) -> defer.Deferred[None]:  # noqa: N802
        consumer.write(self._data)
        return defer.succeed(None)

    def pauseProducing(self) -> None:  # noqa: N802
        """Nothing to pause: the body is written at once."""

    def resumeProducing(self) -> None:  # noqa: N802
        """Nothing to resume."""

    def stopProducing(self) -> None:  # noqa: N802
        """Nothing to stop."""


#: The failures of a connection never made.
_NOT_CONNECTED = (error.ConnectError, error.TimeoutError, error.ConnectingCancelledError)


def _cancelled(exc: Exception) -> bool:
    """True if ``exc`` is, or wraps, a cancellation (one while connecting included)."""
    if isinstance(exc, defer.CancelledError | error.ConnectingCancelledError):
        return True
    if isinstance(exc, ResponseFailed):
        return any(reason.check(defer.CancelledError) for reason in exc.reasons)
    return False


class Consul(ConsulBase[Twisted]):
    """The Twisted client: every call returns a ``Deferred``.

    Uses the global reactor unless given one (``reactor=``). Call
    :meth:`close` (a Deferred) when done, to close the pooled connections,
    or use ``async with consul.twisted.Consul() as c:`` in a coroutine run by
    ``ensureDeferred``; calls after ``close()`` raise
    :class:`~consul.exceptions.ClientClosed`. See
    :class:`consul.base.ConsulBase` for the other arguments, and
    :mod:`consul.transport` for ``transport`` (an
    :class:`~consul.transport.AsyncTransport` whose ``send`` may return a
    Deferred or a coroutine, instead of Twisted's ``Agent``).
    """

    _runner: TwistedRunner

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        token: str | None = None,
        scheme: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        verify: bool | str | None = None,
        cert: Cert | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        token_file: str | None = None,
        tls_server_name: str | None = None,
        http_auth: str | tuple[str, str] | None = None,
        reactor: Any = None,
        transport: AsyncTransport | None = None,
    ) -> None:
        if transport is not None:
            given_transport(transport, "consul.twisted.Consul", blocking=False)
        self._transport = transport
        self._reactor = reactor
        super().__init__(
            host,
            port,
            token,
            scheme,
            consistency,
            dc,
            verify,
            cert,
            timeout=timeout,
            token_file=token_file,
            tls_server_name=tls_server_name,
            http_auth=http_auth,
        )

    def _make_runner(self, config: Config) -> TwistedRunner:
        reactor = self._reactor or _default_reactor()
        return TwistedRunner(self._transport or TwistedTransport(config, reactor), reactor)

    def close(self) -> defer.Deferred[None]:
        """Close the pooled connections; a Deferred that fires when they are."""
        return self._runner.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
