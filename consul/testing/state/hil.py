"""HIL interpolation of variables into a binding rule's ``BindName``, as Consul does it.

``lib/template.InterpolateHIL`` parses the text with HashiCorp's HIL and
evaluates it with string variables only (``value.name``,
``serviceaccount.name``...), lower-casing their values. This module covers
what such a text can usefully hold: literal text, ``$${`` for a literal
``${``, and ``${ variable }``. An unknown variable is HIL's error, with the
line and column of its name (``1:3: unknown variable accessed: value.x``).
Anything else inside ``${ }`` (functions, operators, literals) is refused:
the embedded agent does not model the rest of HIL.
"""

from __future__ import annotations

import re

__all__ = ["HILError", "interpolate"]


class HILError(ValueError):
    """A text HIL refuses, or cannot evaluate; ``str()`` is the error."""


#: ``scanIdentifier``: letters, digits, marks, ``_``, ``-``, ``.`` (and ``.*.``).
_IDENTIFIER = re.compile(r"[^\W]|[-.*]", re.UNICODE)
_SPACE = " \t\r\n"


def _position(text: str, offset: int) -> str:
    """HIL's ``line:column`` (both from 1, columns in characters) of ``text[offset]``."""
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return f"{line}:{column}"


def _variable(text: str, start: int, variables: dict[str, str], lowercase: bool) -> str:
    """The value of the ``${...}`` at ``start``."""
    end = text.find("}", start + 2)
    if end < 0:
        raise HILError(
            f'parse error at {_position(text, len(text))}: expected "}}" but found end of string'
        )
    inner = text[start + 2 : end]
    name = inner.strip(_SPACE)
    name_at = start + 2 + (len(inner) - len(inner.lstrip(_SPACE)))
    if not name:
        raise HILError(f'parse error at {_position(text, end)}: expected expression but found "}}"')
    if name[0] in "-.*" or not all(_IDENTIFIER.fullmatch(char) for char in name):
        raise HILError(
            f"{_position(text, name_at)}: the embedded agent interpolates variables only, "
            f"not {name!r}"
        )
    if name not in variables:
        raise HILError(f"{_position(text, name_at)}: unknown variable accessed: {name}")
    value = variables[name]
    return value.lower() if lowercase else value


def interpolate(text: str, variables: dict[str, str], lowercase: bool = True) -> str:
    """``text`` with its ``${name}`` replaced from ``variables`` (values lower-cased).

    A text without ``${`` is returned as it is, as Consul does without
    parsing it.
    """
    if "${" not in text:
        return text
    out: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        pair = text[position : position + 2]
        if pair == "$$":
            # Double-$ escapes: ``$$`` is ``$`` (so ``$${`` is a literal ``${``).
            out.append("$")
            position += 2
            continue
        if pair != "${":
            out.append(char)
            position += 1
            continue
        out.append(_variable(text, position, variables, lowercase))
        position = text.index("}", position) + 1
    return "".join(out)
