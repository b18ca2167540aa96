"""The agent's HTTP API on a unix socket: ``addresses { http = "unix:///path" }``.

Consul listens on a unix socket for an ``addresses.http`` (or
``client_addr``) of ``unix://PATH`` (``agent/config/builder.go``
``expandAddrs``), replacing a file already there and setting the socket's
owner, group and mode from ``unix_sockets`` (``agent/agent.go``
``listenSocket``, ``agent/util.go`` ``setFilePermissions``). Checked with raw
HTTP over the socket.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from consul.testing import DevAgent
from consul.testing.configfile import consul_config_settings, parse_consul_config

ROOT = Path(__file__).resolve().parents[2]


def over_unix(path: str, request: bytes) -> bytes:
    """Send ``request`` over the unix socket ``path``; all the answer, until closed."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


LEADER = b"GET /v1/status/leader HTTP/1.1\r\nHost: consul\r\nConnection: close\r\n\r\n"


def test_the_http_api_on_a_unix_socket(socket_path):
    with DevAgent(host=f"unix://{socket_path}") as agent:
        assert agent.http_addr == f"unix://{socket_path}"
        assert agent.unix_socket == socket_path
        assert stat.S_ISSOCK(os.stat(socket_path).st_mode)
        answer = over_unix(socket_path, LEADER)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert answer.endswith(b'\r\n\r\n"127.0.0.1:8300"')
        put = b"PUT /v1/kv/k HTTP/1.1\r\nHost: consul\r\nContent-Length: 2\r\n"
        assert over_unix(socket_path, put + b"Connection: close\r\n\r\nhi").endswith(b"true")
        with pytest.raises(RuntimeError, match="unix socket only"):
            agent.port  # noqa: B018
        with pytest.raises(RuntimeError, match="unix socket only"):
            agent.url  # noqa: B018
    # Go's unix listener removes its socket file when it closes.
    assert not os.path.exists(socket_path)


def test_a_file_already_there_is_replaced(socket_path):
    Path(socket_path).write_text("stale")
    with DevAgent(host=f"unix://{socket_path}"):
        assert over_unix(socket_path, LEADER).startswith(b"HTTP/1.1 200 OK")


def test_tcp_and_a_socket_at_once(socket_path):
    with DevAgent(host=f"127.0.0.1 unix://{socket_path}") as agent:
        assert agent.http_addr.startswith("127.0.0.1:")
        with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as tcp:
            tcp.sendall(LEADER)
            assert tcp.recv(15) == b"HTTP/1.1 200 OK"
        assert over_unix(socket_path, LEADER).startswith(b"HTTP/1.1 200 OK")


def test_the_socket_gets_its_mode_and_owner(socket_path):
    settings = {
        "unix_socket_mode": "0600",
        "unix_socket_user": str(os.getuid()),
        "unix_socket_group": str(os.getgid()),
    }
    with DevAgent(host=f"unix://{socket_path}", **settings):
        info = os.stat(socket_path)
        assert stat.S_IMODE(info.st_mode) == 0o600
        assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"unix_socket_mode": "0999"}, "invalid mode specified: 0999"),
        ({"unix_socket_group": "wheel"}, "invalid group specified: wheel"),
        ({"unix_socket_user": "no-such-user-x"}, "failed to look up user no-such-user-x"),
    ],
)
def test_bad_socket_settings_stop_the_start(socket_path, settings, message):
    agent = DevAgent(host=f"unix://{socket_path}", **settings)
    with pytest.raises(OSError, match=f"^Failed setting up socket: {message}"):
        agent.start()
    assert not agent.running
    assert not os.path.exists(socket_path)


def test_https_needs_an_ip_address(socket_path):
    with pytest.raises(ValueError, match=r"ports\.https needs an IP address"):
        DevAgent(host=f"unix://{socket_path}", https_port=0, tls_cert_file="c", tls_key_file="k")


def test_unix_socket_clients_count_as_one(socket_path):
    # go-connlimit keys a unix client by its (empty) address: all share a count.
    with DevAgent(host=f"unix://{socket_path}", http_max_conns_per_client=2):
        held = []
        try:
            for _ in range(2):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                held.append(sock)
                sock.settimeout(10)
                sock.connect(socket_path)
                sock.sendall(LEADER.replace(b"Connection: close\r\n", b""))
                assert sock.recv(15) == b"HTTP/1.1 200 OK"
            refused = over_unix(socket_path, b"")
            assert refused.startswith(b"HTTP/1.1 429 Too Many Requests\r\n")
        finally:
            for sock in held:
                sock.close()


def test_config_file_keys():
    hcl = """
    addresses { http = "unix:///run/consul/http.sock" }
    unix_sockets { user = "consul" group = "1000" mode = "0770" }
    """
    config = parse_consul_config(hcl, "hcl", "agent.hcl")
    assert consul_config_settings(config, "agent.hcl") == {
        "host": "unix:///run/consul/http.sock",
        "unix_socket_user": "consul",
        "unix_socket_group": "1000",
        "unix_socket_mode": "0770",
    }


def test_the_command_line_serves_a_socket(socket_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSUL_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [sys.executable, "-m", "consul.testing", "--host", f"unix://{socket_path}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert re.search(rf"at unix://{re.escape(socket_path)}$", line.strip()), line
        assert over_unix(socket_path, LEADER).startswith(b"HTTP/1.1 200 OK")
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
