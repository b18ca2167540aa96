"""Go's regular expressions on Python's engine (``consul.testing.state.regexp``).

The patterns are those of Go's own parser tests (``src/regexp/syntax/parse_test.go``):
what Go accepts must compile, what it refuses must fail with Go's error.
"""

from __future__ import annotations

import pytest

from consul.testing.state.regexp import RegexpError, compile_regexp

# parseTests (and the nesting and repetition cases Go accepts).
VALID = [
    *("a", "a.", "a.b", "ab", "a|^", "a|b", "(a)", "(a)|b", "a*", "a+", "a?", "a{2}", "a{2,3}"),
    *("a{2,}", "a*?", "a+?", "a??", "a{2}?", "a{2,3}?", "a{2,}?", "x{1001", "x{9876543210"),
    *("x{9876543210,", "x{2,1", "x{1,9876543210", "", "|", "|x|", ".", "^", "$", r"\|", r"\("),
    *(r"\)", r"\*", r"\+", r"\?", "{", "}", r"\.", r"\^", r"\$", r"\\", "[ace]", "[abc]"),
    *("[a-z]", "[a]", r"\-", "-", r"\_", "abc|def", "[[:lower:]]", "[^[:lower:]]"),
    *("[[:^lower:]]", "(?i)[[:lower:]]", "(?i)[a-z]", "(?i)[^[:lower:]]", r"\d", r"\D", r"\s"),
    *(r"\S", r"\w", r"\W", r"(?i)\w", r"(?i)\W", r"[^\\]", r"\pZ", r"[\pZ]", r"\p{Lu}"),
    *(r"[\p{Lu}]", r"(?i)[\p{Lu}]", r"\p{Any}", r"\p{^Any}", r"[\012-\234]\141"),
    *(r"[\x{41}-\x7a]\x61", "a{,2}", r"\.\^\$\\", "[a-zABC]", "[^a]", "a*{"),
    "[\u03b1-\u03b5\u263a]",
    *("(?:ab)*", "(ab)*", "ab|cd", "a(b|c)d", "(?:a)", "(?:ab)(?:cd)", "(?:a+b+)(?:c+d+)"),
    *("(?:a+|b+)|(?:c+|d+)", "(?:a|b)|(?:c|d)", "a|.", ".|a", "(?:[abc]|A|Z|hello|world)"),
    *(r"\Q+|*?{[\E", r"\Q+\E+", r"\Qab\E+", r"\Q\\E", r"\Q\\\E", "(?m)^", "(?m)$", "(?-m)^"),
    *("(?-m)$", r"(?m)\A", r"(?m)\z", r"(?-m)\A", r"(?-m)\z", "(?P<name>a)", "(?<name>a)"),
    *("[Aa]", r"[\x{100}\x{101}]", "[Δδ]", "[Aa][Bb]cd", "(?:x|(?:xa))", "(?:A(?:A|a))"),
    *("(?s).", "(?-s).", "(?:(?:^).)", "(?-s)(?:(?:^).)", r"[\s\S]a", "a.*?c|a.*?b"),
    "((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}))",
    "((((((((((x{1}){2}){2}){2}){2}){2}){2}){2}){2}){2})",
    "(" + "|" * 12345 + ")",
    # onlyPerl
    *("[a-b-c]", r"\Qabc\E", r"\Q*+?{[\E", r"\Q\\\\E", r"\Q\\\\\E"),
]

