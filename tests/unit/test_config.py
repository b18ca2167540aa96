"""Configuration: arguments, then the ``CONSUL_*`` environment, then defaults.

The environment's meaning is Consul's (``api/api.go``): each case names the
rule it checks.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import ssl

import pytest
import trustme

import consul
from consul.base import ConsulBase
from consul.config import DEFAULT_TIMEOUT, Config


def resolve(env=None, **kwargs):
    return Config.resolve(env=env or {}, **kwargs)


def test_defaults():
    config = resolve()
    assert (config.scheme, config.host, config.port) == ("http", "127.0.0.1", 8500)
    assert config.base_url == "http://127.0.0.1:8500"
    assert config.token is None
    assert config.verify is True
    assert (config.ca_file, config.ca_path, config.cert_file, config.key_file) == (None,) * 4
    assert config.tls_server_name is None
    assert config.http_auth is None
    assert config.timeout == DEFAULT_TIMEOUT
    assert config.consistency == "default"


class TestUnixSocket:
    """``unix:///path`` (api.go ``NewClient``: the rest of the address is the socket's path)."""

    def test_consul_http_addr(self):
        config = resolve({"CONSUL_HTTP_ADDR": "unix:///var/run/consul.sock"})
        assert config.unix_socket == "/var/run/consul.sock"
        assert config.scheme == "http"
        assert config.address == "unix:///var/run/consul.sock"
        assert config.base_url == "http://localhost"  # only the Host header

    def test_a_relative_path(self):
        assert resolve({"CONSUL_HTTP_ADDR": "unix://consul.sock"}).unix_socket == "consul.sock"

    def test_the_host_argument(self):
        config = resolve({"CONSUL_HTTP_ADDR": "10.0.0.1:8500"}, host="unix:///run/consul.sock")
        assert config.unix_socket == "/run/consul.sock"
        assert config.address == "unix:///run/consul.sock"

    def test_an_argument_wins_over_a_unix_environment(self):
        config = resolve({"CONSUL_HTTP_ADDR": "unix:///run/consul.sock"}, host="consul")
        assert (config.unix_socket, config.base_url) == (None, "http://consul:8500")
        assert resolve({"CONSUL_HTTP_ADDR": "unix:///run/c.sock"}, port=8501).unix_socket is None

    @pytest.mark.parametrize(
        ("env", "kwargs", "message"),
        [
            ({}, {"host": "unix:///c.sock", "port": 8500}, "port does not apply to a unix socket"),
            ({}, {"host": "unix:///c.sock", "scheme": "https"}, "TLS over a unix socket"),
            (
                {"CONSUL_HTTP_ADDR": "unix:///c.sock", "CONSUL_HTTP_SSL": "true"},
                {},
                "^unix:///c.sock: TLS over a unix socket is not supported",
            ),
            ({"CONSUL_HTTP_ADDR": "unix://"}, {}, "^CONSUL_HTTP_ADDR: no unix socket path"),
            ({}, {"host": "unix:///a\0b"}, "no unix socket path"),
        ],
    )
    def test_refused(self, env, kwargs, message):
        with pytest.raises(ValueError, match=message):
            resolve(env, **kwargs)


