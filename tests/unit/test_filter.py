"""The filter language, as go-bexpr v0.1.2 parses, validates and evaluates it."""

from __future__ import annotations

import pytest

from consul.testing.state.apitypes import AGENT_SERVICE
from consul.testing.state.filter import FilterError, compile_filter
from consul.testing.state.gotypes import (
    BOOL,
    FLOAT32,
    FLOAT64,
    INT,
    INT8,
    STRING,
    UINT64,
    Map,
    Ptr,
    Scalar,
    Slice,
    Struct,
    struct,
)
from consul.testing.state.structs import CHECK_SERVICE_NODE, HEALTH_CHECK

PREFIX = "Failed to create boolean expression evaluator: "

INNER = struct("Inner", X=INT, Y=INT)
SAMPLE = struct(
    "Sample",
    Name=STRING,
    Port=INT,
    Small=INT8,
    Count=UINT64,
    Ratio=FLOAT32,
    Weight=FLOAT64,
    Enabled=BOOL,
    Tags=Slice(STRING),
    Ports=Slice(INT),
    Meta=Map(STRING),
    Nested=Map(Map(BOOL)),
    Items=Slice(INNER),
    ByName=Map(INNER),
    Inner=INNER,
    Pointer=Ptr(INNER),
    Opaque=Map(STRING, key=Scalar("int", "int")),
)

ITEM = {
    "Name": "redis-primary",
    "Port": 6379,
    "Small": -2,
    "Count": 10,
    "Ratio": 1.1,
    "Weight": 1.2,
    "Enabled": True,
    "Tags": ["primary", "v1"],
    "Ports": [1, 3, 5],
    "Meta": {"env": "prod", "team": "db", "with space": "yes"},
    "Nested": {"foo": {"bar": True, "baz": False}, "abc": None},
    "Items": [{"X": 1, "Y": 2}, {"X": 3, "Y": 5}],
    "ByName": {"one": {"X": 42}},
    "Inner": {"X": 7},
    "Pointer": {"X": 9, "Y": 0},
    "Opaque": {},
}


def run(expression: str, item: object = ITEM, element: Struct = SAMPLE) -> bool:
    return compile_filter(expression, element)(item)


def error(expression: str, element: Struct = SAMPLE) -> str:
    with pytest.raises(FilterError) as caught:
        compile_filter(expression, element)
    text = str(caught.value)
    assert text.startswith(PREFIX)
    return text[len(PREFIX) :]


# -- operators ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Name == redis", False),  # a bare word is a value too
        ('Name == "redis-primary"', True),
        ("Name == `redis-primary`", True),
        ('Name != "redis-primary"', False),
        ('Name != "other"', True),
        ('Name contains "prim"', True),
        ('"prim" in Name', True),
        ('"nope" in Name', False),
        ('"nope" not in Name', True),
        ('Name not contains "redis"', False),
        ('Name matches "^redis-"', True),
        ('Name matches "primary$"', True),
        ('Name matches "^primary"', False),
        ('Name not matches "^primary"', True),
        ("Port == 6379", True),
        ("Port != 6379", False),
        ("Port == `0x18eb`", True),  # strconv.ParseInt with base 0
        ('Port == "6_379"', True),
        ("Port == 0x18eb", None),  # not a number literal
        ("Small == -2", True),
        ("Count == 10", True),
        ("Ratio == 1.1", True),  # compared as float32
        ("Weight == 1.2", True),
        ("Weight != 1.2", False),
        ("Enabled == true", True),
        ("Enabled == T", True),
        ("Enabled == 1", True),
        ("Enabled == false", False),
        ("Enabled != False", True),
    ],
)
def test_primitive_operators(expression: str, expected: bool | None) -> None:
    if expected is None:
        assert "Invalid number literal" in error(expression)
    else:
        assert run(expression) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"primary" in Tags', True),
        ('Tags contains "v1"', True),
        ('"v2" in Tags', False),
        ('"v2" not in Tags', True),
        ("Tags not contains primary", False),
        ("Tags is empty", False),
        ("Tags is not empty", True),
        ("3 in Ports", True),
        ("Ports contains 4", False),
        ("Ports not contains 4", True),
    ],
)
def test_slices_of_primitives(expression: str, expected: bool) -> None:
    assert run(expression) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Meta.env == prod", True),
        ('Meta["env"] == "prod"', True),
        ('Meta["with space"] == yes', True),
        ('Meta[ "env" ].x == 1', None),  # only strings below a map[string]string
        ("env in Meta", True),
        ("Meta contains team", True),
        ('"nope" in Meta', False),
        ('"nope" not in Meta', True),
        ("Meta is empty", False),
        ("Meta is not empty", True),
        ("Meta.env contains ro", True),
        ("Meta.env matches `^p`", True),
        ("bar in Nested.foo", True),
        ("Nested.foo.bar == true", True),
        ("Nested.foo.baz == true", False),
        ("Nested.foo.baz != true", True),
        ("Nested.abc is empty", True),
        ("foo in Nested.abc", False),
        ("ByName.one.X == 42", True),
        ("ByName.one.Y == 0", True),  # absent from the JSON: the zero value
        ("Opaque is empty", True),
    ],
)
def test_maps(expression: str, expected: bool | None) -> None:
    if expected is None:
        assert error(expression) == 'Selector "Meta.env.x" is not valid'
    else:
        assert run(expression) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("== x", False),
        ("!= x", True),
        ("contains x", False),
        ("not contains x", True),
        ("matches x", True),  # go-bexpr answers true for every other operator
        ("not matches x", True),
    ],
)
def test_missing_map_key(operator: str, expected: bool) -> None:
    assert run(f"Meta.missing {operator}") is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Items.X == 1", True),  # any element
        ("Items.X == 3 and Items.Y == 2", True),  # each match on its own
        ("Items.Y == 4", False),
        ("Items.X != 1", True),
        ("Items is empty", False),
        ("Items is not empty", True),
        ("Inner.X == 7", True),
        ("Inner.Y == 0", True),
        ("Pointer.X == 9", True),
    ],
)
def test_structs_and_slices_of_structs(expression: str, expected: bool) -> None:
    assert run(expression) is expected


