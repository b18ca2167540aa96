"""Patroni's Consul support, end to end against the embedded agent.

Patroni (``patroni/dcs/consul.py``) subclasses ``consul.base.Consul`` with an
``http`` object of its own on ``urllib3``. Patroni itself cannot be a test
dependency (its distribution requires py-consul, which installs a ``consul``
package over ours), so this test rebuilds what it relies on and makes the
calls its Consul DCS makes, in its order and with its arguments: create a
session, touch the member key, register the service, initialize, take the
leader key, keep it, watch it, lose a race for it, delete it, reload the
settings. (Patroni's own unit tests, ``tests/test_consul.py``, pass against
this package too; they are not part of this suite.)
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

import pytest
import urllib3
from harness import CALL_TIMEOUT, wait_blocked

import consul
import consul.base


class InvalidSession(consul.ConsulException):
    """Raised by the http object for a 500 that starts with ``invalid session``."""


class InternalError(consul.ConsulException):
    """Raised by the http object for any other 500."""


class Answer(NamedTuple):
    """Patroni's response: python-consul's three fields and the raw bytes."""

    code: int
    headers: Any
    body: str
    content: bytes


class UrllibHTTP:
    """An http object as Patroni writes it (its traits, in our own words).

    It does not quote the path, turns the parameters into a dict, sends its
    own token, edits the session-create JSON text to add its session TTL,
    gives blocking queries a read timeout from their ``wait`` and raises for
    Consul's 500 answers itself.
    """

    def __init__(self, host: str, port: int, scheme: str, verify: bool, token: str | None) -> None:
        self.base = f"{scheme}://{host}:{port}"
        self.token = token
        self.ttl = 15.0
        self.pool = urllib3.PoolManager(num_pools=2, maxsize=4)
        self.sent: list[tuple[str, str]] = []

    def _request(self, method: str, callback, path, params=None, data="", headers=None):
        self.sent.append((method, path))
        if method == "PUT" and path == "/v1/session/create":
            assert isinstance(data, str)
            data = (data[:-1] + ", " if data not in ("", "{}") else "{") + f'"ttl": "{self.ttl}s"}}'
        if isinstance(params, list):
            params = dict(params)
        if method == "GET" and params and "index" in params:
            wait = float(params["wait"][:-1]) if "wait" in params else 300.0
            timeout = wait + max(wait / 15.0, 1)
        else:
            timeout = 10.0
        headers = dict(headers or {})
        if self.token:
            headers["X-Consul-Token"] = self.token
        url = self.base + path + ("?" + urlencode(params) if params else "")
        raw = self.pool.request(
            method, url, body=data, headers=headers, timeout=timeout, retries=False
        )
        answer = Answer(raw.status, raw.headers, raw.data.decode(), raw.data)
        if answer.code == 500:
            if answer.body.startswith("invalid session"):
                raise InvalidSession(f"500 {answer.body}")
            raise InternalError(f"500 {answer.body}")
        return callback(answer)

    def get(self, callback, path, params=None, data="", headers=None):
        return self._request("GET", callback, path, params, data, headers)

    def put(self, callback, path, params=None, data="", headers=None):
        return self._request("PUT", callback, path, params, data, headers)

    def delete(self, callback, path, params=None, data="", headers=None):
        return self._request("DELETE", callback, path, params, data, headers)

    def post(self, callback, path, params=None, data="", headers=None):
        return self._request("POST", callback, path, params, data, headers)


class Client(consul.base.Consul):
    """Patroni's client class: the token is set first and read by the hook."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._cert = kwargs.pop("cert", None)
        self.token = kwargs.get("token")
        super().__init__(*args, **kwargs)

    def http_connect(self, *args: Any, **kwargs: Any) -> UrllibHTTP:
        kwargs.update(zip(["host", "port", "scheme", "verify"], args, strict=False))
        kwargs.pop("cert", None)
        return UrllibHTTP(**kwargs, token=self.token)

    def connect(self, *args: Any, **kwargs: Any) -> UrllibHTTP:
        return self.http_connect(*args, **kwargs)

    def reload_config(self, config: dict[str, Any]) -> None:
        self.http.token = self.token = config.get("token")
        self.consistency = config.get("consistency", "default")
        self.dc = config.get("dc")


