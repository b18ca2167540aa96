"""Client configuration: arguments, then ``CONSUL_*`` environment, then defaults.

The settings are resolved once, when a client is built, into a frozen
:class:`Config`. The environment variables are those Consul's own Go client
reads (``api/api.go``: ``defaultConfig``, ``NewClient``, ``SetupTLSConfig``)
and they mean what they mean there, with one difference: an explicit argument
always wins over the environment (the Go client lets ``CONSUL_HTTP_TOKEN_FILE``
beat an explicit token, and an ``https://`` address beat an explicit scheme).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from ._endpoint import integer, optional_str, timeout_seconds
from ._http import DEFAULT_TIMEOUT, header_value

__all__ = ["CONSISTENCY_MODES", "DEFAULT_TIMEOUT", "Cert", "Config"]

#: The values of the ``consistency`` argument.
CONSISTENCY_MODES = ("default", "consistent", "stale")

#: A client certificate: one PEM file holding certificate and key, or a
#: ``(cert_file, key_file)`` pair.
Cert = str | tuple[str, str]

#: The scheme of a unix socket address (``CONSUL_HTTP_ADDR=unix:///path``).
_UNIX = "unix://"

# Go's strconv.ParseBool, which api.go uses for CONSUL_HTTP_SSL(_VERIFY).
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})

_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a client needs to know to reach Consul.

    Attributes:
        host, port, scheme: where Consul listens (``http`` or ``https``).
        path_prefix: a path before ``/v1/``, for Consul behind a reverse proxy.
        token: the default ACL token, sent only as ``X-Consul-Token``.
        token_file: where ``token`` was read from, if it came from a file.
        dc: the default datacenter (None: the agent's own).
        consistency: the default consistency mode of reads.
        verify: whether to verify the server's certificate and name.
        ca_file: a PEM bundle of the CAs to trust instead of the system's.
        ca_path: a directory whose files (all of them, recursively) hold the
            CAs to trust; ignored when ``ca_file`` is set, as in Consul.
        cert_file: the client certificate, a PEM file (with the key, unless
            ``key_file`` is set).
        key_file: the client certificate's private key.
        tls_server_name: the name to send as SNI and verify the server's
            certificate against, instead of ``host``.
        http_auth: HTTP basic authentication ``(user, password)``.
        timeout: seconds a call may take as a whole, connecting and reading
            the answer included; a blocking query is given its wait on top
            (None: wait forever).
        unix_socket: the path of the unix socket Consul listens on, to
            connect to instead of ``host`` and ``port`` (an address
            ``unix:///path``, as Consul's tools take it).
    """

    host: str = "127.0.0.1"
    port: int = 8500
    scheme: str = "http"
    path_prefix: str = ""
    token: str | None = dataclasses.field(default=None, repr=False)
    token_file: str | None = None
    dc: str | None = None
    consistency: str = "default"
    verify: bool = True
    ca_file: str | None = None
    ca_path: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_server_name: str | None = None
    http_auth: tuple[str, str] | None = dataclasses.field(default=None, repr=False)
    timeout: float | None = DEFAULT_TIMEOUT
    unix_socket: str | None = None

    def __post_init__(self) -> None:
        # Checked here, once, so that a bad setting fails when the client is
        # built rather than at its first call.
        _host(self.host, "host")
        if self.scheme not in ("http", "https"):
            raise ValueError(f"scheme must be 'http' or 'https', not {self.scheme!r}")
        if self.consistency not in CONSISTENCY_MODES:
            raise ValueError(
                f"consistency must be one of {CONSISTENCY_MODES}, not {self.consistency!r}"
            )
        if not 0 < integer(self.port, "port") < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {self.port}")
        timeout_seconds(self.timeout)
        if self.token is not None:
            header_value(self.token, "token")
        optional_str(self.dc, "dc")
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("a client key needs its certificate (cert_file)")
        if self.unix_socket is not None:
            _unix_path(self.unix_socket, "unix_socket")
            if self.scheme != "http":
                raise ValueError(
                    f"{self.address}: TLS over a unix socket is not supported (scheme must be "
                    "http, and CONSUL_HTTP_SSL unset)"
                )

    @property
    def base_url(self) -> str:
        """``scheme://host:port[/prefix]``: what request paths are appended to.

        Over a unix socket, ``http://localhost``: the socket is the address,
        and the URL only names the ``Host`` header.
        """
        if self.unix_socket is not None:
            return "http://localhost"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path_prefix}"

    @property
    def address(self) -> str:
        """Where Consul is, for messages: :attr:`base_url`, or ``unix://`` and the socket's path."""
        if self.unix_socket is not None:
            return "unix://" + self.unix_socket
        return self.base_url

    def ca_certificates(self) -> str | None:
        """The PEM text of the CAs to trust, or None for the system's.

        The certificates of :meth:`ca_certificate_list`, one after the other.
        """
        blocks = self.ca_certificate_list()
        return None if blocks is None else "\n".join(blocks) + "\n"

    def ca_certificate_list(self) -> list[str] | None:
        """The CAs to trust, one PEM certificate each, or None for the system's.

        ``ca_file`` wins over ``ca_path``; every file below ``ca_path`` must
        hold at least one PEM certificate (``go-rootcerts`` ``LoadCACerts``).
        """
        if self.ca_file is not None:
            names = [self.ca_file]
        elif self.ca_path is not None:
            names = sorted(
                os.path.join(root, name)
                for root, _, files in os.walk(self.ca_path)
                for name in files
            )
            if not names and not os.path.isdir(self.ca_path):
                raise FileNotFoundError(f"CA path {self.ca_path!r} is not a directory")
        else:
            return None
        blocks: list[str] = []
        for name in names:
            with open(name, encoding="ascii", errors="replace") as f:
                found = _PEM_CERTIFICATE.findall(f.read())
            if not found:
                raise ValueError(f"no PEM certificate in CA file {name!r}")
            blocks.extend(found)
        return blocks

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context every adapter but Twisted's uses (None for ``http``).

        Built from ``verify``, the CAs, the client certificate and
        ``tls_server_name`` as Consul's ``SetupTLSConfig`` does; the Twisted
        adapter builds the same from the same settings with pyOpenSSL. The
        server name itself is given to each library when it connects.
        """
        if self.scheme != "https":
            return None
        cadata = self.ca_certificates()
        if cadata is None:
            context = ssl.create_default_context()
        else:
            context = ssl.create_default_context(cadata=cadata)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.cert_file is not None:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context

    @classmethod
    def resolve(
        cls,
        host: str | None = None,
        port: int | None = None,
        token: str | None = None,
        scheme: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        verify: bool | str | None = None,
        cert: Cert | None = None,
        *,
        token_file: str | None = None,
        tls_server_name: str | None = None,
        http_auth: str | tuple[str, str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> Config:
        """Resolve the arguments against the environment and the defaults.

        An argument that is given (not None) wins; otherwise the ``CONSUL_*``
        variable of ``env`` (default: ``os.environ``) is used, and otherwise
        the default. See :class:`consul.base.ConsulBase` for the arguments.
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {}

        # The address: host and port are one setting, as CONSUL_HTTP_ADDR is;
        # either may be a unix socket (unix:///path).
        path_prefix = ""
        env_scheme: str | None = None
        addr = env.get("CONSUL_HTTP_ADDR", "")
        from_env = host is None and port is None and addr != ""
        if from_env and addr.startswith(_UNIX):
            values["unix_socket"] = _unix_path(addr[len(_UNIX) :], "CONSUL_HTTP_ADDR")
        elif from_env:
            host, port, env_scheme, path_prefix = _parse_addr(addr)
        elif isinstance(host, str) and host.startswith(_UNIX):
            if port is not None:
                raise ValueError(f"port does not apply to a unix socket address: {host!r}")
            values["unix_socket"] = _unix_path(host[len(_UNIX) :], "host")
            host = None
        if _env_bool(env, "CONSUL_HTTP_SSL"):
            # NewClient never reverts to http once TLS was asked for, even
            # for an http:// address.
            env_scheme = "https"
        values["scheme"] = scheme = scheme or env_scheme or "http"
        values["host"] = "127.0.0.1" if host is None else _host(host, "host")
        if port is None:
            # An address without a port means the scheme's port (Go's
            # net/http dials the URL's host); the arguments default to 8500.
            by_url = from_env and "unix_socket" not in values
            port = (443 if scheme == "https" else 80) if by_url else 8500
        values["port"] = port
        values["path_prefix"] = path_prefix

        values["token"], values["token_file"] = _token(token, token_file, env)
        values["dc"] = dc or None
        values["consistency"] = consistency or "default"

        # TLS (SetupTLSConfig): verification, the CAs, the client certificate.
        env_verify = _env_bool(env, "CONSUL_HTTP_SSL_VERIFY")
        if verify is None:
            verify = env_verify is not False
        if isinstance(verify, str):
            if os.path.isdir(verify):
                values["ca_path"] = verify
            else:
                values["ca_file"] = verify
            values["verify"] = True
        elif isinstance(verify, bool):
            values["verify"] = verify
            values["ca_file"] = env.get("CONSUL_CACERT") or None
            values["ca_path"] = env.get("CONSUL_CAPATH") or None
        else:
            raise TypeError(f"verify must be a bool or a path, not {type(verify).__name__}")
        values["cert_file"], values["key_file"] = _client_cert(cert, env)

        server_name = tls_server_name or env.get("CONSUL_TLS_SERVER_NAME") or None
        values["tls_server_name"] = None if server_name is None else _server_name(server_name)

        if http_auth is None:
            http_auth = env.get("CONSUL_HTTP_AUTH") or None
        if isinstance(http_auth, str):
            # "user:password", or just "user" (api.go defaultConfig).
            user, _, password = http_auth.partition(":")
            http_auth = (user, password)
        values["http_auth"] = http_auth

        values["timeout"] = timeout
        return cls(**values)  # type: ignore[arg-type]


