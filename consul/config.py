"""Client configuration: arguments, then ``CONSUL_*`` environment, then defaults.

The settings are resolved once, when a client is built, into a frozen
:class:`Config`. The environment variables are those Consul's own tools read
(``api/api.go``); unlike the original python-consul, an explicit argument
always wins over the environment.
"""

from __future__ import annotations

import dataclasses
import os
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["CONSISTENCY_MODES", "Config"]

#: The values of the ``consistency`` argument.
CONSISTENCY_MODES = ("default", "consistent", "stale")

DEFAULT_TIMEOUT = 30.0

Cert = str | tuple[str, str]


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a client needs to know to reach Consul.

    Attributes:
        host, port, scheme: where Consul listens (``http`` or ``https``).
        path_prefix: a path before ``/v1/``, for Consul behind a reverse proxy.
        token: the default ACL token, sent as ``X-Consul-Token``.
        token_file: where ``token`` was read from, if it came from a file.
        dc: the default datacenter (None: the agent's own).
        consistency: the default consistency mode of reads.
        verify: True (system CAs), False (no verification) or a path to a CA
            bundle file.
        ca_path: a directory of CA certificates (``CONSUL_CAPATH``).
        cert: a client certificate: a PEM file holding both, or a
            ``(cert_file, key_file)`` pair.
        tls_server_name: the name to verify the server's certificate against
            (and send as SNI) instead of ``host``.
        http_auth: HTTP basic authentication ``(user, password)``.
        timeout: seconds to wait for a connection and for each response; a
            blocking query is given its wait on top (None: wait forever).
    """

    host: str = "127.0.0.1"
    port: int = 8500
    scheme: str = "http"
    path_prefix: str = ""
    token: str | None = dataclasses.field(default=None, repr=False)
    token_file: str | None = None
    dc: str | None = None
    consistency: str = "default"
    verify: bool | str = True
    ca_path: str | None = None
    cert: Cert | None = None
    tls_server_name: str | None = None
    http_auth: tuple[str, str] | None = dataclasses.field(default=None, repr=False)
    timeout: float | None = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if self.scheme not in ("http", "https"):
            raise ValueError(f"scheme must be 'http' or 'https', not {self.scheme!r}")
        if self.consistency not in CONSISTENCY_MODES:
            raise ValueError(
                f"consistency must be one of {CONSISTENCY_MODES}, not {self.consistency!r}"
            )
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise TypeError(f"port must be an int, not {type(self.port).__name__}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {self.port}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be positive or None, not {self.timeout!r}")

    @property
    def base_url(self) -> str:
        """``scheme://host:port[/prefix]``: what request paths are appended to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path_prefix}"

    @property
    def cert_pair(self) -> tuple[str, str | None] | None:
        """The client certificate as ``(cert_file, key_file or None)``."""
        if self.cert is None:
            return None
        if isinstance(self.cert, str):
            return self.cert, None
        return self.cert[0], self.cert[1]

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for ``https`` (None for ``http``).

        Built from ``verify``, ``ca_path`` and ``cert`` exactly as every adapter
        uses them, so the five clients verify alike.
        """
        if self.scheme != "https":
            return None
        cafile = self.verify if isinstance(self.verify, str) else None
        if cafile is not None and os.path.isdir(cafile):
            context = ssl.create_default_context(capath=cafile)
        else:
            context = ssl.create_default_context(cafile=cafile, capath=self.ca_path)
        if self.verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        pair = self.cert_pair
        if pair is not None:
            context.load_cert_chain(pair[0], pair[1])
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
        timeout: float | None = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> Config:
        """Resolve the arguments against the environment and the defaults.

        An argument that is given (not None) wins. Otherwise the ``CONSUL_*``
        variable of ``env`` (default: ``os.environ``) is used, and otherwise
        the default.
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {}

        path_prefix = ""
        env_scheme: str | None = None
        from_env = host is None and port is None and bool(env.get("CONSUL_HTTP_ADDR"))
        if from_env:
            host, port, env_scheme, path_prefix = _parse_addr(env["CONSUL_HTTP_ADDR"])
        if _env_bool(env, "CONSUL_HTTP_SSL"):
            # api.NewClient never reverts to http once TLS was asked for.
            env_scheme = "https"
        values["scheme"] = scheme = scheme or env_scheme or "http"
        values["host"] = host if host is not None else "127.0.0.1"
        if port is None:
            # CONSUL_HTTP_ADDR without a port means the scheme's port (Go's
            # net/url); the arguments default to Consul's 8500.
            port = (443 if scheme == "https" else 80) if from_env else 8500
        values["port"] = port
        values["path_prefix"] = path_prefix

        # Token precedence as in api/api.go: explicit file, explicit token,
        # then the environment's file, then its token.
        if token_file is None and token is None and env.get("CONSUL_HTTP_TOKEN_FILE"):
            token_file = env["CONSUL_HTTP_TOKEN_FILE"]
        if token_file is not None and token is None:
            with open(token_file, encoding="utf-8") as f:
                token = f.read().strip()
            values["token_file"] = token_file
        if token is None:
            token = env.get("CONSUL_HTTP_TOKEN") or None
        values["token"] = token

        values["dc"] = dc
        values["consistency"] = consistency or "default"

        if verify is None:
            if env.get("CONSUL_HTTP_SSL_VERIFY") and not _env_bool(env, "CONSUL_HTTP_SSL_VERIFY"):
                verify = False
            elif env.get("CONSUL_CACERT"):
                verify = env["CONSUL_CACERT"]
            else:
                verify = True
        values["verify"] = verify
        values["ca_path"] = env.get("CONSUL_CAPATH") or None
        if cert is None and env.get("CONSUL_CLIENT_CERT"):
            key = env.get("CONSUL_CLIENT_KEY")
            cert = (env["CONSUL_CLIENT_CERT"], key) if key else env["CONSUL_CLIENT_CERT"]
        values["cert"] = cert

        server_name = env.get("CONSUL_TLS_SERVER_NAME") or None
        if server_name and server_name.count(":") == 1:
            # api.go strips a port, if any, before using the name for SNI.
            server_name = server_name.rsplit(":", 1)[0]
        values["tls_server_name"] = server_name

        auth = env.get("CONSUL_HTTP_AUTH")
        if auth:
            user, _, password = auth.partition(":")
            values["http_auth"] = (user, password)

        values["timeout"] = timeout
        return cls(**values)  # type: ignore[arg-type]


def _env_bool(env: Mapping[str, str], name: str) -> bool:
    """A boolean variable as Go's ``strconv.ParseBool`` reads it (bad: False)."""
    return env.get(name, "").strip().lower() in ("1", "t", "true")


def _parse_addr(addr: str) -> tuple[str, int | None, str | None, str]:
    """Split ``CONSUL_HTTP_ADDR`` into host, port, scheme and path prefix.

    Accepts ``host:port``, ``host``, ``http://host:port`` and
    ``https://host:port/prefix``, with IPv6 hosts in brackets.
    """
    scheme: str | None = None
    if "://" in addr:
        scheme = addr.split("://", 1)[0].lower()
        if scheme == "unix":
            raise ValueError("CONSUL_HTTP_ADDR: unix sockets are not supported by this client")
        if scheme not in ("http", "https"):
            raise ValueError(f"CONSUL_HTTP_ADDR: unknown protocol scheme {scheme!r}")
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
