"""Endpoint methods as users see them: signature, help, autospec, patching, caching.

``client.kv.get`` is made once per group and looks like the call it is:
``(key, index=None, ...)`` without ``self``, returning the client's own type.
"""

from __future__ import annotations

import inspect
import json
import pydoc
from typing import Any
from unittest import mock

import pytest

import consul
import consul.aio
import consul.base
import consul.threadpool
import consul.tornado
import consul.twisted
from consul._endpoint import Group, _Bound, endpoint
from consul._http import CLIENT_TIMEOUT, Call


class OwnHTTP(consul.base.Consul):
    """python-consul's way: a client on an ``http`` object of one's own."""

    def http_connect(self, host, port, scheme, verify=True, cert=None):
        return mock.Mock()


class Recorded(consul.base.ConsulBase[Any]):
    """A client whose calls return the Call they would run."""

    def _make_runner(self, config):
        return mock.Mock(run=lambda call: call, run_flow=lambda flow: flow)


RETURNS = [
    (consul.Consul, "Indexed[KVPair | None]", "bool"),
    (consul.threadpool.Consul, "concurrent.futures.Future[Indexed[KVPair | None]]", None),
    (consul.aio.Consul, "Coroutine[Any, Any, Indexed[KVPair | None]]", None),
    (consul.tornado.Consul, "asyncio.Future[Indexed[KVPair | None]]", None),
    (consul.twisted.Consul, "Deferred[Indexed[KVPair | None]]", None),
    (OwnHTTP, "Any", "Any"),
]


@pytest.fixture
def blocking():
    with consul.Consul(port=1) as c:
        yield c


@pytest.mark.parametrize(("cls", "get_returns", "put_returns"), RETURNS)
def test_signature_is_the_users_call(cls, get_returns, put_returns):
    c = cls(port=1)
    try:
        signature = inspect.signature(c.kv.get)
        assert list(signature.parameters)[:3] == ["key", "index", "recurse"]
        assert signature.parameters["index"].default is None
        assert signature.return_annotation == get_returns
        if put_returns is not None:
            assert inspect.signature(c.kv.put).return_annotation == put_returns
        # A multi-request method (a flow) too.
        assert next(iter(inspect.signature(c.acl.create).parameters)) == "name"
    finally:
        if isinstance(c, consul.Consul | consul.threadpool.Consul):
            c.close()


def test_help_shows_the_call_without_self(blocking):
    text = pydoc.render_doc(blocking.kv.get, renderer=pydoc.plaintext)
    assert "get(key: 'str', index: 'int | None' = None" in text
    assert "self" not in text.split("\n")[2]
    assert "GET /v1/kv/:key" in text


def test_bound_methods_are_made_once_per_group(blocking):
    assert blocking.kv.get is blocking.kv.get
    assert blocking.agent.service.register is blocking.agent.service.register
    with consul.Consul(port=1) as other:
        assert other.kv.get is not blocking.kv.get


def test_autospec_checks_the_users_arguments(blocking):
    fake = mock.create_autospec(blocking.kv.get, return_value=(1, None))
    assert fake("k", index=3) == (1, None)
    fake.assert_called_once_with("k", index=3)
    with pytest.raises(TypeError):
        fake("k", bogus=1)
    with pytest.raises(TypeError):
        fake()


def test_patching_the_class_works_after_the_method_was_used(blocking):
    used = blocking.kv.get
    with mock.patch.object(consul.Consul.KV, "get", return_value=(5, None)) as fake:
        assert blocking.kv.get("k") == (5, None)
    fake.assert_called_once_with("k")
    assert blocking.kv.get is used


def test_patching_a_nested_group_class():
    c = OwnHTTP()
    with mock.patch.object(consul.Consul.Agent.Service, "register", return_value=True) as fake:
        assert c.agent.service.register("web", port=80) is True
    fake.assert_called_once_with("web", port=80)
    c.http.put.assert_not_called()


def _groups(group):
    """``group`` and the groups hanging on it (``agent.service``, ``acl.token``...)."""
    yield group
    for value in vars(group).values():
        if isinstance(value, Group) and value is not group:
            yield from _groups(value)


