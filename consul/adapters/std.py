"""The blocking client, on one pooled ``requests.Session``."""

from __future__ import annotations

import time
from typing import Any, Self, TypeVar

import requests
from requests.adapters import HTTPAdapter

from .._endpoint import Blocking
from .._http import Call, Flow, Request, Response
from ..base import ConsulBase
from ..config import Config
from ..exceptions import ConsulConnectionError, Timeout
from ._drive import drive

T = TypeVar("T")

__all__ = ["Consul", "RequestsRunner"]


class _ServerNameAdapter(HTTPAdapter):
    """Verify the server's certificate against (and send SNI for) another name."""

    def __init__(self, server_name: str, **kwargs: Any) -> None:
        self._server_name = server_name
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._server_name
        super().init_poolmanager(*args, **kwargs)


class RequestsRunner:
    """Sends requests with ``requests`` and decodes them in the calling thread."""

    def __init__(self, config: Config, pool_size: int = 10) -> None:
        self.config = config
        self.session = requests.Session()
        # Consul's settings, not the environment's proxies and netrc, decide
        # how to reach the agent (api.go uses a clean transport too).
        self.session.trust_env = False
        if config.tls_server_name:
            adapter: HTTPAdapter = _ServerNameAdapter(
                config.tls_server_name, pool_maxsize=pool_size
            )
        else:
            adapter = HTTPAdapter(pool_maxsize=pool_size)
        self.session.mount(config.scheme + "://", adapter)
        if isinstance(config.verify, str):
            self.session.verify = config.verify
        elif config.verify and config.ca_path:
            self.session.verify = config.ca_path
        else:
            self.session.verify = config.verify
        pair = config.cert_pair
        if pair is not None:
            self.session.cert = pair if pair[1] is not None else pair[0]  # type: ignore[assignment]

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