@pytest.fixture
def client(consul_agent):
    c = Client(host=consul_agent.host, port=consul_agent.port, token="", dc="dc1")
    yield c
    c.http.pool.clear()


def session(c: Client, name: str) -> str:
    return c.session.create(name=name, checks=[], lock_delay=0.001, behavior="delete")


def test_patronis_consul_dcs(client, consul_agent):
    c = client
    base = "service/demo/"
    member, leader, status = base + "members/pg0", base + "leader", base + "status"
    data = {"conn_url": "postgres://u@127.0.0.1:5432/postgres", "role": "primary"}

    mine = session(c, "demo-pg0")
    # Its TTL is the one the http object wrote into the JSON text.
    assert c.session.info(mine)[1]["TTL"] == "15.0s"
    assert c.kv.get(base, recurse=True, consistency="default")[1] is None

    # touch_member, and the service registration that goes with it.
    assert c.kv.put(member, json.dumps(data, separators=(",", ":")), acquire=mine) is True
    check = consul.Check.http("http://127.0.0.1:8008/primary", "5s", deregister="150.0s")
    assert c.agent.service.register(
        "demo",
        service_id="demo/pg 0",
        address="127.0.0.1",
        port=5432,
        check=check,
        tags=["primary", "master"],
        enable_tag_override=True,
    )
    assert c.agent.services()["demo/pg 0"]["Tags"] == ["primary", "master"]

    # initialize, then attempt_to_acquire_leader.
    assert c.kv.put(base + "initialize", "7300", cas=0) is True
    assert c.kv.put(base + "initialize", "7301", cas=0) is False
    c.session.renew(mine)
    assert c.kv.put(leader, "pg0", acquire=mine) is True

    # get_cluster: every key, values as bytes, the leader held by our session.
    _, nodes = c.kv.get(base, recurse=True, consistency="default")
    by_key = {n["Key"][len(base) :]: n for n in nodes}
    assert by_key["leader"]["Value"] == b"pg0"
    assert by_key["leader"]["Session"] == mine
    assert json.loads(by_key["members/pg0"]["Value"]) == data
    version = by_key["leader"]["ModifyIndex"]

    # update_leader keeps the key and writes the status.
    c.session.renew(mine)
    assert c.kv.put(status, '{"optime":4496294792}') is True

    # watch: nothing changes the leader key within the wait...
    idx, _ = c.kv.get(leader, index=version, wait="1s")
    assert str(idx) == str(version)

    # ...until another member, whose race for it fails, sees it deleted.
    theirs = session(c, "demo-pg1")
    assert c.kv.put(leader, "pg1", acquire=theirs) is False
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        watching = pool.submit(c.kv.get, leader, index=version, wait="30s")
        wait_blocked(consul_agent)
        assert c.kv.delete(leader, cas=int(version)) is True
        idx, entry = watching.result(CALL_TIMEOUT)
    assert str(idx) != str(version)
    assert entry is None

    # Patroni quotes the service id itself, as its http object sends paths as
    # they come: the callback adapter hands over the path unquoted.
    assert c.agent.service.deregister(quote("demo/pg 0")) is True
    assert "demo/pg 0" not in c.agent.services()
    assert ("PUT", "/v1/agent/service/deregister/demo/pg%200") in c.http.sent

    # reload_config sets the settings on the client and its http object.
    c.reload_config({"token": None, "consistency": "consistent", "dc": None})
    assert c.kv.get(base + "initialize")[1]["Value"] == b"7300"

    # A session that is gone: the http object's own exception comes through.
    # (Consul's KVS.Apply puts "raft apply failed: " before the FSM's
    # "invalid session", so Patroni's InvalidSession check does not match it.)
    # A key it did not hold, so that no lock-delay answers first.
    c.session.destroy(mine)
    with pytest.raises(InternalError, match="invalid session"):
        c.kv.put(base + "members/pg2", "{}", acquire=mine)


def test_session_renewal_of_a_lost_session_is_not_found(client):
    gone = session(client, "demo-pg0")
    client.session.destroy(gone)
    with pytest.raises(consul.NotFound):
        client.session.renew(gone)