# invalidRegexps and onlyPOSIX, with the error Go gives (parse.go).
INVALID = {
    "(": "missing closing ): `(`",
    ")": "unexpected ): `)`",
    "(a": "missing closing ): `(a`",
    "a)": "unexpected ): `a)`",
    "(a))": "unexpected ): `(a))`",
    "(a|b|": "missing closing ): `(a|b|`",
    "a|b|)": "unexpected ): `a|b|)`",
    "[a-z": "missing closing ]: `[a-z`",
    "([a-z)": "missing closing ]: `[a-z)`",
    "x{1001}": "invalid repeat count: `{1001}`",
    "x{9876543210}": "invalid repeat count: `{9876543210}`",
    "x{2,1}": "invalid repeat count: `{2,1}`",
    "x{1,9876543210}": "invalid repeat count: `{1,9876543210}`",
    "(?P<name>a": "missing closing ): `(?P<name>a`",
    "(?P<name": "invalid named capture: `(?P<name`",
    "(?P<x y>a)": "invalid named capture: `(?P<x y>`",
    "(?P<>a)": "invalid named capture: `(?P<>`",
    "(?<name": "invalid named capture: `(?<name`",
    "(?<x y>a)": "invalid named capture: `(?<x y>`",
    "[a-Z]": "invalid character class range: `a-Z`",
    "(?i)[a-Z]": "invalid character class range: `a-Z`",
    r"\Q\E*": "missing argument to repetition operator: `*`",
    "a{100000}": "invalid repeat count: `{100000}`",
    "a{100000,}": "invalid repeat count: `{100000,}`",
    "((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})": "invalid repeat count: `{2}`",
    "a++": "invalid nested repetition operator: `++`",
    "a**": "invalid nested repetition operator: `**`",
    "a?*": "invalid nested repetition operator: `?*`",
    "a+*": "invalid nested repetition operator: `+*`",
    "a{1}*": "invalid nested repetition operator: `{1}*`",
    ".{1}{2}.{3}": "invalid nested repetition operator: `{1}{2}`",
    "a*?*": "invalid nested repetition operator: `*?*`",
    "*": "missing argument to repetition operator: `*`",
    "a|*?": "missing argument to repetition operator: `*?`",
    "(?=x)": "invalid or unsupported Perl syntax: `(?=`",
    "(?!x)": "invalid or unsupported Perl syntax: `(?!`",
    "(?<=x)": "invalid named capture: `(?<=x)`",
    "(?x)": "invalid or unsupported Perl syntax: `(?x`",
    "(?i-)": "invalid or unsupported Perl syntax: `(?i-)`",
    "(?i": "invalid or unsupported Perl syntax: `(?i`",
    r"\1": r"invalid escape sequence: `\1`",
    r"\8": r"invalid escape sequence: `\8`",
    r"\C": r"invalid escape sequence: `\C`",
    r"[\b]": r"invalid escape sequence: `\b`",
    r"\x": r"invalid escape sequence: `\x`",
    r"\xg1": r"invalid escape sequence: `\xg1`",
    r"\x{}": r"invalid escape sequence: `\x{}`",
    r"\x{110000}": r"invalid escape sequence: `\x{110000`",
    "\\": "trailing backslash at end of expression: ``",
    r"\p": r"invalid character class range: `\p`",
    r"\p{Foo}": r"invalid character class range: `\p{Foo}`",
    "[[:foo:]]": "invalid character class range: `[:foo:]`",
}


@pytest.mark.parametrize("pattern", VALID)
def test_what_go_accepts_compiles(pattern: str) -> None:
    compile_regexp(pattern)


@pytest.mark.parametrize(("pattern", "error"), INVALID.items())
def test_what_go_refuses_fails_with_gos_error(pattern: str, error: str) -> None:
    with pytest.raises(RegexpError) as caught:
        compile_regexp(pattern)
    assert str(caught.value) == f"error parsing regexp: {error}"


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"^a$", "a\n", False),  # $ is the end of the text (OpEndText)
        (r"(?m)^a$", "b\na\n", True),
        (r"a\z", "a\n", False),
        (r"a.b", "a\nb", False),
        (r"(?s)a.b", "a\nb", True),
        (r"\d", "\u0967", False),  # perl_groups.go: ASCII
        (r"\w", "\u00e9", False),
        (r"\bfoo\b", "\u00e9foo\u00e9", True),  # an ASCII word boundary
        (r"[[:alpha:]]", "\u00e9", False),
        (r"\pL", "\u00e9", True),
        (r"\p{Letter}", "\u00e9", True),
        (r"\PL", "\u00e9", False),
        (r"\p{^L}", "1", True),
        (r"(?i)abc", "xABCx", True),
        (r"(?i:a)b", "AB", False),
        (r"\Q.*\E", "x.*y", True),
        (r"\Q.*\E", "xaay", False),
        (r"a{,2}", "a{,2}", True),  # not a repetition: literals
        (r"\x{263a}\101", "\u263aA", True),
        (r"[^a]", "\n", True),
        (r"^*a", "a", True),
    ],
)
def test_what_a_pattern_finds_is_what_go_finds(pattern: str, text: str, found: bool) -> None:
    assert bool(compile_regexp(pattern).search(text)) is found


def test_ungreedy_flag_swaps_greediness() -> None:
    assert compile_regexp("(?U)a+").match("aaa").group() == "a"  # type: ignore[union-attr]
    assert compile_regexp("(?U)a+?").match("aaa").group() == "aaa"  # type: ignore[union-attr]
