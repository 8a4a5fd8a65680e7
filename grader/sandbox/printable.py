"""Text that came from student code, made safe to show anywhere: control characters are escaped.

Printed output, exception messages and tracebacks reach the terminal, report.md
and results.json. Escaped, they cannot clear the screen, move the cursor,
recolour or overwrite a line (a fake "11/11 all passed" over a real 0/11), nor
reorder text with bidirectional overrides. Newlines and tabs stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab written as an escape (``\\x1b``, ``\\u202e``)."""
    return UNSAFE.sub(lambda match: escape(match.group()), text)


def escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_data(value: Any) -> Any:
    """Every string in a JSON-like value (dicts, lists, strings) made printable."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(key): printable_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_data(item) for item in value]
    return value
