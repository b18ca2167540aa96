"""One ``DEBUG`` line per request on the ``consul.http`` logger, on every client.

Method, path and query, then status and duration, or the failure; never the
token, a header or a body.
"""

from __future__ import annotations

import logging
import re

import pytest
from harness import ENDPOINT_ADAPTERS

import consul

TOKEN = "5b0e8f3c-logged-nowhere-token"
SECRET_VALUE = b"s3cret-value-never-logged"

every_client = pytest.mark.parametrize("adapter", ENDPOINT_ADAPTERS)


def lines(caplog):
    """The messages of the request log, after checking that none holds a secret."""
    records = [r for r in caplog.records if r.name == "consul.http"]
    assert all(r.levelno == logging.DEBUG for r in records)
    for record in records:
        for text in (record.getMessage(), repr(record.args), repr(record.__dict__)):
            assert TOKEN not in text
            assert SECRET_VALUE.decode() not in text
    return [r.getMessage() for r in records]


@every_client
def test_each_request_is_one_line(client, consul_agent, caplog):
    caplog.set_level(logging.DEBUG, logger="consul")
    c = client(consul_agent, token=TOKEN)
    assert c.kv.put("app/secret", SECRET_VALUE)
    index, _ = c.kv.get("app/secret")
    c.kv.get("app/secret", index=index, wait="10ms", dc="dc1")
    assert c.kv.get("app/missing") == (index, None)
    put, get, blocking, missing = lines(caplog)
    assert re.fullmatch(r"PUT /v1/kv/app/secret -> 200 \(\d+\.\d ms\)", put)
    assert re.fullmatch(r"GET /v1/kv/app/secret -> 200 \(\d+\.\d ms\)", get)
    assert blocking.startswith(f"GET /v1/kv/app/secret?dc=dc1&index={index}&wait=10ms -> 200 (")
    assert missing.startswith("GET /v1/kv/app/missing -> 404 (")


@every_client
def test_a_refused_request_is_logged_with_its_status(client, consul_acl_agent, caplog):
    caplog.set_level(logging.DEBUG, logger="consul.http")
    c = client(consul_acl_agent, token=TOKEN)
    with pytest.raises(consul.ACLPermissionDenied):
        c.kv.put("app/secret", SECRET_VALUE)
    (line,) = lines(caplog)
    assert line.startswith("PUT /v1/kv/app/secret -> 403 (")


@every_client
def test_a_transport_failure_is_logged(client, refused_port, caplog):
    caplog.set_level(logging.DEBUG, logger="consul")
    c = client(host="127.0.0.1", port=refused_port, token=TOKEN, timeout=5)
    with pytest.raises(consul.ConsulConnectionError):
        c.kv.put("app/secret", SECRET_VALUE)
    (line,) = lines(caplog)
    assert re.match(
        r"PUT /v1/kv/app/secret failed after \d+\.\d ms: ConsulConnectionError: cannot reach ",
        line,
    )


@every_client
def test_nothing_is_logged_unless_debug_is_on(client, consul_agent, caplog):
    caplog.set_level(logging.INFO, logger="consul")
    c = client(consul_agent, token=TOKEN)
    c.kv.put("app/secret", SECRET_VALUE)
    assert lines(caplog) == []
