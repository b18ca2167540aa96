"""Consul's filter language (``?filter=``), as go-bexpr evaluates it.

Consul (every release up to the newest) filters with go-bexpr v0.1.2: it calls
``bexpr.CreateFilter(expression, nil, <element type>)``, which parses the
expression, then validates it against the Go type of the elements being
filtered, and runs it on each element. This module reproduces the three steps
(sources: go-bexpr v0.1.2 ``grammar.peg``, ``validate.go``,
``field_config.go``, ``coerce.go``, ``evaluate.go``, ``filter.go``):

- **Parsing** follows the PEG grammar with a Lark Earley parser whose
  terminals are mostly single characters, so that a failure is reported where
  go-bexpr's parser reports it, with the same "expected" list.
- **Validation** needs the element's Go type, as :mod:`.gotypes` models it
  (the same types request bodies are decoded into). A selector must name
  fields of that type (struct fields by their Go names; any key of a
  ``map[string]...``); the operator must suit the field's type; the value is
  converted to the field's type once, here. Fields tagged ``bexpr:"-"`` in
  Consul's structs (``Field.filter`` false) and ``interface{}`` fields cannot
  be selected, as in Consul.
- **Evaluation** runs on the elements' JSON (dicts with the Go field names),
  reading a field absent from the JSON (``omitempty``) as Go's zero value.

Every failure is a :class:`FilterError` whose text is Consul's:
``Failed to create boolean expression evaluator: ...`` for a bad expression
(Consul answers it with a 500, ``agent/http.go`` ``handleErr``).
"""

from __future__ import annotations

import functools
import math
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, VisitError

from .golang import parse_bool, quote
from .gotypes import STRING, UINT8, GoType, Map, Ptr, Scalar, Slice, Struct
from .regexp import compile_regexp

__all__ = ["FilterError", "check_syntax", "compile_expression", "compile_filter"]


class FilterError(Exception):
    """A filter Consul refuses, or one that fails on an element; ``str()`` is Consul's text."""


# -- field configurations (field_config.go) ---------------------------------------

EQUAL = "Equal"
NOT_EQUAL = "Not Equal"
IN = "In"
NOT_IN = "Not In"
IS_EMPTY = "Is Empty"
IS_NOT_EMPTY = "Is Not Empty"
MATCHES = "Matches"
NOT_MATCHES = "Not Matches"

#: ``FieldNameAny``: the wildcard field of maps.
_ANY = ""


@dataclass(frozen=True)
class _Config:
    """A ``FieldConfiguration``: what a selector reaching this field may do."""

    go_type: GoType
    operations: tuple[str, ...] = ()
    coerce: GoType | None = None
    subfields: Mapping[str, _Config] = field(default_factory=dict)


def _deref(go_type: GoType) -> GoType:
    while isinstance(go_type, Ptr):
        go_type = go_type.elem
    return go_type


def _real(go_type: GoType) -> GoType:
    """``go_type`` through its pointers, with ``[]byte`` as the slice it is."""
    go_type = _deref(go_type)
    if isinstance(go_type, Scalar) and go_type.kind == "bytes":
        return Slice(UINT8)
    return go_type


@functools.cache
def _config(go_type: GoType) -> _Config | None:
    """``generateFieldConfigurationInternal`` for ``go_type`` (None: not selectable)."""
    real = _real(go_type)
    if isinstance(real, Scalar):
        if real.kind == "any":
            return None
        ops: tuple[str, ...] = (EQUAL, NOT_EQUAL)
        if real.kind == "string":
            ops += (IN, NOT_IN, MATCHES, NOT_MATCHES)
        return _Config(go_type, ops, real)
    if isinstance(real, Map):
        if real.key.kind != "string":
            return _Config(go_type, (IS_EMPTY, IS_NOT_EMPTY))
        elem = _config(real.elem)
        entries: Mapping[str, _Config] = {} if elem is None else {_ANY: elem}
        return _Config(go_type, (IS_EMPTY, IS_NOT_EMPTY, IN, NOT_IN), STRING, entries)
    if isinstance(real, Slice):
        elem_type = _real(real.elem)
        if isinstance(elem_type, Scalar):
            # Slices of primitives: membership and emptiness only.
            return _Config(go_type, (IN, NOT_IN, IS_EMPTY, IS_NOT_EMPTY), elem_type)
        # Slices of compound types: emptiness, and their elements' fields
        # (matched if any element matches).
        elem = _config(real.elem)
        members: Mapping[str, _Config] = {} if elem is None else elem.subfields
        return _Config(go_type, (IS_EMPTY, IS_NOT_EMPTY), None, members)
    assert isinstance(real, Struct)
    fields: dict[str, _Config] = {}
    for member in real.fields:
        config = _config(member.type) if member.filter else None
        if config is not None:
            fields[member.name] = config
    return _Config(go_type, (), None, fields)


