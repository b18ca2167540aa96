"""Go's strings, for texts that must read as Consul's.

Consul builds many messages with ``fmt``'s ``%q`` verb (``key "k" doesn't
exist``); :func:`quote` is ``strconv.Quote``, which ``%q`` (and ``%#v``)
use for strings. :func:`parse_bool` is ``strconv.ParseBool``, which reads
Consul's boolean query parameters; :func:`multierror` is the text of a
``go-multierror`` error, which Consul returns when it gathers several.
"""

from __future__ import annotations

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def quote(text: str) -> str:
    """``strconv.Quote(text)``: a double-quoted Go string literal.

    Printable characters stay as they are (Go's ``unicode.IsPrint`` and
    Python's ``str.isprintable`` agree: letters, marks, numbers, punctuation,
    symbols and the ASCII space); others become ``\\x``, ``\\u`` or ``\\U``
    escapes.
    """
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            if code < 0x20 or code == 0x7F:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(text: str) -> bool | None:
    """``strconv.ParseBool(text)``; None where Go returns an error."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def multierror(errors: list[str]) -> str:
    """The text of a ``go-multierror`` error holding ``errors`` (its default format)."""
    noun = "error" if len(errors) == 1 else "errors"
    points = "".join(f"\t* {e}\n" for e in errors)
    return f"{len(errors)} {noun} occurred:\n{points}\n"
