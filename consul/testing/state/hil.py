"""The interpolation of prepared query templates (``hashicorp/hil``, the part Consul uses).

A template's strings may hold ``${...}`` interpolations: variables
(``name.full``, ``name.prefix``, ``name.suffix``, ``agent.segment``), the
function ``match(N)``, and integer or string literals; ``$${`` is a literal
``${``. Consul parses every string of a template's ``Service`` when the
template is written and evaluates them when a name resolves to it
(``agent/consul/prepared_query/template.go``).

HIL's arithmetic and its other built-in functions are not supported here:
Consul's templates do not use them. Parse errors say where and what, in
HIL's ``parse error at LINE:COL: ...`` form but not always in its words;
evaluation errors are HIL's (``1:3: unknown variable accessed: x``).

:func:`interpolate` is ``lib/template.InterpolateHIL``, with which Consul
computes a binding rule's ``BindName`` from an auth method's claims:
variables only, their values lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["FunctionCall", "HILError", "Literal", "Template", "Variable", "interpolate", "parse"]


class HILError(ValueError):
    """A template HIL cannot parse or evaluate; ``str()`` is the message."""


@dataclass(frozen=True)
class Literal:
    """A literal: an ``int`` or a ``str``."""

    value: int | str
    column: int


@dataclass(frozen=True)
class Variable:
    """A variable reference (``name.full``)."""

    name: str
    column: int


@dataclass(frozen=True)
class FunctionCall:
    """A function call (``match(1)``)."""

    name: str
    args: tuple[Node, ...]
    column: int


Node = Literal | Variable | FunctionCall

#: An identifier: HIL's allow dots and dashes after the first character.
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_INT = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Template:
    """A parsed string: literal text and interpolations, in order."""

    parts: tuple[str | Node, ...]

    def evaluate(
        self, variables: Mapping[str, str], functions: Mapping[str, Callable[..., str]]
    ) -> int | str:
        """The value of the string (``hil.Eval``).

        A string that is one interpolation and nothing else has that
        interpolation's type (an ``int`` for ``${1}``); otherwise the
        parts are joined into a string.
        """
        values = [
            part if isinstance(part, str) else _eval(part, variables, functions)
            for part in self.parts
        ]
        if len(values) == 1 and not isinstance(self.parts[0], str):
            return values[0]
        return "".join(str(value) for value in values)


def _eval(
    node: Node, variables: Mapping[str, str], functions: Mapping[str, Callable[..., str]]
) -> int | str:
    # hil.Eval runs its IdentifierCheck (check_identifier.go: unknown names
    # and argument counts, "LINE:COL: ...") before its TypeCheck
    # (check_types.go: "At column COL, line LINE: ...").
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Variable):
        if node.name not in variables:
            raise HILError(f"1:{node.column}: unknown variable accessed: {node.name}")
        return variables[node.name]
    function = functions.get(node.name)
    if function is None:
        raise HILError(f"1:{node.column}: unknown function called: {node.name}")
    if len(node.args) != 1:
        raise HILError(f"1:{node.column}: {node.name}: expected 1 arguments, got {len(node.args)}")
    args = [_eval(arg, variables, functions) for arg in node.args]
    if not isinstance(args[0], int):
        where = f"At column {node.column}, line 1"
        raise HILError(f"{where}: {node.name}: argument 1 should be int, got string")
    return function(*args)


class _Parser:
    """A recursive descent over one string; positions are 1-based columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> HILError:
        return HILError(f"parse error at 1:{self.pos + 1}: {message}")

    def template(self) -> Template:
        parts: list[str | Node] = []
        literal: list[str] = []
        while self.pos < len(self.text):
            if self.text.startswith("$${", self.pos):
                literal.append("${")
                self.pos += 3
            elif self.text.startswith("${", self.pos):
                if literal:
                    parts.append("".join(literal))
                    literal = []
                self.pos += 2
                parts.append(self.expression())
                self.space()
                if not self.text.startswith("}", self.pos):
                    raise self.fail(self._found("}"))
                self.pos += 1
            else:
                literal.append(self.text[self.pos])
                self.pos += 1
        if literal or not parts:
            parts.append("".join(literal))
        return Template(tuple(parts))

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def _found(self, expected: str) -> str:
        if self.pos >= len(self.text):
            return f"expected {expected} but found end of input"
        return f"expected {expected} but found {self.text[self.pos]!r}"

    def expression(self) -> Node:
        self.space()
        column = self.pos + 1
        text = self.text
        if self.pos < len(text) and text[self.pos] == '"':
            end = text.find('"', self.pos + 1)
            if end < 0:
                raise self.fail("unterminated string literal")
            value = text[self.pos + 1 : end]
            self.pos = end + 1
            return Literal(value, column)
        if number := _INT.match(text, self.pos):
            self.pos = number.end()
            return Literal(int(number.group()), column)
        ident = _IDENT.match(text, self.pos)
        if ident is None:
            raise self.fail(self._found("expression"))
        self.pos = ident.end()
        self.space()
        if not text.startswith("(", self.pos):
            return Variable(ident.group(), column)
        self.pos += 1
        args: list[Node] = []
        self.space()
        if text.startswith(")", self.pos):
            self.pos += 1
            return FunctionCall(ident.group(), (), column)
        while True:
            args.append(self.expression())
            self.space()
            if text.startswith(",", self.pos):
                self.pos += 1
                continue
            if text.startswith(")", self.pos):
                self.pos += 1
                return FunctionCall(ident.group(), tuple(args), column)
            raise self.fail(self._found("',' or ')'"))


def parse(text: str) -> Template:
    """Parse ``text`` (``hil.Parse``); :class:`HILError` if it is not a valid template."""
    return _Parser(text).template()


def interpolate(text: str, variables: Mapping[str, str], lowercase: bool = True) -> str:
    """``text`` with its interpolations evaluated (``lib/template.InterpolateHIL``).

    The variables' values are lower-cased unless ``lowercase`` is False; no
    function is defined. A text without ``${`` is returned as it is, as
    Consul does without parsing it.
    """
    if "${" not in text:
        return text
    if lowercase:
        variables = {name: value.lower() for name, value in variables.items()}
    return str(parse(text).evaluate(variables, {}))
