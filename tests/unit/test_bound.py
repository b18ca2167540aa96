"""Endpoint methods as users see them: signature, help, autospec, patching, caching.

``client.kv.get`` is made once per group and looks like the call it is:
``(key, index=None, ...)`` without ``self``, returning the client's own type.
"""

from __future__ import annotations

import inspect
import pydoc
from unittest import mock

import pytest

import consul
import consul.aio
import consul.base
import consul.threadpool
import consul.tornado
import consul.twisted


class OwnHTTP(consul.base.Consul):
    """python-consul's way: a client on an ``http`` object of one's own."""

    def http_connect(self, host, port, scheme, verify=True, cert=None):
        return mock.Mock()


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