def test_fields_absent_from_the_json_are_zero_values() -> None:
    assert run('Name == ""', {}) is True
    assert run("Port == 0", {}) is True
    assert run("Enabled == false", {}) is True
    assert run("Tags is empty", {"Tags": None}) is True
    assert run("Meta is empty", {}) is True
    assert run("Items.X == 0", {}) is False
    assert run("Inner.X == 0", {}) is True


def test_a_selector_through_a_nil_pointer_fails_at_evaluation() -> None:
    matches = compile_filter("Pointer.X == 1", SAMPLE)
    with pytest.raises(FilterError, match="zero Value"):
        matches({"Pointer": None})


# -- logic and precedence -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Port == 1 or Port == 6379", True),
        ("Port == 6379 and Enabled == false", False),
        ("not Port == 1", True),
        ("not not Port == 1", False),
        # not > and > or: (false and (not false)) or true
        ("Port == 1 and not Enabled == false or Name contains redis", True),
        ("Port == 1 and (not Enabled == false or Name contains redis)", False),
        ("not (Port == 1 or Port == 2)", True),
        ("((Port == 6379))", True),
        ("Port == 1 or Port == 2 or Port == 6379", True),
        ("\t\r\n Port\t==\n6379 \r\n", True),
        ("Port==6379", True),
    ],
)
def test_logic(expression: str, expected: bool) -> None:
    assert run(expression) is expected


def test_and_or_short_circuit() -> None:
    # The right side would fail on the nil pointer if it were evaluated.
    item = dict(ITEM, Pointer=None)
    assert run("Port == 6379 or Pointer.X == 1", item) is True
    assert run("Port == 1 and Pointer.X == 1", item) is False


# -- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "name"),
    [
        (r'Name == "a\tb"', "a\tb"),
        (r'Name == "\x41\u00e9\101"', "Aé" + "A"),
        (r"Name == `a\tb`", r"a\tb"),
        ("Name == Meta.env", "Meta.env"),  # a selector as a value is its text
        ('Name == Meta["env"]', "Meta.env"),
        ("Name == -1.5", "-1.5"),
        ('Name == "unicode åß∂ƒ"', "unicode åß∂ƒ"),
    ],
)
def test_value_forms(expression: str, name: str) -> None:
    assert run(expression, {"Name": name}) is True


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("x in foo abc", '1:10 (9): no match found, expected: "and", "or", [ \\t\\r\\n] or EOF'),
        (
            "x in foo and ",
            '1:14 (13): no match found, expected: "(", "-", "0", "\\"", "`", "not", '
            "[ \\t\\r\\n], [1-9] or [a-zA-Z]",
        ),
        (
            "x in foo or not ",
            '1:17 (16): no match found, expected: "!=", "(", "-", "0", "==", "\\"", "`", '
            '"contains", "in", "is", "matches", "not", [ \\t\\r\\n], [1-9] or [a-zA-Z]',
        ),
        ("32 == 32", '1:4 (3): no match found, expected: "in", "not" or [ \\t\\r\\n]'),
        ("32 is empty", '1:4 (3): no match found, expected: "in", "not" or [ \\t\\r\\n]'),
        ("(foo == 4", '1:10 (9): rule "grouping": Unmatched parentheses'),
        ('foo == "12x', '1:12 (11): rule "string": Unterminated string literal'),
        ("foo == `12x", '1:12 (11): rule "string": Unterminated string literal'),
        ("foo == 3x", '1:9 (8): rule "number": Invalid number literal'),
        ("foo[3] == abc", '1:5 (4): rule "index": Invalid index'),
        ('x in foo["abc"', '1:15 (14): rule "index": Unclosed index expression'),
        ('foo["abc" == 3', '1:11 (10): rule "index": Unclosed index expression'),
        ("x in 32", '1:6 (5): rule "match": Invalid selector'),
        (r'foo == "a\qb"', '1:8 (7): rule "string": invalid syntax'),
        (
            "Name == redis-primary",
            '1:14 (13): no match found, expected: ".", "[", [ \\t\\r\\n], [a-zA-Z0-9_] or EOF',
        ),
        (
            "",
            '1:1 (0): no match found, expected: "(", "-", "0", "\\"", "`", '
            '"not", [ \\t\\r\\n], [1-9] or [a-zA-Z]',
        ),
    ],
)
def test_syntax_errors(expression: str, message: str) -> None:
    assert error(expression) == message


