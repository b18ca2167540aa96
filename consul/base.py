"""The client base class shared by the adapters, and python-consul's ``consul.base``.

:class:`ConsulBase` resolves the configuration once and hangs the endpoint
groups on itself; an adapter subclass supplies the runner that sends requests.

This module also keeps what python-consul programs import from
``consul.base``: :class:`Consul`, the class to subclass with an ``http``
object of one's own (as Patroni does), the callback protocol's
:class:`Response`, :class:`HTTPClient` and :class:`CB`, :class:`Check` and
the exceptions.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, get_args

from ._endpoint import Callback, Mode, Runner
from ._http import Headers
from .adapters.callback import CallbackRunner
from .api.acl import ACL
from .api.catalog import Catalog
from .api.config import Config as ConfigEntries
from .api.connect import Connect
from .api.coordinate import Coordinate
from .api.debug import Debug
from .api.discovery_chain import DiscoveryChain
from .api.event import Event
from .api.exported_services import ExportedServices
from .api.health import Health
from .api.imported_services import ImportedServices
from .api.internal import Internal
from .api.kv import KV
from .api.namespace import Namespaces
from .api.operator import Operator
from .api.partition import Partitions
from .api.peering import Peerings
from .api.query import Query
from .api.raw import Raw
from .api.snapshot import Snapshot
from .api.status import Status
from .api.txn import Txn
from .callback import CB, HTTPClient, Response
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
from .recipes.client import Recipes
from .recipes.registration import LocalAgent
from .recipes.session import Sessions

M = TypeVar("M")

__all__ = [
    "CB",
    "ACLDisabled",
    "ACLPermissionDenied",
    "BadRequest",
    "Check",
    "ClientError",
    "Consul",
    "ConsulBase",
    "ConsulException",
    "HTTPClient",
    "NotFound",
    "Response",
    "Timeout",
]


class ConsulBase(Recipes[M], Generic[M]):
    """A Consul client; the adapters' ``Consul`` classes derive from this.

    Arguments (each falls back to the ``CONSUL_*`` environment variable that
    Consul's own tools read, then to the default; an explicit argument always
    wins over the environment):

    Args:
        host: the agent's host name or IP address (not a URL), or the
            path of its unix socket as ``unix:///path/consul.sock`` (then
            without ``port``); ``host`` and ``port`` together replace
            ``CONSUL_HTTP_ADDR`` (``host:port``, ``https://host:port/prefix``,
            ``unix:///path``). Default ``127.0.0.1``.
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

    #: What a call returns on this client, from the class's ``ConsulBase[mode]``.
    _mode: ClassVar[type[Mode]] = Mode

    # The endpoint groups' classes under python-consul's names (``Consul.KV``,
    # ``Consul.Agent.Service``...), for code that patches them in its tests.
    ACL = ACL
    Agent = LocalAgent
    Catalog = Catalog
    Connect = Connect
    Coordinate = Coordinate
    Debug = Debug
    Event = Event
    ExportedServices = ExportedServices
    Health = Health
    ImportedServices = ImportedServices
    Internal = Internal
    KV = KV
    Namespaces = Namespaces
    Operator = Operator
    Partitions = Partitions
    Peerings = Peerings
    Query = Query
    Session = Sessions
    Snapshot = Snapshot
    Status = Status
    Txn = Txn

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            for arg in get_args(base):
                if isinstance(arg, type) and issubclass(arg, Mode):
                    cls._mode = arg

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
        #: The client's resolved settings (address, TLS, timeout...).
        self.settings = Config.resolve(
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
        #: The default ACL token (None: none); assignable, as python-consul's was.
        #: It is sent only in the ``X-Consul-Token`` header, never in a URL.
        self.token: str | None = self.settings.token
        #: The default datacenter (None: the agent's own); assignable.
        self.dc: str | None = self.settings.dc
        #: The default consistency mode of reads; assignable.
        self.consistency: str = self.settings.consistency
        #: The settings and token the headers of the last request were made
        #: for, and those headers (see ``Group._request``).
        self._headers: tuple[Config | None, str | None, Headers] = (None, None, ())
        #: Configuration entries; it also answers the settings' attributes
        #: (``self.config.timeout``), which a subclass's ``http_connect`` may read.
        self.config: ConfigEntries[M] = ConfigEntries(self)
        self._runner = self._make_runner(self.settings)
        self.acl: ACL[M] = ACL(self)
        self.agent: LocalAgent[M] = LocalAgent(self)
        self.catalog: Catalog[M] = Catalog(self)
        self.connect: Connect[M] = Connect(self)
        self.coordinate: Coordinate[M] = Coordinate(self)
        self.debug: Debug[M] = Debug(self)
        self.discovery_chain: DiscoveryChain[M] = DiscoveryChain(self)
        self.event: Event[M] = Event(self)
        self.exported_services: ExportedServices[M] = ExportedServices(self)
        self.health: Health[M] = Health(self)
        self.imported_services: ImportedServices[M] = ImportedServices(self)
        self.internal: Internal[M] = Internal(self)
        self.kv: KV[M] = KV(self)
        self.namespace: Namespaces[M] = Namespaces(self)
        self.operator: Operator[M] = Operator(self)
        self.partition: Partitions[M] = Partitions(self)
        self.peering: Peerings[M] = Peerings(self)
        self.query: Query[M] = Query(self)
        self.raw: Raw[M] = Raw(self)
        self.session: Sessions[M] = Sessions(self)
        self.snapshot: Snapshot[M] = Snapshot(self)
        self.status: Status[M] = Status(self)
        self.txn: Txn[M] = Txn(self)

    def _make_runner(self, config: Config) -> Runner:
        """The adapter's runner for ``config`` (each adapter defines it)."""
        raise NotImplementedError

    @property
    def http(self) -> Any:
        """The transport that sends the requests (``consul.base`` compatibility)."""
        return self._runner.transport

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return self.settings.scheme

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} {self.settings.address}>"


class Consul(ConsulBase[Callback]):
    """python-consul's base class: a client on an ``http`` object of one's own.

    Subclass it and define ``http_connect(host, port, scheme, verify, cert)``
    (py-consul's name; python-consul's ``connect`` works too) returning an
    object with python-consul's callback protocol, such as
    :class:`consul.std.HTTPClient` or a subclass of :class:`HTTPClient`. The
    client calls the hook once, while it is built, with the resolved address,
    ``verify`` (a CA path if one was given) and ``cert``, and keeps the object
    as :attr:`http`; each call then goes through it (see
    :mod:`consul.adapters.callback`) and returns what it returns. ``token``,
    ``dc`` and ``consistency`` may be set before ``super().__init__()`` runs
    (it sets them from its arguments) and changed at any time after.

    The legacy ACL methods (``acl.create``...) take several requests and need
    an ``http`` object that returns values (blocks).
    """

    #: The ``http`` object the hook returned.
    http: Any = None

    def _make_runner(self, config: Config) -> CallbackRunner:
        if config.unix_socket is not None:
            raise ValueError(
                f"{config.address}: consul.base.Consul gives its http_connect hook a host and "
                "a port, not a unix socket: use one of the five clients (consul.Consul...)"
            )
        verify: bool | str = config.verify
        if verify:
            verify = config.ca_file or config.ca_path or True
        cert: Cert | None = config.cert_file
        if config.cert_file is not None and config.key_file is not None:
            cert = (config.cert_file, config.key_file)
        self.http = self.http_connect(config.host, config.port, config.scheme, verify, cert)
        return CallbackRunner(self)

    def http_connect(
        self, host: str, port: int, scheme: str, verify: bool | str = True, cert: Cert | None = None
    ) -> Any:
        """The ``http`` object to send requests with (py-consul's hook).

        Calls python-consul's ``connect(host, port, scheme, verify, cert)``
        if a subclass defines that instead (once built, ``client.connect`` is
        the Connect group, as in py-consul).
        """
        hook = getattr(type(self), "connect", None)
        if not callable(hook):
            raise NotImplementedError(
                "subclass consul.base.Consul and define http_connect() (or connect()) returning "
                "an http object such as consul.std.HTTPClient; or use consul.Consul"
            )
        return hook(self, host, port, scheme, verify, cert)
