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
    # The agent's own node has none of these keys: leave it out.
    assert [n for n in names(r, "Node") if n.startswith("node-")] == expected


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


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Go's regexp (src/regexp/syntax/perl_groups.go): \d, \w and [[:alpha:]]
        # are ASCII, so a Devanagari digit or an accented letter is not one.
        ('Meta.os matches "^\\\\w+$"', ["node-1", "node-2"]),
        ('Meta.rack matches "^\\\\d$"', ["node-1"]),
        ('Meta.rack matches "^[[:alpha:]]+$"', []),
        # $ without (?m) is the end of the text only (OpEndText), \z the same.
        ('Meta.note matches "^x$"', []),
        ('Meta.note matches "(?m)^x$"', ["node-2"]),
        # \Q...\E quotes, (?i) folds case, \pL is a Unicode letter.
        ('Meta.os matches "\\\\Qlin\\\\E"', ["node-2"]),
        ('Meta.os matches "(?i)DARWIN"', ["node-1"]),
        ('Meta.rack matches "^\\\\pL$"', ["node-2"]),
    ],
)
def test_regular_expressions_are_gos(
    consul_agent: DevAgent, expression: str, expected: list[str]
) -> None:
    with RawHTTP(consul_agent.url) as client:
        for node, meta in [
            ("node-1", {"os": "darwin", "rack": "7", "note": "y"}),
            ("node-2", {"os": "linux", "rack": "\u00e9", "note": "x\n"}),
            ("node-3", {"os": "\u00e9t\u00e9", "rack": "\u0967", "note": "y"}),
        ]:
            client.register({"Node": node, "Address": "10.0.0.1", "NodeMeta": meta})
        r = client("GET", "/v1/catalog/nodes", params={"filter": expression})
    # The agent's own node has none of these keys: leave it out.
    assert [n for n in names(r, "Node") if n.startswith("node-")] == expected


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        # src/regexp/syntax/parse.go: a lookbehind starts like a named group
        # "(?<name>" and fails as one; a lookahead is unsupported Perl syntax.
        ("(?<=a)b", "invalid named capture: `(?<=a)b`"),
        ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
        ("a**", "invalid nested repetition operator: `**`"),
        ("a{1001}", "invalid repeat count: `{1001}`"),
        ("[z-a]", "invalid character class range: `z-a`"),
        ("x[a", "missing closing ]: `[a`"),
        ("\\8", "invalid escape sequence: `\\8`"),
    ],
)
def test_bad_regular_expressions_are_gos_errors(http: Any, pattern: str, error: str) -> None:
    expression = f"Node matches `{pattern}`"
    r = http("GET", "/v1/catalog/nodes", params={"filter": expression})
    assert r.status_code == 500
    assert r.text == (
        "Failed to create boolean expression evaluator: "
        f'Failed to compile regular expression "{pattern.replace(chr(92), chr(92) * 2)}": '
        f"error parsing regexp: {error}"
    )
