"""``python -m consul.testing`` as a user runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def start(*argv: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSUL_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
    environ.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "consul.testing", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://[\d.]+:\d+", line)
    if match is None:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"no address line: {line!r} {err}")
    return process, match.group(0)


def finish(process: subprocess.Popen[str]) -> int:
    try:
        return process.wait(timeout=20)
    finally:
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serves_until_a_signal_then_exits_zero(signum):
    process, url = start("--node", "cli-node", "--datacenter", "east")
    try:
        assert requests.get(f"{url}/v1/status/leader").json() == "127.0.0.1:8300"
        nodes = requests.get(f"{url}/v1/coordinate/nodes").json()
        assert [n["Node"] for n in nodes] == ["cli-node"]
        datacenters = requests.get(f"{url}/v1/coordinate/datacenters").json()
        assert [d["Datacenter"] for d in datacenters] == ["east"]
    finally:
        process.send_signal(signum)
    assert finish(process) == 0


def test_listens_on_loopback_by_default():
    process, url = start()
    process.send_signal(signal.SIGINT)
    assert finish(process) == 0
    assert url.startswith("http://127.0.0.1:")


def test_initial_management_token_turns_acls_on():
    process, url = start("--acl-initial-management", "root", "--acl-default-policy", "deny")
    try:
        response = requests.get(f"{url}/v1/status/leader")
        assert response.headers["X-Consul-Default-ACL-Policy"] == "deny"
    finally:
        process.send_signal(signal.SIGINT)
    assert finish(process) == 0


def test_logs_what_it_does_on_stderr_from_its_level():
    process, url = start("--log-level", "debug")
    try:
        requests.put(f"{url}/v1/agent/service/register", json={"Name": "web"}, timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
    assert finish_output(process) == 0
    assert "[INFO]  agent: Synced service: service=web" in process.logged
    assert "[DEBUG] agent.http: Request finished: method=PUT" in process.logged


def test_logs_json_and_nothing_below_its_level():
    process, url = start("--log-level", "warn", "--log-json")
    try:
        requests.put(f"{url}/v1/kv/k?cas=x", timeout=10)  # a request error
        requests.put(f"{url}/v1/agent/service/register", json={"Name": "web"}, timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
    assert finish_output(process) == 0
    records = [json.loads(line) for line in process.logged.splitlines()]
    assert [(r["@level"], r["@message"]) for r in records] == [("error", "Request error")]


def finish_output(process: subprocess.Popen[str]) -> int:
    """Like :func:`finish`, keeping what the process wrote on stderr in ``process.logged``."""
    _, err = process.communicate(timeout=20)
    process.logged = err  # type: ignore[attr-defined]
    return process.returncode


def test_consul_local_config_is_read():
    process, url = start(env={"CONSUL_LOCAL_CONFIG": '{"node_name": "from-env"}'})
    try:
        nodes = requests.get(f"{url}/v1/coordinate/nodes").json()
        assert [n["Node"] for n in nodes] == ["from-env"]
    finally:
        process.send_signal(signal.SIGINT)
    assert finish(process) == 0


def test_unknown_config_key_exits_one_with_consuls_message(tmp_path):
    path = tmp_path / "bad.hcl"
    path.write_text('datacenter = "x"\nbogus_key = 1\n')
    result = subprocess.run(
        [sys.executable, "-m", "consul.testing", "--config-file", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"==> failed to parse {path}: 1 error occurred:\n\t* invalid config key bogus_key\n\n\n"
    )
