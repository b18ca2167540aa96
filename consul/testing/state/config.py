"""The embedded agent's configuration.

The settings mirror those of a real agent that matter to a dev agent
(``agent/config/default.go``, ``DevSource``). Command-line flags, a
``--config-file`` (JSON or HCL) and ``CONSUL_LOCAL_CONFIG`` all end up here
(:mod:`consul.testing.configfile` reads Consul's files).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import ssl
import uuid

from .golang import is_any_address

__all__ = ["CONSUL_VERSION", "AgentConfig", "join_host_port"]

#: The Consul release this agent answers as (``/v1/agent/self`` ``Config.Version``).
CONSUL_VERSION = "1.22.0"


@dataclasses.dataclass
class AgentConfig:
    """Everything that shapes an embedded agent.

    Attributes:
        host, port: where the HTTP API listens (port 0: any free port);
            Consul's ``client_addr`` (or ``addresses.http``) and
            ``ports.http``. ``host`` may be a unix socket, ``unix:///path``,
            or several addresses separated by spaces, as Consul takes them
            (``"127.0.0.1 unix:///tmp/consul.sock"``); see
            :meth:`http_addresses`.
        bind_addr: the address the agent's cluster traffic (Serf, server
            RPC) binds to (a dev agent's ``127.0.0.1``); an embedded agent
            opens no such listeners, but advertises this address unless told
            otherwise.
        advertise_addr, advertise_addr_wan: the addresses the agent gives
            the cluster (``Member.Addr``, its catalog node's ``Address`` and
            tagged addresses); by default ``bind_addr`` (a private address of
            this host if that is ``0.0.0.0``), and the LAN one for the WAN
            (``agent/config/builder.go``).
        server_port, serf_lan_port, serf_wan_port, grpc_port, grpc_tls_port:
            ``ports.server``, ``serf_lan``, ``serf_wan``, ``grpc`` and
            ``grpc_tls`` as a dev agent has them (8300, 8301, 8302, 8502,
            8503); they are only advertised (-1 turns gRPC off).
        datacenter: the agent's datacenter.
        primary_datacenter: where ACLs live (default: ``datacenter``).
        extra_datacenters: more datacenters, each with its own state,
            reached with ``?dc=``.
        node_name: the agent's node name (default: the host name, as Consul).
        node_id: the node's UUID (default: random).
        default_query_time, max_query_time: ``default_query_time`` and
            ``max_query_time`` in seconds (Consul's 300 and 600): the wait of
            a blocking query that gives none, and the longest one allowed.
            As in Consul, the agent-local blocking of
            ``/v1/agent/service/:id`` and ``/v1/event/list`` ignores them
            (fixed 5 and 10 minutes, ``agent/agent.go``).
        session_ttl_min: ``session_ttl_min`` in seconds (Consul's 10): the
            shortest session TTL accepted.
        disable_kv_key_validation: ``disable_kv_key_validation``: accept KV
            keys with path traversal or leading/trailing spaces (answered with
            an ``X-Consul-KV-Warning`` header instead of an error).
        acl_enabled: turn ACLs on (an initial management token does too).
        acl_default_policy: ``allow`` (Consul's default) or ``deny``.
        default_intention_policy: ``default_intention_policy``: what a
            connection no intention matches gets, ``allow`` or ``deny``;
            empty (Consul's default), the ACL default policy's (allow with
            ACLs off).
        acl_enable_key_list_policy: require ``list`` on KV prefixes for
            recursive reads.
        acl_initial_management: the initial management token's secret.
        acl_default_token: the token of requests that carry none.
        acl_agent_token: the agent's own token.
        enable_script_checks, enable_local_script_checks: allow script checks
            (they are then really run, as Consul runs them). Checks
            registered through the HTTP API need ``enable_script_checks``.
        check_update_interval: seconds an output-only change of a check
            waits before it is synced to the catalog (Consul's
            ``check_update_interval``, default 5m; 0 syncs at once).
        check_reap_interval, check_deregister_interval_min: how often
            critical services are reaped, and the smallest
            ``DeregisterCriticalServiceAfter`` honoured (Consul's internal
            ``check_reap_interval`` 30s and ``check_deregister_interval_min``
            1m). Lower them only to test that reaping in seconds.
        ae_interval: seconds between the agent's full anti-entropy syncs
            with the catalog (Consul's internal ``ae_interval``, 1m; each
            waits up to as long again). Lower it only to test that
            anti-entropy repairs the catalog.
        https_port: ``ports.https``: where the HTTPS API listens besides the
            HTTP one (-1, Consul's default: no HTTPS; 0: any free port).
        tls_cert_file, tls_key_file: ``tls.defaults.cert_file`` and
            ``key_file``: the server's certificate and key (PEM files),
            required for HTTPS.
        tls_ca_file: ``tls.defaults.ca_file``: the CA that signs the
            certificates clients present.
        tls_verify_incoming: ``tls.defaults.verify_incoming``: HTTPS clients
            must present a certificate signed by ``tls_ca_file``.
        sidecar_min_port, sidecar_max_port: ``ports.sidecar_min_port`` and
            ``sidecar_max_port``: where the ports of sidecar services
            registered without one come from (21000-21255; 0 turns that
            off).
        metrics_interval: seconds of one interval of the in-memory metrics
            (go-metrics' 10 s in Consul, which has no setting for it): what
            ``/v1/agent/metrics`` aggregates and how often
            ``/v1/agent/metrics/stream`` writes. Shorten it only to test
            those quickly.
        log_level, log_json: ``log_level`` and ``log_json``: what the command
            line writes to its standard error (``/v1/agent/monitor`` has a
            level of its own). An embedded agent started from Python writes
            no log; ``off`` writes none.
        http_max_conns_per_client: ``limits.http_max_conns_per_client``
            (Consul's 200): connections one client IP may hold open (all
            clients of a unix socket count as one); one more is answered 429
            and closed. 0: no limit.
        https_handshake_timeout: ``limits.https_handshake_timeout`` in
            seconds (Consul's 5): the TLS handshake of an HTTPS connection.
        http_max_header_bytes: ``http_config.max_header_bytes``: the
            largest request line and headers taken (0, Consul's default:
            Go's 1 MB); beyond, 431.
        read_header_timeout: seconds a request's headers may take to arrive
            (from the connection's start for its first request, from the
            request's first byte for the next ones); then the connection is
            closed unanswered. Consul sets no such limit (Go's
            ``ReadHeaderTimeout``); an embedded agent has one, 0 turns it off.
        unix_socket_user, unix_socket_group, unix_socket_mode:
            ``unix_sockets.user``, ``group`` and ``mode``: the owner (a user
            name or ID), group (an ID) and permissions (octal, ``"0700"``) of
            a unix socket the HTTP API listens on (``host`` given as
            ``unix:///path``).
    """

    host: str = "127.0.0.1"
    port: int = 8500
    bind_addr: str = "127.0.0.1"
    advertise_addr: str = ""
    advertise_addr_wan: str = ""
    server_port: int = 8300
    serf_lan_port: int = 8301
    serf_wan_port: int = 8302
    grpc_port: int = 8502
    grpc_tls_port: int = 8503
    datacenter: str = "dc1"
    primary_datacenter: str = ""
    extra_datacenters: tuple[str, ...] = ()
    node_name: str = ""
    node_id: str = ""
    default_query_time: float = 300.0
    max_query_time: float = 600.0
    session_ttl_min: float = 10.0
    disable_kv_key_validation: bool = False
    acl_enabled: bool = False
    acl_default_policy: str = "allow"
    default_intention_policy: str = ""
    acl_enable_key_list_policy: bool = False
    acl_initial_management: str = ""
    acl_default_token: str = ""
    acl_agent_token: str = ""
    enable_script_checks: bool = False
    enable_local_script_checks: bool = False
    check_update_interval: float = 300.0
    check_reap_interval: float = 30.0
    check_deregister_interval_min: float = 60.0
    ae_interval: float = 60.0
    https_port: int = -1
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_ca_file: str = ""
    tls_verify_incoming: bool = False
    sidecar_min_port: int = 21000
    sidecar_max_port: int = 21255
    metrics_interval: float = 10.0
    log_level: str = "info"
    log_json: bool = False
    http_max_conns_per_client: int = 200
    https_handshake_timeout: float = 5.0
    http_max_header_bytes: int = 0
    read_header_timeout: float = 10.0
    unix_socket_user: str = ""
    unix_socket_group: str = ""
    unix_socket_mode: str = ""

    def __post_init__(self) -> None:
        if not self.primary_datacenter:
            self.primary_datacenter = self.datacenter
        if not self.node_name:
            self.node_name = socket.gethostname() or "consul-dev"
        if not self.node_id:
            self.node_id = str(uuid.uuid4())
        if self.acl_initial_management:
            self.acl_enabled = True
        if self.acl_default_policy not in ("allow", "deny"):
            raise ValueError(
                f"acl default_policy must be 'allow' or 'deny', not {self.acl_default_policy!r}"
            )
        if self.default_intention_policy not in ("", "allow", "deny"):
            # Config.CheckEnumStrings (agent/consul/config.go): the server refuses to start.
            raise ValueError(
                f"Unsupported default intention policy: {self.default_intention_policy}"
            )
        if self.https_port >= 0 and not (self.tls_cert_file and self.tls_key_file):
            raise ValueError("ports.https needs tls cert_file and key_file")
        if not self.metrics_interval > 0:
            raise ValueError("metrics_interval must be a positive number of seconds")
        if self.log_level.upper() not in ("TRACE", "DEBUG", "INFO", "WARN", "ERR", "ERROR", "OFF"):
            raise ValueError(f"Invalid log level: {self.log_level}")
        addresses = self.http_addresses()  # refuses an empty or malformed one
        if self.https_port >= 0 and all(kind == "unix" for kind, _ in addresses):
            raise ValueError("ports.https needs an IP address to listen on, not only unix sockets")
        if self.tls_verify_incoming and not self.tls_ca_file:
            # tlsutil: "VerifyIncoming set, and no CA certificate provided!"
            raise ValueError("tls verify_incoming needs a ca_file")
        self._resolve_addresses()

    def _resolve_addresses(self) -> None:
        """The advertised addresses as ``builder.go`` derives them from ``bind_addr``."""
        try:
            bind = ipaddress.ip_address(self.bind_addr)
        except ValueError:
            raise ValueError("bind_addr must be an ip address") from None
        if is_any_address(self.advertise_addr):
            raise ValueError("Advertise address cannot be 0.0.0.0, :: or [::]")
        if is_any_address(self.advertise_addr_wan):
            raise ValueError("Advertise WAN address cannot be 0.0.0.0, :: or [::]")
        if not self.advertise_addr:
            self.advertise_addr = _detect_address(bind) if bind.is_unspecified else str(bind)
        if not self.advertise_addr_wan:
            self.advertise_addr_wan = self.advertise_addr

    def http_addresses(self) -> list[tuple[str, str]]:
        """Where the HTTP API listens: ``("tcp", host)`` and ``("unix", path)`` pairs.

        ``host`` split at white space, as ``expandAddrs``
        (``agent/config/builder.go``) reads ``client_addr`` and
        ``addresses.http``; ``unix://`` names a socket's path.
        """
        addresses: list[tuple[str, str]] = []
        for address in self.host.split():
            if address.startswith("unix://"):
                path = address[len("unix://") :]
                if not path:
                    raise ValueError(f"client_addr: no unix socket path in {address!r}")
                addresses.append(("unix", path))
            else:
                addresses.append(("tcp", "::" if address == "[::]" else address))
        if not addresses:
            raise ValueError("client_addr: no address to listen on")
        return addresses

    def https_context(self) -> ssl.SSLContext | None:
        """The HTTPS listener's TLS context (None without ``ports.https``)."""
        if self.https_port < 0:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls_cert_file, self.tls_key_file)
        if self.tls_ca_file:
            context.load_verify_locations(self.tls_ca_file)
        # Go's tls.RequireAndVerifyClientCert with verify_incoming, else no
        # client certificate is asked for.
        context.verify_mode = ssl.CERT_REQUIRED if self.tls_verify_incoming else ssl.CERT_NONE
        return context

    def tagged_addresses(self) -> dict[str, str]:
        """The node's tagged addresses: ``lan``, ``wan`` and their ``_ipv4``/``_ipv6`` twins."""
        tagged: dict[str, str] = {}
        for name, address in (("lan", self.advertise_addr), ("wan", self.advertise_addr_wan)):
            tagged[name] = address
            family = "ipv6" if ipaddress.ip_address(address).version == 6 else "ipv4"
            tagged[f"{name}_{family}"] = address
        return tagged

    @property
    def server_addr(self) -> str:
        """``HOST:PORT`` of the server RPC (``/v1/status/leader``), as Go joins them."""
        return join_host_port(self.advertise_addr, self.server_port)

    @property
    def datacenters(self) -> tuple[str, ...]:
        """Every datacenter this agent serves, its own first."""
        names = [self.datacenter]
        for name in (self.primary_datacenter, *self.extra_datacenters):
            if name not in names:
                names.append(name)
        return tuple(names)


def join_host_port(host: str, port: int) -> str:
    """Go's ``net.JoinHostPort``: brackets around an IPv6 host."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _detect_address(bind: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The address to advertise for an unspecified ``bind_addr`` (``advertiseAddrFunc``).

    For ``0.0.0.0`` Consul takes the host's one private IPv4 address
    (``GetPrivateIP``), for ``::`` its one public IPv6 address; none or more
    than one is an error. This host's addresses are those its name resolves to.
    """
    kind = "public IPv6" if bind.version == 6 else "private IPv4"
    family = socket.AF_INET6 if bind.version == 6 else socket.AF_INET
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, family, socket.SOCK_STREAM)
    except OSError:
        infos = []
    found = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        wanted = ip.is_global if ip.version == 6 else ip.is_private and not ip.is_loopback
        if wanted and str(ip) not in found:
            found.append(str(ip))
    if not found:
        raise ValueError(f"No {kind} address found")
    if len(found) > 1:
        raise ValueError(
            f"Multiple {kind} addresses found. Please configure one with 'bind' and/or 'advertise'."
        )
    return found[0]
