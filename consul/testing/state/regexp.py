"""Go's regular expressions (``regexp``, RE2 syntax), run on Python's engine.

Consul compiles the regular expressions of ``?filter``'s ``matches`` and of
event filters with Go's ``regexp.Compile``. :func:`compile_regexp` parses a
pattern as Go's ``regexp/syntax`` parser does with the flags ``regexp.Compile``
uses (``syntax.Perl``), refusing what Go refuses with Go's error text
(``error parsing regexp: CODE: `EXPR```), and translates what Go accepts into
a Python pattern with the same meaning:

- ``\\d``, ``\\s``, ``\\w``, ``\\b`` and the POSIX classes (``[[:alpha:]]``)
  are ASCII, as in Go; ``$`` without ``(?m)`` is the end of the text only;
- the flags ``(?i)``, ``(?m)``, ``(?s)`` and ``(?U)`` (ungreedy) hold to the
  end of the group they appear in, as in Go;
- ``\\Q...\\E``, ``\\z``, ``\\x{10FFFF}`` and octal escapes are Go's;
- ``\\pL``, ``\\p{Lu}``, ``\\p{Letter}``, ``\\p{Any}``, ``\\p{ASCII}``,
  ``\\p{Assigned}`` (and ``\\P``, ``\\p{^...}``) are general categories, from
  Python's Unicode database. Scripts (``\\p{Greek}``) are not known here and
  are refused as unknown names.

Go's limits on a compiled program's size and nesting depth (``expression too
large``, ``expression nests too deeply``) are not checked. Sources:
``src/regexp/syntax/parse.go`` and ``perl_groups.go`` (Go 1.25).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field

__all__ = ["RegexpError", "compile_regexp"]

#: The largest count of a repetition, and of nested ones multiplied (``maxRepeat``).
MAX_REPEAT = 1000
_MAX_RUNE = 0x10FFFF

Ranges = list[tuple[int, int]]


class RegexpError(ValueError):
    """A pattern Go's ``regexp/syntax`` refuses: its ``*syntax.Error``."""

    def __init__(self, code: str, expr: str) -> None:
        super().__init__(f"error parsing regexp: {code}: `{expr}`")
        self.code = code
        self.expr = expr


# syntax.ErrorCode values.
_INVALID_CHAR_RANGE = "invalid character class range"
_INVALID_ESCAPE = "invalid escape sequence"
_INVALID_NAMED_CAPTURE = "invalid named capture"
_INVALID_PERL_OP = "invalid or unsupported Perl syntax"
_INVALID_REPEAT_OP = "invalid nested repetition operator"
_INVALID_REPEAT_SIZE = "invalid repeat count"
_MISSING_BRACKET = "missing closing ]"
_MISSING_PAREN = "missing closing )"
_MISSING_REPEAT_ARGUMENT = "missing argument to repetition operator"
_TRAILING_BACKSLASH = "trailing backslash at end of expression"
_UNEXPECTED_PAREN = "unexpected )"

# perl_groups.go: the Perl classes and the POSIX ones, all ASCII.
_DIGIT = [(0x30, 0x39)]
_SPACE = [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_PERL_GROUPS: dict[str, Ranges] = {"d": _DIGIT, "s": _SPACE, "w": _WORD}
_POSIX_GROUPS: dict[str, Ranges] = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)],
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": _WORD,
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}