class TestAddress:
    @pytest.mark.parametrize(
        ("addr", "base_url"),
        [
            ("10.0.0.1:8501", "http://10.0.0.1:8501"),
            ("consul.example", "http://consul.example:80"),
            ("http://consul.example:8500", "http://consul.example:8500"),
            ("https://consul.example:8501", "https://consul.example:8501"),
            ("https://consul.example", "https://consul.example:443"),
            ("[::1]:8500", "http://[::1]:8500"),
            ("https://[fd00::5]:8501", "https://[fd00::5]:8501"),
            ("https://proxy:443/consul/", "https://proxy:443/consul"),
            ("http://proxy:80/a/b", "http://proxy:80/a/b"),
        ],
    )
    def test_consul_http_addr(self, addr, base_url):
        assert resolve({"CONSUL_HTTP_ADDR": addr}).base_url == base_url

    def test_ipv6_host(self):
        config = resolve({"CONSUL_HTTP_ADDR": "[::1]:8500"})
        assert (config.host, config.port) == ("::1", 8500)

    @pytest.mark.parametrize(
        ("addr", "message"),
        [
            ("ftp://consul:21", "unknown protocol scheme"),
            ("consul:http", "bad port"),
            ("http://:8500", "no host"),
        ],
    )
    def test_bad_addresses(self, addr, message):
        with pytest.raises(ValueError, match=message):
            resolve({"CONSUL_HTTP_ADDR": addr})

    @pytest.mark.parametrize(
        ("addr", "message"),
        [
            ("unix://", r"no unix socket path in 'unix://'"),
            ("ftp://consul:21", "unknown protocol scheme 'ftp'"),
        ],
        ids=["unix", "ftp"],
    )
    def test_a_host_argument_gets_the_messages_of_the_environment(self, addr, message):
        with pytest.raises(ValueError, match=f"^CONSUL_HTTP_ADDR: {message}$"):
            resolve({"CONSUL_HTTP_ADDR": addr})
        with pytest.raises(ValueError, match=f"^host: {message}$"):
            resolve(host=addr)

    @pytest.mark.parametrize(
        ("host", "message"),
        [
            ("http://127.0.0.1", "not a URL"),
            ("https://consul:8501/prefix", "not a URL"),
            ("consul:8500", "must not include a port"),
            ("[fd00::1]:8500", "must not include a port"),
            ("a b", "not a host name"),
            ("user@consul", "not a host name"),
            ("", "not a host name"),
        ],
    )
    def test_a_bad_host_argument(self, host, message):
        with pytest.raises(ValueError, match=message):
            resolve(host=host)

    @pytest.mark.parametrize(
        ("host", "base_url"),
        [("::1", "http://[::1]:8500"), ("[fd00::1]", "http://[fd00::1]:8500"), ("consul", None)],
    )
    def test_good_host_arguments(self, host, base_url):
        assert resolve(host=host).base_url == (base_url or f"http://{host}:8500")

    def test_arguments_replace_the_whole_address(self):
        env = {"CONSUL_HTTP_ADDR": "https://far.example:9999/prefix"}
        assert resolve(env, host="near", port=1).base_url == "http://near:1"
        assert resolve(env, port=1).base_url == "http://127.0.0.1:1"
        assert resolve(env, host="near").base_url == "http://near:8500"

    @pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
    def test_consul_http_ssl_true(self, value):
        config = resolve({"CONSUL_HTTP_ADDR": "consul:8501", "CONSUL_HTTP_SSL": value})
        assert config.base_url == "https://consul:8501"

    @pytest.mark.parametrize("value", ["0", "f", "F", "FALSE", "false", "False", ""])
    def test_consul_http_ssl_false(self, value):
        assert resolve({"CONSUL_HTTP_SSL": value}).scheme == "http"

    @pytest.mark.parametrize("value", ["yes", "on", "TrUe", " true"])
    def test_consul_http_ssl_must_be_a_go_boolean(self, value):
        with pytest.raises(ValueError, match="CONSUL_HTTP_SSL"):
            resolve({"CONSUL_HTTP_SSL": value})

    def test_an_http_address_does_not_undo_consul_http_ssl(self):
        # NewClient: "Never revert to http if TLS was explicitly requested."
        env = {"CONSUL_HTTP_ADDR": "http://consul", "CONSUL_HTTP_SSL": "true"}
        assert resolve(env).base_url == "https://consul:443"

    def test_the_scheme_argument_wins(self):
        env = {"CONSUL_HTTP_ADDR": "https://consul:8501", "CONSUL_HTTP_SSL": "true"}
        assert resolve(env, scheme="http").base_url == "http://consul:8501"
        assert resolve(scheme="https").base_url == "https://127.0.0.1:8500"


