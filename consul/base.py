"""The client base class shared by the five adapters.

:class:`ConsulBase` resolves the configuration once and hangs the endpoint
groups on itself; an adapter subclass supplies the runner that sends requests.
This module also keeps the names the original python-consul exported from
``consul.base``.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from ._endpoint import Runner
from .api.acl import ACL
from .api.agent import Agent
from .api.catalog import Catalog
from .api.coordinate import Coordinate
from .api.event import Event
from .api.health import Health
from .api.kv import KV
from .api.session import Session
from .api.status import Status
from .api.txn import Txn
from .check import Check
from .config import DEFAULT_TIMEOUT, Cert, Config
from .exceptions import (
    ACLDisabled,
    ACLPermissionDenied,
    BadRequest,
    ClientError,
    ConsulException,
    NotFound,
    Timeout,
)

M = TypeVar("M")

__all__ = [
    "ACLDisabled",
    "ACLPermissionDenied",
    "BadRequest",
    "Check",
    "ClientError",
    "ConsulBase",
    "ConsulException",
    "NotFound",
    "Timeout",
]


class ConsulBase(Generic[M]):
    """A Consul client; the adapters' ``Consul`` classes derive from this.

    Arguments (each falls back to the ``CONSUL_*`` environment variable that
    Consul's own tools read, then to the default; an explicit argument always
    wins over the environment):

    Args:
        host: the agent's host name or IP address (not a URL); ``host`` and
            ``port`` together replace ``CONSUL_HTTP_ADDR`` (``host:port``,
            ``https://host:port/prefix``). Default ``127.0.0.1``.
        port: the agent's HTTP port (default 8500).
        token: the ACL token of every request that names none
            (``CONSUL_HTTP_TOKEN``). It is sent only in the ``X-Consul-Token``
            header, never in a URL. An empty string means no token.
        scheme: ``http`` or ``https`` (``CONSUL_HTTP_SSL``, or an
            ``https://`` address).
        consistency: the default consistency mode of reads: ``default``,
            ``consistent`` or ``stale``.
        dc: the default datacenter (default: the agent's).
        verify: verify the server's certificate: True, False
            (``CONSUL_HTTP_SSL_VERIFY``), or the path of a CA bundle or of a
            directory of CA files to trust instead of the system's
            (``CONSUL_CACERT``, ``CONSUL_CAPATH``; with True, those variables
            still choose the CAs).
        cert: a client certificate: the path of a PEM file holding
            certificate and key, or a ``(cert, key)`` pair
            (``CONSUL_CLIENT_CERT``, ``CONSUL_CLIENT_KEY``).
        timeout: seconds a call may take as a whole: connecting, sending,
            and reading the answer to its last byte (default 30; None waits
            forever). A blocking query is given its ``wait`` and Consul's
            jitter on top, so a long poll never times out early while a dead
            connection still ends. See the "Failure behaviour" page.
        token_file: read the token from this file
            (``CONSUL_HTTP_TOKEN_FILE``); it wins over ``token`` unless empty.
        tls_server_name: the name to verify the server's certificate against
            and send as SNI, instead of ``host`` (``CONSUL_TLS_SERVER_NAME``).
        http_auth: HTTP basic authentication, ``"user:password"`` or a
            ``(user, password)`` pair (``CONSUL_HTTP_AUTH``).
    """

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
    ) -> None:
        self.config = Config.resolve(
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
        self._runner = self._make_runner(self.config)
        self.acl: ACL[M] = ACL(self)
        self.agent: Agent[M] = Agent(self)
        self.catalog: Catalog[M] = Catalog(self)
        self.coordinate: Coordinate[M] = Coordinate(self)
        self.event: Event[M] = Event(self)
        self.health: Health[M] = Health(self)
        self.kv: KV[M] = KV(self)
        self.session: Session[M] = Session(self)
        self.status: Status[M] = Status(self)
        self.txn: Txn[M] = Txn(self)

    def _make_runner(self, config: Config) -> Runner:
        """The adapter's runner for ``config`` (each adapter defines it)."""
        raise NotImplementedError

    @property
    def http(self) -> Runner:
        """The adapter that sends the requests (``consul.base`` compatibility)."""
        return self._runner

    @property
    def token(self) -> str | None:
        """The default ACL token."""
        return self.config.token

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return self.config.scheme

    @property
    def dc(self) -> str | None:
        """The default datacenter, or None for the agent's own."""
        return self.config.dc

    @property
    def consistency(self) -> str:
        """The default consistency mode of reads."""
        return self.config.consistency

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} {self.config.base_url}>"