# -- coercion (coerce.go: strconv.Parse*) ------------------------------------------

_GO_INT = re.compile(
    r"[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)\Z"
)
_GO_UINT = re.compile(_GO_INT.pattern[len("[+-]?") :])
_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])\Z"
)


def _parse_int(text: str, bits: int, signed: bool) -> int:
    func = "ParseInt" if signed else "ParseUint"
    if not (_GO_INT if signed else _GO_UINT).match(text):
        raise FilterError(f"strconv.{func}: parsing {quote(text)}: invalid syntax")
    body = text.replace("_", "")
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    if body[:2].lower() in ("0x", "0b", "0o"):
        number = int(body, 0)
    elif len(body) > 1 and body.startswith("0"):
        number = int(body, 8)
    else:
        number = int(body)
    number *= sign
    size = bits or 64
    low, high = (-(2 ** (size - 1)), 2 ** (size - 1) - 1) if signed else (0, 2**size - 1)
    if not low <= number <= high:
        raise FilterError(f"strconv.{func}: parsing {quote(text)}: value out of range")
    return number


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _parse_float(text: str, bits: int) -> float:
    if not _GO_FLOAT.match(text):
        raise FilterError(f"strconv.ParseFloat: parsing {quote(text)}: invalid syntax")
    lowered = text.lower().lstrip("+-")
    number = float.fromhex(text) if lowered.startswith("0x") else float(text)
    if bits == 32 and not math.isinf(number) and not math.isnan(number):
        if abs(number) > 3.4028234663852886e38:
            raise FilterError(f"strconv.ParseFloat: parsing {quote(text)}: value out of range")
        number = _float32(number)
    if math.isinf(number) and "inf" not in lowered:
        raise FilterError(f"strconv.ParseFloat: parsing {quote(text)}: value out of range")
    return number


def _coerce(prim: Scalar, raw: str) -> Any:
    """The ``Coerce*`` function of ``prim``'s kind."""
    if prim.kind == "string":
        return raw
    if prim.kind == "bool":
        value = parse_bool(raw)
        if value is None:
            raise FilterError(f"strconv.ParseBool: parsing {quote(raw)}: invalid syntax")
        return value
    if prim.kind == "float":
        return _parse_float(raw, prim.bits or 64)
    return _parse_int(raw, prim.bits, prim.kind in ("int", "duration"))


# -- the grammar (grammar.peg) -------------------------------------------------

