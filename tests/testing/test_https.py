"""The embedded agent's HTTPS listener (``ports.https``, ``tls.defaults``), over raw HTTP."""

from __future__ import annotations

import gc
import socket

import pytest
import requests
import trustme

from consul.testing import DevAgent
from consul.testing.configfile import consul_config_settings, parse_consul_config
from consul.testing.state.config import AgentConfig


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp("https")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("client.dc1.consul")
    files = {
        "ca": ca.cert_pem,
        "cert": server.cert_chain_pems[0],
        "key": server.private_key_pem,
        "client_cert": client.cert_chain_pems[0],
        "client_key": client.private_key_pem,
    }
    for name, blob in files.items():
        blob.write_to_path(str(root / name))
    return {name: str(root / name) for name in files}


def test_https_besides_http(pki):
    with (
        DevAgent(https_port=0, tls_cert_file=pki["cert"], tls_key_file=pki["key"]) as agent,
        requests.Session() as http,
    ):
        assert agent.https_port != agent.port
        secure = http.get(f"https://{agent.https_addr}/v1/status/leader", verify=pki["ca"])
        plain = http.get(f"{agent.url}/v1/status/leader")
        assert secure.status_code == plain.status_code == 200
        assert secure.json() == plain.json()


def test_no_https_by_default():
    with DevAgent() as agent, pytest.raises(RuntimeError, match="not serving HTTPS"):
        agent.https_port  # noqa: B018


# CPython 3.11's asyncio leaks the socket of a server-side TLS handshake that
# fails (python/cpython#109534); only that leak is tolerated here.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function _SelectorTransport.__del__"
    ":pytest.PytestUnraisableExceptionWarning",
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning",
)
def test_verify_incoming_requires_a_client_certificate(pki):
    settings = {
        "https_port": 0,
        "tls_cert_file": pki["cert"],
        "tls_key_file": pki["key"],
        "tls_ca_file": pki["ca"],
        "tls_verify_incoming": True,
    }
    with DevAgent(**settings) as agent, requests.Session() as http:
        url = f"https://{agent.https_addr}/v1/status/leader"
        with pytest.raises(requests.exceptions.ConnectionError):
            http.get(url, verify=pki["ca"])
        answer = http.get(url, verify=pki["ca"], cert=(pki["client_cert"], pki["client_key"]))
        assert answer.status_code == 200
    gc.collect()  # the leak surfaces here, not in the next test


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"https_port": 8501}, "ports.https needs tls cert_file and key_file"),
        ({"tls_verify_incoming": True}, "verify_incoming needs a ca_file"),
    ],
)
def test_incomplete_tls_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        AgentConfig(**settings)


def test_config_file_keys():
    hcl = """
    ports { https = 8501 }
    tls {
      defaults { cert_file = "/c.pem" key_file = "/k.pem" ca_file = "/ca.pem" }
      https { verify_incoming = true }
    }
    """
    settings = consul_config_settings(parse_consul_config(hcl, "hcl", "agent.hcl"), "agent.hcl")
    assert settings == {
        "https_port": 8501,
        "tls_cert_file": "/c.pem",
        "tls_key_file": "/k.pem",
        "tls_ca_file": "/ca.pem",
        "tls_verify_incoming": True,
    }


def test_deprecated_top_level_tls_keys():
    # applyDeprecatedTLSConfig moves them under tls.defaults (tls.https for
    # verify_incoming_https), unless the new key is set in the same source.
    text = '{"cert_file": "/old.pem", "key_file": "/k.pem", "verify_incoming_https": true,'
    text += ' "tls": {"defaults": {"cert_file": "/new.pem"}}}'
    settings = consul_config_settings(parse_consul_config(text, "json", "a.json"), "a.json")
    assert settings == {
        "tls_cert_file": "/new.pem",
        "tls_key_file": "/k.pem",
        "tls_verify_incoming": True,
    }


# The same CPython leak as above: a server-side handshake that does not finish.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function _SelectorTransport.__del__"
    ":pytest.PytestUnraisableExceptionWarning",
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning",
)
def test_a_handshake_that_does_not_finish_is_cut_off(pki):
    # limits.https_handshake_timeout (Consul's 5s) bounds the TLS handshake.
    settings = {
        "https_port": 0,
        "tls_cert_file": pki["cert"],
        "tls_key_file": pki["key"],
        "https_handshake_timeout": 0.2,
    }
    with (
        DevAgent(**settings) as agent,
        socket.create_connection(("127.0.0.1", agent.https_port), timeout=10) as silent,
    ):
        assert silent.recv(1024) == b""  # closed, nothing said
    gc.collect()
