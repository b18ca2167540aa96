"""Go's formatting and parsing, for values and texts that must read as Consul's.

Consul builds many messages with ``fmt``'s ``%q`` verb (``key "k" doesn't
exist``); :func:`quote` is ``strconv.Quote``, which ``%q`` (and ``%#v``)
use for strings. :func:`parse_bool` is ``strconv.ParseBool``, which reads
Consul's boolean query parameters; :func:`multierror` is the text of a
``go-multierror`` error, which Consul returns when it gathers several;
:func:`uuid_error` is what ``go-uuid``'s ``ParseUUID`` says of a bad UUID.
Durations are ``time.ParseDuration`` and ``time.Duration.String``
(:func:`parse_duration_ns`, :func:`format_duration`). Go's regular
expressions are :mod:`.regexp`'s.
"""

from __future__ import annotations

from typing import Any

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


def is_any_address(address: str) -> bool:
    """Consul's ``ipaddr.IsAny``: an unspecified address, which cannot be advertised."""
    return address in ("0.0.0.0", "::", "[::]")  # noqa: S104 - compared, not bound


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(text: str) -> bool | None:
    """``strconv.ParseBool(text)``; None where Go returns an error."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def go_value(value: Any) -> str:
    """``fmt``'s ``%v`` of a value ``encoding/json`` decoded into an ``interface{}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


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
        if chr(byte) not in _HEX_DIGITS:
            return hex_byte_error(byte)
    return None


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def hex_byte_error(byte: int) -> str:
    """Go's ``hex.InvalidByteError`` for ``byte`` (``%#U``: ``U+0067 'g'``)."""
    char = chr(byte)
    shown = f" '{char}'" if char.isprintable() else ""
    return f"encoding/hex: invalid byte: U+{byte:04X}{shown}"


def hex_decode_error(text: str) -> str | None:
    """Go's ``hex.DecodeString`` error for ``text``, or None if it decodes."""
    raw = text.encode()
    for byte in raw:
        if chr(byte) not in _HEX_DIGITS:
            return hex_byte_error(byte)
    if len(raw) % 2:
        return "encoding/hex: odd length hex string"
    return None


# -- durations (Go's time package) ----------------------------------------------

#: Nanoseconds per unit of Go's ``time.ParseDuration`` (``unitMap``).
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_INT_LIMIT = 1 << 63


def _time_quote(text: str) -> str:
    # The ``quote`` of Go's time package: ASCII as is (with ``"`` and ``\``
    # escaped), every byte of anything else as ``\xNN``.
    out = ['"']
    for char in text:
        if char < " " or char >= "\x80":
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogateescape"))
        else:
            out.append("\\" + char if char in '"\\' else char)
    out.append('"')
    return "".join(out)


def parse_duration_ns(text: str) -> int:
    """Nanoseconds in a Go duration string, exactly as ``time.ParseDuration``.

    ValueError with Go's text (``time: invalid duration "x"``, ``time:
    missing unit in duration "1"``, ``time: unknown unit "d" in duration
    "1d"``) for anything Go refuses, overflow included.
    """
    original, rest = text, text
    negative = False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    invalid = ValueError(f"time: invalid duration {_time_quote(original)}")
    if not rest:
        raise invalid
    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            raise invalid
        digits = len(rest) - len(rest.lstrip("0123456789"))
        whole = int(rest[:digits] or "0")
        if whole > _INT_LIMIT:
            raise invalid
        rest = rest[digits:]
        fraction, scale, fraction_digits = 0, 1.0, 0
        if rest[:1] == ".":
            rest = rest[1:]
            fraction_digits = len(rest) - len(rest.lstrip("0123456789"))
            for char in rest[:fraction_digits]:
                # leadingFraction: stop gaining precision before overflowing.
                if fraction > (_INT_LIMIT - 1) // 10:
                    break
                candidate = fraction * 10 + int(char)
                if candidate > _INT_LIMIT:
                    break
                fraction, scale = candidate, scale * 10
            rest = rest[fraction_digits:]
        if not digits and not fraction_digits:
            raise invalid
        unit_length = 0
        while unit_length < len(rest) and not (
            rest[unit_length] == "." or "0" <= rest[unit_length] <= "9"
        ):
            unit_length += 1
        if not unit_length:
            raise ValueError(f"time: missing unit in duration {_time_quote(original)}")
        unit_name, rest = rest[:unit_length], rest[unit_length:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise ValueError(
                f"time: unknown unit {_time_quote(unit_name)} in duration {_time_quote(original)}"
            )
        if whole > _INT_LIMIT // unit:
            raise invalid
        value = whole * unit
        if fraction:
            value += int(float(fraction) * (float(unit) / scale))
            if value > _INT_LIMIT:
                raise invalid
        total += value
        if total > _INT_LIMIT:
            raise invalid
    if negative:
        return -total
    if total > _INT_LIMIT - 1:
        raise invalid
    return total


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string (see :func:`parse_duration_ns`)."""
    return parse_duration_ns(text) / 1e9


def format_duration(nanoseconds: int) -> str:
    """A duration as Go's ``time.Duration.String`` writes it (``1m30s``, ``1.5ms``)."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    value = abs(nanoseconds)
    if value < 1_000_000_000:
        if value < 1_000:
            unit, precision = "ns", 0
        elif value < 1_000_000:
            unit, precision = "\u00b5s", 3
        else:
            unit, precision = "ms", 6
        whole, fraction = divmod(value, 10**precision)
        return f"{sign}{whole}{_fraction(fraction, precision)}{unit}"
    seconds, fraction = divmod(value, 10**9)
    text = f"{seconds % 60}{_fraction(fraction, 9)}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        if minutes // 60:
            text = f"{minutes // 60}h{text}"
    return sign + text


def _fraction(value: int, precision: int) -> str:
    # Go's fmtFrac: the digits after the point, trailing zeros (and the
    # point itself when nothing is left) dropped.
    if value == 0:
        return ""
    return "." + str(value).rjust(precision, "0").rstrip("0")