def _env_bool(env: Mapping[str, str], name: str) -> bool | None:
    """A boolean variable as Go's ``strconv.ParseBool`` reads it (unset: None).

    Consul's tools warn about a value ParseBool rejects and go on as if it
    were false, which for ``CONSUL_HTTP_SSL_VERIFY`` turns verification off;
    a client library should not guess, so such a value is an error here.
    """
    value = env.get(name, "")
    if value == "":
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false (as Go's strconv.ParseBool), not {value!r}")


def _token(
    token: str | None, token_file: str | None, env: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The token and the file it came from.

    A token file, when given, beats a token given the same way (NewClient:
    "If the TokenFile is set, always use that"), unless the file is empty.
    Arguments beat the environment: ``token_file``, ``token``, then
    ``CONSUL_HTTP_TOKEN_FILE``, then ``CONSUL_HTTP_TOKEN``. An explicit empty
    ``token`` means no token, whatever the environment says.
    """
    candidates: list[tuple[str | None, str | None]] = [
        (None, token_file),
        (token, None),
        (None, env.get("CONSUL_HTTP_TOKEN_FILE") or None),
        (env.get("CONSUL_HTTP_TOKEN") or None, None),
    ]
    for value, file in candidates:
        if file is not None:
            with open(file, encoding="utf-8") as f:
                value = f.read().strip()
            if value:
                return value, file
        elif value is not None:
            return value or None, None
    return None, None


def _client_cert(cert: Cert | None, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The client certificate and key files, from ``cert`` or the environment."""
    if cert is None:
        cert_file = env.get("CONSUL_CLIENT_CERT") or None
        key_file = env.get("CONSUL_CLIENT_KEY") or None
        if key_file is not None and cert_file is None:
            raise ValueError("CONSUL_CLIENT_KEY is set but CONSUL_CLIENT_CERT is not")
        return cert_file, key_file
    if isinstance(cert, str):
        return cert, None
    if isinstance(cert, tuple) and len(cert) == 2 and all(isinstance(p, str) for p in cert):
        return cert[0], cert[1]
    raise TypeError("cert must be a path or a (cert_file, key_file) pair")


def _server_name(value: str) -> str:
    """``CONSUL_TLS_SERVER_NAME`` without its port, if it has one.

    ``SetupTLSConfig`` drops a port (``host:port``, ``[v6]:port``) with
    ``net.SplitHostPort``; brackets around an IPv6 address go too.
    """
    if value.rfind(":") > value.rfind("]"):
        host, _, port = value.rpartition(":")
        if not port.isdigit() or (":" in host and not host.startswith("[")):
            raise ValueError(f"TLS server name {value!r} is not a host or host:port")
        value = host
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return value


def _parse_addr(addr: str) -> tuple[str, int | None, str | None, str]:
    """Split ``CONSUL_HTTP_ADDR`` into host, port, scheme and path prefix.

    Accepts ``host[:port]``, ``http://host[:port][/prefix]`` and
    ``https://...``, with IPv6 hosts in brackets (``NewClient``). Consul's
    tools read a path prefix only after a scheme; without one it is read the
    same way here rather than sent as part of the host.
    """
    scheme: str | None = None
    if "://" in addr:
        scheme = _scheme(addr.split("://", 1)[0], "CONSUL_HTTP_ADDR")
        if scheme == "http":
            # An http:// address leaves the scheme to CONSUL_HTTP_SSL.
            scheme = None
    else:
        addr = "http://" + addr
    parts = urlsplit(addr)
    if not parts.hostname:
        raise ValueError(f"CONSUL_HTTP_ADDR: no host in {addr!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"CONSUL_HTTP_ADDR: bad port in {addr!r}") from exc
    prefix = parts.path.rstrip("/")
    return parts.hostname, port, scheme, prefix


def _unix_path(path: str, source: str) -> str:
    """The path of a unix socket given as ``source`` (what follows ``unix://``).

    As in Consul's ``NewClient``, the rest of the address is the path as it
    is (``unix:///var/run/consul.sock`` names ``/var/run/consul.sock``,
    ``unix://consul.sock`` a relative path).
    """
    if not isinstance(path, str):
        raise TypeError(f"{source} must be a str, not {type(path).__name__}")
    if not path or "\0" in path:
        raise ValueError(f"{source}: no unix socket path in {_UNIX + path!r}")
    return path


def _scheme(scheme: str, source: str) -> str:
    """The scheme of an address given as ``source``: http or https."""
    if scheme not in ("http", "https"):
        raise ValueError(f"{source}: unknown protocol scheme {scheme!r}")
    return scheme


def _host(value: str, source: str) -> str:
    """A host name or IP address (an IPv6 one with or without brackets).

    An address with a scheme is refused with the messages of
    ``CONSUL_HTTP_ADDR``'s (unknown schemes), and an http(s) URL or a port
    with a message saying where those go (a ``unix://`` address is read
    before this is called).
    """
    if not isinstance(value, str):
        raise TypeError(f"{source} must be a str, not {type(value).__name__}")
    if "://" in value:
        _scheme(value.split("://", 1)[0], source)
        raise ValueError(
            f"{source} must be a host name or IP address, not a URL: {value!r} "
            "(give scheme= and port= on their own, or the URL as CONSUL_HTTP_ADDR)"
        )
    host = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(
                f"{source} must not include a port (give port= on its own): {value!r}"
            ) from None
    elif not host or not host.isprintable() or any(c in host for c in " /?#@[]"):
        raise ValueError(f"{source} is not a host name or IP address: {value!r}")
    return host
