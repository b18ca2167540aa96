"""The blocking client, on one pooled ``requests.Session``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any, Self, TypeVar

import requests
from requests.adapters import HTTPAdapter

from .._endpoint import Blocking
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import Config
from ..exceptions import ConsulConnectionError, Timeout
from ._drive import Stopper, ThreadFlows, drive
from ._stoppable import abortable, stopping

T = TypeVar("T")

__all__ = ["Consul", "RequestsRunner"]


class _TLSAdapter(HTTPAdapter):
    """HTTPS with the client's own TLS context, as the other adapters use it.

    requests would otherwise apply its own defaults (certifi's CAs, OpenSSL's
    hashed CA directories) on top of the context; here the context alone
    decides, built by :meth:`Config.ssl_context` like aiohttp's and
    Tornado's, so that every adapter trusts and presents the same.
    """

    def __init__(self, config: Config, **kwargs: Any) -> None:
        self._context = config.ssl_context()
        self._server_name = config.tls_server_name
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if self._server_name:
            kwargs["server_hostname"] = self._server_name
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # Nothing to add: the context holds the CAs, the verification mode and
        # the client certificate, and urllib3 takes the mode from it.
        return


class RequestsRunner:
    """Sends requests with ``requests`` and decodes them in the calling thread."""

    def __init__(self, config: Config, pool_size: int = 10) -> None:
        self.config = config
        self.session = requests.Session()
        # Consul's settings, not the environment's proxies and netrc, decide
        # how to reach the agent (api.go uses a clean transport too).
        self.session.trust_env = False
        adapter = (
            _TLSAdapter(config, pool_maxsize=pool_size)
            if config.scheme == "https"
            else HTTPAdapter(pool_maxsize=pool_size)
        )
        self.session.mount(config.scheme + "://", adapter)
        # Only the on/off of verification reaches requests (it must agree
        # with the context); the context has the CAs and the certificate.
        self.session.verify = config.verify
        #: How the recipes run flows on this client (iterate, spawn, future).
        self.flows = ThreadFlows(self.run, self.open_stoppable)

    def send(self, request: Request) -> Response:
        """Send ``request``; transport failures become our exceptions."""
        timeout = self.config.timeout
        try:
            answer = self.session.request(
                request.method,
                request.url(self.config.base_url),
                headers=dict(request.headers),
                data=request.body,
                timeout=(timeout, request.read_timeout(timeout)),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise Timeout(
                f"no answer within the timeout: {type(exc).__name__}",
                method=request.method,
                path=request.path,
            ) from exc
        except (requests.ConnectionError, OSError) as exc:
            raise ConsulConnectionError(
                f"cannot reach {self.config.base_url}: {type(exc).__name__}",
                method=request.method,
                path=request.path,
            ) from exc
        return Response.build(answer.status_code, answer.headers.items(), answer.content, request)

    def run(self, call: Call[T]) -> T:
        """Send ``call``'s request and return the decoded value."""
        return call.decode(self.send(call.request))

    def run_flow(self, flow: Flow[T]) -> T:
        """Drive ``flow`` in this thread."""
        return drive(flow, self.run, time.sleep)

    @contextlib.contextmanager
    def open_stoppable(self, stopper: Stopper) -> Iterator[Callable[[Call[Any]], Any]]:
        """A transport of its own for a flow that ``stopper`` may stop mid-request."""
        private = RequestsRunner(self.config, pool_size=1)
        abortable(private.session)

        def run(call: Call[Any]) -> Any:
            with stopping(stopper):
                return private.run(call)

        try:
            yield run
        finally:
            private.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()


class Consul(ConsulBase[Blocking]):
    """The blocking client: every call returns its value.

    ``with consul.Consul() as c:`` closes the pooled connections on exit;
    otherwise call :meth:`close` when done. See :class:`consul.base.ConsulBase`
    for the arguments.
    """

    _runner: RequestsRunner

    def _make_runner(self, config: Config) -> RequestsRunner:
        return RequestsRunner(config)

    def close(self) -> None:
        """Close the pooled connections."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
