"""``consul.Check``: the check definitions it builds, and what it refuses."""

from __future__ import annotations

import pytest

from consul import Check


def test_script_runs_args_without_a_shell():
    assert Check.script(["/bin/check", "-v"], "10s") == {
        "Args": ["/bin/check", "-v"],
        "Interval": "10s",
    }
    assert Check.script(("x",), 10, timeout=2.5, deregister="5m") == {
        "Args": ["x"],
        "Interval": "10s",
        "Timeout": "2500ms",
        "DeregisterCriticalServiceAfter": "5m",
    }


def test_http():
    assert Check.http("http://localhost/health", "10s") == {
        "HTTP": "http://localhost/health",
        "Interval": "10s",
    }
    check = Check.http(
        "https://x/h",
        30,
        timeout="1s",
        deregister=60,
        header={"X-Key": ["a", "b"]},
        method="POST",
        body="{}",
        tls_skip_verify=True,
        tls_server_name="x.example",
    )
    assert check == {
        "HTTP": "https://x/h",
        "Interval": "30s",
        "Timeout": "1s",
        "DeregisterCriticalServiceAfter": "60s",
        "Header": {"X-Key": ["a", "b"]},
        "Method": "POST",
        "Body": "{}",
        "TLSSkipVerify": True,
        "TLSServerName": "x.example",
    }


def test_tcp_joins_host_and_port():
    assert Check.tcp("db.local", 5432, "5s") == {"TCP": "db.local:5432", "Interval": "5s"}
    assert Check.tcp("::1", 22, "5s", timeout="1s")["TCP"] == "[::1]:22"


def test_ttl_docker_and_grpc():
    assert Check.ttl("30s") == {"TTL": "30s"}
    assert Check.ttl(15, deregister="10m") == {
        "TTL": "15s",
        "DeregisterCriticalServiceAfter": "10m",
    }
    assert Check.docker("f972c95ebf0e", "/bin/bash", "check_mem", "10s") == {
        "DockerContainerID": "f972c95ebf0e",
        "Shell": "/bin/bash",
        "Args": ["/bin/bash", "-c", "check_mem"],
        "Interval": "10s",
    }
    assert Check.grpc("127.0.0.1:9000/health", "10s", use_tls=True) == {
        "GRPC": "127.0.0.1:9000/health",
        "Interval": "10s",
        "GRPCUseTLS": True,
    }


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Check.script("/bin/check", "10s"), TypeError, "args must be a list"),
        (lambda: Check.script([], "10s"), ValueError, "non-empty list"),
        (lambda: Check.script(["x"], "soon"), ValueError, "interval must be a duration"),
        (lambda: Check.script(["x"], -1), ValueError, "interval must not be negative"),
        (lambda: Check.http("", "10s"), ValueError, "url must be a non-empty str"),
        (lambda: Check.http("http://x", "1s", header={"A": "b"}), TypeError, "header 'A'"),
        (lambda: Check.tcp("db", "5432", "1s"), TypeError, "port must be an int"),
        (lambda: Check.ttl(True), TypeError, "ttl must be a number"),
        (lambda: Check.docker("", "sh", "x", "1s"), ValueError, "container_id"),
        (lambda: Check.grpc("", "1s"), ValueError, "grpc must be"),
    ],
)
def test_bad_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()