#: Unicode's aliases of the general categories (``unicode.CategoryAliases``).
_CATEGORY_ALIASES = {
    "Other": "C",
    "Control": "Cc",
    "Cntrl": "Cc",
    "Format": "Cf",
    "Unassigned": "Cn",
    "Private_Use": "Co",
    "Surrogate": "Cs",
    "Letter": "L",
    "Cased_Letter": "LC",
    "Lowercase_Letter": "Ll",
    "Modifier_Letter": "Lm",
    "Other_Letter": "Lo",
    "Titlecase_Letter": "Lt",
    "Uppercase_Letter": "Lu",
    "Mark": "M",
    "Combining_Mark": "M",
    "Spacing_Mark": "Mc",
    "Enclosing_Mark": "Me",
    "Nonspacing_Mark": "Mn",
    "Number": "N",
    "Decimal_Number": "Nd",
    "Digit": "Nd",
    "Letter_Number": "Nl",
    "Other_Number": "No",
    "Punctuation": "P",
    "Punct": "P",
    "Connector_Punctuation": "Pc",
    "Dash_Punctuation": "Pd",
    "Close_Punctuation": "Pe",
    "Final_Punctuation": "Pf",
    "Initial_Punctuation": "Pi",
    "Other_Punctuation": "Po",
    "Open_Punctuation": "Ps",
    "Symbol": "S",
    "Currency_Symbol": "Sc",
    "Modifier_Symbol": "Sk",
    "Math_Symbol": "Sm",
    "Other_Symbol": "So",
    "Separator": "Z",
    "Line_Separator": "Zl",
    "Paragraph_Separator": "Zp",
    "Space_Separator": "Zs",
}

#: ``parseInt``: a decimal number without a leading zero.
_NUMBER = re.compile(r"0(?![0-9])|[1-9][0-9]*")

#: General category -> its code point ranges, built on first use.
_CATEGORIES: dict[str, Ranges] = {}


def _canonical_name(name: str) -> str:
    """``canonicalName``: no ``_``, ``-`` or spaces, first letter upper, the rest lower."""
    letters = [c for c in name if c not in "_- "]
    return "".join(letters[:1]).upper() + "".join(letters[1:]).lower()


def _categories() -> dict[str, Ranges]:
    """Every general category's ranges (and ``L``, ``LC``... unions), from ``unicodedata``."""
    if not _CATEGORIES:
        found: dict[str, Ranges] = {}
        start, current = 0, unicodedata.category("\0")
        for point in range(1, sys.maxunicode + 2):
            category = unicodedata.category(chr(point)) if point <= sys.maxunicode else ""
            if category != current:
                found.setdefault(current, []).append((start, point - 1))
                start, current = point, category
        unions = {"LC": ("Lu", "Ll", "Lt"), "C": ("Cc", "Cf", "Co", "Cs")}
        for major in "LMNPSZ":
            unions[major] = tuple(name for name in found if name.startswith(major))
        for name, parts in unions.items():
            found[name] = _clean([r for part in parts for r in found.get(part, [])])
        _CATEGORIES.update(found)
    return _CATEGORIES


def _unicode_table(name: str) -> tuple[Ranges, int] | None:
    """``unicodeTable``: the ranges of a ``\\p`` name and whether to negate them (-1)."""
    name = _canonical_name(name)
    if name == "Any":
        return [(0, _MAX_RUNE)], 1
    if name == "Assigned":
        return _categories()["Cn"], -1
    if name == "Ascii":
        return [(0, 0x7F)], 1
    categories = _categories()
    if name == "Lc":
        return categories["LC"], 1
    if name in categories:
        return categories[name], 1
    aliases = {_canonical_name(alias): actual for alias, actual in _CATEGORY_ALIASES.items()}
    if name in aliases:
        return categories[aliases[name]], 1
    return None


def _clean(ranges: Ranges) -> Ranges:
    """``cleanClass``: sorted, overlapping and abutting ranges merged."""
    merged: Ranges = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _negate(ranges: Ranges) -> Ranges:
    """``negateClass`` of clean ranges."""
    out: Ranges = []
    next_lo = 0
    for lo, hi in ranges:
        if next_lo <= lo - 1:
            out.append((next_lo, lo - 1))
        next_lo = hi + 1
    if next_lo <= _MAX_RUNE:
        out.append((next_lo, _MAX_RUNE))
    return out