# Mostly one character per terminal, so that a failure is found where the
# PEG parser finds it; keywords and operators are literal terminals, as they
# are in the PEG. Terminals whose name starts with "_" stay out of the tree.
_GRAMMAR = r"""
start: _ws? _or_expr _ws?

_or_expr: _and_expr | or_
or_: _and_expr _ws _OR _ws _or_expr
_and_expr: _not_expr | and_
and_: _not_expr _ws _AND _ws _and_expr
_not_expr: _paren_expr | not_
not_: _NOT _ws _not_expr
_paren_expr: _LPAR _ws? _or_expr _ws? _RPAR | match

match: selector _ws? _EQ _ws? value                    -> equal
     | selector _ws? _NE _ws? value                    -> not_equal
     | selector _ws _CONTAINS _ws value                -> contains
     | selector _ws _NOT _ws _CONTAINS _ws value       -> not_contains
     | selector _ws _MATCHES _ws value                 -> matches
     | selector _ws _NOT _ws _MATCHES _ws value        -> not_matches
     | selector _ws _IS _ws _EMPTY                     -> is_empty
     | selector _ws _IS _ws _NOT _ws _EMPTY            -> is_not_empty
     | value _ws _IN _ws selector                      -> in_
     | value _ws _NOT _ws _IN _ws selector             -> not_in

selector: identifier (_DOT identifier | index)*
index: _LSQB _ws? string _ws? _RSQB
identifier: ID_START ID_CHAR*
value: selector | NUMBER | BAD_NUMBER | string
string: DQ_STRING | BQ_STRING | UNTERMINATED

_ws: _WS_CHAR+

_WS_CHAR: /[ \t\r\n]/
ID_START: /[a-zA-Z]/
ID_CHAR: /[a-zA-Z0-9_]/
_OR: "or"
_AND: "and"
_NOT: "not"
_IN: "in"
_IS: "is"
_EMPTY: "empty"
_CONTAINS: "contains"
_MATCHES: "matches"
_EQ: "=="
_NE: "!="
_LPAR: "("
_RPAR: ")"
_DOT: "."
_LSQB: "["
_RSQB: "]"
NUMBER: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?=[ \t\r\n)]|\Z)/
BAD_NUMBER: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?![ \t\r\n)]|\Z)[^ \t\r\n)]*/
DQ_STRING: /"[^"]*"/
BQ_STRING: /`[^`]*`/
UNTERMINATED: /"[^"]*\Z|`[^`]*\Z/
"""

_PARSER = Lark(_GRAMMAR, parser="earley", lexer="dynamic", ambiguity="resolve")

#: How pigeon names what it expected, per terminal of the grammar above.
_EXPECTED_NAMES: dict[str, tuple[str, ...]] = {
    "_WS_CHAR": ("[ \\t\\r\\n]",),
    "ID_START": ("[a-zA-Z]",),
    "ID_CHAR": ("[a-zA-Z0-9_]",),
    "_OR": ('"or"',),
    "_AND": ('"and"',),
    "_NOT": ('"not"',),
    "_IN": ('"in"',),
    "_IS": ('"is"',),
    "_EMPTY": ('"empty"',),
    "_CONTAINS": ('"contains"',),
    "_MATCHES": ('"matches"',),
    "_EQ": ('"=="',),
    "_NE": ('"!="',),
    "_LPAR": ('"("',),
    "_RPAR": ('")"',),
    "_DOT": ('"."',),
    "_LSQB": ('"["',),
    "_RSQB": ('"]"',),
    "NUMBER": ('"-"', '"0"', "[1-9]"),
    "BAD_NUMBER": ('"-"', '"0"', "[1-9]"),
    "DQ_STRING": ('"\\""',),
    "BQ_STRING": ('"`"',),
    "UNTERMINATED": ('"\\""', '"`"'),
}


@dataclass(frozen=True)
class _Position:
    """A position in the expression as pigeon prints it: ``line:col (byte offset)``."""

    text: str
    index: int

    def __str__(self) -> str:
        before = self.text[: self.index]
        line = before.count("\n") + 1
        column = self.index - (before.rfind("\n") + 1) + 1
        return f"{line}:{column} ({len(before.encode('utf-8'))})"


class _SyntaxError(Exception):
    def __init__(self, position: _Position, message: str, rule: str | None = None) -> None:
        prefix = f"{position}: rule {quote(rule)}" if rule else str(position)
        super().__init__(f"{prefix}: {message}")


# -- the syntax tree -------------------------------------------------------------


@dataclass
class _MatchExpr:
    selector: tuple[str, ...]
    operator: str
    raw: str | None
    converted: Any = None


@dataclass
class _Not:
    operand: _Node


@dataclass
class _Binary:
    operator: str
    left: _Node
    right: _Node


_Node = _MatchExpr | _Not | _Binary


_QUOTED_ESCAPE = re.compile(
    r"\\(?:[abfnrtv\\\"]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3})"
)
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}


