"""Go's strings, for texts that must read as Consul's.

Consul builds many messages with ``fmt``'s ``%q`` verb (``key "k" doesn't
exist``); :func:`quote` is ``strconv.Quote``, which ``%q`` (and ``%#v``)
use for strings. :func:`parse_bool` is ``strconv.ParseBool``, which reads
Consul's boolean query parameters; :func:`multierror` is the text of a
``go-multierror`` error, which Consul returns when it gathers several;
:func:`uuid_error` is what ``go-uuid``'s ``ParseUUID`` says of a bad UUID.
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


def uuid_error(text: str) -> str | None:
    """``uuid.ParseUUID``'s error for ``text`` (``hashicorp/go-uuid``), or None."""
    raw = text.encode()
    if len(raw) != 36:
        return "uuid string is wrong length"
    if any(raw[i] != ord("-") for i in (8, 13, 18, 23)):
        return "uuid is improperly formatted"
    for byte in raw[0:8] + raw[9:13] + raw[14:18] + raw[19:23] + raw[24:36]:
        if chr(byte) not in "0123456789abcdefABCDEF":
            # Go's hex.InvalidByteError, printed with %#U.
            return f"encoding/hex: invalid byte: U+{byte:04X} {chr(byte)!r}"
    return None
