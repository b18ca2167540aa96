"""HCL 1, the syntax of ACL rules and of Consul's configuration files.

Consul reads both with ``hashicorp/hcl`` v1. Its parser keeps every entry of
an object, in order, duplicates included: two rules for the same key are
merged by precedence, and a repeated attribute is an error
(``acl/policy_ce.go``). :func:`parse` does the same and returns
:class:`Items`; :func:`to_dict` folds them into the plain maps Go's decoder
makes of a configuration file (a repeated key becomes a list).

A label of a block is a nesting level: ``key "a" { policy = "read" }`` is
``key = { "a" = { policy = "read" } }``, and both parse to
``Items([("key", Items([("a", Items([("policy", "read")]))]))])``.

Errors are :class:`HCLError` with hcl's wording and position
(``At 1:9: object expected closing RBRACE got: EOF``).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["HCLError", "Items", "parse", "to_dict"]


class HCLError(ValueError):
    """Text hcl refuses; ``str()`` is hcl's message with its position."""


class Items(list[tuple[str, Any]]):
    """An HCL (or JSON) object with every entry kept, duplicates and order included."""


# One token per match; the group that matched names its type.
_TOKEN = re.compile(
    r"""
    (?P<SPACE>[ \t\r\n]+)
    | (?P<COMMENT>\#[^\n]*|//[^\n]*|/\*.*?\*/)
    | (?P<HEREDOC><<-?(?P<anchor>[A-Za-z_][A-Za-z0-9_]*)\n)
    | (?P<STRING>"(?:[^"\\\n]|\\.)*")
    | (?P<OPEN_STRING>")
    | (?P<FLOAT>-?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|-?[0-9]+[eE][+-]?[0-9]+)
    | (?P<NUMBER>-?0[xX][0-9a-fA-F]+|-?[0-9]+)
    | (?P<BOOL>(?:true|false)(?![A-Za-z0-9_\-.]))
    | (?P<IDENT>[A-Za-z_][A-Za-z0-9_\-.]*)
    | (?P<LBRACE>\{) | (?P<RBRACE>\}) | (?P<LBRACK>\[) | (?P<RBRACK>\])
    | (?P<ASSIGN>=) | (?P<COMMA>,)
    """,
    re.VERBOSE | re.DOTALL,
)


class _Token:
    __slots__ = ("kind", "pos", "value")

    def __init__(self, kind: str, value: Any, pos: int) -> None:
        self.kind = kind
        self.value = value
        self.pos = pos


def _unquote(literal: str) -> str:
    # hcl's strconv-like unquoting: JSON's escapes cover what rules use.
    try:
        value = json.loads(literal)
    except ValueError:
        return literal[1:-1]
    return str(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._scan(text)
        self.index = 0

    def where(self, pos: int) -> str:
        before = self.text[:pos]
        line = before.count("\n") + 1
        return f"At {line}:{pos - (before.rfind(chr(10)) + 1) + 1}"

    def fail(self, token: _Token, message: str) -> HCLError:
        return HCLError(f"{self.where(token.pos)}: {message}")

    def _scan(self, text: str) -> list[_Token]:
        tokens: list[_Token] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise HCLError(f"{self.where(pos)}: illegal char")
            kind = match.lastgroup
            end = match.end()
            if kind == "HEREDOC":
                anchor = match.group("anchor")
                closing = re.compile(rf"^[ \t]*{re.escape(anchor)}[ \t]*$", re.MULTILINE)
                found = closing.search(text, end)
                if found is None:
                    raise HCLError(f"{self.where(pos)}: heredoc not terminated")
                tokens.append(_Token("STRING", text[end : found.start()], pos))
                end = found.end()
            elif kind == "OPEN_STRING":
                raise HCLError(f"{self.where(pos)}: literal not terminated")
            elif kind == "STRING":
                tokens.append(_Token(kind, _unquote(match.group()), pos))
            elif kind == "NUMBER":
                tokens.append(_Token(kind, int(match.group(), 0), pos))
            elif kind == "FLOAT":
                tokens.append(_Token(kind, float(match.group()), pos))
            elif kind == "BOOL":
                tokens.append(_Token(kind, match.group() == "true", pos))
            elif kind not in ("SPACE", "COMMENT"):
                tokens.append(_Token(str(kind), match.group(), pos))
            pos = end
        tokens.append(_Token("EOF", None, len(text)))
        return tokens

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def object_list(self, nested: bool) -> Items:
        """Items up to EOF (the file) or ``}`` (an object, which is consumed)."""
        items = Items()
        while True:
            token = self.peek()
            if token.kind == "EOF":
                if nested:
                    raise self.fail(token, "object expected closing RBRACE got: EOF")
                return items
            if token.kind == "RBRACE" and nested:
                self.next()
                return items
            if token.kind == "COMMA" and items:
                self.next()
                continue
            items.append(self.object_item())

    def object_item(self) -> tuple[str, Any]:
        """``key [label...] = value`` or ``key [label...] { ... }``."""
        keys: list[str] = []
        while True:
            token = self.next()
            if token.kind in ("IDENT", "STRING"):
                keys.append(str(token.value))
                continue
            if token.kind == "ASSIGN":
                if len(keys) > 1:
                    raise self.fail(token, "nested object expected: LBRACE got: ASSIGN")
                if not keys:
                    raise self.fail(token, "no object keys found!")
                return keys[0], self.value()
            if token.kind == "LBRACE":
                if not keys:
                    raise self.fail(token, "expected: IDENT | STRING got: LBRACE")
                value: Any = self.object_list(nested=True)
                for label in reversed(keys[1:]):
                    value = Items([(label, value)])
                return keys[0], value
            if token.kind == "EOF" and keys:
                raise self.fail(
                    token,
                    f"key '{' '.join(keys)}' expected start of object ('{{') or assignment ('=')",
                )
            raise self.fail(token, f"expected: IDENT | STRING | ASSIGN | LBRACE got: {token.kind}")

    def value(self) -> Any:
        token = self.next()
        if token.kind in ("STRING", "NUMBER", "FLOAT", "BOOL"):
            return token.value
        if token.kind == "LBRACE":
            return self.object_list(nested=True)
        if token.kind == "LBRACK":
            return self.list_value()
        raise self.fail(token, f"Unknown token: {token.kind}")

    def list_value(self) -> list[Any]:
        values: list[Any] = []
        while True:
            token = self.peek()
            if token.kind == "RBRACK":
                self.next()
                return values
            if values:
                if token.kind != "COMMA":
                    raise self.fail(
                        token, f"error parsing list, expected comma or list end, got: {token.kind}"
                    )
                self.next()
                if self.peek().kind == "RBRACK":
                    continue
            values.append(self.value())


def parse(text: str) -> Items:
    """The entries of an HCL text (or of a JSON object, which hcl also reads)."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text, object_pairs_hook=Items)
        except ValueError as exc:
            raise HCLError(str(exc)) from None
        if not isinstance(data, Items):
            raise HCLError("the document is not an object")
        return data
    return _Parser(text).object_list(nested=False)


def to_dict(items: Items) -> dict[str, Any]:
    """Plain maps of parsed items, as Go's decoder into ``map[string]interface{}`` makes them.

    A key given once maps to its value; a key given more than once maps to
    the list of its values.
    """
    grouped: dict[str, list[Any]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(_plain(value))
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Items):
        return to_dict(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
