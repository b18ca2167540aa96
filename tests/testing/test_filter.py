"""``?filter=`` on the embedded agent's endpoints, over raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import RawHTTP

from consul.testing import DevAgent


@pytest.fixture
def http(consul_agent: DevAgent) -> Iterator[RawHTTP]:
    with RawHTTP(consul_agent.url) as client:
        for node, address, meta, service, port, tags, status in [
            ("node-1", "10.0.0.1", {"os": "darwin"}, "api", 9090, ["tag"], "passing"),
            ("node-2", "10.0.0.2", {"os": "linux"}, "api", 9091, ["test", "tag"], "critical"),
            ("node-3", "10.0.0.3", {"os": "linux"}, "db", 5432, [], "passing"),
        ]:
            registration = {
                "Node": node,
                "Address": address,
                "NodeMeta": meta,
                "Service": {
                    "Service": service,
                    "Port": port,
                    "Tags": tags,
                    "Meta": {"environment": "qa" if port != 9091 else "production"},
                },
                "Check": {
                    "CheckID": f"{service}-check",
                    "Name": "check",
                    "ServiceID": service,
                    "Status": status,
                },
            }
            client.register(registration)
        yield client


def names(response: requests.Response, field: str) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item[field] for item in response.json())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('NodeMeta.os == "linux"', ["node-2"]),
        ('ServiceMeta["environment"] == qa', ["node-1"]),
        ('"test" in ServiceTags', ["node-2"]),
        ("ServiceTags is empty", []),
        ("ServicePort != 9090 and not ServiceTags contains test", []),
        ("ServicePort == 9090 or ServicePort == 9091", ["node-1", "node-2"]),
        ("Address matches `^10\\.0\\.0\\.[12]$`", ["node-1", "node-2"]),
    ],
)
def test_catalog_service(http: Any, expression: str, expected: list[str]) -> None:
    r = http("GET", "/v1/catalog/service/api", params={"filter": expression})
    assert names(r, "Node") == expected


def test_catalog_nodes(http: Any) -> None:
    r = http("GET", "/v1/catalog/nodes", params={"filter": "Meta.os == linux"})
    assert names(r, "Node") == ["node-2", "node-3"]


def test_health_service_selects_into_checks(http: Any) -> None:
    r = http("GET", "/v1/health/service/api", params={"filter": "Checks.Status == critical"})
    assert r.status_code == 200
    assert [entry["Node"]["Node"] for entry in r.json()] == ["node-2"]


def test_health_state(http: Any) -> None:
    r = http("GET", "/v1/health/state/any", params={"filter": "ServiceName == db"})
    assert names(r, "CheckID") == ["db-check"]


def test_empty_filter_is_no_filter(http: Any) -> None:
    r = http("GET", "/v1/catalog/service/api", params={"filter": ""})
    assert names(r, "Node") == ["node-1", "node-2"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Nope == 1", 'Selector "Nope" is not valid'),
        (
            "ServicePort == abc",
            'Failed to coerce value "abc" for selector "ServicePort": '
            'strconv.ParseInt: parsing "abc": invalid syntax',
        ),
        ("ServiceTags == x", 'Invalid match operator "Equal" for selector "ServiceTags"'),
        (
            "ServicePort ==",
            '1:15 (14): no match found, expected: "-", "0", "\\"", "`", '
            "[ \\t\\r\\n], [1-9] or [a-zA-Z]",
        ),
    ],
)
def test_bad_filters_are_500s(http: Any, expression: str, message: str) -> None:
    r = http("GET", "/v1/catalog/service/api", params={"filter": expression})
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.text == f"Failed to create boolean expression evaluator: {message}"


def test_a_bad_filter_fails_even_when_nothing_matches(http: Any) -> None:
    r = http("GET", "/v1/catalog/service/nothing", params={"filter": "Nope == 1"})
    assert r.status_code == 500