def _unquote(literal: str) -> str | None:
    """``strconv.Unquote`` of a string literal, or None where Go fails."""
    body = literal[1:-1]
    if literal[0] == "`":
        return body.replace("\r", "")
    if "\n" in body:
        return None
    out: list[str] = []
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char != "\\":
            out.append(char)
            pos += 1
            continue
        match = _QUOTED_ESCAPE.match(body, pos)
        if match is None:
            return None
        escape = match.group()
        kind = escape[1]
        if kind in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[kind])
        elif kind in "xuU":
            code = int(escape[2:], 16)
            if kind == "x":
                # A \x escape is a byte; Go builds a (possibly invalid) UTF-8
                # string from the bytes, which JSON data can never equal
                # unless it is ASCII.
                out.append(chr(code))
            elif code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            else:
                out.append(chr(code))
        else:
            code = int(escape[1:], 8)
            if code > 0xFF:
                return None
            out.append(chr(code))
        pos = match.end()
    return "".join(out)


def _match_rule(operator: str, *, value_first: bool = False) -> Callable[..., _MatchExpr]:
    """The transformer method of a ``match`` alternative: its selector and value.

    ``value in selector`` has the value first; ``is empty`` has none.
    """

    def build(self: _Build, *parts: Any) -> _MatchExpr:
        if value_first:
            parts = parts[::-1]
        selector, value = parts if len(parts) == 2 else (parts[0], None)
        return _MatchExpr(selector, operator, value)

    return build


