"""The embedded agent's configuration.

The settings mirror those of a real agent that matter to a dev agent
(``agent/config/default.go``, ``DevSource``). Command-line flags, a
``--config-file`` (JSON or HCL) and ``CONSUL_LOCAL_CONFIG`` all end up here
(:mod:`consul.testing.configfile` reads Consul's files).
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import uuid

__all__ = ["CONSUL_VERSION", "AgentConfig"]

#: The Consul release this agent answers as (``/v1/agent/self`` ``Config.Version``).
CONSUL_VERSION = "1.22.0"


@dataclasses.dataclass
class AgentConfig:
    """Everything that shapes an embedded agent.

    Attributes:
        host, port: where the HTTP API listens (port 0: any free port).
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
    """

    host: str = "127.0.0.1"
    port: int = 8500
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
        if self.https_port >= 0 and not (self.tls_cert_file and self.tls_key_file):
            raise ValueError("ports.https needs tls cert_file and key_file")
        if self.tls_verify_incoming and not self.tls_ca_file:
            # tlsutil: "VerifyIncoming set, and no CA certificate provided!"
            raise ValueError("tls verify_incoming needs a ca_file")

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

    @property
    def datacenters(self) -> tuple[str, ...]:
        """Every datacenter this agent serves, its own first."""
        names = [self.datacenter]
        for name in (self.primary_datacenter, *self.extra_datacenters):
            if name not in names:
                names.append(name)
        return tuple(names)