def _endpoint_methods(client):
    for name in (
        "acl",
        "agent",
        "catalog",
        "coordinate",
        "discovery_chain",
        "event",
        "health",
        "kv",
        "session",
        "status",
        "txn",
    ):
        for group in _groups(getattr(client, name)):
            for attribute, value in vars(type(group)).items():
                if isinstance(value, _Bound):
                    yield f"{type(group).__name__}.{attribute}", getattr(group, attribute)


#: Where python-consul's ``timeout`` is a check's, the call's own is ``call_timeout``.
CALL_TIMEOUT_KEYWORD = {"AgentServices.register", "AgentChecks.register"}


class TestCallTimeout:
    @pytest.mark.parametrize(("cls", "get_returns", "put_returns"), RETURNS)
    def test_every_method_takes_one(self, cls, get_returns, put_returns):
        c = cls(port=1)
        try:
            methods = dict(_endpoint_methods(c))
            assert len(methods) > 80
            for name, method in methods.items():
                keyword = "call_timeout" if name in CALL_TIMEOUT_KEYWORD else "timeout"
                # Last, or just before typed **options (which nothing may follow).
                last = [
                    p
                    for p in inspect.signature(method).parameters.values()
                    if p.kind is not p.VAR_KEYWORD
                ][-1]
                assert (last.name, last.kind) == (keyword, last.KEYWORD_ONLY), name
                assert last.default is CLIENT_TIMEOUT, name
        finally:
            if isinstance(c, consul.Consul | consul.threadpool.Consul):
                c.close()

    def test_help_shows_it(self, blocking):
        text = pydoc.render_doc(blocking.kv.get, renderer=pydoc.plaintext)
        assert "timeout: 'CallTimeout' = <the client's timeout>)" in text

    def test_autospec_takes_it(self, blocking):
        fake = mock.create_autospec(blocking.kv.get, return_value=(1, None))
        fake("k", timeout=2.5)
        fake.assert_called_once_with("k", timeout=2.5)

    def test_it_travels_on_the_request(self):
        c = Recorded(timeout=7.0)
        assert c.kv.get("k").request.timeout == 7.0
        assert c.kv.get("k", timeout=2.5).request.timeout == 2.5
        assert c.kv.put("k", "v", timeout=None).request.timeout is None
        blocking = c.kv.get("k", index=3, wait=10, timeout=1.0).request
        assert blocking.time_limit() == 1.0 + 10 + 10 / 16 + 5

    def test_the_registers_keep_python_consuls_timeout(self):
        c = Recorded()
        call = c.agent.service.register(
            "web", http="http://127.0.0.1/health", interval="10s", timeout="3s", call_timeout=2
        )
        assert json.loads(call.request.body)["Check"]["Timeout"] == "3s"
        assert call.request.timeout == 2
        call = c.agent.check.register("up", ttl="10s", call_timeout=None)
        assert call.request.timeout is None

    @pytest.mark.parametrize(
        ("timeout", "error", "message"),
        [
            (0, ValueError, "timeout must be positive or None, not 0"),
            (-1.5, ValueError, "timeout must be positive or None"),
            (float("nan"), ValueError, "timeout must be a finite number of seconds"),
            ("5s", TypeError, "timeout must be a number of seconds, not str"),
            (True, TypeError, "timeout must be a number of seconds, not bool"),
        ],
    )
    def test_a_bad_one_is_refused_before_anything_is_sent(self, timeout, error, message):
        http = mock.Mock()
        c = OwnHTTP()
        c.http = http
        with pytest.raises(error, match=message):
            c.kv.get("k", timeout=timeout)
        with pytest.raises(error, match=message.replace("timeout", "call_timeout")):
            c.agent.check.register("up", ttl="10s", call_timeout=timeout)
        assert not http.method_calls

    def test_a_method_without_it_is_a_bug_caught_at_import(self):
        def get(self, key: str) -> Call[None]:
            raise AssertionError("never called")

        with pytest.raises(TypeError, match="get must end with \\*, timeout: CallTimeout"):
            endpoint(get)
