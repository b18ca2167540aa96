"""HTTPS on every adapter: verification, CAs, client certificates, server name.

Each setting is tried as an argument and as the ``CONSUL_*`` variable that
Consul's tools read, against embedded agents serving HTTPS with certificates
made by ``trustme``. The adapters must agree on every one of them.
"""

from __future__ import annotations

import ssl

import pytest

import consul

# requests (std, threadpool) warns on each unverified request, as it always
# does; the user asked for it with verify=False.
unverified = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def https(agent, **kwargs):
    kwargs.setdefault("host", agent.host)
    kwargs.setdefault("port", agent.https_port)
    kwargs.setdefault("scheme", "https")
    return kwargs


def works(c):
    assert c.kv.put("tls", b"yes") is True
    assert c.kv.get("tls")[1]["Value"] == b"yes"


def test_verification_is_on_by_default(client, tls_agent):
    c = client(**https(tls_agent))
    with pytest.raises(consul.ConsulConnectionError) as caught:
        c.status.leader()
    assert caught.value.path == "/v1/status/leader"


def test_a_ca_file_argument_is_trusted(client, tls_agent, pki):
    works(client(**https(tls_agent, verify=str(pki.ca))))


def test_a_ca_directory_argument_is_trusted(client, tls_agent, pki):
    # Files with any name count (Consul reads every file in the directory),
    # not only OpenSSL's hashed names.
    works(client(**https(tls_agent, verify=str(pki.ca_dir))))


def test_consul_cacert(client, tls_agent, pki, monkeypatch):
    monkeypatch.setenv("CONSUL_CACERT", str(pki.ca))
    works(client(**https(tls_agent)))


def test_consul_capath(client, tls_agent, pki, monkeypatch):
    monkeypatch.setenv("CONSUL_CAPATH", str(pki.ca_dir))
    works(client(**https(tls_agent)))


def test_consul_cacert_wins_over_capath(client, tls_agent, pki, tmp_path, monkeypatch):
    # Consul takes CONSUL_CACERT and ignores CONSUL_CAPATH when both are set.
    (tmp_path / "empty.pem").write_text("not a certificate")
    monkeypatch.setenv("CONSUL_CACERT", str(pki.ca))
    monkeypatch.setenv("CONSUL_CAPATH", str(tmp_path))
    works(client(**https(tls_agent)))


def test_a_ca_that_did_not_sign_the_server_is_refused(client, tls_agent, pki):
    c = client(**https(tls_agent, verify=str(pki.stranger_cert)))
    with pytest.raises(consul.ConsulConnectionError):
        c.status.leader()


@unverified
def test_verify_false_accepts_any_certificate(client, tls_agent):
    works(client(**https(tls_agent, verify=False)))


@unverified
def test_consul_http_ssl_verify_false(client, tls_agent, monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_SSL_VERIFY", "false")
    works(client(**https(tls_agent)))


def test_the_whole_setup_from_the_environment(client, tls_agent, pki, monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_ADDR", f"https://{tls_agent.https_addr}")
    monkeypatch.setenv("CONSUL_CACERT", str(pki.ca))
    c = client()
    assert c.unwrapped.config.scheme == "https"
    works(c)


def test_consul_http_ssl_switches_to_https(client, tls_agent, pki, monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_ADDR", tls_agent.https_addr)
    monkeypatch.setenv("CONSUL_HTTP_SSL", "true")
    works(client(verify=str(pki.ca)))


class TestClientCertificates:
    """An agent with ``verify_incoming`` requires a certificate from its CA."""

    def test_without_one_the_handshake_fails(self, client, mtls_agent, pki):
        c = client(**https(mtls_agent, verify=str(pki.ca)))
        with pytest.raises(consul.ConsulConnectionError):
            c.status.leader()

    def test_a_cert_and_key_pair(self, client, mtls_agent, pki):
        cert = (str(pki.client_cert), str(pki.client_key))
        works(client(**https(mtls_agent, verify=str(pki.ca), cert=cert)))

    def test_one_file_with_both(self, client, mtls_agent, pki):
        works(client(**https(mtls_agent, verify=str(pki.ca), cert=str(pki.client_pem))))

    def test_from_the_environment(self, client, mtls_agent, pki, monkeypatch):
        monkeypatch.setenv("CONSUL_CLIENT_CERT", str(pki.client_cert))
        monkeypatch.setenv("CONSUL_CLIENT_KEY", str(pki.client_key))
        works(client(**https(mtls_agent, verify=str(pki.ca))))

    @unverified
    def test_with_verification_off(self, client, mtls_agent, pki):
        cert = (str(pki.client_cert), str(pki.client_key))
        works(client(**https(mtls_agent, verify=False, cert=cert)))

    def test_a_certificate_from_another_ca_is_refused(self, client, mtls_agent, pki):
        cert = (str(pki.stranger_cert), str(pki.stranger_key))
        c = client(**https(mtls_agent, verify=str(pki.ca), cert=cert))
        with pytest.raises(consul.ConsulConnectionError):
            c.status.leader()


class TestServerName:
    """The server's certificate names ``server.dc1.consul``, not 127.0.0.1."""

    def test_the_host_does_not_match(self, client, named_agent, pki):
        c = client(**https(named_agent, verify=str(pki.ca)))
        with pytest.raises(consul.ConsulConnectionError):
            c.status.leader()

    def test_consul_tls_server_name(self, client, named_agent, pki, server_name, monkeypatch):
        monkeypatch.setenv("CONSUL_TLS_SERVER_NAME", server_name)
        works(client(**https(named_agent, verify=str(pki.ca))))

    def test_a_port_in_the_name_is_dropped(
        self, client, named_agent, pki, server_name, monkeypatch
    ):
        monkeypatch.setenv("CONSUL_TLS_SERVER_NAME", f"{server_name}:8501")
        works(client(**https(named_agent, verify=str(pki.ca))))

    def test_the_argument(self, client, named_agent, pki, server_name):
        works(client(**https(named_agent, verify=str(pki.ca), tls_server_name=server_name)))

    def test_another_name_fails(self, client, named_agent, pki):
        c = client(**https(named_agent, verify=str(pki.ca), tls_server_name="server.dc2.consul"))
        with pytest.raises(consul.ConsulConnectionError):
            c.status.leader()

    def test_it_is_sent_as_sni(self, client, make_stub, pki, server_name):
        names = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki.named_cert, pki.named_key)
        context.sni_callback = lambda sock, name, ctx: names.append(name)
        server = make_stub(context)
        server.answer_json("127.0.0.1:8300")
        c = client(server, scheme="https", verify=str(pki.ca), tls_server_name=server_name)
        assert c.status.leader() == "127.0.0.1:8300"
        assert names
        assert set(names) == {server_name}