class TestToken:
    def test_consul_http_token(self):
        assert resolve({"CONSUL_HTTP_TOKEN": "env"}).token == "env"

    def test_the_argument_wins(self, tmp_path):
        (tmp_path / "t").write_text("from-file")
        env = {"CONSUL_HTTP_TOKEN": "env", "CONSUL_HTTP_TOKEN_FILE": str(tmp_path / "t")}
        assert resolve(env, token="arg").token == "arg"

    def test_an_empty_token_argument_means_none(self):
        assert resolve({"CONSUL_HTTP_TOKEN": "env"}, token="").token is None

    def test_the_token_file_wins_over_the_token(self, tmp_path):
        (tmp_path / "t").write_text("  from-file\n")
        env = {"CONSUL_HTTP_TOKEN": "env", "CONSUL_HTTP_TOKEN_FILE": str(tmp_path / "t")}
        config = resolve(env)
        assert (config.token, config.token_file) == ("from-file", str(tmp_path / "t"))
        # Given both as arguments, the file wins too (NewClient).
        config = resolve(token="arg", token_file=str(tmp_path / "t"))
        assert config.token == "from-file"

    def test_an_empty_token_file_is_skipped(self, tmp_path):
        (tmp_path / "t").write_text("\n")
        env = {"CONSUL_HTTP_TOKEN": "env", "CONSUL_HTTP_TOKEN_FILE": str(tmp_path / "t")}
        assert (resolve(env).token, resolve(env).token_file) == ("env", None)

    def test_a_missing_token_file_is_an_error(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            resolve({"CONSUL_HTTP_TOKEN_FILE": str(tmp_path / "missing")})

    def test_secrets_stay_out_of_repr(self):
        config = resolve({"CONSUL_HTTP_AUTH": "user:hunter2"}, token="s3cr3t")
        assert "s3cr3t" not in repr(config)
        assert "hunter2" not in repr(config)


class TestHttpAuth:
    @pytest.mark.parametrize(
        ("value", "auth"),
        [("user:pass", ("user", "pass")), ("user", ("user", "")), ("u:p:q", ("u", "p:q"))],
    )
    def test_consul_http_auth(self, value, auth):
        assert resolve({"CONSUL_HTTP_AUTH": value}).http_auth == auth

    def test_the_argument_wins(self):
        env = {"CONSUL_HTTP_AUTH": "env:env"}
        assert resolve(env, http_auth=("a", "b")).http_auth == ("a", "b")
        assert resolve(env, http_auth="c:d").http_auth == ("c", "d")


class TestTLS:
    @pytest.mark.parametrize(("value", "verify"), [("false", False), ("0", False), ("true", True)])
    def test_consul_http_ssl_verify(self, value, verify):
        assert resolve({"CONSUL_HTTP_SSL_VERIFY": value}).verify is verify

    def test_consul_http_ssl_verify_must_be_a_go_boolean(self):
        # Consul's tools would warn and turn verification off; we refuse.
        with pytest.raises(ValueError, match="CONSUL_HTTP_SSL_VERIFY"):
            resolve({"CONSUL_HTTP_SSL_VERIFY": "no"})

    def test_verify_argument_wins(self):
        assert resolve({"CONSUL_HTTP_SSL_VERIFY": "false"}, verify=True).verify is True
        assert resolve({"CONSUL_HTTP_SSL_VERIFY": "true"}, verify=False).verify is False

    def test_the_cas_from_the_environment(self):
        env = {"CONSUL_CACERT": "/ca.pem", "CONSUL_CAPATH": "/cas"}
        config = resolve(env)
        assert (config.verify, config.ca_file, config.ca_path) == (True, "/ca.pem", "/cas")
        # verify=True turns verification on; the variables still pick the CAs.
        assert resolve(env, verify=True).ca_file == "/ca.pem"

    def test_a_ca_argument_replaces_the_environment(self, tmp_path):
        env = {"CONSUL_CACERT": "/ca.pem", "CONSUL_CAPATH": "/cas"}
        config = resolve(env, verify=str(tmp_path / "mine.pem"))
        assert (config.verify, config.ca_file, config.ca_path) == (
            True,
            str(tmp_path / "mine.pem"),
            None,
        )
        config = resolve(env, verify=str(tmp_path))
        assert (config.ca_file, config.ca_path) == (None, str(tmp_path))

    def test_verify_must_be_a_bool_or_a_path(self):
        with pytest.raises(TypeError, match="verify"):
            resolve(verify=1)

    def test_client_certificate_from_the_environment(self):
        env = {"CONSUL_CLIENT_CERT": "/c.pem", "CONSUL_CLIENT_KEY": "/k.pem"}
        config = resolve(env)
        assert (config.cert_file, config.key_file) == ("/c.pem", "/k.pem")
        config = resolve({"CONSUL_CLIENT_CERT": "/both.pem"})
        assert (config.cert_file, config.key_file) == ("/both.pem", None)

    def test_a_client_key_without_its_certificate(self):
        with pytest.raises(ValueError, match="CONSUL_CLIENT_CERT"):
            resolve({"CONSUL_CLIENT_KEY": "/k.pem"})

    def test_the_cert_argument_wins(self):
        env = {"CONSUL_CLIENT_CERT": "/c.pem", "CONSUL_CLIENT_KEY": "/k.pem"}
        config = resolve(env, cert="/mine.pem")
        assert (config.cert_file, config.key_file) == ("/mine.pem", None)
        config = resolve(env, cert=("/a.pem", "/b.pem"))
        assert (config.cert_file, config.key_file) == ("/a.pem", "/b.pem")

    @pytest.mark.parametrize("cert", [("/a.pem",), ["/a.pem", "/b.pem"], 3])
    def test_bad_cert(self, cert):
        with pytest.raises(TypeError, match="cert"):
            resolve(cert=cert)

    @pytest.mark.parametrize(
        ("value", "name"),
        [
            ("server.dc1.consul", "server.dc1.consul"),
            ("server.dc1.consul:8501", "server.dc1.consul"),
            ("[fd00::1]:8501", "fd00::1"),
            ("[fd00::1]", "fd00::1"),
            ("10.0.0.1:8501", "10.0.0.1"),
        ],
    )
    def test_consul_tls_server_name(self, value, name):
        # SetupTLSConfig drops the port with net.SplitHostPort.
        assert resolve({"CONSUL_TLS_SERVER_NAME": value}).tls_server_name == name

    @pytest.mark.parametrize("value", ["fd00::1", "host:port"])
    def test_bad_tls_server_name(self, value):
        with pytest.raises(ValueError, match="TLS server name"):
            resolve({"CONSUL_TLS_SERVER_NAME": value})

    def test_tls_server_name_argument_wins(self):
        env = {"CONSUL_TLS_SERVER_NAME": "env.consul"}
        assert resolve(env, tls_server_name="arg.consul").tls_server_name == "arg.consul"


@pytest.fixture(scope="module")
def cas(tmp_path_factory):
    """A directory with two CAs, one of them in a subdirectory; the first CA."""
    root = tmp_path_factory.mktemp("cas")
    first, second = trustme.CA(), trustme.CA()
    first.cert_pem.write_to_path(str(root / "first.pem"))
    (root / "nested").mkdir()
    second.cert_pem.write_to_path(str(root / "nested" / "second.crt"))
    return root, first


class TestSSLContext:
    def test_none_for_http(self):
        assert resolve().ssl_context() is None

    def test_verification_on(self):
        context = resolve(scheme="https").ssl_context()
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True

    def test_verification_off(self):
        context = resolve(scheme="https", verify=False).ssl_context()
        assert context.verify_mode == ssl.CERT_NONE
        assert context.check_hostname is False

    def test_a_ca_file_is_the_only_trust(self, cas):
        root, _ = cas
        context = resolve(scheme="https", verify=str(root / "first.pem")).ssl_context()
        assert len(context.get_ca_certs()) == 1

    def test_a_ca_path_trusts_every_file_below_it(self, cas):
        root, _ = cas
        context = resolve({"CONSUL_CAPATH": str(root)}, scheme="https").ssl_context()
        assert len(context.get_ca_certs()) == 2

    def test_the_ca_file_wins_over_the_ca_path(self, cas):
        root, _ = cas
        env = {"CONSUL_CACERT": str(root / "first.pem"), "CONSUL_CAPATH": str(root)}
        assert len(resolve(env, scheme="https").ssl_context().get_ca_certs()) == 1

    def test_the_ca_list_holds_each_pem_certificate(self, cas):
        root, first = cas
        listed = resolve({"CONSUL_CAPATH": str(root)}, scheme="https").ca_certificate_list()
        assert len(listed) == 2
        assert listed[0] == first.cert_pem.bytes().decode().strip()
        assert resolve().ca_certificate_list() is None

    def test_a_file_without_certificates_in_the_ca_path(self, tmp_path):
        (tmp_path / "README").write_text("nothing here")
        with pytest.raises(ValueError, match="no PEM certificate"):
            resolve({"CONSUL_CAPATH": str(tmp_path)}, scheme="https").ssl_context()

    def test_a_ca_path_that_is_not_a_directory(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            resolve({"CONSUL_CAPATH": str(tmp_path / "none")}, scheme="https").ssl_context()

    def test_a_client_certificate_is_loaded(self, cas, tmp_path):
        _, ca = cas
        issued = ca.issue_cert("client")
        issued.cert_chain_pems[0].write_to_path(str(tmp_path / "c.pem"))
        issued.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
        resolve(
            scheme="https", cert=(str(tmp_path / "c.pem"), str(tmp_path / "k.pem"))
        ).ssl_context()
        other = ca.issue_cert("other")
        other.private_key_pem.write_to_path(str(tmp_path / "wrong.pem"))
        config = resolve(
            scheme="https", cert=(str(tmp_path / "c.pem"), str(tmp_path / "wrong.pem"))
        )
        with pytest.raises(ssl.SSLError):
            config.ssl_context()


class TestValidation:
    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"port": 0}, ValueError),
            ({"port": 70000}, ValueError),
            ({"port": True}, TypeError),
            ({"port": "8500"}, TypeError),
            ({"scheme": "ftp"}, ValueError),
            ({"consistency": "eventual"}, ValueError),
            ({"timeout": 0}, ValueError),
            ({"timeout": -1}, ValueError),
            ({"timeout": "3"}, TypeError),
        ],
    )
    def test_bad_arguments(self, kwargs, error):
        with pytest.raises(error):
            resolve(**kwargs)

    def test_timeout_none_waits_forever(self):
        assert resolve(timeout=None).timeout is None