@v_args(inline=True)
class _Build(Transformer[Token, _Node]):
    """Lark tree -> syntax tree, with the checks pigeon runs in its actions."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def start(self, expr: _Node) -> _Node:
        return expr

    def or_(self, left: _Node, right: _Node) -> _Node:
        return _Binary("or", left, right)

    def and_(self, left: _Node, right: _Node) -> _Node:
        return _Binary("and", left, right)

    def not_(self, operand: _Node) -> _Node:
        # "not not x" is x (the grammar's own simplification).
        if isinstance(operand, _Not):
            return operand.operand
        return _Not(operand)

    def identifier(self, *chars: Token) -> str:
        return "".join(chars)

    def index(self, key: str) -> str:
        return key

    def selector(self, *parts: str) -> tuple[str, ...]:
        return parts

    def string(self, token: Token) -> str:
        if token.type == "UNTERMINATED":
            raise _SyntaxError(
                _Position(self.text, len(self.text)), "Unterminated string literal", "string"
            )
        value = _unquote(str(token))
        if value is None:
            raise _SyntaxError(
                _Position(self.text, token.start_pos or 0), "invalid syntax", "string"
            )
        return value

    def value(self, item: tuple[str, ...] | str | Token) -> str:
        if isinstance(item, tuple):
            return ".".join(item)
        if isinstance(item, Token):
            if item.type == "BAD_NUMBER":
                valid = re.match(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", str(item))
                assert valid is not None
                end = (item.start_pos or 0) + valid.end()
                raise _SyntaxError(_Position(self.text, end), "Invalid number literal", "number")
            return str(item)
        return item

    # One method per alternative of the ``match`` rule (named by its alias).
    equal = _match_rule(EQUAL)
    not_equal = _match_rule(NOT_EQUAL)
    contains = _match_rule(IN)
    not_contains = _match_rule(NOT_IN)
    matches = _match_rule(MATCHES)
    not_matches = _match_rule(NOT_MATCHES)
    is_empty = _match_rule(IS_EMPTY)
    is_not_empty = _match_rule(IS_NOT_EMPTY)
    in_ = _match_rule(IN, value_first=True)
    not_in = _match_rule(NOT_IN, value_first=True)


_INDEX_OPEN = re.compile(r"\[[ \t\r\n]*\Z")
_INDEX_KEY = re.compile(r"\[[ \t\r\n]*(?:\"[^\"]*\"|`[^`]*`)[ \t\r\n]*\Z")
_IN_OPERATOR = re.compile(r"[ \t\r\n](?:not[ \t\r\n]+)?in[ \t\r\n]+\Z")


def _parses(text: str) -> bool:
    try:
        _PARSER.parse(text)
    except (UnexpectedCharacters, UnexpectedEOF):
        return False
    return True


def _syntax_error(text: str, index: int, allowed: set[str]) -> _SyntaxError:
    """The error pigeon reports where the parse could not go on.

    The checks pigeon's grammar makes in its code blocks come first (an
    index without a string key, a key without "]", "in" without a selector,
    an open parenthesis); otherwise it lists what it expected there.
    """
    position = _Position(text, index)
    before = text[:index]
    if _INDEX_OPEN.search(before) and "DQ_STRING" in allowed:
        return _SyntaxError(position, "Invalid index", "index")
    if _INDEX_KEY.search(before) and "_RSQB" in allowed:
        return _SyntaxError(position, "Unclosed index expression", "index")
    if _IN_OPERATOR.search(before) and "ID_START" in allowed:
        return _SyntaxError(position, "Invalid selector", "match")
    if "_RPAR" in allowed:
        return _SyntaxError(position, "Unmatched parentheses", "grouping")
    expected = {name for terminal in allowed for name in _EXPECTED_NAMES.get(terminal, ())}
    if index and text[index - 1] in " \t\r\n":
        # pigeon tried one more whitespace character here.
        expected.add("[ \\t\\r\\n]")
    names = sorted(expected)
    if index < len(text) and _parses(before):
        names.append("EOF")
    listing = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return _SyntaxError(position, f"no match found, expected: {listing}")


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> _Node:
    """Parse ``text`` into a fresh syntax tree (raises :class:`_SyntaxError`)."""
    try:
        tree = _PARSER.parse(text)
    except UnexpectedCharacters as exc:
        raise _syntax_error(text, exc.pos_in_stream or 0, set(exc.allowed)) from None
    except UnexpectedEOF as exc:
        raise _syntax_error(text, len(text), set(exc.expected)) from None
    try:
        return _Build(text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _SyntaxError):
            raise exc.orig_exc from None
        raise


# -- validation (validate.go) ------------------------------------------------------


def _selector_text(parts: tuple[str, ...]) -> str:
    return quote(".".join(parts))


def _validate(node: _Node, fields: Mapping[str, _Config]) -> _Node:
    """A copy of ``node`` checked against ``fields``, with values converted."""
    if isinstance(node, _Not):
        return _Not(_validate(node.operand, fields))
    if isinstance(node, _Binary):
        return _Binary(node.operator, _validate(node.left, fields), _validate(node.right, fields))
    configs = fields
    last: _Config | None = None
    for position, part in enumerate(node.selector):
        config = configs.get(part, configs.get(_ANY))
        if config is None:
            raise FilterError(
                f"Selector {_selector_text(node.selector[: position + 1])} is not valid"
            )
        last = config
        configs = config.subfields
    assert last is not None
    if node.operator not in last.operations:
        raise FilterError(
            f"Invalid match operator {quote(node.operator)} for selector "
            f"{_selector_text(node.selector)}"
        )
    converted: Any = None
    if node.raw is not None:
        if last.coerce is not None:
            assert isinstance(last.coerce, Scalar)
            try:
                converted = _coerce(last.coerce, node.raw)
            except FilterError as exc:
                raise FilterError(
                    f"Failed to coerce value {quote(node.raw)} for selector "
                    f"{_selector_text(node.selector)}: {exc}"
                ) from None
        if node.operator in (MATCHES, NOT_MATCHES):
            pattern = converted if isinstance(converted, str) else node.raw
            converted = _compile_regexp(pattern)
    return _MatchExpr(node.selector, node.operator, node.raw, converted)


def _compile_regexp(pattern: str) -> re.Pattern[str]:
    """``regexp.Compile``; a pattern Go refuses is Consul's error."""
    try:
        return compile_regexp(pattern)
    except ValueError as exc:
        raise FilterError(f"Failed to compile regular expression {quote(pattern)}: {exc}") from None


# -- evaluation (evaluate.go) --------------------------------------------------------

_NIL_POINTER = "reflect: call of reflect.Value.Interface on zero Value"


def _zero(go_type: GoType) -> Any:
    """Go's zero value of ``go_type``, as JSON would hold it (nil pointers are None)."""
    if isinstance(go_type, Scalar):
        return {"string": "", "bool": False, "any": None}.get(go_type.kind, 0)
    if isinstance(go_type, Slice):
        return []
    if isinstance(go_type, Map | Struct):
        return {}
    return None


def _equal(expected: Any, prim: Scalar, value: Any) -> bool:
    if prim.kind == "float" and prim.bits == 32:
        return bool(expected == _float32(float(value)))
    if prim.kind in ("int", "uint", "float", "duration") and isinstance(value, bool):
        return False
    return bool(expected == value)


