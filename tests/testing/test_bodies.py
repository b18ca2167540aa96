"""Request bodies the agent decodes: deep nesting, and large ones off the loop.

Go's decoder (``encoding/json``) reads values nested up to 10000 levels
(``maxNestingDepth``, ``scanner.go``) and refuses deeper ones with a syntax
error; a Consul handler answers a body it cannot decode with its 400
(``Request decode failed: ...``). Nothing here may crash the agent.
"""

from __future__ import annotations

import logging
import threading

import pytest

from consul.testing.http import context
from consul.testing.state.gojson import decode_json


@pytest.mark.parametrize("depth", [1000, 9999])
def test_deeply_nested_json_is_a_decode_error_not_a_crash(api, caplog, depth):
    body = b"[" * depth + b"]" * depth
    with caplog.at_level(logging.ERROR):
        response = api.put("/v1/catalog/register", data=body)
    assert response.status_code == 400
    assert response.text == (
        "Request decode failed: json: cannot unmarshal array into Go value of type "
        "structs.RegisterRequest"
    )
    assert not caplog.records


def test_deep_nesting_inside_a_field(api):
    body = '{"Node": ' + '{"a": ' * 2000 + "1" + "}" * 2000 + "}"
    response = api.put("/v1/catalog/register", data=body)
    assert response.status_code == 400
    assert response.text == (
        "Request decode failed: json: cannot unmarshal object into Go struct field "
        "RegisterRequest.Node of type string"
    )


def test_nesting_past_gos_limit_is_a_syntax_error(api):
    body = b"[" * 10001 + b"]" * 10001
    response = api.put("/v1/agent/service/register", data=body)
    assert response.status_code == 400
    assert response.text == "Request decode failed: invalid character '[' exceeded max depth"


def test_deep_values_read_as_go_reads_them():
    # What Python's parser cannot recurse into is read without recursion.
    depth = 3000
    text = '{"k": [' * depth + '{"a": [{"b": null}, 1.5, "x\\u00e9"]}' + ", 7, true]}" * depth
    value = decode_json(text.encode())
    for _ in range(depth):
        assert list(value) == ["k"]
        value, seven, true = value["k"]
        assert (seven, true) == (7, True)
    assert value == {"a": [{"b": None}, 1.5, "x\u00e9"]}


def test_a_large_body_is_decoded_while_the_agent_serves_others(api, monkeypatch):
    # The decode of a big registration is held until another request has been
    # answered: were it decoded on the agent's loop, that request would wait.
    entered, answered = threading.Event(), threading.Event()

    def held_decode(body, spec=None):
        entered.set()
        assert answered.wait(10), "nobody was served while the body was decoded"
        return decode_json(body, spec)

    monkeypatch.setattr(context, "decode_json", held_decode)
    tags = [f"tag-{i}" for i in range(context.OFF_LOOP_DECODE // 8)]
    body = {"Node": "big", "Address": "10.0.0.1", "Service": {"Service": "s", "Tags": tags}}
    result: list[int] = []
    writer = threading.Thread(
        target=lambda: result.append(api.put("/v1/catalog/register", json=body).status_code)
    )
    writer.start()
    try:
        assert entered.wait(10)
        assert api.get("/v1/status/leader", timeout=5).status_code == 200
        answered.set()
    finally:
        answered.set()
        writer.join()
    assert result == [200]
    assert len(api.get("/v1/catalog/service/s").json()[0]["ServiceTags"]) == len(tags)