def _class_text(ranges: Ranges) -> str:
    """A Python character class holding exactly ``ranges``."""
    if not ranges:
        return "[^\\U00000000-\\U0010ffff]"  # matches nothing
    parts = [
        f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _clean(ranges)
    ]
    return "[" + "".join(parts) + "]"


@dataclass
class _Flags:
    """The parser's flags that change what a piece means (``syntax.Flags``)."""

    fold: bool = False  # (?i)
    multiline: bool = False  # (?m): not OneLine
    dot_nl: bool = False  # (?s)
    ungreedy: bool = False  # (?U)


@dataclass(frozen=True)
class _Repeat:
    """An ``x{min,max}`` and the repetitions inside it (for ``repeatIsValid``)."""

    min: int
    max: int
    inner: tuple[_Repeat, ...]


@dataclass
class _Piece:
    """A translated piece of the pattern that a repetition operator may follow."""

    text: str
    repeats: tuple[_Repeat, ...] = ()


@dataclass
class _Group:
    """An open group: the flags to restore at its ``)``, its alternatives so far."""

    flags: _Flags
    #: A capturing group (numbered, as Go numbers them; names are not kept).
    capture: bool = False
    pieces: list[_Piece] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    repeats: list[_Repeat] = field(default_factory=list)


def _repeat_is_valid(repeats: tuple[_Repeat, ...], n: int) -> bool:
    """``repeatIsValid``: nested counts multiplied stay within ``n``."""
    for rep in repeats:
        m = rep.max
        if m == 0:
            continue
        if m < 0:
            m = rep.min
        if m > n:
            return False
        if not _repeat_is_valid(rep.inner, n // m if m > 0 else n):
            return False
    return True


def _unhex(char: str) -> int:
    return int(char, 16) if len(char) == 1 and char in "0123456789abcdefABCDEF" else -1


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


class _Parser:
    """``syntax.parse`` with ``syntax.Perl``, writing the Python pattern as it goes."""

    def __init__(self, pattern: str) -> None:
        self.s = pattern
        self.flags = _Flags()
        self.groups = [_Group(self.flags)]

    # -- the pieces ----------------------------------------------------------

    def push(self, text: str, repeats: tuple[_Repeat, ...] = ()) -> None:
        self.groups[-1].pieces.append(_Piece(text, repeats))

    def literal(self, point: int) -> None:
        text = re.escape(chr(point))
        self.push(f"(?i:{text})" if self.flags.fold else text)

    def char_class(self, ranges: Ranges, negated: bool = False) -> None:
        ranges = _clean(ranges)
        text = _class_text(_negate(ranges) if negated else ranges)
        self.push(f"(?i:{text})" if self.flags.fold else text)

    def open_group(self, capture: bool = False) -> None:
        self.groups.append(_Group(self.flags, capture))
        self.flags = _Flags(**vars(self.flags))

    def alternate(self) -> None:
        group = self.groups[-1]
        group.alternatives.append("".join(p.text for p in group.pieces))
        group.repeats += [r for p in group.pieces for r in p.repeats]
        group.pieces = []

    def close_group(self) -> None:
        if len(self.groups) < 2:
            raise RegexpError(_UNEXPECTED_PAREN, self.s)
        self.alternate()
        group = self.groups.pop()
        self.flags = group.flags
        opening = "(" if group.capture else "(?:"
        self.push(opening + "|".join(group.alternatives) + ")", tuple(group.repeats))

    # -- the parse -------------------------------------------------------------

    def parse(self) -> str:
        s = self.s
        pos = 0
        last_repeat: int | None = None
        while pos < len(s):
            repeat: int | None = None
            char = s[pos]
            if char == "(":
                if s.startswith("(?", pos):
                    pos = self.perl_flags(pos)
                else:
                    self.open_group(capture=True)
                    pos += 1
            elif char == "|":
                self.alternate()
                pos += 1
            elif char == ")":
                self.close_group()
                pos += 1
            elif char == "^":
                self.push("(?m:^)" if self.flags.multiline else "^")
                pos += 1
            elif char == "$":
                self.push("(?m:$)" if self.flags.multiline else "\\Z")
                pos += 1
            elif char == ".":
                self.push("(?s:.)" if self.flags.dot_nl else ".")
                pos += 1
            elif char == "[":
                pos = self.parse_class(pos)
            elif char in "*+?":
                repeat = pos
                pos = self.repeat(char, None, pos, pos + 1, last_repeat)
            elif char == "{":
                parsed = self.parse_repeat(pos)
                if parsed is None:  # not a repetition: "{" is a literal
                    self.literal(ord("{"))
                    pos += 1
                else:
                    low, high, after = parsed
                    if low < 0 or low > MAX_REPEAT or high > MAX_REPEAT or 0 <= high < low:
                        raise RegexpError(_INVALID_REPEAT_SIZE, s[pos:after])
                    if high == low:
                        quantifier = f"{{{low}}}"
                    else:
                        quantifier = f"{{{low},{high if high >= 0 else ''}}}"
                    repeat = pos
                    pos = self.repeat(quantifier, (low, high), pos, after, last_repeat)
            elif char == "\\":
                pos = self.parse_backslash(pos)
            else:
                self.literal(ord(char))
                pos += 1
            last_repeat = repeat
        if len(self.groups) > 1:
            raise RegexpError(_MISSING_PAREN, s)
        self.alternate()
        return "|".join(self.groups[0].alternatives)

    def repeat(
        self,
        quantifier: str,
        counts: tuple[int, int] | None,
        before: int,
        after: int,
        last_repeat: int | None,
    ) -> int:
        """``parser.repeat``: apply a repetition operator to the last piece."""
        s = self.s
        ungreedy = self.flags.ungreedy
        if after < len(s) and s[after] == "?":
            after += 1
            ungreedy = not ungreedy
        if last_repeat is not None:
            raise RegexpError(_INVALID_REPEAT_OP, s[last_repeat:after])
        pieces = self.groups[-1].pieces
        if not pieces:
            raise RegexpError(_MISSING_REPEAT_ARGUMENT, s[before:after])
        piece = pieces[-1]
        repeats = piece.repeats
        if counts is not None:
            low, high = counts
            repeats = (_Repeat(low, high, piece.repeats),)
            if (low >= 2 or high >= 2) and not _repeat_is_valid(repeats, MAX_REPEAT):
                raise RegexpError(_INVALID_REPEAT_SIZE, s[before:after])
        lazy = "?" if ungreedy else ""
        pieces[-1] = _Piece(f"(?:{piece.text}){quantifier}{lazy}", repeats)
        return after

    def parse_repeat(self, pos: int) -> tuple[int, int, int] | None:
        """``parseRepeat``: ``{min}``, ``{min,}`` or ``{min,max}``; min -1 if too big."""
        s = self.s
        number = _NUMBER
        match = number.match(s, pos + 1)
        if match is None:
            return None
        low = self._count(match.group())
        end = match.end()
        if end >= len(s):
            return None
        if s[end] != ",":
            high = low
        else:
            end += 1
            if end >= len(s):
                return None
            if s[end] == "}":
                high = -1
            else:
                match = number.match(s, end)
                if match is None:
                    return None
                high = self._count(match.group())
                end = match.end()
                if high < 0:
                    low = -1
        if end >= len(s) or s[end] != "}":
            return None
        return low, high, end + 1

    @staticmethod
    def _count(digits: str) -> int:
        # parseInt stops at 1e8: a bigger number is -1 (too big).
        return int(digits) if len(digits) <= 8 else -1

    def perl_flags(self, pos: int) -> int:
        """``parsePerlFlags``: a named group, a non-capturing group, flags, or an error."""
        s = self.s
        t = s[pos:]
        named_p = len(t) > 4 and t[2] == "P" and t[3] == "<"
        named = len(t) > 3 and t[2] == "<"
        if named_p or named:
            end = t.find(">")
            if end < 0:
                raise RegexpError(_INVALID_NAMED_CAPTURE, t)
            name = t[4 if named_p else 3 : end]
            if not name or not all(c == "_" or _is_alnum(c) for c in name):
                raise RegexpError(_INVALID_NAMED_CAPTURE, t[: end + 1])
            self.open_group(capture=True)
            return pos + end + 1
        flags = _Flags(**vars(self.flags))
        positive = True
        saw_flag = False
        i = pos + 2
        while i < len(s):
            char = s[i]
            i += 1
            if char in "imsU":
                attribute = {"i": "fold", "m": "multiline", "s": "dot_nl", "U": "ungreedy"}[char]
                setattr(flags, attribute, positive)
                saw_flag = True
            elif char == "-":
                if not positive:
                    break
                positive = False
                saw_flag = False
            elif char in ":)":
                if not positive and not saw_flag:
                    break
                if char == ":":
                    self.open_group()
                self.flags = flags
                return i
            else:
                break
        raise RegexpError(_INVALID_PERL_OP, s[pos:i])

    def parse_backslash(self, pos: int) -> int:
        """A ``\\`` outside a class: an assertion, ``\\Q...\\E``, a class, or a character."""
        s = self.s
        kind = s[pos + 1] if pos + 1 < len(s) else ""
        assertions = {"A": "\\A", "b": "(?a:\\b)", "B": "(?a:\\B)", "z": "\\Z"}
        if kind in assertions:
            self.push(assertions[kind])
            return pos + 2
        if kind == "C":  # any byte: not supported
            raise RegexpError(_INVALID_ESCAPE, s[pos : pos + 2])
        if kind == "Q":
            end = s.find("\\E", pos + 2)
            literal = s[pos + 2 : end if end >= 0 else len(s)]
            for char in literal:
                self.literal(ord(char))
            return end + 2 if end >= 0 else len(s)
        unicode_class = self.parse_unicode_class(pos)
        if unicode_class is not None:
            ranges, pos = unicode_class
            self.char_class(ranges)
            return pos
        perl = self.parse_perl_class(pos)
        if perl is not None:
            ranges, pos = perl
            self.char_class(ranges)
            return pos
        point, pos = self.parse_escape(pos)
        self.literal(point)
        return pos

    def parse_perl_class(self, pos: int) -> tuple[Ranges, int] | None:
        """``parsePerlClassEscape``: ``\\d``, ``\\s``, ``\\w`` and their negations."""
        kind = self.s[pos + 1 : pos + 2]
        if not self.s.startswith("\\", pos) or kind.lower() not in _PERL_GROUPS:
            return None
        ranges = _PERL_GROUPS[kind.lower()]
        return (_negate(ranges) if kind.isupper() else ranges), pos + 2

    def parse_unicode_class(self, pos: int) -> tuple[Ranges, int] | None:
        """``parseUnicodeClass``: ``\\pL``, ``\\p{Name}``, ``\\P...``, ``\\p{^...}``."""
        s = self.s
        if not s.startswith(("\\p", "\\P"), pos):
            return None
        sign = -1 if s[pos + 1] == "P" else 1
        if pos + 2 < len(s) and s[pos + 2] == "{":
            end = s.find("}", pos)
            if end < 0:
                raise RegexpError(_INVALID_CHAR_RANGE, s[pos:])
            seq, name, after = s[pos : end + 1], s[pos + 3 : end], end + 1
        else:
            seq = s[pos : pos + 3]
            name, after = seq[2:], pos + len(seq)
        if name.startswith("^"):
            sign = -sign
            name = name[1:]
        table = _unicode_table(name)
        if table is None:
            raise RegexpError(_INVALID_CHAR_RANGE, seq)
        ranges, table_sign = table
        return (_negate(_clean(ranges)) if sign * table_sign < 0 else ranges), after

    def parse_escape(self, pos: int) -> tuple[int, int]:
        """``parseEscape``: the character a ``\\`` escape stands for, and where it ends."""
        s = self.s
        i = pos + 1
        if i >= len(s):
            raise RegexpError(_TRAILING_BACKSLASH, "")
        char = s[i]
        i += 1
        if char.isascii() and not _is_alnum(char):
            return ord(char), i
        octal = "01234567"
        if char in octal and (char == "0" or (i < len(s) and s[i] in octal)):
            # Up to three octal digits; a lone \1-\7 would be a backreference.
            value = int(char)
            for _ in range(2):
                if i >= len(s) or s[i] not in octal:
                    break
                value = value * 8 + int(s[i])
                i += 1
            return value, i
        if char == "x" and i < len(s):
            char = s[i]
            i += 1
            if char == "{":
                value, digits = 0, 0
                while i < len(s):
                    char = s[i]
                    i += 1
                    if char == "}":
                        if digits:
                            return value, i
                        break
                    if _unhex(char) < 0:
                        break
                    value = value * 16 + _unhex(char)
                    if value > _MAX_RUNE:
                        break
                    digits += 1
            else:
                high = _unhex(char)
                low = _unhex(s[i]) if i < len(s) else -1
                i = min(i + 1, len(s))
                if high >= 0 and low >= 0:
                    return high * 16 + low, i
        elif char in "afnrtv":
            return ord({"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}[char]), i
        raise RegexpError(_INVALID_ESCAPE, s[pos:i])

    def parse_class(self, pos: int) -> int:
        """``parseClass``: a bracketed class, ``[...]`` or ``[^...]``."""
        s = self.s
        whole = s[pos:]
        i = pos + 1
        negated = i < len(s) and s[i] == "^"
        if negated:
            i += 1
        ranges: Ranges = []
        first = True  # "]" is a character in the first place
        while i >= len(s) or s[i] != "]" or first:
            first = False
            if s.startswith("[:", i) and i + 2 < len(s):
                end = s.find(":]", i + 2)
                if end >= 0:
                    name = s[i : end + 2]
                    group = _POSIX_GROUPS.get(name[2:-2].removeprefix("^"))
                    if group is None:
                        raise RegexpError(_INVALID_CHAR_RANGE, name)
                    ranges += _negate(group) if name.startswith("[:^") else group
                    i = end + 2
                    continue
            found = self.parse_unicode_class(i) or self.parse_perl_class(i)
            if found is not None:
                more, i = found
                ranges += more
                continue
            start = i
            low, i = self.parse_class_char(i, whole)
            high = low
            if i + 1 < len(s) and s[i] == "-" and s[i + 1] != "]":
                high, i = self.parse_class_char(i + 1, whole)
                if high < low:
                    raise RegexpError(_INVALID_CHAR_RANGE, s[start:i])
            ranges.append((low, high))
        self.char_class(ranges, negated)
        return i + 1

    def parse_class_char(self, pos: int, whole: str) -> tuple[int, int]:
        """``parseClassChar``: one character of a class, escapes allowed."""
        if pos >= len(self.s):
            raise RegexpError(_MISSING_BRACKET, whole)
        if self.s[pos] == "\\":
            return self.parse_escape(pos)
        return ord(self.s[pos]), pos + 1


def compile_regexp(pattern: str) -> re.Pattern[str]:
    """``regexp.Compile``: the pattern on Python's engine, or Go's :class:`RegexpError`.

        Use the result's ``search`` (Go's ``MatchString`` is unanchored); its
    groups are Go's capturing groups, by number (``FindStringSubmatch``). Python's
        parser gives up on nesting a few hundred levels deep, which Go takes up
        to a thousand: that is reported with Go's error for deeper nesting.
    """
    translated = _Parser(pattern).parse()
    try:
        return re.compile(translated)
    except RecursionError:
        raise RegexpError("expression nests too deeply", pattern) from None
