"""python-consul's callback protocol, without a server: what an ``http`` object is given.

``consul.base.Consul`` hands each request to the ``http`` object its
``http_connect`` (or ``connect``) hook returned, as python-consul did; the
endpoint tests (tests/api) run it against the embedded agent through
``consul.std.HTTPClient``. Here a recording object checks the protocol itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import consul
import consul.base
import consul.std
from consul.base import CB, Response


class Recorder:
    """An ``http`` object that records each request and answers ``answer``."""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.answer = Response(200, {"X-Consul-Index": "7"}, "null")

    def _send(self, method: str, callback: Any, path: str, **kwargs: Any) -> Any:
        self.sent.append((method, path, kwargs))
        return callback(self.answer)

    def get(self, callback, path, **kwargs):
        return self._send("get", callback, path, **kwargs)

    def put(self, callback, path, **kwargs):
        return self._send("put", callback, path, **kwargs)

    def delete(self, callback, path, **kwargs):
        return self._send("delete", callback, path, **kwargs)

    def post(self, callback, path, **kwargs):
        return self._send("post", callback, path, **kwargs)


class Client(consul.base.Consul):
    def http_connect(self, host, port, scheme, verify=True, cert=None):
        return Recorder(host, port, scheme, verify, cert)


def test_the_hook_gets_the_resolved_address_and_tls_settings():
    c = Client(host="consul.local", port=8501, scheme="https", verify="/ca.pem", cert=("c", "k"))
    assert c.http.args == ("consul.local", 8501, "https", "/ca.pem", ("c", "k"))
    assert Client().http.args == ("127.0.0.1", 8500, "http", True, None)
    assert Client(verify=False, cert="both.pem").http.args[3:] == (False, "both.pem")


def test_python_consuls_connect_hook_works_too():
    class Old(consul.base.Consul):
        def connect(self, host, port, scheme, verify=True, cert=None):
            return Recorder(host, port)

    assert Old(port=9).http.args == ("127.0.0.1", 9)


def test_without_a_hook_construction_says_what_to_do():
    with pytest.raises(NotImplementedError, match="define http_connect"):
        consul.base.Consul()


def test_settings_set_before_and_after_construction():
    # Patroni sets the token before calling the base class and reads it in its hook.
    class Patroni(consul.base.Consul):
        def __init__(self, **kwargs):
            self.token = kwargs.get("token")
            super().__init__(**kwargs)

        def http_connect(self, *args):
            return Recorder(self.token)

    c = Patroni(token="t1")
    assert c.http.args == ("t1",)
    c.token, c.dc, c.consistency = "t2", "dc2", "stale"
    c.kv.get("k")
    _method, _path, kwargs = c.http.sent[-1]
    assert kwargs == {"params": [("dc", "dc2"), ("stale", "")], "headers": {"X-Consul-Token": "t2"}}


def test_a_read():
    c = Client()
    c.http.answer = Response(
        200, {"X-Consul-Index": "7"}, '[{"Key": "a b/c%", "Value": "dg==", "Flags": 0}]'
    )
    assert c.kv.get("a b/c%", index=3, wait="5s") == (
        7,
        {"Key": "a b/c%", "Value": b"v", "Flags": 0},
    )
    # The path is handed over unquoted: quoting it is the http object's job.
    assert c.http.sent == [("get", "/v1/kv/a b/c%", {"params": [("index", "3"), ("wait", "5s")]})]


def test_the_token_goes_in_a_header_never_among_the_parameters():
    c = Client(token="secret")
    c.kv.get("k", token="other")
    _, _, kwargs = c.http.sent[-1]
    assert kwargs == {"headers": {"X-Consul-Token": "other"}}


def test_bodies_json_as_text_values_as_bytes():
    c = Client()
    c.http.answer = Response(200, {}, '{"ID": "s1"}')
    assert c.session.create(name="n", checks=[], lock_delay=0.001, behavior="delete") == "s1"
    method, path, kwargs = c.http.sent[-1]
    assert (method, path) == ("put", "/v1/session/create")
    data = kwargs["data"]
    assert isinstance(data, str)
    assert json.loads(data) == {
        "Name": "n",
        "Checks": [],
        "LockDelay": "1ms",
        "Behavior": "delete",
    }
    # Patroni adds its TTL by editing that text.
    assert json.loads(data[:-1] + ', "ttl": "15.0s"}')["ttl"] == "15.0s"
    c.http.answer = Response(200, {}, "true")
    assert c.kv.put("k", "é") is True
    assert c.http.sent[-1][2] == {"data": "é".encode()}
    c.session.destroy("s1")
    assert c.http.sent[-1][:2] == ("put", "/v1/session/destroy/s1")
    assert "data" not in c.http.sent[-1][2]


def test_responses_from_any_http_library():
    c = Client()
    # Twisted-style bytes, or no headers at all.
    c.http.answer = Response(200, {b"X-Consul-Index": b"9"}, b"null")
    assert c.kv.get("k") == (9, None)
    c.http.answer = Response(200, None, "[]")
    assert c.status.peers() == []
    # An indexed read needs its X-Consul-Index (Consul always sends one).
    with pytest.raises(consul.InvalidResponse, match="X-Consul-Index"):
        c.kv.list("")


def test_errors_are_the_usual_exceptions():
    c = Client()
    c.http.answer = Response(403, {}, "Permission denied")
    with pytest.raises(consul.ACLPermissionDenied, match="Permission denied") as caught:
        c.kv.put("k", b"v")
    assert (caught.value.method, caught.value.path) == ("PUT", "/v1/kv/k")


def test_what_the_http_object_raises_goes_through():
    class Failing(Recorder):
        def put(self, callback, path, **kwargs):
            raise consul.ServerError("500 invalid session")

    class C(consul.base.Consul):
        def http_connect(self, *args):
            return Failing()

    with pytest.raises(consul.ServerError, match="invalid session"):
        C().kv.put("k", b"v", acquire="s")


def test_the_path_prefix_of_the_address(monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "http://proxy:8080/consul")
    c = Client()
    assert c.http.args[:2] == ("proxy", 8080)
    c.status.leader()
    assert c.http.sent[-1][1] == "/consul/v1/status/leader"


class TestCB:
    def test_json(self):
        body = '[{"Key": "k", "Value": "dg=="}]'
        response = Response(200, {"X-Consul-Index": "4"}, body)
        assert CB.json(index=True, decode="Value", one=True)(response) == (
            "4",
            {"Key": "k", "Value": b"v"},
        )
        assert CB.json(is_id=True)(Response(200, {}, '{"ID": "x"}')) == "x"
        assert CB.json(map=len)(Response(200, {}, "[1, 2]")) == 2
        assert CB.json(postprocess=len)(Response(200, {}, "[1]")) == 1

    def test_404(self):
        missing = Response(404, {"X-Consul-Index": "4"}, "")
        assert CB.json()(missing) is None
        assert CB.json(index=True)(missing) == ("4", None)
        with pytest.raises(consul.NotFound):
            CB.json(allow_404=False)(missing)
        with pytest.raises(consul.NotFound):
            CB.binary()(missing)

    def test_bool_and_errors(self):
        assert CB.bool()(Response(200, {}, "")) is True
        assert CB.boolean()(Response(200, {}, "")) is True
        with pytest.raises(consul.BadRequest, match="bad") as caught:
            CB.bool()(Response(400, {}, "bad"))
        assert caught.value.status == 400
        with pytest.raises(consul.ServerError):
            CB.json()(Response(500, {}, "boom"))
        with pytest.raises(consul.ConsulException, match="not JSON"):
            CB.json()(Response(200, {}, "<html>"))


def test_std_http_client_uri():
    http = consul.std.HTTPClient()
    try:
        assert http.uri("/v1/kv") == "http://127.0.0.1:8500/v1/kv"
        assert http.uri("/v1/kv/a b", params={"index": 1}) == (
            "http://127.0.0.1:8500/v1/kv/a%20b?index=1"
        )
        assert http.session.trust_env is False
    finally:
        http.close()


def test_consul_std_is_the_blocking_client():
    assert consul.std.Consul is consul.Consul


#: What python-consul 1.1 and py-consul programs import, module by module.
NAMES = {
    "consul": "Consul Check ConsulException ACLPermissionDenied ACLDisabled NotFound Timeout",
    "consul.base": (
        "Consul HTTPClient Response CB Check ConsulException ACLDisabled ACLPermissionDenied "
        "NotFound Timeout BadRequest ClientError"
    ),
    "consul.std": "Consul HTTPClient",
    "consul.aio": "Consul",
    "consul.tornado": "Consul",
    "consul.twisted": "Consul",
    "consul.check": "Check",
    "consul.callback": "CB",
    "consul.exceptions": (
        "ConsulException ACLDisabled ACLPermissionDenied NotFound Timeout BadRequest ClientError"
    ),
}


def test_python_consuls_names_exist_after_a_plain_import():
    # In a fresh interpreter: ``import consul`` alone reaches consul.std and
    # consul.base as python-consul's did (the Datadog tracer relies on it),
    # without loading requests until then.
    script = f"""
import importlib, sys
import consul
assert "requests" not in sys.modules
assert consul.std.HTTPClient and consul.base.Consul and consul.callback.CB
for module, names in {NAMES!r}.items():
    for name in names.split():
        getattr(importlib.import_module(module), name)
"""
    ran = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr


def test_a_calls_own_timeout_is_handed_on():
    c = Client(timeout=7)
    c.kv.get("k")
    c.kv.get("k", timeout=2.5)
    c.kv.put("k", "v", timeout=None)
    assert [kwargs.get("timeout", "absent") for _, _, kwargs in c.http.sent] == [
        "absent",
        2.5,
        None,
    ]


def test_an_object_without_timeouts_refuses_one_rather_than_ignore_it():
    class PythonConsuls:
        def get(self, callback, path, params=None, headers=None):
            return callback(Response(200, {"X-Consul-Index": "7"}, "null"))

    class Old(consul.base.Consul):
        def connect(self, host, port, scheme, verify=True, cert=None):
            return PythonConsuls()

    c = Old()
    assert c.kv.get("k") == (7, None)
    with pytest.raises(TypeError, match="timeout"):
        c.kv.get("k", timeout=1)