def test_clients_resolve_their_arguments_against_the_environment(monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "https://consul.example:8501")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "env-token")
    with consul.Consul() as c:
        assert c.config.base_url == "https://consul.example:8501"
        assert c.token == "env-token"
        assert c.scheme == "https"
    with consul.Consul(host="localhost", port=8500, token="mine", dc="dc2") as c:
        assert c.config.base_url == "http://localhost:8500"
        assert (c.token, c.dc) == ("mine", "dc2")


CONNECTION_BUDGETS = {"max_connections", "max_blocking_connections", "transport"}


@pytest.mark.parametrize(
    ("build", "own"),
    [
        ("consul.adapters.std:Consul.__init__", {"transport"}),
        (
            "consul.adapters.threadpool:Consul.__init__",
            {"max_workers", "max_blocking_workers", "transport"},
        ),
        ("consul.adapters.aio:Consul.__init__", CONNECTION_BUDGETS),
        ("consul.adapters.tornado:Consul.__init__", CONNECTION_BUDGETS),
        ("consul.adapters.twisted:Consul.__init__", {"reactor", "transport"}),
        ("consul.config:Config.resolve", {"env"}),
    ],
)
def test_every_client_takes_the_arguments_of_the_base_client(build, own):
    # The signature is written out for each client (users, IDEs and the docs
    # see it), so this keeps the copies equal: same positions, same defaults.
    module, _, name = build.partition(":")
    function = functools.reduce(getattr, name.split("."), importlib.import_module(module))

    def parameters(function, leave_out):
        found = inspect.signature(function).parameters.values()
        given = [p for p in found if p.name not in {"self", *leave_out}]
        positional = [p for p in given if p.kind is not p.KEYWORD_ONLY]
        return positional, {p.name: p for p in given if p.kind is p.KEYWORD_ONLY}

    assert parameters(function, own) == parameters(ConsulBase.__init__, set())
    assert own <= set(inspect.signature(function).parameters)