def test_position_counts_lines_runes_and_bytes() -> None:
    assert error('Meta["é"] ==\n').startswith("2:1 (14): no match found")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Nope == 1", 'Selector "Nope" is not valid'),
        ("Inner.Z == 1", 'Selector "Inner.Z" is not valid'),
        ("name == x", 'Selector "name" is not valid'),  # names are case-sensitive
        ("Port.X == 1", 'Selector "Port.X" is not valid'),
        ("Items.X.Y == 1", 'Selector "Items.X.Y" is not valid'),
        ("Opaque.x == 1", 'Selector "Opaque.x" is not valid'),
        ("Tags == x", 'Invalid match operator "Equal" for selector "Tags"'),
        ("Port contains 1", 'Invalid match operator "In" for selector "Port"'),
        ("Port matches 1", 'Invalid match operator "Matches" for selector "Port"'),
        ("Port is empty", 'Invalid match operator "Is Empty" for selector "Port"'),
        ("Inner == x", 'Invalid match operator "Equal" for selector "Inner"'),
        ("x in Items", 'Invalid match operator "In" for selector "Items"'),
        ("Opaque contains x", 'Invalid match operator "In" for selector "Opaque"'),
        (
            "Port == abc",
            'Failed to coerce value "abc" for selector "Port": '
            'strconv.ParseInt: parsing "abc": invalid syntax',
        ),
        (
            "Small == 300",
            'Failed to coerce value "300" for selector "Small": '
            'strconv.ParseInt: parsing "300": value out of range',
        ),
        (
            "Count == -1",
            'Failed to coerce value "-1" for selector "Count": '
            'strconv.ParseUint: parsing "-1": invalid syntax',
        ),
        (
            "Enabled == yes",
            'Failed to coerce value "yes" for selector "Enabled": '
            'strconv.ParseBool: parsing "yes": invalid syntax',
        ),
        (
            "Weight == x1",
            'Failed to coerce value "x1" for selector "Weight": '
            'strconv.ParseFloat: parsing "x1": invalid syntax',
        ),
        (
            "abc in Ports",
            'Failed to coerce value "abc" for selector "Ports": '
            'strconv.ParseInt: parsing "abc": invalid syntax',
        ),
        (
            'Name matches "("',
            'Failed to compile regular expression "(": '
            "error parsing regexp: missing closing ): `(`",
        ),
    ],
)
def test_validation_errors(expression: str, message: str) -> None:
    assert error(expression) == message


def test_validation_happens_even_with_nothing_to_filter() -> None:
    # go-bexpr validates against the type when the filter is created.
    with pytest.raises(FilterError):
        compile_filter("Nope == 1", SAMPLE)


# -- Consul's element types -----------------------------------------------------------

SERVICE = {
    "ID": "redis1",
    "Service": "redis",
    "Tags": ["primary", "production"],
    "Meta": {"env": "production"},
    "Port": 1234,
    "Address": "",
    "Weights": {"Passing": 1, "Warning": 1},
    "EnableTagOverride": False,
    "Datacenter": "dc1",
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Meta.env == "production"', True),
        ("primary in Tags", True),
        ("Weights.Passing == 1", True),
        ('Kind == ""', True),  # omitted from the JSON (omitempty)
        ("TaggedAddresses is empty", True),
        ("Service == redis and Port != 80", True),
    ],
)
def test_agent_service(expression: str, expected: bool) -> None:
    assert compile_filter(expression, AGENT_SERVICE)(SERVICE) is expected


@pytest.mark.parametrize("hidden", ["CreateIndex", "ModifyIndex", "ContentHash", "Datacenter"])
def test_agent_service_hides_what_consul_tags_bexpr_minus(hidden: str) -> None:
    assert error(f"{hidden} == 1", AGENT_SERVICE) == f'Selector "{hidden}" is not valid'


def test_check_service_node_selects_into_its_checks() -> None:
    entry = {
        "Node": {"Node": "n1", "Meta": {"rack": "a"}},
        "Service": {"Service": "web", "Tags": ["v1"]},
        "Checks": [{"CheckID": "serfHealth", "Status": "passing"}, {"Status": "critical"}],
    }
    matches = compile_filter
    assert matches("Checks.Status == critical", CHECK_SERVICE_NODE)(entry) is True
    assert matches("Checks.Status == warning", CHECK_SERVICE_NODE)(entry) is False
    assert matches("Node.Meta.rack == a and v1 in Service.Tags", CHECK_SERVICE_NODE)(entry)


def test_health_check_definition_is_not_selectable() -> None:
    assert error("Definition.HTTP == x", HEALTH_CHECK) == 'Selector "Definition" is not valid'
