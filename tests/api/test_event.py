"""User events through every client."""

from __future__ import annotations

import pytest

import consul
from consul.api.event import event_index


def test_fire_returns_the_event_with_its_payload_as_bytes(c):
    event = c.event.fire("deploy", "v1.2")
    assert event["Name"] == "deploy"
    assert event["Payload"] == b"v1.2"
    assert event["Version"] == 1


def test_fire_without_body_has_no_payload(c):
    assert c.event.fire("ping")["Payload"] is None


def test_fire_sends_filters(c):
    event = c.event.fire("deploy", b"\x00\xff", node="^web", service="api", tag="v2")
    assert (event["NodeFilter"], event["ServiceFilter"], event["TagFilter"]) == (
        "^web",
        "api",
        "v2",
    )


def test_list_returns_the_index_of_the_newest_event(c):
    first = c.event.fire("a", b"1")
    second = c.event.fire("b")
    index, events = c.event.list()
    assert [e["ID"] for e in events] == [first["ID"], second["ID"]]
    assert events[0]["Payload"] == b"1"
    assert index == event_index(second["ID"])


def test_list_by_name(c):
    c.event.fire("a")
    wanted = c.event.fire("b")
    _, events = c.event.list(name="b")
    assert [e["ID"] for e in events] == [wanted["ID"]]


def test_blocking_list_returns_on_a_new_event(c):
    c.event.fire("a")
    index, _ = c.event.list()
    pending = c.start.event.list(index=index, wait="10s")
    new = c.event.fire("b")
    new_index, events = pending.result(10)
    assert new_index == event_index(new["ID"])
    assert events[-1]["ID"] == new["ID"]


def test_oversized_event_is_a_server_error(c):
    with pytest.raises(consul.ServerError, match="exceeds configured limit of 512 bytes"):
        c.event.fire("big", b"x" * 600)


def test_bad_arguments_are_refused_before_any_request(c):
    with pytest.raises(ValueError, match="name"):
        c.event.fire("")
    with pytest.raises(ValueError, match="tag needs service"):
        c.event.fire("x", tag="v1")
    with pytest.raises(TypeError, match="body"):
        c.event.fire("x", body=3)