def _apply(node: _MatchExpr, go_type: GoType, value: Any) -> bool:
    """The operator at the end of the selector (``doMatch*``)."""
    real = _real(go_type)
    operator = node.operator
    if operator in (EQUAL, NOT_EQUAL):
        assert isinstance(real, Scalar)
        return _equal(node.converted, real, value) == (operator == EQUAL)
    if operator in (IS_EMPTY, IS_NOT_EMPTY):
        return (not value) == (operator == IS_EMPTY)
    if operator in (MATCHES, NOT_MATCHES):
        found = node.converted.search(value) is not None
        return found == (operator == MATCHES)
    if isinstance(real, Map):
        found = node.converted in (value or {})
    elif isinstance(real, Slice):
        elem = _real(real.elem)
        assert isinstance(elem, Scalar)
        found = any(_equal(node.converted, elem, item) for item in value or ())
    else:
        found = node.converted in value
    return found == (operator == IN)


def _walk(node: _MatchExpr, depth: int, go_type: GoType, value: Any) -> bool:
    """``evaluateMatchExpressionRecurse``."""
    if isinstance(go_type, Ptr):
        if value is None:
            raise FilterError(_NIL_POINTER)
        return _walk(node, depth, go_type.elem, value)
    if value is None:
        value = _zero(go_type)
    if depth >= len(node.selector):
        return _apply(node, go_type, value)
    if isinstance(go_type, Struct):
        name = node.selector[depth]
        member = go_type.field(name)
        assert member is not None
        found = value.get(name) if name in value else _zero(member.type)
        return _walk(node, depth + 1, member.type, found)
    if isinstance(go_type, Slice):
        # Any element matching is a match (selection into elements).
        return any(_walk(node, depth, go_type.elem, item) for item in value)
    if isinstance(go_type, Map):
        key = node.selector[depth]
        if key not in value:
            # A missing key is unequal to anything, holds nothing, and is empty.
            return node.operator not in (EQUAL, IS_NOT_EMPTY, IN)
        return _walk(node, depth + 1, go_type.elem, value[key])
    raise FilterError(
        f"Value at selector {_selector_text(node.selector[:depth])} with type "
        f"{go_type.name} does not support nested field selection"
    )


def _evaluate(node: _Node, go_type: GoType, item: Any) -> bool:
    if isinstance(node, _Not):
        return not _evaluate(node.operand, go_type, item)
    if isinstance(node, _Binary):
        left = _evaluate(node.left, go_type, item)
        if node.operator == "and":
            return left and _evaluate(node.right, go_type, item)
        return left or _evaluate(node.right, go_type, item)
    return _walk(node, 0, go_type, item)


@functools.lru_cache(maxsize=256)
def compile_expression(expression: str, element: GoType) -> Callable[[Any], bool]:
    """``bexpr.CreateEvaluatorForType``: a predicate over JSON of Go type ``element``.

    Raises :class:`FilterError` with go-bexpr's own text if the expression
    does not parse or does not suit the type (binding rule selectors are
    checked so, ``agent/consul/acl_endpoint.go`` ``BindingRuleSet``). The
    predicate itself raises :class:`FilterError` where go-bexpr fails on an
    element (a selector through a nil pointer, where go-bexpr v0.1.2 panics).
    """
    config = _config(element)
    try:
        tree = _validate(_parse(expression), config.subfields if config is not None else {})
    except _SyntaxError as exc:
        raise FilterError(str(exc)) from None

    def matches(item: Any) -> bool:
        return _evaluate(tree, element, item)

    return matches


def check_syntax(expression: str) -> None:
    """``bexpr.CreateEvaluator(expression, nil)``: the expression parses (no type to check).

    FilterError with go-bexpr's text otherwise.
    """
    try:
        _parse(expression)
    except _SyntaxError as exc:
        raise FilterError(str(exc)) from None


def compile_filter(expression: str, element: GoType) -> Callable[[Any], bool]:
    """``bexpr.CreateFilter``: :func:`compile_expression` as ``?filter=`` reports it.

    Its errors are prefixed ``Failed to create boolean expression evaluator:``.
    """
    try:
        return compile_expression(expression, element)
    except FilterError as exc:
        raise FilterError(f"Failed to create boolean expression evaluator: {exc}") from None
