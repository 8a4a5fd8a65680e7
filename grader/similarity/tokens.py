"""Python source as the tokens similarity compares: comments and layout dropped, every string one token, and every
name the student chose (variables, functions, classes) one placeholder, so renaming and reformatting change nothing.

A small regular-expression lexer rather than `tokenize`: it reads code that does not parse (a copy with a syntax
error is still a copy) and gives the same tokens on every Python version (3.12 splits f-strings).
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import NamedTuple

NAME = "N"  # what every chosen name becomes
STRING = "S"  # what every string literal becomes
KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))

LEXER = re.compile(r"""
  (?P<skip>\#[^\r\n]*|\\\r?\n|\s+)
| (?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
                            |'(?:\\.|[^'\\\r\n])*'?|"(?:\\.|[^"\\\r\n])*"?))
| (?P<number>(?:\d|\.\d)(?:[eE][-+]?\d|[\w.])*)
| (?P<name>[^\W\d]\w*)
| (?P<operator>\*\*=?|//=?|->|:=|<<=?|>>=?|[-+*/%@&|^=<>!]=|\S)
""", re.VERBOSE)


class Token(NamedTuple):
    """One token as compared (``text``) and where it stands in the source (``start``, ``end``: characters)."""

    text: str
    start: int
    end: int


def tokens(source: str) -> list[Token]:
    """The source's tokens: chosen names as ``N``, strings as ``S``; keywords, built-ins, numbers, operators and
    attribute names (after a dot: the library's API, which a copier cannot rename) as written."""
    found: list[Token] = []
    for match in LEXER.finditer(source):
        kind, text = match.lastgroup, match.group()
        if kind == "skip":
            continue
        if kind == "string":
            text = STRING
        elif kind == "name" and text not in KEPT_NAMES and not (found and found[-1].text == "."):
            text = NAME
        found.append(Token(text, match.start(), match.end()))
    return found
